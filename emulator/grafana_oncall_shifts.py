"""The final shifts of a fake Grafana OnCall schedule, computed from its on-call shifts.

Written from Grafana OnCall's documentation alone (grafana/oncall,
``docs/sources/oncall-api-reference/on_call_shifts.md`` and ``schedules.md``), never from
warroom's engine, so that ``warroom import --compare`` checks one against the other:

- A shift's ``start`` is a wall-clock time (``yyyy-MM-dd'T'HH:mm:ss``) in its ``time_zone``,
  "default is local schedule time zone" (on_call_shifts.md, ``time_zone``).
- ``recurrent_event`` and ``rolling_users`` shifts repeat by an RFC 5545 recurrence
  (``frequency``, ``interval``, ``by_day``, ``week_start``, ``until``: "For more information
  about recurrence rules, refer to RFC 5545"), computed on the wall clock of the zone, as
  RFC 5545 §3.3.10 does for a DTSTART with a time zone. A monthly date a month lacks is
  skipped (RFC 5545: "Recurrence rules may generate recurrence instances with an invalid date
  ... such recurrence instances MUST be ignored").
- ``rolling_users``: "Grafana OnCall will iterate over lists of users for every time frame
  specified in ``frequency``" (on_call_shifts.md): each frame (``interval`` hours, days,
  weeks or months) is the next list's, from ``start_rotation_from_user_index``; an empty list
  has no event in its frame (nobody of this shift is on call, the levels below show). A weekly
  frame with ``by_day`` holds that week's days (weeks begin on ``week_start``, Sunday unless
  said), and with an interval of n weeks only the first week of each frame has events (the
  rule repeats every n weeks). A daily rule with ``by_day`` gives each day it falls on to the
  next list.
- Each event lasts ``duration`` seconds of wall-clock time from its start.
- ``level``: "If two events overlap in one schedule, Grafana OnCall will choose the event with
  higher level" (on_call_shifts.md); events of the same level are all on call.
- ``override`` shifts are "on top": they beat every level (schedules.md,
  ``ical_url_overrides``: "Events from this calendar override events from primary calendar or
  from on-call shifts").
- ``rotation_start``: events that begin before it are left out (the frames still count).

Not documented, so chosen here and said: a wall-clock time the clocks skip is read as the
instant they jump past it, and one they repeat as its first reading.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
UNITS = {"hourly": timedelta(hours=1), "daily": timedelta(days=1), "weekly": timedelta(days=7)}
DAY = timedelta(days=1)
# How far back from the window events are looked for: longer than any event the fake serves.
LOOKBEHIND = timedelta(days=62)


class UnsupportedShift(ValueError):
    """A shift uses a field the fake does not compute (``by_month``, ``by_monthday``)."""


@dataclass(frozen=True)
class Event:
    """One event of a shift: UTC instants, its users, its level; ``override`` beats all."""

    start: datetime
    end: datetime
    users: tuple[str, ...]
    level: int
    override: bool


def final_shifts(
    shifts: Sequence[Mapping[str, Any]], schedule_zone: str, low: datetime, high: datetime
) -> list[tuple[datetime, datetime, str]]:
    """Who is on call from ``low`` to ``high`` (UTC): ``(start, end, user id)`` rows, each a
    stretch one user is on call without a break, clipped to the window, in start order."""
    events = [
        event
        for shift in shifts
        for event in shift_events(shift, schedule_zone, low - LOOKBEHIND, high)
        if event.end > low and event.start < high
    ]
    cuts = sorted({low, high} | {t for e in events for t in (e.start, e.end) if low < t < high})
    open_since: dict[str, datetime] = {}
    rows: list[tuple[datetime, datetime, str]] = []
    for begin, end in pairwise(cuts):
        now_on = _on_call([e for e in events if e.start <= begin and e.end >= end])
        for user in [u for u in open_since if u not in now_on]:
            rows.append((open_since.pop(user), begin, user))
        for user in now_on:
            open_since.setdefault(user, begin)
    rows += [(since, high, user) for user, since in open_since.items()]
    return sorted(rows)


def _on_call(events: list[Event]) -> set[str]:
    """Overrides on top; else the highest level's events, all their users."""
    overrides = [event for event in events if event.override]
    if overrides:
        return {user for event in overrides for user in event.users}
    if not events:
        return set()
    top = max(event.level for event in events)
    return {user for event in events if event.level == top for user in event.users}


