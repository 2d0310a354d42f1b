"""What every listener and flow needs, built once per application and passed in."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import aiohttp
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.background import BackgroundTasks
from bot.config import Settings
from bot.metrics import Metrics
from bot.models import utcnow
from bot.render import Renderer
from bot.slack.workspace import SlackWorkspace


@dataclass(frozen=True)
class Services:
    """The application's collaborators: settings, database, Slack, templates and the clock."""

    settings: Settings
    engine: AsyncEngine
    slack: SlackWorkspace
    renderer: Renderer
    # Taken as a dependency so tests (and the demo) can move time: escalation timers,
    # reminders and retries are due by this clock.
    clock: Callable[[], datetime] = utcnow
    background: BackgroundTasks = field(default_factory=BackgroundTasks)
    # For calls to other services (PagerDuty); None only in tests that make none.
    http: aiohttp.ClientSession | None = None
    # Set to have the job runner look for due jobs now instead of at its next poll.
    job_signal: asyncio.Event = field(default_factory=asyncio.Event)
    # What GET /metrics shows; one-off commands get a registry nobody reads.
    metrics: Metrics = field(default_factory=Metrics)

    def wake_jobs(self) -> None:
        """Ask the job runner to look for due work now (new work was just scheduled)."""
        self.job_signal.set()
