"""Recurring calendar events expanded into their occurrences, as RFC 5545 defines them.

A series is a VEVENT (its UID) with its recurrence: RRULEs (``dateutil.rrule``), RDATEs, less
its EXDATEs, and the instances moved or cancelled by other VEVENTs of the same UID carrying a
RECURRENCE-ID. The rules run on the event's own wall clock (its TZID, whatever its name: the
feed's VTIMEZONE gives the rules), so a weekly 09:00 handoff stays at 09:00 across a clock
change, and each occurrence lasts what the first did on that clock (a week from 09:00 to
09:00 holds 167 or 169 hours), as the calendar tools that export on-call rotations mean it.
A local time the clocks skip is read with the offset before the jump (RFC 5545, 3.3.5), and
an occurrence that the change would leave with no time at all lasts what the first one did.
Floating times and all-day dates are read in the zone given.

``occurrences`` yields them lazily, series after series, so a caller can stop counting an
RRULE that repeats every minute. No RANGE=THISANDFUTURE: a moved instance moves itself only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import cast
from zoneinfo import ZoneInfo

import icalendar
from dateutil.rrule import rrule, rruleset, rrulestr
from icalendar import vDDDTypes, vRecur

# Wall clocks are at most a day from UTC: the margin around a window read on one.
_MARGIN = timedelta(days=1)
_LAST_SECOND = timedelta(days=1, seconds=-1)


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of an event: the component it takes its details from, and its start
    and end in Unix seconds."""

    event: icalendar.Event
    start: int
    end: int


def occurrences(
    calendar: icalendar.Calendar, *, zone: str, start: datetime, end: datetime
) -> Iterator[Occurrence]:
    """Every occurrence of the calendar's events that overlaps ``start`` to ``end`` (in no
    particular order; cancelled ones left out)."""
    low, high = int(start.timestamp()), int(end.timestamp())
    masters: list[icalendar.Event] = []
    moved: dict[str, list[icalendar.Event]] = {}
    for component in calendar.walk("VEVENT"):
        # icalendar builds each VEVENT as an Event; walk() is typed with their base class.
        event = cast(icalendar.Event, component)
        if "RECURRENCE-ID" in event:
            moved.setdefault(str(event.get("UID", "")), []).append(event)
        else:
            masters.append(event)
    for master in masters:
        instead = moved.get(str(master.get("UID", "")), [])
        replaced = {_instant(_recurrence_id(event), zone) for event in instead}
        yield from _series(master, replaced, zone, low, high)
    for events in moved.values():
        for event in events:
            if not _cancelled(event):
                yield from _single(event, zone, low, high)


def _recurrence_id(event: icalendar.Event) -> date | datetime:
    """The start of the occurrence that ``event`` replaces (its RECURRENCE-ID)."""
    moment = cast(vDDDTypes, event["RECURRENCE-ID"]).dt
    # RFC 5545 3.8.4.4: RECURRENCE-ID is a DATE-TIME, or a DATE.
    assert isinstance(moment, date)
    return moment


def _series(
    master: icalendar.Event, replaced: set[int], zone: str, low: int, high: int
) -> Iterator[Occurrence]:
    if _cancelled(master):
        return
    if not master.rrules and not master.rdates:
        yield from _single(master, zone, low, high)
        return
    first, length = master.start, master.end - master.start
    # An occurrence the clock change squeezes to nothing (02:30 to 03:30 on the night 02:00
    # becomes 03:00) lasts what the first one did in elapsed time instead.
    elapsed = _instant(master.end, zone) - _instant(first, zone)
    clock = _clock(first, zone)
    excluded = {_instant(moment, zone) for moment in master.exdates} | replaced
    rules = _rules(master, first, clock)
    earliest = _wall(datetime.fromtimestamp(low, clock) - length - _MARGIN)
    latest = _wall(datetime.fromtimestamp(high, clock) + _MARGIN)
    for wall in rules.xafter(earliest, inc=True):
        if wall >= latest:
            break
        begins: date | datetime = (
            wall.date() if not isinstance(first, datetime) else wall.replace(tzinfo=first.tzinfo)
        )
        start, end = _instant(begins, zone), _instant(begins + length, zone)
        if end <= start:
            end = start + elapsed
        if start not in excluded and start < high and end > low and end > start:
            yield Occurrence(master, start, end)


def _single(event: icalendar.Event, zone: str, low: int, high: int) -> Iterator[Occurrence]:
    start, end = _instant(event.start, zone), _instant(event.end, zone)
    if start < high and end > low and end > start:
        yield Occurrence(event, start, end)


def _rules(master: icalendar.Event, first: date | datetime, clock: tzinfo) -> rruleset:
    """The series' start times on its own wall clock (naive datetimes): DTSTART (always the
    first, RFC 5545 3.8.5.3), each RRULE and each RDATE."""
    origin = _wall(first)
    rules = rruleset()
    rules.rdate(origin)
    for recur in master.rrules:
        rules.rrule(_rule(recur, origin, clock))
    for moment, _ in master.rdates:
        rules.rdate(_wall(moment, clock))
    return rules


def _rule(recur: vRecur, origin: datetime, clock: tzinfo) -> rrule:
    """One RRULE on the wall clock; its UNTIL (UTC when DTSTART has a zone) read there too."""
    parts = {key: value for key, value in recur.items() if key != "UNTIL"}
    written: bytes = vRecur(parts).to_ical()
    rule = rrulestr(written.decode(), dtstart=origin)
    assert isinstance(rule, rrule)
    until = recur.get("UNTIL")
    if not until:
        return rule
    last = until[0]
    limit = _wall(last, clock) if isinstance(last, datetime) else _wall(last) + _LAST_SECOND
    return rule.replace(until=limit)


def _clock(first: date | datetime, zone: str) -> tzinfo:
    """The wall clock a series runs on: its start's zone, or ``zone`` for floating times."""
    if isinstance(first, datetime) and first.tzinfo is not None:
        return first.tzinfo
    return ZoneInfo(zone)


def _wall(moment: date | datetime, clock: tzinfo | None = None) -> datetime:
    """A moment as a naive wall-clock time (on ``clock`` when it has a zone of its own)."""
    if not isinstance(moment, datetime):
        return datetime(moment.year, moment.month, moment.day)
    if moment.tzinfo is not None and clock is not None:
        moment = moment.astimezone(clock)
    return moment.replace(tzinfo=None)


def _instant(moment: date | datetime, zone: str) -> int:
    """Unix seconds of a start or end: a date is midnight in ``zone``, a floating time is
    read in ``zone``."""
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return int(moment.timestamp())


def _cancelled(event: icalendar.Event) -> bool:
    return str(event.get("STATUS", "")).upper() == "CANCELLED"
