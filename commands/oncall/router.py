"""Route ``/oncall <subcommand> ...``; ``/oncall`` alone, or followed by a schedule's name, is
``who``. Guests of the workspace get none of it (the web view shows them no schedule)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.flows.oncall.common import refuse_guests
from bot.services import Services
from commands.base import CommandRequest, Handler, Subcommand
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
    await dispatch(ack, request, services, replace(subcommand, handler=_members_only(subcommand)))


def _members_only(subcommand: Subcommand) -> Handler:
    """The subcommand's handler, run once Slack says the person is no guest (asked after the
    ack: users.info may take longer than Slack waits)."""

    async def handler(request: CommandRequest, services: Services) -> str | None:
        await refuse_guests(services, request.user_id, reading=subcommand is who.SUBCOMMAND)
        return await subcommand.handler(request, services)

    return handler
