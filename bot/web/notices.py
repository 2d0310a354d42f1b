"""What a form's answer says on the page it redirects to (POST, then a redirect, then GET):
a short-lived signed cookie of this browser's session, read once and dropped. It carries a
token's or a key's value made on that form (shown once: the page that reads the cookie drops
it, and nothing on the server keeps the value), or the answer's words. Bound to the session
that posted the form, for one path, for ``NOTICE_SECONDS``, ``HttpOnly``, ``SameSite=Strict``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.web.context import web_context
from bot.web.visibility import Viewer

NOTICE_COOKIE = "warroom_notice"
_PURPOSE = "notice"
# Long enough for the redirect to be followed on a slow phone; short enough that a value left
# in the browser's cookies does not stay.
NOTICE_SECONDS = 120


def redirect_with_notice(
    request: web.Request, viewer: Viewer, location: str, notice: dict[str, Any]
) -> web.HTTPSeeOther:
    """303 to ``location`` (a path of this site), carrying ``notice`` for its next GET."""
    web_ = web_context(request)
    expires = web_.services.clock() + timedelta(seconds=NOTICE_SECONDS)
    payload = {"sid": viewer.session_id, "notice": notice}
    response = web.HTTPSeeOther(location)
    response.set_cookie(
        NOTICE_COOKIE,
        web_.signer.sign(_PURPOSE, payload, expires),
        max_age=NOTICE_SECONDS,
        httponly=True,
        secure=web_.settings.web.public_url.startswith("https://") or request.secure,
        samesite="Strict",
        path=location.split("?", 1)[0].split("#", 1)[0],
    )
    return response


def notice_of(request: web.Request, viewer: Viewer) -> dict[str, Any] | None:
    """The notice this browser's session was redirected here with, if any (``forget``
    drops it from the response that shows it)."""
    web_ = web_context(request)
    payload = web_.signer.check(_PURPOSE, request.cookies.get(NOTICE_COOKIE), web_.services.clock())
    if payload is None or not viewer.session_id or payload.get("sid") != viewer.session_id:
        return None
    notice = payload.get("notice")
    return notice if isinstance(notice, dict) else None


def forget(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    """The notice shown once: its cookie dropped by the response that shows it."""
    if NOTICE_COOKIE in request.cookies:
        response.del_cookie(NOTICE_COOKIE, path=request.path)
    return response
