"""Whether the Slack app is still installed, as every replica reads it: a row while it is not.

Kept in the database, not in one process: the replica that learns of an uninstall (an event,
or a call answered ``token_revoked``) stops the others too, and a restart stays stopped until
Slack takes the token again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.db import insert_once
from bot.store.models import SlackInstallation


async def stop(session: AsyncSession, *, team_id: str, reason: str, now: datetime) -> bool:
    """Record that the app is gone from ``team_id`` (the caller commits); True if news."""
    return await insert_once(
        session, SlackInstallation(team_id=team_id, stopped_at=now, reason=reason)
    )


async def stopped(session: AsyncSession) -> SlackInstallation | None:
    """The workspace whose app is gone, if any (the bot serves one workspace)."""
    rows = await session.exec(
        select(SlackInstallation).order_by(col(SlackInstallation.stopped_at)).limit(1)
    )
    return rows.first()


async def resume(session: AsyncSession) -> bool:
    """Forget that the app was gone (the caller commits); True if it was."""
    result = await session.exec(delete(SlackInstallation))
    return bool(result.rowcount)
