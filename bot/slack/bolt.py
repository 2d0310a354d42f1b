"""The Bolt app: signature checks, dependency injection, listeners, one error path."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.logger import get_bolt_app_logger
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

import commands
from bot.flows.in_order import CommandLine
from bot.flows.ingestion import IngestWriter
from bot.services import Services
from bot.slack import home, listeners, shortcuts

log = logging.getLogger(__name__)


# What AsyncApp's constructor reads from the environment when an argument is missing
# (slack_bolt 1.30, app/async_app.py). SLACK_CLIENT_ID with SLACK_CLIENT_SECRET, which the web
# view's sign-in needs, make it load OAuthSettings and become an OAuth installation app that
# ignores the bot token and finds no installation for any request; the others would stand in
# for settings we pass. All of them come from bot.config's Settings instead.
BOLT_ENVIRONMENT = (
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_VERIFICATION_TOKEN",
)


@contextmanager
def _hidden_from_bolt(names: tuple[str, ...]) -> Iterator[None]:
    """Take ``names`` out of the environment while Bolt is built, then put them back.

    AsyncApp has no switch that stops it reading them (only an ``oauth_settings`` of our own
    would, and that is the OAuth mode itself). Building it is synchronous, so no other task
    of the loop runs in between.
    """
    kept = {name: os.environ.pop(name) for name in names if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(kept)


class WarroomBolt(AsyncApp):
    """Bolt's app, less the Web API client Bolt makes for each request where no listener
    would use it: an event ``EventRoutes`` answers itself (bot/slack/listeners.py), which is
    most of what Slack sends. slack_bolt 1.30's ``_init_context`` builds an AsyncWebClient for
    every request (so that a listener may change its token without touching another's),
    reading the proxy variables from the environment and the user agent each time: a
    measurable part of the server's CPU an event under ``bench/ingestion.py``
    (bench/RESULTS.md). Those requests get the app's own client, which is what the per-request
    one copies (the token, the address, the session, the retry handlers): Bolt's single-team
    authorization reads its token and, the first time, calls ``auth.test`` with it. A request
    that carries a function's token (``AttachingFunctionToken`` would set it on the client)
    gets a client of its own, as in Bolt."""

    _events_logger: logging.Logger | None = None

    def _init_context(self, req: AsyncBoltRequest) -> None:
        if not listeners.answered_here(req.body) or req.context.function_bot_access_token:
            super()._init_context(req)
            return
        if self._events_logger is None:
            self._events_logger = get_bolt_app_logger(
                app_name=self.name, base_logger=self._base_logger
            )
        req.context["logger"] = self._events_logger
        req.context["token"] = self._token
        req.context["client"] = self._async_client
        req.context["listener_runner"] = self.listener_runner


def build_bolt_app(
    services: Services, client: AsyncWebClient, ingest: IngestWriter, line: CommandLine
) -> AsyncApp:
    """Build the Bolt app that serves HTTP and Socket Mode alike; events go to ``ingest``,
    commands that act on a channel's incident to its ``line``.

    One workspace, one bot token: ``client``'s, which Bolt checks with ``auth.test``
    (single-workspace authorization), whatever the environment holds.
    """
    with _hidden_from_bolt(BOLT_ENVIRONMENT):
        app = WarroomBolt(
            # Named, or Bolt finds its caller's file name with inspect.stack(), which reads
            # the source of every frame above it, at every start.
            name="warroom.bolt",
            client=client,
            signing_secret=str(services.settings.slack.signing_secret),
            # Slack gets its answer only after the listener has finished, so an event is
            # answered 200 only once it is in the database: the listener awaits its batch's
            # commit in the IngestWriter (a failure answers 5xx and Slack retries).
            # Commands and actions ack once kept in their channel's line (or at once, what
            # needs no order) and hand slow work to services.background.
            process_before_response=True,
            # The bot's own posts are part of the channel's record; its own reactions are
            # filtered in the reaction listener.
            ignoring_self_events_enabled=False,
            logger=logging.getLogger("warroom.bolt"),
        )
    if app.oauth_flow is not None or app.installation_store is not None:
        raise RuntimeError("the Bolt app must authorize with the bot token alone")

    # First after Bolt's own: every listener's services, and events to theirs at once
    # (they are most of what Slack sends; bot/slack/listeners.py).
    listeners.register(app, services, ingest, line, commands.goes_in_line)
    app.error(_log_unexpected_error)
    commands.register(app)
    shortcuts.register(app)
    home.register(app)
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
