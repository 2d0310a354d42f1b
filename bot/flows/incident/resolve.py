"""Resolving an incident; the postmortem draft is written from its record once it is."""

from __future__ import annotations

from bot.flows.channel import Writes, lead_in
from bot.flows.escalation.acknowledging import stand_down
from bot.flows.incident import triggers
from bot.flows.incident.wrap_up import offer_wrap_up
from bot.flows.postmortem.lessons import schedule_lessons
from bot.flows.postmortem.posting import schedule_draft
from bot.flows.rights import require, require_if_public
from bot.record.incident import incidents
from bot.record.rights import Act
from bot.record.status_page.publications import announce_status
from bot.record.workflows.definitions import RESOLVED
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import Incident, TimelineKind


async def resolve_incident(
    services: Services, *, channel_id: str, resolved_by: str, summary: str
) -> Incident:
    """Resolve the channel's incident, stand its escalations down, have the draft posted.

    The resolution, the draft's job and the messages commit together: a crash between two
    commits would leave a resolved incident whose draft is never written. NotTheirs, before
    anything, for someone who may not silence the pages and spend the model (a guest).
    """
    await require(services, resolved_by, Act.RESOLVE)
    await require_if_public(services, resolved_by, channel_id)
    lead = await lead_in(services, channel_id)
    now = services.clock()
    async with session_scope(services.engine) as session:
        incident = await incidents.locked_in_channel(session, channel_id)
        await incidents.resolve_incident(
            session, incident, resolved_by=resolved_by, resolved_at=now, summary=summary
        )
        await announce_status(session, incident, at=now)
        await stand_down(session, incident, now)
        await triggers.changed(session, services, incident, RESOLVED, TimelineKind.RESOLVED)
        writes = Writes(services, session, incident)
        await writes.say("messages/incident_resolved.j2", resolved_by=resolved_by)
        await offer_wrap_up(writes)
        await schedule_draft(session, incident, by=resolved_by, now=now, ai=services.settings.ai)
        await schedule_lessons(session, services, incident)
        await writes.header(lead)
        await writes.announce("messages/announce_resolved.j2", resolved_by=resolved_by)
        await session.commit()
    # The messages first: the draft's summary follows them in the channel.
    await writes.send()
    services.wake_jobs()
    return incident
