"""Message shortcuts: "Add to incident timeline" and "Declare incident" (bot/slack/manifest.py)."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.basics.slack_ids import Shortcut, TimelineModal, input_state
from bot.basics.slack_text import SlackText, normalize_newlines, truncate
from bot.clients.slack.messages import said_message
from bot.config.incidents import PROMOTABLE_KINDS
from bot.flows.incident.declare import Declaration, declare_in_background
from bot.flows.incident.recorder import add_message_to_timeline
from bot.flows.replies import run_and_reply
from bot.record.incident.messages import SaidMessage
from bot.services import Services
from bot.store.models import TimelineKind

TITLE_FROM_MESSAGE_MAX = 80


def _said(body: dict[str, Any]) -> SaidMessage:
    message = body.get("message")
    channel = str((body.get("channel") or {}).get("id", ""))
    return said_message(channel, message if isinstance(message, dict) else {})


def _title_from(text: str) -> SlackText:
    """The message's first line, cut where a person would read it cut (never inside a link
    or a mention)."""
    first_line = next((line for line in normalize_newlines(text).split("\n") if line.strip()), "")
    title = " ".join(first_line.split()) or "Incident declared from a message"
    return truncate(title, TITLE_FROM_MESSAGE_MAX)


async def handle_declare_from_message(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    """One click: the message becomes the incident's description and its detection."""
    await ack()
    services: Services = context["services"]
    said = _said(body)
    declaration = Declaration(
        team_id=str((body.get("team") or {}).get("id", "")),
        title=_title_from(said.text),
        declared_by=str((body.get("user") or {}).get("id", "")),
        severity=services.settings.incidents.default_severity,
        description=said.text,
        origin=said,
    )

    declare_in_background(services, declaration, str(body.get("response_url", "")))


async def handle_add_to_timeline(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    """Open a small modal: which kind of moment, and optionally other words for it.

    The modal carries only where the message is: its text may be far longer than the 3,000
    characters of ``private_metadata`` (an emoji costs 12 there, JSON-escaped).
    """
    await ack()
    services: Services = context["services"]
    said = _said(body)
    metadata = {"channel": said.channel, "ts": said.ts, "response_url": body.get("response_url")}
    view = services.renderer.render_json(
        "views/add_to_timeline.json.j2",
        private_metadata=json.dumps(metadata),
        kinds=sorted(PROMOTABLE_KINDS),
        text=said.text,
    )
    services.background.spawn(
        run_and_reply(
            services,
            str(body.get("response_url", "")),
            services.slack.open_view(str(body.get("trigger_id", "")), view),
        ),
        name="open the add-to-timeline modal",
    )


async def handle_add_to_timeline_submission(
    ack: AsyncAck, view: dict[str, Any], context: Any
) -> None:
    """Put the message in the timeline as the chosen kind."""
    await ack()
    services: Services = context["services"]
    metadata = json.loads(view.get("private_metadata") or "{}")
    values = view.get("state", {}).get("values", {})
    chosen = (input_state(values, TimelineModal.KIND).get("selected_option") or {}).get("value")
    # A modal's input is what the person typed, not Slack text: encoded once, here.
    reworded = SlackText.from_plain(str(input_state(values, TimelineModal.TEXT).get("value") or ""))
    reworded = SlackText(reworded.strip())
    kind = TimelineKind(chosen) if chosen in PROMOTABLE_KINDS else TimelineKind.KEY_EVENT

    async def add() -> str:
        incident = await add_message_to_timeline(
            services,
            channel=str(metadata.get("channel", "")),
            ts=str(metadata.get("ts", "")),
            kind=kind,
            text=reworded,
        )
        return services.renderer.render(
            "messages/added_to_timeline.j2", incident=incident, kind=kind.value
        )

    services.background.spawn(
        run_and_reply(services, str(metadata.get("response_url") or ""), add()),
        name="add a message to the timeline",
    )


def register(app: AsyncApp) -> None:
    """Attach the shortcut listeners to the Bolt app."""
    app.message_shortcut(Shortcut.DECLARE_FROM_MESSAGE)(handle_declare_from_message)
    app.message_shortcut(Shortcut.ADD_TO_TIMELINE)(handle_add_to_timeline)
    app.view(TimelineModal.CALLBACK)(handle_add_to_timeline_submission)
