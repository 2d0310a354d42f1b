"""A PagerDuty account translated into warroom's drafts (``bot.record.oncall.importing.
pagerduty``), object by object: what is carried exactly, what approximately and what not, each
with the report's words. Objects are written as PagerDuty's API description shapes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.record.oncall.importing.drafts import (
    DailyWindow,
    Person,
    ReportItem,
    ScheduleRef,
    Translation,
    WeekSpan,
)
from bot.record.oncall.importing.pagerduty import PagerDutyAccount, UnexpectedObject, translate

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def layer(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "PLAYER1",
        "name": "Layer 1",
        "start": "2026-01-05T09:00:00-05:00",
        "end": None,
        "rotation_virtual_start": "2026-01-05T09:00:00-05:00",
        "rotation_turn_length_seconds": 86_400,
        "users": [
            {"user": {"id": "PALICE1", "type": "user_reference"}},
            {"user": {"id": "PBOB001", "type": "user_reference"}},
        ],
        "restrictions": [],
    }
    return {**base, **changes}


def schedule(*layers: dict[str, Any], zone: str = "America/New_York") -> dict[str, Any]:
    return {
        "id": "PSCHED1",
        "type": "schedule",
        "name": "Payments",
        "time_zone": zone,
        "schedule_layers": list(layers) or [layer()],
    }


def translated(*schedules: dict[str, Any], **parts: Any) -> Translation:
    return translate(PagerDutyAccount(schedules=schedules, **parts), NOW)


def item(translation: Translation, kind: str) -> ReportItem:
    return next(i for i in translation.report if i.kind == kind)


def weekly(day: int, at: str, seconds: int) -> dict[str, Any]:
    return {
        "type": "weekly_restriction",
        "start_day_of_week": day,
        "start_time_of_day": at,
        "duration_seconds": seconds,
    }


def test_nineteen_to_seven_every_weekday_is_one_window_into_the_next_mornings() -> None:
    """The web app's "19:00-07:00 every weekday" is five weekly restrictions; by hand it is
    easy to write two windows and get the second's days wrong."""
    restrictions = [weekly(day, "19:00:00", 12 * 3600) for day in range(1, 6)]
    [draft] = translated(schedule(layer(restrictions=restrictions))).schedules
    assert draft.layers[0].restrictions == (DailyWindow(WEEKDAYS, "19:00", "07:00"),)


def test_a_weekly_restriction_longer_than_a_day_is_a_span_through_the_weekend() -> None:
    [draft] = translated(schedule(layer(restrictions=[weekly(5, "18:00:00", 62 * 3600)]))).schedules
    assert draft.layers[0].restrictions == (WeekSpan("fri 18:00", "mon 08:00"),)


def test_a_daily_restriction_is_a_window_on_every_day_and_a_whole_one_is_none() -> None:
    daily = {
        "type": "daily_restriction",
        "start_time_of_day": "22:30:00",
        "duration_seconds": 30600,
    }
    [draft] = translated(schedule(layer(restrictions=[daily]))).schedules
    every_day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    assert draft.layers[0].restrictions == (DailyWindow(every_day, "22:30", "07:00"),)
    whole = {**daily, "duration_seconds": 86_400}
    [draft] = translated(schedule(layer(restrictions=[whole, daily]))).schedules
    assert draft.layers[0].restrictions == ()


@pytest.mark.parametrize(
    ("seconds", "rotation"),
    [(86_400, "daily"), (604_800, "weekly"), (2 * 86_400, "2d"), (36 * 3600, "36h")],
)
def test_turns_map_to_rotations_that_hand_over_the_same_way(seconds: int, rotation: str) -> None:
    translation = translated(schedule(layer(rotation_turn_length_seconds=seconds)))
    assert translation.schedules[0].layers[0].rotation == rotation
    assert item(translation, "layer").carried == "exact"


