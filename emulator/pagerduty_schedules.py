"""Who a PagerDuty schedule puts on call, worked out the way PagerDuty documents its layers,
for the fake REST API (``emulator/pagerduty_rest.py``): its final schedule's rendered entries
and ``GET /oncalls``.

Written from PagerDuty's documentation alone, not from warroom's engine (the import is checked
against this, so the two must not share a line):

- A layer's users take turns of ``rotation_turn_length_seconds`` from its
  ``rotation_virtual_start``, in the order of ``users`` ("Users will move through the rotation
  in the top-to-bottom order they are listed in", https://support.pagerduty.com/docs/schedules);
  the layer counts only from its ``start`` and until its ``end`` (the OpenAPI's ScheduleLayer:
  "The start time of this layer", "If null, the layer does not end"), while the virtual start
  "can be before the start time of the schedule".
- Turns of whole days hand over at the virtual start's time of day on the schedule's clocks
  (the web app's "Handoff time", read in the schedule's time zone: a daily turn handed over at
  08:00 stays at 08:00 across a clock change); turns of any other length are
  ``rotation_turn_length_seconds`` of elapsed time, as the field says. A wall-clock time the
  clocks skip is reached when they jump past it; one they repeat, the first time.
- Restrictions are read on the schedule's clocks: a ``daily_restriction`` every day from
  ``start_time_of_day`` for ``duration_seconds`` (19:00 for 12 hours ends at 07:00 the next
  morning, https://support.pagerduty.com/hc/en-us/articles/202830160), a
  ``weekly_restriction`` from ``start_day_of_week`` (ISO: 1 is Monday) at that time for its
  duration; the layer is on call only inside one of them. Each window runs from the first
  instant the clocks read its start to the first instant they read its end (the night they go
  back, a window ending at 01:30 is not entered again in the repeated hour). PagerDuty does not
  document the night the clocks change; this is the fake's reading, and --compare against a
  real account is the check.
- "In a schedule with multiple layers, the lowest layer always takes precedence": the last
  layer of ``schedule_layers`` that is on call wins (https://support.pagerduty.com/docs/schedules).
- An override beats every layer inside its window; of two overlapping ones, the later listed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

DAY_SECONDS = 86_400
WEEK = timedelta(days=7)
_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class PdRestriction:
    """A ``daily_restriction`` (``weekday`` None) or ``weekly_restriction``."""

    start_of_day: time
    seconds: int
    weekday: int | None = None  # ISO: 1 is Monday


@dataclass(frozen=True)
class PdLayer:
    """A schedule layer as the API describes it (aware instants)."""

    start: datetime
    end: datetime | None
    virtual_start: datetime
    turn_seconds: int
    users: tuple[str, ...]
    restrictions: tuple[PdRestriction, ...] = ()


@dataclass(frozen=True)
class PdOverride:
    user: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Entry:
    """A stretch of the final schedule: ``user`` on call from ``start`` to ``end``."""

    user: str
    start: datetime
    end: datetime


def first_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The first instant the clocks of ``zone`` read ``wall`` (naive), or jump past it."""
    early = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if early.astimezone(zone).replace(tzinfo=None) == wall:
        return early
    # Skipped: fold=1 reads it with the offset after the change, fold=0 with the one before;
    # the jump lies between them. Bisect to the second for the first instant past ``wall``.
    low, high = wall.replace(tzinfo=zone, fold=1).astimezone(UTC), early
    low, high = min(low, high), max(low, high)
    while high - low > _SECOND:
        middle = low + (high - low) / 2
        if middle.astimezone(zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return high


class ScheduleRender:
    """One schedule's layers and overrides, asked who is on call."""

    def __init__(
        self, zone: str, layers: Sequence[PdLayer], overrides: Sequence[PdOverride] = ()
    ) -> None:
        self.zone = ZoneInfo(zone)
        self.layers = tuple(layers)
        self.overrides = tuple(overrides)

    # -- one instant ------------------------------------------------------------------------
    def on_call(self, at: datetime) -> str | None:
        """The user on call at ``at`` (None: nobody)."""
        for override in reversed(self.overrides):
            if override.start <= at < override.end:
                return override.user
        for layer in reversed(self.layers):
            user = self.layer_user(layer, at)
            if user is not None:
                return user
        return None

    def layer_user(self, layer: PdLayer, at: datetime) -> str | None:
        """The user ``layer`` puts on call at ``at``, or None where it is not on call."""
        if at < layer.start or (layer.end is not None and at >= layer.end):
            return None
        if layer.restrictions and not any(
            self._inside(restriction, at) for restriction in layer.restrictions
        ):
            return None
        return layer.users[self.turn(layer, at) % len(layer.users)]

    def turn(self, layer: PdLayer, at: datetime) -> int:
        """The number of the turn ``at`` falls in, counted from the virtual start."""
        if layer.turn_seconds % DAY_SECONDS:
            return (at - layer.virtual_start) // timedelta(seconds=layer.turn_seconds)
        local = at.astimezone(self.zone).replace(tzinfo=None)
        anchor = self._wall(layer.virtual_start)
        number = (local - anchor) // timedelta(seconds=layer.turn_seconds)
        while self.handoff(layer, number) > at:
            number -= 1
        while self.handoff(layer, number + 1) <= at:
            number += 1
        return number

    def handoff(self, layer: PdLayer, number: int) -> datetime:
        """When turn ``number`` begins."""
        length = timedelta(seconds=layer.turn_seconds)
        if layer.turn_seconds % DAY_SECONDS:
            return layer.virtual_start + number * length
        return first_instant(self._wall(layer.virtual_start) + number * length, self.zone)

    def _inside(self, restriction: PdRestriction, at: datetime) -> bool:
        return any(start <= at < end for start, end in self._windows(restriction, at, at))

    def _windows(
        self, restriction: PdRestriction, since: datetime, until: datetime
    ) -> Iterable[tuple[datetime, datetime]]:
        """Each stretch of ``restriction`` that may touch ``since``..``until``, as instants."""
        first = since.astimezone(self.zone).date() - WEEK
        last = until.astimezone(self.zone).date()
        day = first
        while day <= last:
            if restriction.weekday is None or day.isoweekday() == restriction.weekday:
                yield self._stretch(restriction, day)
            day += timedelta(days=1)

    def _stretch(self, restriction: PdRestriction, day: date) -> tuple[datetime, datetime]:
        opens = datetime.combine(day, restriction.start_of_day)
        closes = opens + timedelta(seconds=restriction.seconds)  # on the wall clock
        return first_instant(opens, self.zone), first_instant(closes, self.zone)

    def _wall(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone).replace(tzinfo=None)

    # -- a range ----------------------------------------------------------------------------
    def entries(self, since: datetime, until: datetime) -> list[Entry]:
        """The final schedule from ``since`` to ``until``: who, from when to when, cut at the
        range's ends (the API's default, ``overflow=false``)."""
        edges = sorted({since, until, *(e for e in self._edges(since, until) if since < e < until)})
        found: list[Entry] = []
        for start, end in pairwise(edges):
            user = self.on_call(start)
            if user is None:
                continue
            if found and found[-1].user == user and found[-1].end == start:
                found[-1] = Entry(user, found[-1].start, end)
            else:
                found.append(Entry(user, start, end))
        return found

    def _edges(self, since: datetime, until: datetime) -> Iterable[datetime]:
        """Every instant the answer may change at in the range (and some more)."""
        for override in self.overrides:
            yield from (override.start, override.end)
        for layer in self.layers:
            yield layer.start
            if layer.end is not None:
                yield layer.end
            for number in range(self.turn(layer, since), self.turn(layer, until) + 2):
                yield self.handoff(layer, number)
            for restriction in layer.restrictions:
                for start, end in self._windows(restriction, since, until):
                    yield from (start, end)


def layer_from_api(raw: Mapping[str, Any]) -> PdLayer:
    """A ``ScheduleLayer`` object of the API as the rules read it."""
    return PdLayer(
        start=datetime.fromisoformat(raw["start"]),
        end=datetime.fromisoformat(raw["end"]) if raw.get("end") else None,
        virtual_start=datetime.fromisoformat(raw["rotation_virtual_start"]),
        turn_seconds=int(raw["rotation_turn_length_seconds"]),
        users=tuple(item["user"]["id"] for item in raw["users"]),
        restrictions=tuple(
            PdRestriction(
                time.fromisoformat(item["start_time_of_day"]),
                int(item["duration_seconds"]),
                item.get("start_day_of_week") if item["type"] == "weekly_restriction" else None,
            )
            for item in raw.get("restrictions", [])
        ),
    )
