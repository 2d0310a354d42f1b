"""Workflows started: each matching workflow's actions become job rows, written in the same
transaction as the change that started them (the caller commits).

One job per action, keyed by the incident, the event, the workflow and the action's place
(``workflow:<incident>:<event>:<workflow>:<n>``): a change applied once schedules each
action once, on any replica, and a retried delivery of the change (refused as no change, or
deduplicated as a Slack event) schedules nothing more. The runner claims an incident's jobs
in the order they were written (``due_at``, then id), one at a time.

The event names the change by what it made and its place among the incident's changes of
that kind (``change_event``): ``declared``; ``severity#2:SEV1``; ``status#3:monitoring``;
``type#1:security``; ``field#4:customer_impact``; ``role#1:comms:U0ALICE``; ``resolved#1``;
``alert:<alert id>``; ``open_for`` for the timer. Never the clock: the same change seen
twice names the same event (its actions are scheduled once), two changes at one instant (a
test clock, a fast hand) name two, and a status stint's timer is keyed by the stint's place
(``status#3``). Changes take the incident's row lock, so two replicas take turns. A
timer's actions have one key per incident whichever status stint fires it: each timer
workflow runs at most once per incident.

**Loops.** A change a workflow makes never calls ``start`` (the workflow's handler writes the
record directly, with ``cause="workflow:<name>"``), and ``start`` refuses a cause of that form
anyway: a workflow's own changes start no workflow, its own included.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.incident import fields
from bot.record.incident.incident_types import IncidentTypes
from bot.record.workflows.conditions import Facts
from bot.record.workflows.definitions import OPEN_FOR, Workflow, Workflows
from bot.store import jobs
from bot.store.job_kinds import JobKind
from bot.store.models import Incident, TimelineEntry, TimelineKind

KINDS = (JobKind.WORKFLOW_ACTION, JobKind.WORKFLOW_WEBHOOK, JobKind.WORKFLOW_TIMER)
# Actions that call a service outside Slack: jobs of the webhooks' lane, retried with backoff.
CALLS_OUT = frozenset({"webhook", "teams"})


async def change_event(
    session: AsyncSession, incident: Incident, kind: TimelineKind, *parts: str
) -> str:
    """The name in the job keys of the change just recorded (its timeline entry written in
    this session): its kind, its place among the incident's entries of that kind, ``parts``."""
    counted = select(func.count()).where(
        col(TimelineEntry.incident_id) == incident.id, col(TimelineEntry.kind) == kind.value
    )
    place = (await session.exec(counted)).one()
    return ":".join((f"{kind.value}#{place}", *parts))


async def facts_of(
    session: AsyncSession,
    incident: Incident,
    types: IncidentTypes,
    read: frozenset[str] = frozenset(),
    labels: Mapping[str, str] | None = None,
) -> Facts:
    """What conditions read about ``incident`` now; field values only when some are read."""
    values: Mapping[str, Any] = {}
    if read and incident.id is not None:
        wanted = {name: types.fields[name] for name in read if name in types.fields}
        values = await fields.values_of(session, incident.id, wanted)
    return Facts(
        severity=incident.severity,
        status=incident.status,
        type=incident.incident_type,
        private=incident.is_private,
        fields=values,
        labels=labels or {},
    )


async def start(
    session: AsyncSession,
    workflows: Workflows,
    types: IncidentTypes,
    incident: Incident,
    trigger: str,
    *,
    event: str,
    now: datetime,
    cause: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> list[Workflow]:
    """Schedule the actions of the workflows ``trigger`` starts for ``incident``; return
    those workflows (the caller commits)."""
    if not workflows.listens(trigger) or incident.id is None:
        return []
    facts = await facts_of(session, incident, types, workflows.fields_read[trigger], labels)
    started = workflows.matching(trigger, facts, cause)
    for workflow in started:
        await schedule_actions(session, incident, workflow, event=event, now=now)
    return started


async def schedule_actions(
    session: AsyncSession, incident: Incident, workflow: Workflow, *, event: str, now: datetime
) -> None:
    """One job per action of ``workflow``, in its order (the caller commits)."""
    for step, action in enumerate(workflow.actions):
        await jobs.schedule(
            session,
            kind=JobKind.WORKFLOW_WEBHOOK if action.verb in CALLS_OUT else JobKind.WORKFLOW_ACTION,
            key=f"workflow:{incident.id}:{event}:{workflow.name}:{step}",
            due_at=now,
            incident_id=incident.id,
            payload={"workflow": workflow.name, "step": step, "event": event},
        )


async def start_timers(session: AsyncSession, workflows: Workflows, incident: Incident) -> None:
    """The ``incident.open_for`` timers of a newly declared incident: those counting from
    declaration, and those counting in the status it is declared in (the caller commits)."""
    for workflow in workflows.timers():
        if workflow.in_status is None:
            await _schedule_timer(session, incident, workflow, incident.declared_at, stint=None)
        elif workflow.in_status == incident.status:
            stint = f"declared:{incident.status}"
            await _schedule_timer(session, incident, workflow, incident.declared_at, stint=stint)


async def status_timers(
    session: AsyncSession,
    workflows: Workflows,
    incident: Incident,
    *,
    since: datetime,
    stint: str,
) -> None:
    """The incident entered its status at ``since`` (the change named ``stint``): the timers
    counting in that status start again from then (the caller commits)."""
    for workflow in workflows.timers():
        if workflow.in_status is not None and workflow.in_status == incident.status:
            await _schedule_timer(session, incident, workflow, since, stint=stint)


async def _schedule_timer(
    session: AsyncSession,
    incident: Incident,
    workflow: Workflow,
    since: datetime,
    *,
    stint: str | None,
) -> None:
    """One timer job, due ``workflow.after`` after ``since``; a status timer's key names the
    stint it counts and its payload when the stint began, so each stint has its own."""
    assert workflow.after is not None
    key = f"workflow:{incident.id}:{OPEN_FOR}:{workflow.name}"
    payload: dict[str, Any] = {"workflow": workflow.name}
    if stint is not None:
        key += f":{stint}"
        payload["since"] = since.isoformat()
    await jobs.schedule(
        session,
        kind=JobKind.WORKFLOW_TIMER,
        key=key,
        due_at=since + workflow.after,
        incident_id=incident.id,
        payload=payload,
    )


async def in_status_since(session: AsyncSession, incident: Incident, since: datetime) -> bool:
    """Whether the incident's status has not changed (nor been resolved) after ``since``."""
    later = select(TimelineEntry.id).where(
        TimelineEntry.incident_id == incident.id,
        col(TimelineEntry.kind).in_((TimelineKind.STATUS.value, TimelineKind.RESOLVED.value)),
        col(TimelineEntry.occurred_at) > since,
    )
    return (await session.exec(later.limit(1))).first() is None
