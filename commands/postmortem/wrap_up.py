"""The message resolving posts (bot/flows/incident/wrap_up.py): *Wrap up* opens the form at once
(Slack's trigger_id lasts 3 s), *Skip* says it was skipped; and the form's submission, read
and checked here (times in the incident's zone, numbers, follow-up rows) so that what is wrong
is shown on the form, field by field. None of it waits in the channel's line: the incident
is resolved already, and nothing here changes what a command after it would see."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.basics.slack_ids import MEMO_OWNER_PREFIX, WrapUpModal, follow_up_input, input_state
from bot.basics.slack_text import SlackText
from bot.flows.follow_ups.owners import due_moment
from bot.flows.incident.wrap_up import (
    FOLLOW_UP_ROWS,
    AskedFollowUp,
    WrapUp,
    open_wrap_up_form,
    skip_wrap_up,
    wrap_up,
)
from bot.flows.replies import refusal_words, run_and_reply
from bot.record.incident.wrap_up import WHOLE_NUMBERS, read_number
from bot.record.moments import MomentRefused, parse_moment
from bot.services import Services
from commands.buttons import Press, answer_press, open_from_press
from commands.forms import read_fields

NUMBERS = {
    "customers": WrapUpModal.CUSTOMERS,
    "orders": WrapUpModal.ORDERS,
    "money": WrapUpModal.MONEY,
    "requests": WrapUpModal.REQUESTS,
}
# A database id's digits at most (a 64-bit integer).
ID_DIGITS = 18


async def handle_wrap_up_button(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    """*Wrap up* (or *Add more*): the form, opened at once."""

    async def opener(services: Services, press: Press, trigger_id: str) -> None:
        await open_wrap_up_form(
            services,
            trigger_id=trigger_id,
            incident_id=press.value_id,
            message_ts=press.message_ts,
            response_url=press.response_url,
        )

    await open_from_press(ack, body, context, opener)


async def handle_skip_wrap_up_button(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    """*Skip*: the message says who skipped it and how to add the same later."""

    async def skip(services: Services, press: Press) -> None:
        await skip_wrap_up(
            services, incident_id=press.value_id, by=press.user_id, message_ts=press.message_ts
        )

    await answer_press(ack, body, context, skip, name="skip the wrap-up")


async def handle_wrap_up_submission(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: Any
) -> None:
    """Check the form; what is wrong is shown under its field, else it is kept (after the
    ack) and the person told privately of follow-ups that read like earlier ones."""
    services: Services = context["services"]
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        metadata = {}
    metadata = metadata if isinstance(metadata, dict) else {}
    values = (view.get("state") or {}).get("values") or {}
    given, errors = read_wrap_up(services, values, str(metadata.get("zone") or "UTC"))
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    work = wrap_up(
        services,
        channel_id=str(metadata.get("channel") or ""),
        by=str((body.get("user") or {}).get("id") or ""),
        given=given,
        message_ts=str(metadata.get("ts") or ""),
    )
    services.background.spawn(
        run_and_reply(services, str(metadata.get("response_url") or ""), work),
        name="keep the wrap-up",
    )


def read_wrap_up(
    services: Services, values: dict[str, Any], zone: str
) -> tuple[WrapUp, dict[str, str]]:
    """What the form says, and the errors to show by block id."""
    errors: dict[str, str] = {}
    now = services.clock()

    def typed(block: str) -> str:
        return str(input_state(values, block).get("value") or "").strip()

    ended = None
    if text := typed(WrapUpModal.ENDED):
        try:
            ended = parse_moment(text, zone=zone, now=now)
        except MomentRefused as refusal:
            errors[WrapUpModal.ENDED] = refusal_words(services, refusal)
    numbers: dict[str, Decimal] = {}
    for key, block in NUMBERS.items():
        if raw := typed(block):
            number = read_number(raw, whole=key in WHOLE_NUMBERS)
            if number is None:
                problem = "whole_number" if key in WHOLE_NUMBERS else "number"
                errors[block] = services.renderer.render("messages/form_error.j2", problem=problem)
            else:
                numbers[key] = number
    trigger = typed(WrapUpModal.TRIGGER)
    fields = tuple(services.settings.incidents.types.fields.values())
    answers, field_errors = read_fields(services, values, fields)
    errors |= field_errors
    follow_ups = _follow_ups(services, values, zone, errors)
    given = WrapUp(
        ended=ended,
        numbers=numbers,
        trigger=SlackText.from_plain(trigger) if trigger else None,
        services=_services(values, typed(WrapUpModal.SERVICES)),
        fields=answers,
        follow_ups=follow_ups,
        memo_owners=_memo_owners(values),
    )
    return given, errors


def _memo_owners(values: dict[str, Any]) -> dict[int, str]:
    """The owners chosen for :memo: follow-ups, by the timeline entry's id."""
    owners = {}
    for block in values:
        key = str(block).removeprefix(MEMO_OWNER_PREFIX)
        if key == block or not key.isascii() or not key.isdigit() or len(key) > ID_DIGITS:
            continue
        owner = input_state(values, block).get("selected_user")
        if isinstance(owner, str) and owner:
            owners[int(key)] = owner
    return owners


def _services(values: dict[str, Any], typed: str) -> list[str]:
    """The components chosen, then the services typed (comma-separated), each once."""
    chosen = input_state(values, WrapUpModal.COMPONENTS).get("selected_options") or []
    names = [str(o.get("value") or "") for o in chosen if isinstance(o, dict)]
    names += typed.split(",")
    kept: dict[str, str] = {}
    for name in names:
        if name.strip():
            kept.setdefault(name.strip().lower(), name.strip())
    return list(kept.values())


def _follow_ups(
    services: Services, values: dict[str, Any], zone: str, errors: dict[str, str]
) -> list[AskedFollowUp]:
    """The rows given; a row with an owner or a date but no task is an error on its task."""
    rows = []
    for row in range(1, FOLLOW_UP_ROWS + 1):
        text = str(input_state(values, follow_up_input(row, "text")).get("value") or "").strip()
        owner = input_state(values, follow_up_input(row, "owner")).get("selected_user") or None
        day = input_state(values, follow_up_input(row, "due")).get("selected_date") or None
        if not text:
            if owner or day:
                errors[follow_up_input(row, "text")] = services.renderer.render(
                    "messages/form_error.j2", problem="task_missing"
                )
            continue
        due_at = None
        if day:
            try:
                due_at = due_moment(str(day), zone, services.clock())
            except MomentRefused as refusal:
                errors[follow_up_input(row, "due")] = refusal_words(services, refusal)
                continue
        rows.append(AskedFollowUp(SlackText.from_plain(text), owner and str(owner), due_at))
    return rows
