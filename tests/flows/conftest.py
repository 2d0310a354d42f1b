"""Fixtures the flows' test modules share: the fake PagerDuty with the escalation tests'
policies, and the three fake trackers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from emulator import FakePagerDuty
from emulator.trackers import FakeGitHub, FakeJira, FakeLinear
from tests.flows.test_escalation import POLICIES, policy_settings
from tests.flows.test_trackers import (
    GITHUB_TOKEN,
    JIRA_TOKEN,
    LINEAR_KEY,
    LINEAR_TEAM,
    Trackers,
)


@pytest.fixture
async def pagerduty() -> AsyncIterator[FakePagerDuty]:
    async with FakePagerDuty() as fake:
        yield fake


@pytest.fixture
def paging_settings(tmp_path: Path, pagerduty: FakePagerDuty) -> dict[str, Any]:
    return policy_settings(tmp_path, pagerduty, POLICIES)


@pytest.fixture
async def trackers() -> AsyncIterator[Trackers]:
    async with (
        FakeGitHub(token=GITHUB_TOKEN, repos={"acme/payments"}) as github,
        FakeJira(email="bot@acme.example", token=JIRA_TOKEN, projects={"OPS"}) as jira,
        FakeLinear(api_key=LINEAR_KEY, teams={LINEAR_TEAM: "ENG"}) as linear,
    ):
        yield Trackers(github, jira, linear)
