"""``/incident time <milestone> <when>``: set or correct a milestone time after the fact."""

from __future__ import annotations

from bot.basics.errors import UsageError
from bot.flows.incident.findings import fix_milestone
from bot.record.incident.milestones import SETTABLE, milestone_named
from bot.services import Services
from bot.store.models import Milestone
from commands.arguments import first_word
from commands.base import CommandRequest, Subcommand

NAMES = ", ".join(milestone.value for milestone in SETTABLE)


def validate(args: str) -> tuple[Milestone, str]:
    word, when = first_word(args)
    milestone = milestone_named(word)
    if milestone is None or milestone not in SETTABLE:
        raise UsageError(f"Name a milestone: {NAMES}.")
    if not when:
        raise UsageError("Say when, like `10:30`, `yesterday 14:05` or `2023-11-07 16:45 UTC`.")
    return milestone, when


async def set_time(request: CommandRequest, services: Services) -> None:
    milestone, when = validate(request.args)
    await fix_milestone(
        services,
        channel_id=request.channel_id,
        by=request.user_id,
        milestone=milestone,
        when=when,
    )


SUBCOMMAND = Subcommand(
    name="time",
    usage=f"time <{'|'.join(m.value for m in SETTABLE)}> <when>",
    summary="Set when something happened (`time started 10:30am PST`)",
    handler=set_time,
    validate=validate,
)
