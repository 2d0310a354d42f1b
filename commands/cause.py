"""``/incident cause <text>``: record a root-cause finding for the postmortem."""

from __future__ import annotations

from bot.flows.findings import record_finding
from bot.services import Services
from commands.arguments import statement
from commands.base import CommandRequest, Subcommand

WHAT = "what caused the incident"


def validate(args: str) -> str:
    return statement(args, WHAT)


async def cause(request: CommandRequest, services: Services) -> None:
    await record_finding(
        services,
        channel_id=request.channel_id,
        by=request.user_id,
        what="cause",
        text=validate(request.args),
    )


SUBCOMMAND = Subcommand(
    name="cause",
    usage="cause <what caused it>",
    summary="Record a root-cause finding for the postmortem",
    handler=cause,
    validate=validate,
)
