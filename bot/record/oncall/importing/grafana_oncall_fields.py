"""The fields of Grafana OnCall's objects read as its API reference documents them
(grafana/oncall ``docs/sources/oncall-api-reference/``): ids, text, wall-clock times in a
zone; an object lacking one, or with one of a wrong form, is ``UnexpectedObject``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from bot.record.oncall.zones import ZoneClock, instant_of, moment_of, wall_of

Raw = Mapping[str, Any]


class UnexpectedObject(ValueError):
    """An object of the account lacks a field Grafana documents, or has one of a wrong form:
    the message names the object and the field."""


def object_id(raw: Raw) -> str:
    ident = raw.get("id")
    if not isinstance(ident, str) or not ident:
        raise UnexpectedObject(f"an object without an id: {sorted(raw)[:6]}")
    return ident


def text_field(raw: Raw, key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str):
        raise UnexpectedObject(f"object {raw.get('id')}: {key} {value!r} is not text")
    return value


def naive_time(raw: Raw, key: str) -> datetime:
    """A ``yyyy-MM-dd'T'HH:mm:ss`` time (on_call_shifts.md), as a naive wall-clock time; an
    offset or ``Z`` some answers carry is dropped, as Grafana OnCall reads the digits in the
    shift's zone (``time_zone``, else the schedule's)."""
    value = raw.get(key)
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise UnexpectedObject(f"object {raw.get('id')}: {key} {value!r} is not a time") from None
    return moment.replace(tzinfo=None)


def aware_time(wall: datetime, zone: str) -> datetime:
    """The first instant the zone's clocks read ``wall`` (or jump past it), as warroom reads
    a wall-clock time everywhere (``ZoneClock.first_reaching``)."""
    guess = instant_of(wall.replace(tzinfo=ZoneInfo(zone)))
    clock = ZoneClock(zone, guess, guess)
    first = clock.first_reaching(np.array([wall_of(wall)], dtype=np.int64))
    return moment_of(int(first[0]))
