"""Hours on call per person, split into nights and weekends, counted by hand: what the
insights show so that an unfair rotation stands out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.record.oncall.engine import Override
from bot.record.oncall.hours import PersonHours, ScheduleHours, hours_on_call
from bot.record.oncall.schedules import Schedule, parse_schedules

ALICE, BOB, CAROL, ERIN = "U0ALICE", "U0BOB", "U0CAROL", "U0ERIN"
PARIS = ZoneInfo("Europe/Paris")


def schedule(*layers: dict[str, Any]) -> Schedule:
    named = [{"name": f"layer-{n}", **layer} for n, layer in enumerate(layers)]
    document = {"schedules": {"payments": {"timezone": "Europe/Paris", "layers": named}}}
    found = parse_schedules(document, now=datetime(2026, 1, 1, tzinfo=UTC)).get("payments")
    assert found is not None
    return found


WEEKLY = {"start": "2026-01-05 09:00", "rotation": "weekly", "members": [ALICE, BOB]}


def paris(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


def hours(counted: ScheduleHours) -> dict[str, tuple[float, float, float]]:
    """Each person's (total, nights, weekends) in hours."""
    return {person.user: _hours(person) for person in counted.people}


def _hours(person: PersonHours) -> tuple[float, float, float]:
    hour = timedelta(hours=1)
    return (person.total / hour, person.nights / hour, person.weekends / hour)


def test_a_weekly_rotation_of_two_gives_each_half_with_the_same_nights_and_weekends() -> None:
    counted = hours_on_call(
        schedule(WEEKLY),
        [],
        start=paris("2026-01-05 09:00"),
        end=paris("2026-02-02 09:00"),
        zones={},
    )
    # Two weeks each: 336 hours, 7 nights of 9 hours a week, a 48-hour weekend a week.
    assert hours(counted) == {ALICE: (336, 126, 96), BOB: (336, 126, 96)}
    assert [counted.share(person) for person in counted.people] == [0.5, 0.5]
    assert counted.gaps == timedelta(0)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # Europe/Paris goes from 02:00 to 03:00 on Sunday 29 March 2026: 167 hours, six
        # 9-hour nights and the 8-hour night of the change, a 47-hour weekend.
        ("2026-03-23 09:00", "2026-03-30 09:00", (167, 62, 47)),
        # It goes from 03:00 back to 02:00 on Sunday 25 October 2026: the hour from 02:00 is
        # night, and weekend, twice.
        ("2026-10-19 09:00", "2026-10-26 09:00", (169, 64, 49)),
    ],
    ids=["clocks-forward", "clocks-back"],
)
def test_a_week_with_a_clock_change_counts_its_nights_and_weekend_as_the_clocks_read(
    start: str, end: str, expected: tuple[float, float, float]
) -> None:
    counted = hours_on_call(schedule(WEEKLY), [], start=paris(start), end=paris(end), zones={})
    assert hours(counted) == {BOB: expected}


def test_an_override_moves_its_hours_to_whoever_took_the_shift() -> None:
    # Erin takes Saturday 10:00 to Sunday 10:00 of Alice's week.
    override = Override(
        id=1,
        schedule="payments",
        user=ERIN,
        start=paris("2026-01-10 10:00"),
        end=paris("2026-01-11 10:00"),
        created_by=BOB,
        created_at=paris("2026-01-09 12:00"),
    )
    counted = hours_on_call(
        schedule(WEEKLY),
        [override],
        start=paris("2026-01-05 09:00"),
        end=paris("2026-01-12 09:00"),
        zones={},
    )
    # Erin: 24 hours, all of them weekend, and the night from Saturday 22:00 to Sunday 07:00.
    assert hours(counted) == {ALICE: (144, 54, 24), ERIN: (24, 9, 24)}


def test_nights_and_weekends_are_counted_by_the_persons_own_clock() -> None:
    # Weekdays 09:00 to 18:00 in Paris (UTC+1 in January) are 17:00 to 02:00 in Tokyo.
    days = {
        "start": "2026-01-05 09:00",
        "rotation": "daily",
        "members": [CAROL],
        "restrictions": [
            {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "18:00"}
        ],
    }
    window = {"start": paris("2026-01-05 00:00"), "end": paris("2026-01-12 00:00")}
    in_paris = hours_on_call(schedule(days), [], zones={}, **window)
    in_tokyo = hours_on_call(schedule(days), [], zones={CAROL: "Asia/Tokyo"}, **window)
    assert hours(in_paris) == {CAROL: (45, 0, 0)}
    # From 22:00 to 02:00 each day is night in Tokyo; Friday's shift ends at 02:00 on Saturday.
    assert hours(in_tokyo) == {CAROL: (45, 20, 2)}
    assert in_tokyo.people[0].zone == "Asia/Tokyo"
    # Outside the windows nobody is on call.
    assert in_paris.gaps == timedelta(hours=7 * 24 - 45)
    # A zone the tz database does not know counts in the schedule's.
    unknown = hours_on_call(schedule(days), [], zones={CAROL: "Mars/Olympus"}, **window)
    assert unknown.people[0].zone == "Europe/Paris" and hours(unknown) == hours(in_paris)


def test_most_hours_first() -> None:
    counted = hours_on_call(
        schedule(WEEKLY),
        [],
        start=paris("2026-01-05 09:00"),
        end=paris("2026-01-13 09:00"),
        zones={},
    )
    assert [person.user for person in counted.people] == [ALICE, BOB]
    assert hours(counted)[BOB] == (24, 9, 0)
