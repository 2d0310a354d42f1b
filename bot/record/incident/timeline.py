"""The curated timeline of an incident.

An entry warroom writes itself keeps what happened as ``facts`` (people as user ids, never
Slack markup) and at most a person's words as its ``text``; templates/entries/ make the
sentence, in the incident's language and for each output. Entries of people's words (notes,
messages, findings) keep their text as Slack delivered it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, ClassVar, NamedTuple

from sqlalchemy import or_
from sqlalchemy import select as core_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.slack_text import SlackText
from bot.store.columns import json_from_database, raw_column, utc_from_database
from bot.store.models import Incident, TimelineEntry, TimelineKind


@dataclass(slots=True)
class EntryRow:
    """A timeline entry as a document reads it: its columns as plain values. A draft or a page
    reads thousands at once, and building ORM objects (identity map, attribute
    instrumentation) took more of a 10,000-entry draft than writing it."""

    __tablename__: ClassVar[str] = TimelineEntry.__tablename__

    id: int | None
    kind: str
    text: SlackText
    facts: dict[str, Any] | None
    author: str | None
    occurred_at: datetime
    slack_channel: str | None
    slack_ts: str | None
    permalink: str | None


class EntryMoment(NamedTuple):
    """Where an entry stands in its timeline: its id, kind and moment (``at``, as a line's),
    and what decides whether it is a line of its own: its author (a user id) and its Slack
    message (``ts``)."""

    id: int
    kind: str
    at: datetime
    author: str | None = None
    ts: str | None = None


_TABLE = TimelineEntry.__table__  # type: ignore[attr-defined]
# Read as the driver hands them back and converted here (``entry_rows``): SQLAlchemy's type
# processing took four fifths of reading a 10,000-entry timeline.
_ENTRY_ROWS = core_select(*(raw_column(_TABLE.c[field.name]) for field in fields(EntryRow)))
_ENTRY_MOMENTS = core_select(
    *(raw_column(_TABLE.c[name]) for name in ("id", "kind", "occurred_at", "author", "slack_ts"))
)


def add_entry(
    session: AsyncSession,
    incident: Incident | int,
    *,
    kind: TimelineKind,
    text: str = "",
    author: str | None,
    occurred_at: datetime,
    facts: Mapping[str, Any] | None = None,
    slack_channel: str | None = None,
    slack_ts: str | None = None,
) -> TimelineEntry:
    """Add an entry to the incident's timeline (the caller commits): a person's words as
    ``text``, what warroom saw happen as ``facts``."""
    incident_id = incident if isinstance(incident, int) else incident.id
    assert incident_id is not None, "incident must be flushed before its timeline grows"
    entry = TimelineEntry(
        incident_id=incident_id,
        kind=kind.value,
        text=text,
        facts=dict(facts) if facts is not None else None,
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


async def entry_rows(
    session: AsyncSession,
    incident_id: int,
    *,
    ids: Collection[int] | None = None,
    kinds: Collection[str] = (),
) -> list[EntryRow]:
    """``entries`` as plain rows, in one query through SQLAlchemy Core; with ``ids``, only
    the entries of those ids and those of ``kinds`` (a page of a long timeline, and what the
    page's summary shows)."""
    statement = _ENTRY_ROWS.where(_TABLE.c.incident_id == incident_id)
    if ids is not None:
        statement = statement.where(or_(_TABLE.c.id.in_(list(ids)), _TABLE.c.kind.in_(list(kinds))))
    statement = statement.order_by(_TABLE.c.occurred_at, _TABLE.c.id)
    rows = (await session.exec(statement)).all()  # type: ignore[call-overload]
    return [
        EntryRow(
            id,
            kind,
            SlackText(text),
            json_from_database(facts),
            author,
            utc_from_database(occurred_at),  # type: ignore[arg-type]
            slack_channel,
            slack_ts,
            permalink,
        )
        for id, kind, text, facts, author, occurred_at, slack_channel, slack_ts, permalink in rows
    ]


async def entry_moments(session: AsyncSession, incident_id: int) -> list[EntryMoment]:
    """Every entry's id, kind and moment, in ``entries``' order: where each stands in a long
    timeline, without reading its text."""
    statement = _ENTRY_MOMENTS.where(_TABLE.c.incident_id == incident_id).order_by(
        _TABLE.c.occurred_at, _TABLE.c.id
    )
    rows = (await session.exec(statement)).all()  # type: ignore[call-overload]
    return [
        EntryMoment(id, kind, utc_from_database(occurred_at), author, ts)  # type: ignore[arg-type]
        for id, kind, occurred_at, author, ts in rows
    ]


def people_in(facts: Mapping[str, Any] | None) -> set[str]:
    """The user ids an entry's facts name, so a document can be given their names."""
    if not facts:
        return set()
    people = {facts.get("user"), facts.get("previous_user")}
    if facts.get("alert_act") == "escalated":  # an alert escalated by hand to a person
        people.add(facts.get("to"))
    if facts.get("kind") == "user":  # a custom field that names a person
        people |= {facts.get("value"), facts.get("previous")}
    named = [facts.get("target"), *facts.get("targets", [])]
    targets = [t for t in named if isinstance(t, Mapping)]
    people |= {t["id"] for t in targets if t.get("kind") == "user"}
    # Whom on-call schedules named: a schedule target's person, a policy level's schedules'.
    people |= {t.get("user") for t in targets if t.get("kind") == "schedule"}
    people |= {named.get("user") for t in targets for named in t.get("on_call") or []}
    return {person for person in people if isinstance(person, str) and person}
