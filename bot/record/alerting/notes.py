"""The notes a sender adds to its alerts (Opsgenie's "Add Note to Alert"), a row each in
``alert_note``: the words, who, from where, when. Written as the request is applied
(``bot/flows/alerting/intake.py``); read for the alert's page and history, the JSON API, and
the incident the alert is in: said there at once when the alert's alerts are the incident's
already, else when the alert is attached to one (``attaching``), at the note's own time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.alerting.payloads import Note
from bot.record.incident.timeline import add_entry
from bot.store.models import Alert, AlertGroup, AlertNote, Incident, TimelineKind

# The most notes one alert's episode reads.
NOTES_MAX = 200


async def add_note(
    session: AsyncSession,
    group: AlertGroup,
    note: Note,
    *,
    by: str,
    via: str,
    at: datetime,
    payload_id: int | None,
) -> AlertNote:
    """Keep a note on the group's current episode (the caller holds its lock and commits),
    and say it on the incident its alerts are in, if they are in one. A request applied
    again (``warroom alerts replay``) keeps its note once."""
    assert group.id is not None
    if payload_id is not None:
        kept = select(AlertNote).where(col(AlertNote.payload_id) == payload_id)
        if (already := (await session.exec(kept)).first()) is not None:
            return already
    row = AlertNote(
        group_id=group.id,
        episode=group.episode,
        noted_by=by,
        noted_at=at,
        source=note.source,
        via=via,
        note=note.text,
        payload_id=payload_id,
    )
    session.add(row)
    # The incident its route opened, or the one it was declared as or attached to this episode.
    if group.incident_id is not None:
        name = group.title or await _latest_name(session, group.id) or group.group_key
        add_note_entry(session, group.incident_id, name, row)
    return row


async def _latest_name(session: AsyncSession, group_id: int) -> str | None:
    """The name of the group's latest alert (an incident's alerts' group keeps no title)."""
    statement = select(Alert).where(col(Alert.group_id) == group_id)
    latest = (await session.exec(statement.order_by(col(Alert.id).desc()).limit(1))).first()
    return latest.name if latest is not None else None


def add_note_entry(
    session: AsyncSession, incident: Incident | int, alert: str, row: AlertNote
) -> None:
    """The note on the alert named ``alert`` as an entry of the incident's timeline, at its
    own time."""
    facts: dict[str, Any] = {
        "alert_act": "noted",
        "alert": alert,
        "user": row.noted_by,
        "source": row.source,
        "via": row.via,
        "note": row.note,
    }
    add_entry(
        session,
        incident,
        kind=TimelineKind.ALERT,
        facts=facts,
        author=row.noted_by,
        occurred_at=row.noted_at,
    )


async def notes_of(session: AsyncSession, group_id: int, episode: int) -> list[AlertNote]:
    """The episode's notes, in the order they arrived (their requests' numbers after their
    times: notes of one moment are applied by jobs that may run in any order)."""
    statement = (
        select(AlertNote)
        .where(col(AlertNote.group_id) == group_id, col(AlertNote.episode) == episode)
        .order_by(col(AlertNote.noted_at), col(AlertNote.payload_id), col(AlertNote.id))
        .limit(NOTES_MAX)
    )
    return list((await session.exec(statement)).all())


async def latest_of(session: AsyncSession, group: AlertGroup) -> tuple[int, AlertNote | None]:
    """How many notes the group's episode holds, and the latest (for its message); (0, None),
    in one query, for the many alerts no sender notes."""
    episode = (col(AlertNote.group_id) == group.id, col(AlertNote.episode) == group.episode)
    statement = (
        select(AlertNote)
        .where(*episode)
        .order_by(
            col(AlertNote.noted_at).desc(),
            col(AlertNote.payload_id).desc(),
            col(AlertNote.id).desc(),
        )
        .limit(1)
    )
    latest = (await session.exec(statement)).first()
    if latest is None:
        return 0, None
    count = (await session.exec(select(func.count()).select_from(AlertNote).where(*episode))).one()
    return count, latest
