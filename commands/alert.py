"""The buttons of an alert's own message (a ``page`` route, no incident): Acknowledge,
Escalate (a menu: the next level, or "A person…", whose form pages the person chosen),
Snooze (a menu of lengths), Resolve and Declare incident (the declare form, filled from the
alert: bot/flows/alerting/declared.py). Thin: read the press, act
(bot/flows/paging/alert_pages.py, bot/flows/alerting/alert_actions.py), and the message
updates itself; a press that changes nothing, or a guest's, is answered privately.
Acknowledge is also beside each open alert on the person's App Home: the same flow, the
Home published afresh (a refusal said at its top)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.basics.numbers import DATABASE_ID_MAX, parse_bounded_int
from bot.basics.slack_ids import AlertEscalateModal, AlertMessage, input_state
from bot.flows.alerting.alert_actions import (
    escalatable,
    escalate_alert,
    escalate_alert_to,
    snooze_alert,
)
from bot.flows.alerting.declared import declarable
from bot.flows.home import publish_home
from bot.flows.paging.alert_pages import acknowledge_alert, resolve_alert
from bot.flows.replies import open_form, outcome, run_and_reply
from bot.services import Services
from bot.store.models import SEVERITIES
from commands.buttons import Press, answer_press, open_from_press
from commands.modal import TITLE_MAX, DeclareForm, declare_view

# The longest snooze a menu option can name, in minutes (what is offered is shorter).
_SNOOZE_MAX_MINUTES = 7 * 24 * 60


async def handle_acknowledge_press(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    if (body.get("container") or {}).get("type") == "view":
        return await _acknowledge_on_home(ack, body, context)

    async def act(services: Services, press: Press) -> str | None:
        await acknowledge_alert(services, press.value_id, user=press.user_id)
        return None  # the alert's message says it, for everyone

    await answer_press(ack, body, context, act, name="acknowledge an alert")


def _chosen(body: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A menu's choice (``<alert id>:<what>``) as a press of the alert's id, and the what."""
    action = (body.get("actions") or [{}])[0]
    chosen = str((action.get("selected_option") or {}).get("value") or "")
    group_id, _, what = chosen.partition(":")
    return {**body, "actions": [{**action, "value": group_id}]}, what


async def handle_escalate_choice(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    """Escalate's menu: "Next level" pages the policy's next level now; "A person…" opens
    the form that pages the person chosen (refused privately first for a guest, or an alert
    no longer triggered)."""
    as_press, what = _chosen(body)
    if what == AlertMessage.ESCALATE_PERSON:
        return await open_from_press(ack, as_press, context, _open_escalate_to)

    async def act(services: Services, press: Press) -> str | None:
        if what != AlertMessage.ESCALATE_NEXT:
            raise LookupError(f"no escalation {what!r}")
        await escalate_alert(services, press.value_id, user=press.user_id)
        return None

    await answer_press(ack, as_press, context, act, name="escalate an alert")


async def _open_escalate_to(services: Services, press: Press, trigger_id: str) -> str | None:
    group = await escalatable(services, press.value_id, user=press.user_id)
    metadata = {"alert": group.id, "response_url": press.response_url}
    view = services.renderer.render_json(
        "views/alert_escalate_modal.json.j2", alert=group, private_metadata=json.dumps(metadata)
    )
    await open_form(services, trigger_id, view)
    return None


async def handle_escalate_to_submission(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: Any
) -> None:
    """The person chosen in Escalate's form: paged now, as escalated by the submitter; a
    refusal (a guest, an alert acknowledged or resolved meanwhile, the person paged
    already) said privately where the menu was."""
    await ack()
    services: Services = context["services"]
    metadata = json.loads(view.get("private_metadata") or "{}")
    group_id = parse_bounded_int(str(metadata.get("alert") or ""), 1, DATABASE_ID_MAX)
    values = (view.get("state") or {}).get("values") or {}
    person = str(input_state(values, AlertEscalateModal.PERSON).get("selected_user") or "")
    user = str((body.get("user") or {}).get("id") or "")
    if group_id is None or not person or not user:
        return

    async def escalate() -> str | None:
        await escalate_alert_to(services, group_id, user=user, person=person)
        return None  # the alert's message says it, for everyone

    services.background.spawn(
        run_and_reply(services, str(metadata.get("response_url") or ""), escalate()),
        name="escalate an alert to a person",
    )


async def handle_snooze_choice(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    """A length chosen in the Snooze menu: its option's value is ``<alert id>:<minutes>``."""
    as_press, minutes_text = _chosen(body)
    minutes = parse_bounded_int(minutes_text, 1, _SNOOZE_MAX_MINUTES)

    async def act(services: Services, press: Press) -> str | None:
        if minutes is None:
            raise LookupError(f"no snooze length in {minutes_text!r}")
        await snooze_alert(services, press.value_id, user=press.user_id, minutes=minutes)
        return None

    await answer_press(ack, as_press, context, act, name="snooze an alert")


async def handle_resolve_press(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    async def act(services: Services, press: Press) -> str | None:
        await resolve_alert(services, press.value_id, user=press.user_id)
        return None

    await answer_press(ack, body, context, act, name="resolve an alert")


async def _acknowledge_on_home(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    """Acknowledge pressed beside an alert on the person's App Home: the message's flow, then
    their Home published afresh, saying at its top why nothing changed if it did not."""
    await ack()
    services: Services = context["services"]
    action = (body.get("actions") or [{}])[0]
    group_id = parse_bounded_int(str(action.get("value") or ""), 1, DATABASE_ID_MAX)
    user = str((body.get("user") or {}).get("id") or "")
    if group_id is None or not user:
        return

    async def acknowledge() -> str | None:
        await acknowledge_alert(services, group_id, user=user)
        return None

    async def work() -> None:
        refused = await outcome(services, acknowledge())
        event_id = f"alert-home-ack:{group_id}:{uuid.uuid4().hex}"
        await publish_home(services, team_id=None, user_id=user, event_id=event_id, notice=refused)

    services.background.spawn(work(), name="acknowledge an alert on the Home")


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
