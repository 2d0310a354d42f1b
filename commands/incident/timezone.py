"""``/incident timezone <zone>``: show this incident's times in another zone."""

from __future__ import annotations

from bot.basics.errors import UsageError
from bot.flows.incident.findings import change_timezone
from bot.services import Services
from commands.base import CommandRequest, Subcommand


def validate(args: str) -> str:
    zone = args.strip()
    if not zone or len(zone.split()) != 1:
        raise UsageError("Name one zone, like `Africa/Nairobi`, `Europe/Paris` or `PST`.")
    return zone


async def timezone(request: CommandRequest, services: Services) -> None:
    await change_timezone(
        services, channel_id=request.channel_id, by=request.user_id, zone=validate(request.args)
    )


SUBCOMMAND = Subcommand(
    name="timezone",
    usage="timezone <zone>",
    summary="Show this incident's times in another zone (e.g. Africa/Nairobi)",
    handler=timezone,
    validate=validate,
)
