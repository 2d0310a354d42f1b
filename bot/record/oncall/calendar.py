"""What the on-call calendar feeds hold: whole shifts from 30 days back to 90 days ahead.

A schedule's feed has every final shift (gaps too: nobody on call is worth seeing in a
calendar); a person's feed has their shifts in every schedule. A shift is shown whole, with
its real start and end even where it reaches past the window, and its ``uid`` depends on
the feed, the schedule, the person and the start alone: asked again, a feed names the same
shift the same way, and a calendar that subscribed updates it in place (an override that
shortens a shift changes its end, not its identity).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from uuid import NAMESPACE_URL, uuid5

from bot.record.oncall.engine import EARLIEST, LATEST, Override, Shift, final_shifts, on_call_at
from bot.record.oncall.schedules import Schedule

FEED_PAST = timedelta(days=30)
FEED_AHEAD = timedelta(days=90)
_INSTANT = timedelta(microseconds=1)
FeedKind = Literal["person", "schedule"]


@dataclass(frozen=True)
class FeedEntry:
    """One event of a feed: a schedule's shift (``shift.user`` None: a gap)."""

    schedule: Schedule
    shift: Shift
    uid: str


def feed_window(now: datetime) -> tuple[datetime, datetime]:
    """The instants a feed covers, as of ``now``."""
    return max(now - FEED_PAST, EARLIEST), min(now + FEED_AHEAD, LATEST)


def schedule_entries(
    schedule: Schedule, overrides: Sequence[Override], now: datetime
) -> list[FeedEntry]:
    """Every final shift of ``schedule`` (gaps included) that overlaps the window."""
    return [
        FeedEntry(schedule, shift, shift_uid("schedule", schedule.name, shift))
        for shift in whole_shifts(schedule, overrides, *feed_window(now))
    ]


def person_entries(
    schedules: Iterable[Schedule], overrides: Sequence[Override], user: str, now: datetime
) -> list[FeedEntry]:
    """``user``'s shifts in every schedule that overlap the window, by start."""
    entries = [
        FeedEntry(schedule, shift, shift_uid("person", schedule.name, shift))
        for schedule in schedules
        for shift in whole_shifts(schedule, overrides, *feed_window(now))
        if shift.user == user
    ]
    return sorted(entries, key=lambda entry: (entry.shift.start, entry.schedule.name))


def whole_shifts(
    schedule: Schedule, overrides: Sequence[Override], start: datetime, end: datetime
) -> list[Shift]:
    """The final shifts overlapping ``start`` to ``end``, the first and last not cut there
    but reaching as far as they really do (up to the engine's horizon)."""
    shifts = final_shifts(schedule, overrides, start, end)
    first, last = shifts[0], shifts[-1]
    if first.start == start and start > EARLIEST:
        first = first._replace(start=on_call_at(schedule, overrides, start).start)
        shifts[0] = first
    if last.end == end and end < LATEST:
        shifts[-1] = shifts[-1]._replace(end=on_call_at(schedule, overrides, end - _INSTANT).end)
    return shifts


def shift_uid(kind: FeedKind, schedule: str, shift: Shift) -> str:
    """A shift's UID in a feed, the same at every request: from the feed's kind, the
    schedule, the person (or the gap) and the start."""
    start = shift.start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{uuid5(NAMESPACE_URL, f'warroom:oncall:{kind}:{schedule}:{shift.user}:{start}')}"
