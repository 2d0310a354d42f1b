"""The buttons of an alert's own message (a ``page`` route, no incident): Acknowledge,
Escalate, Snooze (a menu of lengths), Resolve and Declare incident (the declare form, filled
from the alert: bot/flows/alerting/declared.py). Thin: read the press, act
(bot/flows/paging/alert_pages.py, bot/flows/alerting/alert_actions.py), and the message
updates itself; a press that changes nothing, or a guest's, is answered privately."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.basics.numbers import parse_bounded_int
from bot.flows.alerting.alert_actions import escalate_alert, snooze_alert
from bot.flows.alerting.declared import declarable
from bot.flows.paging.alert_pages import acknowledge_alert, resolve_alert
from bot.flows.replies import open_form
from bot.services import Services
from bot.store.models import SEVERITIES
from commands.buttons import Press, answer_press, open_from_press
from commands.modal import TITLE_MAX, DeclareForm, declare_view

# The longest snooze a menu option can name, in minutes (what is offered is shorter).
_SNOOZE_MAX_MINUTES = 7 * 24 * 60


async def handle_acknowledge_press(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    async def act(services: Services, press: Press) -> str | None:
        await acknowledge_alert(services, press.value_id, user=press.user_id)
        return None  # the alert's message says it, for everyone

    await answer_press(ack, body, context, act, name="acknowledge an alert")


async def handle_escalate_press(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    async def act(services: Services, press: Press) -> str | None:
        await escalate_alert(services, press.value_id, user=press.user_id)
        return None

    await answer_press(ack, body, context, act, name="escalate an alert")


async def handle_snooze_choice(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    """A length chosen in the Snooze menu: its option's value is ``<alert id>:<minutes>``."""
    action = (body.get("actions") or [{}])[0]
    chosen = str((action.get("selected_option") or {}).get("value") or "")
    group_id, _, minutes_text = chosen.partition(":")
    minutes = parse_bounded_int(minutes_text, 1, _SNOOZE_MAX_MINUTES)

    async def act(services: Services, press: Press) -> str | None:
        if minutes is None:
            raise LookupError(f"no snooze length in {chosen!r}")
        await snooze_alert(services, press.value_id, user=press.user_id, minutes=minutes)
        return None

    as_press = {**body, "actions": [{**action, "value": group_id}]}
    await answer_press(ack, as_press, context, act, name="snooze an alert")


async def handle_resolve_press(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    async def act(services: Services, press: Press) -> str | None:
        await resolve_alert(services, press.value_id, user=press.user_id)
        return None

    await answer_press(ack, body, context, act, name="resolve an alert")


async def handle_declare_press(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    """Declare incident: the declare form, filled with the alert's title and severity; the
    alert travels in its private_metadata to the submission."""

    async def open_declare(services: Services, press: Press, trigger_id: str) -> str | None:
        group = await declarable(services, press.value_id, user=press.user_id)
        form = DeclareForm(
            title=group.title[:TITLE_MAX],
            severity=group.severity if group.severity in SEVERITIES else None,
        )
        origin = {"channel_id": press.channel_id, "response_url": press.response_url}
        view = declare_view(services, form, json.dumps({**origin, "alert": group.id}))
        await open_form(services, trigger_id, view)
        return None

    await open_from_press(ack, body, context, open_declare)
