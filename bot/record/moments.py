"""Times people type into Slack (``/incident time``) and zones they name (``/incident timezone``).

``parse_moment`` reads ``10:30``, ``yesterday 14:05``, ``2:05 PM PST``, ``2023-11-07 16:45 UTC``,
``2023-11-07T16:45:00+03:00``, ``16:45 +02:00``, ``2023-11-07 16:45 Europe/Paris`` or
``November 7, 2023 8:45 AM PST`` and returns the UTC moment. python-dateutil does the reading;
this module decides what the zone is, because a wrong guess puts an event at the wrong place in the
timeline without anyone noticing. What could be read two ways is refused, not guessed:

* a time without a zone is wall-clock time in the incident's zone, and without a date it is today
  as seen in that zone at ``now`` (``yesterday`` and ``today`` move the day); a date without a
  time is midnight, and a date without a year is this year;
* a zone abbreviation names a fixed offset, taken literally: ``PST`` is UTC-8 even in July, ``PDT``
  is UTC-7, ``EAT`` is UTC+3. Someone who types an abbreviation has chosen an offset, and reading
  ``01:30 PDT`` as UTC-7 is also what tells apart the two ``01:30`` of a night the clocks go back;
* the incident zone's own abbreviations (``PST``/``PDT`` for America/Los_Angeles, ``IST`` for
  Asia/Kolkata) are always understood, even those that are ambiguous elsewhere;
* ``CST``, ``IST``, ``BST``, ``AST``, ``CDT`` and ``ADT`` each name several zones and are refused
  outside their own zones, as are abbreviations nobody here knows;
* ``03/04/2024`` (March or April?), a wall time that happens twice or never because of a daylight
  saving change, a weekday that is not the date's (``Fri 2026-03-07``), and a time in the future
  are refused with a message that says what would work.

Times ahead (an on-call override: ``Fri 18:00 to Mon 09:00``) are read forward from an instant
(``after``): a weekday names the first such day from then on, a time without a date the first
time the clocks read it after that instant (a day with no time: that day, today included), and
``tomorrow`` is understood. ``now`` is the moment itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from functools import cache
from typing import Any

from dateutil import parser, tz

from bot.basics.errors import BotError

MAX_INPUT_LENGTH = 100
# Slack's clock and the typist's rarely agree to the second: "now" may be a little ahead.
FUTURE_TOLERANCE = timedelta(minutes=1)
# Real zones range from UTC-12 to UTC+14; anything further out is a typing mistake.
MAX_OFFSET = timedelta(hours=14)


class MomentRefused(BotError):
    """A time or zone that cannot be read, or not in only one way: the template says which."""

    template = "messages/time_refused.j2"

    @property
    def reason(self) -> str:
        """``unparseable``, ``unknown_zone``, ``ambiguous_zone``, ``ambiguous_date``,
        ``ambiguous_local_time``, ``nonexistent_local_time`` or ``future``."""
        return str(self.context["reason"])

    def __str__(self) -> str:
        return f"{self.reason}: {self.context.get('text')!r}"


def _hours(hours: int) -> timedelta:
    return timedelta(hours=hours)


# Abbreviations that mean one offset wherever people use them: the zone they belong to (what
# `/incident timezone PST` sets) and the fixed offset they name (how `10:30 PST` is read).
ABBREVIATIONS: dict[str, tuple[str, timedelta]] = {
    "UTC": ("UTC", _hours(0)),
    "GMT": ("UTC", _hours(0)),
    "Z": ("UTC", _hours(0)),
    "PST": ("America/Los_Angeles", _hours(-8)),
    "PDT": ("America/Los_Angeles", _hours(-7)),
    "MST": ("America/Denver", _hours(-7)),
    "MDT": ("America/Denver", _hours(-6)),
    "EST": ("America/New_York", _hours(-5)),
    "EDT": ("America/New_York", _hours(-4)),
    "AKST": ("America/Anchorage", _hours(-9)),
    "AKDT": ("America/Anchorage", _hours(-8)),
    "HST": ("Pacific/Honolulu", _hours(-10)),
    "EAT": ("Africa/Nairobi", _hours(3)),
    "WAT": ("Africa/Lagos", _hours(1)),
    "CAT": ("Africa/Maputo", _hours(2)),
    "SAST": ("Africa/Johannesburg", _hours(2)),
    "CET": ("Europe/Paris", _hours(1)),
    "CEST": ("Europe/Paris", _hours(2)),
    "EET": ("Europe/Athens", _hours(2)),
    "EEST": ("Europe/Athens", _hours(3)),
    "WET": ("Europe/Lisbon", _hours(0)),
    "WEST": ("Europe/Lisbon", _hours(1)),
    "JST": ("Asia/Tokyo", _hours(9)),
    "KST": ("Asia/Seoul", _hours(9)),
    "AEST": ("Australia/Sydney", _hours(10)),
    "AEDT": ("Australia/Sydney", _hours(11)),
    "NZST": ("Pacific/Auckland", _hours(12)),
    "NZDT": ("Pacific/Auckland", _hours(13)),
}

# Abbreviations in common use for more than one zone: accepted only in a zone that uses them.
AMBIGUOUS_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "CST": ("America/Chicago", "Asia/Shanghai", "America/Havana"),
    "CDT": ("America/Chicago", "America/Havana"),
    "IST": ("Asia/Kolkata", "Asia/Jerusalem", "Europe/Dublin"),
    "BST": ("Europe/London", "Asia/Dhaka"),
    "AST": ("America/Halifax", "Asia/Riyadh"),
    "ADT": ("America/Halifax", "Asia/Baghdad"),
}

_INFO = parser.parserinfo()
_LOOKS_LIKE_ABBREVIATION = re.compile(r"^[A-Za-z]{2,5}$")
_DAY_WORDS = {"today": 0, "yesterday": 1, "tomorrow": -1}
_DAY_WORD_FIRST = re.compile(r"^(today|yesterday|tomorrow)(?:\s+at)?\s+(.+)$", re.IGNORECASE)
_DAY_WORD_LAST = re.compile(r"^(.+?)\s+(today|yesterday|tomorrow)$", re.IGNORECASE)
_NOW = "now"
# dateutil follows POSIX TZ strings, where "UTC+3" means three hours *behind* UTC; people mean
# ahead. Dropping the prefix leaves a plain ISO offset, which dateutil reads the way people do.
_UTC_PREFIX = re.compile(r"\b(?:UTC|GMT)\s*(?=[+-]\d)", re.IGNORECASE)
# A four-digit year first (2024-03-04, 2024/03/04) is always year-month-day; dateutil would read
# it as year-day-month when asked for day-first, which is no reading anyone means.
_YEAR_FIRST = re.compile(r"(?<!\d)\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?!\d)")
# The date parts a text may give: none (today), month and day (this year), or all three.
_WHOLE_DATES: tuple[frozenset[str], ...] = (
    frozenset({"year", "month", "day"}),
    frozenset({"month", "day"}),
    frozenset(),
)
# Two defaults that differ in every field: a field that reads the same under both was typed.
# Both are leap years, so that a yearless "Feb 29" reads under either.
_DEFAULT_A = datetime(2000, 1, 1, 0, 0, 0)
_DEFAULT_B = datetime(2004, 2, 2, 1, 1, 1)


class _Refused(Exception):
    """Raised inside this module; parse_moment adds the input and raises MomentRefused."""

    def __init__(self, reason: str, **details: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


@dataclass(frozen=True)
class _Reading:
    """What dateutil made of the text: naive wall time, and any zone name or offset it saw."""

    wall: datetime
    fields: frozenset[str]
    tzname: str | None
    tzoffset: int | None
    # The day of the week named without a date (0 is Monday), read forward only.
    weekday: int | None = None

    @property
    def dated(self) -> bool:
        return "day" in self.fields

    @property
    def has_zone(self) -> bool:
        return self.tzname is not None or self.tzoffset is not None


def parse_moment(
    text: str,
    *,
    zone: str,
    now: datetime,
    future_ok: bool = False,
    after: datetime | None = None,
) -> datetime:
    """`text` typed by a person, read in the incident's IANA `zone`; `now` is an aware UTC datetime.
    Returns an aware datetime in UTC. ``future_ok`` takes times after `now` too (who is on call
    next Friday); an incident's record only takes the past. ``after`` reads forward from that
    instant (weekdays and times without a date are the next ones; the future is taken).

    Raises MomentRefused (``reason``, ``text`` and details in ``context``) for anything that cannot
    be read in exactly one way; see the module docstring for the rules.
    """
    if now.tzinfo is None or (after is not None and after.tzinfo is None):
        raise ValueError("now and after must be aware datetimes")
    try:
        return _parse(
            text,
            zone=zone,
            now=now.astimezone(UTC),
            future_ok=future_ok or after is not None,
            after=after.astimezone(UTC) if after is not None else None,
        )
    except _Refused as refusal:
        raise MomentRefused(reason=refusal.reason, text=text, **refusal.details) from None


# How far outside the incident's span (detected or declared .. resolved) a time typed without
# a date may fall: an impact often starts a while before anyone notices it.
SPAN_SLACK = timedelta(hours=6)


def parse_in_span(
    text: str, *, zone: str, start: datetime, end: datetime, now: datetime
) -> datetime:
    """``text`` about a past incident whose span is ``start`` .. ``end`` (aware), read in its
    ``zone``: a time of day without a date (``08:45``, ``8:45 am``, ``0845``, ``08:45 CET``)
    is the nearest such time on the incident's days within ``SPAN_SLACK`` of its span; a text
    with a date (or ``yesterday``) is read as ``parse_moment`` reads it. MomentRefused
    (``ambiguous_day``: two days fit equally; ``outside_span``: none fits) as for the rest."""
    reading = _bare_reading(" ".join(text.split()))
    if reading is None:
        return parse_moment(text, zone=zone, now=now)
    try:
        return _nearest_day(reading, zone, (start.astimezone(UTC), end.astimezone(UTC)), now)
    except _Refused as refusal:
        raise MomentRefused(reason=refusal.reason, text=text, **refusal.details) from None


def without_date(text: str) -> bool:
    """Whether ``text`` is a time of day alone (``08:45``, ``8:45 am CET``): no date, no day."""
    return _bare_reading(" ".join(text.split())) is not None


def _bare_reading(phrase: str) -> tuple[_Reading, str | None] | None:
    """A time of day alone (maybe with its zone), as read; None for anything else."""
    if not phrase or len(phrase) > MAX_INPUT_LENGTH or not phrase.isprintable():
        return None
    if phrase.lower() == _NOW or _split_day_word(phrase)[0] is not None:
        return None
    reading_text, named = _split_zone_name(_UTC_PREFIX.sub("", _upper_abbreviation(phrase)))
    try:
        reading = _read(_four_digits(reading_text), days_back=None)
    except _Refused:
        return None
    if reading.dated or "hour" not in reading.fields or reading.weekday is not None:
        return None
    return reading, named


def _four_digits(text: str) -> str:
    """``0845`` as ``08:45``: dateutil would read four digits alone as a year."""
    return f"{text[:2]}:{text[2:]}" if len(text) == 4 and text.isdigit() else text


def _nearest_day(
    found: tuple[_Reading, str | None], zone: str, span: tuple[datetime, datetime], now: datetime
) -> datetime:
    """The typed wall time on the day that puts it nearest the span (inside it: distance 0)."""
    reading, named = found
    where, where_name = _reading_zone(reading, named, _zone(zone), zone, span[0].year)
    first = (span[0] - SPAN_SLACK).astimezone(where).date()
    last = (span[1] + SPAN_SLACK).astimezone(where).date()
    fits: list[tuple[timedelta, datetime]] = []
    for offset in range((last - first).days + 1):
        wall = datetime.combine(first + timedelta(days=offset), reading.wall.time())
        moment = wall.replace(tzinfo=where).astimezone(UTC)  # a DST gap or fold: refused below
        away = max(span[0] - moment, moment - span[1], timedelta(0))
        if away <= SPAN_SLACK and moment <= now + FUTURE_TOLERANCE:
            fits.append((away, wall))
    fits.sort(key=lambda fit: fit[0])
    if not fits:
        raise _Refused("outside_span", start=span[0], end=span[1], zone=zone)
    if len(fits) > 1 and fits[1][0] == fits[0][0]:
        days = [f"{wall:%Y-%m-%d %H:%M}" for _, wall in fits[:2]]
        raise _Refused("ambiguous_day", choices=days, zone=zone)
    return _to_utc(fits[0][1], where, where_name)


# A follow-up due on a day (``--due fri``) is due at the end of that working day there.
DUE_HOUR = time(17, 0)


def parse_due(text: str, *, zone: str, now: datetime) -> datetime:
    """When a follow-up is due: ``text`` read forward from ``now`` in the incident's ``zone``
    as ``parse_moment`` reads times ahead (``fri``, ``tomorrow``, ``2026-12-04``, ``Dec 4
    17:00 CET``); a day without a time is due at ``DUE_HOUR`` that day in ``zone``. Refused
    (``reason`` ``past``) when that moment has gone by, as every other unreadable time is."""
    moment = parse_moment(text, zone=zone, now=now, after=now)
    if not _time_typed(text):
        day = moment.astimezone(_zone(zone)).date()
        try:
            moment = _to_utc(datetime.combine(day, DUE_HOUR), _zone(zone), zone)
        except _Refused as refusal:
            raise MomentRefused(reason=refusal.reason, text=text, **refusal.details) from None
    if moment <= now:
        raise MomentRefused(reason="past", text=text, parsed=moment, zone=zone)
    return moment


def _time_typed(text: str) -> bool:
    """Whether ``text`` (which ``parse_moment`` read) names a time of day, not a day alone."""
    days_back, phrase = _split_day_word(" ".join(text.split()))
    if not phrase:
        return False  # "tomorrow"
    if phrase.lower() == _NOW:
        return True
    reading_text, _ = _split_zone_name(_UTC_PREFIX.sub("", _upper_abbreviation(phrase)))
    try:
        return "hour" in _read(reading_text, days_back=days_back, forward=True).fields
    except _Refused:
        return True  # read already: whatever it is, it is not a day alone


def resolve_zone(text: str) -> str:
    """An IANA zone name for `Africa/Nairobi`, `europe/paris` (case-insensitive), `UTC`, or an
    unambiguous abbreviation like `EAT`, `PST`, `CET`; raises MomentRefused(reason="unknown_zone"
    or "ambiguous_zone").

    An abbreviation gives the zone it belongs to, daylight saving included (``PST`` sets
    America/Los_Angeles): that is what a team means when it names its zone that way.
    """
    name = text.strip().replace(" ", "_")  # the tz database spells "New York" New_York
    if "/" not in name and name.upper() in ABBREVIATIONS:
        return ABBREVIATIONS[name.upper()][0]
    if "/" not in name and name.upper() in AMBIGUOUS_ABBREVIATIONS:
        raise _ambiguous_abbreviation(name.upper(), text=text)
    found = _iana_names().get(name.lower()) if len(name) <= MAX_INPUT_LENGTH else None
    if found is None:
        details = {"abbreviation": name} if _LOOKS_LIKE_ABBREVIATION.match(name) else {}
        raise MomentRefused(reason="unknown_zone", text=text, **details)
    return found


def zone_abbreviation(zone: str, at: datetime) -> str:
    """The abbreviation `zone` uses at the moment `at` (``EAT``, ``PST``; a naive `at` is UTC).

    Zones without a letter abbreviation give their offset, as the tz database does (``-03``).
    """
    moment = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return moment.astimezone(_zone(zone)).tzname() or zone


def _parse(
    text: str, *, zone: str, now: datetime, future_ok: bool, after: datetime | None
) -> datetime:
    phrase = " ".join(text.split())
    # dateutil skips some control characters as if they were spaces; nobody types them on purpose.
    if not phrase or len(text) > MAX_INPUT_LENGTH or not phrase.isprintable():
        raise _Refused("unparseable")
    if phrase.lower() == _NOW:
        return now
    days_back, phrase = _split_day_word(phrase)
    if days_back is not None and not phrase:
        if after is None:
            raise _Refused("unparseable")  # "yesterday" alone: at what time?
        # Read forward, a day alone is that day (its first instant), as "Fri" is.
        day = now.astimezone(_zone(zone)).date() - timedelta(days=days_back)
        return _to_utc(datetime.combine(day, datetime.min.time()), _zone(zone), zone)
    reading_text, named_zone = _split_zone_name(_UTC_PREFIX.sub("", _upper_abbreviation(phrase)))
    reading = _read(reading_text, days_back=days_back, forward=after is not None)
    incident_zone = _zone(zone)
    year_hint = (
        reading.wall.year if "year" in reading.fields else now.astimezone(incident_zone).year
    )
    _refuse_day_month_swap(reading_text, reading, year_hint)
    where, where_name = _reading_zone(reading, named_zone, incident_zone, zone, year_hint)
    wall = _date_wall(reading, where, now=now, days_back=days_back, after=after)
    _refuse_other_weekday(reading, wall)
    moment = _to_utc(wall, where, where_name)
    if moment > now + FUTURE_TOLERANCE and not future_ok:
        raise _Refused(
            "future",
            parsed=moment,
            zone=zone,
            dated=reading.dated,
            suggestions=[] if reading.dated else _earlier_day_examples(phrase, wall),
        )
    return moment


def _split_day_word(phrase: str) -> tuple[int | None, str]:
    """``yesterday 14:05``, ``today at 09:00``, ``14:05 yesterday``: (days back, the rest);
    ``tomorrow`` is a day back of -1, and a day word alone leaves no rest."""
    if phrase.lower() in _DAY_WORDS:
        return _DAY_WORDS[phrase.lower()], ""
    if first := _DAY_WORD_FIRST.match(phrase):
        return _DAY_WORDS[first[1].lower()], first[2]
    if last := _DAY_WORD_LAST.match(phrase):
        return _DAY_WORDS[last[2].lower()], last[1]
    return None, phrase


def _upper_abbreviation(phrase: str) -> str:
    """``10:30 pst`` as ``10:30 PST``: dateutil only sees upper-case letters as a zone."""
    head, _, last = phrase.rpartition(" ")
    known = last.upper() in ABBREVIATIONS or last.upper() in AMBIGUOUS_ABBREVIATIONS
    return f"{head} {last.upper()}" if head and known else phrase


def _split_zone_name(phrase: str) -> tuple[str, str | None]:
    """A trailing IANA name (``Europe/Paris``), which dateutil cannot read, taken off the text.

    Only names with a slash: the legacy single-word names (``CET``, ``EST``) are zones with
    daylight saving in the tz database but fixed offsets when typed as abbreviations.
    """
    head, _, last = phrase.rpartition(" ")
    found = _iana_names().get(last.lower()) if "/" in last and head else None
    return (head, found) if found else (phrase, None)


def _read(text: str, *, days_back: int | None, forward: bool = False) -> _Reading:
    seen: list[tuple[str | None, int | None]] = []

    def record(name: str | None, offset: int | None) -> None:
        # Returning None keeps dateutil's result naive: the zone is decided here, not guessed.
        seen.append((name, offset))

    wall = _dateutil_parse(text, _DEFAULT_A, tzinfos=record)
    other = _dateutil_parse(text, _DEFAULT_B, ignoretz=True)
    fields = frozenset(
        field
        for field in ("year", "month", "day", "hour", "minute")
        if getattr(wall, field) == getattr(other, field)
    )
    date_fields = fields - {"hour", "minute"}
    weekday = _named_weekday(text)
    # A time of day or a whole date is needed: "10" alone would be midnight on the 10th.
    if not fields & {"hour", "day"} and not (forward and weekday is not None):
        raise _Refused("unparseable")
    if date_fields not in _WHOLE_DATES:
        raise _Refused("unparseable")
    if days_back is not None and (date_fields or weekday is not None):
        raise _Refused("unparseable")  # "yesterday 2023-11-07 10:00" says the day twice
    if not date_fields and weekday is not None and not forward:
        raise _Refused("unparseable")  # dateutil would pick the *next* Monday
    name, offset = seen[-1] if seen else (None, None)
    return _Reading(
        wall=wall,
        fields=fields,
        tzname=name,
        tzoffset=offset,
        weekday=weekday,
    )


def _dateutil_parse(text: str, default: datetime, **options: Any) -> datetime:
    """dateutil's parser with every failure it can raise turned into a refusal."""
    try:
        result: datetime = parser.parse(text, default=default, fuzzy=False, **options)
    except (ValueError, OverflowError) as error:  # ParserError is a ValueError
        raise _Refused("unparseable") from error
    return result.replace(tzinfo=None)


