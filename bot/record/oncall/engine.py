"""Who is on call when: a schedule's rules turned into shifts, as intervals in UTC.

Pure functions of their inputs, so every replica gives the same answer:

* a layer's turns follow each other from its ``start``, one rotation each, its members in
  order. Day rotations hand over at the zone's wall-clock time (a weekly turn that holds a
  clock change lasts 167 or 169 hours); hour rotations every so many elapsed hours. An iCal
  layer's turns are the shifts its feed's last good copy names (``IcalSource.shifts``), and
  nothing else about it differs.
* A handoff happens the first instant the zone's clocks read its time or later: a time that
  never happens (spring forward) hands over the moment the clocks jump past it, one that
  happens twice (fall back) the first time.
* Restrictions keep a layer to windows of local weekday and time of day, as the clocks read
  at each instant.
* Where several layers are active the later one wins; where none is, nobody is on call (a
  gap: ``user`` None). Overrides beat every layer inside their window; where overrides
  overlap, the newest (``created_at``, then ``id``) wins.

Internally instants are integer microseconds (``bot.record.oncall.zones``): a year of 50
schedules is mostly sums and comparisons, and datetimes are made once, for the answer.
"""

from __future__ import annotations

import sys
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import NamedTuple

from bot.record.oncall.schedules import Layer, Restriction, Schedule
from bot.record.oncall.zones import (
    DAY,
    HOUR,
    MINUTE,
    ZoneClock,
    instant_of,
    moment_of,
    wall_of,
)

# The instants the engine answers about.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
# How far on either side on_call_at looks for where a shift begins and ends, and how far
# ahead next_shift looks: a shift longer than this is reported cut at it.
HORIZON = timedelta(days=366)
_FIRST_REACH = timedelta(days=8)

# (start, end, user) in integer microseconds; user None: nobody.
Segment = tuple[int, int, str | None]


class Shift(NamedTuple):
    """Who is on call from ``start`` to ``end`` (aware UTC datetimes); ``user`` None: nobody."""

    start: datetime
    end: datetime
    user: str | None


@dataclass(frozen=True)
class Override:
    """Someone taking over a schedule for a while (the record keeps them; here a value)."""

    id: int | None
    schedule: str
    user: str
    start: datetime
    end: datetime
    created_by: str
    created_at: datetime

    @property
    def age(self) -> tuple[datetime, int]:
        """Sorts oldest first; one not stored yet (no id) is the newest of its instant."""
        return (self.created_at, sys.maxsize if self.id is None else self.id)


def final_shifts(
    schedule: Schedule, overrides: Iterable[Override], start: datetime, end: datetime
) -> list[Shift]:
    """Who is on call from ``start`` to ``end``: consecutive shifts covering the window, each
    a different person (or nobody) from the one before, cut at the window's edges."""
    low, high = _window(start, end)
    return _shifts_of(_final_segments(schedule, overrides, low, high))


def layer_shifts(schedule: Schedule, layer: Layer, start: datetime, end: datetime) -> list[Shift]:
    """One layer's turns from ``start`` to ``end``, restrictions applied (no gaps listed)."""
    low, high = _window(start, end)
    clock = _clock_for(schedule, low, high)
    segments = _layer_segments(layer, schedule.timezone, clock, low, high)
    return [Shift(moment_of(s), moment_of(e), user) for s, e, user in segments]


def on_call_at(schedule: Schedule, overrides: Sequence[Override], at: datetime) -> Shift:
    """The shift holding ``at``: who (None in a gap), from when to when that same person is
    on call without a break (up to HORIZON on either side)."""
    reach = _FIRST_REACH
    while True:
        low, high = max(at - reach, EARLIEST), min(at + reach, LATEST)
        shift = next(s for s in final_shifts(schedule, overrides, low, high) if s.end > at)
        cut = (shift.start == low and low > EARLIEST) or (shift.end == high and high < LATEST)
        if not cut or reach >= HORIZON:
            return shift
        reach = min(reach * 4, HORIZON)


def next_shift(
    schedule: Schedule,
    overrides: Sequence[Override],
    after: datetime,
    *,
    user: str | None = None,
) -> Shift | None:
    """The next shift to begin after ``after`` (a gap included), or ``user``'s next one;
    None when there is none within HORIZON."""
    for shift in final_shifts(schedule, overrides, after, min(after + HORIZON, LATEST)):
        if shift.start > after and (user is None or shift.user == user):
            return on_call_at(schedule, overrides, shift.start)
    return None


def gaps(
    schedule: Schedule, overrides: Iterable[Override], start: datetime, end: datetime
) -> list[Shift]:
    """The stretches from ``start`` to ``end`` with nobody on call."""
    return [shift for shift in final_shifts(schedule, overrides, start, end) if shift.user is None]


