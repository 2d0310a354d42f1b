"""Alert bodies at the edges: dates at the calendar's edges or deeply
nested labels get a 2xx or 4xx over real HTTP, never a 5xx."""

from __future__ import annotations

import json
import logging

import pytest

from bot.config import Secret
from emulator import SlackEmulator
from tests.conftest import running_warroom
from tests.helpers.alerts import TOKEN, alert, alertmanager, post_alert


def nested(depth: int) -> object:
    value: object = "leaf"
    for _ in range(depth):
        value = {"x": value}
    return value


async def test_alert_bodies_with_extreme_dates_or_deep_nesting_get_2xx_or_4xx(
    slack: SlackEmulator, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    late = "9999-12-31T23:59:59-01:00"
    early = "0001-01-01T00:00:00+01:00"
    deep = alertmanager("Deep", [alert("Deep", "h1", "2026-08-01T10:00:00Z")])
    deep["alerts"][0]["labels"]["nested"] = nested(600)
    deep_extra = {**alertmanager("Deep", []), "extra": nested(600)}
    bodies: dict[str, object] = {
        "startsAt after year 9999 in UTC": alertmanager("Late", [alert("Late", "h1", late)]),
        "startsAt before year 1 in UTC": alertmanager("Early", [alert("Early", "h1", early)]),
        "endsAt after year 9999 in UTC": alertmanager(
            "Late", [alert("Late", "h1", "2026-08-01T10:00:00Z", ends_at=late)]
        ),
        "generic at year 9999": {
            "title": "Late",
            "dedup_key": "late",
            "started_at": late,
            "ended_at": late,
        },
        "labels nested 600 deep": deep,
        "a field nested 600 deep": deep_extra,
    }
    async with running_warroom(slack, sqlite_url, alerting__token=Secret(TOKEN)) as warroom:
        for why, body in bodies.items():
            source = "generic" if why.startswith("generic") else "alertmanager"
            status, answer = await post_alert(warroom.url, source, json.dumps(body).encode())
            assert status in (202, 400), f"{why}: {status} {answer}"
            if status == 400:
                assert answer["problems"], f"{why}: the answer says what is wrong: {answer}"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not errors, [r.getMessage()[:200] for r in errors]
