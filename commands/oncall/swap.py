"""``/oncall swap @person <schedule> <shift date>``: ask someone by DM to swap shifts, and the
Accept and Decline buttons of that request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.basics.slack_ids import SwapMessage
from bot.flows.oncall.common import OncallRefused
from bot.flows.oncall.swaps import answer_swap, ask_for_swap
from bot.services import Services
from commands.base import CommandRequest, Subcommand
from commands.buttons import Press, answer_press
from commands.oncall.arguments import person_and_schedule


@dataclass(frozen=True)
class SwapArgs:
    person: str
    schedule: str
    when: str


def validate(args: str) -> SwapArgs:
    addressed = person_and_schedule(args, person_required=True)
    if not addressed.rest:
        raise OncallRefused("missing_date", schedule=addressed.schedule, field="shift date")
    assert addressed.person is not None
    return SwapArgs(addressed.person, addressed.schedule, addressed.rest)


async def swap(request: CommandRequest, services: Services) -> str:
    parsed = validate(request.args)
    return await ask_for_swap(
        services,
        by=request.user_id,
        of=parsed.person,
        schedule_name=parsed.schedule,
        when=parsed.when,
    )


async def handle_swap_button(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    """Accept or Decline on a swap request: answer it (a second press is told it was)."""

    async def answer(services: Services, press: Press) -> None:
        await answer_swap(
            services,
            swap_id=press.value_id,
            by=press.user_id,
            accept=press.action_id == SwapMessage.ACCEPT,
            channel=press.channel_id,
            message_ts=press.message_ts,
        )

    await answer_press(ack, body, context, answer, name="answer a swap")


SUBCOMMAND = Subcommand(
    name="swap",
    usage="swap @person <schedule> <shift date>",
    summary="Ask someone (by DM, with Accept and Decline) to take your shift of that date "
    "and give you their next one",
    handler=swap,
    validate=validate,
)
