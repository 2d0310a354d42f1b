"""A ``warroom serve`` killed (SIGKILL) while it sends a person's notification: the next one
to run sends it once more, soon (the claim on a notification is short, renewed while it is
sent), and the record says it may have arrived twice. A process killed again while sending it
once more does not send it a third time: the channel says it was given up.

Real processes on one database (SQLite, and PostgreSQL with ``WARROOM_TEST_DATABASE_URL``),
the fake ntfy holding the push's request as a slow service would until the kill.
"""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import pytest
import yaml

from emulator import FakeNtfy, SlackEmulator
from tests.conftest import ALICE, CAROL
from tests.flows.test_faults import database, scalar
from tests.helpers.processes import bot_env, serve
from tests.helpers.waiting import eventually

POLICIES = {
    "policies": {"primary": {"levels": [{"targets": [{"user": CAROL}]}]}},
    "severities": {"SEV1": "primary"},
}
CONTACTS = {
    "people": {
        CAROL: {
            "contacts": {"push": {"ntfy": "carol-topic"}},
            "rules": [{"after": "0s", "notify": ["push"]}],
        }
    }
}
# A bound for a hang, not a pace: three starts of the bot on a loaded machine.
TEST_LIMIT = 240.0
STATE = "SELECT state FROM notification"


@pytest.mark.parametrize("kills", [1, 2])
async def test_a_notification_cut_off_by_a_kill_is_sent_once_more_and_said_so(
    slack: SlackEmulator, database_url: str, tmp_path: Path, kills: int
) -> None:
    for name, document in (("policies", POLICIES), ("contacts", CONTACTS)):
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(document))
    async with asyncio.timeout(TEST_LIMIT), database(database_url) as engine, FakeNtfy() as ntfy:
        env = {
            **bot_env(slack, database_url),
            "WARROOM_ESCALATION_POLICIES": str(tmp_path / "policies.yaml"),
            "WARROOM_CONTACTS": str(tmp_path / "contacts.yaml"),
            "WARROOM_NTFY_URL": ntfy.root,
            "WARROOM_PUBLIC_URL": "https://warroom.example.com",
        }
        # ntfy holds the push's request (each of the first ``kills``) until the sender dies.
        ntfy.stall(600, times=kills)
        general = slack.channel_by_name("general")
        assert general is not None
        for run in range(kills):
            async with serve(env, tmp_path / f"run{run}.log") as bot:
                slack.events_url = bot.events_url
                if run == 0:
                    await slack.send_command("start sev1 Payments failing", user=ALICE,
                                             channel=general.id)  # fmt: skip
                being_sent = "sending" if run == 0 else "resending"

                async def sending(state: str = being_sent) -> bool:
                    counted = "SELECT count(*) FROM notification WHERE state = :state"
                    return bool(await scalar(engine, counted, state=state))

                await eventually(sending, 60, f"the push {being_sent}")
                bot.process.send_signal(signal.SIGKILL)
                await bot.process.wait()
        assert ntfy.phone("carol-topic") == []

        async with serve(env, tmp_path / "last.log") as bot:
            slack.events_url = bot.events_url

            async def settled() -> bool:
                return await scalar(engine, STATE) not in ("sending", "resending")

            await eventually(settled, 90, "the notification settled")
            state = await scalar(engine, STATE)
            kept = await scalar(
                engine, "SELECT facts FROM timeline_entry WHERE kind = 'notification'"
            )
            facts = kept if isinstance(kept, dict) else json.loads(kept)
            if kills == 1:
                # Sent once more, and the record says Carol may have had it twice.
                assert state == "sent"
                assert len(ntfy.phone("carol-topic")) == 1
                assert facts["outcome"] == "sent" and facts["possible_repeat"] is True
            else:
                # Never a third time: given up, and the channel says so.
                assert state == "failed"
                assert ntfy.phone("carol-topic") == []
                assert facts["outcome"] == "failed" and facts["possible_repeat"] is True

                async def said() -> bool:
                    await slack.drain()
                    return any(
                        "stopped twice" in message.text
                        for channel in slack.channels.values()
                        for message in channel.messages
                    )

                await eventually(said, 30, "the channel told")
