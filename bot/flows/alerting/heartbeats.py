"""Heartbeats: a check-in recorded, a miss raised as an alert, the next check-in resolving it.

Each heartbeat has one job row (``heartbeat:<name>``), due when its next check-in is; a
check-in makes it due later again, in the transaction that records it. The job finds the
check-in missing, marks the miss on the heartbeat's row and keeps a generic alert for the
alert path (``alert_intake``) in one transaction, so a crash or a second replica neither
loses a miss nor raises it twice; the next check-in keeps that alert's resolution likewise.
"""

from __future__ import annotations

import logging
from datetime import datetime
from enum import Enum

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.flows.alerting.intake import keep_own_alerts
from bot.record.alerting import heartbeats
from bot.record.alerting.heartbeats import HeartbeatSpec
from bot.services import Services
from bot.store import jobs
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import Heartbeat, Job

log = logging.getLogger(__name__)


class Beat(Enum):
    """What a check-in did."""

    UNKNOWN = "unknown"  # no heartbeat of that name
    RECORDED = "recorded"
    RESOLVED = "resolved"  # and resolved the alert of a miss


def _key(name: str) -> str:
    return f"heartbeat:{name}"


async def watch_heartbeats(services: Services) -> None:
    """At start-up: a row for each heartbeat of the file (kept from earlier starts) and its
    job due at its deadline, unless a miss of it is open (the next check-in reschedules)."""
    specs = services.settings.heartbeats.heartbeats.by_name.values()
    if not specs:
        return
    now = services.clock()
    async with session_scope(services.engine) as session:
        for spec in specs:
            row = await heartbeats.watch(session, spec, now=now)
            if row.missed_since is None:
                # The file's interval may have changed since the job was planned.
                await jobs.run_once_more(
                    session,
                    kind=JobKind.HEARTBEAT,
                    key=_key(spec.name),
                    due_at=heartbeats.deadline(spec, row),
                )
        await session.commit()
    services.wake_jobs()


async def record_beat(services: Services, name: str) -> Beat:
    """``POST /heartbeats/<name>``: a check-in. It resolves the alert of an open miss."""
    spec = services.settings.heartbeats.heartbeats.get(name)
    if spec is None:
        return Beat.UNKNOWN
    now = services.clock()
    async with session_scope(services.engine) as session:
        row = await _locked(session, spec, now)
        outcome = Beat.RECORDED
        if row.missed_since is not None:
            body = heartbeats.beat_alert(spec, missed_since=row.missed_since, beat_at=now)
            await keep_own_alerts(session, services, [body])
            row.missed_since, outcome = None, Beat.RESOLVED
        row.last_beat_at = now
        row.beats += 1
        session.add(row)
        await jobs.run_once_more(
            session, kind=JobKind.HEARTBEAT, key=_key(name), due_at=now + spec.allowed
        )
        await session.commit()
    services.wake_jobs()
    return outcome


async def check_heartbeat(services: Services, job: Job) -> datetime | None:
    """The job handler: the heartbeat's deadline has come. Checked in meanwhile: look again
    at the new deadline; missed: raise its alert, and wait for the next check-in."""
    name = job.key.partition(":")[2]
    spec = services.settings.heartbeats.heartbeats.get(name)
    if spec is None:
        log.info("heartbeat %s is no longer in the heartbeats file", name)
        return None
    now = services.clock()
    async with session_scope(services.engine) as session:
        row = await _locked(session, spec, now)
        if row.missed_since is not None:
            return None  # its alert fires already
        due = heartbeats.deadline(spec, row)
        if now < due:
            return due
        missed = heartbeats.missed_alert(spec, missed_since=due)
        await keep_own_alerts(session, services, [missed])
        row.missed_since = due
        row.misses += 1
        session.add(row)
        await session.commit()
    log.info("heartbeat %s missed (due by %s)", name, due.isoformat())
    services.wake_jobs()
    return None


async def _locked(session: AsyncSession, spec: HeartbeatSpec, now: datetime) -> Heartbeat:
    """The heartbeat's row under its lock (a check-in and its job take turns)."""
    await heartbeats.watch(session, spec, now=now)
    statement = (
        select(Heartbeat)
        .where(Heartbeat.name == spec.name)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.exec(statement)).one()
