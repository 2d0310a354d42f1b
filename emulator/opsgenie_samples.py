"""An Opsgenie account for the fake to serve: the kinds of objects Opsgenie's API documentation
shows in its examples (users, teams, schedules with rotations and time restrictions,
overrides, escalations with repeats), in a year the caller picks so that its clock changes
and overrides are ahead of today.

- ``Platform Primary`` (Europe/Amsterdam): a weekly primary and a weekly shadow with a
  ``none`` participant, both on call together; a whole-schedule override and an override of
  the shadow rotation.
- ``Support Weekdays`` (America/New_York): a daily rotation on weekdays 08:00 to 18:00 (a
  ``weekday-and-time-of-day`` span Monday to Friday each day, as the Opsgenie UI writes
  "weekdays") and a weekly weekend rotation from Friday 18:00 to Monday 08:00.
- ``Night Owls`` (Australia/Sydney): a ``time-of-day`` restriction across midnight (22:00 to
  06:00) on a daily rotation; an override to nobody.
- ``Hourly Triage`` (UTC): 6-hour turns.
- ``Legacy Chain`` (Europe/London): a rotation whose participant is an escalation.
- ``Mars Base``: a time zone no tz database knows.
- Escalations ``Platform Escalation`` (a schedule, a user, a team, then another schedule;
  repeated twice) and ``Legacy Escalation`` (an escalation recipient, "if not closed").

``users`` also holds filler users, so that ``GET /v2/users`` takes two pages of 100.
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]
FILLER_USERS = 117

PEOPLE = (
    ("b5b92115-bfe7-43eb-8c2a-e467f2e5ddc4", "alice@example.com", "Alice Adams"),
    ("e07c63f0-dd8c-4ad4-983e-4ee7dc600463", "bob@example.com", "Bob Okafor"),
    ("2f8f6e25-1a8e-4a53-9c3c-6f0a1fbb2a10", "carol@example.com", "Carol Chen"),
    ("7c1d92a4-6c8e-4a9e-8f1b-2b3c4d5e6f70", "dave@example.com", "Dave Diallo"),
    ("8d2e03b5-7d9f-4bae-9a2c-3c4d5e6f7081", "erin@example.com", "Erin Evans"),
    ("9e3f14c6-8eaf-4cbf-ab3d-4d5e6f708192", "frank@example.com", "Frank Fischer"),
    ("af4025d7-9fb0-4dc0-bc4e-5e6f708192a3", "grace@example.com", "Grace Gupta"),
    ("b05136e8-a0c1-4ed1-cd5f-6f708192a3b4", "heidi@example.com", "Heidi Horvat"),
)
ALICE, BOB, CAROL, DAVE, ERIN, FRANK, GRACE, HEIDI = (person[0] for person in PEOPLE)
SRE_TEAM = "90098alp9-f0e3-41d3-a060-0ea895f1f1b2"
DB_TEAM = "6bd3e6a1-1b27-4bfa-8a35-2c5f3d9a0e11"
PLATFORM = "d875alp4-9b4e-4219-a803-0c26936d18de"
SUPPORT = "c1a0e7a2-4f7e-4c3b-9a5d-1e2f3a4b5c6d"
NIGHTS = "f2b1d8c3-5a8f-4d4c-8b6e-2f3a4b5c6d7e"
HOURLY = "a3c2e9d4-6b9a-4e5d-9c7f-3a4b5c6d7e8f"
LEGACY = "b4d3fae5-7cab-4f6e-ad80-4b5c6d7e8f90"
MARS = "c5e40bf6-8dbc-4a7f-be91-5c6d7e8f90a1"
PLATFORM_ESCALATION = "9a9f0e8c-2f9d-4c47-9a6a-1f2a3b4c5d6e"
LEGACY_ESCALATION = "8b8e1d7b-3e8c-4d36-8b5b-2e3f4a5b6c7d"


def user(ident: str) -> Json:
    """A participant or recipient of type user, as the API writes one."""
    username = next(person[1] for person in PEOPLE if person[0] == ident)
    return {"type": "user", "id": ident, "username": username}


NONE: Json = {"type": "none"}


def users() -> list[Json]:
    """``GET /v2/users``' objects: the people, and filler users on no schedule."""
    found = [
        {
            "id": ident,
            "username": email,
            "fullName": name,
            "role": {"id": "User", "name": "User"},
            "timeZone": "Europe/Amsterdam",
            "locale": "en_US",
            "blocked": False,
            "verified": True,
            "createdAt": "2017-05-12T07:22:34.011Z",
        }
        for ident, email, name in PEOPLE
    ]
    found += [
        {
            "id": f"00000000-0000-4000-8000-{number:012d}",
            "username": f"user{number:03d}@example.com",
            "fullName": f"User {number:03d}",
            "role": {"id": "User", "name": "User"},
            "blocked": False,
            "verified": True,
        }
        for number in range(FILLER_USERS)
    ]
    return found


