"""The maintenance windows' pages, behind sign-in: every window with a form to add one and
buttons to cancel (``/maintenance``), and one window with the alerts it silenced
(``/maintenance/<id>``). Windows are made and cancelled through the flows ``/incident
maintenance`` uses, with the same rights: a refusal naming who may is the list again, 403. A
guest of the workspace gets none of it (403): their session says so, or Slack does, asked
afresh on each page and form. Any other refusal is the list again with its reason (400),
never a 5xx. A refused form redirects to the list, which shows the refusal and what was
typed once (``bot.web.notices``)."""

from __future__ import annotations

import logging
from datetime import datetime

from aiohttp import web

from bot.basics.numbers import parse_bounded_int
from bot.flows.alerting.maintenance import (
    cancel_window,
    list_windows,
    open_window,
    refusal_words,
    window_and_silenced,
)
from bot.flows.rights import NotTheirs
from bot.record.alerting.maintenance import WindowRefused, is_active, split_span
from bot.record.people import known_names
from bot.store.db import session_scope
from bot.store.models import MaintenanceWindow
from bot.web.auth import check_csrf, guest_viewer, page_viewer, viewer_and_csrf
from bot.web.context import WebContext, web_context
from bot.web.notices import forget, once_of, refused_back
from bot.web.pages_common import guests_refused, read_form, render_page
from bot.web.visibility import Viewer

log = logging.getLogger(__name__)
MAX_WINDOW_ID = 2**31 - 1
# The form's field a refusal is about (``WindowRefused``'s ``why``), where the page says it;
# a time that cannot be read names its side itself.
FIELD_OF_REFUSAL = {
    "no_matchers": "labels",
    "matcher": "labels",
    "matcher_twice": "labels",
    "span": "end",
    "backwards": "end",
    "too_long": "end",
    "public_empty": "public",
    "public_long": "public",
    "public_line_break": "public",
    "components_private": "components",
    "components_many": "components",
    "component_long": "components",
}


async def maintenance_list(request: web.Request) -> web.Response:
    """GET /maintenance: the windows (the latest first) and the form to add one."""
    viewer, csrf = viewer_and_csrf(request)
    if await guest_viewer(request, viewer):
        return _guests_refused(request, viewer, csrf)
    once = await once_of(request, viewer)
    response = await _render_list(
        request,
        refused=once.words("refused"),
        form=once.fields("form"),
        bad=once.words("bad") or "",
        status=once.status,
    )
    forget(request, response)
    return response


async def add_window_form(request: web.Request) -> web.Response:
    """POST /maintenance: a new window from the form's labels, start and end."""
    web_ = web_context(request)
    viewer = page_viewer(request)
    form = await read_form(request)
    check_csrf(request, viewer, form.get("csrf"))
    if await guest_viewer(request, viewer):
        return _guests_refused(request, viewer, viewer_and_csrf(request)[1])
    fields = {key: _text(form.get(key)) for key in ("labels", "start", "end")}
    # Whole: a description or names too long are refused in words, never cut.
    fields["public"] = _text(form.get("public"), whole=True)
    fields["components"] = _text(form.get("components"), whole=True)
    try:
        start, end = split_span(f"{fields['start'] or 'now'} to {fields['end']}")
        window = await open_window(
            web_.services,
            matchers=fields["labels"].split(),
            start=start,
            end=end,
            by=viewer.author,
            operator=viewer.user_id is None,
            # An empty box: a window for the team only.
            public=fields["public"] if fields["public"].strip() else None,
            components=[fields["components"]],
        )
    except NotTheirs:  # a guest Slack names now, the session being older
        return _guests_refused(request, viewer, viewer_and_csrf(request)[1])
    except WindowRefused as refusal:
        return await _refused(request, refusal, form=fields)
    log.info("maintenance window %s added by %s", window.id, viewer.author)
    raise web.HTTPSeeOther(f"/maintenance/{window.id}")


