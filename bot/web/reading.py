"""What pages and the API read, always through the viewer's visibility."""

from __future__ import annotations

from dataclasses import replace

from aiohttp import web

from bot.db import session_scope
from bot.incident_queries import (
    IncidentPage,
    IncidentQuery,
    find_incidents,
    incident_by_number,
    parse_reference,
    private_matches,
)
from bot.logs import bind_incident
from bot.models import Incident
from bot.web.context import WebContext
from bot.web.visibility import Viewer


class NotVisible(LookupError):
    """No such incident, or not one this viewer may see: both answer 404, so a private
    incident's existence is not given away."""


async def team_of(request: web.Request, web_: WebContext, viewer: Viewer) -> str:
    """The workspace whose incidents are shown: the viewer's own; for the API token or with
    sign-in off, ``?team=`` or the bot's workspace."""
    if viewer.team_id:
        return viewer.team_id
    asked = request.query.get("team")
    return asked if asked else await web_.services.slack.team_id()


async def incidents_for(web_: WebContext, viewer: Viewer, query: IncidentQuery) -> IncidentPage:
    private_ids = None
    if not viewer.sees_everything:
        async with session_scope(web_.services.engine) as session:
            candidates = await private_matches(session, query)
        # Asked of Slack with no session open: the database is not held while Slack answers.
        private_ids = await web_.visibility.visible_private(viewer, candidates)
    async with session_scope(web_.services.engine) as session:
        return await find_incidents(session, query, private_ids=private_ids)


async def all_incidents_for(
    web_: WebContext, viewer: Viewer, query: IncidentQuery
) -> list[Incident]:
    """Every incident the filters match that the viewer may see (for the insights)."""
    found: list[Incident] = []
    page = 1
    while True:
        batch = await incidents_for(web_, viewer, replace(query, page=page, per_page=1000))
        found.extend(batch.incidents)
        if page >= batch.pages:
            return found
        page += 1


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