def teams() -> list[Json]:
    return [
        {
            "id": SRE_TEAM,
            "name": "SRE",
            "description": "Site reliability",
            "members": [{"user": {"id": ALICE, "username": "alice@example.com"}, "role": "admin"}],
        },
        {"id": DB_TEAM, "name": "Databases", "description": "", "members": []},
    ]


def schedules(year: int) -> list[Json]:
    """``GET /v2/schedules?expand=rotation``' objects; rotations start in January of ``year``."""
    weekdays = [
        {
            "startDay": day,
            "startHour": 8,
            "startMin": 0,
            "endDay": day,
            "endHour": 18,
            "endMin": 0,
        }
        for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
    ]
    weekend = [
        {
            "startDay": "friday",
            "startHour": 18,
            "startMin": 0,
            "endDay": "monday",
            "endHour": 8,
            "endMin": 0,
        }
    ]
    return [
        _schedule(
            PLATFORM,
            "Platform Primary",
            "Europe/Amsterdam",
            [
                _rotation(
                    "c1",
                    "Primary",
                    f"{year}-01-05T08:00:00Z",
                    "weekly",
                    [user(ALICE), user(BOB), user(CAROL)],
                ),
                _rotation(
                    "c2",
                    "Shadow",
                    f"{year}-01-05T08:00:00Z",
                    "weekly",
                    [user(DAVE), NONE, user(ERIN)],
                ),
            ],
        ),
        _schedule(
            SUPPORT,
            "Support Weekdays",
            "America/New_York",
            [
                _rotation(
                    "c3",
                    "Weekdays",
                    f"{year}-01-05T13:00:00Z",
                    "daily",
                    [user(ALICE), user(BOB)],
                    {"type": "weekday-and-time-of-day", "restrictions": weekdays},
                ),
                _rotation(
                    "c4",
                    "Weekend",
                    f"{year}-01-02T23:00:00Z",
                    "weekly",
                    [user(CAROL), user(DAVE)],
                    {"type": "weekday-and-time-of-day", "restrictions": weekend},
                ),
            ],
        ),
        _schedule(
            NIGHTS,
            "Night Owls",
            "Australia/Sydney",
            [
                _rotation(
                    "c5",
                    "Nights",
                    f"{year}-01-05T11:00:00Z",
                    "daily",
                    [user(GRACE), user(HEIDI)],
                    {
                        "type": "time-of-day",
                        "restriction": {"startHour": 22, "startMin": 0, "endHour": 6, "endMin": 0},
                    },
                )
            ],
        ),
        _schedule(
            HOURLY,
            "Hourly Triage",
            "UTC",
            [
                _rotation(
                    "c6",
                    "Triage",
                    f"{year}-01-05T00:00:00Z",
                    "hourly",
                    [user(ALICE), user(BOB), user(CAROL), user(DAVE)],
                    length=6,
                )
            ],
        ),
        _schedule(
            LEGACY,
            "Legacy Chain",
            "Europe/London",
            [
                _rotation(
                    "c7",
                    "Chain",
                    f"{year}-01-05T09:00:00Z",
                    "weekly",
                    [{"type": "escalation", "id": LEGACY_ESCALATION, "name": "Legacy Escalation"}],
                )
            ],
        ),
        _schedule(
            MARS,
            "Mars Base",
            "Mars/Olympus_Mons",
            [_rotation("c8", "Sols", f"{year}-01-05T09:00:00Z", "daily", [user(FRANK)])],
        ),
    ]


