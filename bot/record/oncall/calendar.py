"""What the on-call calendar feeds hold: whole shifts from 30 days back to 90 days ahead.

A schedule's feed has every final shift, and the gaps between them (nobody on call is worth
seeing in a calendar; the time before a schedule begins is no gap); a person's feed has
their shifts in every schedule. A shift is shown whole, with its real start and end even
where it reaches past the window (up to ten years away; a stretch longer than that is shown
as from and until ever), and its ``uid`` depends on the feed, the schedule, the person and
the start alone: asked again, a feed names the same shift the same way, and a calendar that
subscribed updates it in place (an override that shortens a shift changes its end, not its
identity).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from uuid import NAMESPACE_URL, uuid5

from bot.record.oncall.engine import EARLIEST, HORIZON, LATEST, Override, Shift, final_shifts
from bot.record.oncall.schedules import Schedule

FEED_PAST = timedelta(days=30)
FEED_AHEAD = timedelta(days=90)
# How far a feed looks for the real start of its first shift and the end of its last (a
# gap before a schedule begins, one person on call for years): in years, the engine's
# HORIZON each. The overrides read for a feed must reach as far (``REACH``).
_REACH_YEARS = 10
REACH = HORIZON * _REACH_YEARS
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
    """Every final shift of ``schedule`` that overlaps the window, and its gaps: those
    between shifts, not the time before a schedule begins or after it ends (since or until
    ever, ``REACH`` away or more), which is no hole in it."""
    return [
        FeedEntry(schedule, shift, shift_uid("schedule", schedule.name, shift))
        for shift in whole_shifts(schedule, overrides, *feed_window(now))
        if shift.user is not None or (shift.start > EARLIEST and shift.end < LATEST)
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
    but reaching as far as they really do (``REACH`` at most: beyond, since and until
    ever), so that neither depends on when the feed is asked for."""
    shifts = final_shifts(schedule, overrides, start, end)
    first, last = shifts[0], shifts[-1]
    shifts[0] = first._replace(start=_stretch_edge(schedule, overrides, start, first.user, -1))
    shifts[-1] = shifts[-1]._replace(end=_stretch_edge(schedule, overrides, end, last.user, 1))
    return shifts


def _stretch_edge(
    schedule: Schedule,
    overrides: Sequence[Override],
    at: datetime,
    user: str | None,
    way: Literal[-1, 1],
) -> datetime:
    """Where ``user`` (or nobody), on call without a break up to ``at`` (``way`` -1) or
    from it (1), began or stops: looked for a year at a time, back or ahead."""
    limit = EARLIEST if way < 0 else LATEST
    for _ in range(_REACH_YEARS):
        if at == limit:
            break
        further = max(at - HORIZON, EARLIEST) if way < 0 else min(at + HORIZON, LATEST)
        if way < 0:
            nearest = final_shifts(schedule, overrides, further, at)[-1]
            edge = nearest.start
        else:
            nearest = final_shifts(schedule, overrides, at, further)[0]
            edge = nearest.end
        if nearest.user != user:
            return at  # handed over right there
        if edge != further:
            return edge
        at = further
    return limit


def shift_uid(kind: FeedKind, schedule: str, shift: Shift) -> str:
    """A shift's UID in a feed, the same at every request: from the feed's kind, the
    schedule, the person (or the gap) and the start."""
    start = shift.start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{uuid5(NAMESPACE_URL, f'warroom:oncall:{kind}:{schedule}:{shift.user}:{start}')}"
