"""The shape every subcommand shares, of ``/incident`` and of ``/oncall``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

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


# A handler does the work and returns the private reply for the person, or None.
Handler = Callable[[CommandRequest, Services], Awaitable[str | None]]
Validator = Callable[[str], object]


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
