"""The buttons of an alert's own message (a ``page`` route, no incident): Acknowledge and
Resolve. Thin: read the press, act (bot/flows/paging/alert_pages.py), and the message
updates itself; a press that changes nothing, or a guest's, is answered privately."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.flows.paging.alert_pages import acknowledge_alert, resolve_alert
from bot.services import Services
from commands.buttons import Press, answer_press


async def handle_acknowledge_press(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    async def act(services: Services, press: Press) -> str | None:
        await acknowledge_alert(services, press.value_id, user=press.user_id)
        return None  # the alert's message says it, for everyone

    await answer_press(ack, body, context, act, name="acknowledge an alert")


async def handle_resolve_press(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    async def act(services: Services, press: Press) -> str | None:
        await resolve_alert(services, press.value_id, user=press.user_id)
        return None

    await answer_press(ack, body, context, act, name="resolve an alert")
