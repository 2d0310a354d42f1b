"""How a postmortem's language writes dates, times and durations (its ``language.yaml``) and
its words (``words.yaml``, the catalog every style's skeleton takes its words from), both in
``templates/postmortem/<code>/``."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from bot.basics.render import builtin_templates_dir


class MissingWord(KeyError):
    """A word a template asks for is not in the language's catalog: the draft fails, it never
    falls back to another language's words."""


@dataclass(frozen=True)
class Plural:
    """A message with a singular and a plural form, chosen by a count (``say(..., count=n)``)."""

    one: Markup
    other: Markup
    # French says "0 seconde": a count up to one is singular (``singular_up_to_one`` in its
    # language.yaml); English says "0 seconds": only one is.
    up_to_one: bool

    def pick(self, count: float) -> Markup:
        """The form ``count`` takes."""
        singular = count <= 1 if self.up_to_one else count == 1
        return self.one if singular else self.other


Word = Markup | Plural


class Words(Mapping[str, "Word | Words"]):
    """A language's words for the draft (``words.yaml``), by key: ``words.kinds.declared`` or
    ``words["kinds"]["declared"]`` in a template. Each message is the template's own text
    (Markup: not escaped again); the fields in its braces are filled by the template's ``say``,
    escaped as any value. A key the catalog lacks raises MissingWord, naming the file."""

    def __init__(self, where: str, entries: Mapping[str, Word | Words]) -> None:
        self._where = where
        self._entries = entries

    @classmethod
    def of(cls, where: str, data: object, *, up_to_one: bool) -> Words:
        if not isinstance(data, Mapping):
            raise ValueError(f"{where} is not a mapping of words")
        entries: dict[str, Word | Words] = {}
        for key, value in data.items():
            name = f"{where}.{key}"
            if not isinstance(key, str):  # YAML reads on, off, yes, no as booleans
                raise ValueError(f'{name}: a key must be text: quote it ("{key}")')
            if key in _RESERVED:  # a template's words.get would be the method, not the word
                raise ValueError(f"{name}: {key} is a name the catalog keeps for itself")
            if isinstance(value, Mapping):
                entries[str(key)] = cls.of(name, value, up_to_one=up_to_one)
            elif isinstance(value, list) and len(value) == 2:
                one, other = (_message(name, str(form)) for form in value)
                entries[str(key)] = Plural(one, other, up_to_one)
            elif isinstance(value, str):
                entries[str(key)] = _message(name, value)
            else:
                raise ValueError(f"{name}: a message, [singular, plural] or a mapping")
        return cls(where, entries)

    def __getitem__(self, key: str) -> Word | Words:
        try:
            return self._entries[key]
        except KeyError:
            raise MissingWord(f"{self._where} has no word {key!r}") from None

    def __getattr__(self, key: str) -> Word | Words:
        if key.startswith("_"):
            raise AttributeError(key)
        return self[key]

    def subgroup(self, key: str) -> Words:
        """The words under ``key`` (``misleading``): for Python, which asks for a group."""
        found = self[key]
        if not isinstance(found, Words):
            raise MissingWord(f"{self._where}.{key} is not a group of words")
        return found

    def shape(self, key: str) -> str:
        """The message ``key`` as a format string (``str.format``), for Python to fill."""
        found = self[key]
        if not isinstance(found, Markup):
            raise MissingWord(f"{self._where}.{key} is not a message")
        return str(found)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


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
    catalog: Words  # its words.yaml: the draft's words

    @classmethod
    def load(cls, directory: Path) -> Language:
        """The language of ``directory``, read again only when one of its files changes: every
        draft asks, and YAML's parser took a millisecond and a half of each."""
        path = directory / "language.yaml"
        words = _words_file(directory)
        version = tuple(
            (str(file), file.stat().st_mtime_ns, file.stat().st_size)
            for file in (path, words)
            if file is not None
        )
        kept = _LOADED.get(path)
        if kept is None or kept[0] != version:
            kept = _LOADED[path] = (version, cls.read(path, words))
        return kept[1]

    @classmethod
    def read(cls, path: Path, words: Path | None = None) -> Language:
        """The language of ``path`` (its ``language.yaml``) with the words of ``words``."""
        directory = path.parent
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        up_to_one = bool(data.get("singular_up_to_one", False))
        where = f"postmortem/{directory.name}/words.yaml"
        catalog = yaml.safe_load(words.read_text(encoding="utf-8")) if words else {}
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
            catalog=Words.of(where, catalog or {}, up_to_one=up_to_one),
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


# What a template reaches on a catalog besides its words (Mapping's methods, Words' own).
_RESERVED = frozenset({"get", "items", "keys", "values", "subgroup", "shape"})


def _message(where: str, text: str) -> Markup:
    """A catalog's message, whose fields are names alone (``{start}``, or ``{}`` in a row's
    shape): no attribute, index, conversion or format, which an operator's catalog must not
    reach through ``str.format`` (their templates run in the sandbox)."""
    for _, field, spec, conversion in string.Formatter().parse(text):
        if field is not None and (spec or conversion or not re.fullmatch(r"\w*", field)):
            raise ValueError(f"{where}: a field is a name alone, not {{{field}}}")
    return Markup(text)


# Each language file read, by its path, with the times and sizes its files had then.
_LOADED: dict[Path, tuple[tuple[tuple[str, int, int], ...], Language]] = {}


def _words_file(directory: Path) -> Path | None:
    """The language's catalog: its own, else the built-in one of the same code (an operator's
    directory may bring only a ``language.yaml``, or a style); None when there is neither,
    and every word asked for fails."""
    for found in (directory, builtin_templates_dir() / "postmortem" / directory.name):
        if (found / "words.yaml").is_file():
            return found / "words.yaml"
    return None


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
