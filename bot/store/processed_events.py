"""Slack deliveries already applied: the database, not memory, decides, so replicas agree."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.db import insert_new
from bot.store.models import ProcessedEvent


async def claim_event(session: AsyncSession, event_id: str) -> bool:
    """Record ``event_id`` as applied; False when it already was (a retry or another replica).

    The claim is part of the caller's transaction, so it commits together with the work it
    guards, or not at all (and then Slack's retry is applied).
    """
    return await insert_new(session, ProcessedEvent(event_id=event_id))
