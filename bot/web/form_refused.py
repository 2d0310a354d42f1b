"""A posted form the server could not read (bytes that are not text in their charset, a body
larger than the server takes): answered with a redirect (303) to ``/form-refused``, which says
so once with a link back to the form's page, so that the browser is never left at the form's
POST address (a reload would post it again). A reload of ``/form-refused`` goes to the list."""

from __future__ import annotations

import urllib.parse

from aiohttp import web

from bot.web.auth import SignInNeeded, page_viewer, safe_next
from bot.web.notices import forget, once_of, refused_back
from bot.web.pages_common import FormUnreadable, render_page

FORM_REFUSED_PATH = "/form-refused"


async def form_unreadable_answer(request: web.Request, error: FormUnreadable) -> web.Response:
    """303 to ``/form-refused`` for a signed-in viewer's POST; otherwise (no session to keep the
    refusal for) the 400 page itself."""
    try:
        viewer = page_viewer(request)
    except SignInNeeded:
        viewer = None
    if request.method != "POST" or viewer is None:
        return render_page(
            request, "web/error.html.j2", status=400, problem="bad_form", too_large=error.too_large
        )
    refusal = {"back": _form_page(request), "too_large": "yes" if error.too_large else ""}
    raise await refused_back(request, viewer, FORM_REFUSED_PATH, refusal)


def _form_page(request: web.Request) -> str:
    """The page the form was sent from (its ``Referer``, on this site), else the list."""
    sent_from = urllib.parse.urlsplit(request.headers.get("Referer", ""))
    if sent_from.netloc != request.host:
        return "/"
    return safe_next(urllib.parse.urlunsplit(("", "", sent_from.path, sent_from.query, "")))


async def form_refused_page(request: web.Request) -> web.StreamResponse:
    """GET /form-refused: the refusal, once (400); with none to show, the list."""
    viewer = page_viewer(request)
    once = await once_of(request, viewer)
    if once.refused is None:
        raise web.HTTPSeeOther("/")
    response = render_page(
        request,
        "web/error.html.j2",
        status=once.status,
        problem="bad_form",
        too_large=bool(once.words("too_large")),
        back=safe_next(once.words("back")),
    )
    forget(request, response)
    return response
