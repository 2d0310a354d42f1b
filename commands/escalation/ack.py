"""``/incident ack`` and the Acknowledge button: an escalated person says they are on it."""

from __future__ import annotations

from typing import Any

from bot.flows.escalation.acknowledging import acknowledge
from bot.services import Services
from commands.base import CommandRequest, Subcommand
from commands.buttons import apply_kept_press


async def ack_command(request: CommandRequest, services: Services) -> None:
    await acknowledge(services, channel_id=request.channel_id, user_id=request.user_id)


async def apply_acknowledge_press(services: Services, payload: dict[str, Any]) -> None:
    await apply_kept_press(
        services,
        payload,
        lambda press: _acknowledge(services, press.channel_id, press.user_id, press.value_id),
    )


async def _acknowledge(services: Services, channel_id: str, user_id: str, escalation: int) -> None:
    await acknowledge(services, channel_id=channel_id, user_id=user_id, escalation_id=escalation)


SUBCOMMAND = Subcommand(
    name="ack",
    usage="ack",
    summary="Acknowledge the escalation that brought you in",
    handler=ack_command,
)
