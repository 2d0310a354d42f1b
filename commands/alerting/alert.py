"""The buttons of an alert's own message (a ``page`` route, no incident): Acknowledge,
Escalate (a menu: the next level, or "A person…", whose form pages the person chosen),
Snooze (a menu of lengths), Resolve, Declare incident (the declare form, filled from the
alert: bot/flows/alerting/declared.py) and a menu of "Acknowledge all mine" and "Resolve all
mine" (every open alert of its service, or route, paged to the chooser:
bot/flows/alerting/many.py). Thin: read the press, act
(bot/flows/paging/alert_pages.py, bot/flows/alerting/alert_actions.py), and the message
updates itself; a press that changes nothing, or a guest's, is answered privately.
The same acts are beside each open alert on its people's App Home (the same action ids, so
these same listeners): their Home published afresh, a refusal said at its top."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable
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
from bot.flows.alerting.many import ACKNOWLEDGE, RESOLVE, act_on_mine
from bot.flows.home.publishing import publish_home
from bot.flows.paging.alert_pages import acknowledge_alert, resolve_alert
from bot.flows.replies import open_form, outcome, run_and_reply
from bot.services import Services
from bot.store.models import SEVERITIES
from commands.buttons import Answer, Opener, Press, pressed
from commands.incident.modal import TITLE_MAX, DeclareForm, declare_view

# The longest snooze a menu option can name, in minutes (what is offered is shorter).
_SNOOZE_MAX_MINUTES = 7 * 24 * 60


async def handle_acknowledge_press(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    async def act(services: Services, press: Press) -> str | None:
        await acknowledge_alert(services, press.value_id, user=press.user_id)
        return None  # the alert's message says it, for everyone

    await _answer_alert(ack, body, context, act, name="acknowledge an alert")


def _alert_press(body: dict[str, Any]) -> Press | None:
    """The press of an alert's act: on its message (``pressed``), or beside the alert on a
    person's App Home (``on_home``: no channel, no message, no response_url)."""
    if (body.get("container") or {}).get("type") != "view":
        press = pressed(body)
        return press if press is not None and press.message_ts else None
    action = (body.get("actions") or [{}])[0]
    value_id = parse_bounded_int(str(action.get("value") or ""), 1, DATABASE_ID_MAX)
    user_id = str((body.get("user") or {}).get("id") or "")
    if value_id is None or not user_id:
        return None
    return Press(
        action_id=str(action.get("action_id") or ""),
        value_id=value_id,
        user_id=user_id,
        channel_id="",
        message_ts="",
        response_url="",
        on_home=True,
    )


async def _told(
    services: Services, press: Press, work: Awaitable[str | None], *, fresh: bool = True
) -> None:
    """Run an act on an alert and tell the person what it says privately: pressed on the
    message, through its response_url; on their App Home, at the top of their Home published
    afresh (``fresh``: also when nothing was refused, so the act shows at once)."""
    if not press.on_home:
        return await run_and_reply(services, press.response_url, work)
    refused = await outcome(services, work)
    if refused or fresh:
        event_id = f"alert-home:{press.action_id}:{press.value_id}:{uuid.uuid4().hex}"
        await publish_home(
            services, team_id=None, user_id=press.user_id, event_id=event_id, notice=refused
        )


async def _answer_alert(
    ack: AsyncAck, body: dict[str, Any], context: Any, act: Answer, *, name: str
) -> None:
    """The listener of an alert's act, on its message or its people's App Home: answer
    Slack, then ``act`` in the background, told as ``_told`` says."""
    await ack()
    services: Services = context["services"]
    press = _alert_press(body)
    if press is None:
        return
    services.background.spawn(_told(services, press, act(services, press)), name=name)


async def _open_for_alert(
    ack: AsyncAck, body: dict[str, Any], context: Any, opener: Opener
) -> None:
    """The listener of an alert's act that opens a form (on its message or a Home): answer
    Slack, then open it at once, while the trigger_id is good (3 s); a refusal told."""
    await ack()
    services: Services = context["services"]
    press = _alert_press(body)
    if press is None:
        return
    trigger_id = str(body.get("trigger_id") or "")
    await _told(services, press, opener(services, press, trigger_id), fresh=False)


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
        return await _open_for_alert(ack, as_press, context, _open_escalate_to)

    async def act(services: Services, press: Press) -> str | None:
        if what != AlertMessage.ESCALATE_NEXT:
            raise LookupError(f"no escalation {what!r}")
        await escalate_alert(services, press.value_id, user=press.user_id)
        return None

    await _answer_alert(ack, as_press, context, act, name="escalate an alert")


async def _open_escalate_to(services: Services, press: Press, trigger_id: str) -> str | None:
    group = await escalatable(services, press.value_id, user=press.user_id)
    metadata = {"alert": group.id, "response_url": press.response_url, "home": press.on_home}
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
    # Where the menu was: the alert's message (its response_url), or the person's Home.
    press = Press(
        action_id=AlertEscalateModal.CALLBACK,
        value_id=group_id,
        user_id=user,
        channel_id="",
        message_ts="",
        response_url=str(metadata.get("response_url") or ""),
        on_home=bool(metadata.get("home")),
    )

    async def escalate() -> str | None:
        await escalate_alert_to(services, group_id, user=user, person=person)
        return None  # the alert's message says it, for everyone

    services.background.spawn(
        _told(services, press, escalate()), name="escalate an alert to a person"
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

    await _answer_alert(ack, as_press, context, act, name="snooze an alert")


async def handle_resolve_press(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    async def act(services: Services, press: Press) -> str | None:
        await resolve_alert(services, press.value_id, user=press.user_id)
        return None

    await _answer_alert(ack, body, context, act, name="resolve an alert")


async def handle_mine_choice(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    """The message's menu of acts on all the chooser's alerts: "Acknowledge all mine" or
    "Resolve all mine" (its option's value ``<alert id>:acknowledge|resolve``): every open
    alert of the message's service (its route's, when it has none) whose current firing
    paged the chooser, acted on together (as ``/alerts ack --mine`` does for all of theirs);
    what it did said privately ("3 acknowledged; 1 was already acknowledged")."""
    as_press, what = _chosen(body)
    acts: dict[str, str] = {
        AlertMessage.MINE_ACKNOWLEDGE: ACKNOWLEDGE,
        AlertMessage.MINE_RESOLVE: RESOLVE,
    }

    async def act(services: Services, press: Press) -> str | None:
        if what not in acts:
            raise LookupError(f"no act {what!r} on all mine")
        together, model = await act_on_mine(
            services, act=acts[what], user=press.user_id, via="slack", like=press.value_id
        )
        render = services.renderer.render
        return render("messages/alerts_acted.j2", together=together, empty="like", model=model)

    await _answer_alert(ack, as_press, context, act, name=f"{what} all mine")


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

    await _open_for_alert(ack, body, context, open_declare)
