"""Reminders: an open incident with no stakeholder update for a while nudges its lead, and one
whose type requires roles (WARROOM_INCIDENT_TYPES) says so until someone holds each of them.

An update is due by the incident's severity and status (WARROOM_UPDATE_INTERVALS, else
WARROOM_UPDATE_REMINDER, 30 minutes unless set; ``IncidentSettings.update_due_at``, the rule
the web list's "update overdue" follows too). The job looks again at least every shortest
interval, so a change of severity or status is heard within it. The roles reminder goes by
WARROOM_UPDATE_REMINDER: first due one interval after the declaration.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.durations import duration_text
from bot.flows.channel import say
from bot.record.incident import roles
from bot.services import Services
from bot.store import jobs
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import Incident, Job

# Roles a type requires are reminded of even with update reminders off (the type asks).
DEFAULT_ROLE_INTERVAL = timedelta(minutes=30)


async def schedule_update_reminder(
    session: AsyncSession, services: Services, incident: Incident, *, reopened: bool = False
) -> None:
    """Start checking the incident for stale updates (the caller commits).

    A reopened incident starts again: its first reminder is one interval from now.
    """
    incidents = services.settings.incidents
    interval = incidents.shortest_update_interval()
    if interval is None:
        return
    key = f"reminder:{incident.id}"
    if reopened:
        due_at = services.clock() + interval
        await jobs.reschedule(
            session, kind=JobKind.UPDATE_REMINDER, key=key, due_at=due_at, incident_id=incident.id
        )
        return
    soonest = incident.declared_at + interval
    await jobs.schedule(
        session,
        kind=JobKind.UPDATE_REMINDER,
        key=key,
        # No later than the shortest interval: a severity raised meanwhile is heard.
        due_at=min(incidents.update_due_at(incident) or soonest, soonest),
        incident_id=incident.id,
    )


async def remind_about_updates(services: Services, job: Job) -> datetime | None:
    """The job handler: remind if the update is overdue; come back when the next is due, or
    sooner (the shortest interval) in case the severity or status changes meanwhile."""
    incidents = services.settings.incidents
    shortest = incidents.shortest_update_interval()
    async with session_scope(services.engine) as session:
        incident = await session.get(Incident, job.incident_id)
    if shortest is None or incident is None or not incident.is_open or not incident.channel_id:
        return None
    now = services.clock()
    due = incidents.update_due_at(incident)
    if due is None or now < due:
        return min(due or now + shortest, now + shortest)
    interval = incidents.update_interval(incident.severity, incident.status)
    await say(
        services,
        incident,
        "messages/update_reminder.j2",
        last_update=incident.last_update_at,
        interval=duration_text(interval or shortest),
    )
    return now + (interval or shortest)


def _role_interval(services: Services) -> timedelta:
    return services.settings.incidents.update_reminder or DEFAULT_ROLE_INTERVAL


async def schedule_role_reminder(
    session: AsyncSession, services: Services, incident: Incident
) -> None:
    """Start reminding of the roles the incident's type requires, if it requires any (the
    caller commits): one interval from now, also for a type given later."""
    kind = services.settings.incidents.types.get(incident.incident_type)
    if kind is None or not kind.required_roles:
        return
    await jobs.reschedule(
        session,
        kind=JobKind.ROLE_REMINDER,
        key=f"roles:{incident.id}",
        due_at=services.clock() + _role_interval(services),
        incident_id=incident.id,
    )


async def missing_roles(session: AsyncSession, services: Services, incident: Incident) -> list[str]:
    """The roles the incident's type requires that nobody holds yet."""
    kind = services.settings.incidents.types.get(incident.incident_type)
    if kind is None:
        return []
    return kind.unheld(incident.commander, await roles.roles_of(session, incident.id or 0))


async def remind_about_roles(services: Services, job: Job) -> datetime | None:
    """The job handler: name the required roles nobody holds; done once all are held."""
    async with session_scope(services.engine) as session:
        incident = await session.get(Incident, job.incident_id)
        missing = await missing_roles(session, services, incident) if incident else []
    if incident is None or not incident.is_open or not incident.channel_id or not missing:
        return None
    await say(services, incident, "messages/role_reminder.j2", missing=missing)
    return services.clock() + _role_interval(services)
