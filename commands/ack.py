"""``/incident ack`` and the Acknowledge button: an escalated person says they are on it."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.flows.escalation import acknowledge
from bot.flows.replies import run_and_reply
from bot.services import Services
from commands.base import CommandRequest, Subcommand
from commands.buttons import pressed


async def ack_command(request: CommandRequest, services: Services) -> None:
    await acknowledge(services, channel_id=request.channel_id, user_id=request.user_id)


async def handle_acknowledge_button(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    """The button on an escalation message: acknowledge that escalation."""
    await ack()
    services: Services = context["services"]
    press = pressed(body)
    if press is None:
        return
    services.background.spawn(
        run_and_reply(
            services,
            press.response_url,
            _acknowledge(services, press.channel_id, press.user_id, press.value_id),
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
