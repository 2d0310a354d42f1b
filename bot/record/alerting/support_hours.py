"""A route's support hours: when its low-urgency alerts page at once (PagerDuty's support
hours). Outside them such an alert waits, and its paging starts when they next start.

Written in the routes file as a zone, days and times::

    support_hours: {zone: Europe/Paris, days: mon-fri, start: "09:00", end: "18:00"}

``days`` is a range (``mon-fri``, ``sat-sun``), a comma list (``mon,wed,fri``) or a YAML list
of both; times are ``HH:MM`` in the zone, ``end`` may be ``24:00``, and ``start`` comes before
``end`` (hours across midnight are not taken).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.basics.yaml_files import unknown_keys

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
KEYS = ("zone", "days", "start", "end")
_TIME = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


class SupportHoursError(ValueError):
    """The support hours are not a zone, days and a start before an end: said in words."""


@dataclass(frozen=True)
class SupportHours:
    """Days of the week (0 is Monday) and minutes of the day, ``start`` to ``end``, in ``zone``."""

    zone: str
    days: frozenset[int]
    start: int
    end: int

    def covers(self, at: datetime) -> bool:
        """Whether ``at`` falls within the hours."""
        local = at.astimezone(ZoneInfo(self.zone))
        minute = local.hour * 60 + local.minute
        return local.weekday() in self.days and self.start <= minute < self.end

    def next_start(self, at: datetime) -> datetime | None:
        """When the hours next start after ``at`` (in UTC); None when ``at`` is within them."""
        if self.covers(at):
            return None
        zone = ZoneInfo(self.zone)
        local = at.astimezone(zone)
        for ahead in range(8):
            day = (local + timedelta(days=ahead)).date()
            opens = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(
                minutes=self.start
            )
            if day.weekday() in self.days and opens > local:
                return opens.astimezone(UTC)
        raise AssertionError("support hours always have a day")  # parse refuses no days


def parse_support_hours(raw: object) -> SupportHours:
    """Support hours from the routes file's mapping; SupportHoursError says what is wrong."""
    if not isinstance(raw, dict):
        raise SupportHoursError('expected {zone: Europe/Paris, days: mon-fri, start: "09:00", ...}')
    if problem := unknown_keys("support_hours", raw, KEYS):
        raise SupportHoursError(problem)
    missing = [key for key in KEYS if key not in raw]
    if missing:
        raise SupportHoursError(f"support_hours: {', '.join(missing)} missing ({', '.join(KEYS)})")
    zone = raw["zone"]
    try:
        ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError):
        raise SupportHoursError(
            f"support_hours: zone {zone!r} is not a time zone (like Europe/Paris)"
        ) from None
    start, end = _minute("start", raw["start"]), _minute("end", raw["end"])
    if start >= end:
        raise SupportHoursError(
            f"support_hours: start {raw['start']} must come before end {raw['end']} "
            "(hours across midnight are not taken)"
        )
    return SupportHours(zone=str(zone), days=_days(raw["days"]), start=start, end=end)


def _minute(key: str, raw: object) -> int:
    if not isinstance(raw, str):  # YAML reads 18:00 unquoted as a number (base 60)
        raise SupportHoursError(f'support_hours: {key}: write the time in quotes, like "09:00"')
    found = _TIME.match(raw)
    minute = int(found[1]) * 60 + int(found[2]) if found else -1
    if not 0 <= minute <= 24 * 60:
        raise SupportHoursError(f"support_hours: {key}: {raw!r} is not a time (00:00 to 24:00)")
    return minute


def _days(raw: object) -> frozenset[int]:
    parts = raw if isinstance(raw, list) else str(raw).split(",")
    days: set[int] = set()
    for part in (str(part).strip().lower() for part in parts):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise SupportHoursError(
                f"support_hours: days: {part!r} is not a day or a range of days "
                f"({', '.join(DAYS)}; like mon-fri or mon,wed,fri)"
            )
        begin, finish = DAYS.index(first), DAYS.index(last or first)
        days.update(day % 7 for day in range(begin, finish + 1 + (7 if finish < begin else 0)))
    if not days:
        raise SupportHoursError("support_hours: days: name at least one day (like mon-fri)")
    return frozenset(days)
