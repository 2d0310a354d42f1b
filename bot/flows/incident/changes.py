"""Changing an incident mid-fight: lead, roles, severity, status, stakeholder updates.

Each change is recorded (with its timeline entry) before it is shown: a message in the
channel, and the topic and header brought up to date.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.errors import BotError
from bot.flows.channel import Lead, Writes, announce_failure, as_sent, lead_in
from bot.flows.escalation.levels import start_policy
from bot.flows.incident import triggers
from bot.flows.incident.declare import require_may_page
from bot.flows.incident.reminders import schedule_update_reminder
from bot.flows.incident.resolve import resolve_incident
from bot.flows.rights import require_if_public
from bot.record.incident import incidents, roles
from bot.record.status_page.publications import announce_status
from bot.record.workflows.definitions import ROLE_ASSIGNED, SEVERITY_CHANGED
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import Incident, OutboxMessage, Status, TimelineKind


class UpdateNotPosted(BotError):
    """The update is recorded, but Slack would not post it."""

    template = "messages/update_not_posted.j2"


async def set_lead(services: Services, *, channel_id: str, by: str, lead: str) -> Incident:
    """Make ``lead`` the incident commander."""
    named = Lead(lead, await services.slack.display_name(lead))
    async with session_scope(services.engine) as session:
        incident = await incidents.locked_in_channel(session, channel_id)
        previous = await roles.set_commander(
            session, incident, user_id=lead, by=by, at=services.clock()
        )
        await triggers.changed(
            session, services, incident, ROLE_ASSIGNED, TimelineKind.COMMANDER, lead
        )
        writes = Writes(services, session, incident)
        await writes.invite([lead])
        await writes.say("messages/lead_changed.j2", by=by, previous=previous)
        await writes.header(named)
        await session.commit()
    await writes.send()
    return incident


async def give_role(
    services: Services, *, channel_id: str, by: str, role: str, holder: str
) -> Incident:
    """Give one of the incident's roles (comms, scribe, ...) to ``holder``."""
    lead = await lead_in(services, channel_id)
    async with session_scope(services.engine) as session:
        incident = await incidents.locked_in_channel(session, channel_id)
        previous = await roles.assign_role(
            session, incident, role=role, user_id=holder, by=by, at=services.clock()
        )
        await triggers.changed(
            session, services, incident, ROLE_ASSIGNED, TimelineKind.ROLE, role, holder
        )
        writes = Writes(services, session, incident)
        await writes.invite([holder])
        await writes.say(
            "messages/role_assigned.j2", role=role, holder=holder, by=by, previous=previous
        )
        await writes.header(lead)
        await session.commit()
    await writes.send()
    return incident


async def change_severity(
    services: Services, *, channel_id: str, by: str, severity: str
) -> Incident:
    """Raise or lower the severity; into a severity with a policy, the policy starts."""
    await require_may_page(services, by, severity=severity, kind=None)
    await require_if_public(services, by, channel_id)
    lead = await lead_in(services, channel_id)
    async with session_scope(services.engine) as session:
        incident = await incidents.locked_in_channel(session, channel_id)
        previous = await incidents.set_severity(
            session, incident, severity=severity, by=by, at=services.clock()
        )
        # In the same transaction: the policy starts even if Slack fails below.
        await start_policy(session, services, incident)
        await triggers.changed(
            session, services, incident, SEVERITY_CHANGED, TimelineKind.SEVERITY, severity
        )
        writes = Writes(services, session, incident)
        await writes.say("messages/severity_changed.j2", by=by, previous=previous)
        await writes.header(lead)
        await session.commit()
    services.wake_jobs()
    await writes.send()
    return incident


async def change_status(
    services: Services, *, channel_id: str, by: str, status: Status
) -> Incident:
    """Move the incident's status, forwards or back; ``resolved`` resolves it."""
    if status == Status.RESOLVED:
        return await resolve_incident(services, channel_id=channel_id, resolved_by=by, summary="")
    await require_if_public(services, by, channel_id)
    lead = await lead_in(services, channel_id)
    async with session_scope(services.engine) as session:
        incident = await incidents.locked_in_channel(session, channel_id)
        now = services.clock()
        previous = await incidents.set_status(session, incident, status=status, by=by, at=now)
        await announce_status(session, incident, at=now)
        if previous == Status.RESOLVED:
            await schedule_update_reminder(session, services, incident, reopened=True)
        await triggers.status_entered(session, services, incident, at=now)
        writes = Writes(services, session, incident)
        await writes.say("messages/status_changed.j2", by=by, previous=previous)
        await writes.header(lead)
        await session.commit()
    services.wake_jobs()
    await writes.send()
    return incident


@dataclass(frozen=True)
class UpdatePosted:
    incident: Incident
    # Slack's answer when the update waits in the outbox to be posted in the channel.
    waiting: str | None
    # Slack's error when the announcement channel would not take it.
    announce_error: str | None


async def post_update(services: Services, *, channel_id: str, by: str, text: str) -> UpdatePosted:
    """Post a stakeholder update in the channel and the announcement channel."""
    async with session_scope(services.engine) as session:
        incident = await incidents.incident_in_channel(session, channel_id)
        posted = await keep_update(session, services, incident, text=text, by=by)
        await session.commit()
    return await posted.send()


@dataclass(frozen=True)
class KeptUpdate:
    """A stakeholder update recorded with its messages; sent once its transaction commits."""

    services: Services
    incident: Incident
    writes: Writes
    shown: OutboxMessage
    announced: OutboxMessage | None

    async def send(self) -> UpdatePosted:
        """Send the update's messages, and say how they went."""
        await self.writes.send()
        shown = await as_sent(self.services, self.shown)
        if shown.gave_up_at is not None:
            raise UpdateNotPosted(error=shown.last_error)
        announce_error = await announce_failure(self.services, self.incident, self.announced)
        # Not sent yet: Slack refused it for now, or it waits behind the channel's earlier writes.
        waiting = (shown.last_error or "queued") if shown.sent_at is None else None
        return UpdatePosted(self.incident, waiting, announce_error)


async def keep_update(
    session: AsyncSession, services: Services, incident: Incident, *, text: str, by: str
) -> KeptUpdate:
    """Record a stakeholder update and keep its messages in the caller's transaction."""
    await incidents.record_update(session, incident, text=text, by=by, at=services.clock())
    writes = Writes(services, session, incident)
    template = "messages/status_update.j2"
    shown = await writes.say(template, text=text, by=by, announced=False)
    announced = await writes.announce(template, text=text, by=by, announced=True)
    return KeptUpdate(services, incident, writes, shown, announced)
