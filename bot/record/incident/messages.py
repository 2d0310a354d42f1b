"""The raw history of an incident channel: every message, its edits and deletions."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.timestamps import ts_to_datetime
from bot.store.db import insert_new, insert_once
from bot.store.models import (
    SYSTEM_SUBTYPES,
    ChannelMessage,
    Incident,
    MessageRevision,
    TimelineEntry,
)


@dataclass(frozen=True)
class SaidMessage:
    """A message as Slack reported it, in plain values."""

    channel: str
    ts: str
    text: str
    user: str | None = None
    bot_id: str | None = None
    # Another app's post: that app's name (Grafana, PagerDuty), shown as its author.
    bot_name: str | None = None
    thread_ts: str | None = None
    subtype: str | None = None


async def record_message(
    session: AsyncSession, incident: Incident, said: SaidMessage
) -> ChannelMessage | None:
    """Store a message with the time it was said (its ``ts``); None if already stored."""
    message = _message_row(incident, said)
    return message if await insert_once(session, message) else None


async def keep_message(session: AsyncSession, incident: Incident, said: SaidMessage) -> bool:
    """Store a message nobody acts on now (the usual case: said in the channel); one statement,
    False if it was already stored."""
    return await insert_new(session, _message_row(incident, said))


def thread_of(said: SaidMessage) -> str | None:
    """The thread a message is a reply in; None for one said in the channel (a thread's
    first message carries its own ts as ``thread_ts``)."""
    return said.thread_ts if said.thread_ts != said.ts else None


def _message_row(incident: Incident, said: SaidMessage) -> ChannelMessage:
    assert incident.id is not None
    return ChannelMessage(
        incident_id=incident.id,
        channel=said.channel,
        ts=said.ts,
        thread_ts=thread_of(said),
        user=said.user,
        bot_id=said.bot_id,
        bot_name=said.bot_name,
        subtype=said.subtype,
        text=said.text,
        occurred_at=ts_to_datetime(said.ts),
    )


async def find_message(session: AsyncSession, channel: str, ts: str) -> ChannelMessage | None:
    """The stored message with this ``ts`` in this channel."""
    statement = select(ChannelMessage).where(
        ChannelMessage.channel == channel, ChannelMessage.ts == ts
    )
    return (await session.exec(statement)).first()


async def edit_message(
    session: AsyncSession,
    *,
    channel: str,
    ts: str,
    text: str,
    edited_by: str | None,
    edited_at: datetime,
) -> ChannelMessage | None:
    """Apply an edit, keeping the earlier text as a revision; None if unknown or unchanged."""
    message = await find_message(session, channel, ts)
    if message is None or message.deleted_at is not None or message.text == text:
        return None
    assert message.id is not None
    session.add(
        MessageRevision(
            message_id=message.id,
            previous_text=message.text,
            edited_by=edited_by,
            edited_at=edited_at,
        )
    )
    # Timeline entries quoting the message follow the edit; reworded ones keep their words.
    entries = await session.exec(
        select(TimelineEntry).where(
            TimelineEntry.slack_channel == channel,
            TimelineEntry.slack_ts == ts,
            TimelineEntry.text == message.text,
        )
    )
    for entry in entries:
        entry.text = text
        session.add(entry)
    message.text = text
    message.edited_at = edited_at
    session.add(message)
    return message


async def delete_message(
    session: AsyncSession, *, channel: str, ts: str, deleted_at: datetime
) -> ChannelMessage | None:
    """Take a deleted message out of the timeline; its row stays, marked, as the audit trail."""
    message = await find_message(session, channel, ts)
    if message is None or message.deleted_at is not None:
        return None
    message.deleted_at = deleted_at
    session.add(message)
    await session.exec(
        delete(TimelineEntry).where(
            col(TimelineEntry.slack_channel) == channel, col(TimelineEntry.slack_ts) == ts
        )
    )
    return message


def _said_by_people(incident_id: int) -> list[ColumnElement[bool]]:
    """A person's words in the incident's channel: not an app's (the bot's own questions
    included), not Slack's note about the channel, not deleted."""
    return [
        col(ChannelMessage.incident_id) == incident_id,
        col(ChannelMessage.user).is_not(None),
        col(ChannelMessage.bot_id).is_(None),
        col(ChannelMessage.deleted_at).is_(None),
        or_(
            col(ChannelMessage.subtype).is_(None),
            col(ChannelMessage.subtype).not_in(SYSTEM_SUBTYPES),
        ),
    ]


