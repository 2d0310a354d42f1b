"""Slack deliveries already applied: the database, not memory, decides, so replicas agree."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models import ProcessedEvent


async def claim_event(session: AsyncSession, event_id: str) -> bool:
    """Record ``event_id`` as applied; False when it already was (a retry or another replica).

    The row is flushed inside the caller's transaction, so the claim and the work it guards
    commit together or not at all.
    """
    try:
        async with session.begin_nested():
            session.add(ProcessedEvent(event_id=event_id))
    except IntegrityError:
        return False
    return True
