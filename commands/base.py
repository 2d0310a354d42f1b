"""The shape every subcommand shares, of ``/incident`` and of ``/oncall``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.services import Services


@dataclass(frozen=True)
class CommandRequest:
    """One slash command invocation (``/incident``, ``/oncall``), as plain values."""

    team_id: str
    user_id: str
    channel_id: str
    subcommand: str
    args: str
    response_url: str
    trigger_id: str
    # The routing table this request went through, so `help` lists exactly what routes.
    table: Sequence[Subcommand] = field(default=(), repr=False)
    # The slash command as Slack sent it, for usage and help texts.
    command: str = "/incident"
    # When its request reached this replica (the real clock, bot/flows/in_order.py), if known.
    arrived: datetime | None = None


# A handler does the work and returns the private reply for the person, or None.
Handler = Callable[[CommandRequest, Services], Awaitable[str | None]]
Validator = Callable[[str], object]


def no_validation(_args: str) -> None:
    """Accept any arguments."""


def always(_args: str) -> bool:
    return True


def never(_args: str) -> bool:
    return False


def with_arguments(args: str) -> bool:
    """Given arguments it acts on the incident; alone it opens a form (``trigger_id``: 3 s)."""
    return bool(args.strip())


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
    # Whether a request with these arguments waits for its turn in the channel's line, after
    # the commands typed there before it (bot/flows/in_order.py): what acts on the channel's
    # incident does. Not what needs no order and must be quick: opening a form (Slack's
    # trigger_id lasts 3 s), declaring a new incident, help.
    in_order: Callable[[str], bool] = always
