"""A Grafana OnCall schedule and its on-call shifts translated into a warroom schedule's
layers and overrides (on_call_shifts.md, schedules.md of Grafana's API reference), with the
report's word on each.

How Grafana's shifts map (each decision is the report's to say):

- A schedule's shifts are its layers, in the order of their ``level``: Grafana's higher level
  wins where two are on call, as a later layer does in warroom (``overlap: last``).
- A ``rolling_users`` or ``recurrent_event`` shift is a rotation: each "time frame"
  (``frequency`` times ``interval``) goes to the next list of ``rolling_users``; its events
  last ``duration`` from ``start``'s time of day, on ``by_day``'s days when given. An empty
  list of users is a turn of nobody: ``none``. The shift's ``time_zone`` is the layer's own.
- Hourly frames of a length that divides a day hand over on the wall clock, as warroom's
  ``<n>h`` rotations of such a length do; other hourly lengths are approximate.
- ``override`` shifts are overrides (current and future ones); a ``single_event`` shift is an
  override too, approximately (in Grafana a higher level still beats it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.record.oncall.importing.drafts import (
    DAYS,
    Carried,
    DailyWindow,
    LayerDraft,
    OverrideDraft,
    Person,
    ReportItem,
    Restriction,
    ScheduleDraft,
    ScheduleRef,
    WeekSpan,
)
from bot.record.oncall.importing.grafana_oncall_fields import (
    Raw,
    UnexpectedObject,
    aware_time,
    naive_time,
    object_id,
    text_field,
)
from bot.record.oncall.zones import known_zone

# iCal's day words (on_call_shifts.md: by_day, week_start), Monday first as DAYS.
ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY = timedelta(days=1)
WEEK = timedelta(days=7)
# The frames whose turns warroom counts on the wall clock in days (monthly aside).
UNITS = {"daily": DAY, "weekly": WEEK}
HOURS_IN_DAY = 24
# on_call_shifts.md: week_start defaults to Sunday.
DEFAULT_WEEK_START = "SU"


@dataclass
class _Carried:
    """What one shift became: layers, overrides, and the report's word on it."""

    layers: list[tuple[int, LayerDraft]] = field(default_factory=list)
    levels: dict[str, int] = field(default_factory=dict)  # each carried shift's level
    overrides: list[OverrideDraft] = field(default_factory=list)
    items: list[ReportItem] = field(default_factory=list)


def translate_schedule(
    raw: Raw, shifts: Sequence[Raw], now: datetime, slack_handles: Mapping[str | None, str | None]
) -> tuple[ScheduleDraft | None, list[OverrideDraft], list[ReportItem]]:
    """A schedule and its shifts; an iCal schedule, or one in a zone warroom does not know,
    is reported, not carried."""
    ident, name = object_id(raw), text_field(raw, "name")
    kind = raw.get("type")
    if kind == "ical":
        url = raw.get("ical_url_primary") or "its iCal address"
        return _left_out(
            raw,
            "an iCal schedule: its shifts live in an external calendar, not in Grafana OnCall",
            f"add a layer with ical_url: {url} and an ical_user_map (README, On call)",
        )
    zone = raw.get("time_zone") or "UTC"
    if not isinstance(zone, str) or not known_zone(zone):
        return _left_out(
            raw,
            f"its time zone {zone!r} is not one warroom knows",
            "write the schedule by hand with an IANA zone",
        )
    carried = _Carried()
    for shift in shifts:
        _shift(shift, ScheduleRef(ident), zone, now, carried)
    items = _schedule_notes(raw, carried, slack_handles)
    layers = _named_layers(carried.layers)
    if not layers:
        items.append(
            ReportItem(
                "schedule",
                ident,
                name,
                "not carried",
                "it has no rotation warroom could carry (see its shifts)",
                "add its layers by hand, or leave it out",
            )
        )
        return None, carried.overrides, carried.items + items
    draft = ScheduleDraft(ident, name, zone, layers)
    return draft, carried.overrides, carried.items + items


def _left_out(
    raw: Raw, why: str, todo: str
) -> tuple[ScheduleDraft | None, list[OverrideDraft], list[ReportItem]]:
    """A schedule not carried, nor anything of it."""
    return (
        None,
        [],
        [ReportItem("schedule", object_id(raw), text_field(raw, "name"), "not carried", why, todo)],
    )


