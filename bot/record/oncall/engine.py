"""Who is on call when: a schedule's rules turned into shifts, as intervals in UTC.

Pure functions of their inputs, so every replica gives the same answer:

* a layer's turns follow each other from its ``start``, one rotation each, its members in
  order; a member ``none`` has turns of nobody, where the layer is not active. Day
  rotations, and hour rotations whose length divides a day, hand over at the zone's
  wall-clock times (a weekly turn that holds a clock change lasts 167 or 169 hours, a 12h one
  from 08:00 hands over at 08:00 and 20:00 all year); other hour rotations every so many
  elapsed hours; monthly ones on the start's day of each month (the last day of a shorter
  month). An iCal layer's turns are the shifts its feed's last good copy names
  (``IcalSource.shifts``), and nothing else about it differs.
* Each layer reads the clocks of its own ``timezone`` when it has one, else the schedule's.
* A handoff happens the first instant the zone's clocks read its time or later: a time that
  never happens (spring forward) hands over the moment the clocks jump past it, one that
  happens twice (fall back) the first time.
* Restrictions keep a layer to windows of local weekday and time of day, as the clocks read
  at each instant: daily windows (one whose end is at or before its start runs into the next
  morning) and spans across days (``fri 18:00`` to ``mon 08:00``).
* Someone away (``Schedule.away``: their leave, the schedule's holidays) has no turn of a
  rotation then: the next member of the layer's list who is not away takes it (a member
  away too is passed over), and where every member is away the layer names nobody then (a
  lower layer's person is on call, or nobody: a gap). An iCal layer's turns are the feed's
  as they are. Overrides still win over someone's leave: they are laid on the turns after.
* Where several layers are active the later one wins (``overlap: last``, the default), or
  every active layer's person is on call together (``overlap: all``); where none is, nobody
  is on call (a gap: ``users`` empty). Overrides beat every layer inside their window; where
  overrides overlap, the newest (``created_at``, then ``id``) wins.

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
from itertools import pairwise, repeat
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from dateutil.relativedelta import relativedelta

from bot.record.oncall.holidays import Away
from bot.record.oncall.schedules import Layer, Restriction, Schedule, Span
from bot.record.oncall.zones import (
    DAY,
    HOUR,
    MINUTE,
    Instants,
    ZoneClock,
    instant_of,
    moment_of,
    wall_of,
    wall_text,
)

# The instants the engine answers about.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
# How far on either side on_call_at looks for where a shift begins and ends, and how far
# ahead next_shift looks: a shift longer than this is reported cut at it.
HORIZON = timedelta(days=366)
_FIRST_REACH = timedelta(days=8)

WEEK = 7 * DAY
# People as the engine's arrays hold them (bot.record.oncall.engine._People).
Codes = npt.NDArray[np.int64]


class Shift(NamedTuple):
    """Who is on call from ``start`` to ``end`` (aware UTC datetimes): ``users``, in the
    order of the layers that name them; empty: nobody (a gap). Only a schedule with
    ``overlap: all`` names several at once."""

    start: datetime
    end: datetime
    users: tuple[str, ...]

    @property
    def user(self) -> str | None:
        """The person on call, None in a gap: where several are (``overlap: all``), the
        first; what concerns each of them reads ``users``."""
        return self.users[0] if self.users else None


@dataclass(frozen=True)
class Override:
    """Someone taking over a schedule for a while, or nobody (``user`` None: a deliberate
    gap); of the whole schedule, above every layer, or of one ``layer`` only, in place of
    that layer's person wherever the layer has a turn (the record keeps them; here a value)."""

    id: int | None
    schedule: str
    user: str | None
    start: datetime
    end: datetime
    created_by: str
    created_at: datetime
    layer: str | None = None

    @property
    def age(self) -> tuple[datetime, int]:
        """Sorts oldest first; one not stored yet (no id) is the newest of its instant."""
        return (self.created_at, sys.maxsize if self.id is None else self.id)

    @property
    def users(self) -> tuple[str, ...]:
        """Whom it puts on call: the person, or nobody."""
        return (self.user,) if self.user else ()


