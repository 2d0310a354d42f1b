"""``/oncall override [@person] <schedule> <start> to <end>``: put someone (you, by default)
on call for a while; the answer says whom it displaced. Someone outside the schedule putting
themselves on call asks its owners; here too are the owners' Accept and Reject buttons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.basics.slack_ids import CoverMessage
from bot.flows.oncall.covers import answer_cover
from bot.flows.oncall.overrides import Window, put_on_call
from bot.services import Services
from commands.base import CommandRequest, Subcommand
from commands.buttons import Press, answer_press
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


async def handle_cover_button(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    """Accept or Reject on a request to be on call: an owner answers it (a second press is
    told it was)."""

    async def answer(services: Services, press: Press) -> None:
        await answer_cover(
            services,
            request_id=press.value_id,
            by=press.user_id,
            accept=press.action_id == CoverMessage.ACCEPT,
            channel=press.channel_id,
            message_ts=press.message_ts,
        )

    await answer_press(ack, body, context, answer, name="answer a cover request")


SUBCOMMAND = Subcommand(
    name="override",
    usage="override [@person] <schedule> <start> to <end>",
    summary="Put someone (or yourself) on call for a while, like "
    "`override @erin payments-primary Fri 18:00 to Mon 09:00` or `... now for 2h`; "
    "outside the schedule, yourself only, once an owner accepts",
    handler=override,
    validate=validate,
)
