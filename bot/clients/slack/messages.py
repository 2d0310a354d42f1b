"""A Slack message object (an event's, a shortcut's, ``conversations.history``'s) as plain values.

One reading for every place a message arrives, so each keeps the same facts: its text in
Slack's encoding (bot.basics.slack_text) and, for another app's post, that app's name: a
``bot_message`` carries ``username``, and an app's post carries ``bot_profile.name``
(https://docs.slack.dev/reference/events/message/bot_message/).
"""

from __future__ import annotations

from typing import Any

from bot.basics.slack_text import SlackText
from bot.basics.timestamps import is_slack_ts
from bot.record.changes.sources.slack_channels import ChannelMessage
from bot.record.incident.messages import SaidMessage


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def app_name(message: dict[str, Any]) -> str | None:
    """The posting app's name, for a message an app (not a person) posted."""
    if not (_text(message.get("bot_id")) or message.get("subtype") == "bot_message"):
        return None
    profile = message.get("bot_profile")
    named = profile.get("name") if isinstance(profile, dict) else None
    return _text(message.get("username")) or _text(named)


def said_message(channel: str, message: dict[str, Any]) -> SaidMessage:
    """The message as the record keeps it."""
    thread_ts = message.get("thread_ts")
    return SaidMessage(
        channel=channel,
        ts=str(message.get("ts") or ""),
        text=SlackText.of(str(message.get("text") or "")),
        user=_text(message.get("user")),
        bot_id=_text(message.get("bot_id")),
        bot_name=app_name(message),
        thread_ts=thread_ts if is_slack_ts(thread_ts) else None,
        subtype=_text(message.get("subtype")),
    )


def change_message(channel: str, message: dict[str, Any]) -> ChannelMessage:
    """An app's post in a change channel: its text and attachments (``attachments``: the
    legacy fields apps still send, https://docs.slack.dev/messaging/formatting-message-text/
    #legacy-attachments) as it posted them."""
    attachments = message.get("attachments")
    return ChannelMessage(
        channel=channel,
        ts=str(message.get("ts") or ""),
        text=str(message.get("text") or ""),
        attachments=tuple(a for a in attachments or () if isinstance(a, dict))
        if isinstance(attachments, list)
        else (),
        app=app_name(message),
    )
