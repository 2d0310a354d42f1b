"""What the follow-up tests share: the three fake trackers (GitHub, Jira, Linear)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from emulator.trackers import FakeGitHub, FakeJira, FakeLinear
from tests.follow_ups.test_trackers import (
    GITHUB_TOKEN,
    JIRA_TOKEN,
    LINEAR_KEY,
    LINEAR_TEAM,
    Trackers,
)


@pytest.fixture
async def trackers() -> AsyncIterator[Trackers]:
    async with (
        FakeGitHub(token=GITHUB_TOKEN, repos={"acme/payments"}) as github,
        FakeJira(email="bot@acme.example", token=JIRA_TOKEN, projects={"OPS"}) as jira,
        FakeLinear(api_key=LINEAR_KEY, teams={LINEAR_TEAM: "ENG"}) as linear,
    ):
        yield Trackers(github, jira, linear)
