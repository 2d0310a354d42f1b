"""The curated timeline of an incident."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import Incident, TimelineEntry, TimelineKind


def add_entry(
    session: AsyncSession,
    incident: Incident | int,
    *,
    kind: TimelineKind,
    text: str,
    author: str | None,
    occurred_at: datetime,
    slack_channel: str | None = None,
    slack_ts: str | None = None,
) -> TimelineEntry:
    """Add an entry to the incident's timeline (the caller commits)."""
    incident_id = incident if isinstance(incident, int) else incident.id
    assert incident_id is not None, "incident must be flushed before its timeline grows"
    entry = TimelineEntry(
        incident_id=incident_id,
        kind=kind.value,
        text=text,
        author=author,
        occurred_at=occurred_at,
        slack_channel=slack_channel,
        slack_ts=slack_ts,
    )
    session.add(entry)
    return entry


async def entries(session: AsyncSession, incident_id: int) -> Sequence[TimelineEntry]:
    """The incident's timeline, oldest first (ties keep the order they were recorded in)."""
    statement = (
        select(TimelineEntry)
        .where(TimelineEntry.incident_id == incident_id)
        .order_by(col(TimelineEntry.occurred_at), col(TimelineEntry.id))
    )
    return (await session.exec(statement)).all()