def displaced(schedule: Schedule, overrides: Iterable[Override], override: Override) -> list[Shift]:
    """Whom ``override`` takes the schedule from: the final shifts inside its window as they
    were without it and every newer override (``user`` None: it fills a gap)."""
    older = [o for o in overrides if o.age < override.age]
    shifts = final_shifts(schedule, older, override.start, override.end)
    return [shift for shift in shifts if shift.user != override.user]


# -- the layers ---------------------------------------------------------------------------
def _final_segments(
    schedule: Schedule, overrides: Iterable[Override], low: int, high: int
) -> list[Segment]:
    clock = _clock_for(schedule, low, high)
    stack = [
        _layer_segments(layer, schedule.timezone, clock, low, high) for layer in schedule.layers
    ]
    stack.append(_override_segments(schedule.name, overrides, low, high))
    return _topmost(stack, low, high)


def _clock_for(schedule: Schedule, low: int, high: int) -> ZoneClock:
    """A clock wide enough for every handoff that bears on the window (a turn that began up
    to a rotation before it, one that ends up to a rotation after it)."""
    longest = max((layer.rotation.days for layer in schedule.layers if layer.rotation), default=0)
    longest *= DAY
    return ZoneClock(schedule.timezone, low - longest - 2 * DAY, high + longest + 2 * DAY)


def _layer_segments(
    layer: Layer, zone: str, clock: ZoneClock, low: int, high: int
) -> list[Segment]:
    if layer.ical is not None:
        turns = _feed_turns(layer.ical.shifts, low, high)
    elif layer.rotation is not None and layer.rotation.hours:
        turns = _hour_turns(layer, zone, low, high)
    else:
        turns = _day_turns(layer, clock, low, high)
    if not layer.restrictions:
        return turns
    return _intersect(turns, _windows(layer.restrictions, clock, low, high))


def _feed_turns(shifts: Sequence[Segment], low: int, high: int) -> list[Segment]:
    """An iCal layer's shifts (sorted and disjoint) that overlap the window, cut to it."""
    first = bisect_right(shifts, low, key=lambda shift: shift[1])
    turns: list[Segment] = []
    for begin, finish, user in shifts[first:]:
        if begin >= high:
            break
        turns.append((max(begin, low), min(finish, high), user))
    return turns


