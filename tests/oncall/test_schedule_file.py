"""The schedule file: what it says, and every problem in it named with schedule and field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import ConfigError, Settings
from bot.record.oncall.schedules import (
    Restriction,
    Rotation,
    ScheduleError,
    Span,
    load_schedules,
    parse_schedules,
)

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
ISSUE_FILE = """
schedules:
  payments-primary:
    timezone: Europe/Paris             # IANA; handoffs happen at this zone's wall-clock time
    usergroup: payments-oncall         # optional: kept equal to who is on call now
    layers:                            # a later layer wins where it is active
      - name: weekly
        start: 2026-03-02 09:00        # the first shift's start, in the schedule's zone
        rotation: weekly               # daily | weekly | <n>h | <n>d
        members: [U0ALICE, U0BOB, U0CAROL]
      - name: weekday-days
        start: 2026-03-02 09:00
        rotation: daily
        members: [U0DAVE, U0ERIN]
        restrictions:                  # optional: the layer is active only inside these windows
          - {days: [mon, tue, wed, thu, fri], from: "09:00", to: "18:00"}
"""


def problems_of(document: Any) -> list[str]:
    with pytest.raises(ScheduleError) as refused:
        parse_schedules(document, now=NOW)
    return list(refused.value.problems)


def one_layer(**changes: Any) -> dict[str, Any]:
    layer: dict[str, Any] = {"name": "weekly", "start": "2026-03-02 09:00", "rotation": "weekly"}
    layer["members"] = ["U0ALICE"]
    return {"schedules": {"payments": {"timezone": "Europe/Paris", "layers": [layer | changes]}}}


def test_the_issues_example_reads_as_written(tmp_path: Path) -> None:
    path = tmp_path / "schedules.yaml"
    path.write_text(ISSUE_FILE)
    schedules = load_schedules(path, now=NOW)
    primary = schedules.get("Payments-Primary")
    assert primary is not None and primary.timezone == "Europe/Paris"
    assert (primary.usergroup, primary.notify_before, primary.channel) == (
        "payments-oncall",
        timedelta(minutes=15),
        None,
    )
    weekly, days = primary.layers
    assert (weekly.name, weekly.start, weekly.rotation) == (
        "weekly",
        datetime(2026, 3, 2, 9, 0),
        Rotation("weekly", days=7),
    )
    assert days.rotation == Rotation("daily", days=1) and days.members == ("U0DAVE", "U0ERIN")
    assert days.restrictions == (Restriction(frozenset(range(5)), 9 * 60, 18 * 60),)
    assert schedules.summary() == "1 schedule, 2 layers, 5 people"


@pytest.mark.parametrize(
    ("rotation", "expected"),
    [
        ("12h", Rotation("12h", hours=12)),
        ("3d", Rotation("3d", days=3)),
        ("Weekly", Rotation("weekly", days=7)),
        ("monthly", Rotation("monthly", months=1)),
    ],
)
def test_rotations(rotation: str, expected: Rotation) -> None:
    schedule = parse_schedules(one_layer(rotation=rotation), now=NOW).get("payments")
    assert schedule is not None and schedule.layers[0].rotation == expected


def test_none_is_a_member_for_a_turn_of_nobody() -> None:
    document = one_layer(members=["U0ALICE", "none", "U0BOB", None, "None"])
    schedules = parse_schedules(document, now=NOW)
    layer = schedules.by_name["payments"].layers[0]
    assert layer.members == ("U0ALICE", None, "U0BOB", None, None)
    assert layer.people == ("U0ALICE", "U0BOB")
    assert schedules.summary() == "1 schedule, 1 layer, 2 people"
    assert problems_of(one_layer(members=["none"])) == [
        "schedule 'payments': layer 'weekly': members: needs at least one Slack user id beside none"
    ]


def test_a_layer_may_have_its_own_zone() -> None:
    document = one_layer(timezone="America/New_York")
    schedule = parse_schedules(document, now=NOW).by_name["payments"]
    assert schedule.layers[0].timezone == "America/New_York"
    assert schedule.zone_of(schedule.layers[0]) == "America/New_York"
    plain = parse_schedules(one_layer(), now=NOW).by_name["payments"]
    assert plain.zone_of(plain.layers[0]) == "Europe/Paris"
    assert problems_of(one_layer(timezone="Mars/Olympus")) == [
        "schedule 'payments': layer 'weekly': timezone: unknown time zone 'Mars/Olympus' "
        "(an IANA name)"
    ]


def test_restrictions_as_the_vendors_write_them() -> None:
    """A daily window across midnight (each listed day's runs into the next morning) and a
    span across days, as PagerDuty's and Opsgenie's restrictions say them."""
    nights = {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "19:00", "to": "07:00"}
    office = {"from": "Mon 08:00", "to": "friday 17:00"}
    weekend = {"from": "fri 18:00", "to": "mon 08:00"}
    whole_days = {"days": ["sat"], "from": "00:00", "to": "24:00"}
    document = one_layer(restrictions=[nights, office, weekend, whole_days])
    schedule = parse_schedules(document, now=NOW).get("payments")
    assert schedule is not None
    assert schedule.layers[0].restrictions == (
        Restriction(frozenset(range(5)), 19 * 60, 7 * 60),
        Span(8 * 60, 4 * 1440 + 17 * 60),
        Span(4 * 1440 + 18 * 60, 8 * 60),
        Restriction(frozenset({5}), 0, 1440),
    )


def test_every_problem_is_named_with_its_schedule_and_field() -> None:
    bad_layers = [
        {"name": "empty", "start": "2026-03-02 09:00", "rotation": "daily", "members": []},
        {"name": "ids", "start": "2026-03-02 09:00", "rotation": "0h", "members": ["bob", "U0OK"]},
        {"name": "negative", "start": "2026-03-02 09:00", "rotation": "-2d", "members": ["U0A"]},
        {
            "name": "nights",
            "start": "2026-03-02 09:00",
            "rotation": "daily",
            "members": ["U0A"],
            "restrictions": [{"days": ["mon", "funday"], "from": "22:00", "to": "22:00"}],
        },
        {"name": "later", "start": "2040-01-01 09:00", "rotation": "daily", "members": ["U0A"]},
        {"name": "earlier", "start": "1969-12-31 09:00", "rotation": "daily", "members": ["U0A"]},
        {"name": "later", "start": "2026-03-02 09:00", "rotation": "daily", "members": ["U0A"]},
        {
            "name": "extra",
            "start": "2026-03-02",
            "rotation": "daily",
            "members": ["U0A"],
            "colour": 1,
        },
    ]
    document = {"schedules": {"payments": {"timezone": "Mars/Olympus", "layers": bad_layers}}}
    found = problems_of(document)
    expected = [
        "schedule 'payments': timezone: unknown time zone 'Mars/Olympus'",
        "schedule 'payments': layer 'empty': members: needs a non-empty list of Slack user ids",
        "schedule 'payments': layer 'ids': rotation: must be longer than zero, got '0h'",
        "schedule 'payments': layer 'ids': members: 'bob' is not a Slack user id (U… or W…)",
        "schedule 'payments': layer 'negative': rotation: must be longer than zero, got '-2d'",
        "schedule 'payments': layer 'nights': restriction 1: days: unknown day 'funday'",
        "schedule 'payments': layer 'nights': restriction 1: to: 22:00 is the same time as from "
        '(22:00); a whole day is from "00:00" to "24:00"',
        "schedule 'payments': layer 'later': start: 2040-01-01 09:00 is more than 10 years ahead",
        "schedule 'payments': layer 'earlier': start: 1969-12-31 09:00 is before 1970",
        "schedule 'payments': layer 'later': name: another layer of this schedule has that name",
        "schedule 'payments': layer 'extra': unknown key(s) colour",
    ]
    for fragment in expected:
        assert any(problem.startswith(fragment) for problem in found), (fragment, found)
    assert len(found) == len(expected), found


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"rotation": "fortnightly"}, "rotation: expected daily, weekly, monthly, <n>h or <n>d"),
        ({"rotation": "400d"}, "rotation: at most 366 days"),
        ({"start": "2026-03-02 09:00+01:00"}, "start: expected a date and time"),
        ({"start": "next monday"}, "start: expected a date and time"),
        ({"start": "2026-03-02 09:00:30"}, "start: give hours and minutes only"),
        ({"restrictions": [{"days": [], "from": "09:00", "to": "18:00"}]}, "days: needs a list"),
        ({"restrictions": [{"days": ["mon"], "from": "09:00", "to": 1080}]}, "write the time in"),
        ({"restrictions": [{"days": ["mon"], "from": "24:00", "to": "24:00"}]}, "from: expected"),
        ({"restrictions": [{"days": ["mon"], "from": "9", "to": "18:00"}]}, "from: expected"),
        ({"restrictions": {"days": ["mon"]}}, "restrictions: expected a list"),
        ({"restrictions": [{"from": "mon 08:00", "to": "mon 08:00"}]}, "a whole week is no"),
        ({"restrictions": [{"from": "mon 08:00", "to": "funday 17:00"}]}, "to: expected a weekday"),
        ({"restrictions": [{"from": "mon 08:00", "to": "fri 25:00"}]}, "to: expected a time"),
        ({"restrictions": [{"from": "mon 08:00", "to": "17:00"}]}, "to: expected a weekday"),
        ({"name": ""}, "name: every layer needs a name"),
    ],
)
def test_a_layers_problem_names_the_layer_and_field(changes: dict[str, Any], problem: str) -> None:
    found = problems_of(one_layer(**changes))
    assert len(found) == 1 and problem in found[0], found
    assert found[0].startswith("schedule 'payments': layer ")


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("owners", ["alice"], "owners: 'alice' is not a Slack user id"),
        ("channel", "#payments", "channel: expected a Slack channel id"),
        ("notify_before", "soon", "notify_before: expected a duration like 15m, or off"),
        ("usergroup", "@", "usergroup: expected a user group handle"),
        ("layers", [], "layers: needs a non-empty list of layers"),
        ("overlap", "both", "overlap: expected last (a later layer wins"),
        ("colour", "blue", "unknown key(s) colour"),
    ],
)
def test_a_schedules_problem_names_the_schedule_and_field(
    key: str, value: Any, problem: str
) -> None:
    document = one_layer()
    document["schedules"]["payments"][key] = value
    found = problems_of(document)
    assert len(found) == 1 and found[0].startswith(f"schedule 'payments': {problem}"), found


def test_overlap_says_whether_a_later_layer_wins_or_everyone_is_on_call() -> None:
    assert parse_schedules(one_layer(), now=NOW).by_name["payments"].overlap == "last"
    for written, read in (("all", "all"), ("ALL", "all"), ("last", "last")):
        document = one_layer()
        document["schedules"]["payments"]["overlap"] = written
        assert parse_schedules(document, now=NOW).by_name["payments"].overlap == read


@pytest.mark.parametrize("off", [False, 0, "off", "0"])
def test_notices_can_be_turned_off(off: Any) -> None:
    document = one_layer()
    document["schedules"]["payments"]["notify_before"] = off
    schedule = parse_schedules(document, now=NOW).get("payments")
    assert schedule is not None and schedule.notify_before is None


def test_unquoted_yaml_is_read_as_people_write_it() -> None:
    text = "schedules:\n  payments:\n    timezone: UTC\n    notify_before: off\n    layers:\n"
    text += "      - {name: a, start: 2026-03-02, rotation: 12h, members: [W0ALICE]}\n"
    schedule = parse_schedules(yaml.safe_load(text), now=NOW).get("payments")
    assert schedule is not None and schedule.notify_before is None
    assert schedule.layers[0].start == datetime(2026, 3, 2)


def test_a_file_that_is_not_schedules_is_refused_plainly(tmp_path: Path) -> None:
    assert problems_of(["a list"]) == ["expected a mapping with a 'schedules' mapping at the top"]
    assert problems_of({"schedules": {}, "policies": {}})[0].startswith("the file: unknown key")
    with pytest.raises(ScheduleError, match="cannot read"):
        load_schedules(tmp_path / "missing.yaml", now=NOW)
    (tmp_path / "broken.yaml").write_text("schedules: [\n")
    with pytest.raises(ScheduleError, match="not valid YAML"):
        load_schedules(tmp_path / "broken.yaml", now=NOW)


def test_settings_load_the_file_and_name_every_problem(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(ISSUE_FILE)
    settings = Settings.from_env({"WARROOM_ONCALL_SCHEDULES": str(good)})
    assert list(settings.oncall.schedules.by_name) == ["payments-primary"]
    bad.write_text(ISSUE_FILE.replace("Europe/Paris", "Europe/Pariss").replace("U0BOB", "bob"))
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"WARROOM_ONCALL_SCHEDULES": str(bad)})
    message = str(refused.value)
    assert message.startswith(f"WARROOM_ONCALL_SCHEDULES: {bad}:")
    assert "schedule 'payments-primary': timezone: unknown time zone 'Europe/Pariss'" in message
    assert "schedule 'payments-primary': layer 'weekly': members: 'bob' is not a Slack" in message


def test_the_readmes_example_is_a_valid_file() -> None:
    section = (Path(__file__).resolve().parents[2] / "docs" / "on-call.md").read_text()
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    schedules = parse_schedules(yaml.safe_load(example), now=NOW)
    assert schedules.summary() == "1 schedule, 2 layers, 5 people"
