"""Any PagerDuty schedule of the kinds the importer calls exact means the same in warroom:
drawn at random (zones with and without clock changes, turns of days and of hours that do not
divide a day, daily and weekly restrictions, windows across midnight, spans across days, layers
begun inside a turn), translated and written as the import writes it, warroom's engine and the
fake PagerDuty's layer rules (``emulator/pagerduty_schedules.py``, written apart from the
engine) put the same people on call through eight weeks that cross the spring or the autumn
clock changes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.record.oncall.engine import final_shifts
from bot.record.oncall.importing.carrying import carry
from bot.record.oncall.importing.pagerduty import PagerDutyAccount, translate
from bot.record.oncall.schedules import parse_schedules
from emulator.pagerduty_schedules import ScheduleRender, layer_from_api

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
ZONES = ("America/New_York", "Europe/Berlin", "Australia/Sydney", "UTC", "Asia/Kolkata")
USERS = ("PALICE1", "PBOB001", "PCAROL1", "PDAVE01")
# Whole days (wall clock) and hours that do not divide a day (elapsed): what is exact.
TURNS = (86_400, 2 * 86_400, 604_800, 14 * 86_400, 36 * 3600, 30 * 3600, 25 * 3600)
# Eight weeks across New York's, Europe's and Sydney's spring (northern) changes, or across
# the autumn ones.
WINDOWS = (datetime(2027, 2, 22, tzinfo=UTC), datetime(2027, 10, 4, tzinfo=UTC))
EIGHT_WEEKS = timedelta(weeks=8)


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00"


daily = st.builds(
    lambda start, hours: [
        {"type": "daily_restriction", "start_time_of_day": clock(start), "duration_seconds": hours}
    ],
    st.integers(0, 47).map(lambda half_hours: half_hours * 30),
    st.integers(1, 23).map(lambda hours: hours * 3600),
)
weekdays = st.builds(
    lambda days, start, seconds: [
        {
            "type": "weekly_restriction",
            "start_day_of_week": day,
            "start_time_of_day": clock(start),
            "duration_seconds": seconds,
        }
        for day in sorted(days)
    ],
    st.sets(st.integers(1, 7), min_size=1, max_size=6),
    st.integers(0, 23).map(lambda hours: hours * 60),
    st.integers(1, 23).map(lambda hours: hours * 3600),
)
span = st.builds(
    lambda day, start, hours: [
        {
            "type": "weekly_restriction",
            "start_day_of_week": day,
            "start_time_of_day": clock(start),
            "duration_seconds": hours * 3600,
        }
    ],
    st.integers(1, 7),
    st.integers(0, 23).map(lambda hours: hours * 60),
    st.integers(24, 120),
)


@st.composite
def layers(draw: st.DrawFn, zone: str, number: int) -> dict[str, Any]:
    local = datetime(2026, 1, 1) + timedelta(
        days=draw(st.integers(0, 300)), minutes=30 * draw(st.integers(0, 47))
    )
    virtual = local.replace(tzinfo=ZoneInfo(zone))
    begun = virtual + timedelta(hours=draw(st.integers(0, 24 * 30)))
    return {
        "id": f"PL{number}",
        "name": f"Layer {number}",
        "start": min(begun, NOW).isoformat(),
        "end": None,
        "rotation_virtual_start": virtual.isoformat(),
        "rotation_turn_length_seconds": draw(st.sampled_from(TURNS)),
        "users": [
            {"user": {"id": user, "type": "user_reference"}}
            for user in draw(st.lists(st.sampled_from(USERS), min_size=1, max_size=3))
        ],
        "restrictions": draw(st.one_of(st.just([]), daily, weekdays, span)),
    }


@st.composite
def schedules(draw: st.DrawFn) -> dict[str, Any]:
    zone = draw(st.sampled_from(ZONES))
    count = draw(st.integers(1, 3))
    return {
        "id": "PSCHED1",
        "type": "schedule",
        "name": "Drawn",
        "time_zone": zone,
        "schedule_layers": [draw(layers(zone, number)) for number in range(1, count + 1)],
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules(), st.sampled_from(WINDOWS))
def test_an_exact_import_puts_the_same_people_on_call(raw: dict[str, Any], since: datetime) -> None:
    translation = translate(PagerDutyAccount(schedules=[raw]), NOW)
    verdicts = {item.carried for item in translation.report}
    # Only a restriction edge inside the hour the clocks repeat is ever approximate here.
    assert verdicts == {"exact"} or "clocks repeat" in str(translation.report)
    assume(verdicts == {"exact"})
    people = {user: f"U{user}" for user in USERS}
    written = carry(translation, people)
    schedule = parse_schedules(written.schedules, now=NOW).by_name["drawn"]
    until = since + EIGHT_WEEKS

    ours = [
        (shift.start, shift.end, shift.user)
        for shift in final_shifts(schedule, [], since, until)
        if shift.user is not None
    ]
    render = ScheduleRender(
        raw["time_zone"], [layer_from_api(lay) for lay in raw["schedule_layers"]]
    )
    theirs = [(e.start, e.end, f"U{e.user}") for e in render.entries(since, until)]
    assert ours == theirs, json.dumps(raw)