def _schedule_notes(
    raw: Raw, carried: _Carried, slack_handles: Mapping[str | None, str | None]
) -> list[ReportItem]:
    """The schedule's own item: exact, or what of it is not carried."""
    ident, name = object_id(raw), text_field(raw, "name")
    notes: list[str] = []
    todos: list[str] = []
    if raw.get("ical_url_overrides"):
        notes.append("its overrides calendar (ical_url_overrides) is not read")
        todos.append("make its overrides with /oncall override, or the overrides API")
    slack = raw.get("slack")
    group = slack.get("user_group_id") if isinstance(slack, Mapping) else None
    if group:
        notes.append(f"its Slack user group {group} is not set from the schedule")
        handle = slack_handles.get(group) or f"<the handle of {group}>"
        todos.append(f"add usergroup: {handle} to the schedule")
    levels = list(carried.levels.values())
    if len(levels) != len(set(levels)):
        notes.append(
            "several of its shifts share a level: where they overlap Grafana OnCall has all "
            "of their people on call, warroom the later layer's person"
        )
        todos.append("give each shift its own level, or check with --compare")
    if not notes:
        return [ReportItem("schedule", ident, name, "exact")]
    return [ReportItem("schedule", ident, name, "approximate", "; ".join(notes), "; ".join(todos))]


def _named_layers(layers: list[tuple[int, LayerDraft]]) -> tuple[LayerDraft, ...]:
    """The layers by level, lowest first (a later layer wins), each name once."""
    ordered = [layer for _, layer in sorted(layers, key=lambda pair: pair[0])]
    seen: set[str] = set()
    named = []
    for number, layer in enumerate(ordered, start=1):
        name = layer.name if layer.name.lower() not in seen else f"{layer.name} {number}"
        seen.add(name.lower())
        named.append(replace(layer, name=name))
    return tuple(named)


# -- shifts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shift:
    """A shift's fields, read and checked: ``start`` naive in ``zone``."""

    ident: str
    name: str
    kind: str
    level: int
    zone: str
    own_zone: str | None
    start: datetime
    duration: timedelta
    groups: tuple[tuple[str, ...], ...]


def _shift(raw: Raw, schedule: ScheduleRef, zone: str, now: datetime, out: _Carried) -> None:
    own = raw.get("time_zone")
    if own is not None and (not isinstance(own, str) or not known_zone(own)):
        out.items.append(
            ReportItem(
                "on-call shift",
                object_id(raw),
                text_field(raw, "name"),
                "not carried",
                f"its time zone {own!r} is not one warroom knows",
                "add the layer by hand with an IANA zone",
            )
        )
        return
    shift = _read_shift(raw, zone)
    if shift.kind in ("override", "single_event"):
        _one_off(shift, schedule, now, out)
        return
    if shift.kind not in ("rolling_users", "recurrent_event"):
        out.items.append(
            _item(shift, "not carried", f"a shift of type {shift.kind!r}", "add it by hand")
        )
        return
    until = naive_time(raw, "until") if raw.get("until") else None
    if until is not None and aware_time(until, shift.zone) <= now:
        out.items.append(_item(shift, "not carried", f"it ended on {until:%Y-%m-%d %H:%M}"))
        return
    if not any(shift.groups):
        out.items.append(_item(shift, "not carried", "it names nobody", "add its people"))
        return
    _rotation(raw, shift, until, now, out)


def _read_shift(raw: Raw, schedule_zone: str) -> _Shift:
    own = raw.get("time_zone")  # a zone warroom knows (``_shift``)
    duration = raw.get("duration")
    if not isinstance(duration, int) or isinstance(duration, bool) or duration <= 0:
        raise UnexpectedObject(
            f"on-call shift {object_id(raw)}: duration {duration!r} is not seconds"
        )
    level = raw.get("level") or 0
    if not isinstance(level, int):
        raise UnexpectedObject(f"on-call shift {object_id(raw)}: level {level!r} is not a number")
    return _Shift(
        object_id(raw),
        text_field(raw, "name"),
        text_field(raw, "type"),
        level,
        own or schedule_zone,
        own if own and own != schedule_zone else None,
        naive_time(raw, "start"),
        timedelta(seconds=duration),
        _groups(raw),
    )


