"""The outbox: what the bot means to write in Slack channels, kept until Slack has taken it.

A flow keeps its Slack writes here right after committing the record they report on, then
asks for them to be sent. Rows of one channel go out in the order they were written, by one
replica at a time (a lease row says which); a row Slack could not take now waits and is tried
again, after a restart too. Delivery is at least once: a crash between Slack's answer and
the row being marked sent sends that write again. No Slack payloads in here: rows hold the
call's arguments as plain JSON.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.db import database_now, dialect_insert, session_scope
from bot.store.models import OutboxLease, OutboxMessage

# A replica that took a channel's lease and died gives it up after this long (the database's
# clock); a live one renews it while it holds it.
LEASE = timedelta(seconds=60)
POST = "chat.postMessage"
UPDATE = "chat.update"
PIN = "pins.add"
TOPIC = "conversations.setTopic"
INVITE = "conversations.invite"
BOOKMARK = "bookmarks.add"


async def enqueue(
    session: AsyncSession,
    *,
    channel: str,
    method: str,
    payload: dict[str, Any],
    now: datetime,
    ts_of: int | None = None,
    after: str | None = None,
    incident_id: int | None = None,
) -> OutboxMessage:
    """Keep a write for ``channel`` (the caller commits); its id is known on return."""
    row = OutboxMessage(
        channel=channel,
        method=method,
        payload=json.dumps(payload),
        ts_of=ts_of,
        after=after,
        incident_id=incident_id,
        created_at=now,
        due_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def post_once(
    session: AsyncSession,
    *,
    channel: str,
    text: str,
    now: datetime,
    after: str,
    incident_id: int | None = None,
    blocks: list[Any] | None = None,
    thread_ts: str | None = None,
) -> OutboxMessage | None:
    """Keep a post of ``text`` (and ``blocks``; in the thread of ``thread_ts``) for
    ``channel`` (a user id: a DM) recording ``after``, unless one was kept already (a retried
    job); the caller commits. None: kept before."""
    if await written_for(session, after) is not None:
        return None
    payload: dict[str, Any] = {"text": text}
    if blocks:
        payload["blocks"] = blocks
    if thread_ts:
        payload["thread_ts"] = thread_ts
    return await enqueue(
        session,
        channel=channel,
        method=POST,
        payload=payload,
        now=now,
        after=after,
        incident_id=incident_id,
    )


async def record_sent(
    session: AsyncSession,
    *,
    channel: str,
    method: str,
    payload: dict[str, Any],
    now: datetime,
    after: str,
    incident_id: int | None = None,
) -> None:
    """Keep, as sent already, a write made without the outbox (a file upload, which it
    cannot send), so that ``written_for(after)`` finds it: a job run again does not make it
    twice. The caller commits."""
    row = await enqueue(
        session,
        channel=channel,
        method=method,
        payload=payload,
        now=now,
        after=after,
        incident_id=incident_id,
    )
    mark_sent(row, None, now)
    session.add(row)


def arguments(row: OutboxMessage) -> dict[str, Any]:
    return dict(json.loads(row.payload))


async def written_for(session: AsyncSession, after: str) -> OutboxMessage | None:
    """The latest row written to record ``after`` (sent, waiting, or given up)."""
    rows = await session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.after == after)
        .order_by(col(OutboxMessage.id).desc())
        .limit(1)
    )
    return rows.first()


# A row still in its channel's line: not sent, not given up, not set aside.
IN_LINE = (
    col(OutboxMessage.sent_at).is_(None),
    col(OutboxMessage.gave_up_at).is_(None),
    col(OutboxMessage.set_aside_at).is_(None),
)


async def next_waiting(session: AsyncSession, channel: str) -> OutboxMessage | None:
    """The channel's oldest row still in line."""
    rows = await session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.channel == channel, *IN_LINE)
        .order_by(col(OutboxMessage.id))
        .limit(1)
    )
    return rows.first()


# Writes whose effect a later one of the same kind replaces whole: an edit of a message (the
# text and blocks given replace the message's), a channel's topic.
REPLACEABLE = (UPDATE, TOPIC)


