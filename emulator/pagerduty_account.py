"""The account the fake PagerDuty REST API (``emulator.pagerduty_rest``) serves: ``Account``,
plain objects in the API's shape, and ``documented_account``, built from the example objects of
PagerDuty's OpenAPI description (``emulator/fixtures/pagerduty_rest_api.json``, with its
licence note) and what a team migrating has beside them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from emulator.pagerduty_paging import paging, services

DESCRIPTION = json.loads(
    (Path(__file__).parent / "fixtures" / "pagerduty_rest_api.json").read_text()
)


@dataclass
class Account:
    """What the fake serves: objects in the API's shape (``id``, ``type``, ``name``...)."""

    users: list[dict[str, Any]] = field(default_factory=list)
    teams: list[dict[str, Any]] = field(default_factory=list)
    schedules: list[dict[str, Any]] = field(default_factory=list)
    overrides: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by schedule id
    escalation_policies: list[dict[str, Any]] = field(default_factory=list)
    # Services with their integrations as whole objects (``include[]=integrations``' shape).
    services: list[dict[str, Any]] = field(default_factory=list)
    # By user id: their notification rules (each naming a contact method by reference) and
    # contact methods.
    notification_rules: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    contact_methods: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    incidents: list[dict[str, Any]] = field(default_factory=list)
    log_entries: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by incident


