"""``/incident lead @person``: make someone the incident commander."""

from __future__ import annotations

from bot.flows.incident.changes import set_lead
from bot.services import Services
from commands.arguments import user_mention
from commands.base import CommandRequest, Subcommand


def validate(args: str) -> None:
    user_mention(args, "Name the new commander")


async def lead(request: CommandRequest, services: Services) -> None:
    await set_lead(
        services, channel_id=request.channel_id, by=request.user_id, lead=user_mention(request.args)
    )


SUBCOMMAND = Subcommand(
    name="lead",
    usage="lead @person",
    summary="Make someone the incident commander",
    handler=lead,
    validate=validate,
)
