"""Who Opsgenie says is on call, computed by the fake from its own objects, as Opsgenie's
documentation describes it (independent of warroom's engine, which the tests compare with it).

The rules, and where each is written:

- A rotation's turns follow one another from its ``startDate``, each ``length`` units of its
  ``type`` (Schedule Rotation API, "type": daily, weekly or hourly; "length": "Length of the
  rotation with default value 1"), the participants "rotated in the order they given". Daily
  and weekly turns hand over at the start's wall-clock time in the schedule's ``timezone``
  (Schedule API, "timezone": the schedule's time zone, in which its rotations are drawn);
  hourly turns last ``length`` elapsed hours. Before ``startDate`` and from ``endDate`` on, the
  rotation has no turn.
- A participant ``none`` ("the reserved word none") is a turn with nobody on call.
- ``timeRestriction`` limits a rotation "to certain day and time of the week" on the
  schedule's clock: ``time-of-day`` is one window every day (ending the next day when it ends
  at or before its start), ``weekday-and-time-of-day`` a list of windows each from a weekday
  and time to a weekday and time (through the week's end when that comes first).
- Every rotation active at an instant puts its participant on call: the on-call participants
  are all of theirs (a primary and a shadow rotation are both on call), in rotation order.
- An override (Schedule Override API) puts its ``user`` (a user, or ``none``: nobody) on call
  from ``startDate`` to ``endDate``; with ``rotations`` "only specified schedule rotations
  will be overridden" (in place of each one's participant while that rotation is active),
  without them the whole schedule is.

When in doubt the fake refuses: a rotation of a type it does not know, or a participant that
is not a user or ``none`` in a rotation that is active, is answered as an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

Json = Mapping[str, Any]
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MINUTES_A_DAY = 24 * 60
MINUTES_A_WEEK = 7 * MINUTES_A_DAY


class CannotSay(ValueError):
    """An object the fake will not guess about."""


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant with its offset (Opsgenie's "yyyy-MM-dd'T'HH:mm:ssZ")."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no offset")
    return moment.astimezone(UTC)


def on_call(schedule: Json, overrides: Sequence[Json], at: datetime) -> list[Json]:
    """The participants on call for ``schedule`` at ``at`` (each ``{"id", "name", "type"}``)."""
    zone = ZoneInfo(schedule["timezone"])
    whole = [o for o in overrides if not o.get("rotations") and _holds(o, at)]
    if whole:
        user = whole[-1]["user"]
        return [] if user["type"] == "none" else [_as_participant(user)]
    found: list[Json] = []
    for rotation in schedule.get("rotations") or []:
        person = _turn(rotation, zone, at)
        if person is None or not _restricted_in(rotation.get("timeRestriction"), zone, at):
            continue
        replaced = [o for o in overrides if _overrides_rotation(o, rotation) and _holds(o, at)]
        if replaced:
            user = replaced[-1]["user"]
            person = None if user["type"] == "none" else user
        if person is not None and all(p["id"] != person["id"] for p in found):
            found.append(_as_participant(person))
    return found


def _as_participant(person: Json) -> Json:
    return {
        "id": person["id"],
        "name": person.get("username") or person.get("name"),
        "type": person["type"],
    }


def _holds(override: Json, at: datetime) -> bool:
    return parse_instant(override["startDate"]) <= at < parse_instant(override["endDate"])


def _overrides_rotation(override: Json, rotation: Json) -> bool:
    named = override.get("rotations") or []
    return any(r.get("id") == rotation["id"] or r.get("name") == rotation["name"] for r in named)


def _turn(rotation: Json, zone: ZoneInfo, at: datetime) -> Json | None:
    """The participant whose turn holds ``at``; None before the start, after the end, or in a
    turn of ``none``."""
    start = parse_instant(rotation["startDate"])
    if at < start or (rotation.get("endDate") and at >= parse_instant(rotation["endDate"])):
        return None
    index = _turns_before(rotation, zone, start, at)
    participants = rotation["participants"]
    person = participants[index % len(participants)]
    if person["type"] == "none":
        return None
    if person["type"] != "user":
        raise CannotSay(f"participant of type {person['type']!r} in an active rotation")
    return dict(person)


def _turns_before(rotation: Json, zone: ZoneInfo, start: datetime, at: datetime) -> int:
    """How many turns have ended by ``at``: the index of the one holding it."""
    length = int(rotation.get("length") or 1)
    kind = rotation["type"]
    if kind == "hourly":
        return int((at - start) / timedelta(hours=length))
    if kind not in ("daily", "weekly"):
        raise CannotSay(f"rotation type {kind!r}")
    days = length * (7 if kind == "weekly" else 1)
    local_start = start.astimezone(zone).replace(tzinfo=None)

    def handoff(index: int) -> datetime:
        wall = local_start + timedelta(days=index * days)
        return wall.replace(tzinfo=zone).astimezone(UTC)

    index = int((at - start) / timedelta(days=days))
    while index > 0 and handoff(index) > at:
        index -= 1
    while handoff(index + 1) <= at:
        index += 1
    return index


def _restricted_in(restriction: Json | None, zone: ZoneInfo, at: datetime) -> bool:
    """Whether ``at`` is inside the rotation's time restriction (always, without one)."""
    if not restriction:
        return True
    local = at.astimezone(zone)
    minute_of_day = local.hour * 60 + local.minute
    if restriction["type"] == "time-of-day":
        window = restriction["restriction"]
        begin, end = _minutes(window, "start"), _minutes(window, "end")
        if begin < end:
            return begin <= minute_of_day < end
        return minute_of_day >= begin or minute_of_day < end
    if restriction["type"] == "weekday-and-time-of-day":
        minute_of_week = local.weekday() * MINUTES_A_DAY + minute_of_day
        return any(_in_span(each, minute_of_week) for each in restriction["restrictions"])
    raise CannotSay(f"time restriction of type {restriction['type']!r}")


def _in_span(span: Json, minute_of_week: int) -> bool:
    begin = DAY_NAMES.index(span["startDay"]) * MINUTES_A_DAY + _minutes(span, "start")
    end = DAY_NAMES.index(span["endDay"]) * MINUTES_A_DAY + _minutes(span, "end")
    if begin < end:
        return begin <= minute_of_week < end
    return minute_of_week >= begin or minute_of_week < end


def _minutes(raw: Json, prefix: str) -> int:
    return int(raw.get(f"{prefix}Hour", 0)) * 60 + int(raw.get(f"{prefix}Min", 0))
