"""Reminders: an open incident with no stakeholder update for a while nudges its lead, and one
whose type requires roles (WARROOM_INCIDENT_TYPES) says so until someone holds each of them.

Both are jobs on the same clock (WARROOM_UPDATE_REMINDER, 30 minutes unless set): the roles
reminder is first due one interval after the declaration, like the first update reminder.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.durations import duration_text
from bot.flows.channel import say
from bot.record import roles
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
    interval = services.settings.incidents.update_reminder
    if interval is None:
        return
    key = f"reminder:{incident.id}"
    if reopened:
        due_at = services.clock() + interval
        await jobs.reschedule(
            session, kind=JobKind.UPDATE_REMINDER, key=key, due_at=due_at, incident_id=incident.id
        )
        return
    await jobs.schedule(
        session,
        kind=JobKind.UPDATE_REMINDER,
        key=key,
        due_at=incident.declared_at + interval,
        incident_id=incident.id,
    )


async def remind_about_updates(services: Services, job: Job) -> datetime | None:
    """The job handler: remind if the last update is too old; come back when the next is due."""
    interval = services.settings.incidents.update_reminder
    async with session_scope(services.engine) as session:
        incident = await session.get(Incident, job.incident_id)
    if interval is None or incident is None or not incident.is_open or not incident.channel_id:
        return None
    last = incident.last_update_at or incident.declared_at
    now = services.clock()
    if now < last + interval:
        return last + interval
    await say(
        services,
        incident,
        "messages/update_reminder.j2",
        last_update=incident.last_update_at,
        interval=duration_text(interval),
    )
    return now + interval


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
