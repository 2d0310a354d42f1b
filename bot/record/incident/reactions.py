"""Reactions that promote channel messages into the curated timeline, and take them out again."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.db import insert_once
from bot.store.models import ChannelMessage, Incident, Reaction, TimelineEntry, TimelineKind

# A mark given on the draft's page by picking the message, kept as the person's reaction.
ON_PAGE = "page"


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


async def add_reaction(
    session: AsyncSession,
    incident: Incident,
    message: ChannelMessage,
    *,
    name: str,
    user: str,
    added_at: datetime,
    kind: TimelineKind | None,
    source: str | None = None,
) -> bool:
    """Store the reaction; if it maps to a kind, put the message in the timeline.
    ``source``: where the mark was given when not as a reaction in Slack (``ON_PAGE``).

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
            source=source,
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


async def page_marks(session: AsyncSession, incident_id: int) -> dict[str, str]:
    """By message ts, who marked it on the draft's page (the first who did)."""
    rows = await session.exec(
        select(Reaction.ts, Reaction.user)
        .where(Reaction.incident_id == incident_id, Reaction.source == ON_PAGE)
        .order_by(col(Reaction.added_at), col(Reaction.id))
    )
    marks: dict[str, str] = {}
    for ts, user in rows.all():
        marks.setdefault(ts, user)
    return marks
