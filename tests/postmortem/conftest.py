"""Fixtures the postmortem tests share: an incident played to its resolution with the team's
model answering (``played``), and an incident declared on 7 November 2023, ready to be played
(``play``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from emulator import SlackEmulator
from emulator.openai_chat import FakeChatModel
from tests.conftest import ALICE, Clock, running_warroom
from tests.helpers.incidents import open_incident
from tests.helpers.replay import Replay
from tests.postmortem.test_draft_prompts import DAVE, DAY
from tests.postmortem.test_suggestions import Played
from tests.postmortem.test_suggestions import play as play_resolved


@pytest.fixture
async def played(
    people: SlackEmulator, sqlite_url: str, model: FakeChatModel
) -> AsyncIterator[Played]:
    async for each in play_resolved(people, sqlite_url, model):
        yield each


@pytest.fixture
async def play(slack: SlackEmulator, sqlite_url: str) -> AsyncIterator[Replay]:
    """An incident declared at 10:00 UTC on November 7, 2023, ready to be played."""
    slack.add_user(DAVE, "dave", "Dave Kowalski")
    async with running_warroom(slack, sqlite_url, Clock(DAY)) as warroom:
        replay = Replay(warroom, "UTC", DAY)
        replay.channel = await open_incident(warroom, "Checkout returns 500s")
        await replay.run("10:00 AM", ALICE, "time started 10:00")
        yield replay
