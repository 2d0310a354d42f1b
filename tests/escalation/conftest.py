"""What the escalation tests share: the fake PagerDuty, and the settings of their policies
paging through it (``paging_settings``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from emulator import FakePagerDuty
from tests.escalation.test_escalation import POLICIES, policy_settings


@pytest.fixture
async def pagerduty() -> AsyncIterator[FakePagerDuty]:
    async with FakePagerDuty() as fake:
        yield fake


@pytest.fixture
def paging_settings(tmp_path: Path, pagerduty: FakePagerDuty) -> dict[str, Any]:
    return policy_settings(tmp_path, pagerduty, POLICIES)
