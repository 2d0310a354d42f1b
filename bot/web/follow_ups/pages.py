"""GET /follow-ups: the follow-ups not done yet of every incident the viewer may see, overdue
first, each with its owner, its due date in its incident's zone, and its incident; a follow-up
possibly the same as another of its incident says so, with a form button that merges the two
(POST /incidents/<ref>/follow-ups/merge, with the page's CSRF token, for those who may edit
the incident's postmortem and are not guests of the workspace)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiohttp import web

from bot.basics.errors import BotError
from bot.flows.follow_ups.merging import merge_follow_ups
from bot.record.follow_up_merges import MergeRefused, same_pairs
from bot.record.follow_ups import OpenFollowUp, follow_up_ref
from bot.record.people import known_names
from bot.store.db import session_scope
from bot.web.auth import check_csrf, csrf_token, guest_viewer, page_viewer, with_session
from bot.web.context import WebContext, web_context
from bot.web.pages_common import not_allowed, read_form, render_page
from bot.web.reading import open_follow_ups_for, requested_incident, team_of
from bot.web.visibility import Viewer

log = logging.getLogger(__name__)
# A follow-up ref as a form sends it: ``action_item:7`` or ``timeline_entry:12``.
REF_MAX = 40


async def follow_ups_page(request: web.Request) -> web.Response:
    """The open follow-ups (``?mine=1``: the viewer's own), overdue first, then by due date,
    then those without one."""
    web_ = web_context(request)
    viewer = with_session(request, page_viewer(request))
    team_id = await team_of(request, web_, viewer)
    rows = await open_follow_ups_for(web_, viewer, team_id)
    mine = request.query.get("mine") == "1" and bool(viewer.user_id)
    if mine:
        rows = [row for row in rows if row.item.owner == viewer.user_id]
    now = web_.services.clock()
    async with session_scope(web_.services.engine) as session:
        names = await known_names(session, {row.item.owner for row in rows if row.item.owner})
    return render_page(
        request,
        "web/follow_ups.html.j2",
        viewer=viewer,
        csrf=csrf_token(request, viewer),
        rows=rows,
        overdue=[row for row in rows if row.overdue(now)],
        names=names,
        now=now,
        mine=mine,
        same=await _possibly_same(web_, rows),
    )


async def _possibly_same(
    web_: WebContext, rows: Sequence[OpenFollowUp]
) -> dict[str, tuple[str, str]]:
    """For each listed follow-up (by ref), another of its incident it is possibly the same
    as: its ref and text (bot/record/follow_up_merges.py, ``same_pairs``)."""
    async with session_scope(web_.services.engine) as session:
        pairs = await same_pairs(session, (row.item.incident_id for row in rows))
    return {
        ref: (follow_up_ref(pair.other(ref)), pair.other(ref).text) for ref, pair in pairs.items()
    }


async def merge_form(request: web.Request) -> web.Response:
    """POST /incidents/<ref>/follow-ups/merge: the two follow-ups (``first``, ``second``)
    made one task; back to the follow-ups, or a page that says why not."""
    web_ = web_context(request)
    viewer = page_viewer(request)
    form = await read_form(request)
    check_csrf(request, viewer, form.get("csrf"))
    incident, incident_id = await requested_incident(request, web_, viewer)
    if await guest_viewer(request, viewer) or not await web_.visibility.can_edit(viewer, incident):
        return not_allowed(request, incident)
    first, second = (str(form.get(key) or "")[:REF_MAX] for key in ("first", "second"))
    try:
        await merge_follow_ups(
            web_.services, incident_id=incident_id, first=first, second=second, by=viewer.author
        )
    except MergeRefused as refused:
        return _refused(request, web_, viewer, refused)
    log.info("%s: follow-ups merged by %s", incident.reference, viewer.author)
    raise web.HTTPSeeOther("/follow-ups")


def _refused(
    request: web.Request, web_: WebContext, viewer: Viewer, error: BotError
) -> web.Response:
    said = web_.services.renderer.render_plain(error.template, **error.context)
    detail = said.replace(":warning: ", "").replace("*", "")
    return render_page(
        request, "web/error.html.j2", status=400, problem="not_merged", detail=detail, viewer=viewer
    )
