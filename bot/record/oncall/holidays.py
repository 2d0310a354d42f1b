"""Who is away when: a person's leave and a schedule's holidays, as the engine reads them.

A schedule's ``holidays`` in the schedule file are days its people are off::

    holidays:
      dates: [2026-12-25, 2027-01-01]     # days in the schedule's zone
      ical_url: https://example.com/holidays.ics   # optional: a calendar of holidays
      people: [U0DANA, U0ERIN]            # optional: who observes them; by default everyone

Each day (and each day a calendar's events cover) is from midnight to midnight in the
schedule's zone. A person's leave is kept in the database (``bot.record.oncall.leave``).
Both become ``Away`` intervals on the schedule (``Schedule.away``), which the engine reads:
a rotation's turn of someone away passes to the next member of the layer who is not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

from bot.basics.slack_patterns import USER_ID
from bot.record.oncall.zones import instant_of

HOLIDAY_KEYS = ("dates", "ical_url", "people")
# The name a holiday calendar's copy is kept under, as a layer's (no layer may take it).
HOLIDAY_LAYER = "(holidays)"
# An event of a leave or holiday calendar longer than this is cut to it.
LONGEST_EVENT_DAYS = 366
# More dates than any calendar of public holidays holds for years: a pasting mistake.
MAX_HOLIDAY_DATES = 1000
Why = Literal["leave", "holiday"]


class Away(NamedTuple):
    """``user`` is away from ``start`` to ``end`` (integer microseconds, UTC), on leave or
    for a holiday."""

    start: int
    end: int
    user: str
    why: Why


@dataclass(frozen=True)
class Holidays:
    """A schedule's days off: its ``dates`` and, once fetched, the days its calendar's
    events cover (``feed_dates``), for ``people`` (empty: everyone in the schedule)."""

    dates: tuple[date, ...] = ()
    people: tuple[str, ...] = ()
    ical_url: str | None = None
    feed_dates: tuple[date, ...] = ()

    def days(self) -> list[date]:
        return sorted({*self.dates, *self.feed_dates})


def day_bounds(first: date, last: date, zone: str) -> tuple[datetime, datetime]:
    """From midnight of ``first`` to midnight after ``last``, in ``zone`` (aware datetimes;
    a midnight a clock change skips is the first instant after it)."""
    tz = ZoneInfo(zone)
    start = datetime.combine(first, time(0), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
    return start, end


def holiday_away(holidays: Holidays, zone: str, people: tuple[str, ...]) -> list[Away]:
    """Each holiday, for each of ``people`` who observe it (``holidays.people``, else all)."""
    who = holidays.people or people
    away = []
    for day in holidays.days():
        start, end = day_bounds(day, day, zone)
        low, high = instant_of(start), instant_of(end)
        away += [Away(low, high, user, "holiday") for user in who]
    return away


def event_days(spans: Iterable[tuple[int, int]], zone: str) -> list[date]:
    """The days, in ``zone``, that events (Unix seconds from, to) touch: an event of part of
    a day takes the whole day; an all-day event ends at the midnight after its last day."""
    tz = ZoneInfo(zone)
    days: set[date] = set()
    for start, end in spans:
        first = datetime.fromtimestamp(start, tz).date()
        last = datetime.fromtimestamp(max(start, end - 1), tz).date()
        count = min((last - first).days, LONGEST_EVENT_DAYS - 1)
        days.update(first + timedelta(days=n) for n in range(count + 1))
    return sorted(days)


def away_at(away: tuple[Away, ...], user: str, at: int) -> Away | None:
    """What keeps ``user`` away at ``at`` (leave before a holiday), if anything."""
    found = [one for one in away if one.user == user and one.start <= at < one.end]
    return min(found, key=lambda one: one.why != "leave", default=None)


def parse_holidays(where: str, raw: Any, problems: list[str], url: Any) -> Holidays | None:
    """A schedule's ``holidays`` mapping; every problem named with ``where``. ``url`` reads
    an address as an iCal layer's ``ical_url`` is read (it appends its own problem)."""
    if raw is None:
        return None
    field = f"{where}: holidays"
    if not isinstance(raw, dict) or not raw:
        problems.append(f"{field}: expected a mapping with dates, ical_url or both")
        return None
    before = len(problems)
    for key in raw:
        if key not in HOLIDAY_KEYS:
            problems.append(f"{field}: {key}: unknown key (known: {', '.join(HOLIDAY_KEYS)})")
    dates = _dates(field, raw.get("dates", []), problems)
    people = _people(field, raw.get("people", []), problems)
    address = url(field, raw["ical_url"], problems) if "ical_url" in raw else None
    if "dates" not in raw and "ical_url" not in raw:
        problems.append(f"{field}: give dates, like [2026-12-25], or an ical_url, or both")
    if len(problems) > before:
        return None
    return Holidays(dates, people, address)


def _dates(field: str, raw: Any, problems: list[str]) -> tuple[date, ...]:
    if not isinstance(raw, list) or len(raw) > MAX_HOLIDAY_DATES:
        problems.append(f"{field}: dates: expected a list of dates like 2026-12-25")
        return ()
    found = []
    for item in raw:
        day = _date(item)
        if day is None:
            problems.append(f"{field}: dates: {item!r} is not a date like 2026-12-25")
        else:
            found.append(day)
    return tuple(sorted(set(found)))


def _date(raw: Any) -> date | None:
    if isinstance(raw, datetime):
        return None
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        return None


def _people(field: str, raw: Any, problems: list[str]) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(u, str) and USER_ID.match(u) for u in raw):
        problems.append(f"{field}: people: expected a list of Slack user ids (U… or W…)")
        return ()
    return tuple(dict.fromkeys(raw))