def overrides(year: int) -> dict[str, list[Json]]:
    """Each schedule's ``GET /v2/schedules/{id}/overrides`` objects, in March and April of
    ``year``."""
    return {
        PLATFORM: [
            _override(
                PLATFORM,
                "Platform Primary",
                "cover-frank",
                user(FRANK),
                f"{year}-03-20T08:00:00Z",
                f"{year}-03-23T08:00:00Z",
            ),
            _override(
                PLATFORM,
                "Platform Primary",
                "shadow-grace",
                user(GRACE),
                f"{year}-04-14T07:00:00Z",
                f"{year}-04-16T07:00:00Z",
                rotations=[{"id": "c2", "name": "Shadow"}],
            ),
        ],
        NIGHTS: [
            _override(
                NIGHTS,
                "Night Owls",
                "quiet-night",
                NONE,
                f"{year}-04-10T11:00:00Z",
                f"{year}-04-10T20:00:00Z",
            ),
        ],
    }


def escalations() -> list[Json]:
    return [
        {
            "id": PLATFORM_ESCALATION,
            "name": "Platform Escalation",
            "description": "",
            "ownerTeam": {"id": SRE_TEAM, "name": "SRE"},
            "rules": [
                _rule(0, {"type": "schedule", "id": PLATFORM, "name": "Platform Primary"}),
                _rule(5, user(ALICE)),
                _rule(5, {"type": "team", "id": SRE_TEAM, "name": "SRE"}),
                _rule(15, {"type": "schedule", "id": SUPPORT, "name": "Support Weekdays"}),
            ],
            "repeat": {
                "waitInterval": 10,
                "count": 2,
                "resetRecipientStates": False,
                "closeAlertAfterAll": False,
            },
        },
        {
            "id": LEGACY_ESCALATION,
            "name": "Legacy Escalation",
            "description": "",
            "rules": [
                _rule(
                    0,
                    {
                        "type": "escalation",
                        "id": PLATFORM_ESCALATION,
                        "name": "Platform Escalation",
                    },
                ),
                _rule(10, user(BOB), condition="if-not-closed"),
            ],
        },
    ]


def _schedule(ident: str, name: str, zone: str, rotations: list[Json]) -> Json:
    return {
        "id": ident,
        "name": name,
        "description": "",
        "timezone": zone,
        "enabled": True,
        "ownerTeam": {"id": SRE_TEAM, "name": "SRE"},
        "rotations": rotations,
    }


def _rotation(
    ident: str,
    name: str,
    start: str,
    kind: str,
    participants: list[Json],
    restriction: Json | None = None,
    length: int = 1,
) -> Json:
    rotation: Json = {
        "id": ident,
        "name": name,
        "startDate": start,
        "type": kind,
        "length": length,
        "participants": participants,
    }
    if restriction is not None:
        rotation["timeRestriction"] = restriction
    return rotation


def _override(
    schedule: str,
    name: str,
    alias: str,
    who: Json,
    start: str,
    end: str,
    rotations: list[Json] | None = None,
) -> Json:
    found: Json = {
        "_parent": {"id": schedule, "name": name, "enabled": True},
        "alias": alias,
        "user": who,
        "startDate": start,
        "endDate": end,
    }
    if rotations is not None:
        found["rotations"] = rotations
    return found


def _rule(minutes: int, recipient: Json, condition: str = "if-not-acked") -> Json:
    return {
        "condition": condition,
        "notifyType": "default",
        "delay": {"timeAmount": minutes, "timeUnit": "minutes"},
        "recipient": recipient,
    }


