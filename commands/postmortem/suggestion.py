"""The Accept and Edit buttons of the sections the team's model suggested for the postmortem
draft, and the form Edit opens. Accept is applied in its channel's line (after what was typed
before it); Edit opens its form at once (Slack's trigger_id lasts 3 s)."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.basics.errors import BotError
from bot.basics.numbers import DATABASE_ID_MAX, parse_bounded_int
from bot.basics.slack_ids import SuggestionModal, input_state
from bot.flows.postmortem.suggestions import accept_in_channel, editable_text
from bot.flows.replies import open_form, run_and_reply
from bot.services import Services
from commands.buttons import apply_kept_press, pressed


async def apply_accept_press(services: Services, payload: dict[str, Any]) -> None:
    """Accept, in its turn: the suggestion becomes the section's text, by whoever pressed."""
    await apply_kept_press(
        services,
        payload,
        lambda press: accept_in_channel(
            services, channel_id=press.channel_id, suggestion_id=press.value_id, by=press.user_id
        ),
    )


async def handle_edit_press(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    """Edit: open the form with the suggested text, at once."""
    await ack()
    services: Services = context["services"]
    press = pressed(body)
    if press is None:
        return
    trigger_id = str(body.get("trigger_id") or "")
    await run_and_reply(
        services,
        press.response_url,
        _open_form(services, trigger_id, press.channel_id, press.value_id, press.response_url),
    )


async def _open_form(
    services: Services, trigger_id: str, channel_id: str, suggestion_id: int, response_url: str
) -> None:
    incident, suggestion, text = await editable_text(
        services, channel_id=channel_id, suggestion_id=suggestion_id
    )
    metadata = {"channel_id": channel_id, "suggestion": suggestion_id, "response_url": response_url}
    view = services.renderer.render_json(
        "views/suggestion_modal.json.j2",
        incident=incident,
        suggestion=suggestion,
        model=services.settings.ai.model or "the model",
        text=text,
        private_metadata=json.dumps(metadata),
    )
    await open_form(services, trigger_id, view)


async def handle_edit_submission(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: Any
) -> None:
    """The edited text, accepted by whoever submitted it. Refused in the form itself when it
    is empty, or when the suggestion was accepted meanwhile."""
    services: Services = context["services"]
    metadata = json.loads(view.get("private_metadata") or "{}")
    values = (view.get("state") or {}).get("values") or {}
    text = str(input_state(values, SuggestionModal.TEXT).get("value") or "").strip()
    suggestion_id = parse_bounded_int(str(metadata.get("suggestion") or ""), 1, DATABASE_ID_MAX)
    channel_id = str(metadata.get("channel_id") or "")
    by = str((body.get("user") or {}).get("id") or "")
    if not text or suggestion_id is None:
        errors = {
            str(SuggestionModal.TEXT): services.renderer.render("messages/suggestion_empty.j2")
        }
        await ack(response_action="errors", errors=errors)
        return
    try:
        await editable_text(services, channel_id=channel_id, suggestion_id=suggestion_id)
    except BotError as error:
        said = services.renderer.render(error.template, **error.context)
        await ack(response_action="errors", errors={str(SuggestionModal.TEXT): said})
        return
    await ack()
    services.background.spawn(
        run_and_reply(
            services,
            str(metadata.get("response_url") or ""),
            accept_in_channel(
                services, channel_id=channel_id, suggestion_id=suggestion_id, by=by, text=text
            ),
        ),
        name="accept an edited suggestion",
    )