def _named_weekday(text: str) -> int | None:
    """The day of the week the text names (0 is Monday), if it names one; refused when it
    names two."""
    named = {
        day for word in re.findall(r"[A-Za-z]+", text) if (day := _INFO.weekday(word)) is not None
    }
    if len(named) > 1:
        raise _Refused("unparseable")
    return named.pop() if named else None


def _refuse_other_weekday(reading: _Reading, wall: datetime) -> None:
    """``Fri 2026-03-07``: the 7th is a Saturday, so which day is meant?"""
    if reading.dated and reading.weekday is not None and wall.weekday() != reading.weekday:
        raise _Refused(
            "weekday_mismatch",
            date=wall.date().isoformat(),
            named=_DAY_NAMES[reading.weekday],
            actual=_DAY_NAMES[wall.weekday()],
        )


_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _refuse_day_month_swap(text: str, reading: _Reading, year: int) -> None:
    """``03/04/2024`` is March 4 in the US and 3 April almost everywhere else: ask."""
    if not reading.dated or _YEAR_FIRST.search(text):
        return
    try:
        swapped = _dateutil_parse(text, _DEFAULT_A, ignoretz=True, dayfirst=True)
    except _Refused:
        return  # only one reading is a real date (13/04/2024)
    if swapped.date() != reading.wall.date():
        keep_year = "year" in reading.fields
        readings = [_iso_day(day, year, keep_year) for day in (reading.wall, swapped)]
        raise _Refused("ambiguous_date", readings=readings)


