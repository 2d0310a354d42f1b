"""Where the flows start workflows: in the transaction of the change that starts them
(bot/record/workflow_runs.py schedules their actions as jobs)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record import workflow_runs
from bot.record.workflows import DECLARED, STATUS_CHANGED
from bot.services import Services
from bot.store.models import Incident


async def started(
    session: AsyncSession,
    services: Services,
    incident: Incident,
    trigger: str,
    *,
    event: str,
    labels: Mapping[str, str] | None = None,
) -> None:
    """Schedule the workflows ``trigger`` starts for ``incident`` (the caller commits)."""
    settings = services.settings
    await workflow_runs.start(
        session,
        settings.workflows,
        settings.incident_types,
        incident,
        trigger,
        event=event,
        now=services.clock(),
        labels=labels,
    )


async def changed(
    session: AsyncSession,
    services: Services,
    incident: Incident,
    trigger: str,
    what: str,
    *parts: str,
) -> None:
    """A change made now: its event is named by ``what``, ``parts`` and the clock's instant."""
    event = workflow_runs.event_at(what, services.clock(), *parts)
    await started(session, services, incident, trigger, event=event)


async def declared(session: AsyncSession, services: Services, incident: Incident) -> None:
    """An incident's war room is open: its ``incident.declared`` workflows and its timers."""
    await started(session, services, incident, DECLARED, event="declared")
    await workflow_runs.start_timers(session, services.settings.workflows, incident)


async def status_entered(
    session: AsyncSession, services: Services, incident: Incident, *, at: datetime
) -> None:
    """The incident's status changed at ``at``: its ``incident.status_changed`` workflows, and
    the timers counting in the new status start from ``at`` (the caller commits)."""
    await changed(session, services, incident, STATUS_CHANGED, "status", incident.status)
    await workflow_runs.status_timers(session, services.settings.workflows, incident, since=at)
