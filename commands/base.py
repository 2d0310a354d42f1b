"""The shape every ``/incident`` subcommand shares."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from bot.errors import BotError
from bot.services import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CommandRequest:
    """One ``/incident`` invocation, as plain values."""

    team_id: str
    user_id: str
    channel_id: str
    subcommand: str
    args: str
    response_url: str
    trigger_id: str
    # The routing table this request went through, so `help` lists exactly what routes.
    table: Sequence[Subcommand] = field(default=(), repr=False)


# A handler does the work and returns the private reply for the person, or None.
Handler = Callable[[CommandRequest, Services], Awaitable[str | None]]
Validator = Callable[[str], None]


def no_validation(_args: str) -> None:
    """Accept any arguments."""


@dataclass(frozen=True)
class Subcommand:
    """A routable subcommand: its name, how to use it, and what runs it."""

    name: str
    usage: str
    summary: str
    handler: Handler
    # Checks the arguments before Slack is acknowledged; raises UsageError. No I/O here.
    validate: Validator = no_validation
    # Shown at once in the acknowledgement while slow work runs (None: acknowledge silently).
    ack_template: str | None = None


async def run_and_reply(
    services: Services,
    response_url: str,
    work: Awaitable[str | None],
    subcommand: Subcommand | None = None,
) -> None:
    """Run slow work after the ack; send its reply, or a clear error, to the person privately."""
    render = services.renderer.render
    try:
        reply = await work
    except BotError as error:
        reply = render(error.template, subcommand=subcommand, **error.context)
    except Exception:
        reference = uuid.uuid4().hex[:8]
        log.exception("command failed (ref %s)", reference)
        reply = render("messages/internal_error.j2", reference=reference)
    if reply and response_url:
        await services.slack.reply(response_url, reply)