async def first_replies(
    session: AsyncSession, incident_id: int, parents: Collection[str]
) -> dict[str, ChannelMessage]:
    """The first reply a person wrote in each thread, by its parent's ts. The incident's
    replies are read and matched here: an incident has few, where the parents may be
    thousands (too many for one ``IN``)."""
    if not parents:
        return {}
    rows = await session.exec(
        select(ChannelMessage)
        .where(
            *_said_by_people(incident_id),
            col(ChannelMessage.thread_ts).is_not(None),
            col(ChannelMessage.ts) != col(ChannelMessage.thread_ts),
        )
        .order_by(col(ChannelMessage.occurred_at), col(ChannelMessage.id))
    )
    first: dict[str, ChannelMessage] = {}
    for message in rows.all():
        parent = message.thread_ts
        if parent is not None and parent in parents:
            first.setdefault(parent, message)
    return first


async def first_said_after(
    session: AsyncSession, incident_id: int, users: Collection[str], since: datetime
) -> ChannelMessage | None:
    """The first thing one of ``users`` said in the channel at or after ``since``."""
    if not users:
        return None
    rows = await session.exec(
        select(ChannelMessage)
        .where(
            *_said_by_people(incident_id),
            col(ChannelMessage.user).in_(list(users)),
            col(ChannelMessage.occurred_at) >= since,
        )
        .order_by(col(ChannelMessage.occurred_at), col(ChannelMessage.id))
        .limit(1)
    )
    return rows.first()


async def said_since(
    session: AsyncSession, incident_id: int, since: datetime, *, limit: int = 500
) -> list[ChannelMessage]:
    """What people said in the channel at or after ``since``, oldest first, at most ``limit``
    messages (an incident's channel after its fix says little more)."""
    rows = await session.exec(
        select(ChannelMessage)
        .where(*_said_by_people(incident_id), col(ChannelMessage.occurred_at) >= since)
        .order_by(col(ChannelMessage.occurred_at), col(ChannelMessage.id))
        .limit(limit)
    )
    return list(rows.all())


async def said_lately(session: AsyncSession, incident_id: int, count: int) -> list[ChannelMessage]:
    """The last ``count`` messages people said in the incident's channel (not in threads),
    oldest first: what a person may mark from the draft's page."""
    moment, order = col(ChannelMessage.occurred_at), col(ChannelMessage.id)
    rows = await session.exec(
        select(ChannelMessage)
        .where(
            *_said_by_people(incident_id),
            or_(
                col(ChannelMessage.thread_ts).is_(None),
                col(ChannelMessage.thread_ts) == col(ChannelMessage.ts),
            ),
        )
        .order_by(moment.desc(), order.desc())
        .limit(count)
    )
    return list(reversed(rows.all()))


async def said_before(
    session: AsyncSession, message: ChannelMessage, count: int
) -> list[ChannelMessage]:
    """The last ``count`` messages people said in the channel before ``message`` (not in
    threads), newest first."""
    return await _said_around(session, message, count, after=False)


async def said_after(
    session: AsyncSession, message: ChannelMessage, count: int
) -> list[ChannelMessage]:
    """The first ``count`` messages people said in the channel after ``message`` (not in
    threads), oldest first: what may have ruled out the idea it says."""
    return await _said_around(session, message, count, after=True)


async def _said_around(
    session: AsyncSession, message: ChannelMessage, count: int, *, after: bool
) -> list[ChannelMessage]:
    moment, order = col(ChannelMessage.occurred_at), col(ChannelMessage.id)
    rows = await session.exec(
        select(ChannelMessage)
        .where(
            *_said_by_people(message.incident_id),
            col(ChannelMessage.channel) == message.channel,
            moment >= message.occurred_at if after else moment <= message.occurred_at,
            col(ChannelMessage.ts) != message.ts,
            or_(
                col(ChannelMessage.thread_ts).is_(None),
                col(ChannelMessage.thread_ts) == col(ChannelMessage.ts),
            ),
        )
        .order_by(*((moment, order) if after else (moment.desc(), order.desc())))
        .limit(count)
    )
    return list(rows.all())


async def messages_by_ts(
    session: AsyncSession, channel: str, timestamps: Collection[str]
) -> dict[str, ChannelMessage]:
    """The kept messages of ``channel`` with these timestamps (deleted ones left out)."""
    if not timestamps:
        return {}
    rows = await session.exec(
        select(ChannelMessage).where(
            col(ChannelMessage.channel) == channel,
            col(ChannelMessage.ts).in_(list(timestamps)),
            col(ChannelMessage.deleted_at).is_(None),
        )
    )
    return {message.ts: message for message in rows.all()}