def final_shifts(
    schedule: Schedule, overrides: Iterable[Override], start: datetime, end: datetime
) -> list[Shift]:
    """Who is on call from ``start`` to ``end``: consecutive shifts covering the window, each
    with other people (or nobody) than the one before, cut at the window's edges."""
    low, high = _window(start, end)
    people = _People()
    begins, crews = _final_segments(schedule, overrides, low, high, people)
    return _shifts_of(begins, crews, high, people)


def layer_shifts(
    schedule: Schedule,
    layer: Layer,
    start: datetime,
    end: datetime,
    overrides: Iterable[Override] = (),
) -> list[Shift]:
    """One layer's turns from ``start`` to ``end``, restrictions and the overrides of that
    layer applied (no gaps listed)."""
    low, high = _window(start, end)
    zone = schedule.zone_of(layer)
    people = _People()
    clock = _clock_for(schedule, zone, low, high)
    mine = _override_segments(schedule.name, overrides, low, high, people, layer=layer.name)
    turns = _layer_segments(layer, zone, clock, low, high, people, mine, schedule.away)
    names = people.names
    return [
        Shift(moment_of(begin), moment_of(finish), (names[user],))
        for begin, finish, user in zip(
            turns.begins.tolist(), turns.ends.tolist(), turns.users.tolist(), strict=True
        )
    ]


def on_call_at(schedule: Schedule, overrides: Sequence[Override], at: datetime) -> Shift:
    """The shift holding ``at``: who (nobody in a gap), from when to when those same people
    are on call without a break (up to HORIZON on either side)."""
    found = _stretch(schedule, overrides, at, None)
    assert found is not None  # some shift holds every instant
    return found


def stretch_of(
    schedule: Schedule, overrides: Sequence[Override], user: str, at: datetime
) -> Shift | None:
    """``user``'s stretch on call holding ``at``, from when to when they are on call without
    a break, whoever is on call beside them (up to HORIZON on either side), as a shift of
    theirs alone; None when they are not on call at ``at``."""
    return _stretch(schedule, overrides, at, user)


def on_call_stretches(
    schedule: Schedule, overrides: Sequence[Override], at: datetime
) -> list[Shift]:
    """Each person on call at ``at`` with their own stretch, a shift each, in the order the
    layers name them; in a gap, the gap's shift."""
    shift = on_call_at(schedule, overrides, at)
    if len(shift.users) < 2:
        return [shift]
    found = (stretch_of(schedule, overrides, user, at) for user in shift.users)
    return [stretch for stretch in found if stretch is not None]


def _stretch(
    schedule: Schedule, overrides: Sequence[Override], at: datetime, user: str | None
) -> Shift | None:
    """The stretch holding ``at`` of ``user`` (None: of the people on call then), looked for
    in a widening window."""
    reach = _FIRST_REACH
    while True:
        low, high = max(at - reach, EARLIEST), min(at + reach, LATEST)
        shifts = final_shifts(schedule, overrides, low, high)
        index = next(n for n, shift in enumerate(shifts) if shift.end > at)
        users = shifts[index].users
        if user is not None and user not in users:
            return None
        first, last = index, index
        if user is not None:  # one person's stretch may hold several shifts of others
            while first > 0 and user in shifts[first - 1].users:
                first -= 1
            while last + 1 < len(shifts) and user in shifts[last + 1].users:
                last += 1
        begin, finish = shifts[first].start, shifts[last].end
        cut = (begin == low and low > EARLIEST) or (finish == high and high < LATEST)
        if not cut or reach >= HORIZON:
            return Shift(begin, finish, users if user is None else (user,))
        reach = min(reach * 4, HORIZON)


def next_shift(
    schedule: Schedule,
    overrides: Sequence[Override],
    after: datetime,
    *,
    user: str | None = None,
) -> Shift | None:
    """The next shift to begin after ``after`` (a gap included), or ``user``'s next stretch;
    None when there is none within HORIZON. Looked for in a widening window: the next
    handoff is usually days away, and a year of shifts costs fifty times a week's."""
    reach = _FIRST_REACH
    while True:
        end = min(after + reach, LATEST)
        shifts = final_shifts(schedule, overrides, after, end)
        for before, shift in pairwise(shifts):
            if user is None:
                return on_call_at(schedule, overrides, shift.start)
            if user in shift.users and user not in before.users:
                return stretch_of(schedule, overrides, user, shift.start)
        if reach >= HORIZON or end == LATEST:
            return None
        reach = min(reach * 4, HORIZON)