def heartbeats() -> list[Json]:
    """Heartbeat API, "List Heartbeats" (``data.heartbeats``): the documentation's example
    heartbeat (owned by a team, as its "Get Heartbeat" example shows), a daily one with no
    owner, and a disabled one."""
    return [
        {
            "name": "HeartbeatName",
            "description": "Sample heartbeat description",
            "interval": 10,
            "enabled": True,
            "intervalUnit": "minutes",
            "expired": False,
            "ownerTeam": {"id": SRE_TEAM, "name": "SRE"},
            "alertMessage": "HeartbeatName is expired",
            "alertTags": ["heartbeatTag1", "heartbeatTag2"],
            "alertPriority": "P3",
        },
        {
            "name": "Nightly Export",
            "description": "",
            "interval": 1,
            "enabled": True,
            "intervalUnit": "days",
            "expired": False,
        },
        {
            "name": "Old Cron",
            "description": "",
            "interval": 2,
            "enabled": False,
            "intervalUnit": "hours",
            "expired": True,
        },
    ]


def integrations() -> list[Json]:
    """Integration API, "List Integrations" (``data``): the documentation's example list
    (Signal Sciences, Default API, a disabled Datadog), the API one given to the SRE team,
    and a team's Prometheus (Alertmanager) one."""
    return [
        {
            "id": "055082dc-9427-48dd-85e0-f93a76e5f4a2",
            "name": "Signal Sciences",
            "enabled": True,
            "type": "SignalSciences",
            "teamId": "",
        },
        {
            "id": "073e8e6a-a481-4b9b-8619-5c31d9a6e5da",
            "name": "Default API",
            "enabled": True,
            "type": "API",
            "teamId": SRE_TEAM,
        },
        {
            "id": "3163a9f9-5950-4e73-b99f-92562956e39c",
            "name": "Datadog",
            "enabled": False,
            "type": "Datadog",
            "teamId": "",
        },
        {
            "id": "72f6f51b-1ea9-4efd-be1b-4f29d1f5a1b2",
            "name": "Prometheus Alerts",
            "enabled": True,
            "type": "Prometheus",
            "teamId": DB_TEAM,
        },
    ]


def notification_rules() -> dict[str, list[Json]]:
    """Alice's notification rules (User Notification Rule API, "Get Notification Rule"): the
    documentation's "New Alert" rule for every alert (match-all), an e-mail at once, an SMS
    after 5 minutes ("to": "1-5555550123": country code, dash, number), a voice call after
    10 and a mobile-app push at once; a disabled step; and a rule on acknowledged alerts."""

    def step(ident: str, minutes: int, method: str, to: str, enabled: bool = True) -> Json:
        return {
            "id": ident,
            "sendAfter": {"timeAmount": minutes, "timeUnit": "minutes"},
            "contact": {"method": method, "to": to},
            "enabled": enabled,
        }

    return {
        ALICE: [
            {
                "id": "01a1b2c3-0000-4000-8000-000000000001",
                "name": "New Alert",
                "actionType": "create-alert",
                "criteria": {"type": "match-all"},
                "notificationTime": ["just-before", "15-minutes-ago"],
                "order": 1,
                "steps": [
                    step("s1", 0, "email", "alice@example.com"),
                    step("s2", 5, "sms", "1-5555550123"),
                    step("s3", 10, "voice", "1-5555550123"),
                    step("s4", 0, "mobile", "Alice's iPhone"),
                    step("s5", 30, "email", "alice.home@example.com", enabled=False),
                ],
                "enabled": True,
            },
            {
                "id": "01a1b2c3-0000-4000-8000-000000000002",
                "name": "Acknowledged Alert",
                "actionType": "acknowledged-alert",
                "criteria": {"type": "match-all"},
                "order": 2,
                "steps": [step("s6", 0, "email", "alice@example.com")],
                "enabled": True,
            },
        ]
    }