async def superseded(session: AsyncSession, row: OutboxMessage) -> bool:
    """Whether a later write in the channel's line replaces ``row`` whole: a later edit of the
    same message (the pinned header edited once with the latest state, not once per change),
    or a later topic. Sending it would spend a call of Slack's budget on a state nobody sees."""
    if row.method not in REPLACEABLE:
        return False
    later = await session.exec(
        select(OutboxMessage).where(
            OutboxMessage.channel == row.channel,
            OutboxMessage.method == row.method,
            col(OutboxMessage.id) > (row.id or 0),
            *IN_LINE,
        )
    )
    return any(row.method == TOPIC or _edited(other) == _edited(row) for other in later.all())


def _edited(row: OutboxMessage) -> tuple[int | None, str | None]:
    """The message an edit is for: by the row that posts it, or by its ts."""
    return row.ts_of, arguments(row).get("ts")


async def due_channels(session: AsyncSession, now: datetime, limit: int = 100) -> Sequence[str]:
    """Channels whose next write is due now, longest due first (a channel whose next write
    waits has nothing to send, whatever is queued behind it)."""
    heads = (
        select(func.min(OutboxMessage.id).label("id"))
        .where(*IN_LINE)
        .group_by(col(OutboxMessage.channel))
        .subquery()
    )
    rows = await session.exec(
        select(OutboxMessage.channel)
        .join(heads, col(OutboxMessage.id) == heads.c.id)
        .where(col(OutboxMessage.due_at) <= now)
        .order_by(col(OutboxMessage.due_at))
        .limit(limit)
    )
    return rows.all()


def mark_sent(row: OutboxMessage, ts: str | None, now: datetime) -> None:
    row.sent_at, row.result_ts, row.attempts = now, ts, row.attempts + 1


def mark_waiting(row: OutboxMessage, due_at: datetime, error: str) -> None:
    row.due_at, row.last_error, row.attempts = due_at, error, row.attempts + 1


def mark_given_up(row: OutboxMessage, now: datetime, error: str) -> None:
    row.gave_up_at, row.last_error, row.attempts = now, error, row.attempts + 1


def mark_set_aside(row: OutboxMessage, now: datetime, error: str) -> None:
    row.set_aside_at, row.last_error, row.attempts = now, error, row.attempts + 1


async def put_back_set_aside(session: AsyncSession, now: datetime) -> int:
    """Put every write set aside back in its channel's line, due now (the caller commits)."""
    result = await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.set_aside_at).is_not(None))
        .values(set_aside_at=None, due_at=now)
    )
    return int(result.rowcount or 0)


async def take_channel(engine: AsyncEngine, channel: str, holder: str) -> bool:
    """Take the channel's lease unless another live replica holds it (by the database's
    clock: ``database_now``)."""
    async with session_scope(engine) as session:
        dialect = session.get_bind().dialect.name
        now, until = database_now(dialect), database_now(dialect, LEASE)
        taken = await session.exec(
            update(OutboxLease)
            .where(
                col(OutboxLease.channel) == channel,
                or_(col(OutboxLease.until) < now, col(OutboxLease.holder) == holder),
            )
            .values(holder=holder, until=until)
        )
        if not taken.rowcount:
            insert = dialect_insert(dialect)
            taken = await session.exec(
                insert(OutboxLease)
                .values(channel=channel, holder=holder, until=until)
                .on_conflict_do_nothing(index_elements=["channel"])
            )
        await session.commit()
        return bool(taken.rowcount)


async def holds(session: AsyncSession, channel: str, holder: str) -> bool:
    """Whether ``holder``'s lease of ``channel`` is still live, by the database's clock."""
    now = database_now(session.get_bind().dialect.name)
    rows = await session.exec(
        select(OutboxLease.channel).where(
            col(OutboxLease.channel) == channel,
            col(OutboxLease.holder) == holder,
            col(OutboxLease.until) > now,
        )
    )
    return rows.first() is not None


async def release_all(engine: AsyncEngine, holder: str) -> int:
    """Give back every channel ``holder`` still holds (a stopping process, once its work has
    ended or been cancelled); how many there were."""
    async with session_scope(engine) as session:
        result = await session.exec(delete(OutboxLease).where(col(OutboxLease.holder) == holder))
        await session.commit()
        return int(result.rowcount or 0)


async def release_channel(engine: AsyncEngine, channel: str, holder: str) -> None:
    async with session_scope(engine) as session:
        await session.exec(
            delete(OutboxLease).where(
                col(OutboxLease.channel) == channel, col(OutboxLease.holder) == holder
            )
        )
        await session.commit()
