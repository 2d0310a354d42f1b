"""What the alert tests share: the route's channel, Carol's phone, and a warroom whose alert
routes page Carol at night (``night_paging``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.config import Secret
from emulator import Channel, FakeNtfy, SlackEmulator
from tests.conftest import ALICE, CAROL, Clock
from tests.helpers.alerts import QUEUES_POLICIES, TOKEN, routes
from tests.paging.scenario import SCHEDULES, paging_settings

# Tuesday 3 March 2026, 03:00 in Paris: Carol's night on call.
NIGHT = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
# Carol's phone, pushed to at once.
TOPIC = "carol-fake-source"
CONTACTS = {
    "people": {
        CAROL: {
            "contacts": {"push": {"ntfy": TOPIC}},
            "rules": [{"after": "0s", "notify": ["push"]}],
        }
    }
}


@pytest.fixture
async def ops(slack: SlackEmulator) -> Channel:
    """#ops-alerts, where a page route's alerts show (the bot is a member)."""
    return slack.create_channel("ops-alerts", creator=ALICE, members=[slack.bot_user_id, ALICE])


@pytest.fixture
async def ntfy() -> AsyncIterator[FakeNtfy]:
    """ntfy, faked on 127.0.0.1: the pushes each phone got."""
    async with FakeNtfy() as fake:
        yield fake


def night_paging(
    database_url: str,
    tmp_path: Path,
    ntfy: FakeNtfy,
    routes_file: dict[str, Any],
    **settings: object,
) -> dict[str, object]:
    """``warroom_settings`` at Carol's night on call, the queues policy paging her phone, the
    alert token set and ``routes_file``'s routes."""
    environ = paging_settings(
        tmp_path,
        CONTACTS,
        QUEUES_POLICIES,
        SCHEDULES,
        WARROOM_NTFY_URL=ntfy.root,
        WARROOM_PUBLIC_URL="https://warroom.example.com",
    )
    return {
        "database_url": database_url,
        "clock": Clock(NIGHT),
        "alerting__token": Secret(TOKEN),
        "alerting__routes": routes(routes_file),
        **environ,
        **settings,
    }
