"""What ``GET /metrics`` reads from the database at scrape time: open incidents by severity,
the job queue by kind, and the outbox's messages waiting, given up and set aside; and what
``GET /readyz`` judges: how long the oldest due job and Slack write have waited.

bot.metrics turns them into gauges; a database that does not answer in time is no failure of
the scrape, only a gauge saying it is down.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from bot.store.models import SEVERITIES, DrillCheck, Incident, Job, OutboxMessage, Status

log = logging.getLogger(__name__)
DATABASE_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class DatabaseGauges:
    """Counts read from the database for one scrape."""

    open_incidents: Mapping[str, int]  # by severity
    jobs_due: Mapping[str, int]  # by kind: unfinished and due now (the queue)
    jobs_later: Mapping[str, int]  # by kind: unfinished and due later (timers, reminders)
    outbox_waiting: int = 0  # Slack writes kept but not yet taken by Slack
    outbox_given_up: int = 0  # Slack writes given up (refused for good, or a day of failures)
    outbox_set_aside: int = 0  # Slack writes refused until a person mends scopes or settings
    # By provider: when the paging drill last settled its check (Unix time), and whether ok.
    drills: Mapping[str, tuple[float, bool]] = field(default_factory=dict)


_OUTBOX_WAITING = select(func.count()).where(
    col(OutboxMessage.sent_at).is_(None),
    col(OutboxMessage.gave_up_at).is_(None),
    col(OutboxMessage.set_aside_at).is_(None),
)
_OUTBOX_SET_ASIDE = select(func.count()).where(col(OutboxMessage.set_aside_at).is_not(None))


# The latest settled checks first: the first of each provider is its last drill.
_DRILLS = (
    select(col(DrillCheck.provider), col(DrillCheck.state), col(DrillCheck.settled_at))
    .where(col(DrillCheck.settled_at).is_not(None))
    .order_by(col(DrillCheck.settled_at).desc())
    .limit(100)
)
_OUTBOX_GIVEN_UP = select(func.count()).where(col(OutboxMessage.gave_up_at).is_not(None))


async def read_database_gauges(
    engine: AsyncEngine, *, now: datetime, job_kinds: Iterable[str]
) -> DatabaseGauges | None:
    """Open incidents and the job queue, two grouped counts; None if the database does not
    answer within ``DATABASE_TIMEOUT_SECONDS`` (a scrape never fails for it)."""
    open_statement = (
        select(col(Incident.severity), func.count())
        .where(col(Incident.status) != Status.RESOLVED.value)
        .group_by(col(Incident.severity))
    )
    due = func.sum(case((col(Job.due_at) <= now, 1), else_=0))
    jobs_statement = (
        select(col(Job.kind), func.count(), due)
        .where(col(Job.done_at).is_(None))
        .group_by(col(Job.kind))
    )
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT_SECONDS), engine.connect() as connection:
            open_rows: list[Any] = list(await connection.execute(open_statement))
            job_rows: list[Any] = list(await connection.execute(jobs_statement))
            outbox_waiting = (await connection.execute(_OUTBOX_WAITING)).scalar_one()
            outbox_given_up = (await connection.execute(_OUTBOX_GIVEN_UP)).scalar_one()
            outbox_set_aside = (await connection.execute(_OUTBOX_SET_ASIDE)).scalar_one()
            drill_rows: list[Any] = list(await connection.execute(_DRILLS))
    except Exception as error:  # any failure is "down": the scrape reports it, never raises
        log.debug("metrics: the database did not answer: %s", type(error).__name__)
        return None
    open_incidents = dict.fromkeys(SEVERITIES, 0)
    open_incidents.update({str(severity): int(count) for severity, count in open_rows})
    jobs_due = dict.fromkeys(job_kinds, 0)
    jobs_later = dict.fromkeys(job_kinds, 0)
    for kind, unfinished, due_now in job_rows:
        jobs_due[str(kind)] = int(due_now or 0)
        jobs_later[str(kind)] = int(unfinished) - int(due_now or 0)
    return DatabaseGauges(
        open_incidents,
        jobs_due,
        jobs_later,
        int(outbox_waiting),
        int(outbox_given_up),
        int(outbox_set_aside),
        _last_drills(drill_rows),
    )


def _last_drills(rows: Iterable[Any]) -> dict[str, tuple[float, bool]]:
    last: dict[str, tuple[float, bool]] = {}
    for provider, state, settled_at in rows:
        if provider not in last:
            at = settled_at if settled_at.tzinfo else settled_at.replace(tzinfo=UTC)
            last[str(provider)] = (at.timestamp(), state == "ok")
    return last


@dataclass(frozen=True)
class QueueLags:
    """How long the oldest work has waited past its time, in seconds (0 when none waits)."""

    jobs: float  # the oldest unfinished job that is due, may run and is not running
    outbox: float  # the oldest Slack write waiting (not sent, given up or set aside)


async def read_queue_lags(
    engine: AsyncEngine, *, now: datetime, timeout: float = DATABASE_TIMEOUT_SECONDS
) -> QueueLags | None:
    """The job queue's and the outbox's lag (what /readyz judges); None if the database does
    not answer within ``timeout``."""
    jobs = select(func.min(col(Job.due_at))).where(
        col(Job.done_at).is_(None),
        col(Job.due_at) <= now,
        # Held back by a vendor's Retry-After, or claimed and running: not waiting on us.
        (col(Job.not_before).is_(None)) | (col(Job.not_before) <= now),
        (col(Job.locked_until).is_(None)) | (col(Job.locked_until) <= now),
    )
    outbox = select(func.min(col(OutboxMessage.due_at))).where(
        col(OutboxMessage.sent_at).is_(None),
        col(OutboxMessage.gave_up_at).is_(None),
        col(OutboxMessage.set_aside_at).is_(None),
        col(OutboxMessage.due_at) <= now,
    )
    try:
        async with asyncio.timeout(timeout), engine.connect() as connection:
            oldest_job = (await connection.execute(jobs)).scalar_one()
            oldest_write = (await connection.execute(outbox)).scalar_one()
    except Exception as error:  # any failure is "unknown": /readyz reports it, never raises
        log.debug("readiness: the database did not answer: %s", type(error).__name__)
        return None
    return QueueLags(_seconds_since(oldest_job, now), _seconds_since(oldest_write, now))


def _seconds_since(at: datetime | None, now: datetime) -> float:
    if at is None:
        return 0.0
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return max(0.0, (now - at).total_seconds())
