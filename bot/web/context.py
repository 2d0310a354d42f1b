"""What every web handler needs, built once per application from the settings and services."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiohttp import web

from bot.clients.slack.errors import SlackFailure
from bot.clients.slack.web_api import SlackWorkspace
from bot.config import Settings
from bot.keys import services_key
from bot.record.postmortem.timeline_page import CuratedOrders
from bot.services import Services
from bot.web.sessions import Signer
from bot.web.visibility import Visibility


@dataclass(frozen=True)
class WebContext:
    settings: Settings
    services: Services
    signer: Signer
    visibility: Visibility
    # Incidents' curated timelines, shared by the tabs that read one while it is unchanged.
    curated: CuratedOrders = field(default_factory=CuratedOrders)

    @property
    def sign_in_off(self) -> bool:
        return self.settings.web.auth == "none"


web_key = web.AppKey("web", WebContext)
log = logging.getLogger(__name__)
# Waits between tries to learn the workspace at start-up, while Slack does not answer.
TEAM_ID_RETRY_SECONDS = (1.0, 5.0, 30.0, 120.0)


async def web_context_ctx(app: web.Application) -> AsyncIterator[None]:
    services = app[services_key]
    settings = services.settings
    # Without a configured secret (sign-in off), cookies only need to outlive this process.
    key = str(settings.web.session_secret).encode() or secrets.token_bytes(32)
    visibility = Visibility(services.slack, services.engine)
    app[web_key] = WebContext(settings, services, Signer(key), visibility)
    # Learnt now, in the background, so no page waits on auth.test (nor fails with Slack).
    learning = asyncio.create_task(_learn_team_id(services.slack))
    yield
    learning.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await learning


async def _learn_team_id(slack: SlackWorkspace) -> None:
    for attempt in itertools.count():
        try:
            await slack.team_id()
            return
        except SlackFailure as error:  # Slack down in any way: try again later
            wait = TEAM_ID_RETRY_SECONDS[min(attempt, len(TEAM_ID_RETRY_SECONDS) - 1)]
            # A blip is no news; still failing after a few minutes (a bad token?) is.
            level = logging.INFO if attempt < len(TEAM_ID_RETRY_SECONDS) else logging.WARNING
            log.log(level, "workspace not known yet (%s); asking again in %ss", error, wait)
            await asyncio.sleep(wait)


def web_context(request: web.Request) -> WebContext:
    return request.app[web_key]