def _iso_day(day: datetime, year: int, keep_year: bool) -> str:
    """The reading shown to the person, in the year it would get (this year, when none is typed)."""
    try:
        return (day if keep_year else day.replace(year=year)).date().isoformat()
    except ValueError:  # February 29 outside a leap year: show what was typed
        return day.date().isoformat()


def _reading_zone(
    reading: _Reading, named: str | None, incident: tzinfo, incident_name: str, year: int
) -> tuple[tzinfo, str | None]:
    """The zone the wall time is in, and its IANA name when it has one (None: a fixed offset)."""
    if named is not None:
        if reading.has_zone:
            raise _Refused("unparseable")  # "16:45 +02:00 Europe/Paris": which one?
        return _zone(named), named
    if not reading.has_zone:
        return incident, incident_name
    if reading.tzname is None or _INFO.utczone(reading.tzname):
        return _fixed_offset(None, reading.tzoffset or 0), None
    if reading.tzoffset is not None:
        raise _Refused("unparseable")  # "PST-8": a POSIX TZ string, not something people type
    return _abbreviation_zone(reading.tzname, incident, year), None


def _abbreviation_zone(abbreviation: str, incident: tzinfo, year: int) -> tzinfo:
    own = _own_abbreviations(incident, year)
    if abbreviation in own:
        return _fixed_offset(abbreviation, own[abbreviation].total_seconds())
    if abbreviation in AMBIGUOUS_ABBREVIATIONS:
        candidates = list(AMBIGUOUS_ABBREVIATIONS[abbreviation])
        raise _Refused("ambiguous_zone", abbreviation=abbreviation, candidates=candidates)
    if abbreviation in ABBREVIATIONS:
        return _fixed_offset(abbreviation, ABBREVIATIONS[abbreviation][1].total_seconds())
    if _LOOKS_LIKE_ABBREVIATION.match(abbreviation):
        raise _Refused("unknown_zone", abbreviation=abbreviation)
    raise _Refused("unparseable")


