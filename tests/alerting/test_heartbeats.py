"""Heartbeats over the wire: check-ins posted as a monitored job posts them (bearer token),
misses opening incidents through the alert path, the next check-in resolving the alert.

Slack is the emulator; time moves with the test clock and due jobs run when a test says so.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from sqlmodel import select

from bot.config import ConfigError, Settings
from bot.store.db import session_scope
from bot.store.models import Alert, Escalation
from emulator import SlackEmulator
from tests.conftest import BOB, Clock, Warroom, running_warroom
from tests.helpers.alerts import TOKEN, incidents_of

NOW = datetime(2026, 8, 1, 2, 0, tzinfo=UTC)
POLICIES = {
    "policies": {"data-oncall": {"levels": [{"targets": [{"user": BOB}]}]}},
}
HEARTBEATS = {
    "heartbeats": [
        {
            "name": "nightly-export",
            "interval": "1h",
            "grace": "10m",
            "policy": "data-oncall",
            "severity": "SEV2",
        },
    ]
}


def heartbeat_settings(tmp_path: Path, heartbeats: dict[str, Any]) -> dict[str, Any]:
    """The settings as read from an operator's files and environment."""
    (tmp_path / "policies.yaml").write_text(yaml.safe_dump(POLICIES))
    (tmp_path / "heartbeats.yaml").write_text(yaml.safe_dump(heartbeats))
    settings = Settings.from_env(
        {
            "WARROOM_ESCALATION_POLICIES": str(tmp_path / "policies.yaml"),
            "WARROOM_HEARTBEATS": str(tmp_path / "heartbeats.yaml"),
            "WARROOM_ALERT_TOKEN": TOKEN,
        }
    )
    return {
        "escalation__policies": settings.escalation.policies,
        "heartbeats__heartbeats": settings.heartbeats.heartbeats,
        "alerting__token": settings.alerting.token,
        "runtime__scheduler_interval": 3600.0,
    }


@pytest.fixture
async def beating(slack: SlackEmulator, sqlite_url: str, tmp_path: Path) -> AsyncIterator[Warroom]:
    settings = heartbeat_settings(tmp_path, HEARTBEATS)
    async with running_warroom(slack, sqlite_url, Clock(NOW), **settings) as running:
        yield running


