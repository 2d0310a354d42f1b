"""Two ``warroom serve`` processes on one PostgreSQL database: every policy level pages once.

Real processes, real time: the policy's levels time out after a second, and both replicas
poll for due jobs twenty times a second, so they race for every escalation and every page.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from emulator import FakePagerDuty, SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, reset_postgres
from tests.helpers.processes import serve

ROUTING_KEY = "fedcba9876543210fedcba9876543210"
PAGER = {"pagerduty": {"service": "Payments primary", "routing_key_env": "PD_KEY"}}
POLICIES = {
    "policies": {
        "payments": {
            "levels": [
                {"timeout": "1s", "targets": [{"user": BOB}, PAGER]},
                {"timeout": "1s", "targets": [{"user": CAROL}, PAGER]},
                {"targets": [PAGER]},
            ]
        }
    },
    "severities": {"SEV1": "payments"},
}


@asynccontextmanager
async def serve_process(env: dict[str, str], log: Path) -> AsyncIterator[str]:
    """``warroom serve`` in a process of its own; its base URL once /healthz answers."""
    async with serve(env, log, stop=signal.SIGTERM) as bot:
        yield bot.url


async def test_two_processes_page_once_per_level(
    postgres_url: str | None, slack: SlackEmulator, tmp_path: Path
) -> None:
    if postgres_url is None:
        pytest.skip("two-replica test skipped: set WARROOM_TEST_DATABASE_URL (PostgreSQL)")
    await reset_postgres(postgres_url)
    policy_file = tmp_path / "policies.yaml"
    policy_file.write_text(yaml.safe_dump(POLICIES))
    async with FakePagerDuty() as pagerduty:
        env = {
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_SIGNING_SECRET": slack.signing_secret,
            "SLACK_API_URL": slack.base_url,
            "DATABASE_URL": postgres_url,
            "WARROOM_ESCALATION_POLICIES": str(policy_file),
            "PD_KEY": ROUTING_KEY,
            "PAGERDUTY_EVENTS_URL": pagerduty.events_url,
            "WARROOM_SCHEDULER_INTERVAL": "0.05",
        }
        async with (
            serve_process(env, tmp_path / "one.log") as one,
            serve_process(env, tmp_path / "two.log"),
        ):
            slack.events_url = f"{one}/slack/events"
            general = slack.channel_by_name("general")
            assert general is not None
            await slack.send_command("start sev1 Payments failing", user=ALICE, channel=general.id)

            keys = [f"warroom:{slack.team_id}:INC-1:payments:L{level}" for level in (1, 2, 3)]
            await pagerduty.wait_for(lambda: pagerduty.events_for(keys[2]), timeout=30)
            channel = next(c for c in slack.channels.values() if c.name.startswith("inc-1"))

            def escalations() -> list[Any]:
                return [m for m in channel.messages if "escalated to" in m.text]

            # Slack takes about a message a second in one channel: the last may still wait.
            await slack.wait_for(lambda: len(escalations()) >= 3, timeout=15)
            await asyncio.sleep(1.0)  # room for a duplicate to arrive, if one were coming

    triggers = [e["dedup_key"] for e in pagerduty.events if e["event_action"] == "trigger"]
    assert sorted(triggers) == keys
    assert len(escalations()) == 3
    assert {BOB, CAROL} <= channel.members