def _own_abbreviations(zone: tzinfo, year: int) -> dict[str, timedelta]:
    """The zone's standard and daylight names in `year`, found in January and in July."""
    own: dict[str, timedelta] = {}
    for month in (1, 7):
        local = datetime(year, month, 1, 12, tzinfo=UTC).astimezone(zone)
        name, offset = local.tzname(), local.utcoffset()
        if name and offset is not None:
            own[name] = offset
    return own


def _fixed_offset(name: str | None, seconds: float) -> tzinfo:
    # Checked as a number: "+99999999:00" would overflow timedelta before any comparison.
    if abs(seconds) > MAX_OFFSET.total_seconds():
        raise _Refused("unparseable")
    return tz.UTC if not seconds and name is None else tz.tzoffset(name, seconds)


def _date_wall(
    reading: _Reading,
    where: tzinfo,
    *,
    now: datetime,
    days_back: int | None,
    after: datetime | None = None,
) -> datetime:
    """The wall time on the day the text means, as the calendar runs where it was said."""
    today = now.astimezone(where).date()
    try:
        if not reading.dated and after is not None and days_back is None:
            return _next_wall(reading, after.astimezone(where).replace(tzinfo=None))
        if not reading.dated:
            day = today - timedelta(days=days_back or 0)
            return datetime.combine(day, reading.wall.time())
        if "year" not in reading.fields:
            return reading.wall.replace(year=today.year)
    except (ValueError, OverflowError) as error:  # February 29 in 2023, or before year 1
        raise _Refused("unparseable") from error
    return reading.wall


