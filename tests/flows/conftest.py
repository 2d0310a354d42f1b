"""What the flows' test modules share: test_lanes runs the escalation tests' PagerDuty and
the follow-ups' trackers side by side, so their folders' fixtures are taken here too."""

from __future__ import annotations

from tests.escalation.conftest import pagerduty, paging_settings
from tests.follow_ups.conftest import trackers

__all__ = ["pagerduty", "paging_settings", "trackers"]