def test_twelve_hour_turns_are_approximate_where_the_clocks_change() -> None:
    """PagerDuty counts 43,200 elapsed seconds; warroom's 12h hands over on the wall clock."""
    translation = translated(schedule(layer(rotation_turn_length_seconds=43_200)))
    assert translation.schedules[0].layers[0].rotation == "12h"
    said = item(translation, "layer")
    assert said.carried == "approximate" and "an hour apart" in said.detail
    assert "--compare" in said.todo
    in_utc = translated(schedule(layer(rotation_turn_length_seconds=43_200), zone="UTC"))
    assert item(in_utc, "layer").carried == "exact"


def test_a_turn_of_minutes_is_not_carried() -> None:
    translation = translated(
        schedule(layer(), layer(id="PODD", name="Odd", rotation_turn_length_seconds=5400))
    )
    assert [lay.name for lay in translation.schedules[0].layers] == ["layer-1"]
    odd = next(i for i in translation.report if i.name == "Payments: Odd")
    assert odd.carried == "not carried" and "1:30:00" in odd.detail


def test_the_start_is_the_handoff_of_the_turn_the_layer_begins_in() -> None:
    """Turns from Monday 5 January 09:00; the layer began on Wednesday 7 January 14:00,
    inside turn 2 (Alice's again): warroom starts then at 09:00, Alice first."""
    started = layer(start="2026-01-07T14:00:00-05:00")
    [draft] = translated(schedule(started)).schedules
    assert draft.layers[0].start == datetime(2026, 1, 7, 9, 0)
    assert draft.layers[0].members == (Person("PALICE1"), Person("PBOB001"))
    odd = layer(start="2026-01-08T14:00:00-05:00")
    [draft] = translated(schedule(odd)).schedules
    assert draft.layers[0].members == (Person("PBOB001"), Person("PALICE1"))


def test_a_weekly_turn_keeps_its_local_handoff_across_a_clock_change() -> None:
    """Virtual start in winter (-05:00), the layer begun in summer: the handoff stays 09:00."""
    summer = layer(rotation_turn_length_seconds=604_800, start="2026-07-01T12:00:00-04:00")
    [draft] = translated(schedule(summer)).schedules
    assert draft.layers[0].start == datetime(2026, 6, 29, 9, 0)


def test_a_layer_begun_in_the_future_inside_a_turn_is_approximate() -> None:
    later = layer(start="2027-01-07T14:00:00-05:00")
    translation = translated(schedule(later))
    said = item(translation, "layer")
    assert said.carried == "approximate" and "inside a turn" in said.detail


def test_ended_layers_are_left_out_and_one_that_will_end_is_approximate() -> None:
    ended = layer(id="POLD", name="Old", end="2026-02-01T00:00:00Z")
    ending = layer(id="PEND", name="Ending", end="2027-02-01T00:00:00Z")
    translation = translated(schedule(ended, ending))
    assert [lay.name for lay in translation.schedules[0].layers] == ["ending"]
    said = {i.name: i for i in translation.report if i.kind == "layer"}
    assert said["Payments: Old"].carried == "exact"
    assert said["Payments: Ending"].carried == "approximate"
    assert "delete the layer 'ending'" in said["Payments: Ending"].todo


def test_a_zone_warroom_does_not_know_leaves_the_schedule_out_saying_why() -> None:
    translation = translated(schedule(zone="Eastern Time (US & Canada)"))
    assert translation.schedules == ()
    said = item(translation, "schedule")
    assert said.carried == "not carried" and "Eastern Time (US & Canada)" in said.detail


def test_policies_keep_levels_loops_and_a_waiting_last_level() -> None:
    rules = [
        {
            "escalation_delay_in_minutes": 30,
            "targets": [{"id": "PSCHED1", "type": "schedule_reference"}],
        },
        {
            "escalation_delay_in_minutes": 15,
            "targets": [{"id": "PBOB001", "type": "user_reference"}],
        },
    ]
    policy = {"id": "PEP1", "name": "Payments", "num_loops": 2, "escalation_rules": rules}
    translation = translated(schedule(), escalation_policies=[policy])
    [draft] = translation.policies
    assert draft.repeat == 2
    assert [(lv.targets, lv.timeout) for lv in draft.levels] == [
        ((ScheduleRef("PSCHED1"),), timedelta(minutes=30)),
        ((Person("PBOB001"),), timedelta(minutes=15)),
    ]
    no_loops = translated(schedule(), escalation_policies=[{**policy, "num_loops": 0}])
    assert no_loops.policies[0].levels[-1].timeout is None  # PagerDuty's last rule waits
    assert item(no_loops, "escalation policy").carried == "exact"


