"""Route ``/oncall <subcommand> ...``; ``/oncall`` alone, or followed by a schedule's name, is
``who``. Guests of the workspace get none of it (the web view shows them no schedule): each
flow asks (``bot.flows.rights``), not this router."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.services import Services
from commands.oncall import who
from commands.oncall.table import SUBCOMMANDS
from commands.router import dispatch, find, parse_command


async def handle_oncall_command(ack: AsyncAck, command: dict[str, Any], context: Any) -> None:
    """Acknowledge within Slack's 3 seconds, then run the subcommand and reply privately."""
    services: Services = context["services"]
    request = parse_command(command, SUBCOMMANDS)
    subcommand = find(request)
    if subcommand is None:
        # Not a subcommand: the name of a schedule (or nothing), as `who` reads it.
        args = f"{request.subcommand} {request.args}".strip()
        request, subcommand = replace(request, subcommand="", args=args), who.SUBCOMMAND
    await dispatch(ack, request, services, subcommand)
