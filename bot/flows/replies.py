"""Replying privately after the ack: the result of slow work, or a clear error.

The /incident subcommands (commands/) and the shortcuts (bot/slack/shortcuts.py) both reply
this way: here, below both, so neither imports the other.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable

from bot.basics.errors import BotError
from bot.clients.slack_errors import SlackFailure
from bot.flows.declare import Declaration, declare_incident
from bot.services import Services

log = logging.getLogger(__name__)


async def run_and_reply(
    services: Services,
    response_url: str,
    work: Awaitable[str | None],
    subcommand: object | None = None,
    *,
    command: str = "/incident",
) -> None:
    """Run slow work after the ack; send its reply, or a clear error, to the person privately
    (``subcommand`` of the slash ``command``: what a usage message shows)."""
    render = services.renderer.render
    try:
        reply = await work
    except BotError as error:
        reply = render(error.template, subcommand=subcommand, command=command, **error.context)
    except Exception:
        reference = uuid.uuid4().hex[:8]
        log.exception("command failed (ref %s)", reference)
        reply = render("messages/internal_error.j2", reference=reference)
    if reply and response_url:
        try:
            await services.slack.reply(response_url, reply)
        except SlackFailure as error:
            # Nothing else reaches the person; a bad or expired response_url is no bug here.
            log.warning("could not reply through the response_url: %r", error)


def declare_in_background(services: Services, declaration: Declaration, response_url: str) -> None:
    """Declare after the ack; tell the declarer where the war room is (or what went wrong)."""

    async def declare() -> str:
        incident = await declare_incident(services, declaration)
        return services.renderer.render("messages/incident_opened.j2", incident=incident)

    services.background.spawn(
        run_and_reply(services, response_url, declare()), name=f"declare {declaration.title!r}"
    )
