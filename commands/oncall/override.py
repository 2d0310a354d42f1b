"""``/oncall override [@person] <schedule> <start> to <end>``: put someone (you, by default)
on call for a while; the answer says whom it displaced."""

from __future__ import annotations

from dataclasses import dataclass

from bot.flows.oncall.overrides import Window, put_on_call
from bot.services import Services
from commands.base import CommandRequest, Subcommand
from commands.oncall.arguments import person_and_schedule, window


@dataclass(frozen=True)
class OverrideArgs:
    person: str | None
    schedule: str
    window: Window


def validate(args: str) -> OverrideArgs:
    addressed = person_and_schedule(args, person_required=False)
    return OverrideArgs(
        addressed.person, addressed.schedule, window(addressed.rest, addressed.schedule)
    )


async def override(request: CommandRequest, services: Services) -> str:
    parsed = validate(request.args)
    return await put_on_call(
        services,
        by=request.user_id,
        user=parsed.person or request.user_id,
        schedule_name=parsed.schedule,
        window=parsed.window,
    )


SUBCOMMAND = Subcommand(
    name="override",
    usage="override [@person] <schedule> <start> to <end>",
    summary="Put someone (or yourself) on call for a while, like "
    "`override @erin payments-primary Fri 18:00 to Mon 09:00` or `... now for 2h`",
    handler=override,
    validate=validate,
)
