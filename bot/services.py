"""What every listener and flow needs, built once per application and passed in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.background import BackgroundTasks
from bot.config import Settings
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
    # Taken as a dependency so tests (and later, escalation timers) can move time.
    clock: Callable[[], datetime] = utcnow
    background: BackgroundTasks = field(default_factory=BackgroundTasks)