def _day_turns(layer: Layer, clock: ZoneClock, low: int, high: int) -> list[Segment]:
    """Turns handed over at wall-clock times: start + k rotations, each at its first instant."""
    assert layer.rotation is not None and layer.start is not None
    step, origin = layer.rotation.days * DAY, wall_of(layer.start)
    reading_low, reading_high = clock.local(low), clock.local(high)
    if origin > reading_high + DAY:  # not started by the window's end
        return []
    # The turn the clocks reading at low have reached (in a repeated hour, maybe one before),
    # to the first that begins after the window (the clocks read less than a day back).
    first = max(0, (reading_low - origin) // step)
    last = (reading_high + DAY - origin) // step + 1
    walls = range(origin + first * step, origin + (last + 1) * step, step)
    return _cut_turns(clock.first_reaching(walls), first, layer.members, low, high)


def _hour_turns(layer: Layer, zone: str, low: int, high: int) -> list[Segment]:
    """Turns of so many elapsed hours from the first instant of the layer's start."""
    assert layer.rotation is not None and layer.start is not None
    origin_wall = wall_of(layer.start)
    clock = ZoneClock(zone, origin_wall - DAY, origin_wall + DAY)
    origin = clock.first_reaching([origin_wall])[0]
    step = layer.rotation.hours * HOUR
    first, last = max(0, (low - origin) // step), (high - origin) // step + 1
    handoffs = range(origin + first * step, origin + (last + 1) * step, step)
    return _cut_turns(handoffs, first, layer.members, low, high)


def _cut_turns(
    handoffs: Sequence[int], first: int, members: Sequence[str], low: int, high: int
) -> list[Segment]:
    """Turn ``first + n`` runs from ``handoffs[n]`` to ``handoffs[n + 1]``: those that
    overlap the window, cut to it (two handoffs in one jump forward make an empty turn)."""
    count = len(members)
    turns: list[Segment] = [
        (begin, finish, members[(first + number) % count])
        for number, (begin, finish) in enumerate(pairwise(handoffs))
        if finish > low and begin < high and begin < finish
    ]
    if turns:
        begin, finish, user = turns[0]
        turns[0] = (begin if begin > low else low, finish, user)
        begin, finish, user = turns[-1]
        turns[-1] = (begin, finish if finish < high else high, user)
    return turns


def _windows(
    restrictions: Sequence[Restriction], clock: ZoneClock, low: int, high: int
) -> list[tuple[int, int]]:
    """The instants the restrictions allow, as sorted disjoint intervals around the window."""
    first_day = (clock.local(low) - DAY) // DAY * DAY
    last_day = (clock.local(high) + DAY) // DAY * DAY
    first_weekday = (first_day // DAY + 3) % 7  # 1970-01-01 was a Thursday
    walls = sorted(
        (day + rule.start_minute * MINUTE, day + rule.end_minute * MINUTE)
        for rule in restrictions
        for weekday in rule.days
        for day in range(first_day + (weekday - first_weekday) % 7 * DAY, last_day + 1, 7 * DAY)
    )
    return _union(sorted(clock.instants_reading(walls)))


def _union(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted intervals, overlapping or touching ones joined."""
    joined: list[tuple[int, int]] = []
    for begin, finish in intervals:
        if joined and begin <= joined[-1][1]:
            if finish > joined[-1][1]:
                joined[-1] = (joined[-1][0], finish)
        else:
            joined.append((begin, finish))
    return joined


def _intersect(turns: list[Segment], windows: list[tuple[int, int]]) -> list[Segment]:
    """The parts of ``turns`` inside ``windows`` (both sorted)."""
    kept: list[Segment] = []
    first, count = 0, len(windows)
    for begin, finish, user in turns:
        while first < count and windows[first][1] <= begin:
            first += 1
        index = first
        while index < count and windows[index][0] < finish:
            opens, closes = windows[index]
            part_begin = opens if opens > begin else begin
            part_end = closes if closes < finish else finish
            if part_begin < part_end:
                kept.append((part_begin, part_end, user))
            index += 1
    return kept


# -- stacking -----------------------------------------------------------------------------
def _override_segments(
    schedule: str, overrides: Iterable[Override], low: int, high: int
) -> list[Segment]:
    """Where overrides hold the schedule, the newest on top, as disjoint segments."""
    mine = sorted((o for o in overrides if o.schedule == schedule), key=lambda o: o.age)
    clipped = [(max(instant_of(o.start), low), min(instant_of(o.end), high), o.user) for o in mine]
    clipped = [(s, e, user) for s, e, user in clipped if s < e]
    points = sorted({point for s, e, _ in clipped for point in (s, e)})
    segments: list[Segment] = []
    for begin, finish in pairwise(points):
        holders = [user for s, e, user in clipped if s <= begin and finish <= e]
        if holders:
            segments.append((begin, finish, holders[-1]))
    return segments


def _topmost(stack: list[list[Segment]], low: int, high: int) -> list[Segment]:
    """Whoever the highest list (the last) names at each instant, nobody where none does: a
    sorted list covering ``low`` to ``high``. Filled from the top down, so each list is only
    cut into what is still open below the ones above it."""
    open_ = [(low, high)]
    placed: list[Segment] = []
    for segments in reversed(stack):
        if segments and open_:
            kept, open_ = _place(segments, open_)
            placed += kept
    placed += [(begin, finish, None) for begin, finish in open_]
    placed.sort()  # by start: the segments are disjoint, so users are never compared
    return placed


def _place(
    segments: list[Segment], open_: list[tuple[int, int]]
) -> tuple[list[Segment], list[tuple[int, int]]]:
    """The parts of ``segments`` inside the open intervals, and what stays open (all sorted)."""
    kept: list[Segment] = []
    still_open: list[tuple[int, int]] = []
    index, count = 0, len(segments)
    for hole_begin, hole_end in open_:
        position = hole_begin
        while index < count and segments[index][1] <= position:
            index += 1
        while index < count and segments[index][0] < hole_end:
            begin, finish, user = segments[index]
            if begin > position:
                still_open.append((position, begin))
                position = begin
            cut_end = finish if finish < hole_end else hole_end
            kept.append((position, cut_end, user))
            position = cut_end
            if finish > hole_end:  # it goes on into the next open interval
                break
            index += 1
        if position < hole_end:
            still_open.append((position, hole_end))
    return kept, still_open


def _shifts_of(segments: list[Segment]) -> list[Shift]:
    """Consecutive segments as Shifts, those of the same person (or of nobody) joined."""
    shifts = []
    start, user = _moment(segments[0][0]), segments[0][2]
    for begin, _, next_user in segments:
        if next_user != user:
            end = _moment(begin)
            shifts.append(_new_shift(Shift, (start, end, user)))
            start, user = end, next_user
    shifts.append(_new_shift(Shift, (start, _moment(segments[-1][1]), user)))
    return shifts


# Making the answer's objects is much of the work for a year of shifts: Shifts made without a
# NamedTuple's Python-level __new__, and each instant's datetime made once and shared (they
# are immutable): the schedules of one zone hand over at the same instants (09:00 on
# weekdays), and the same schedules are asked about again and again.
_new_shift: Callable[[type[Shift], tuple[datetime, datetime, str | None]], Shift]
_new_shift = tuple.__new__
_moment = lru_cache(maxsize=1 << 16)(moment_of)


def _window(start: datetime, end: datetime) -> tuple[int, int]:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be aware datetimes")
    if not EARLIEST <= start < end <= LATEST:
        raise ValueError(
            f"the window must run forward within {EARLIEST:%Y} to {LATEST:%Y}: {start} to {end}"
        )
    return instant_of(start), instant_of(end)