# -- the documented account ------------------------------------------------------------------
def _example(path: str, key: str) -> list[dict[str, Any]]:
    """The description's example objects of GET ``path`` (its response's ``key`` list)."""
    content = DESCRIPTION["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    example = next(iter(content["examples"].values()))["value"]
    items = example[key]
    return list(items) if isinstance(items, list) else [items]


def _user(user_id: str, name: str, email: str, zone: str) -> dict[str, Any]:
    return {
        "id": user_id,
        "type": "user",
        "summary": name,
        "name": name,
        "email": email,
        "time_zone": zone,
        "role": "user",
    }


def _layer_object(
    layer_id: str,
    name: str,
    virtual_start: str,
    turn_seconds: int,
    users: list[str],
    restrictions: list[dict[str, Any]],
    start: str | None = None,
) -> dict[str, Any]:
    return {
        "id": layer_id,
        "name": name,
        "start": start or virtual_start,
        "end": None,
        "rotation_virtual_start": virtual_start,
        "rotation_turn_length_seconds": turn_seconds,
        "users": [{"user": {"id": user, "type": "user_reference"}} for user in users],
        "restrictions": restrictions,
    }


def _weekly(day: int, at: str, seconds: int) -> dict[str, Any]:
    return {
        "type": "weekly_restriction",
        "start_day_of_week": day,
        "start_time_of_day": at,
        "duration_seconds": seconds,
    }


def _daily(at: str, seconds: int) -> dict[str, Any]:
    return {"type": "daily_restriction", "start_time_of_day": at, "duration_seconds": seconds}


def _schedule_reference(schedule_id: str) -> dict[str, Any]:
    return {"id": schedule_id, "type": "schedule_reference"}


def _user_target(user_id: str) -> dict[str, Any]:
    return {"id": user_id, "type": "user_reference"}


def _second_sunday_of_march(year: int) -> date:
    first = date(year, 3, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7)


def documented_account(year: int) -> Account:
    """The description's example objects, and beside them what a team migrating has: a
    schedule of weeknights ("19:00-07:00 every weekday", as weekly restrictions) and
    weekends (a weekly restriction from Friday 18:00 to Monday 08:00), follow-the-sun
    layers written in three regions' offsets, a layer of 36-hour turns, an override across
    the US clock change of ``year``, two escalation policies (one with ``num_loops`` and a
    round-robin level), and a team."""
    users = _example("/users", "users")  # Earline Greenholt, Kyler Kuhn (with e-mails)
    earline, kyler = users[0]["id"], users[1]["id"]
    users += [
        _user("PEYSGVF", "Aurelio Rice", "aurelio.rice@example.com", "America/New_York"),
        _user("PT23IWX", "Tim Wright", "tim.wright@example.com", "America/Chicago"),
        _user("PSYD001", "Mei Tanaka", "mei.tanaka@example.com", "Australia/Sydney"),
        _user("PLON001", "Sam Okafor", "sam.okafor@example.com", "Europe/London"),
        _user("PNYC001", "Rosa Diaz", "rosa.diaz@example.com", "America/New_York"),
        _user("PBER001", "Jonas Weber", "jonas.weber@example.com", "Europe/Berlin"),
        _user("PBER002", "Lena Vogel", "lena.vogel@example.com", "Europe/Berlin"),
    ]
    teams = _example("/teams", "teams")  # Engineering
    # The description's schedule (GET /schedules/{id}): Layer 1, daily, 08:00 for 9 hours.
    documented: dict[str, Any] = json.loads(json.dumps(_example("/schedules/{id}", "schedule")[0]))
    for key in ("final_schedule", "overrides_subschedule", "next_oncall_for_user"):
        documented.pop(key, None)
    documented_layer = documented["schedule_layers"][0]
    documented_layer.pop("rendered_schedule_entries", None)
    documented_layer.pop("rendered_coverage_percentage", None)
    documented_layer["users"] = [
        {"user": {"id": earline, "type": "user_reference"}},
        {"user": {"id": kyler, "type": "user_reference"}},
    ]
    documented["schedule_layers"] = [
        documented_layer,
        _layer_object(
            "PNIGHTS",
            "Weeknights",
            "2026-01-05T19:00:00-05:00",
            7 * 86_400,
            ["PEYSGVF", "PT23IWX"],
            [_weekly(day, "19:00:00", 12 * 3600) for day in range(1, 6)],
        ),
        _layer_object(
            "PWKENDS",
            "Weekends",
            "2026-01-09T18:00:00-05:00",
            7 * 86_400,
            ["PT23IWX", "PEYSGVF", earline],
            [_weekly(5, "18:00:00", 62 * 3600)],
        ),
    ]
    follow_the_sun: dict[str, Any] = {
        "id": "PFTS001",
        "type": "schedule",
        "summary": "Follow the Sun",
        "name": "Follow the Sun",
        "time_zone": "UTC",
        "description": "Sydney, London and New York, each in its office hours",
        "schedule_layers": [
            _layer_object(
                "PFTSAPC",
                "Sydney",
                "2026-01-05T10:00:00+11:00",
                7 * 86_400,
                ["PSYD001", kyler],
                [_daily("23:00:00", 8 * 3600)],
            ),
            _layer_object(
                "PFTSEMA",
                "London",
                "2026-01-05T07:00:00+00:00",
                7 * 86_400,
                ["PLON001", earline],
                [_daily("07:00:00", 8 * 3600)],
            ),
            _layer_object(
                "PFTSAMR",
                "New York",
                "2026-01-05T10:00:00-05:00",
                7 * 86_400,
                ["PNYC001", "PEYSGVF"],
                [_daily("15:00:00", 8 * 3600)],
            ),
        ],
    }
    platform: dict[str, Any] = {
        "id": "PPLT036",
        "type": "schedule",
        "summary": "Platform 36h",
        "name": "Platform 36h",
        "time_zone": "Europe/Berlin",
        "description": "Turns of a day and a half",
        "schedule_layers": [
            _layer_object(
                "PPLTL01",
                "Layer 1",
                "2026-01-05T08:00:00+01:00",
                36 * 3600,
                ["PBER001", "PBER002", "PLON001"],
                [],
            )
        ],
    }
    change = _second_sunday_of_march(year)
    override = {
        "id": "PQ47DCP",
        "start": f"{change - timedelta(days=2)}T18:00:00-05:00",
        "end": f"{change + timedelta(days=1)}T09:00:00-04:00",
        "user": {"id": "PNYC001", "type": "user_reference", "summary": "Rosa Diaz"},
    }
    engineering = _example("/escalation_policies", "escalation_policies")[0]
    engineering = {
        **engineering,
        "num_loops": 2,
        "escalation_rules": [
            {
                "id": "PRULE01",
                "escalation_delay_in_minutes": 30,
                "targets": [_schedule_reference(documented["id"])],
            },
            {
                "id": "PRULE02",
                "escalation_delay_in_minutes": 15,
                "targets": [_user_target(kyler), _schedule_reference(platform["id"])],
            },
            # The description's own rule: round robin among its targets.
            {
                "id": "PRULE03",
                "escalation_delay_in_minutes": 30,
                "targets": [_user_target("PEYSGVF"), _user_target("PT23IWX")],
                "escalation_rule_assignment_strategy": "round_robin",
            },
        ],
    }
    sun = {
        "id": "PSUNEP1",
        "type": "escalation_policy",
        "summary": "Follow the Sun",
        "name": "Follow the Sun",
        "num_loops": 0,
        "escalation_rules": [
            {
                "id": "PRULE11",
                "escalation_delay_in_minutes": 10,
                "targets": [_schedule_reference(follow_the_sun["id"])],
            },
            {
                "id": "PRULE12",
                "escalation_delay_in_minutes": 20,
                "targets": [_user_target(earline)],
            },
        ],
    }
    methods, rules = paging(
        _example("/users/{id}/contact_methods", "contact_methods")[0],
        _example("/users/{id}/notification_rules", "notification_rules")[0],
    )
    return Account(
        users=users,
        teams=teams,
        schedules=[documented, follow_the_sun, platform],
        overrides={documented["id"]: [override]},
        escalation_policies=[engineering, sun],
        services=services(
            _example("/services", "services")[0], str(engineering["id"]), str(sun["id"])
        ),
        notification_rules={earline: rules},
        contact_methods={earline: methods},
    )