def _groups(raw: Raw) -> tuple[tuple[str, ...], ...]:
    """The lists of users taking turns, from ``start_rotation_from_user_index`` on; a
    ``recurrent_event``'s ``users`` are one list."""
    rolling = raw.get("rolling_users")
    lists = (
        rolling
        if raw.get("type") == "rolling_users" and rolling is not None
        else [raw.get("users") or []]
    )
    if not isinstance(lists, list) or not all(isinstance(one, list) for one in lists):
        raise UnexpectedObject(
            f"on-call shift {object_id(raw)}: rolling_users is not lists of users"
        )
    groups = tuple(tuple(str(user) for user in one) for one in lists)
    first = raw.get("start_rotation_from_user_index") or 0
    if not isinstance(first, int) or not groups:
        return groups
    first %= len(groups)
    return groups[first:] + groups[:first]


def _one_off(shift: _Shift, schedule: ScheduleRef, now: datetime, out: _Carried) -> None:
    """An override (exact) or a single event (an override, approximately)."""
    start = aware_time(shift.start, shift.zone)
    end = aware_time(shift.start + shift.duration, shift.zone)
    if end <= now:
        out.items.append(_item(shift, "not carried", "it ended before the import"))
        return
    people = shift.groups[0] if shift.groups else ()
    person = Person(people[0]) if people else None
    out.overrides.append(OverrideDraft(schedule, person, start, end))
    notes = []
    if len(people) > 1:
        notes.append(f"only its first person is carried, of {len(people)}")
    if shift.kind == "single_event":
        notes.append(
            "a single event carried as an override: it beats every layer, where in "
            "Grafana OnCall a shift of a higher level would still win"
        )
    if notes:
        out.items.append(_item(shift, "approximate", "; ".join(notes), "check it with --compare"))
    else:
        out.items.append(_item(shift, "exact", "an override"))


def _rotation(
    raw: Raw, shift: _Shift, until: datetime | None, now: datetime, out: _Carried
) -> None:
    frequency = raw.get("frequency")
    interval = raw.get("interval") or 1
    by_day = _by_day(raw)
    if (
        frequency not in ("hourly", "daily", "weekly", "monthly")
        or not isinstance(interval, int)
        or isinstance(interval, bool)
        or interval < 1
    ):
        out.items.append(
            _item(
                shift,
                "not carried",
                f"frequency {frequency!r}, interval {interval!r}: not a rotation warroom knows",
                "add it by hand",
            )
        )
        return
    notes = _rotation_notes(raw, shift, until, now)
    members = tuple(Person(group[0]) if group else None for group in shift.groups)
    if frequency == "daily" and by_day and len(by_day) < len(ICAL_DAYS):
        layers = _daily_by_day(shift, members, by_day, interval, notes)
    elif frequency == "weekly" and by_day:
        layers = _weekly_by_day(raw, shift, members, by_day, interval, now, notes)
    else:
        layers = [_every_frame(shift, members, frequency, interval, notes)]
    out.layers += [(shift.level, layer) for layer in layers]
    out.levels[shift.ident] = shift.level
    names = ", ".join(f"'{layer.name}'" for layer in layers)
    said = "; ".join([f"layer {names}" if len(layers) == 1 else f"layers {names}", *notes])
    if notes:
        todo = "check it with --compare, and edit the layer in schedules.yaml"
        out.items.append(_item(shift, "approximate", said, todo))
    else:
        out.items.append(_item(shift, "exact", said))