def _next_wall(reading: _Reading, since: datetime) -> datetime:
    """Read forward from the wall time ``since``: the first such weekday from that day on, and
    a typed time the first time the clocks read it after ``since`` (a day alone may be today)."""
    wall = datetime.combine(since.date(), reading.wall.time())
    step = timedelta(days=1)
    if reading.weekday is not None:
        wall += timedelta(days=(reading.weekday - wall.weekday()) % 7)
        step = timedelta(days=7)
    timed = "hour" in reading.fields
    if (wall <= since) if timed else (wall.date() < since.date()):
        wall += step
    return wall


def _to_utc(wall: datetime, where: tzinfo, where_name: str | None) -> datetime:
    try:
        return _localize(wall, where, where_name).astimezone(UTC)
    except OverflowError as error:  # 0001-01-01 00:00 +05:00 is before datetime.min
        raise _Refused("unparseable") from error


def _localize(wall: datetime, where: tzinfo, where_name: str | None) -> datetime:
    """Attach the zone, refusing wall times a daylight saving change makes double or missing."""
    moment = wall.replace(tzinfo=where)
    if where_name is None:
        return moment  # a fixed offset has no gaps or folds
    if not tz.datetime_exists(moment):
        suggestion = f"{tz.resolve_imaginary(moment):%Y-%m-%d %H:%M}"
        raise _Refused("nonexistent_local_time", zone=where_name, suggestion=suggestion)
    if tz.datetime_ambiguous(moment):
        choices = [
            f"{wall:%Y-%m-%d %H:%M} {_offset_text(tz.enfold(moment, fold))}" for fold in (0, 1)
        ]
        raise _Refused("ambiguous_local_time", zone=where_name, choices=choices)
    return moment