def stretches(shifts: Iterable[Shift], user: str) -> list[Shift]:
    """``user``'s stretches among consecutive ``shifts``: the shifts that hold them, joined
    where one follows another, each a shift of theirs alone."""
    found: list[Shift] = []
    for shift in shifts:
        if user not in shift.users:
            continue
        if found and found[-1].end == shift.start:
            found[-1] = found[-1]._replace(end=shift.end)
        else:
            found.append(Shift(shift.start, shift.end, (user,)))
    return found


def gaps(
    schedule: Schedule, overrides: Iterable[Override], start: datetime, end: datetime
) -> list[Shift]:
    """The stretches from ``start`` to ``end`` with nobody on call."""
    return [shift for shift in final_shifts(schedule, overrides, start, end) if not shift.users]


def displaced(schedule: Schedule, overrides: Iterable[Override], override: Override) -> list[Shift]:
    """Whom ``override`` takes the schedule from (of a layer's: that layer's turns), inside
    its window as it was without it and every newer override (``users`` empty: it fills a
    gap)."""
    older = [o for o in overrides if o.age < override.age]
    if override.layer is not None:
        layer = next((one for one in schedule.layers if one.name == override.layer), None)
        if layer is None:
            return []
        shifts = layer_shifts(schedule, layer, override.start, override.end, older)
    else:
        shifts = final_shifts(schedule, older, override.start, override.end)
    return [shift for shift in shifts if shift.users != override.users]


# -- the layers ---------------------------------------------------------------------------
# The work is done on arrays of int64 microseconds (numpy): a year of a schedule is a few
# thousand turns and windows, and a loop in Python over each of them cost twice the target
# (bench/oncall.py). Datetimes and Shifts are made once, for the answer.
class _People:
    """Users as small integers, so that arrays can hold them; -1 is nobody (``names[-1]``).
    The people on call together at an instant are a crew, also numbered (``crews``)."""

    def __init__(self) -> None:
        self._codes: dict[str, int] = {}
        self.names: list[str | None] = [None]
        self.crews: list[tuple[str, ...]] = []
        self._crew_codes: dict[tuple[str, ...], int] = {}

    def codes(self, users: Sequence[str | None]) -> Codes:
        for user in users:
            if user is not None and user not in self._codes:
                self._codes[user] = len(self.names) - 1
                self.names.insert(-1, user)
        return np.array(
            [-1 if user is None else self._codes[user] for user in users], dtype=np.int64
        )

    def crew(self, users: tuple[str, ...]) -> int:
        """The number of the crew of ``users``, in that order."""
        code = self._crew_codes.get(users)
        if code is None:
            code = self._crew_codes[users] = len(self.crews)
            self.crews.append(users)
        return code

    def solos(self) -> Codes:
        """For each user code, the crew of that person alone; indexed by -1, nobody's."""
        return np.array([self.crew((name,) if name else ()) for name in self.names], dtype=np.int64)


class _Segments(NamedTuple):
    """Sorted, disjoint intervals ``begins[i]`` to ``ends[i]``, each held by ``users[i]``."""

    begins: Instants
    ends: Instants
    users: Codes


_NOWHERE = np.array([], dtype=np.int64)
_NONE = _Segments(_NOWHERE, _NOWHERE, _NOWHERE)


def _final_segments(
    schedule: Schedule, overrides: Iterable[Override], low: int, high: int, people: _People
) -> tuple[Instants, Codes]:
    """Where each stretch begins and its crew (``people.crews``), from ``low`` to ``high``."""
    overrides = list(overrides)
    clocks: dict[str, ZoneClock] = {}
    layers = []
    for layer in schedule.layers:
        zone = schedule.zone_of(layer)
        if zone not in clocks:
            clocks[zone] = _clock_for(schedule, zone, low, high)
        mine = _override_segments(schedule.name, overrides, low, high, people, layer=layer.name)
        turns = _layer_segments(layer, zone, clocks[zone], low, high, people, mine, schedule.away)
        layers.append(turns)
    above = _override_segments(schedule.name, overrides, low, high, people)
    return _stacked(schedule.overlap, layers, above, low, high, people)


