"""Resolving an incident, and the postmortem draft written from its record."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import escalations, incidents, roles, timeline
from bot.db import session_scope
from bot.flows.channel import announce, refresh_channel_header, say
from bot.flows.escalation import stand_down
from bot.models import Incident
from bot.services import Services


async def resolve_incident(
    services: Services, *, channel_id: str, resolved_by: str, summary: str
) -> Incident:
    """Resolve the channel's incident, stand its escalations down, post the postmortem draft."""
    async with session_scope(services.engine) as session:
        incident = await incidents.incident_in_channel(session, channel_id)
        await incidents.resolve_incident(
            session,
            incident,
            resolved_by=resolved_by,
            resolved_at=services.clock(),
            summary=summary,
        )
        await stand_down(session, incident, services.clock())
        await session.commit()
        record = await _record(session, incident)
    services.wake_jobs()
    await say(services, incident, "messages/incident_resolved.j2", resolved_by=resolved_by)
    await say(services, incident, "messages/postmortem_draft.j2", **record)
    await refresh_channel_header(services, incident)
    await announce(services, incident, "messages/announce_resolved.j2", resolved_by=resolved_by)
    return incident


async def postmortem_markdown(services: Services, incident_id: int) -> str:
    """The postmortem draft of an incident as Markdown, from the record as it stands."""
    async with session_scope(services.engine) as session:
        incident = await session.get(Incident, incident_id)
        if incident is None:
            raise LookupError(f"no incident with id {incident_id}")
        record = await _record(session, incident)
    return services.renderer.render("postmortem.md.j2", incident=incident, **record)


async def _record(session: AsyncSession, incident: Incident) -> dict[str, Any]:
    """What a draft is written from."""
    incident_id = incident.id or 0
    return {
        "entries": await timeline.entries(session, incident_id),
        "escalations": await escalations.escalations_of(session, incident_id),
        "roles": await roles.roles_of(session, incident_id),
    }
