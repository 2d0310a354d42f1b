"""What ``warroom oncall check`` says of a good schedule file beyond its problems: how each
layer hands over (on the wall clock, or after elapsed hours), and layers that are active at
once where only the later one is on call (``overlap: last``), which may be meant (a weekday
layer above a weekly one) or a rotation's people silently left out (an Opsgenie primary and
shadow, cumulative there).

Pure functions of the parsed schedules and the instant asked at, like the engine they read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.record.oncall.engine import LATEST, Shift, layer_shifts
from bot.record.oncall.schedules import Layer, Schedule

DAY_MINUTES = 24 * 60
# How far from when both layers have begun the check looks for an instant they share: two
# weeks of any rotation warroom reads, and a month's turn.
LOOKED_AT = timedelta(weeks=8)


@dataclass(frozen=True)
class LayersOverlap:
    """Two layers of ``schedule`` (``overlap: last``) both active from ``first``: there,
    only ``later``'s person is on call."""

    schedule: Schedule
    earlier: str
    later: str
    first: datetime


def wall_clock_times(layer: Layer) -> list[str]:
    """The times of day a layer whose turns divide a day hands over at, from its start's:
    ``["08:00", "20:00"]`` for a 12h rotation from 08:00 (the start's first); one time for day
    rotations; none
    for a layer of elapsed hours or a calendar feed."""
    if layer.start is None or layer.rotation is None or not layer.rotation.on_wall_clock:
        return []
    first = layer.start.hour * 60 + layer.start.minute
    step = layer.rotation.hours * 60 or DAY_MINUTES
    minutes = [(first + n * step) % DAY_MINUTES for n in range(DAY_MINUTES // step)]
    return [f"{minute // 60:02d}:{minute % 60:02d}" for minute in minutes]


def layer_overlaps(schedule: Schedule, now: datetime) -> list[LayersOverlap]:
    """Each pair of the schedule's rotation layers that are active at some instant of the
    ``LOOKED_AT`` from when both have begun (from ``now`` if they have), with the first
    such instant; none under ``overlap: all``, where both are on call then. An iCal layer's
    turns are its feed's, which the file does not hold: it is left out."""
    if schedule.overlap == "all":
        return []
    rotations = [layer for layer in schedule.layers if layer.start is not None]
    found = []
    for number, earlier in enumerate(rotations):
        for later in rotations[number + 1 :]:
            first = _first_shared(schedule, earlier, later, now)
            if first is not None:
                found.append(LayersOverlap(schedule, earlier.name, later.name, first))
    return found


def _first_shared(
    schedule: Schedule, earlier: Layer, later: Layer, now: datetime
) -> datetime | None:
    begun = max(now.astimezone(UTC), _began(schedule, earlier), _began(schedule, later))
    if begun >= LATEST - LOOKED_AT:
        return None
    window = (begun, begun + LOOKED_AT)
    return _first_common(
        layer_shifts(schedule, earlier, *window), layer_shifts(schedule, later, *window)
    )


def _began(schedule: Schedule, layer: Layer) -> datetime:
    """About when the layer's first turn begins (its start read in its zone)."""
    assert layer.start is not None
    return layer.start.replace(tzinfo=ZoneInfo(schedule.zone_of(layer))).astimezone(UTC)


def _first_common(ones: Sequence[Shift], others: Sequence[Shift]) -> datetime | None:
    """The first instant both sorted, disjoint lists of shifts hold."""
    index, other = 0, 0
    while index < len(ones) and other < len(others):
        start = max(ones[index].start, others[other].start)
        if start < min(ones[index].end, others[other].end):
            return start
        if ones[index].end <= others[other].end:
            index += 1
        else:
            other += 1
    return None
