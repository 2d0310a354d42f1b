"""Schedules the web and API tests configure: one with somebody on call at every moment, one
with gaps."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.record.oncall.schedules import Schedules, parse_schedules
from tests.conftest import ALICE, BOB, CAROL

WEEKDAYS = {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "18:00"}


def two_schedules(now: datetime = datetime(2026, 3, 1, tzinfo=UTC)) -> Schedules:
    """payments: Alice and Bob a week each from Monday 2 March 2026, 09:00 in Paris; support:
    Carol on weekdays from 09:00 to 18:00 in Paris only, so every night is a gap."""
    weekly = {"name": "weekly", "start": "2026-03-02 09:00", "rotation": "weekly"}
    office = {**weekly, "name": "office-hours", "rotation": "daily", "restrictions": [WEEKDAYS]}
    document = {
        "schedules": {
            "payments": {
                "timezone": "Europe/Paris",
                "layers": [{**weekly, "members": [ALICE, BOB]}],
            },
            "support": {"timezone": "Europe/Paris", "layers": [{**office, "members": [CAROL]}]},
        }
    }
    return parse_schedules(document, now=now)
