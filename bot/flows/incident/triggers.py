"""Where the flows start workflows: in the transaction of the change that starts them
(bot/record/workflows/runs.py schedules their actions as jobs)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.workflows import runs as workflow_runs
from bot.record.workflows.definitions import DECLARED, STATUS_CHANGED
from bot.services import Services
from bot.store.models import Incident, TimelineKind


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
        settings.workflows.definitions,
        settings.incidents.types,
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
    kind: TimelineKind,
    *parts: str,
) -> None:
    """A change just recorded (its timeline entry of ``kind`` written in this session): its
    event is named by its place among the incident's changes of that kind, and ``parts``."""
    event = await workflow_runs.change_event(session, incident, kind, *parts)
    await started(session, services, incident, trigger, event=event)


async def declared(session: AsyncSession, services: Services, incident: Incident) -> None:
    """An incident's war room is open: its ``incident.declared`` workflows and its timers."""
    await started(session, services, incident, DECLARED, event="declared")
    await workflow_runs.start_timers(session, services.settings.workflows.definitions, incident)


async def status_entered(
    session: AsyncSession, services: Services, incident: Incident, *, at: datetime
) -> None:
    """The incident's status changed at ``at``: its ``incident.status_changed`` workflows, and
    the timers counting in the new status start from ``at`` (the caller commits)."""
    stint = await workflow_runs.change_event(session, incident, TimelineKind.STATUS)
    await started(session, services, incident, STATUS_CHANGED, event=f"{stint}:{incident.status}")
    await workflow_runs.status_timers(
        session, services.settings.workflows.definitions, incident, since=at, stint=stint
    )
