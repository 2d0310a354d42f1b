"""On-call schedules as operators write them, in YAML (``WARROOM_ONCALL_SCHEDULES``)::

    schedules:
      payments-primary:
        timezone: Europe/Paris          # IANA; handoffs happen at this zone's wall-clock time
        usergroup: payments-oncall      # optional
        owners: [U0ALICE]               # optional: who looks after the schedule
        channel: C0PAYMENTS             # optional: where gaps are announced
        notify_before: 15m              # optional: 15m by default; 0 or off: no notice
        overlap: last                   # optional: last (a later layer wins where it is
                                        # active) or all (every active layer's person)
        holidays:                       # optional: days its people are off (holidays.py)
          dates: [2026-12-25]
        layers:
          - name: weekly
            start: 2026-03-02 09:00     # the first shift's start, in the schedule's zone
            rotation: weekly            # daily | weekly | monthly | <n>d | <n>h
            members: [U0ALICE, U0BOB, U0CAROL, none]   # none: a turn of nobody, by design
            restrictions:               # optional: active only inside these windows
              - {days: [mon, tue, wed, thu, fri], from: "09:00", to: "18:00"}
              - {days: [mon, tue], from: "19:00", to: "07:00"}   # into the next morning
              - {from: "fri 18:00", to: "mon 08:00"}             # a span across days
          - name: from-opsgenie         # or: the turns an external calendar feed names
            ical_url: https://example.com/schedule.ics
            ical_user_map: {alice@example.com: U0ALICE, Bob Okafor: U0BOB}

Parsing checks all it can without Slack (user ids for their form only) and names every
problem at once, each with its schedule and field. What instants the rules describe is
``bot.record.oncall.engine``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from bot.basics.durations import parse_duration
from bot.basics.slack_patterns import CHANNEL_ID, USER_ID
from bot.basics.yaml_files import read_yaml, unknown_keys
from bot.record.escalation.policies import NAME
from bot.record.oncall.holidays import HOLIDAY_LAYER, Away, Holidays, parse_holidays
from bot.record.oncall.zones import known_zone

SCHEDULE_KEYS = (
    "timezone",
    "layers",
    "owners",
    "channel",
    "notify_before",
    "usergroup",
    "overlap",
    "holidays",
)
# Where several layers are active at once: the last of them wins (PagerDuty's and Grafana
# OnCall's layers), or every one's person is on call (Opsgenie's rotations).
Overlap = Literal["last", "all"]
OVERLAPS: tuple[Overlap, ...] = ("last", "all")
LAYER_KEYS = (
    "name",
    "start",
    "rotation",
    "members",
    "restrictions",
    "timezone",
    "ical_url",
    "ical_user_map",
)
# A layer's turns come from its own rotation, or from an external calendar feed.
ROTATION_KEYS = ("start", "rotation", "members")
ICAL_KEYS = ("ical_url", "ical_user_map")
# Longer than any address a calendar tool hands out; a longer one is a pasting mistake.
ICAL_URL_MAX = 2000
RESTRICTION_KEYS = ("days", "from", "to")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY = 24 * 60  # minutes
WEEK_MINUTES = 7 * DAY
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_NOTIFY_BEFORE = timedelta(minutes=15)
# A rotation's member that stands for nobody: that turn is a gap, by design.
NONE = "none"
# The engine works from 1970 on; a start further ahead than this is a typing mistake.
EARLIEST_START = datetime(1970, 1, 1)
LATEST_START_YEARS = 10
# Hour rotations of a length that divides a day hand over at the same wall-clock times daily.
DAY_HOURS = 24
LONGEST_MONTH_DAYS = 31
# A longer turn is no rotation anyone runs, and would reach past what the engine covers.
MAX_ROTATION_DAYS = 366
_ROTATION = re.compile(r"^(\d{1,6})\s*([hd])$")
_CLOCK = re.compile(r"^(\d{2}):(\d{2})$")
_DAY_AND_CLOCK = re.compile(r"^([A-Za-z]+)\s+(\S+)$")
_ICAL_URL = re.compile(r"^(?:https?|webcal)://[^\s/?#]+[^\s]*$", re.IGNORECASE)


class ScheduleError(ValueError):
    """The schedule file is not a valid description of on-call schedules: every problem."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Rotation:
    """How long each turn lasts.

    Day rotations (``daily``, ``weekly``, ``<n>d``) count wall-clock days in the layer's
    zone: a turn handed over at 09:00 ends at 09:00, so a week that contains a clock change
    lasts 167 or 169 hours. Hour rotations whose length divides a day (``1h`` to ``12h``,
    and ``24h``) hand over on the wall clock too, as GoAlert's do: a ``12h`` turn from 08:00
    hands over at 08:00 and 20:00 local all year. Other hour rotations (``5h``, ``36h``) are
    elapsed time in UTC: so many real hours whatever the clocks do, so their handoffs drift
    by an hour on the wall clock across a change. ``monthly`` hands over on the start's day
    of each month at its time (the month's last day when it is shorter: a turn from the 31st
    hands over on 30 April and 28 February, and the 31st again when there is one).
    """

    text: str
    days: int = 0
    hours: int = 0
    months: int = 0

    @property
    def on_wall_clock(self) -> bool:
        """Whether turns hand over at wall-clock times (else after elapsed hours)."""
        return not self.hours or DAY_HOURS % self.hours == 0

    @property
    def longest_days(self) -> int:
        """The most days a turn can last."""
        return self.days or self.months * LONGEST_MONTH_DAYS or -(-self.hours // DAY_HOURS)


@dataclass(frozen=True)
class Restriction:
    """A daily window the layer is active in: on ``days`` (0 is Monday), from ``start_minute``
    to ``end_minute`` after local midnight (``end_minute`` 1440 is ``24:00``). An end at or
    before the start runs into the next morning: each listed day's window ends the day after
    (PagerDuty's "19:00 to 07:00 every weekday")."""

    days: frozenset[int]
    start_minute: int
    end_minute: int

    def week_windows(self) -> list[tuple[int, int]]:
        """The windows as minutes from Monday 00:00, each end after its start (one that
        runs past Sunday ends after ``WEEK_MINUTES``)."""
        end = self.end_minute if self.end_minute > self.start_minute else self.end_minute + DAY
        return [(day * DAY + self.start_minute, day * DAY + end) for day in sorted(self.days)]


@dataclass(frozen=True)
class Span:
    """A weekly span the layer is active in, across days: from ``start_minute`` to
    ``end_minute`` after Monday 00:00 (Opsgenie's "weekday and time of day", PagerDuty's
    weekly restriction). An end at or before the start runs through the weekend into the
    next week (``fri 18:00`` to ``mon 08:00``)."""

    start_minute: int
    end_minute: int

    def week_windows(self) -> list[tuple[int, int]]:
        """As ``Restriction.week_windows``: one window."""
        end = self.end_minute
        return [(self.start_minute, end if end > self.start_minute else end + WEEK_MINUTES)]


@dataclass(frozen=True)
class IcalSource:
    """Where an iCal layer's turns come from: an external calendar feed (``url``, fetched on
    a timer by ``bot.flows.oncall.ical_feeds``), and whom the feed's people are in Slack.

    ``user_map`` pairs each identity as the feed writes it (an attendee's e-mail address or a
    name in the event's summary), case-folded, with a Slack user id. ``shifts`` is what the
    last good copy of the feed says, as sorted, disjoint ``(start, end, user)`` in integer
    microseconds (``bot.record.oncall.feed_copies.with_feed_copies`` fills it in from the
    database); empty until then, and the layer names nobody.
    """

    url: str
    user_map: tuple[tuple[str, str], ...]
    shifts: tuple[tuple[int, int, str], ...] = ()


@dataclass(frozen=True)
class Layer:
    """One rotation: ``members`` take turns from ``start``, a naive wall-clock time in the
    layer's zone (its ``timezone``, else the schedule's); with ``restrictions`` (read on the
    same clocks) the layer is active only inside them. A member
    None (``none`` in the file) is a turn of nobody: the layer is not active then, and where
    no other layer is, nobody is on call (a gap, by design).

    An iCal layer (``ical`` set) has no ``start`` nor ``rotation``: its turns are the events
    of an external calendar feed, and its ``members`` are the people its map names.
    """

    name: str
    start: datetime | None
    rotation: Rotation | None
    members: tuple[str | None, ...]
    restrictions: tuple[Restriction | Span, ...] = ()
    ical: IcalSource | None = None
    # Its own zone (follow-the-sun: each region's clock changes), else the schedule's.
    timezone: str | None = None

    @property
    def people(self) -> tuple[str, ...]:
        """The members who are people: ``none`` (None) is a turn of nobody, by design."""
        return tuple(dict.fromkeys(member for member in self.members if member is not None))


@dataclass(frozen=True)
class Schedule:
    """Layers in a zone; where several are active, a later layer wins (``overlap`` "last")
    or every active layer's person is on call ("all"). ``notify_before`` None: off."""

    name: str
    timezone: str
    layers: tuple[Layer, ...]
    owners: tuple[str, ...] = ()
    channel: str | None = None
    notify_before: timedelta | None = DEFAULT_NOTIFY_BEFORE
    usergroup: str | None = None
    overlap: Overlap = "last"
    holidays: Holidays | None = None
    # Who is away when (leave, holidays), sorted by start: filled in from the database and
    # the holidays (``bot.record.oncall.leave.with_away``); a rotation skips them then.
    away: tuple[Away, ...] = ()

    @property
    def people(self) -> tuple[str, ...]:
        """Everyone its layers name, in the layers' order."""
        return tuple(dict.fromkeys(user for layer in self.layers for user in layer.people))

    def zone_of(self, layer: Layer) -> str:
        """The zone whose clocks ``layer``'s start, handoffs and restrictions follow."""
        return layer.timezone or self.timezone


@dataclass(frozen=True)
class Schedules:
    """Every configured schedule, by its (lower-case) name, in the file's order."""

    by_name: Mapping[str, Schedule] = field(default_factory=lambda: MappingProxyType({}))

    def get(self, name: str) -> Schedule | None:
        return self.by_name.get(name.lower())

    def summary(self) -> str:
        """``2 schedules, 5 layers, 9 people``: what ``warroom oncall check`` prints."""
        schedules = list(self.by_name.values())
        layers = [layer for schedule in schedules for layer in schedule.layers]
        people = {member for layer in layers for member in layer.people}
        return (
            f"{_count(len(schedules), 'schedule')}, {_count(len(layers), 'layer')}, "
            f"{_count(len(people), 'person', 'people')}"
        )


NO_SCHEDULES = Schedules()


def load_schedules(path: Path, *, now: datetime) -> Schedules:
    """Read and check a schedule file; ScheduleError names every problem."""
    return parse_schedules(read_yaml(path, ScheduleError), now=now)


def parse_schedules(document: Any, *, now: datetime) -> Schedules:
    """Build Schedules from the parsed YAML document (``now`` bounds how far ahead a start
    may be)."""
    if not isinstance(document, dict) or not isinstance(document.get("schedules"), dict):
        raise ScheduleError("expected a mapping with a 'schedules' mapping at the top")
    problems: list[str] = []
    _unknown_keys("the file", document, ("schedules",), problems)
    found: dict[str, Schedule] = {}
    for raw_name, body in document["schedules"].items():
        name = str(raw_name).lower()
        if name in found:
            problems.append(f"schedule {name!r}: named twice (names ignore case)")
        schedule = _schedule(name, body, now.astimezone(UTC), problems)
        if schedule is not None:
            found[name] = schedule
    if problems:
        raise ScheduleError(*problems)
    return Schedules(MappingProxyType(found))


def _schedule(name: str, body: Any, now: datetime, problems: list[str]) -> Schedule | None:
    where = f"schedule {name!r}"
    before = len(problems)
    if not NAME.match(name):
        problems.append(f"{where}: names are lowercase letters, digits, - and _")
    if not isinstance(body, dict):
        problems.append(f"{where}: expected a mapping with 'timezone' and 'layers'")
        return None
    _unknown_keys(where, body, SCHEDULE_KEYS, problems)
    zone = body.get("timezone")
    if not isinstance(zone, str) or not known_zone(zone):
        problems.append(f"{where}: timezone: unknown time zone {zone!r} (an IANA name)")
    layers = _layers(where, body.get("layers"), now, problems)
    owners = _user_ids(f"{where}: owners", body.get("owners", []), problems, allow_empty=True)
    channel = _channel(where, body.get("channel"), problems)
    notify_before = _notify_before(where, body.get("notify_before", "15m"), problems)
    usergroup = _usergroup(where, body.get("usergroup"), problems)
    overlap = _overlap(where, body.get("overlap", "last"), problems)
    holidays = parse_holidays(where, body.get("holidays"), problems, ical_url_of)
    if len(problems) > before:
        return None
    return Schedule(
        name, str(zone), layers, owners, channel, notify_before, usergroup, overlap, holidays
    )


def _layers(where: str, raw: Any, now: datetime, problems: list[str]) -> tuple[Layer, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append(f"{where}: layers: needs a non-empty list of layers")
        return ()
    layers, seen = [], set()
    for number, body in enumerate(raw, start=1):
        name = body.get("name") if isinstance(body, dict) else None
        label = f"{where}: layer {name!r}" if isinstance(name, str) else f"{where}: layer {number}"
        if isinstance(name, str) and name in seen:
            problems.append(f"{label}: name: another layer of this schedule has that name")
        if name == HOLIDAY_LAYER:
            problems.append(f"{label}: name: {HOLIDAY_LAYER} is the holiday calendar's")
        if isinstance(name, str):
            seen.add(name)
        layer = _layer(label, body, now, problems)
        if layer is not None:
            layers.append(layer)
    return tuple(layers)


def _layer(where: str, body: Any, now: datetime, problems: list[str]) -> Layer | None:
    if not isinstance(body, dict):
        problems.append(f"{where}: expected a mapping with name, start, rotation and members")
        return None
    before = len(problems)
    _unknown_keys(where, body, LAYER_KEYS, problems)
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{where}: name: every layer needs a name")
    zone = _layer_zone(where, body.get("timezone"), problems)
    if any(key in body for key in ICAL_KEYS):
        layer = _ical_layer(where, str(name), body, problems, before)
        return replace(layer, timezone=zone) if layer is not None else None
    start = _start(where, body.get("start"), now, problems)
    rotation = _rotation(where, body.get("rotation"), problems)
    members = _members(f"{where}: members", body.get("members"), problems)
    restrictions = _restrictions(where, body.get("restrictions", []), problems)
    if len(problems) > before or start is None or rotation is None:
        return None
    return Layer(str(name), start, rotation, members, restrictions, timezone=zone)


def _layer_zone(where: str, raw: Any, problems: list[str]) -> str | None:
    """A layer's own zone, if it names one."""
    if raw is None:
        return None
    if not isinstance(raw, str) or not known_zone(raw):
        problems.append(f"{where}: timezone: unknown time zone {raw!r} (an IANA name)")
        return None
    return raw


def _ical_layer(
    where: str, name: str, body: dict[Any, Any], problems: list[str], before: int
) -> Layer | None:
    """A layer whose turns an external calendar feed names: ``ical_url`` and
    ``ical_user_map`` instead of ``start``, ``rotation`` and ``members``."""
    for key in ROTATION_KEYS:
        if key in body:
            problems.append(
                f"{where}: {key}: a layer takes its turns from start, rotation and members, "
                "or from ical_url and ical_user_map, not both"
            )
    url = ical_url_of(where, body.get("ical_url"), problems)
    user_map = _ical_user_map(where, body.get("ical_user_map"), problems)
    restrictions = _restrictions(where, body.get("restrictions", []), problems)
    if len(problems) > before or url is None:
        return None
    members = tuple(dict.fromkeys(user for _, user in user_map))
    return Layer(name, None, None, members, restrictions, IcalSource(url, user_map))


def ical_url_of(where: str, raw: Any, problems: list[str]) -> str | None:
    """The feed's address; ``webcal://``, as calendar tools hand feeds out, is https."""
    if raw is None:
        problems.append(f"{where}: ical_url: needed beside ical_user_map: the feed's address")
        return None
    text = raw.strip() if isinstance(raw, str) else ""
    if not _ICAL_URL.match(text) or len(text) > ICAL_URL_MAX:
        shown = raw if not isinstance(raw, str) else raw[:80]
        problems.append(
            f"{where}: ical_url: expected the feed's address, like "
            f"https://example.com/schedule.ics, got {shown!r}"
        )
        return None
    scheme, _, rest = text.partition("://")
    return f"{'https' if scheme.lower() == 'webcal' else scheme.lower()}://{rest}"


def _ical_user_map(where: str, raw: Any, problems: list[str]) -> tuple[tuple[str, str], ...]:
    """Each identity the feed writes (an e-mail address or a name), case-folded, with the
    Slack user id it stands for."""
    field_ = f"{where}: ical_user_map"
    if not isinstance(raw, dict) or not raw:
        problems.append(
            f"{field_}: needs a mapping of the people the feed names (e-mail addresses or "
            "names, as the feed writes them) to Slack user ids, like {alice@example.com: U0ALICE}"
        )
        return ()
    found: dict[str, str] = {}
    for key, user in raw.items():
        identity = identity_key(str(key)) if isinstance(key, str) else ""
        if not identity:
            problems.append(f"{field_}: {key!r} is not a name or an e-mail address")
        elif identity in found:
            problems.append(f"{field_}: {key!r} is given twice (names and addresses ignore case)")
        if not isinstance(user, str) or not USER_ID.match(user):
            problems.append(f"{field_}: {key!r} maps to {user!r}, not a Slack user id (U… or W…)")
        elif identity:
            found[identity] = user
    return tuple(found.items())


def identity_key(text: str) -> str:
    """How an identity in a feed is compared: case-folded, blanks collapsed, without the
    ``mailto:`` of an attendee's address."""
    words = " ".join(text.split()).casefold()
    return words.removeprefix("mailto:").strip()


def _start(where: str, raw: Any, now: datetime, problems: list[str]) -> datetime | None:
    """The first shift's start: wall-clock time in the schedule's zone, to the minute."""
    start = _wall_time(raw)
    latest = now.replace(tzinfo=None) + timedelta(days=365 * LATEST_START_YEARS + 3)
    if start is None:
        problems.append(
            f"{where}: start: expected a date and time like 2026-03-02 09:00 "
            "(wall-clock time in the schedule's zone, no offset)"
        )
    elif start.second or start.microsecond:
        problems.append(f"{where}: start: give hours and minutes only, like 09:00")
    elif start < EARLIEST_START:
        problems.append(f"{where}: start: {start:%Y-%m-%d %H:%M} is before 1970")
    elif start > latest:
        problems.append(
            f"{where}: start: {start:%Y-%m-%d %H:%M} is more than {LATEST_START_YEARS} years ahead"
        )
    else:
        return start
    return None


def _wall_time(raw: Any) -> datetime | None:
    """A naive datetime from what YAML gave: text, a date, or a naive datetime."""
    if isinstance(raw, datetime):
        return raw if raw.tzinfo is None else None
    if hasattr(raw, "isoformat") and not isinstance(raw, str):  # a date: midnight
        return datetime.fromisoformat(raw.isoformat())
    if not isinstance(raw, str):
        return None
    try:
        parsed = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo is None else None


def _rotation(where: str, raw: Any, problems: list[str]) -> Rotation | None:
    text = raw.strip().lower() if isinstance(raw, str) else str(raw)
    if text in ("daily", "weekly"):
        return Rotation(text, days=1 if text == "daily" else 7)
    if text == "monthly":
        return Rotation(text, months=1)
    match = _ROTATION.match(text.lstrip("-"))
    if match is None:
        problems.append(
            f"{where}: rotation: expected daily, weekly, monthly, <n>h or <n>d, got {raw!r}"
        )
        return None
    amount, unit = int(match.group(1)), match.group(2)
    if text.startswith("-") or amount == 0:
        problems.append(f"{where}: rotation: must be longer than zero, got {raw!r}")
        return None
    if amount > (MAX_ROTATION_DAYS if unit == "d" else MAX_ROTATION_DAYS * 24):
        problems.append(f"{where}: rotation: at most {MAX_ROTATION_DAYS} days, got {raw!r}")
        return None
    return Rotation(text, days=amount) if unit == "d" else Rotation(text, hours=amount)


def _restrictions(where: str, raw: Any, problems: list[str]) -> tuple[Restriction | Span, ...]:
    if not isinstance(raw, list):
        problems.append(f"{where}: restrictions: expected a list of {{days, from, to}} windows")
        return ()
    found = []
    for number, body in enumerate(raw, start=1):
        restriction = _restriction(f"{where}: restriction {number}", body, problems)
        if restriction is not None:
            found.append(restriction)
    return tuple(found)


def _restriction(where: str, body: Any, problems: list[str]) -> Restriction | Span | None:
    if not isinstance(body, dict):
        problems.append(
            f'{where}: expected {{days: [mon, ...], from: "09:00", to: "18:00"}} or a span '
            'across days, {from: "mon 08:00", to: "fri 17:00"}'
        )
        return None
    before = len(problems)
    _unknown_keys(where, body, RESTRICTION_KEYS, problems)
    spans_days = any(_DAY_AND_CLOCK.match(str(body.get(key))) for key in ("from", "to"))
    if "days" not in body and spans_days:
        return _span(where, body, problems, before)
    days = _days(where, body.get("days"), problems)
    start = _clock(f"{where}: from", body.get("from"), problems, end_of_day=False)
    end = _clock(f"{where}: to", body.get("to"), problems, end_of_day=True)
    if start is not None and end is not None and end == start:
        problems.append(
            f"{where}: to: {body.get('to')} is the same time as from ({body.get('from')}); "
            'a whole day is from "00:00" to "24:00"'
        )
    if len(problems) > before or start is None or end is None:
        return None
    return Restriction(days, start, end)


def _span(where: str, body: dict[Any, Any], problems: list[str], before: int) -> Span | None:
    """``{from: "mon 08:00", to: "fri 17:00"}``: from a weekday and time to another."""
    start = _day_and_clock(f"{where}: from", body.get("from"), problems, end_of_day=False)
    end = _day_and_clock(f"{where}: to", body.get("to"), problems, end_of_day=True)
    if start is not None and end is not None and end % WEEK_MINUTES == start:
        problems.append(
            f"{where}: to: {body.get('to')} is the same time as from ({body.get('from')}); a "
            "whole week is no restriction: leave the layer's restrictions out"
        )
    if len(problems) > before or start is None or end is None:
        return None
    return Span(start, end)


def _day_and_clock(where: str, raw: Any, problems: list[str], *, end_of_day: bool) -> int | None:
    """Minutes after Monday 00:00 of ``"fri 17:00"`` (``"fri 24:00"`` only as an end)."""
    match = _DAY_AND_CLOCK.match(raw.strip()) if isinstance(raw, str) else None
    day = _day_number(match.group(1)) if match else None
    if match is None or day is None:
        problems.append(
            f'{where}: expected a weekday and a time, like "mon 08:00" (a span across days), '
            f"got {raw!r}"
        )
        return None
    minute = _clock(where, match.group(2), problems, end_of_day=end_of_day)
    return None if minute is None else day * DAY + minute


def _day_number(word: str) -> int | None:
    word = word.strip().lower()
    if word in DAY_NAMES or word in _FULL_DAY_NAMES:
        return DAY_NAMES.index(word[:3])
    return None


def _days(where: str, raw: Any, problems: list[str]) -> frozenset[int]:
    if not isinstance(raw, list) or not raw:
        problems.append(
            f"{where}: days: needs a list of days, like [mon, tue, wed] (or a span across "
            'days without days: {from: "mon 08:00", to: "fri 17:00"})'
        )
        return frozenset()
    days = set()
    for day in raw:
        number = _day_number(str(day))
        if number is not None:
            days.add(number)
        else:
            problems.append(f"{where}: days: unknown day {day!r} (use {', '.join(DAY_NAMES)})")
    return frozenset(days)


def _clock(where: str, raw: Any, problems: list[str], *, end_of_day: bool) -> int | None:
    """Minutes after midnight of ``"HH:MM"``; ``"24:00"`` only as a window's end."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        # YAML 1.1 reads 18:00 unquoted as a base-60 number (1080).
        problems.append(f'{where}: write the time in quotes, like "18:00"')
        return None
    match = _CLOCK.match(raw.strip()) if isinstance(raw, str) else None
    hours, minutes = (int(match.group(1)), int(match.group(2))) if match else (-1, -1)
    if end_of_day and (hours, minutes) == (24, 0):
        return 24 * 60
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        latest = "24:00" if end_of_day else "23:59"
        problems.append(f'{where}: expected a time from "00:00" to "{latest}", got {raw!r}')
        return None
    return hours * 60 + minutes


def _members(where: str, raw: Any, problems: list[str]) -> tuple[str | None, ...]:
    """A rotation's members: Slack user ids, and ``none`` (or YAML's null) for a turn of
    nobody; at least one person."""
    if not isinstance(raw, list):
        return _user_ids(where, raw, problems)
    members = [None if _is_none(member) else member for member in raw]
    people = [member for member in members if member is not None]
    if raw and not people:
        problems.append(f"{where}: needs at least one Slack user id beside none")
        return ()
    found = _user_ids(where, people, problems)
    return tuple(None if member is None else str(member) for member in members) if found else ()


def _is_none(member: Any) -> bool:
    return member is None or (isinstance(member, str) and member.strip().lower() == NONE)


def _user_ids(
    where: str, raw: Any, problems: list[str], *, allow_empty: bool = False
) -> tuple[str, ...]:
    if not isinstance(raw, list) or (not raw and not allow_empty):
        problems.append(f"{where}: needs a non-empty list of Slack user ids")
        return ()
    for user in raw:
        if not isinstance(user, str) or not USER_ID.match(user):
            problems.append(f"{where}: {user!r} is not a Slack user id (U… or W…)")
    return tuple(str(user) for user in raw)


def _channel(where: str, raw: Any, problems: list[str]) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not CHANNEL_ID.match(raw):
        problems.append(
            f"{where}: channel: expected a Slack channel id like C024BE91L, got {raw!r}"
        )
        return None
    return raw


def _notify_before(where: str, raw: Any, problems: list[str]) -> timedelta | None:
    # YAML 1.1 reads an unquoted off as False.
    if raw is False or raw == 0 or (isinstance(raw, str) and raw.strip().lower() in ("off", "0")):
        return None
    try:
        return parse_duration(raw)
    except (ValueError, TypeError, AttributeError):
        problems.append(
            f"{where}: notify_before: expected a duration like 15m, or off; got {raw!r}"
        )
        return None


def _usergroup(where: str, raw: Any, problems: list[str]) -> str | None:
    if raw is None:
        return None
    handle = raw.strip().lstrip("@") if isinstance(raw, str) else ""
    if not handle:
        problems.append(f"{where}: usergroup: expected a user group handle like payments-oncall")
        return None
    return handle


def _overlap(where: str, raw: Any, problems: list[str]) -> Overlap:
    text = raw.strip().lower() if isinstance(raw, str) else None
    for overlap in OVERLAPS:
        if text == overlap:
            return overlap
    problems.append(
        f"{where}: overlap: expected last (a later layer wins where several are active) or "
        f"all (every active layer's person is on call), got {raw!r}"
    )
    return "last"


def _unknown_keys(
    where: str, body: dict[Any, Any], known: tuple[str, ...], problems: list[str]
) -> None:
    if problem := unknown_keys(where, body, known):
        problems.append(problem)


def _count(number: int, word: str, plural: str | None = None) -> str:
    return f"{number} {word if number == 1 else plural or word + 's'}"