def _rotation_notes(raw: Raw, shift: _Shift, until: datetime | None, now: datetime) -> list[str]:
    """What of a rotation warroom's layer does not carry: days of the month, all but the
    first person of a turn, its end, a start of its turns still to come."""
    notes: list[str] = []
    if raw.get("by_month") or raw.get("by_monthday"):
        notes.append(
            "its by_month and by_monthday are not carried: warroom's layer is active "
            "every month and day"
        )
    if any(len(group) > 1 for group in shift.groups):
        notes.append("where a turn has several people, only the first is carried")
    if until is not None:
        notes.append(f"it ends on {until:%Y-%m-%d %H:%M} in Grafana; warroom's layer goes on")
    rotation_start = naive_time(raw, "rotation_start") if raw.get("rotation_start") else None
    if rotation_start is not None and aware_time(rotation_start, shift.zone) > now:
        notes.append(
            f"its turns begin on {rotation_start:%Y-%m-%d %H:%M} in Grafana; "
            "warroom's layer is active before"
        )
    return notes


def _by_day(raw: Raw) -> tuple[int, ...]:
    days = raw.get("by_day") or []
    if not isinstance(days, list) or any(day not in ICAL_DAYS for day in days):
        raise UnexpectedObject(f"on-call shift {object_id(raw)}: by_day {days!r} is not iCal days")
    return tuple(sorted({ICAL_DAYS.index(day) for day in days}))


def _every_frame(
    shift: _Shift,
    members: tuple[Person | None, ...],
    frequency: str,
    interval: int,
    notes: list[str],
) -> LayerDraft:
    """Each frame of ``interval`` hours, days, weeks or months is the next group's; its event
    lasts ``duration`` from the frame's start. Frames of several days or weeks whose event
    fits in the first day or week are turns of a day or week, each group's followed by turns
    of nobody (``none``) for the rest of its frame."""
    unit = UNITS.get(frequency)
    if unit is not None and interval > 1 and shift.duration <= unit:
        members, interval = _padded(members, interval), 1
    rotation, frame = _rotation_word(frequency, interval, notes)
    restrictions: tuple[Restriction, ...] = ()
    if frame is not None and shift.duration > frame:
        notes.append(
            "its events are longer than its turns: where they overlap Grafana "
            "OnCall has both people on call, warroom the next one"
        )
    elif frame is not None and shift.duration < frame:
        restrictions = _frame_windows(shift, frame, notes)
    return LayerDraft(shift.name, shift.start, rotation, members, restrictions, shift.own_zone)


def _padded(members: tuple[Person | None, ...], frame: int) -> tuple[Person | None, ...]:
    """Each member's turn followed by ``frame - 1`` turns of nobody."""
    return tuple(slot for member in members for slot in (member, *[None] * (frame - 1)))


def _rotation_word(frequency: str, interval: int, notes: list[str]) -> tuple[str, timedelta | None]:
    """The file's rotation word and the frame's length (None: a month)."""
    if frequency == "hourly":
        if HOURS_IN_DAY % interval:
            notes.append(
                f"{interval}-hour turns: warroom counts elapsed hours for a length "
                "that does not divide a day, Grafana OnCall the wall clock, so "
                "handoffs move by an hour across a clock change"
            )
        return f"{interval}h", timedelta(hours=interval)
    if frequency == "daily":
        return ("daily" if interval == 1 else f"{interval}d"), DAY * interval
    if frequency == "weekly":
        return ("weekly" if interval == 1 else f"{7 * interval}d"), WEEK * interval
    notes.append(
        "a monthly shift: warroom's monthly turn lasts the whole month and hands over on a "
        "short month's last day, where Grafana OnCall's event lasts its duration and (as "
        "iCal) skips a month without that day"
        + ("" if interval == 1 else f"; every {interval} months is carried as every month")
    )
    return "monthly", None


