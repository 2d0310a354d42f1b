"""Who is on call now and who is next, for each schedule: what ``/oncall`` pages and the
API answer first."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.oncall.engine import EARLIEST, HORIZON, LATEST, Override, Shift, next_shift
from bot.record.oncall.engine import on_call_at as shift_at
from bot.record.oncall.overrides import overrides_between
from bot.record.oncall.schedules import Schedule


@dataclass(frozen=True)
class OnCallNow:
    """A schedule's shift holding ``at`` (``user`` None in a gap) and the one after it (None
    when nothing changes within a year)."""

    schedule: Schedule
    at: datetime
    current: Shift
    next: Shift | None


def on_call_now(
    schedules: Iterable[Schedule], overrides: Sequence[Override], at: datetime
) -> list[OnCallNow]:
    """For each schedule, the shift at ``at`` and the next one, overrides included."""
    found = []
    for schedule in schedules:
        current = shift_at(schedule, overrides, at)
        found.append(OnCallNow(schedule, at, current, next_shift(schedule, overrides, at)))
    return found


async def overrides_around(
    session: AsyncSession, at: datetime, *, schedule: str | None = None
) -> list[Override]:
    """Every override in force that can bear on the shifts around ``at`` (the engine looks
    up to HORIZON either way, and the next shift up to HORIZON after the current one)."""
    return await overrides_between(
        session,
        start=max(at - HORIZON, EARLIEST),
        end=min(at + 2 * HORIZON, LATEST),
        schedule=schedule,
    )
