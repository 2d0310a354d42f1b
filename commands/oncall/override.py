"""``/oncall override [@person|nobody] <schedule> [--layer NAME] <start> to <end>``: put
someone (you, by default) on call for a while, or nobody (a deliberate gap), for the whole
schedule or one of its layers; the answer says whom it displaced. Someone outside the schedule
putting themselves on call asks its owners; here too are the owners' Accept and Reject
buttons."""

from __future__ import annotations

from dataclasses import dataclass

from bot.basics.slack_ids import CoverMessage
from bot.flows.oncall.common import OncallRefused
from bot.flows.oncall.covers import answer_cover
from bot.flows.oncall.overrides import Window, put_on_call
from bot.services import Services
from commands.base import CommandRequest, Subcommand
from commands.buttons import answer_buttons
from commands.oncall.arguments import layer_option, person_and_schedule, said_nobody, window


@dataclass(frozen=True)
class OverrideArgs:
    person: str | None  # None: the person typing, unless ``nobody``
    nobody: bool
    schedule: str
    window: Window
    layer: str | None = None


def validate(args: str) -> OverrideArgs:
    nobody, args = said_nobody(args)
    addressed = person_and_schedule(args, person_required=False)
    if nobody and addressed.person:
        raise OncallRefused("nobody_and_person", schedule=addressed.schedule, field="person")
    layer, rest = layer_option(addressed.rest, addressed.schedule)
    return OverrideArgs(
        addressed.person, nobody, addressed.schedule, window(rest, addressed.schedule), layer
    )


async def override(request: CommandRequest, services: Services) -> str:
    parsed = validate(request.args)
    return await put_on_call(
        services,
        by=request.user_id,
        user=None if parsed.nobody else parsed.person or request.user_id,
        schedule_name=parsed.schedule,
        window=parsed.window,
        layer=parsed.layer,
    )


# Accept or Reject on a request to be on call: an owner answers it.
handle_cover_button = answer_buttons(answer_cover, CoverMessage.ACCEPT, "a cover request")


SUBCOMMAND = Subcommand(
    name="override",
    usage="override [@person|nobody] <schedule> [--layer NAME] <start> to <end>",
    summary="Put someone (or yourself) on call for a while, like "
    "`override @erin payments-primary Fri 18:00 to Mon 09:00` or `... now for 2h`; in one "
    "layer only with `--layer shadow`; `nobody` for a deliberate gap; outside the schedule, "
    "yourself only, once an owner accepts",
    handler=override,
    validate=validate,
)
