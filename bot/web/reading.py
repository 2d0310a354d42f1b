"""What pages and the API read, always through the viewer's visibility."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, TypeVar

from aiohttp import web
from multidict import MultiDictProxy

from bot.basics.logs import bind_incident
from bot.basics.numbers import DATABASE_ID_MAX, parse_bounded_int
from bot.record.follow_ups.follow_ups import OpenFollowUp, open_follow_ups
from bot.record.incident.queries import (
    IncidentPage,
    IncidentQuery,
    IncidentSummary,
    Summarised,
    find_incidents,
    incident_by_number,
    latest_team,
    matches,
    parse_reference,
)
from bot.record.people import known_zones
from bot.record.postmortem.timeline_page import TimelinePage, read_timeline_page
from bot.record.postmortem.written import WrittenDraft, read_draft
from bot.store.db import session_scope
from bot.store.models import Incident
from bot.web.auth import check_csrf, page_viewer
from bot.web.context import WebContext, web_context
from bot.web.pages_common import read_form
from bot.web.visibility import Viewer

S = TypeVar("S", bound=Summarised)


class NotVisible(LookupError):
    """No such incident, or not one this viewer may see: both answer 404, so a private
    incident's existence is not given away."""


async def team_of(request: web.Request, web_: WebContext, viewer: Viewer) -> str:
    """The workspace whose incidents are shown: the viewer's own; for the API token or with
    sign-in off, ``?team=`` or the bot's workspace: as Slack said it (asked in the background
    from start-up, see context.py), else the latest incident's. A page never waits on Slack:
    with neither known there is no incident stored, so nothing to show in any workspace."""
    if viewer.team_id:
        return viewer.team_id
    asked = request.query.get("team")
    if asked:
        return asked
    if web_.services.slack.known_team_id:
        return web_.services.slack.known_team_id
    async with session_scope(web_.services.engine) as session:
        return await latest_team(session) or ""


async def own_zone(web_: WebContext, viewer: Viewer) -> str | None:
    """The signed-in person's time zone as Slack gave it (kept with their name), if known:
    the zone a page shows times in for them. None for the API token, local use, or a person
    whose zone was never seen."""
    if not viewer.user_id:
        return None
    async with session_scope(web_.services.engine) as session:
        return (await known_zones(session, [viewer.user_id])).get(viewer.user_id)


# Slack is asked about at most this many channels for one list (a page and the next one's
# first incident); the rest unknown stay hidden until asked on their own page.
MAX_LOOK_UPS = 50


async def incidents_for(web_: WebContext, viewer: Viewer, query: IncidentQuery) -> IncidentPage:
    """One page of the incidents the viewer may see. Slack is asked only about the channels
    of the incidents that could be on this page (the database and recent answers first)."""
    if viewer.sees_everything:
        async with session_scope(web_.services.engine) as session:
            return await find_incidents(session, query, private_ids=None)
    async with session_scope(web_.services.engine) as session:
        ordered = await matches(session, query, private_only=False)
    # The incidents that could be on this page or before it, and one more for the next page.
    position = {i.id: n for n, i in enumerate(ordered[: query.page * query.per_page + 1])}
    candidates = [i for i in ordered if i.is_private or viewer.guest]
    needed = sorted((i.id for i in candidates if i.id in position), key=position.__getitem__)
    ask_for = set(needed[-min(query.per_page + 1, MAX_LOOK_UPS) :])
    # Asked of Slack with no session open: the database is not held while Slack answers.
    visible = await web_.visibility.visible(viewer, candidates, ask_for=ask_for)
    async with session_scope(web_.services.engine) as session:
        return await find_incidents(
            session, query, private_ids=visible, public_too=not viewer.guest
        )


async def all_incidents_for(
    web_: WebContext, viewer: Viewer, query: IncidentQuery
) -> list[IncidentSummary]:
    """Every incident the filters match that the viewer may see (for the insights): one read
    of the matches and one look at who may see which, not one of each per page of a thousand
    (which read every match again for each page). Slack is asked about the newest
    ``MAX_LOOK_UPS`` unknown ones at most; the rest unknown stay out, as on the list."""
    async with session_scope(web_.services.engine) as session:
        ordered = await matches(session, query, private_only=False)
    return await seen_of(web_, viewer, ordered)