async def check_in(
    warroom: Warroom, name: str, token: str | None = TOKEN
) -> tuple[int, dict[str, Any]]:
    """``curl -X POST -H 'Authorization: Bearer …' …/heartbeats/<name>``, as a cron job's
    last line would; then the jobs it causes run."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{warroom.url}/heartbeats/{name}", headers=headers) as answer,
    ):
        status, body = answer.status, await answer.json()
    await warroom.run_jobs()
    return status, body


async def alerts_of(warroom: Warroom) -> list[Alert]:
    async with session_scope(warroom.engine) as session:
        return list((await session.exec(select(Alert).order_by(Alert.id))).all())


async def test_a_missed_heartbeat_opens_an_incident_and_the_next_beat_resolves_it(
    beating: Warroom,
) -> None:
    slack = beating.slack
    assert await check_in(beating, "nightly-export") == (
        200,
        {"status": "recorded", "heartbeat": "nightly-export"},
    )
    await beating.advance(hours=1, minutes=9, seconds=59)
    assert await incidents_of(beating) == []

    await beating.advance(seconds=1)  # interval + grace since the check-in
    (incident,) = await incidents_of(beating)
    assert incident.title == "Heartbeat nightly-export missed"
    assert incident.severity == "SEV2"
    assert incident.detected_at == datetime(2026, 8, 1, 3, 10, tzinfo=UTC)
    channel = slack.channels[incident.channel_id or ""]
    assert "nightly-export" in channel.name
    assert BOB in channel.members  # its policy, not the routes file's default
    async with session_scope(beating.engine) as session:
        (escalation,) = (await session.exec(select(Escalation))).all()
    assert escalation.policy == "data-oncall"
    assert "Heartbeat nightly-export missed" in slack.transcript(channel.id)
    # Nobody checking in for hours more raises nothing more: one miss, one alert.
    await beating.advance(hours=5)
    assert len(await alerts_of(beating)) == 1

    assert await check_in(beating, "nightly-export") == (
        200,
        {"status": "resolved", "heartbeat": "nightly-export"},
    )
    (row,) = await alerts_of(beating)
    assert row.status == "resolved"
    assert row.ends_at == datetime(2026, 8, 1, 8, 10, tzinfo=UTC)
    assert (
        "*Heartbeat nightly-export missed* resolved at 08:10 UTC (firing since 03:10 UTC)"
        in slack.transcript(channel.id)
    )

    # Missed again while its incident is still open: it fires again there, no second one.
    await beating.advance(hours=1, minutes=10)
    assert len(await incidents_of(beating)) == 1
    assert [a.status for a in await alerts_of(beating)] == ["resolved", "firing"]
    assert slack.transcript(channel.id).count("Heartbeat nightly-export missed") >= 2


async def test_check_ins_need_the_token_and_a_known_name(beating: Warroom) -> None:
    assert (await check_in(beating, "nightly-export", token=None))[0] == 401
    assert (await check_in(beating, "nightly-export", token="wrong"))[0] == 401
    status, body = await check_in(beating, "nightly-imprt")
    assert status == 404 and "nightly-imprt" in body["error"]
    status, _ = await check_in(beating, "%E2%80%AE" + "x" * 500)
    assert status == 404
    assert await incidents_of(beating) == []


async def test_a_heartbeat_never_seen_is_missed_counting_from_start_up_across_restarts(
    slack: SlackEmulator, sqlite_url: str, tmp_path: Path
) -> None:
    settings = heartbeat_settings(tmp_path, HEARTBEATS)
    clock = Clock(NOW)
    async with running_warroom(slack, sqlite_url, clock, **settings) as first:
        await first.advance(minutes=50)
    # Restarted 50 minutes in: the hour and ten minutes still count from the first start.
    async with running_warroom(slack, sqlite_url, clock, **settings) as second:
        await second.advance(minutes=19, seconds=59)
        assert await incidents_of(second) == []
        await second.advance(seconds=1)
        (incident,) = await incidents_of(second)
        assert incident.title == "Heartbeat nightly-export missed"
    async with running_warroom(slack, sqlite_url, clock, **settings) as third:
        assert (await check_in(third, "nightly-export"))[1]["status"] == "resolved"
    # Missed while no replica ran (checked in at 03:10, due by 04:20): the next start
    # raises it, once.
    clock.now = NOW.replace(hour=5)
    async with running_warroom(slack, sqlite_url, clock, **settings) as fourth:
        await fourth.run_jobs()
        assert [a.status for a in await alerts_of(fourth)] == ["resolved", "firing"]


def test_every_problem_of_the_heartbeats_file_is_named_at_start_up(tmp_path: Path) -> None:
    bad = {
        "heartbeats": [
            {"name": "Nightly Export", "interval": "1h"},
            {"name": "sync", "interval": "soon", "grace": "-"},
            {"name": "backup", "interval": "1h", "severity": "P1", "policy": "nobody"},
            {"name": "backup", "interval": "2h", "every": "day"},
        ]
    }
    (tmp_path / "heartbeats.yaml").write_text(yaml.safe_dump(bad))
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"WARROOM_HEARTBEATS": str(tmp_path / "heartbeats.yaml")})
    said = str(refused.value)
    assert "WARROOM_HEARTBEATS" in said
    assert "'Nightly Export'" in said
    assert "heartbeat 'sync': interval" in said and "heartbeat 'sync': grace" in said
    assert "severity: one of SEV1" in said
    assert "heartbeat 'backup': unknown key(s) every" in said


def test_a_heartbeat_s_policy_and_the_alert_token_are_checked_at_start_up(tmp_path: Path) -> None:
    (tmp_path / "heartbeats.yaml").write_text(
        yaml.safe_dump({"heartbeats": [{"name": "backup", "interval": "1h", "policy": "dba"}]})
    )
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"WARROOM_HEARTBEATS": str(tmp_path / "heartbeats.yaml")})
    said = str(refused.value)
    assert "WARROOM_ALERT_TOKEN is not" in said
    assert "heartbeat 'backup': no escalation policy named 'dba'" in said
