"""Update reminders: an open incident with no stakeholder update for a while nudges its lead."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.durations import duration_text
from bot.flows.channel import say
from bot.services import Services
from bot.store import jobs
from bot.store.db import session_scope
from bot.store.models import Incident, Job

REMINDER_JOB = "update_reminder"


async def schedule_update_reminder(
    session: AsyncSession, services: Services, incident: Incident, *, reopened: bool = False
) -> None:
    """Start checking the incident for stale updates (the caller commits).

    A reopened incident starts again: its first reminder is one interval from now.
    """
    interval = services.settings.update_reminder
    if interval is None:
        return
    key = f"reminder:{incident.id}"
    if reopened:
        due_at = services.clock() + interval
        await jobs.reschedule(
            session, kind=REMINDER_JOB, key=key, due_at=due_at, incident_id=incident.id
        )
        return
    await jobs.schedule(
        session,
        kind=REMINDER_JOB,
        key=key,
        due_at=incident.declared_at + interval,
        incident_id=incident.id,
    )


async def remind_about_updates(services: Services, job: Job) -> datetime | None:
    """The job handler: remind if the last update is too old; come back when the next is due."""
    interval = services.settings.update_reminder
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
