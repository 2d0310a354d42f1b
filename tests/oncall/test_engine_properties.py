"""The engine against the minute-by-minute reference (tests/oncall/reference.py).

Random schedules (every rotation kind, restrictions, overrides) in zones with the awkward
clock changes (Lord Howe moves by 30 minutes, Santiago at midnight, Kolkata and UTC never),
over windows of one to four days around a clock change somewhere from 2021 to 2033, with
layer starts up to three years earlier and handoff times near the change (inside the hour
that is skipped or repeated, often). The engine's final schedule, on_call_at and next_shift
must agree with the reference on every minute of the window.

Examples are derandomized and no example database is kept: CI runs the same ones every time.
"""

from __future__ import annotations

import functools
from calendar import monthrange
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.record.oncall.engine import (
    Override,
    Shift,
    final_shifts,
    layer_shifts,
    next_shift,
    on_call_at,
    stretch_of,
)
from bot.record.oncall.schedules import (
    OVERLAPS,
    Layer,
    Restriction,
    Rotation,
    Schedule,
    Span,
)
from tests.oncall.reference import MINUTE, ZONES, reference_users

MEMBERS = ("U0ALICE", "U0BOB", "U0CAROL", "U0DAVE", "U0ERIN")
NAME = "payments"
Case = tuple[Schedule, list[Override], datetime, datetime]


@functools.cache
def clock_changes(zone: str, year: int) -> tuple[datetime, ...]:
    """The minutes at which ``zone``'s offset changed in ``year`` (read hour by hour, then
    minute by minute inside the hour)."""
    tz, hour = ZoneInfo(zone), datetime(year, 1, 1, tzinfo=UTC)
    changes, offset = [], hour.astimezone(tz).utcoffset()
    while hour.year == year:
        hour += timedelta(hours=1)
        if hour.astimezone(tz).utcoffset() != offset:
            minute = hour - timedelta(hours=1)
            while minute.astimezone(tz).utcoffset() == offset:
                minute += MINUTE
            changes.append(minute)
            offset = hour.astimezone(tz).utcoffset()
    return tuple(changes)


