"""Resolving an incident; the postmortem draft is written from its record once it is."""

from __future__ import annotations

from bot.flows.channel import announce, refresh_channel_header, say
from bot.flows.escalation import stand_down
from bot.postmortem.posting import schedule_publication
from bot.record import incidents
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import Incident


async def resolve_incident(
    services: Services, *, channel_id: str, resolved_by: str, summary: str
) -> Incident:
    """Resolve the channel's incident, stand its escalations down, have the draft posted."""
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
    services.wake_jobs()
    await say(services, incident, "messages/incident_resolved.j2", resolved_by=resolved_by)
    await schedule_publication(services, incident, by=resolved_by)
    await refresh_channel_header(services, incident)
    await announce(services, incident, "messages/announce_resolved.j2", resolved_by=resolved_by)
    return incident
