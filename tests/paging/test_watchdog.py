"""The watchdog over the wire: warroom pings a fake healthchecks.io (emulator/healthchecks.py)
each interval while its own check passes (the job runner runs its job, the database takes a
write, a paging provider answers: the fake ntfy and Twilio), and stops when a part fails;
a ping that fails is logged and counted while pages still go; and two warrooms watch each
other, A pinging B's ``POST /heartbeats/<name>`` until A dies and B pages its on-call person.

Time moves with the test clock; due jobs run when a test says so, or, where the job runner
itself is the subject, by the runner's own polls. Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import Settings
from bot.keys import job_runner_key
from emulator import FakeNtfy, FakeTwilio, SlackEmulator
from emulator.healthchecks import FakeHealthchecks
from tests.conftest import CAROL, Clock, Warroom, WarroomFactory, running_warroom
from tests.helpers.alerts import TOKEN, incidents_of
from tests.helpers.metrics import scrape, value
from tests.helpers.processes import serve
from tests.paging.scenario import NOW, declare_sev1, paging_settings, phone_environ
from tests.paging.test_pager import TEST_LIMIT, env_for, pager_ready, pagers

PUBLIC_URL = "https://warroom.example.com"
TOPIC = "carol-7f3a9c"
CONTACTS = {
    "people": {
        CAROL: {
            "contacts": {"push": {"ntfy": TOPIC}},
            "rules": [{"after": "0s", "notify": ["push"]}],
        }
    }
}
LAST_OK = "warroom_watchdog_last_ok_timestamp_seconds"
PINGS = "warroom_watchdog_pings_total"
FAILURES = "warroom_watchdog_check_failures_total"


@pytest.fixture
async def providers() -> AsyncIterator[tuple[FakeTwilio, FakeNtfy]]:
    async with FakeTwilio() as twilio, FakeNtfy() as ntfy:
        yield twilio, ntfy


@pytest.fixture
async def checks() -> AsyncIterator[FakeHealthchecks]:
    async with FakeHealthchecks() as fake:
        yield fake


def watched(
    tmp_path: Path,
    providers: tuple[FakeTwilio, FakeNtfy],
    url: str,
    contacts: dict[str, Any] = CONTACTS,
    **environ: str,
) -> dict[str, Any]:
    """The settings of a warroom paging Carol through ntfy (and Twilio set up), pinging
    ``url`` every minute, as an operator writes them."""
    twilio, ntfy = providers
    settings = paging_settings(
        tmp_path,
        contacts,
        **phone_environ(twilio, ntfy, PUBLIC_URL),
        WARROOM_WATCHDOG_URL=url,
        WARROOM_WATCHDOG_INTERVAL="1m",
        **environ,
    )
    watchdog = Settings.from_env({"WARROOM_WATCHDOG_URL": url, **environ}).watchdog
    return {**settings, "watchdog": watchdog}


async def start(
    warroom_with: WarroomFactory,
    database_url: str,
    settings: dict[str, Any],
    **more: object,
) -> Warroom:
    return await warroom_with(database_url=database_url, clock=Clock(NOW), **settings, **more)


def said_above_debug(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG)


async def test_warroom_pings_each_interval_while_its_check_passes(
    warroom_with: WarroomFactory,
    database_url: str,
    tmp_path: Path,
    providers: tuple[FakeTwilio, FakeNtfy],
    checks: FakeHealthchecks,
) -> None:
    check = checks.new_check()
    warroom = await start(
        warroom_with, database_url, watched(tmp_path, providers, checks.ping_url(check))
    )
    await warroom.run_jobs()  # its first round is due at start-up
    assert [(p.method, p.failed) for p in checks.pings_of(check)] == [("POST", False)]

    await warroom.advance(seconds=59)
    assert len(checks.pings_of(check)) == 1
    await warroom.advance(seconds=1)
    assert len(checks.pings_of(check)) == 2
    await warroom.advance(minutes=1)
    assert len(checks.pings_of(check)) == 3

    samples = await scrape(warroom)
    assert value(samples, PINGS, outcome="ok") == 3
    assert value(samples, LAST_OK) == (NOW + timedelta(minutes=2)).timestamp()


async def test_pings_stop_when_the_job_runner_stops_and_the_gauge_keeps_its_last_value(
    warroom_with: WarroomFactory,
    database_url: str,
    tmp_path: Path,
    providers: tuple[FakeTwilio, FakeNtfy],
    checks: FakeHealthchecks,
) -> None:
    check = checks.new_check()
    settings = watched(tmp_path, providers, checks.ping_url(check))
    # The runner's own polls run the rounds here: nothing runs the jobs but the runner.
    warroom = await start(
        warroom_with, database_url, {**settings, "runtime__scheduler_interval": 0.05}
    )
    await checks.wait_for(lambda: len(checks.pings_of(check)) == 1)
    warroom.clock.now += timedelta(minutes=1)
    await checks.wait_for(lambda: len(checks.pings_of(check)) == 2)
    last_ok = (NOW + timedelta(minutes=1)).timestamp()
    assert value(await scrape(warroom), LAST_OK) == last_ok

    await warroom.app[job_runner_key].stop()
    warroom.clock.now += timedelta(minutes=5)
    await asyncio.sleep(1.0)  # twenty of its polls, had it run
    assert len(checks.pings_of(check)) == 2
    assert value(await scrape(warroom), LAST_OK) == last_ok


async def test_no_ping_while_no_paging_provider_answers(
    warroom_with: WarroomFactory,
    database_url: str,
    tmp_path: Path,
    providers: tuple[FakeTwilio, FakeNtfy],
    checks: FakeHealthchecks,
    caplog: pytest.LogCaptureFixture,
) -> None:
    twilio, ntfy = providers
    check = checks.new_check()
    warroom = await start(
        warroom_with, database_url, watched(tmp_path, providers, checks.ping_url(check))
    )
    await warroom.run_jobs()
    assert len(checks.pings_of(check)) == 1

    ntfy_port = int(ntfy.root.rsplit(":", 1)[1])
    await twilio.stop()
    await ntfy.stop()
    await warroom.advance(minutes=1)
    await warroom.advance(minutes=1)
    assert len(checks.pings_of(check)) == 1
    samples = await scrape(warroom)
    assert value(samples, FAILURES, part="providers") == 2
    assert value(samples, PINGS, outcome="ok") == 1
    assert value(samples, LAST_OK) == NOW.timestamp()
    said = said_above_debug(caplog)
    assert "watchdog: the check failed, no ping: providers: no paging provider answered" in said
    assert check not in said

    # One provider back is enough.
    await ntfy.start(port=ntfy_port)
    await warroom.advance(minutes=1)
    assert len(checks.pings_of(check)) == 2


async def test_a_failing_watchdog_address_is_logged_and_counted_and_pages_still_go(
    warroom_with: WarroomFactory,
    database_url: str,
    tmp_path: Path,
    providers: tuple[FakeTwilio, FakeNtfy],
    checks: FakeHealthchecks,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, ntfy = providers
    check = checks.new_check()
    checks.fail(500)
    settings = watched(
        tmp_path, providers, checks.ping_url(check), WARROOM_WATCHDOG_AUTHORIZATION="Bearer s3cr3t"
    )
    warroom = await start(warroom_with, database_url, settings)
    await warroom.run_jobs()
    await checks.stop()  # then nothing listens there: connection refused
    await warroom.advance(minutes=1)

    samples = await scrape(warroom)
    assert value(samples, PINGS, outcome="failed") == 2
    assert value(samples, PINGS, outcome="ok") is None
    assert value(samples, LAST_OK) is None
    said = said_above_debug(caplog)
    assert "watchdog: the check passed, but the ping failed: " in said
    assert "answered HTTP 500" in said and "connection failed" in said
    assert check not in said and "s3cr3t" not in said

    await declare_sev1(warroom)
    await warroom.run_jobs()
    assert len(ntfy.phone(TOPIC)) == 1  # Carol is paged all the same


# -- two warrooms watching each other --------------------------------------------------------
HEARTBEAT = "warroom-a"


def watching_a(tmp_path: Path, providers: tuple[FakeTwilio, FakeNtfy]) -> dict[str, Any]:
    """Warroom B's settings: a heartbeat for warroom A, whose miss pages Carol (SEV1's
    policy: the night schedule), through ntfy."""
    twilio, ntfy = providers
    heartbeats = tmp_path / "heartbeats.yaml"
    spec = {"name": HEARTBEAT, "interval": "1m", "grace": "1m", "severity": "SEV1"}
    heartbeats.write_text(yaml.safe_dump({"heartbeats": [{**spec, "policy": "primary"}]}))
    environ = {"WARROOM_HEARTBEATS": str(heartbeats), "WARROOM_ALERT_TOKEN": TOKEN}
    settings = paging_settings(
        tmp_path, CONTACTS, **phone_environ(twilio, ntfy, PUBLIC_URL), **environ
    )
    files = {
        "WARROOM_ESCALATION_POLICIES": str(tmp_path / "policies.yaml"),
        "WARROOM_ONCALL_SCHEDULES": str(tmp_path / "schedules.yaml"),
    }
    read = Settings.from_env({**environ, **files})
    return {
        **settings,
        "heartbeats__heartbeats": read.heartbeats.heartbeats,
        "alerting__token": read.alerting.token,
    }


async def test_two_warrooms_watch_each_other_and_b_pages_when_a_dies(
    slack: SlackEmulator,
    warroom_with: WarroomFactory,
    database_url: str,
    tmp_path: Path,
    providers: tuple[FakeTwilio, FakeNtfy],
) -> None:
    _, ntfy = providers
    clock = Clock(NOW)  # one time for both
    (tmp_path / "b").mkdir()
    b = await warroom_with(
        database_url=database_url, clock=clock, **watching_a(tmp_path / "b", providers)
    )
    a_settings = Settings.from_env(
        {
            "WARROOM_WATCHDOG_URL": f"{b.url}/heartbeats/{HEARTBEAT}",
            "WARROOM_WATCHDOG_AUTHORIZATION": f"Bearer {TOKEN}",
        }
    )
    # A on a database of its own (SQLite), paging nobody beyond Slack: no provider to ask.
    a_database = f"sqlite:///{tmp_path / 'a.db'}"
    async with running_warroom(slack, a_database, clock, watchdog=a_settings.watchdog) as a:
        for _ in range(3):
            await a.run_jobs()  # A pings B's heartbeat: its key accepted, the beat recorded
            await b.run_jobs()
            clock.now += timedelta(minutes=1)
        assert value(await scrape(a), PINGS, outcome="ok") == 3
        assert await incidents_of(b) == []
    # A is gone. One interval and its grace later, B's heartbeat is missed: B pages Carol.
    clock.now += timedelta(minutes=1)
    await b.run_jobs()
    (incident,) = await incidents_of(b)
    assert incident.title == f"Heartbeat {HEARTBEAT} missed"
    await b.run_jobs()
    (push,) = ntfy.phone(TOPIC)
    assert HEARTBEAT in f"{push.title} {push.message}"


# -- warroom serve, its pager process ----------------------------------------------------------
async def test_serve_pings_while_its_pager_runs_and_not_while_the_pager_is_down(
    slack: SlackEmulator, database_url: str, tmp_path: Path, checks: FakeHealthchecks
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the pager runs on PostgreSQL only (SQLite: one writing process)")
    check = checks.new_check()
    async with asyncio.timeout(TEST_LIMIT), FakeNtfy() as ntfy:
        env = {
            **env_for(slack, database_url, ntfy, tmp_path),
            "WARROOM_WATCHDOG_URL": checks.ping_url(check),
            "WARROOM_WATCHDOG_INTERVAL": "10s",
        }
        async with serve(env, tmp_path / "serve.log", stop=signal.SIGTERM) as bot:
            await pager_ready(bot)
            await checks.wait_for(lambda: checks.pings_of(check), timeout=60)
            # The pager killed as soon as it is back: its restarts wait 1, 2, 4, 8, 16 s,
            # and the rounds meanwhile find it down and send nothing.
            down = "watchdog: the check failed, no ping: pager: the pager process is not running"
            pinged, said = len(checks.pings_of(check)), len(bot.log.read_text())
            while down not in bot.log.read_text()[said:]:  # said since, not at the start
                for pid in pagers(bot):
                    os.kill(pid, signal.SIGKILL)
                await asyncio.sleep(0.2)
            assert len(checks.pings_of(check)) <= pinged + 1  # a round under way at the kill
