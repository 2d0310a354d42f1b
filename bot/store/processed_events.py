"""Slack deliveries already applied: the database, not memory, decides, so replicas agree.

Slack's own claims (an event's ``event_id``, a command's or an interaction's ``trigger_id``)
are forgotten after ``SLACK_CLAIMS_KEPT``: a signed request older than Slack's five minutes is
refused before it is claimed, and Slack retries an event for hours at most. The other claims
(a phone provider's reply whose signature carries no time; a tracker's change) are kept.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.db import insert_new
from bot.store.models import ProcessedEvent

# A slash command's or an interaction's trigger_id, claimed under this prefix.
TRIGGER_PREFIX = "slack-trigger:"
# Slack's Events API ids ("Ev0123..."): https://docs.slack.dev/apis/events-api/ ("event_id").
EVENT_PREFIX = "Ev"
SLACK_CLAIMS_KEPT = timedelta(days=1)


async def claim_event(session: AsyncSession, event_id: str) -> bool:
    """Record ``event_id`` as applied; False when it already was (a retry or another replica).

    The claim is part of the caller's transaction, so it commits together with the work it
    guards, or not at all (and then Slack's retry is applied).
    """
    return await insert_new(session, ProcessedEvent(event_id=event_id))


async def claim_trigger(session: AsyncSession, trigger_id: str) -> bool:
    """``claim_event`` for a slash command or an interaction, by its ``trigger_id``."""
    return await claim_event(session, f"{TRIGGER_PREFIX}{trigger_id}")


async def forget_slack_claims(session: AsyncSession, before: datetime) -> int:
    """Forget Slack's claims made before ``before`` (the caller commits); how many."""
    result = await session.exec(
        delete(ProcessedEvent).where(
            col(ProcessedEvent.received_at) < before,
            or_(
                col(ProcessedEvent.event_id).startswith(TRIGGER_PREFIX),
                col(ProcessedEvent.event_id).startswith(EVENT_PREFIX),
            ),
        )
    )
    return int(result.rowcount or 0)
