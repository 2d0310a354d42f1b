"""``/oncall [who] [schedule]``: who is on call now and next, in your time zone."""

from __future__ import annotations

from bot.basics.slack_text import decode_entities
from bot.flows.oncall.common import OncallRefused
from bot.flows.oncall.who import who_is_on_call
from bot.services import Services
from commands.base import CommandRequest, Subcommand


def validate(args: str) -> str | None:
    """One schedule's name, or none (every schedule)."""
    words = decode_entities(args).split()
    if len(words) > 1:
        raise OncallRefused("one_schedule", field="schedule", text=" ".join(words))
    return words[0].lower() if words else None


async def who(request: CommandRequest, services: Services) -> str:
    return await who_is_on_call(
        services,
        asker=request.user_id,
        schedule_name=validate(request.args),
        named_as_subcommand=not request.subcommand and bool(request.args),
    )


SUBCOMMAND = Subcommand(
    name="who",
    usage="who [schedule]",
    summary="Who is on call now and next, with each shift's end, in your time zone",
    handler=who,
    validate=validate,
)
