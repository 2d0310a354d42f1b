"""The raw history of an incident channel: every message, its edits and deletions."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.timestamps import ts_to_datetime
from bot.store.db import dialect_insert, insert_new, insert_once
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


_TABLE = ChannelMessage.__table__  # type: ignore[attr-defined]
# Per dialect, built once; executed with a list of rows it goes out as one multi-row INSERT.
_KEEPS: dict[str, Any] = {}


async def keep_messages(
    connection: AsyncConnection,
    said: Sequence[tuple[int, SaidMessage]],
    recorded_at: datetime,
) -> None:
    """Store many messages nobody acts on now, each with its incident's id, in one statement.

    The batch path of ``keep_message``: plain values through SQLAlchemy Core, no ORM objects,
    and ``ON CONFLICT DO NOTHING`` on ``(channel, ts)`` so a message stored already (by an
    earlier event or another replica) is left as it is.
    """
    if not said:
        return
    dialect = connection.dialect.name
    statement = _KEEPS.get(dialect)
    if statement is None:
        statement = _KEEPS[dialect] = dialect_insert(dialect)(_TABLE).on_conflict_do_nothing()
    rows = [_message_values(incident_id, one, recorded_at) for incident_id, one in said]
    await connection.execute(statement, rows)


def _message_values(incident_id: int, said: SaidMessage, recorded_at: datetime) -> dict[str, Any]:
    """The columns of ``_message_row``, as plain values (every column: one statement shape)."""
    return {
        "incident_id": incident_id,
        "channel": said.channel,
        "ts": said.ts,
        "thread_ts": said.thread_ts if said.thread_ts != said.ts else None,
        "user": said.user,
        "bot_id": said.bot_id,
        "bot_name": said.bot_name,
        "subtype": said.subtype,
        "text": said.text,
        "occurred_at": ts_to_datetime(said.ts),
        "edited_at": None,
        "deleted_at": None,
        "recorded_at": recorded_at,
    }


def _message_row(incident: Incident, said: SaidMessage) -> ChannelMessage:
    assert incident.id is not None
    return ChannelMessage(
        incident_id=incident.id,
        channel=said.channel,
        ts=said.ts,
        thread_ts=said.thread_ts if said.thread_ts != said.ts else None,
        user=said.user,
        bot_id=said.bot_id,
        bot_name=said.bot_name,
        subtype=said.subtype,
        text=said.text,
        occurred_at=ts_to_datetime(said.ts),
    )


@dataclass(frozen=True)
class KeptMessage:
    """What a reaction needs of the message it is on, in plain values."""

    text: str
    # Its author: the person, or another app's name for that app's post.
    author: str | None
    occurred_at: datetime
    # Something someone said and still there: a join or a deleted message is no moment.
    promotable: bool


def kept_as_said(said: SaidMessage) -> KeptMessage:
    """A message of the same batch, as ``kept_messages`` will read it once it is stored."""
    return KeptMessage(
        said.text,
        said.user or said.bot_name,
        ts_to_datetime(said.ts),
        said.subtype not in SYSTEM_SUBTYPES,
    )


async def kept_messages(
    connection: AsyncConnection, keys: Collection[tuple[str, str]]
) -> dict[tuple[str, str], KeptMessage]:
    """The stored messages among these (channel, ts), in one SELECT."""
    if not keys:
        return {}
    table = _TABLE
    c = table.c
    statement = select(
        c.channel, c.ts, c.text, c.user, c.bot_name, c.occurred_at, c.subtype, c.deleted_at
    ).where(
        c.channel.in_({channel for channel, _ in keys}),
        c.ts.in_({ts for _, ts in keys}),
    )
    wanted = set(keys)
    return {
        (row.channel, row.ts): KeptMessage(
            row.text,
            row.user or row.bot_name,
            row.occurred_at,
            row.subtype not in SYSTEM_SUBTYPES and row.deleted_at is None,
        )
        for row in await connection.execute(statement)
        if (row.channel, row.ts) in wanted
    }


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
