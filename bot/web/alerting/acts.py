"""The alerts selected on ``/alerts``, acknowledged or resolved together (``POST /alerts``,
the list's own address; a source's webhooks are ``/alerts/<kind>``): the worklist's one
form, its CSRF token checked as every form's, through the flow Slack's ``/alerts ack`` uses
(bot/flows/alerting/many.py), as the viewer, each alert as its own message's button would.
Then a redirect to the list (Post/Redirect/Get) which says, once, what it did ("3
acknowledged; 1 was already resolved"). A guest of the workspace, or
anyone the rights refuse, gets the 403 page; a form with nothing selected, or an act not
offered, is the list again saying why (400)."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from bot.basics.numbers import DATABASE_ID_MAX, parse_bounded_int
from bot.flows.alerting.many import ACTS, MANY_MAX, act_on_many
from bot.flows.rights import NotTheirs
from bot.web.auth import check_csrf, guest_viewer, page_viewer, viewer_and_csrf
from bot.web.context import web_context
from bot.web.notices import redirect_with_notice, refused_back
from bot.web.pages_common import guests_refused, read_form

log = logging.getLogger(__name__)
LIST = "/alerts"
# The worklist's filters the form carries back (its own query string), at most this long.
_BACK_MAX = 400


async def act_on_selected(request: web.Request) -> web.Response:
    """POST /alerts: ``do`` (acknowledge, resolve) on every ``alert`` checked."""
    web_ = web_context(request)
    viewer = page_viewer(request)
    form = await read_form(request)
    check_csrf(request, viewer, form.get("csrf"))
    if await guest_viewer(request, viewer):
        return _refused_guest(request)
    back = LIST + _back(form.get("back"))
    act = form.get("do")
    ids = _selected(form)
    if not isinstance(act, str) or act not in ACTS:
        raise await refused_back(request, viewer, back, {"refused": "unknown_act"})
    if not ids:
        raise await refused_back(request, viewer, back, {"refused": "none_selected"})
    try:
        together = await act_on_many(web_.services, ids, act=act, user=viewer.author, via="web")
    except NotTheirs:  # a guest Slack names now, the session being older
        return _refused_guest(request)
    log.info("%d alerts %s by %s on the web", len(together.done), act, viewer.author)
    said = web_.services.renderer.render_plain("messages/alerts_acted.j2", together=together)
    raise await redirect_with_notice(request, viewer, back, {"acted": said})


def _selected(form: MultiDictProxy[Any]) -> list[int]:
    """The alerts' ids checked (a value that is no id is none), at most ``MANY_MAX``."""
    ids = [parse_bounded_int(str(value), 1, DATABASE_ID_MAX) for value in form.getall("alert", [])]
    return [number for number in ids if number is not None][:MANY_MAX]


def _back(value: object) -> str:
    """The worklist's query string the form was shown with, so the list comes back
    filtered as it was; anything else is none."""
    if not isinstance(value, str) or not value.startswith("?") or len(value) > _BACK_MAX:
        return ""
    return "" if any(c in value for c in "\r\n#\\") else value


def _refused_guest(request: web.Request) -> web.Response:
    viewer, csrf = viewer_and_csrf(request)
    return guests_refused(request, "alerts_guests", viewer=viewer, csrf=csrf)
