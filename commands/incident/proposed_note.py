"""Accept on a timeline note an agent proposed: applied in its channel's line (after what was
typed before it), the note becomes an entry at its time, accepted by whoever pressed."""

from __future__ import annotations

from typing import Any

from bot.flows.incident.proposed_notes import accept_in_channel
from bot.services import Services
from commands.buttons import apply_kept_press


async def apply_accept_note_press(services: Services, payload: dict[str, Any]) -> None:
    """Accept, in its turn: the note becomes a timeline entry, accepted by whoever pressed."""
    await apply_kept_press(
        services,
        payload,
        lambda press: accept_in_channel(
            services, channel_id=press.channel_id, note_id=press.value_id, by=press.user_id
        ),
    )
