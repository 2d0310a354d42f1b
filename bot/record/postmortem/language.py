"""How a postmortem's language writes dates, times and durations: its ``language.yaml`` in
``templates/postmortem/<code>/``, beside the styles written in it."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from dateutil.relativedelta import relativedelta


@dataclass(frozen=True)
class Language:
    """How a language writes dates, times and durations (``templates/postmortem/<code>/``)."""

    code: str
    months: tuple[str, ...]
    time_format: str
    date_format: str
    units: Mapping[str, tuple[str, str]]
    less_than_a_minute: str
    am: str
    pm: str
    gap_mark: str

    @classmethod
    def load(cls, directory: Path) -> Language:
        """The language of ``directory``, read again only when its file changes: every draft
        asks, and YAML's parser took a millisecond and a half of each."""
        path = directory / "language.yaml"
        stat = path.stat()
        version = (stat.st_mtime_ns, stat.st_size)
        kept = _LOADED.get(path)
        if kept is None or kept[0] != version:
            kept = _LOADED[path] = (version, cls.read(path))
        return kept[1]

    @classmethod
    def read(cls, path: Path) -> Language:
        directory = path.parent
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls(
            code=directory.name,
            months=tuple(data["months"]),
            time_format=data["time_format"],
            date_format=data["date_format"],
            units={unit: (forms[0], forms[1]) for unit, forms in data["units"].items()},
            less_than_a_minute=data["less_than_a_minute"],
            am=data["am"],
            pm=data["pm"],
            gap_mark=data["gap_mark"],
        )

    def fields(self, moment: datetime) -> dict[str, object]:
        return {
            "year": moment.year,
            "month": self.months[moment.month - 1],
            "day": moment.day,
            "hour": f"{moment.hour:02d}",
            "hour_short": moment.hour,
            "hour12": moment.hour % 12 or 12,
            "minute": f"{moment.minute:02d}",
            "ampm": self.am if moment.hour < 12 else self.pm,
            "zone": moment.tzname() or "",
        }

    def words(self, delta: relativedelta) -> str:
        """``1 hour 45 minutes``: the units that are not zero, largest first."""
        parts = []
        for unit in ("years", "months", "days", "hours", "minutes"):
            count = getattr(delta, unit)
            if count:
                singular, plural = self.units[unit]
                parts.append(f"{count} {singular if count == 1 else plural}")
        return " ".join(parts) or self.less_than_a_minute


# Each language file read, by its path, with the time and size it had then.
_LOADED: dict[Path, tuple[tuple[int, int], Language]] = {}


# The fields a date and a time are made of (``Language.fields``): a format that uses no
# others can be written once per day, or per time of day, and reused.
_DAY_FIELDS = frozenset({"year", "month", "day", "zone"})
_CLOCK_FIELDS = frozenset({"hour", "hour_short", "hour12", "minute", "ampm", "zone"})


def _field_names(text: str) -> set[str]:
    """The fields a format string names (``{month} {day}`` → month, day)."""
    names = (name for _, name, _, _ in string.Formatter().parse(text) if name is not None)
    return {name.split(".")[0].split("[")[0] for name in names}


class MinutesSaid:
    """The date and the time a language gives UTC minutes in a zone, for the thousands of
    minutes of a long timeline. An IANA zone's rules are asked once per UTC hour, at its first
    and last minute: none changes twice within an hour (tests/postmortem/test_minutes_said.py
    reads every zone's transitions), so an offset and a name the same at both ends hold for
    every minute between, and a minute's local time is its hour's offset added (cheaper than a
    datetime for each: bench/RESULTS.md). Other zones (a POSIX TZ string
    in dateutil's hands may change twice in ten minutes) are said minute by minute. Within the
    hours said at once, a date is written once per day and zone name and a time once per time
    of day, where the language's formats allow it (a date format that names the hour does not):
    writing both for each minute was a fifth of a 10,000-entry draft's time. An hour in which
    the zone changes, or whose offset is not whole minutes (local mean time, before standard
    zones), is worked out minute by minute."""

    def __init__(self, language: Language, zone: tzinfo | None) -> None:
        self._language = language
        self._zone = zone
        self._split = (
            zone is not None
            and _field_names(language.date_format) <= _DAY_FIELDS
            and _field_names(language.time_format) <= _CLOCK_FIELDS
        )
        # Each UTC hour's (offset in minutes, zone name); None: the zone changes within it.
        self._hours: dict[int, tuple[int, str | None] | None] = {}
        # By local day (or time of day) in minutes since the local epoch, and zone name.
        self._days: dict[tuple[int, str | None], str] = {}
        self._clocks: dict[tuple[int, str | None], str] = {}

    def __call__(self, minute: int) -> tuple[str, str]:
        """(date, time) of the minute that starts ``minute`` minutes after the epoch."""
        if not self._split:
            # No zone of that name (the host's, as ``astimezone`` has it) or formats that mix.
            return self._exactly(datetime.fromtimestamp(minute * 60, UTC).astimezone(self._zone))
        hour = minute // 60
        if hour in self._hours:
            steady = self._hours[hour]
        else:
            steady = self._hours[hour] = self._steady(hour)
        if steady is None:
            return self._exactly(datetime.fromtimestamp(minute * 60, self._zone))
        offset, zone = steady
        local = minute + offset
        day_key, clock_key = (local // _DAY, zone), (local % _DAY, zone)
        day, clock = self._days.get(day_key), self._clocks.get(clock_key)
        if day is None or clock is None:
            day, clock = self._exactly(datetime.fromtimestamp(minute * 60, self._zone))
            self._days[day_key], self._clocks[clock_key] = day, clock
        return day, clock

    def _steady(self, hour: int) -> tuple[int, str | None] | None:
        """The hour's offset in whole minutes and its zone name, if the same all hour."""
        if not isinstance(self._zone, ZoneInfo):
            return None
        first = datetime.fromtimestamp(hour * 3600, self._zone)
        last = datetime.fromtimestamp(hour * 3600 + 3540, self._zone)
        offset = first.utcoffset()
        if offset is None or offset != last.utcoffset() or first.tzname() != last.tzname():
            return None
        if offset % _ONE_MINUTE:
            return None
        return offset // _ONE_MINUTE, first.tzname()

    def _exactly(self, local: datetime) -> tuple[str, str]:
        language = self._language
        fields = language.fields(local)
        return language.date_format.format(**fields), language.time_format.format(**fields)


_DAY = 24 * 60  # minutes
_ONE_MINUTE = timedelta(minutes=1)