def _clock_for(schedule: Schedule, zone: str, low: int, high: int) -> ZoneClock:
    """A clock of ``zone`` wide enough for every handoff that bears on the window (a turn
    that began up to a rotation before it, one that ends up to a rotation after it)."""
    rotations = [layer.rotation for layer in schedule.layers if layer.rotation]
    longest = max((rotation.longest_days for rotation in rotations), default=0) * DAY
    return ZoneClock(zone, low - longest - 2 * DAY, high + longest + 2 * DAY)


def _layer_segments(
    layer: Layer,
    zone: str,
    clock: ZoneClock,
    low: int,
    high: int,
    people: _People,
    overrides: _Segments = _NONE,
    away: Sequence[Away] = (),
) -> _Segments:
    """The layer's turns (those of someone ``away`` passed on, restrictions applied), its
    ``overrides`` (disjoint segments, the newest on top) in place of its person wherever it
    has a turn, a ``none`` member's included; then turns of nobody left out."""
    if layer.ical is not None:
        turns = _feed_turns(layer.ical.shifts, people, low, high)
    elif layer.rotation is not None and not layer.rotation.on_wall_clock:
        turns = _hour_turns(layer, zone, people.codes(layer.members), low, high)
    elif layer.rotation is not None and layer.rotation.months:
        turns = _month_turns(layer, clock, people.codes(layer.members), low, high)
    else:
        turns = _wall_turns(layer, clock, people.codes(layer.members), low, high)
    if away and layer.ical is None:
        turns = _passed_on(turns, layer.members, away, people)
    if layer.restrictions:
        turns = _intersect(turns, _windows(layer.restrictions, clock, low, high))
    if len(overrides.begins) and len(turns.begins):
        turns = _overlaid(turns, _intersect(overrides, (turns.begins, turns.ends)), high)
    return _someones(turns)


def _passed_on(
    turns: _Segments, members: Sequence[str | None], away: Sequence[Away], people: _People
) -> _Segments:
    """The turns, each part of one whose member is away passed to the next member of the
    list who is not (nobody's, -1, where every member is away)."""
    if not len(turns.begins):
        return turns
    first, last = int(turns.begins[0]), int(turns.ends[-1])
    order = [int(code) for code in people.codes(members)]
    off: dict[int, list[tuple[int, int]]] = {}
    for one in away:
        if one.user in members and one.start < last and one.end > first:
            off.setdefault(order[members.index(one.user)], []).append((one.start, one.end))
    if not off:
        return turns
    pieces: list[tuple[int, int, int]] = []
    for begin, finish, user in zip(
        turns.begins.tolist(), turns.ends.tolist(), turns.users.tolist(), strict=True
    ):
        if not _away_within(off.get(user, ()), begin, finish):
            pieces.append((begin, finish, user))
            continue
        at = order.index(user)
        candidates = list(dict.fromkeys(c for c in order[at:] + order[:at] if c >= 0))
        cuts = {begin, finish}
        cuts.update(p for spans in off.values() for s in spans for p in s if begin < p < finish)
        for low, high in pairwise(sorted(cuts)):
            taker = next((c for c in candidates if not _away_within(off.get(c, ()), low, high)), -1)
            if pieces and pieces[-1][1] == low and pieces[-1][2] == taker:
                pieces[-1] = (pieces[-1][0], high, taker)
            else:
                pieces.append((low, high, taker))
    begins, ends, users = zip(*pieces, strict=True)
    return _Segments(
        np.array(begins, dtype=np.int64),
        np.array(ends, dtype=np.int64),
        np.array(users, dtype=np.int64),
    )


def _away_within(spans: Iterable[tuple[int, int]], begin: int, finish: int) -> bool:
    return any(start < finish and begin < end for start, end in spans)


