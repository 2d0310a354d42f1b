"""An independent, obviously correct reading of a schedule: minute by minute, in local time.

For each UTC minute it asks zoneinfo what the clocks read there, and decides from the rules:

* a day-rotation layer's turn, and that of an hour rotation whose length divides 24 hours, is
  how many handoffs the clocks have reached: the highest local time read up to this minute
  (clocks go back in autumn, and a handoff happens only once) less the layer's start, in
  whole rotations;
* a monthly layer's turn is how many of its monthly handoffs (the start's day of each month,
  else the month's last day) the highest reading has reached;
* another hour-rotation layer's turn counts elapsed hours from the first minute the clocks
  read the layer's start or later (found by reading minutes one after another);
* a restriction by the local weekday and time of day read at this minute: a daily window
  whose end is not after its start holds from its start on a listed day and before its end
  on the day after one; a span across days by the minutes since Monday 00:00, wrapping
  through Sunday when its end is not after its start;
* where a layer has a turn (a ``none`` member's too), the newest override of that layer
  holding the minute names its person instead (None: nobody);
* a layer whose turn is nobody's is not active;
* the last active layer wins (``overlap: last``), or every active layer's person is on call,
  in the layers' order, each once (``overlap: all``); then the newest override of the
  schedule holding the minute holds it alone (of nobody: a gap).

Each layer reads the clocks of its own zone (its ``timezone``, else the schedule's), each
zone's highest reading kept apart.

Nothing here is shared with the engine but the parsed Schedule and the Override values; it
is exact for schedules whose times are whole minutes, which every schedule file's are.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.record.oncall.engine import Override
from bot.record.oncall.schedules import Layer, Restriction, Schedule, Span

MINUTE = timedelta(minutes=1)
# The zones it is compared with the engine in: the clock changes that make handoffs hard
# (Lord Howe moves by 30 minutes, Santiago at midnight, Kolkata and UTC never).
ZONES = (
    "Europe/Paris",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Kolkata",
    "UTC",
)
# Clocks never went back by more than a day (the zones tested: an hour at most), so the
# highest reading before a window is found within the two days before it.
WARM_UP = timedelta(days=2)


def reference_users(
    schedule: Schedule, overrides: Sequence[Override], start: datetime, end: datetime
) -> list[tuple[str, ...]]:
    """Who is on call at each whole UTC minute from ``start`` up to ``end`` (nobody: an
    empty tuple)."""
    named = {layer_zone(schedule, layer) for layer in schedule.layers}
    zones = {name: ZoneInfo(name) for name in named}
    newest_first = sorted(overrides, key=lambda o: (o.created_at, o.id or 0), reverse=True)
    origins = {
        layer.name: first_minute_reading(zones[layer_zone(schedule, layer)], layer.start)
        for layer in schedule.layers
        if layer.rotation.hours and 24 % layer.rotation.hours
    }
    highest = {
        name: max(local(zone, start - WARM_UP + n * MINUTE) for n in range(2 * 24 * 60))
        for name, zone in zones.items()
    }
    users = []
    moment = start
    while moment < end:
        readings = {name: local(zone, moment) for name, zone in zones.items()}
        highest = {name: max(highest[name], reading) for name, reading in readings.items()}
        active = []
        for layer in schedule.layers:
            name = layer_zone(schedule, layer)
            origin = origins.get(layer.name)
            in_turn, found = layer_turn(layer, moment, readings[name], highest[name], origin)
            mine = holding(newest_first, moment, layer.name)
            if in_turn and mine is not None:
                found = mine.user
            if found:
                active.append(found)
        crew = tuple(dict.fromkeys(active)) if schedule.overlap == "all" else tuple(active[-1:])
        above = holding(newest_first, moment, None)
        users.append(crew if above is None else (above.user,) if above.user else ())
        moment += MINUTE
    return users


def holding(
    newest_first: Sequence[Override], moment: datetime, layer: str | None
) -> Override | None:
    """The newest override of the schedule (``layer`` None) or of that layer holding the
    minute."""
    return next((o for o in newest_first if o.layer == layer and o.start <= moment < o.end), None)


def layer_zone(schedule: Schedule, layer: Layer) -> str:
    """The zone a layer reads: its own, else the schedule's."""
    return layer.timezone or schedule.timezone


NO_TURN = (False, None)


def layer_turn(
    layer: Layer, moment: datetime, reading: datetime, highest: datetime, origin: datetime | None
) -> tuple[bool, str | None]:
    """Whether ``layer`` has a turn at ``moment`` (its rotation has begun and a restriction
    allows it), and whose (None: a ``none`` member's)."""
    if layer.restrictions and not any(allows(rule, reading) for rule in layer.restrictions):
        return NO_TURN
    if origin is not None:  # elapsed hours
        if moment < origin:
            return NO_TURN
        turn = (moment - origin) // timedelta(hours=layer.rotation.hours)
    elif layer.rotation.months:  # monthly handoffs the clocks have reached
        if highest < layer.start:
            return NO_TURN
        turn = (highest.year - layer.start.year) * 12 + highest.month - layer.start.month
        if month_handoff(layer.start, turn) > highest:
            turn -= 1
    else:  # handoffs the clocks have reached
        if highest < layer.start:
            return NO_TURN
        length = timedelta(days=layer.rotation.days, hours=layer.rotation.hours)
        turn = (highest - layer.start) // length
    return True, layer.members[turn % len(layer.members)]


def month_handoff(start: datetime, months: int) -> datetime:
    """The wall time ``months`` months after ``start``: its day of the month, or the month's
    last day when the month is shorter."""
    year, month = divmod(start.year * 12 + start.month - 1 + months, 12)
    day = min(start.day, monthrange(year, month + 1)[1])
    return start.replace(year=year, month=month + 1, day=day)


def allows(rule: Restriction | Span, reading: datetime) -> bool:
    """Whether the clocks reading ``reading`` are inside ``rule``."""
    day, minute = reading.weekday(), reading.hour * 60 + reading.minute
    if isinstance(rule, Span):
        of_week = day * 24 * 60 + minute
        if rule.start_minute < rule.end_minute:
            return rule.start_minute <= of_week < rule.end_minute
        return of_week >= rule.start_minute or of_week < rule.end_minute
    if rule.start_minute < rule.end_minute:
        return day in rule.days and rule.start_minute <= minute < rule.end_minute
    tonight = day in rule.days and minute >= rule.start_minute
    this_morning = (day - 1) % 7 in rule.days and minute < rule.end_minute
    return tonight or this_morning


def first_minute_reading(zone: ZoneInfo, wall: datetime) -> datetime:
    """The first UTC minute at which the clocks read ``wall`` or later."""
    moment = wall.replace(tzinfo=ZoneInfo("UTC")) - timedelta(hours=15)  # before any reading
    while local(zone, moment) < wall:
        moment += MINUTE
    return moment


def local(zone: ZoneInfo, moment: datetime) -> datetime:
    """What the clocks of ``zone`` read at ``moment``, as a naive datetime."""
    return moment.astimezone(zone).replace(tzinfo=None)
