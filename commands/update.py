"""``/incident update <text>``: a stakeholder update, here and in the announcement channel."""

from __future__ import annotations

from bot.basics.errors import UsageError
from bot.flows.changes import post_update
from bot.services import Services
from commands.base import CommandRequest, Subcommand

UPDATE_MAX = 3000


def validate(args: str) -> None:
    if not args.strip():
        raise UsageError("Say what is known, what is being done, and when the next update comes.")
    if len(args) > UPDATE_MAX:
        raise UsageError(f"Keep an update under {UPDATE_MAX} characters.")


async def update(request: CommandRequest, services: Services) -> str | None:
    posted = await post_update(
        services, channel_id=request.channel_id, by=request.user_id, text=request.args.strip()
    )
    if posted.waiting is None and posted.announce_error is None:
        return None
    return services.renderer.render(
        "messages/update_delayed.j2",
        incident=posted.incident,
        waiting=posted.waiting,
        channel=services.settings.announce_channel,
        announce_error=posted.announce_error,
    )


SUBCOMMAND = Subcommand(
    name="update",
    usage="update <text>",
    summary="Post a stakeholder update (also to the announcement channel)",
    handler=update,
    validate=validate,
)
