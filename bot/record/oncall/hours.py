"""Hours on call per person, with how many fell at night and at weekends: what shows that a
rotation is unfair (one person always holding the weekends, say).

Counted from the final schedule (overrides included) in real elapsed time. A night is when
the person's clocks read from 22:00 to 07:00, a weekend when they read Saturday or Sunday,
both in the person's own zone when the record knows it, else in the schedule's. Clock
changes count as the clocks read them: the night the clocks go forward is an hour shorter,
the night they go back an hour longer (the repeated hour is night twice). A Saturday night
is both a night and a weekend, so the two are not to be added up.

Pure functions of their inputs, like the engine they read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from bot.record.oncall.engine import Override, final_shifts
from bot.record.oncall.schedules import Schedule
from bot.record.oncall.zones import DAY, HOUR, Instants, ZoneClock, instant_of, known_zone

# When a night begins and ends, as wall-clock hours (22:00 to 07:00 the next morning).
NIGHT_FROM_HOUR = 22
NIGHT_TO_HOUR = 7
SATURDAY = 5  # 0 is Monday
_MICROSECOND = timedelta(microseconds=1)

Interval = tuple[int, int]  # microseconds since the epoch, start included, end excluded


@dataclass(frozen=True)
class PersonHours:
    """One person's time on call for one schedule: ``nights`` and ``weekends`` are parts of
    ``total`` (and overlap each other), counted in ``zone``."""

    user: str
    zone: str
    total: timedelta
    nights: timedelta
    weekends: timedelta


@dataclass(frozen=True)
class ScheduleHours:
    """Who held ``schedule`` from ``start`` to ``end``, most hours first, and for how long
    nobody did."""

    schedule: str
    zone: str
    start: datetime
    end: datetime
    people: tuple[PersonHours, ...]
    gaps: timedelta

    @property
    def covered(self) -> timedelta:
        """The hours people were on call, added up (with ``overlap: all``, an hour two
        people held counts twice: a share is of the hours held)."""
        return sum((person.total for person in self.people), timedelta(0))

    def share(self, person: PersonHours) -> float:
        """The person's part of the hours held, from 0 to 1."""
        covered = self.covered
        return person.total / covered if covered else 0.0


def hours_on_call(
    schedule: Schedule,
    overrides: Iterable[Override],
    *,
    start: datetime,
    end: datetime,
    zones: Mapping[str, str],
) -> ScheduleHours:
    """Count each person's hours on ``schedule`` from ``start`` to ``end``; ``zones`` gives
    people's own zones (a person missing or with a zone not in the tz database: the
    schedule's)."""
    shifts = final_shifts(schedule, overrides, start, end)
    by_person: dict[str, list[Interval]] = {}
    gaps = 0
    for shift in shifts:
        interval = (instant_of(shift.start), instant_of(shift.end))
        if not shift.users:
            gaps += interval[1] - interval[0]
        for user in shift.users:  # with overlap: all, each of them holds it whole
            by_person.setdefault(user, []).append(interval)
    low, high = instant_of(start), instant_of(end)
    people = []
    for user, intervals in by_person.items():
        zone = zones.get(user) or schedule.timezone
        zone = zone if known_zone(zone) else schedule.timezone
        nights, weekends = local_windows(zone, low, high)
        people.append(
            PersonHours(
                user=user,
                zone=zone,
                total=_duration(sum(e - s for s, e in intervals)),
                nights=_duration(overlap(intervals, nights)),
                weekends=_duration(overlap(intervals, weekends)),
            )
        )
    people.sort(key=lambda person: (-person.total, person.user))
    return ScheduleHours(
        schedule.name, schedule.timezone, start, end, tuple(people), _duration(gaps)
    )


def local_windows(zone: str, low: int, high: int) -> tuple[list[Interval], list[Interval]]:
    """The instants from ``low`` to ``high`` (and a day around) when ``zone``'s clocks read
    night, and when they read a weekend day, as sorted UTC intervals."""
    # Wide enough for every window that touches low to high, whatever the zone's offset.
    clock = ZoneClock(zone, low - 4 * DAY, high + 4 * DAY)
    first_day = clock.local(low - DAY) // DAY * DAY
    days = np.arange(first_day, clock.local(high + DAY) // DAY * DAY, DAY, dtype=np.int64)
    nights = clock.instants_reading(
        days + NIGHT_FROM_HOUR * HOUR, days + DAY + NIGHT_TO_HOUR * HOUR
    )
    # 1970-01-01 was a Thursday (3).
    saturdays = days[(days // DAY + 3) % 7 == SATURDAY]
    weekends = clock.instants_reading(saturdays, saturdays + 2 * DAY)
    return _pairs(nights), _pairs(weekends)


def _pairs(intervals: tuple[Instants, Instants]) -> list[Interval]:
    begins, ends = intervals
    return list(zip(begins.tolist(), ends.tolist(), strict=True))


def overlap(intervals: Sequence[Interval], windows: Sequence[Interval]) -> int:
    """How much of ``intervals`` lies inside ``windows`` (each sorted and disjoint)."""
    total, index, count = 0, 0, len(windows)
    for begin, finish in intervals:
        while index < count and windows[index][1] <= begin:
            index += 1
        scan = index
        while scan < count and windows[scan][0] < finish:
            total += max(0, min(finish, windows[scan][1]) - max(begin, windows[scan][0]))
            scan += 1
    return total


def _duration(microseconds: int) -> timedelta:
    return microseconds * _MICROSECOND


__all__ = ["PersonHours", "ScheduleHours", "hours_on_call", "local_windows", "overlap"]
