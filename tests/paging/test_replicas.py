"""Two ``warroom serve`` processes on one PostgreSQL database send each notification once.

Real processes, real time: both replicas poll for due jobs twenty times a second and race for
every notification; the policy's first level times out after two seconds, so a second page
starts while the first one's rules still fire.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
import yaml

from emulator import FakeNtfy, FakeTwilio, SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, reset_postgres
from tests.helpers.processes import serve
from tests.paging.scenario import SCHEDULES

PHONE = "+15555550123"
POLICIES = {
    "policies": {
        "primary": {
            "levels": [
                {"timeout": "2s", "targets": [{"schedule": "night"}]},
                {"targets": [{"user": BOB}]},
            ]
        }
    },
    "severities": {"SEV1": "primary"},
}
CONTACTS = {
    "people": {
        CAROL: {
            "contacts": {"push": {"ntfy": "carol-topic"}, "sms": {"sms": PHONE},
                         "call": {"voice": PHONE}},
            "rules": [{"after": "0s", "notify": ["slack", "push", "sms"]},
                      {"after": "1s", "notify": ["call"]}],
        },
        BOB: {"contacts": {"push": {"ntfy": "bob-topic"}},
              "rules": [{"after": "0s", "notify": ["slack", "push"]}]},
    }
}  # fmt: skip


async def test_two_processes_send_each_notification_once(
    postgres_url: str | None, slack: SlackEmulator, tmp_path: Path
) -> None:
    if postgres_url is None:
        pytest.skip("two-replica test skipped: set WARROOM_TEST_DATABASE_URL (PostgreSQL)")
    await reset_postgres(postgres_url)
    for name, document in (("p", POLICIES), ("s", SCHEDULES), ("c", CONTACTS)):
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(document))
    async with FakeNtfy() as ntfy, FakeTwilio() as twilio:
        env = {
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_SIGNING_SECRET": slack.signing_secret,
            "SLACK_API_URL": slack.base_url,
            "DATABASE_URL": postgres_url,
            "WARROOM_ESCALATION_POLICIES": str(tmp_path / "p.yaml"),
            "WARROOM_ONCALL_SCHEDULES": str(tmp_path / "s.yaml"),
            "WARROOM_CONTACTS": str(tmp_path / "c.yaml"),
            "WARROOM_NTFY_URL": ntfy.root,
            "TWILIO_ACCOUNT_SID": twilio.account_sid,
            "TWILIO_AUTH_TOKEN": twilio.auth_token,
            "TWILIO_FROM": twilio.numbers[0],
            "TWILIO_API_URL": twilio.root,
            "WARROOM_PUBLIC_URL": "https://warroom.example.com",
            "WARROOM_SCHEDULER_INTERVAL": "0.05",
        }
        async with (
            serve(env, tmp_path / "one.log", stop=signal.SIGTERM) as one,
            serve(env, tmp_path / "two.log", stop=signal.SIGTERM),
        ):
            slack.events_url = f"{one.url}/slack/events"
            general = slack.channel_by_name("general")
            assert general is not None
            await slack.send_command("start sev1 Payments failing", user=ALICE, channel=general.id)

            await ntfy.wait_for(lambda: ntfy.phone("bob-topic"), timeout=30)
            await twilio.wait_for(lambda: twilio.calls, timeout=30)
            await asyncio.sleep(3)  # time for a second send of anything, were there one

            assert len(ntfy.phone("carol-topic")) == 1
            assert len(ntfy.phone("bob-topic")) == 1
            assert len(twilio.phone(PHONE).messages) == 1
            assert len(twilio.phone(PHONE).calls) == 1
            assert len(slack.direct_messages(CAROL)) == 1
            assert len(slack.direct_messages(BOB)) == 1
