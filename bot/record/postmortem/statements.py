"""What a person says for the draft where the record has nothing to say it from
(``DraftStatement``): who else was brought in when warroom escalated to nobody, or that
nobody was (``BROUGHT_IN``); that no path led the investigation astray (``MISLEADING``);
how the impact was stopped, when no message is marked as the mitigation (``MITIGATION``).
Said on the draft's page; a later statement replaces the earlier one. The record's own facts
win: an escalation, a message marked misleading or as the mitigation, and the draft no
longer asks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.slack_text import SlackText
from bot.store.models import DraftStatement, Incident

BROUGHT_IN = "brought_in"
MISLEADING = "misleading"
MITIGATION = "mitigation"
KINDS = (BROUGHT_IN, MISLEADING, MITIGATION)


@dataclass(frozen=True)
class Statement:
    """What a person said: ``none`` (nobody, nothing), else their ``words`` and the time they
    gave (``words_at``, None: they gave none); who said it, when and where."""

    none: bool
    words: SlackText | None
    words_at: datetime | None
    by: str
    at: datetime
    where: str


async def say(
    session: AsyncSession, incident: Incident, kind: str, statement: Statement
) -> DraftStatement:
    """Keep the statement of ``kind`` about the incident, in place of an earlier one (the
    caller commits)."""
    assert incident.id is not None and kind in KINDS
    rows = await session.exec(
        select(DraftStatement).where(
            DraftStatement.incident_id == incident.id, DraftStatement.kind == kind
        )
    )
    kept = rows.first() or DraftStatement(
        incident_id=incident.id,
        kind=kind,
        said_by=statement.by,
        said_at=statement.at,
        said_where="",
    )
    kept.none, kept.words, kept.words_at = statement.none, statement.words, statement.words_at
    kept.said_by, kept.said_at, kept.said_where = statement.by, statement.at, statement.where
    session.add(kept)
    return kept


async def statements_of(session: AsyncSession, incident_id: int) -> dict[str, Statement]:
    """The incident's statements, by kind."""
    rows = await session.exec(
        select(DraftStatement).where(DraftStatement.incident_id == incident_id)
    )
    return {
        row.kind: Statement(
            row.none,
            SlackText.of(row.words) if row.words else None,
            row.words_at,
            row.said_by,
            row.said_at,
            row.said_where,
        )
        for row in rows.all()
    }
