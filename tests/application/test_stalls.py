"""An event-loop stall over half a second is logged with what ran: every Slack answer waits
on the loop, and nothing else would show which work kept it."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from emulator import SlackEmulator
from tests.conftest import running_warroom


def _render_the_whole_timeline() -> None:
    """Work that keeps the loop, as a long render or a blocking call would."""
    time.sleep(0.8)


async def test_a_stall_of_the_running_bot_is_logged_with_what_ran(
    slack: SlackEmulator, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.basics.stalls")
    async with running_warroom(slack, database_url):
        await asyncio.sleep(0.3)
        _render_the_whole_timeline()
        await asyncio.sleep(0.5)
    said = [r.getMessage() for r in caplog.records if r.name == "bot.basics.stalls"]
    # Others may be said too (a loaded machine starting the bot): this one once, with its length.
    ours = [text for text in said if "in _render_the_whole_timeline" in text]
    assert len(ours) == 1, said
    length = float(ours[0].split("stalled for ")[1].split(" s")[0])
    assert 0.7 <= length < 5


async def test_a_normal_start_logs_no_stall(
    slack: SlackEmulator, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Start-up's imports and migrations keep the loop before anything is answered: the
    watch starts once the bot has, so none of them is logged as a stall with its stack."""
    caplog.set_level(logging.WARNING, logger="bot.basics.stalls")
    async with running_warroom(slack, sqlite_url):
        pass
    said = [r.getMessage() for r in caplog.records if r.name == "bot.basics.stalls"]
    assert not [text for text in said if "importlib" in text or "alembic" in text], said
