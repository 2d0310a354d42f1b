"""What the alert tests share: the route's channel and Carol's phone."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from emulator import Channel, FakeNtfy, SlackEmulator
from tests.conftest import ALICE


@pytest.fixture
async def ops(slack: SlackEmulator) -> Channel:
    """#ops-alerts, where a page route's alerts show (the bot is a member)."""
    return slack.create_channel("ops-alerts", creator=ALICE, members=[slack.bot_user_id, ALICE])


@pytest.fixture
async def ntfy() -> AsyncIterator[FakeNtfy]:
    """ntfy, faked on 127.0.0.1: the pushes each phone got."""
    async with FakeNtfy() as fake:
        yield fake
