"""Who is on call when: a schedule's rules turned into shifts, as intervals in UTC.

Pure functions of their inputs, so every replica gives the same answer:

* a layer's turns follow each other from its ``start``, one rotation each, its members in
  order. Day rotations hand over at the zone's wall-clock time (a weekly turn that holds a
  clock change lasts 167 or 169 hours); hour rotations every so many elapsed hours.
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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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
    return _contiguous_shifts(_final_segments(schedule, overrides, low, high))


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
    covered: list[Segment] = [(low, high, None)]
    for layer in schedule.layers:
        covered = _overlay(covered, _layer_segments(layer, schedule.timezone, clock, low, high))
    return _merged(_overlay(covered, _override_segments(schedule.name, overrides, low, high)))


def _clock_for(schedule: Schedule, low: int, high: int) -> ZoneClock:
    """A clock wide enough for every handoff that bears on the window (a turn that began up
    to a rotation before it, one that ends up to a rotation after it)."""
    longest = max((layer.rotation.days for layer in schedule.layers), default=0) * DAY
    return ZoneClock(schedule.timezone, low - longest - 2 * DAY, high + longest + 2 * DAY)


def _layer_segments(
    layer: Layer, zone: str, clock: ZoneClock, low: int, high: int
) -> list[Segment]:
    if layer.rotation.hours:
        turns = _hour_turns(layer, zone, low, high)
    else:
        turns = _day_turns(layer, clock, low, high)
    if not layer.restrictions:
        return turns
    return _intersect(turns, _windows(layer.restrictions, clock, low, high))


def _day_turns(layer: Layer, clock: ZoneClock, low: int, high: int) -> list[Segment]:
    """Turns handed over at wall-clock times: start + k rotations, each at its first instant."""
    step, origin, members = layer.rotation.days * DAY, wall_of(layer.start), layer.members
    if origin > clock.local(high) + DAY:  # not started by the window's end
        return []
    # The turn the clocks reading at low have reached (in a repeated hour, maybe one before).
    index = max(0, (clock.local(low) - origin) // step)
    begin = clock.first_reaching(origin + index * step)
    turns: list[Segment] = []
    while begin < high:
        finish = clock.first_reaching(origin + (index + 1) * step)
        if finish > low and finish > begin:
            turns.append((max(begin, low), min(finish, high), members[index % len(members)]))
        index += 1
        begin = finish
    return turns


def _hour_turns(layer: Layer, zone: str, low: int, high: int) -> list[Segment]:
    """Turns of so many elapsed hours from the first instant of the layer's start."""
    origin_wall = wall_of(layer.start)
    origin = ZoneClock(zone, origin_wall - DAY, origin_wall + DAY).first_reaching(origin_wall)
    step, members = layer.rotation.hours * HOUR, layer.members
    index = max(0, (low - origin) // step)
    begin = origin + index * step
    turns: list[Segment] = []
    while begin < high:
        finish = begin + step
        if finish > low:
            turns.append((max(begin, low), min(finish, high), members[index % len(members)]))
        index += 1
        begin = finish
    return turns


def _windows(
    restrictions: Sequence[Restriction], clock: ZoneClock, low: int, high: int
) -> list[tuple[int, int]]:
    """The instants the restrictions allow, as sorted disjoint intervals around the window."""
    first_day = (clock.local(low) - DAY) // DAY * DAY
    last_day = (clock.local(high) + DAY) // DAY * DAY
    windows: list[tuple[int, int]] = []
    for day in range(first_day, last_day + 1, DAY):
        weekday = (day // DAY + 3) % 7  # 1970-01-01 was a Thursday
        for rule in restrictions:
            if weekday in rule.days:
                windows += clock.instants_reading(
                    day + rule.start_minute * MINUTE, day + rule.end_minute * MINUTE
                )
    return _union(sorted(windows))


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
    first = 0
    for begin, finish, user in turns:
        while first < len(windows) and windows[first][1] <= begin:
            first += 1
        index = first
        while index < len(windows) and windows[index][0] < finish:
            part_begin, part_end = max(begin, windows[index][0]), min(finish, windows[index][1])
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


def _overlay(under: list[Segment], over: list[Segment]) -> list[Segment]:
    """``over`` where it has segments, ``under`` (which covers the window) elsewhere."""
    if not over:
        return under
    stacked: list[Segment] = []
    index, position = 0, under[0][0]
    for begin, finish, user in over:
        index = _fill(stacked, under, index, position, begin)
        stacked.append((begin, finish, user))
        position = finish
    _fill(stacked, under, index, position, under[-1][1])
    return stacked


def _fill(out: list[Segment], under: list[Segment], index: int, begin: int, finish: int) -> int:
    """Append the parts of ``under`` from ``begin`` to ``finish``; the index to go on from."""
    if begin >= finish:
        return index
    while under[index][1] <= begin:
        index += 1
    while index < len(under) and under[index][0] < finish:
        start, end, user = under[index]
        out.append((max(start, begin), min(end, finish), user))
        if end > finish:
            break
        index += 1
    return index


def _merged(segments: list[Segment]) -> list[Segment]:
    """Consecutive segments of the same person (or of nobody) as one."""
    merged: list[Segment] = []
    for begin, finish, user in segments:
        if merged and merged[-1][2] == user:
            merged[-1] = (merged[-1][0], finish, user)
        else:
            merged.append((begin, finish, user))
    return merged


def _contiguous_shifts(segments: list[Segment]) -> list[Shift]:
    """Segments that follow each other as Shifts, each boundary's datetime made once."""
    shifts = []
    begin = moment_of(segments[0][0])
    for _, finish, user in segments:
        end = moment_of(finish)
        shifts.append(Shift(begin, end, user))
        begin = end
    return shifts


def _window(start: datetime, end: datetime) -> tuple[int, int]:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be aware datetimes")
    if not EARLIEST <= start < end <= LATEST:
        raise ValueError(
            f"the window must run forward within {EARLIEST:%Y} to {LATEST:%Y}: {start} to {end}"
        )
    return instant_of(start), instant_of(end)