def _offset_text(moment: datetime) -> str:
    """``-07:00``: the form ``parse_moment`` reads back."""
    offset = moment.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _earlier_day_examples(phrase: str, wall: datetime) -> list[str]:
    """The person's own time on the day before: ``yesterday 10:30``, ``2023-11-06 10:30``."""
    try:
        day_before = wall.date() - timedelta(days=1)
    except OverflowError:
        return []
    return [f"yesterday {phrase}", f"{day_before:%Y-%m-%d} {phrase}"]


def _zone(name: str) -> tzinfo:
    found = tz.gettz(name)
    if found is None:
        raise ValueError(f"unknown time zone {name!r}")
    return found


@cache
def _iana_names() -> dict[str, str]:
    """Every zone name the tz database knows, by its lower-case spelling."""
    # New in python-dateutil 4.0; types-python-dateutil describes 2.9 and does not list it.
    names: Iterable[str] = tz.available_iana_timezones()  # type: ignore[attr-defined]
    return {name.lower(): name for name in names}


def _ambiguous_abbreviation(abbreviation: str, *, text: str) -> MomentRefused:
    candidates = list(AMBIGUOUS_ABBREVIATIONS[abbreviation])
    return MomentRefused(
        reason="ambiguous_zone", text=text, abbreviation=abbreviation, candidates=candidates
    )
