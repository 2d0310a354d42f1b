"""The buttons of the possible causes' message: 👍 and 👎 on a cause, and "Working theory",
each applied in its channel's line (after what was typed before it), by whoever pressed."""

from __future__ import annotations

from typing import Any

from bot.flows.incident.causes import accept_theory, mark_cause
from bot.services import Services
from commands.buttons import apply_kept_press


async def apply_cause_up_press(services: Services, payload: dict[str, Any]) -> None:
    """👍: the person holds the cause likely."""
    await _mark(services, payload, 1)


async def apply_cause_down_press(services: Services, payload: dict[str, Any]) -> None:
    """👎: the person holds the cause unlikely."""
    await _mark(services, payload, -1)


async def apply_theory_press(services: Services, payload: dict[str, Any]) -> None:
    """Working theory: the cause becomes the incident's, a timeline entry says so."""
    await apply_kept_press(
        services,
        payload,
        lambda press: accept_theory(
            services, channel_id=press.channel_id, cause_id=press.value_id, user=press.user_id
        ),
    )


async def _mark(services: Services, payload: dict[str, Any], vote: int) -> None:
    await apply_kept_press(
        services,
        payload,
        lambda press: mark_cause(
            services,
            channel_id=press.channel_id,
            cause_id=press.value_id,
            user=press.user_id,
            vote=vote,
        ),
    )
