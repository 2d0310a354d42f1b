"""``/incident ack`` and the Acknowledge button: an escalated person says they are on it."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.basics.numbers import DATABASE_ID_MAX, parse_bounded_int
from bot.flows.escalation import acknowledge
from bot.flows.replies import run_and_reply
from bot.services import Services
from commands.base import CommandRequest, Subcommand


async def ack_command(request: CommandRequest, services: Services) -> None:
    await acknowledge(services, channel_id=request.channel_id, user_id=request.user_id)


async def handle_acknowledge_button(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    """The button on an escalation message: acknowledge that escalation."""
    await ack()
    services: Services = context["services"]
    action = (body.get("actions") or [{}])[0]
    value = str(action.get("value") or "")
    channel_id = str((body.get("channel") or {}).get("id") or "")
    user_id = str((body.get("user") or {}).get("id") or "")
    escalation = parse_bounded_int(value, 1, DATABASE_ID_MAX)
    if escalation is None or not channel_id or not user_id:
        return
    services.background.spawn(
        run_and_reply(
            services,
            str(body.get("response_url") or ""),
            _acknowledge(services, channel_id, user_id, escalation),
        ),
        name="acknowledge button",
    )


async def _acknowledge(services: Services, channel_id: str, user_id: str, escalation: int) -> None:
    await acknowledge(services, channel_id=channel_id, user_id=user_id, escalation_id=escalation)


SUBCOMMAND = Subcommand(
    name="ack",
    usage="ack",
    summary="Acknowledge the escalation that brought you in",
    handler=ack_command,
)
