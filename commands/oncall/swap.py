"""``/oncall swap @person <schedule> <shift date>``: ask someone by DM to swap shifts, and the
Accept and Decline buttons of that request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.basics.numbers import DATABASE_ID_MAX, parse_bounded_int
from bot.basics.slack_ids import SwapMessage
from bot.flows.oncall.common import OncallRefused
from bot.flows.oncall.swaps import answer_swap, ask_for_swap
from bot.flows.replies import run_and_reply
from bot.services import Services
from commands.base import CommandRequest, Subcommand
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
    await ack()
    services: Services = context["services"]
    action = (body.get("actions") or [{}])[0]
    swap_id = parse_bounded_int(str(action.get("value") or ""), 1, DATABASE_ID_MAX)
    container = body.get("container") or {}
    channel = str(container.get("channel_id") or (body.get("channel") or {}).get("id") or "")
    message_ts = str(container.get("message_ts") or "")
    user_id = str((body.get("user") or {}).get("id") or "")
    if swap_id is None or not channel or not message_ts or not user_id:
        return
    work = answer_swap(
        services,
        swap_id=swap_id,
        by=user_id,
        accept=action.get("action_id") == SwapMessage.ACCEPT,
        channel=channel,
        message_ts=message_ts,
    )
    services.background.spawn(
        run_and_reply(services, str(body.get("response_url") or ""), work),
        name="answer a swap",
    )


SUBCOMMAND = Subcommand(
    name="swap",
    usage="swap @person <schedule> <shift date>",
    summary="Ask someone (by DM, with Accept and Decline) to take your shift of that date "
    "and give you their next one",
    handler=swap,
    validate=validate,
)
