"""Listeners for the Events API subscriptions in the manifest.

Slack retries any delivery that gets a non-2xx answer and disables apps that fail too often,
so every subscribed event has a listener. What each one records is defined here.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp


async def acknowledge_only(body: dict[str, Any]) -> None:
    """Events warroom subscribes to but does not act on yet (see README, "What works")."""


def register(app: AsyncApp) -> None:
    """Attach the event listeners to the Bolt app."""
    for event_type in (
        "message",
        "reaction_added",
        "reaction_removed",
        "member_joined_channel",
        "channel_archive",
        "group_archive",
    ):
        app.event(event_type)(acknowledge_only)
