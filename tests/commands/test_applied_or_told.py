"""Commands are applied or told, through a SIGTERM: ``warroom serve`` as a real process.

A slash command answered within the answer budget while its channel's line is locked by
another session (a stall: the database neither takes the write nor refuses it) lives in the
process's memory. Stopped by SIGTERM, warroom writes what it holds within its grace, or tells
each sender through the command's response_url that nothing of it was done
(https://docs.slack.dev/interactivity/handling-user-interaction#message_responses: a
response_url takes up to 5 posts within 30 minutes), and exits in time; after the restart the
command is applied or its sender was told, never neither and never both.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from emulator import SlackEmulator
from tests.conftest import ALICE
from tests.flows.test_faults import TEST_LIMIT, database, scalar
from tests.helpers.databases import writes_held
from tests.helpers.incidents import declare_incident
from tests.helpers.processes import EXIT_LIMIT, ServedBot, bot_env, serve, terminate

BUDGET = "0.2"
# Far beyond the budget: an answer that waited for the write never comes while it is held.
ANSWERED_WITHIN = 5.0


def told_not_done(slack: SlackEmulator) -> Any:
    """The private message that says an answered command was not saved, if it came."""
    return next((m for m in slack.ephemeral_for(ALICE) if "could not save it" in m.text), None)


async def status(engine: AsyncEngine) -> str:
    return str(await scalar(engine, "SELECT status FROM incident"))


async def incident_channel(slack: SlackEmulator, bot: ServedBot) -> str:
    """A new incident's channel, the bot done with it for now."""
    slack.events_url = bot.events_url
    channel = await declare_incident(slack, "Checkout down", pinned=True, timeout=10)
    await slack.drain()
    return channel.id


async def answered_while_held(slack: SlackEmulator, channel: str) -> None:
    """``/incident status identified``, typed while the test holds the line's table: answered
    within the budget all the same."""
    answered = await asyncio.wait_for(
        slack.send_command("status identified", user=ALICE, channel=channel),
        timeout=ANSWERED_WITHIN,
    )
    assert answered.status == 200 and "went wrong" not in answered.text


async def test_a_command_stalled_at_sigterm_is_told_to_its_sender_not_lost(
    slack: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    async with asyncio.timeout(TEST_LIMIT), database(database_url) as engine:
        env = {**bot_env(slack, database_url), "WARROOM_COMMAND_ANSWER_BUDGET": BUDGET}
        async with serve(env, tmp_path / "first.log") as bot:
            channel = await incident_channel(slack, bot)
            async with writes_held(engine, database_url):
                await answered_while_held(slack, channel)
                # Held through the whole shutdown: it cannot be written before the exit.
                await terminate(bot)
                assert "shutdown not finished" not in bot.output(), "the watchdog ended it"
        told = told_not_done(slack)
        assert told is not None, "its sender was never told"
        assert "warroom was stopping" in told.text and "nothing of it was done" in told.text

        # Restarted, the lock long gone: nothing of the command is done behind the words.
        async with serve(env, tmp_path / "second.log") as bot:
            slack.events_url = bot.events_url
            await asyncio.sleep(1.0)  # a few sweep rounds
            assert await status(engine) == "investigating"
            assert await scalar(engine, "SELECT COUNT(*) FROM received_command") == 0
        assert len([m for m in slack.ephemeral_for(ALICE) if "could not save it" in m.text]) == 1


async def test_a_command_whose_stall_ends_during_sigterm_is_applied(
    slack: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    """The lock let go a second after the signal: written within the grace, applied (before
    the exit or after the restart), and its sender told nothing."""
    async with asyncio.timeout(TEST_LIMIT), database(database_url) as engine:
        env = {
            **bot_env(slack, database_url),
            "WARROOM_COMMAND_ANSWER_BUDGET": BUDGET,
            "WARROOM_DATABASE_LOCK_TIMEOUT": "1",
        }
        async with serve(env, tmp_path / "first.log") as bot:
            channel = await incident_channel(slack, bot)
            async with writes_held(engine, database_url):
                await answered_while_held(slack, channel)
                bot.process.send_signal(signal.SIGTERM)
                await asyncio.sleep(1.0)
            await asyncio.wait_for(bot.process.wait(), timeout=EXIT_LIMIT + 5)
        async with serve(env, tmp_path / "second.log") as bot:
            slack.events_url = bot.events_url

            async def applied() -> bool:
                return await status(engine) == "identified"

            await slack.wait_for(applied, timeout=30)
        assert told_not_done(slack) is None
