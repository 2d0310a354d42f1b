"""``/incident note <text>``: add a key event to the timeline at the time it is typed."""

from __future__ import annotations

from bot.basics.errors import UsageError
from bot.basics.slack_text import SlackText
from bot.flows.incident.recorder import add_note
from bot.services import Services
from commands.base import CommandRequest, Subcommand

NOTE_MAX = 3000


def validate(args: str) -> None:
    if not args.strip():
        raise UsageError("Say what happened.")
    if len(args) > NOTE_MAX:
        raise UsageError(f"Keep a note under {NOTE_MAX} characters.")


async def note(request: CommandRequest, services: Services) -> str:
    incident, entry = await add_note(
        services,
        channel=request.channel_id,
        author=request.user_id,
        text=SlackText(request.args.strip()),
    )
    return services.renderer.render("messages/noted.j2", incident=incident, entry=entry)


SUBCOMMAND = Subcommand(
    name="note",
    usage="note <text>",
    summary="Add a key event to the timeline, timed now",
    handler=note,
    validate=validate,
)
