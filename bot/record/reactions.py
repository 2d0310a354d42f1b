"""Reactions that promote channel messages into the curated timeline, and take them out again."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.messages import KeptMessage
from bot.store.db import dialect_insert, insert_once
from bot.store.models import ChannelMessage, Incident, Reaction, TimelineEntry, TimelineKind


def base_name(reaction: str) -> str:
    """``thumbsup::skin-tone-3`` and ``thumbsup`` are the same reaction."""
    return reaction.split("::", 1)[0]


@dataclass(frozen=True)
class SeenReaction:
    """A reaction as Slack reported it, in plain values."""

    channel: str
    ts: str
    name: str
    user: str
    added_at: datetime


_TABLE = Reaction.__table__  # type: ignore[attr-defined]
# Per dialect, built once; executed with a list of rows it goes out as one multi-row INSERT.
_KEEPS: dict[str, Any] = {}


async def keep_reactions(
    connection: AsyncConnection, seen: Sequence[tuple[int, SeenReaction]]
) -> None:
    """Store many reactions, each with its incident's id, in one statement.

    The batch path of ``add_reaction`` (its timeline entries: ``promote_many``): one Core
    statement, ``ON CONFLICT DO NOTHING`` on (channel, ts, name, user) as ``insert_once``
    would. The caller checked that each message is stored.
    """
    if not seen:
        return
    dialect = connection.dialect.name
    statement = _KEEPS.get(dialect)
    if statement is None:
        statement = _KEEPS[dialect] = dialect_insert(dialect)(_TABLE).on_conflict_do_nothing()
    rows = [
        {
            "incident_id": incident_id,
            "channel": one.channel,
            "ts": one.ts,
            "name": one.name,
            "user": one.user,
            "added_at": one.added_at,
        }
        for incident_id, one in seen
    ]
    await connection.execute(statement, rows)


@dataclass(frozen=True)
class Promotion:
    """A reaction that puts its message in the timeline as ``kind``: the plain values
    ``promote_many`` takes."""

    incident_id: int
    channel: str
    ts: str
    kind: TimelineKind
    message: KeptMessage


_ENTRIES = TimelineEntry.__table__  # type: ignore[attr-defined]
_INCIDENTS = Incident.__table__  # type: ignore[attr-defined]
_PROMOTES: dict[str, Any] = {}
# A new mitigation's moment, unless the incident has one already.
_FIRST_MITIGATION = (
    _INCIDENTS.update()
    .where(_INCIDENTS.c.id == bindparam("incident"), _INCIDENTS.c.mitigated_at.is_(None))
    .values(mitigated_at=bindparam("mitigated"))
)


async def promote_many(
    connection: AsyncConnection, promotions: Sequence[Promotion], recorded_at: datetime
) -> set[tuple[str, str, str]]:
    """The batch path of ``promote`` (no rewording): every promotion's entry in one statement;
    the (channel, ts, kind) of those that are new.

    ``ON CONFLICT DO NOTHING`` on the entry's unique (channel, ts, kind), as ``insert_once``
    would; a new mitigation sets its incident's ``mitigated_at`` unless one did already, in
    the order given, as one ``promote`` after another would. Messages that are not
    promotable are left out.
    """
    wanted = [one for one in promotions if one.message.promotable]
    if not wanted:
        return set()
    dialect = connection.dialect.name
    statement = _PROMOTES.get(dialect)
    if statement is None:
        columns = _ENTRIES.c
        statement = _PROMOTES[dialect] = (
            dialect_insert(dialect)(_ENTRIES)
            .on_conflict_do_nothing()
            .returning(columns.slack_channel, columns.slack_ts, columns.kind)
        )
    rows = [
        {
            "incident_id": one.incident_id,
            "kind": one.kind.value,
            "text": one.message.text,
            "facts": None,
            "author": one.message.author,
            "occurred_at": one.message.occurred_at,
            "slack_channel": one.channel,
            "slack_ts": one.ts,
            "permalink": None,
            "recorded_at": recorded_at,
        }
        for one in wanted
    ]
    created = {tuple(row) for row in await connection.execute(statement, rows)}
    mitigations = [
        {"incident": one.incident_id, "mitigated": one.message.occurred_at}
        for one in wanted
        if one.kind == TimelineKind.MITIGATION and (one.channel, one.ts, one.kind.value) in created
    ]
    if mitigations:
        await connection.execute(_FIRST_MITIGATION, mitigations)
    return created


async def add_reaction(
    session: AsyncSession,
    incident: Incident,
    message: ChannelMessage,
    *,
    name: str,
    user: str,
    added_at: datetime,
    kind: TimelineKind | None,
) -> bool:
    """Store the reaction; if it maps to a kind, put the message in the timeline.

    Returns True when a timeline entry was created by this reaction.
    """
    assert incident.id is not None
    await insert_once(
        session,
        Reaction(
            incident_id=incident.id,
            channel=message.channel,
            ts=message.ts,
            name=name,
            user=user,
            added_at=added_at,
        ),
    )
    if kind is None or message.deleted_at is not None or message.is_system:
        return False
    return await promote(session, incident, message, kind=kind)


async def promote(
    session: AsyncSession,
    incident: Incident,
    message: ChannelMessage,
    *,
    kind: TimelineKind,
    text: str | None = None,
) -> bool:
    """Make the message a timeline entry of ``kind`` (rewording it if ``text`` is given).

    True when the entry is new. The first mitigation sets the incident's ``mitigated_at``.
    """
    assert incident.id is not None
    entry = TimelineEntry(
        incident_id=incident.id,
        kind=kind.value,
        text=text or message.text,
        # Another app's post is that app's words: its name is the author.
        author=message.user or message.bot_name,
        occurred_at=message.occurred_at,
        slack_channel=message.channel,
        slack_ts=message.ts,
    )
    created = await insert_once(session, entry)
    if not created and text:
        await _reword(session, message, kind, text)
    if created and kind == TimelineKind.MITIGATION and incident.mitigated_at is None:
        incident.mitigated_at = message.occurred_at
        session.add(incident)
    return created


async def _reword(
    session: AsyncSession, message: ChannelMessage, kind: TimelineKind, text: str
) -> None:
    existing = (
        await session.exec(
            select(TimelineEntry).where(
                TimelineEntry.slack_channel == message.channel,
                TimelineEntry.slack_ts == message.ts,
                TimelineEntry.kind == kind.value,
            )
        )
    ).one()
    existing.text = text
    session.add(existing)


async def remove_reaction(
    session: AsyncSession,
    incident: Incident,
    *,
    channel: str,
    ts: str,
    name: str,
    user: str,
    mapping: Mapping[str, str],
) -> bool:
    """Forget the reaction; take the entry out unless another reaction of its kind holds it.

    Returns True when a timeline entry was removed.
    """
    removed = await session.exec(
        delete(Reaction).where(
            col(Reaction.channel) == channel,
            col(Reaction.ts) == ts,
            col(Reaction.name) == name,
            col(Reaction.user) == user,
        )
    )
    kind = mapping.get(name)
    if not removed.rowcount or kind is None:
        return False
    same_kind = [emoji for emoji, mapped in mapping.items() if mapped == kind]
    holding = await session.exec(
        select(func.count()).where(
            Reaction.channel == channel, Reaction.ts == ts, col(Reaction.name).in_(same_kind)
        )
    )
    if holding.one():
        return False
    entry = (
        await session.exec(
            select(TimelineEntry).where(
                TimelineEntry.slack_channel == channel,
                TimelineEntry.slack_ts == ts,
                TimelineEntry.kind == kind,
            )
        )
    ).first()
    if entry is None:
        return False
    await session.delete(entry)
    if kind == TimelineKind.MITIGATION and incident.mitigated_at == entry.occurred_at:
        await _recompute_mitigated_at(session, incident, excluding=entry)
    return True


async def _recompute_mitigated_at(
    session: AsyncSession, incident: Incident, excluding: TimelineEntry
) -> None:
    earliest = await session.exec(
        select(func.min(TimelineEntry.occurred_at)).where(
            TimelineEntry.incident_id == incident.id,
            TimelineEntry.kind == TimelineKind.MITIGATION.value,
            TimelineEntry.id != excluding.id,
        )
    )
    incident.mitigated_at = earliest.one()
    session.add(incident)


async def still_promoted(session: AsyncSession, channel: str, ts: str) -> bool:
    """Whether any timeline entry still comes from this message."""
    count = await session.exec(
        select(func.count()).where(
            TimelineEntry.slack_channel == channel, TimelineEntry.slack_ts == ts
        )
    )
    return bool(count.one())