@pytest.mark.parametrize("strategy", ["round_robin", [{"type": "round_robin"}]])
def test_a_round_robin_level_is_approximate_and_says_what_to_do(strategy: Any) -> None:
    targets = [
        {"id": "PALICE1", "type": "user_reference"},
        {"id": "PBOB001", "type": "user_reference"},
    ]
    rule = {
        "escalation_delay_in_minutes": 30,
        "targets": targets,
        "escalation_rule_assignment_strategy": strategy,
    }
    policy = {"id": "PEP1", "name": "Payments", "escalation_rules": [rule]}
    said = item(translated(schedule(), escalation_policies=[policy]), "escalation policy")
    assert said.carried == "approximate" and "round robin" in said.detail
    assert said.todo.startswith("level 1:")


def test_a_target_on_a_schedule_not_carried_is_reported_on_its_level() -> None:
    rule = {
        "escalation_delay_in_minutes": 5,
        "targets": [{"id": "PGONE", "type": "schedule_reference"}],
    }
    policy = {"id": "PEP1", "name": "Payments", "escalation_rules": [rule]}
    translation = translated(schedule(), escalation_policies=[policy])
    assert translation.policies[0].levels[0].targets == ()
    assert "PGONE was not carried" in item(translation, "escalation policy").detail


def test_overrides_and_teams() -> None:
    override = {
        "id": "PQ47DCP",
        "start": "2026-12-24T18:00:00-05:00",
        "end": "2026-12-26T09:00:00-05:00",
        "user": {"id": "PBOB001", "type": "user_reference", "summary": "Bob"},
    }
    teams = [{"id": "PQ9K7I8", "type": "team", "name": "Engineering"}]
    translation = translated(schedule(), overrides={"PSCHED1": [override]}, teams=teams)
    [draft] = translation.overrides
    assert (draft.schedule, draft.person) == (ScheduleRef("PSCHED1"), Person("PBOB001"))
    assert draft.start == datetime(2026, 12, 24, 23, tzinfo=UTC)
    assert item(translation, "override").carried == "exact"
    assert item(translation, "team").carried == "not carried"


def test_an_object_unlike_the_description_is_named() -> None:
    broken = layer(rotation_turn_length_seconds="a day")
    with pytest.raises(UnexpectedObject, match="rotation_turn_length_seconds"):
        translated(schedule(broken))


def test_a_restriction_edge_in_the_repeated_hour_is_approximate() -> None:
    """00:30 for an hour ends at 01:30, which New York's clocks read twice in November."""
    daily = {"type": "daily_restriction", "start_time_of_day": "00:30:00", "duration_seconds": 3600}
    said = item(translated(schedule(layer(restrictions=[daily]))), "layer")
    assert said.carried == "approximate" and "clocks repeat" in said.detail
    in_utc = translated(schedule(layer(restrictions=[daily]), zone="UTC"))
    assert item(in_utc, "layer").carried == "exact"
    whole_hours = {**daily, "start_time_of_day": "00:00:00", "duration_seconds": 7200}
    assert item(translated(schedule(layer(restrictions=[whole_hours]))), "layer").carried == "exact"


def test_layers_are_named_by_slugs_their_ids_appended_where_two_match() -> None:
    twins = (
        layer(id="PONE", name="Primary"),
        layer(id="PTWO", name="primary"),
        layer(id="P3", name=""),
    )
    names = [lay.name for lay in translated(schedule(*twins)).schedules[0].layers]
    assert names == ["primary-pone", "primary-ptwo", "layer-3"]
