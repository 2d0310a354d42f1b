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

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from uuid import NAMESPACE_URL, uuid5

from bot.record.oncall.engine import (
    EARLIEST,
    HORIZON,
    LATEST,
    Override,
    Shift,
    final_shifts,
    stretches,
)
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
    """One event of a feed: a schedule's shift (``shift.users`` empty: a gap), or in a
    person's feed their stretch (a shift of theirs alone)."""

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
        if shift.users or (shift.start > EARLIEST and shift.end < LATEST)
    ]


def person_entries(
    schedules: Iterable[Schedule], overrides: Sequence[Override], user: str, now: datetime
) -> list[FeedEntry]:
    """``user``'s stretches in every schedule that overlap the window, by start (with
    ``overlap: all``, whoever is on call beside them)."""
    entries = [
        FeedEntry(schedule, shift, shift_uid("person", schedule.name, shift))
        for schedule in schedules
        for shift in whole_shifts(schedule, overrides, *feed_window(now), user=user)
    ]
    return sorted(entries, key=lambda entry: (entry.shift.start, entry.schedule.name))


def whole_shifts(
    schedule: Schedule,
    overrides: Sequence[Override],
    start: datetime,
    end: datetime,
    *,
    user: str | None = None,
) -> list[Shift]:
    """The final shifts overlapping ``start`` to ``end`` (with ``user``, that person's
    stretches), the first and last not cut there but reaching as far as they really do
    (``REACH`` at most: beyond, since and until ever), so that neither depends on when the
    feed is asked for."""
    shifts = final_shifts(schedule, overrides, start, end)
    if user is not None:
        shifts = stretches(shifts, user)
        if not shifts:
            return []
    first, last = shifts[0], shifts[-1]
    if first.start == start:
        holds = _holding(first, user)
        shifts[0] = first._replace(start=_stretch_edge(schedule, overrides, start, holds, -1))
    if last.end == end:
        holds = _holding(last, user)
        shifts[-1] = shifts[-1]._replace(end=_stretch_edge(schedule, overrides, end, holds, 1))
    return shifts


def _holding(shift: Shift, user: str | None) -> Callable[[Shift], bool]:
    """Whether a final shift goes on with ``shift``: the same people (or nobody), or with
    ``user``, one that holds them."""
    if user is not None:
        return lambda other: user in other.users
    return lambda other: other.users == shift.users


def _stretch_edge(
    schedule: Schedule,
    overrides: Sequence[Override],
    at: datetime,
    holds: Callable[[Shift], bool],
    way: Literal[-1, 1],
) -> datetime:
    """Where the stretch that ``holds`` up to ``at`` (``way`` -1) or from it (1) began or
    stops: looked for a year at a time, back or ahead."""
    limit = EARLIEST if way < 0 else LATEST
    for _ in range(_REACH_YEARS):
        if at == limit:
            break
        further = max(at - HORIZON, EARLIEST) if way < 0 else min(at + HORIZON, LATEST)
        window = (further, at) if way < 0 else (at, further)
        shifts = final_shifts(schedule, overrides, *window)
        # The shifts from ``at`` outwards: the edge is where the first that does not hold is.
        ordered = shifts[::-1] if way < 0 else shifts
        kept = 0
        while kept < len(ordered) and holds(ordered[kept]):
            kept += 1
        if kept == 0:
            return at  # handed over right there
        if kept < len(ordered):
            return ordered[kept - 1].start if way < 0 else ordered[kept - 1].end
        at = further
    return limit


def shift_uid(kind: FeedKind, schedule: str, shift: Shift) -> str:
    """A shift's UID in a feed, the same at every request: from the feed's kind, the
    schedule, the person (or the gap) and the start."""
    start = shift.start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    who = "+".join(shift.users) or None  # one person's as before crews: their id
    return f"{uuid5(NAMESPACE_URL, f'warroom:oncall:{kind}:{schedule}:{who}:{start}')}"
