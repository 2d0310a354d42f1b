"""``/incident impact <text>``: say who and what is affected (may be given several times)."""

from __future__ import annotations

from bot.flows.findings import record_finding
from bot.services import Services
from commands.arguments import statement
from commands.base import CommandRequest, Subcommand

WHAT = "who and what is affected, and how much"


def validate(args: str) -> str:
    return statement(args, WHAT)


async def impact(request: CommandRequest, services: Services) -> None:
    await record_finding(
        services,
        channel_id=request.channel_id,
        by=request.user_id,
        what="impact",
        text=validate(request.args),
    )


SUBCOMMAND = Subcommand(
    name="impact",
    usage="impact <who and what is affected>",
    summary="Record the impact for the postmortem (e.g. about 20% of users cannot check out)",
    handler=impact,
    validate=validate,
)