def _overlaid(below: _Segments, above: _Segments, high: int) -> _Segments:
    """``below``'s segments, ``above``'s (inside them) holding where they are."""
    bounds = [edge for segments in (below, above) for edge in (segments.begins, segments.ends)]
    edges = np.unique(np.concatenate([*bounds, np.array([high], dtype=np.int64)]))
    pieces, ends = edges[:-1], edges[1:]
    held_below, users_below = _holding(below, pieces)
    held_above, users_above = _holding(above, pieces)
    kept = held_below | held_above
    users = np.where(held_above, users_above, users_below)
    return _Segments(pieces[kept], ends[kept], users[kept])


def _someones(turns: _Segments) -> _Segments:
    """The turns of someone: a turn of nobody (a ``none`` member) is no turn of the layer."""
    kept = turns.users >= 0
    if kept.all():
        return turns
    return _Segments(turns.begins[kept], turns.ends[kept], turns.users[kept])


def _feed_turns(
    shifts: Sequence[tuple[int, int, str]], people: _People, low: int, high: int
) -> _Segments:
    """An iCal layer's shifts (sorted and disjoint) that overlap the window, cut to it."""
    first = bisect_right(shifts, low, key=lambda shift: shift[1])
    turns: list[tuple[int, int, str]] = []
    for begin, finish, user in shifts[first:]:
        if begin >= high:
            break
        turns.append((max(begin, low), min(finish, high), user))
    if not turns:
        return _NONE
    begins, ends, users = zip(*turns, strict=True)
    return _Segments(
        np.array(begins, dtype=np.int64), np.array(ends, dtype=np.int64), people.codes(users)
    )


