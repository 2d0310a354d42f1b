"""``/incident resolve [summary]``: resolve the channel's incident and post the draft postmortem."""

from __future__ import annotations

from bot.basics.slack_text import SlackText
from bot.flows.resolve import resolve_incident
from bot.services import Services
from commands.base import CommandRequest, Subcommand


async def resolve(request: CommandRequest, services: Services) -> None:
    await resolve_incident(
        services,
        channel_id=request.channel_id,
        resolved_by=request.user_id,
        summary=SlackText(" ".join(request.args.split())),
    )
    return None


SUBCOMMAND = Subcommand(
    name="resolve",
    usage="resolve [summary]",
    summary="Resolve this channel's incident and post the postmortem draft",
    handler=resolve,
)
