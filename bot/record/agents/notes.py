"""The timeline notes agents propose (``propose_timeline_note``): kept once their text passed
the checks, listed on the incident's page while nobody has accepted them, and marked accepted
with the entry they became."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.postmortem.evidence import entry_ref
from bot.store.models import ProposedNote, TimelineEntry


async def keep(
    session: AsyncSession,
    incident_id: int,
    *,
    text: str,
    at: datetime,
    cites: Sequence[str],
    meaning: dict[str, Any] | None,
    by: str,
    now: datetime,
) -> ProposedNote:
    """Keep a note that passed the checks (the caller commits)."""
    note = ProposedNote(
        incident_id=incident_id,
        text=text,
        occurred_at=at,
        cites=list(cites),
        meaning=meaning,
        proposed_by=by,
        proposed_at=now,
    )
    session.add(note)
    await session.flush()
    return note


async def note_in(session: AsyncSession, incident_id: int, note_id: int) -> ProposedNote | None:
    """The note with that id, if it is one of the incident's."""
    note = await session.get(ProposedNote, note_id)
    if note is None or note.incident_id != incident_id:
        return None
    return note


async def waiting(session: AsyncSession, incident_id: int) -> list[ProposedNote]:
    """The incident's notes nobody has accepted yet, in the order of their times."""
    rows = await session.exec(
        select(ProposedNote)
        .where(ProposedNote.incident_id == incident_id, col(ProposedNote.accepted_at).is_(None))
        .order_by(col(ProposedNote.occurred_at), col(ProposedNote.id))
    )
    return list(rows.all())


def accepted(note: ProposedNote, *, by: str, at: datetime, entry_id: int) -> None:
    """Mark the note accepted by ``by``, as the entry ``entry_id`` (the caller adds it)."""
    note.accepted_by = by
    note.accepted_at = at
    note.entry_id = entry_id


async def cited_links(
    session: AsyncSession, incident_id: int, note: ProposedNote
) -> dict[str, str]:
    """The link to its Slack message of each entry the note cites, by reference."""
    ids = sorted({int(ref[1:]) for ref in note.cites if ref[1:].isdigit()})
    if not ids:
        return {}
    rows = await session.exec(
        select(TimelineEntry.id, TimelineEntry.permalink).where(
            TimelineEntry.incident_id == incident_id, col(TimelineEntry.id).in_(ids)
        )
    )
    return {entry_ref(entry_id): link for entry_id, link in rows.all() if entry_id and link}