def _wall_turns(layer: Layer, clock: ZoneClock, members: Codes, low: int, high: int) -> _Segments:
    """Turns handed over at wall-clock times: start + k rotations, each at its first instant
    (two handoffs inside one jump forward make an empty turn: its member's is skipped)."""
    assert layer.rotation is not None and layer.start is not None
    step = layer.rotation.days * DAY or layer.rotation.hours * HOUR
    origin = wall_of(layer.start)
    reading_low, reading_high = clock.local(low), clock.local(high)
    if origin > reading_high + DAY:  # not started by the window's end
        return _NONE
    # The turn the clocks reading at low have reached (in a repeated hour, maybe one before),
    # to the first that begins after the window (the clocks read less than a day back).
    first = max(0, (reading_low - origin) // step)
    last = (reading_high + DAY - origin) // step + 1
    walls = origin + np.arange(first, last + 1, dtype=np.int64) * step
    return _cut_turns(clock.first_reaching(walls), first, members, low, high)


def _month_turns(layer: Layer, clock: ZoneClock, members: Codes, low: int, high: int) -> _Segments:
    """Turns handed over on the start's day of each month at its time (the month's last day
    when it is shorter), each at its first instant."""
    assert layer.rotation is not None and layer.start is not None
    start, step = layer.start, layer.rotation.months
    reading_low = wall_text(clock.local(low))
    reading_high = wall_text(clock.local(high) + DAY)
    if start > reading_high:  # not started by the window's end
        return _NONE
    # The turn the clocks reading at low have reached (in a repeated hour, maybe one before),
    # to the first that begins after the window (the clocks read less than a day back).
    first = _months_between(start, reading_low) // step
    if start + relativedelta(months=first * step) > reading_low:
        first -= 1
    first = max(0, first)
    last = _months_between(start, reading_high) // step + 1
    walls = np.array(
        [wall_of(start + relativedelta(months=turn * step)) for turn in range(first, last + 1)],
        dtype=np.int64,
    )
    return _cut_turns(clock.first_reaching(walls), first, members, low, high)


def _months_between(earlier: datetime, later: datetime) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def _hour_turns(layer: Layer, zone: str, members: Codes, low: int, high: int) -> _Segments:
    """Turns of so many elapsed hours from the first instant of the layer's start."""
    assert layer.rotation is not None and layer.start is not None
    origin_wall = wall_of(layer.start)
    clock = ZoneClock(zone, origin_wall - DAY, origin_wall + DAY)
    origin = int(clock.first_reaching(np.array([origin_wall], dtype=np.int64))[0])
    step = layer.rotation.hours * HOUR
    first, last = max(0, (low - origin) // step), (high - origin) // step + 1
    handoffs = origin + np.arange(first, last + 1, dtype=np.int64) * step
    return _cut_turns(handoffs, first, members, low, high)


def _cut_turns(handoffs: Instants, first: int, members: Codes, low: int, high: int) -> _Segments:
    """Turn ``first + n`` runs from ``handoffs[n]`` to ``handoffs[n + 1]``: those that
    overlap the window, cut to it (two handoffs in one jump forward make an empty turn)."""
    begins, ends = handoffs[:-1], handoffs[1:]
    users = members[np.arange(first, first + len(begins)) % len(members)]
    kept = (ends > low) & (begins < high) & (begins < ends)
    begins, ends, users = begins[kept], ends[kept], users[kept]
    if len(begins):
        begins[0] = max(int(begins[0]), low)
        ends[-1] = min(int(ends[-1]), high)
    return _Segments(begins, ends, users)


def _windows(
    restrictions: Sequence[Restriction | Span], clock: ZoneClock, low: int, high: int
) -> tuple[Instants, Instants]:
    """The instants the restrictions allow, as sorted disjoint intervals around the window
    (every local day that bears on it)."""
    first_day = (clock.local(low) - DAY) // DAY * DAY
    last_day = (clock.local(high) + DAY) // DAY * DAY
    monday = first_day - (first_day // DAY + 3) % 7 * DAY  # 1970-01-01 was a Thursday
    opens, closes = _week_of(tuple(restrictions))
    weeks = np.arange(monday, last_day + 1, 7 * DAY, dtype=np.int64)[:, np.newaxis]
    lows, highs = (weeks + opens).ravel(), (weeks + closes).ravel()
    kept = (highs > first_day) & (lows < last_day + DAY)
    return clock.instants_reading(lows[kept], highs[kept])


@lru_cache(maxsize=1024)
def _week_of(restrictions: tuple[Restriction | Span, ...]) -> tuple[Instants, Instants]:
    """The restrictions' windows in a week from Monday 00:00, sorted and disjoint: a window
    that runs past Sunday (into Monday morning) wraps to the week's start."""
    windows = []
    for rule in restrictions:
        for begin, finish in rule.week_windows():
            begin, finish = begin * MINUTE, finish * MINUTE
            if finish > WEEK:
                windows += [(begin, WEEK), (0, finish - WEEK)]
            else:
                windows.append((begin, finish))
    joined: list[tuple[int, int]] = []
    for begin, finish in sorted(windows):
        if joined and begin <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(finish, joined[-1][1]))
        else:
            joined.append((begin, finish))
    week = np.array(joined, dtype=np.int64).reshape(-1, 2)
    return week[:, 0], week[:, 1]


def _intersect(turns: _Segments, windows: tuple[Instants, Instants]) -> _Segments:
    """The parts of ``turns`` inside ``windows`` (both sorted and disjoint)."""
    opens, closes = windows
    # Window i meets the turns from first[i] (the first to end after it opens) up to the
    # first to begin at or after it closes: one part for each.
    first = np.searchsorted(turns.ends, opens, side="right")
    counts = np.maximum(np.searchsorted(turns.begins, closes, side="left") - first, 0)
    window = np.repeat(np.arange(len(opens)), counts)
    turn = np.arange(counts.sum()) + np.repeat(first - (np.cumsum(counts) - counts), counts)
    begins = np.maximum(turns.begins[turn], opens[window])
    ends = np.minimum(turns.ends[turn], closes[window])
    kept = begins < ends
    return _Segments(begins[kept], ends[kept], turns.users[turn][kept])


# -- stacking -----------------------------------------------------------------------------
def _override_segments(
    schedule: str,
    overrides: Iterable[Override],
    low: int,
    high: int,
    people: _People,
    *,
    layer: str | None = None,
) -> _Segments:
    """Where the overrides of the schedule (``layer`` None) or of that layer hold it, the
    newest on top, as disjoint segments (nobody's: -1)."""
    mine = sorted(
        (o for o in overrides if o.schedule == schedule and o.layer == layer), key=lambda o: o.age
    )
    clipped = [(max(instant_of(o.start), low), min(instant_of(o.end), high), o.user) for o in mine]
    clipped = [(s, e, user) for s, e, user in clipped if s < e]
    points = sorted({point for s, e, _ in clipped for point in (s, e)})
    segments: list[tuple[int, int, str | None]] = []
    for begin, finish in pairwise(points):
        holders = [user for s, e, user in clipped if s <= begin and finish <= e]
        if holders:
            segments.append((begin, finish, holders[-1]))
    if not segments:
        return _NONE
    begins, ends, users = zip(*segments, strict=True)
    return _Segments(
        np.array(begins, dtype=np.int64), np.array(ends, dtype=np.int64), people.codes(users)
    )


def _stacked(
    overlap: str,
    layers: Sequence[_Segments],
    above: _Segments,
    low: int,
    high: int,
    people: _People,
) -> tuple[Instants, Codes]:
    """Who holds each instant from ``low`` to ``high``, as where each stretch begins and its
    crew (a stretch for each change of crew). Every segment's edges cut the window into
    pieces; in each piece, each layer is active throughout or not at all. The overrides
    (``above``) hold a piece alone; else, with ``overlap`` "last", the last layer active at
    the piece's start holds it, and with "all" every active layer's person does."""
    bounds = [np.array([low, high], dtype=np.int64)]
    bounds += [edge for segments in (*layers, above) for edge in (segments.begins, segments.ends)]
    edges = np.sort(np.concatenate(bounds))
    pieces = edges[np.flatnonzero(edges[1:] != edges[:-1])]  # each distinct edge but the last
    if overlap == "all":
        holder = _everyone(layers, pieces, people)
    else:
        holder = np.full(len(pieces), -1, dtype=np.int64)
        for segments in layers:
            active, users = _holding(segments, pieces)
            holder = np.where(active, users, holder)
        holder = people.solos()[holder]
    active, users = _holding(above, pieces)
    holder = np.where(active, people.solos()[users], holder)
    changes = np.flatnonzero(np.concatenate(([True], holder[1:] != holder[:-1])))
    return pieces[changes], holder[changes]


def _holding(segments: _Segments, pieces: Instants) -> tuple[npt.NDArray[np.bool_], Codes]:
    """Whether a segment holds each piece's start, and whose it is (meaningless where not)."""
    if not len(segments.begins):
        return np.zeros(len(pieces), dtype=bool), np.full(len(pieces), -1, dtype=np.int64)
    index = np.searchsorted(segments.begins, pieces, side="right") - 1
    within = np.maximum(index, 0)
    return (index >= 0) & (segments.ends[within] > pieces), segments.users[within]


def _everyone(layers: Sequence[_Segments], pieces: Instants, people: _People) -> Codes:
    """For each piece, the crew of every active layer's person, in the layers' order (each
    person once). Crews are found once per distinct combination of the layers' people."""
    if not layers:
        return np.full(len(pieces), people.crew(()), dtype=np.int64)
    rows = []
    for segments in layers:
        active, users = _holding(segments, pieces)
        rows.append(np.where(active, users, -1))
    combinations, inverse = np.unique(np.stack(rows, axis=1), axis=0, return_inverse=True)
    names = people.names
    crews = [
        people.crew(tuple(dict.fromkeys(str(names[code]) for code in row if code >= 0)))
        for row in combinations.tolist()
    ]
    return np.array(crews, dtype=np.int64)[inverse.reshape(-1)]


def _shifts_of(begins: Instants, crews: Codes, high: int, people: _People) -> list[Shift]:
    """The stretches as Shifts, the last ending at ``high``."""
    moments = list(map(_moment, begins.tolist()))
    moments.append(_moment(high))
    holders = list(map(people.crews.__getitem__, crews.tolist()))
    return list(map(_new_shift, repeat(Shift), zip(moments, moments[1:], holders)))  # noqa: B905


# Making the answer's objects is much of the work for a year of shifts: Shifts made without a
# NamedTuple's Python-level __new__, and each instant's datetime made once and shared (they
# are immutable): the schedules of one zone hand over at the same instants (09:00 on
# weekdays), and the same schedules are asked about again and again.
_new_shift: Callable[[type[Shift], tuple[datetime, datetime, tuple[str, ...]]], Shift]
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
