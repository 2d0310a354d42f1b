"""GET /follow-ups: the follow-ups not done yet of every incident the viewer may see, overdue
first, each with its owner, its due date (relative, and in the viewer's zone), its tracker
issue and its incident; ``?mine=1`` or ``?owner=<user id>`` keeps one person's. *Mark done*
(POST /incidents/<ref>/follow-ups/<id>/done) is offered to the owner and to those who may
edit the incident's postmortem, as the reminder's button in Slack does it; a follow-up
possibly the same as another of its incident says so, with a form button that merges the two
(POST /incidents/<ref>/follow-ups/merge, with the page's CSRF token, for those who may edit
the incident's postmortem and are not guests of the workspace)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from aiohttp import web
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.errors import BotError
from bot.basics.slack_patterns import USER_ID
from bot.flows.follow_ups.merging import merge_follow_ups
from bot.flows.follow_ups.owners import mark_follow_up_done
from bot.flows.rights import NotTheirs
from bot.record.follow_ups.follow_up_merges import MergeRefused, same_pairs
from bot.record.follow_ups.follow_ups import OpenFollowUp, follow_up_ref
from bot.record.people import known_names
from bot.store.db import session_scope
from bot.store.models import ActionItem, TrackerIssue
from bot.web.auth import csrf_token, guest_viewer, page_viewer, with_session
from bot.web.context import WebContext, web_context
from bot.web.notices import forget, once_of, refused_back
from bot.web.pages_common import ZONE_REFUSED, not_allowed, render_page, viewer_zone
from bot.web.reading import (
    id_in_address,
    open_follow_ups_for,
    own_zone,
    posted_about_incident,
    team_of,
)
from bot.web.visibility import Viewer

log = logging.getLogger(__name__)
# A follow-up ref as a form sends it: ``action_item:7`` or ``timeline_entry:12``.
REF_MAX = 40


async def follow_ups_page(request: web.Request) -> web.Response:
    """The open follow-ups (``?mine=1``: the viewer's own; ``?owner=<user id>``: that
    person's), overdue first, then by due date, then those without one."""
    web_ = web_context(request)
    viewer = with_session(request, page_viewer(request))
    team_id = await team_of(request, web_, viewer)
    every = await open_follow_ups_for(web_, viewer, team_id)
    mine = request.query.get("mine") == "1" and bool(viewer.user_id)
    asked = (request.query.get("owner") or "").strip().upper()[:20]
    owner = viewer.user_id if mine else (asked if USER_ID.match(asked) else None)
    rows = [row for row in every if owner is None or row.item.owner == owner]
    now = web_.services.clock()
    once = await once_of(request, viewer)
    owners: set[str] = {found for row in every if (found := row.item.owner)}
    async with session_scope(web_.services.engine) as session:
        names = await known_names(session, owners | ({owner} if owner else set()))
        issues = await _issues(session, rows)
    default_zone = await own_zone(web_, viewer) or web_.settings.incidents.timezone
    zone, unknown_zone = viewer_zone(request.query.get("tz"), default_zone)
    csrf = csrf_token(request, viewer)
    page = render_page(
        request,
        "web/follow_ups.html.j2",
        viewer=viewer,
        csrf=csrf,
        rows=rows,
        overdue=[row for row in rows if row.overdue(now)],
        names=names,
        owners=sorted(owners, key=lambda user: str(names.get(user, user)).casefold()),
        owner=owner,
        issues=issues,
        relative=lambda due: relative_to(due, now),
        may_mark=bool(csrf) and not viewer.guest,
        now=now,
        zone=zone,
        unknown_zone=unknown_zone,
        status=ZONE_REFUSED if unknown_zone else once.status,
        mine=mine,
        same=await _possibly_same(web_, rows),
        not_merged=once.words("merge"),
    )
    forget(request, page)
    return page


def relative_to(due: datetime, now: datetime) -> tuple[int, str, bool]:
    """How far ``due`` is from ``now``, to its largest unit, for the template to say in words
    ("in 3 days", "2 hours ago"): the count, the unit (``week``, ``day``, ``hour``; ``""``
    under an hour) and whether it is still to come."""
    seconds = (due - now).total_seconds()
    left = abs(seconds)
    for size, unit in ((86400 * 7, "week"), (86400, "day"), (3600, "hour")):
        if left >= size:
            return int(left // size), unit, seconds > 0
    return 0, "", seconds > 0


async def _issues(session: AsyncSession, rows: Sequence[OpenFollowUp]) -> dict[int, TrackerIssue]:
    """Each listed follow-up's tracker issue, by the follow-up's id, in one query."""
    refs = {f"action_item:{row.item.id}": row.item.id for row in rows if row.item.id}
    if not refs:
        return {}
    statement = select(TrackerIssue).where(col(TrackerIssue.follow_up).in_(list(refs)))
    found = (await session.exec(statement)).all()
    return {refs[issue.follow_up]: issue for issue in found if refs.get(issue.follow_up)}


async def mark_done_form(request: web.Request) -> web.Response:
    """POST /incidents/<ref>/follow-ups/<id>/done: the follow-up marked done, by its owner or
    someone who may edit the incident's postmortem; back to the list."""
    web_, viewer, form, incident, incident_id = await posted_about_incident(request)
    item_id = id_in_address(request, "item", "No such follow-up\n")
    async with session_scope(web_.services.engine) as session:
        item = await session.get(ActionItem, item_id)
    if item is None or item.incident_id != incident_id:
        raise web.HTTPNotFound(text="No such follow-up\n")
    owner = bool(viewer.user_id) and item.owner == viewer.user_id
    if await guest_viewer(request, viewer) or not (
        owner or await web_.visibility.can_edit(viewer, incident)
    ):
        return not_allowed(request, incident)
    said = await mark_follow_up_done(
        web_.services, item_id=item.id or 0, by=viewer.author, channel=None, message_ts=None
    )
    if said is None:
        log.info("%s: follow-up %s marked done by %s", incident.reference, item.id, viewer.author)
    back = "/follow-ups" + ("?mine=1" if form.get("mine") == "1" else "")
    raise web.HTTPSeeOther(back)


async def _possibly_same(
    web_: WebContext, rows: Sequence[OpenFollowUp]
) -> dict[str, tuple[str, str]]:
    """For each listed follow-up (by ref), another of its incident it is possibly the same
    as: its ref and text (bot/record/follow_ups/follow_up_merges.py, ``same_pairs``)."""
    async with session_scope(web_.services.engine) as session:
        pairs = await same_pairs(session, (row.item.incident_id for row in rows))
    return {
        ref: (follow_up_ref(pair.other(ref)), pair.other(ref).text) for ref, pair in pairs.items()
    }


async def merge_form(request: web.Request) -> web.Response:
    """POST /incidents/<ref>/follow-ups/merge: the two follow-ups (``first``, ``second``)
    made one task; back to the follow-ups, or a page that says why not."""
    web_, viewer, form, incident, incident_id = await posted_about_incident(request)
    if await guest_viewer(request, viewer) or not await web_.visibility.can_edit(viewer, incident):
        return not_allowed(request, incident)
    first, second = (str(form.get(key) or "")[:REF_MAX] for key in ("first", "second"))
    try:
        await merge_follow_ups(
            web_.services, incident_id=incident_id, first=first, second=second, by=viewer.author
        )
    except NotTheirs:  # a guest Slack names now, the session being older
        return not_allowed(request, incident)
    except MergeRefused as refused:
        raise await _refused(request, web_, viewer, refused) from None
    log.info("%s: follow-ups merged by %s", incident.reference, viewer.author)
    raise web.HTTPSeeOther("/follow-ups")


async def _refused(
    request: web.Request, web_: WebContext, viewer: Viewer, error: BotError
) -> web.HTTPSeeOther:
    """A merge refused: back to the list, which says why once (a reload sends nothing)."""
    said = web_.services.renderer.render_plain(error.template, **error.context)
    detail = said.replace(":warning: ", "").replace("*", "")
    return await refused_back(request, viewer, "/follow-ups", {"merge": detail})