def minute_of_day(change: datetime, zone: str) -> st.SearchStrategy[int]:
    """A time of day: often inside the wall-clock stretch the change skips or repeats, or
    near it; else anywhere."""
    tz = ZoneInfo(zone)
    before, after = (change - MINUTE).astimezone(tz), change.astimezone(tz)
    jump = (after.utcoffset() or timedelta(0)) - (before.utcoffset() or timedelta(0))
    first_read = (before + MINUTE) if jump > timedelta(0) else after  # skipped / repeated
    first = first_read.hour * 60 + first_read.minute
    length = max(1, abs(jump) // MINUTE)
    return st.one_of(
        st.integers(first, first + length - 1).map(lambda minute: minute % 1440),
        st.integers(first - 90, first + length + 90).map(lambda minute: minute % 1440),
        st.integers(0, 1439),
    )


@st.composite
def rotations(draw: st.DrawFn) -> Rotation:
    kind = draw(st.sampled_from(["daily", "weekly", "days", "hours", "monthly"]))
    if kind in ("daily", "weekly"):
        return Rotation(kind, days=1 if kind == "daily" else 7)
    if kind == "monthly":
        return Rotation(kind, months=1)
    if kind == "days":
        days = draw(st.integers(1, 10))
        return Rotation(f"{days}d", days=days)
    # Often a length that divides a day (handed over on the wall clock), else any.
    hours = draw(st.one_of(st.sampled_from((1, 2, 3, 4, 6, 8, 12, 24)), st.integers(1, 72)))
    return Rotation(f"{hours}h", hours=hours)


@st.composite
def restrictions(draw: st.DrawFn, change: datetime, zone: str) -> Restriction | Span:
    """A daily window (often one across midnight, into the next morning) or a span across
    days, its times near the clock change."""
    start = draw(minute_of_day(change, zone))
    end = draw(st.one_of(minute_of_day(change, zone), st.just(1440)))
    if draw(st.booleans()):
        first, last = draw(st.integers(0, 6)), draw(st.integers(0, 6))
        start, end = first * 1440 + start, last * 1440 + end
        return Span(start, end if end % (7 * 1440) != start else start + 1)
    days = draw(st.sets(st.integers(0, 6), min_size=1))
    if draw(st.booleans()):  # a window by day, from the earlier time to the later
        start, end = min(start, end), max(start, end)
    return Restriction(frozenset(days), start, end if end != start else start + 1)


@st.composite
def layers(draw: st.DrawFn, change: datetime, zone: str, number: int) -> Layer:
    near = change.astimezone(ZoneInfo(zone)).date()
    day = near + timedelta(days=draw(st.one_of(st.integers(-3 * 365, 2), st.integers(-15, 2))))
    rotation = draw(rotations())
    if rotation.months and draw(st.booleans()):  # a month's end: shorter months clamp it
        day = day.replace(day=draw(st.integers(28, monthrange(day.year, day.month)[1])))
    minutes = draw(minute_of_day(change, zone))
    people = draw(st.lists(st.sampled_from(MEMBERS), min_size=1, max_size=4, unique=True))
    members: list[str | None] = list(people)
    for _ in range(draw(st.integers(0, 2))):  # none: a turn of nobody, by design
        members.insert(draw(st.integers(0, len(members))), None)
    # Its own zone sometimes (follow-the-sun): one whose clocks change near the same dates
    # (the same day in Europe or Australia, another hour in North America), or any.
    neighbours = {
        "Europe/Paris": "Europe/London",
        "America/New_York": "America/Chicago",
        "Australia/Lord_Howe": "Australia/Sydney",
    }
    own = draw(
        st.one_of(
            st.none(),
            st.just(neighbours.get(zone, "Europe/London")),
            st.sampled_from(ZONES),
        )
    )
    return Layer(
        name=f"layer-{number}",
        timezone=own,
        start=datetime.combine(day, time()) + timedelta(minutes=minutes),
        rotation=rotation,
        members=tuple(members),
        restrictions=tuple(
            draw(
                st.one_of(st.just([]), st.lists(restrictions(change, zone), min_size=1, max_size=2))
            )
        ),
    )


@st.composite
def overrides(draw: st.DrawFn, start: datetime, minutes: int) -> list[Override]:
    """Overrides of the schedule or of a layer (one the schedule may not have), of someone
    or of nobody."""
    made = []
    for number in range(1, draw(st.integers(0, 3)) + 1):
        begin = start + draw(st.integers(-600, minutes)) * MINUTE
        # Few distinct creation times: ties are decided by id.
        created = datetime(2020, 1, 1, tzinfo=UTC) + draw(st.integers(0, 3)) * MINUTE
        user = draw(st.sampled_from((*MEMBERS, "U0OVER", None)))
        end = begin + draw(st.integers(1, 2 * 24 * 60)) * MINUTE
        layer = draw(st.one_of(st.none(), st.sampled_from(("layer-0", "layer-1", "layer-2"))))
        made.append(Override(number, NAME, user, begin, end, "U0ADMIN", created, layer))
    return made


@st.composite
def cases(draw: st.DrawFn) -> Case:
    zone = draw(st.sampled_from(ZONES))
    year = draw(st.integers(2021, 2033))
    changes = clock_changes(zone, year)
    anywhere = datetime(year, 1, 1, tzinfo=UTC) + draw(st.integers(0, 364)) * timedelta(days=1)
    anchor = draw(st.sampled_from(changes)) if changes else anywhere
    start = anchor - draw(st.integers(0, 3 * 24 * 60)) * MINUTE
    minutes = draw(st.integers(1, 4)) * 24 * 60 - draw(st.integers(0, 23 * 60))
    count = draw(st.integers(1, 3))
    drawn = tuple(draw(layers(anchor, zone, n)) for n in range(count))
    schedule = Schedule(NAME, zone, drawn, overlap=draw(st.sampled_from(OVERLAPS)))
    return schedule, draw(overrides(start, minutes)), start, start + minutes * MINUTE


def engine_users(
    schedule: Schedule, made: list[Override], start: datetime, end: datetime
) -> list[tuple[str, ...]]:
    """The engine's final schedule read minute by minute, checking its shape on the way."""
    shifts = final_shifts(schedule, made, start, end)
    assert shifts[0].start == start and shifts[-1].end == end
    for before, after in pairwise(shifts):
        assert before.end == after.start and before.users != after.users, (before, after)
    return by_minute(shifts, start, end)


def by_minute(shifts: list[Shift], start: datetime, end: datetime) -> list[tuple[str, ...]]:
    """Who the shifts name at each minute (nobody where none holds it)."""
    users, index, moment = [], 0, start
    while moment < end:
        while index < len(shifts) and shifts[index].end <= moment:
            index += 1
        held = index < len(shifts) and shifts[index].start <= moment
        users.append(shifts[index].users if held else ())
        moment += MINUTE
    return users


def first_difference(
    engine: list[tuple[str, ...]], reference: list[tuple[str, ...]], start: datetime
) -> str:
    index = next(i for i, (a, b) in enumerate(zip(engine, reference, strict=True)) if a != b)
    moment = start + index * MINUTE
    said = f"the engine says {engine[index]}, the reference {reference[index]}"
    return f"at {moment:%Y-%m-%d %H:%M} UTC {said}"


SETTINGS = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@settings(SETTINGS, max_examples=150)
@given(case=cases(), data=st.data())
def test_the_engine_agrees_with_the_minute_by_minute_reference(
    case: Case, data: st.DataObject
) -> None:
    schedule, made, start, end = case
    expected = reference_users(schedule, made, start, end)
    engine = engine_users(schedule, made, start, end)
    assert engine == expected, first_difference(engine, expected, start)

    for index in data.draw(st.lists(st.integers(0, len(expected) - 1), min_size=1, max_size=3)):
        assert_whole_stretch(on_call_at(schedule, made, start + index * MINUTE), expected, start)

    following = next_shift(schedule, made, start)
    change = next((i for i in range(1, len(expected)) if expected[i] != expected[i - 1]), None)
    if change is None:
        assert following is None or following.start >= end
    else:
        assert following is not None
        assert (following.start, following.users) == (start + change * MINUTE, expected[change])

    person_stretches(schedule, made, start, expected, data)


def person_stretches(
    schedule: Schedule,
    made: list[Override],
    start: datetime,
    expected: list[tuple[str, ...]],
    data: st.DataObject,
) -> None:
    """stretch_of, and next_shift for a person, against the reference: their run of minutes
    on call, whoever is on call beside them."""
    index = data.draw(st.integers(0, len(expected) - 1))
    moment = start + index * MINUTE
    for user in (*MEMBERS, "U0OVER"):
        stretch = stretch_of(schedule, made, user, moment)
        if user not in expected[index]:
            assert stretch is None, (user, stretch)
            continue
        assert stretch is not None
        held = [user in users for users in expected]
        first = max(0, (stretch.start - start) // MINUTE)
        last = min(len(expected), (stretch.end - start) // MINUTE)
        assert all(held[first:last]) and first <= index < last, (user, stretch)
        assert first == 0 or not held[first - 1]
        assert last == len(expected) or not held[last]
    user = data.draw(st.sampled_from(MEMBERS))
    following = next_shift(schedule, made, start, user=user)
    held = [user in users for users in expected]
    joins = [n for n in range(1, len(held)) if held[n] and not held[n - 1]]
    if joins:
        assert following is not None and following.start == start + joins[0] * MINUTE
        assert following.users == (user,)
    else:
        assert following is None or following.start >= start + len(expected) * MINUTE


def assert_whole_stretch(shift: object, expected: list[tuple[str, ...]], start: datetime) -> None:
    """Inside the window, ``shift`` is exactly the run of its people around the minute."""
    assert isinstance(shift, tuple)
    begin, finish, user = shift
    first = max(0, (begin - start) // MINUTE)
    last = min(len(expected), (finish - start) // MINUTE)
    assert set(expected[first:last]) == {user}
    if first > 0:
        assert expected[first - 1] != user
    if last < len(expected):
        assert expected[last] != user


@settings(SETTINGS, max_examples=100)
@given(case=cases())
def test_each_layer_alone_agrees_with_the_reference(case: Case) -> None:
    """layer_shifts, one layer at a time, with that layer's overrides: nothing a later layer
    or an override of the schedule hides."""
    schedule, made, start, end = case
    for layer in schedule.layers:
        alone = Schedule(NAME, schedule.timezone, (layer,))
        mine = [o for o in made if o.layer == layer.name]
        expected = reference_users(alone, mine, start, end)
        engine = by_minute(layer_shifts(alone, layer, start, end, made), start, end)
        assert engine == expected, f"{layer}: {first_difference(engine, expected, start)}"
