"""What a form's answer says on the page it redirects to (POST, then a redirect, then GET),
shown once: a token's or a key's value made on that form, or the answer's words (which may
hold a person's new ntfy topic). A form refused the same way (``refused_back``): the page it
came from shows the refusal and what was typed, once, so that the address is never the POST's
and a reload shows the clean form instead of sending it again.

The answer is kept on the server (``bot/record/shown_once.py``), sealed with a key only
``warroom serve`` holds (``Signer.seal``), for ``NOTICE_SECONDS``; the browser's cookie
carries only a random handle (signed, bound to the session that posted the form, for one
path, ``HttpOnly``, ``SameSite=Strict``). The page that reads it drops it on the server as it
reads it: a reload, another session, or the cookie copied and sent again is told a key was
shown already (``{"shown_already": True}``), never shown it. A job drops a value nobody read
once its time is up (``forget_shown``). Pages are ``Cache-Control: no-store``
(``bot/web/pages_common.py``).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web

from bot.record import shown_once
from bot.store import jobs
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.web.context import web_context
from bot.web.visibility import Viewer

NOTICE_COOKIE = "warroom_notice"
_PURPOSE = "notice"
# Long enough for the redirect to be followed on a slow phone; short enough that a value left
# waiting does not stay.
NOTICE_SECONDS = int(shown_once.HOLD.total_seconds())
# What a page is handed for a key or token it showed already (the template says so).
SHOWN_ALREADY = {"shown_already": True}
# The key a refusal is kept under in its notice, apart from the answers pages say.
_REFUSED = "form_refused"


async def redirect_with_notice(
    request: web.Request,
    viewer: Viewer,
    location: str,
    notice: dict[str, Any],
    *,
    secret: str | None = None,
) -> web.HTTPSeeOther:
    """303 to ``location`` (a path of this site), its next GET in this session shown
    ``notice`` once. ``secret``: the key or token ``notice`` shows, if any (kept only as its
    SHA-256: a second read is told it was shown already)."""
    web_ = web_context(request)
    now = web_.services.clock()
    handle = shown_once.new_handle()
    sealed = web_.signer.seal(_PURPOSE, json.dumps(notice).encode(), now)
    async with session_scope(web_.services.engine) as session:
        row = shown_once.keep(
            session,
            handle=handle,
            session_id=viewer.session_id,
            sealed=sealed,
            secret=secret,
            now=now,
        )
        await session.flush()
        await jobs.schedule(
            session, kind=JobKind.SHOWN_ONCE_FORGET, key=f"shown-once:{row.id}", due_at=row.until
        )
        await session.commit()
    response = web.HTTPSeeOther(location)
    # Signed until the row goes (a day): a copied cookie sent again is told "shown already".
    payload = {"sid": viewer.session_id, "handle": handle}
    response.set_cookie(
        NOTICE_COOKIE,
        web_.signer.sign(_PURPOSE, payload, now + shown_once.KEPT),
        max_age=NOTICE_SECONDS,
        httponly=True,
        secure=web_.settings.web.public_url.startswith("https://") or request.secure,
        samesite="Strict",
        path=location.split("?", 1)[0].split("#", 1)[0],
    )
    return response


async def notice_of(request: web.Request, viewer: Viewer) -> dict[str, Any] | None:
    """The notice this browser's session was redirected here with, taken (``forget`` drops
    its cookie from the response that shows it); ``SHOWN_ALREADY`` for a key or token read
    before, or by another session, or past its time; None without one."""
    web_ = web_context(request)
    now = web_.services.clock()
    payload = web_.signer.check(_PURPOSE, request.cookies.get(NOTICE_COOKIE), now)
    handle = payload.get("handle") if payload is not None else None
    if not isinstance(handle, str):
        return None
    async with session_scope(web_.services.engine) as session:
        taken = await shown_once.take(session, handle=handle, session_id=viewer.session_id, now=now)
        await session.commit()
    if taken is None:
        return None
    opened = None
    if taken.sealed is not None:
        opened = web_.signer.unseal(_PURPOSE, taken.sealed, now, shown_once.HOLD)
    if opened is None:
        return SHOWN_ALREADY if taken.secret else None
    notice = json.loads(opened)
    return notice if isinstance(notice, dict) else None


def forget(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    """The notice shown once: its cookie dropped by the response that shows it."""
    if NOTICE_COOKIE in request.cookies:
        response.del_cookie(NOTICE_COOKIE, path=request.path)
    return response


@dataclass(frozen=True)
class Once:
    """What a page shows once: a form's answer (``notice``), or a form's refusal with what
    was typed (``refused``) and the status the page answers with it."""

    notice: dict[str, Any] | None = None
    refused: dict[str, Any] | None = None
    status: int = 200

    def words(self, key: str) -> str | None:
        """The refusal's words kept under ``key``; None without."""
        value = (self.refused or {}).get(key)
        return value if isinstance(value, str) else None

    def fields(self, key: str) -> dict[str, str]:
        """What was typed, kept under ``key``, by field (words only)."""
        value = (self.refused or {}).get(key)
        pairs = value.items() if isinstance(value, dict) else ()
        return {str(name): typed for name, typed in pairs if isinstance(typed, str)}


async def refused_back(
    request: web.Request,
    viewer: Viewer,
    location: str,
    refusal: Mapping[str, Any],
    *,
    status: int = 400,
) -> web.HTTPSeeOther:
    """A form refused (or asking to confirm): 303 to its page (``location``, the address the
    form was shown at), which shows ``refusal`` (its words, what was typed) once, answered
    with ``status``. Kept as any notice is, on the server: never the typed words in the
    address; a reload of the page shows the clean form."""
    notice = {_REFUSED: dict(refusal), "status": status}
    return await redirect_with_notice(request, viewer, location, notice)


async def once_of(request: web.Request, viewer: Viewer) -> Once:
    """What this page shows once (``notice_of``), a refusal told apart from an answer; the
    caller drops its cookie from the response (``forget``)."""
    notice = await notice_of(request, viewer)
    refused = notice.get(_REFUSED) if notice else None
    if not isinstance(refused, dict):
        return Once(notice=notice)
    status = notice.get("status") if notice else None
    return Once(refused=refused, status=status if status in (200, 400, 403, 409, 429) else 400)


class DrawsOnce(Protocol):
    """A page's drawing that takes what it shows once (``drawn_once``)."""

    def __call__(
        self,
        request: web.Request,
        viewer: Viewer,
        csrf: str,
        *,
        notice: Mapping[str, Any] | None,
        refused: str | None,
        form: Mapping[str, str] | None,
        status: int,
    ) -> Awaitable[web.Response]: ...


async def drawn_once(
    request: web.Request, viewer: Viewer, csrf: str, draw: DrawsOnce
) -> web.Response:
    """The page ``draw`` makes with what it shows once (a notice, or a refusal's words under
    ``refused`` and what was typed under ``form``), its cookie dropped."""
    once = await once_of(request, viewer)
    response = await draw(
        request,
        viewer,
        csrf,
        notice=once.notice,
        refused=once.words("refused"),
        form=once.fields("form"),
        status=once.status,
    )
    forget(request, response)
    return response