def _frame_windows(shift: _Shift, frame: timedelta, notes: list[str]) -> tuple[Restriction, ...]:
    """The part of each frame its event takes, as restrictions, where warroom can say it."""
    clock = shift.start.hour * 60 + shift.start.minute
    minutes = int(shift.duration.total_seconds() // 60)
    if frame <= DAY and (DAY % frame) == timedelta(0):
        step = int(frame.total_seconds() // 60)
        windows = [
            DailyWindow(DAYS, _clock(clock + n * step), _clock(clock + n * step + minutes))
            for n in range(int(DAY / frame))
        ]
        return tuple(windows)
    if frame == WEEK:
        day = shift.start.weekday()
        end = day * 24 * 60 + clock + minutes
        return (WeekSpan(f"{DAYS[day]} {_clock(clock)}", _week_clock(end)),)
    notes.append("its events are shorter than its turns; warroom's layer is active the whole turn")
    return ()


def _weekly_by_day(
    raw: Raw,
    shift: _Shift,
    members: tuple[Person | None, ...],
    by_day: tuple[int, ...],
    interval: int,
    now: datetime,
    notes: list[str],
) -> list[LayerDraft]:
    """Events on ``by_day``'s days, the group changing with each week (weeks begin on
    ``week_start``): a weekly turn from the week's start, active in daily windows."""
    week_start = raw.get("week_start") or DEFAULT_WEEK_START
    if week_start not in ICAL_DAYS:
        raise UnexpectedObject(f"on-call shift {shift.ident}: week_start {week_start!r}")
    if interval > 1:  # only the first week of each frame has events: then weeks of nobody
        members = _padded(members, interval)
    if shift.duration >= DAY:
        notes.append(
            "events of a day or more on given days: carried as daily windows of at most a day"
        )
    first = ICAL_DAYS.index(week_start)
    back = (shift.start.weekday() - first) % 7
    turn_start = (shift.start - DAY * back).replace(
        hour=shift.start.hour, minute=shift.start.minute
    )
    if back and aware_time(shift.start, shift.zone) > now:
        notes.append("its first week begins before its start in warroom")
    window = _day_window(shift, tuple(DAYS[day] for day in by_day))
    return [LayerDraft(shift.name, turn_start, "weekly", members, (window,), shift.own_zone)]


def _daily_by_day(
    shift: _Shift,
    members: tuple[Person | None, ...],
    by_day: tuple[int, ...],
    interval: int,
    notes: list[str],
) -> list[LayerDraft]:
    """Daily events on ``by_day``'s days, each event the next group's (Grafana counts the
    events, not the days): one daily layer where counting days gives the same turns, else a
    weekly layer per day, its members who has that day each week of the cycle."""
    if interval != 1:
        notes.append(f"every {interval} days on given days: carried as every day")
    if shift.duration >= DAY:
        notes.append("events of a day or more: carried as daily windows of at most a day")
    first = shift.start + DAY * _days_to_next(shift.start.weekday(), by_day)
    count = len(members)
    cycle = count // math.gcd(count, len(by_day))  # weeks before the turns come round
    events = [
        first + DAY * offset
        for offset in range(7 * cycle)
        if (first + DAY * offset).weekday() in by_day
    ]
    if all((event - first).days % count == number % count for number, event in enumerate(events)):
        window = _day_window(shift, tuple(DAYS[day] for day in by_day))
        return [LayerDraft(shift.name, first, "daily", members, (window,), shift.own_zone)]
    layers = []
    for day in by_day:
        days = [number for number, event in enumerate(events) if event.weekday() == day]
        holders = tuple(members[number % count] for number in days)
        start = events[days[0]]
        window = _day_window(shift, (DAYS[day],))
        layers.append(
            LayerDraft(
                f"{shift.name} {DAYS[day]}", start, "weekly", holders, (window,), shift.own_zone
            )
        )
    return layers


def _days_to_next(weekday: int, by_day: tuple[int, ...]) -> int:
    return min((day - weekday) % 7 for day in by_day)


def _day_window(shift: _Shift, days: tuple[str, ...]) -> DailyWindow:
    clock = shift.start.hour * 60 + shift.start.minute
    minutes = min(int(shift.duration.total_seconds() // 60), 24 * 60 - 1)
    return DailyWindow(days, _clock(clock), _clock(clock + minutes))


def _clock(minutes: int) -> str:
    """``HH:MM`` of minutes after midnight, the next day's read as the same day's clock;
    a whole day's end is ``24:00``."""
    if minutes == 24 * 60:
        return "24:00"
    minutes %= 24 * 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _week_clock(minutes: int) -> str:
    minutes %= 7 * 24 * 60
    return f"{DAYS[minutes // (24 * 60)]} {_clock(minutes % (24 * 60))}"


def _item(shift: _Shift, carried: Carried, detail: str = "", todo: str = "") -> ReportItem:
    return ReportItem("on-call shift", shift.ident, shift.name, carried, detail, todo)