async def cancel_window_form(request: web.Request) -> web.Response:
    """POST /maintenance/<id>/cancel: end a window now (its record stays)."""
    web_ = web_context(request)
    viewer = page_viewer(request)
    form = await read_form(request)
    check_csrf(request, viewer, form.get("csrf"))
    if await guest_viewer(request, viewer):
        return _guests_refused(request, viewer, viewer_and_csrf(request)[1])
    number = parse_bounded_int(request.match_info["window"], 1, MAX_WINDOW_ID)
    try:
        if number is None:
            raise WindowRefused(why="unknown", id=request.match_info["window"][:20])
        await cancel_window(
            web_.services, number, by=viewer.author, operator=viewer.user_id is None
        )
    except NotTheirs:  # a guest Slack names now, the session being older
        return _guests_refused(request, viewer, viewer_and_csrf(request)[1])
    except WindowRefused as refusal:
        return await _refused(request, refusal)
    log.info("maintenance window %s cancelled by %s", number, viewer.author)
    raise web.HTTPSeeOther(f"/maintenance/{number}")


async def window_page(request: web.Request) -> web.Response:
    """GET /maintenance/<id>: who made the window, when it runs, what it silenced."""
    web_ = web_context(request)
    viewer, csrf = viewer_and_csrf(request)
    if await guest_viewer(request, viewer):
        return _guests_refused(request, viewer, csrf)
    number = parse_bounded_int(request.match_info["window"], 1, MAX_WINDOW_ID)
    window, silenced = await window_and_silenced(web_.services, number or 0)
    if window is None:
        return render_page(
            request, "web/error.html.j2", status=404, problem="no_window", viewer=viewer, csrf=csrf
        )
    return render_page(
        request,
        "web/maintenance_window.html.j2",
        viewer=viewer,
        csrf=csrf,
        window=window,
        silenced=silenced,
        active=is_active(window, web_.services.clock()),
        open=_open(window, web_.services.clock()),
        zone=web_.settings.incidents.timezone,
        names=await _names(web_, [window.created_by, window.cancelled_by or ""]),
    )


async def _render_list(
    request: web.Request,
    *,
    refused: str | None = None,
    form: dict[str, str] | None = None,
    bad: str = "",
    status: int = 200,
) -> web.Response:
    web_ = web_context(request)
    viewer, csrf = viewer_and_csrf(request)
    # Every handler refused a guest before (guest_viewer asks Slack afresh): the list is read
    # for the viewer as for the operator.
    windows = await list_windows(web_.services, by=None, past=True)
    now = web_.services.clock()
    return render_page(
        request,
        "web/maintenance.html.j2",
        status=status,
        viewer=viewer,
        csrf=csrf,
        windows=[
            (
                window,
                count,
                is_active(window, now),
                window.cancelled_at is None and window.ends_at > now,
            )
            for window, count in reversed(windows)
        ],
        refused=refused,
        form=form or {},
        bad=bad,
        names=await _names(web_, [window.created_by for window, _ in windows]),
        zone=web_.settings.incidents.timezone,
    )


async def _refused(
    request: web.Request,
    refusal: WindowRefused,
    *,
    form: dict[str, str] | None = None,
) -> web.Response:
    """A window refused: one the viewer has no right to, the list again with
    who may (403); anything else typed wrong, the list again with why (400)."""
    why = refusal.context.get("why")
    web_ = web_context(request)
    owners = refusal.context.get("owners", {})
    people = [*refusal.context.get("people", ()), *(p for some in owners.values() for p in some)]
    said = refusal_words(web_.services.renderer, refusal, await _names(web_, people))
    status = 403 if why == "not_allowed" else 400
    field = refusal.context.get("side") or FIELD_OF_REFUSAL.get(str(why), "")
    shown = {"refused": said, "form": form or {}, "bad": field if form is not None else ""}
    raise await refused_back(request, page_viewer(request), "/maintenance", shown, status=status)


def _guests_refused(request: web.Request, viewer: Viewer, csrf: str) -> web.Response:
    return guests_refused(request, "maintenance_guests", viewer=viewer, csrf=csrf)


def _open(window: MaintenanceWindow, now: datetime) -> bool:
    """Whether the window may still be cancelled: not cancelled, not over."""
    return window.cancelled_at is None and window.ends_at > now


async def _names(web_: WebContext, people: list[str]) -> dict[str, str]:
    """The names the record keeps for those who made or cancelled windows (no Slack call)."""
    async with session_scope(web_.services.engine) as session:
        return await known_names(session, {person for person in people if person})


def _text(value: object, *, whole: bool = False) -> str:
    """A form field as text (a file upload or a missing field: empty), at most 500 characters
    unless ``whole`` (the form's size is bounded by ``read_form``)."""
    if not isinstance(value, str):
        return ""
    return value if whole else value[:500]
