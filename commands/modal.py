"""``/incident`` with no text: a modal asking for title, severity and description."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.basics.errors import BotError
from bot.basics.slack_ids import DeclareModal, input_state
from bot.basics.slack_text import SlackText
from bot.clients.slack_errors import SlackGone
from bot.flows.declare import Declaration
from bot.flows.replies import declare_in_background
from bot.services import Services
from bot.store.models import SEVERITIES
from commands.base import CommandRequest
from commands.start import TITLE_MAX

_NO_FORM = (
    "Slack could not open the form in time. Run `/incident` again, "
    "or declare directly with `/incident start <title>`."
)


async def open_declare_modal(request: CommandRequest, services: Services) -> None:
    """Open the declare modal; the origin travels in private_metadata for the reply."""
    metadata = json.dumps({"channel_id": request.channel_id, "response_url": request.response_url})
    view = services.renderer.render_json(
        "views/declare_modal.json.j2",
        severities=SEVERITIES,
        default_severity=services.settings.default_severity,
        private_metadata=metadata,
        title_max=TITLE_MAX,
    )
    if not request.trigger_id:
        raise BotError(_NO_FORM)
    try:
        await services.slack.open_view(request.trigger_id, view)
    except SlackGone:
        # The trigger_id is malformed, too old (3 s) or already used.
        raise BotError(_NO_FORM) from None
    return None


def _submitted(view: dict[str, Any]) -> tuple[str, str, str, bool]:
    values = view.get("state", {}).get("values", {})
    title = str(input_state(values, DeclareModal.TITLE).get("value") or "").strip()
    chosen = input_state(values, DeclareModal.SEVERITY).get("selected_option") or {}
    description = str(input_state(values, DeclareModal.DESCRIPTION).get("value") or "").strip()
    ticked = input_state(values, DeclareModal.VISIBILITY).get("selected_options") or []
    private = any(isinstance(o, dict) and o.get("value") == "private" for o in ticked)
    # A modal's input is what the person typed, not Slack text: encoded once, here.
    return (
        SlackText.from_plain(" ".join(title.split())),
        str(chosen.get("value") or ""),
        SlackText.from_plain(description),
        private,
    )


async def handle_declare_submission(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: Any
) -> None:
    """Declare the incident described in the submitted modal."""
    services: Services = context["services"]
    title, severity, description, private = _submitted(view)
    if not title:
        await ack(
            response_action="errors", errors={DeclareModal.TITLE: "Give the incident a title."}
        )
        return
    await ack()
    metadata = json.loads(view.get("private_metadata") or "{}")
    declaration = Declaration(
        team_id=str(body.get("team", {}).get("id") or view.get("team_id") or ""),
        title=title,
        declared_by=str(body.get("user", {}).get("id", "")),
        severity=severity if severity in SEVERITIES else services.settings.default_severity,
        description=description,
        private=private,
    )

    declare_in_background(services, declaration, str(metadata.get("response_url", "")))
