"""The work on-call schedules cause, as job rows: their kinds and keys.

Each schedule with a user group or notices has a chain of ``JobKind.ONCALL_HANDOFF`` rows, one per
instant the person on call changes: it keeps the user group equal to who is on call and plans the
notices (``JobKind.ONCALL_NOTICE``) of the shifts that begin before the next one. A schedule with a
``channel`` has a ``JobKind.ONCALL_GAPS`` a day. A shift the file gives a guest of the workspace
(never on call) has one ``JobKind.ONCALL_GUEST_SHIFT``, planned by its notice or its handoff. Keys
are made of the schedule and instants every replica computes alike (``bot.record.oncall.engine`` is
deterministic), so two replicas plan one row for each, and the job table's claim runs it once. The
handlers are ``bot/flows/oncall/handoffs.py``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store import jobs
from bot.store.job_kinds import JobKind


def instant_key(moment: datetime) -> str:
    """An instant as keys write it: UTC, to the second (``2026-03-09T08:00:00Z``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def handoff_key(schedule: str, at: str) -> str:
    """The handoff job of ``schedule`` at ``at`` (an ``instant_key``, or a cause)."""
    return f"{JobKind.ONCALL_HANDOFF}:{schedule}:{at}"


def notice_key(schedule: str, start: datetime, user: str) -> str:
    return f"{JobKind.ONCALL_NOTICE}:{schedule}:{instant_key(start)}:{user}"


def guest_shift_key(schedule: str, start: datetime, user: str) -> str:
    """The one warning about the shift of ``user`` (a guest) beginning at ``start``: the
    shift's notice and its handoff both plan it, whichever comes first."""
    return f"{JobKind.ONCALL_GUEST_SHIFT}:{schedule}:{instant_key(start)}:{user}"


def gaps_key(schedule: str, day: date) -> str:
    return f"{JobKind.ONCALL_GAPS}:{schedule}:{day.isoformat()}"


async def plan_again(session: AsyncSession, schedule: str, *, at: datetime, cause: str) -> None:
    """Have the schedule's user group and notices worked out again from ``at`` (the caller
    commits): its overrides changed (``cause``, e.g. ``override-7``), so its handoffs may
    have moved."""
    await jobs.schedule(
        session,
        kind=JobKind.ONCALL_HANDOFF,
        key=handoff_key(schedule, cause),
        due_at=at,
        payload={"schedule": schedule},
    )
