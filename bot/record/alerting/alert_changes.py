"""The alert changes a channel has not shown yet: each alert whose status its incident's (or
its group's) channel has not posted, taken marked shown, and put back when the post fails.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import Alert


@dataclass(frozen=True)
class AlertChange:
    """An alert whose current status a channel has not shown yet."""

    alert: Alert
    shown_before: str | None


async def take_unposted(
    session: AsyncSession, *, incident_id: int | None = None, group_id: int | None = None
) -> list[AlertChange]:
    """The incident's (or, without an incident, the group's) alerts whose status is not shown
    yet, marked shown (the caller holds the incident's or group's lock, and commits)."""
    statement = select(Alert).where(
        or_(col(Alert.posted_status).is_(None), col(Alert.posted_status) != col(Alert.status))
    )
    if incident_id is not None:
        statement = statement.where(Alert.incident_id == incident_id)
    else:
        statement = statement.where(Alert.group_id == group_id, col(Alert.incident_id).is_(None))
    rows = (await session.exec(statement.order_by(col(Alert.starts_at), col(Alert.id)))).all()
    changes = [AlertChange(alert=row, shown_before=row.posted_status) for row in rows]
    for row in rows:
        row.posted_status = row.status
        session.add(row)
    return changes


async def restore_unposted(session: AsyncSession, changes: Iterable[AlertChange]) -> None:
    """Undo ``take_unposted`` when the post did not make it (the caller commits)."""
    for change in changes:
        await session.exec(
            update(Alert)
            .where(col(Alert.id) == change.alert.id)
            .values(posted_status=change.shown_before)
        )