async def seen_of(web_: WebContext, viewer: Viewer, ordered: Sequence[S]) -> list[S]:
    """The incidents of ``ordered`` the viewer may see, in their order: private ones (every
    one for a guest) only to their channel's people. Slack is asked about the first
    ``MAX_LOOK_UPS`` unknown ones at most; the rest unknown stay out, as on the list."""
    if viewer.sees_everything:
        return list(ordered)
    candidates = [i for i in ordered if i.is_private or viewer.guest]
    ask_for = {i.id for i in candidates[:MAX_LOOK_UPS] if i.id is not None}
    visible = await web_.visibility.visible(viewer, candidates, ask_for=ask_for)
    return [i for i in ordered if i.id in visible or not (i.is_private or viewer.guest)]


async def incident_for(web_: WebContext, viewer: Viewer, team_id: str, reference: str) -> Incident:
    number = parse_reference(reference)
    if number is None:
        raise NotVisible(reference)
    async with session_scope(web_.services.engine) as session:
        incident = await incident_by_number(session, team_id, number)
    if incident is None or not await web_.visibility.can_see(viewer, incident):
        raise NotVisible(reference)
    bind_incident(incident.reference)
    return incident


async def requested_incident(
    request: web.Request, web_: WebContext, viewer: Viewer
) -> tuple[Incident, int]:
    """The incident the address names (``/incidents/{reference}``), if the viewer may see it,
    and its id; NotVisible otherwise."""
    team_id = await team_of(request, web_, viewer)
    incident = await incident_for(web_, viewer, team_id, request.match_info["reference"])
    assert incident.id is not None
    return incident, incident.id


async def posted_about_incident(
    request: web.Request,
) -> tuple[WebContext, Viewer, MultiDictProxy[Any], Incident, int]:
    """A form posted about the incident the address names: the page's context, who sent it
    (its CSRF token checked: 403 otherwise), its fields, and the incident and its id if the
    viewer may see it (NotVisible otherwise). Whether they may change it is the caller's."""
    web_ = web_context(request)
    viewer = page_viewer(request)
    form = await read_form(request)
    check_csrf(request, viewer, form.get("csrf"))
    incident, incident_id = await requested_incident(request, web_, viewer)
    return web_, viewer, form, incident, incident_id


def id_in_address(request: web.Request, name: str, missing: str) -> int:
    """The database id the address gives as ``{name}`` (``/notes/{note}/accept``); 404 with
    ``missing`` when it is not one."""
    found = parse_bounded_int(request.match_info[name], 1, DATABASE_ID_MAX)
    if found is None:
        raise web.HTTPNotFound(text=missing)
    return found


async def incident_draft(web_: WebContext, incident_id: int, *, places: str = "") -> WrittenDraft:
    """The incident's postmortem draft as the record stands: people by the names the record
    knows (a page never asks Slack), in the incident's template, else the settings'.
    ``places``: the token the draft's page finds each written section by (``Draft.places``)."""
    services, settings = web_.services, web_.settings
    return await read_draft(
        services.engine,
        services.renderer,
        incident_id,
        language=settings.incidents.language,
        style=settings.incidents.postmortem_style,
        now=services.clock(),
        types=settings.incidents.types,
        places=places,
        catalog=settings.alerting.catalog,
    )


async def incident_timeline_page(
    web_: WebContext, incident_id: int, *, start: int, size: int, hidden: Collection[str] = ()
) -> TimelinePage:
    """A page of the incident's timeline and the draft's facts, as ``incident_draft`` would
    give them, without reading the rest of the timeline (the incident page)."""
    services, settings = web_.services, web_.settings
    return await read_timeline_page(
        services.engine,
        services.renderer,
        incident_id,
        start=start,
        size=size,
        language=settings.incidents.language,
        style=settings.incidents.postmortem_style,
        now=services.clock(),
        types=settings.incidents.types,
        hidden=hidden,
        orders=web_.curated,
    )


async def open_follow_ups_for(web_: WebContext, viewer: Viewer, team_id: str) -> list[OpenFollowUp]:
    """The workspace's follow-ups not done yet, of the incidents the viewer may see: one look
    at who may see which, Slack asked about the newest ``MAX_LOOK_UPS`` unknown ones at most
    (the rest unknown stay out, as on the list)."""
    async with session_scope(web_.services.engine) as session:
        found = await open_follow_ups(session, team_id=team_id)
    if viewer.sees_everything:
        return found
    incidents = {row.incident.id: row.incident for row in found}.values()
    candidates = sorted(
        (i for i in incidents if i.is_private or viewer.guest),
        key=lambda incident: incident.declared_at,
        reverse=True,
    )
    ask_for = {i.id for i in candidates[:MAX_LOOK_UPS] if i.id is not None}
    visible = await web_.visibility.visible(viewer, candidates, ask_for=ask_for)
    return [
        row
        for row in found
        if row.incident.id in visible or not (row.incident.is_private or viewer.guest)
    ]