def shift_events(
    shift: Mapping[str, Any], schedule_zone: str, low: datetime, high: datetime
) -> list[Event]:
    """A shift's events that begin before ``high`` and end after ``low``."""
    if shift.get("by_month") or shift.get("by_monthday"):
        raise UnsupportedShift(f"shift {shift['id']}: by_month and by_monthday")
    zone = shift.get("time_zone") or schedule_zone
    start = _naive(shift["start"])
    duration = timedelta(seconds=int(shift["duration"]))
    until = _naive(shift["until"]) if shift.get("until") else None
    first = _naive(shift["rotation_start"]) if shift.get("rotation_start") else None
    groups = _groups(shift)
    level = int(shift.get("level") or 0)
    override = shift["type"] == "override"
    found = []
    for frame, begins in _occurrences(shift, start):
        begin = utc_of(begins, zone)
        if begin >= high or (until is not None and begins > until):
            break
        if first is not None and begins < first:
            continue
        ends = begins + duration if until is None else min(begins + duration, until)
        end = utc_of(ends, zone)
        if end <= low or not groups:
            continue
        users = groups[frame % len(groups)]
        if users:  # an empty list of users is a turn with no event: the levels below show
            found.append(Event(begin, end, users, level, override))
    return found


def _groups(shift: Mapping[str, Any]) -> list[tuple[str, ...]]:
    if shift["type"] == "rolling_users" and shift.get("rolling_users") is not None:
        groups = [tuple(group) for group in shift["rolling_users"]]
        first = int(shift.get("start_rotation_from_user_index") or 0) % max(len(groups), 1)
        return groups[first:] + groups[:first]
    return [tuple(shift.get("users") or [])]


def _occurrences(shift: Mapping[str, Any], start: datetime) -> Iterator[tuple[int, datetime]]:
    """``(frame, wall-clock start)`` of each event, in order."""
    frequency = shift.get("frequency")
    if shift["type"] in ("single_event", "override") or frequency is None:
        yield 0, start
        return
    interval = int(shift.get("interval") or 1)
    by_day = [ICAL_DAYS.index(day) for day in shift.get("by_day") or []]
    if frequency == "weekly" and by_day:
        yield from _weekly_by_day(start, interval, by_day, shift.get("week_start") or "SU")
    elif frequency == "daily" and by_day:
        yield from _daily_by_day(start, interval, by_day)
    elif frequency == "monthly":
        yield from _monthly(start, interval)
    else:
        step = UNITS[frequency] * interval
        frame = 0
        while True:
            yield frame, start + step * frame
            frame += 1


def _weekly_by_day(
    start: datetime, interval: int, by_day: list[int], week_start: str
) -> Iterator[tuple[int, datetime]]:
    first_day = ICAL_DAYS.index(week_start)
    week_begin = start - DAY * ((start.weekday() - first_day) % 7)
    order = sorted(by_day, key=lambda day: (day - first_day) % 7)
    week = 0
    while True:
        if week % interval == 0:
            for day in order:
                moment = week_begin + DAY * (7 * week + (day - first_day) % 7)
                if moment >= start:
                    yield week // interval, moment
        week += 1


def _daily_by_day(
    start: datetime, interval: int, by_day: list[int]
) -> Iterator[tuple[int, datetime]]:
    count = 0
    step = 0
    while True:
        moment = start + DAY * (interval * step)
        if moment.weekday() in by_day:
            yield count, moment
            count += 1
        step += 1


def _monthly(start: datetime, interval: int) -> Iterator[tuple[int, datetime]]:
    frame = 0
    while True:
        months = start.month - 1 + frame * interval
        year, month = start.year + months // 12, months % 12 + 1
        if start.day <= calendar.monthrange(year, month)[1]:
            yield frame, start.replace(year=year, month=month)
        frame += 1


def utc_of(wall: datetime, zone: str) -> datetime:
    """The instant the clocks of ``zone`` first read ``wall`` (or, for a time they skip, the
    instant they jump past it)."""
    tz = ZoneInfo(zone)
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == wall:
        return first
    low = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)  # before the jump
    high = first  # after it
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def _naive(value: str) -> datetime:
    """``yyyy-MM-dd'T'HH:mm:ss`` (on_call_shifts.md, ``start``), an offset dropped."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
