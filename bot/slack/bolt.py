"""The Bolt app: signature checks, dependency injection, listeners, one error path."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

import commands
from bot.flows.ingestion import IngestWriter
from bot.services import Services
from bot.slack import listeners, shortcuts

log = logging.getLogger(__name__)


def _not_the_token_notice(record: logging.LogRecord) -> bool:
    # Bolt reads SLACK_BOT_TOKEN from the environment by itself and then warns that the client
    # we give it (built from the same token) wins: true, expected, and noise at every start.
    return "`token` will be unused" not in record.getMessage()


def build_bolt_app(services: Services, client: AsyncWebClient, ingest: IngestWriter) -> AsyncApp:
    """Build the Bolt app that serves HTTP and Socket Mode alike; events go to ``ingest``."""
    bolt_log = logging.getLogger("warroom.bolt")
    if _not_the_token_notice not in bolt_log.filters:
        bolt_log.addFilter(_not_the_token_notice)
    app = AsyncApp(
        client=client,
        signing_secret=str(services.settings.slack_signing_secret) or None,
        # Slack gets its answer only after the listener has finished, so an event is answered
        # 200 only once it is in the database: the listener awaits its batch's commit in the
        # IngestWriter (a failure answers 5xx and Slack retries).
        # Commands and actions ack first and hand slow work to services.background.
        process_before_response=True,
        # The bot's own posts are part of the channel's record; its own reactions are
        # filtered in the reaction listener.
        ignoring_self_events_enabled=False,
        logger=bolt_log,
    )

    async def inject_services(context: Any, next: Callable[[], Awaitable[None]]) -> None:
        # Inject only: Bolt runs the listener after middleware returns, so no session here.
        context["services"] = services
        context["ingest"] = ingest
        await next()

    app.use(inject_services)
    app.error(_log_unexpected_error)
    commands.register(app)
    listeners.register(app)
    shortcuts.register(app)
    return app


async def _log_unexpected_error(error: Exception, body: dict[str, Any]) -> BoltResponse:
    reference = uuid.uuid4().hex[:8]
    log.error(
        "unhandled error in a Slack listener (ref %s, type %s)",
        reference,
        body.get("type") or body.get("command"),
        exc_info=error,
    )
    return BoltResponse(status=500, body="")
