"""Each channel's line of slash commands and button presses, kept until they are applied.

A command is kept as it arrives (before Slack is answered) and applied later by whichever
replica holds the channel's lease (``bot/flows/in_order.py``), oldest first: the id says the
order. On PostgreSQL two replicas keeping commands of one channel at once take turns
(``keep``), so a row never becomes visible after a later one of its channel: an applier
that sees a row has seen every earlier one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import ReceivedCommand

# The lease of a channel's commands is an outbox lease row under this name (bot/store/outbox.py).
LEASE_PREFIX = "command:"


# Held until the transaction ends; two channels that hash alike only take turns needlessly.
_TAKE_TURN = text("SELECT pg_advisory_xact_lock(hashtext(:name))")


def lease_name(channel: str) -> str:
    return f"{LEASE_PREFIX}{channel}"


async def keep(
    session: AsyncSession, received: Sequence[tuple[str, str, dict[str, Any]]], now: datetime
) -> list[ReceivedCommand]:
    """Keep ``(channel, kind, payload)`` in their channels' lines, in this order (the caller
    commits)."""
    if session.get_bind().dialect.name == "postgresql":
        # Ids come from a sequence when the row is inserted, not when it commits: without
        # turns, a later command of the channel could commit first and be applied before an
        # earlier one still being written. SQLite writes one transaction at a time already.
        connection = await session.connection()
        for channel in sorted({channel for channel, _, _ in received}):
            await connection.execute(_TAKE_TURN.bindparams(name=lease_name(channel)))
    rows = [
        ReceivedCommand(channel=channel, kind=kind, payload=json.dumps(payload), received_at=now)
        for channel, kind, payload in received
    ]
    for row in rows:
        # One at a time: each id drawn after the one before it.
        session.add(row)
        await session.flush()
    return rows


def payload_of(row: ReceivedCommand) -> dict[str, Any]:
    return dict(json.loads(row.payload))


async def next_in_line(session: AsyncSession, channel: str) -> ReceivedCommand | None:
    """The channel's oldest command not applied yet."""
    rows = await session.exec(
        select(ReceivedCommand)
        .where(ReceivedCommand.channel == channel)
        .order_by(col(ReceivedCommand.id))
        .limit(1)
    )
    return rows.first()


async def forget(session: AsyncSession, row_id: int) -> None:
    """Take an applied command out of its line (the caller commits)."""
    await session.exec(delete(ReceivedCommand).where(col(ReceivedCommand.id) == row_id))  # type: ignore[call-overload]


async def waiting_channels(session: AsyncSession, limit: int = 100) -> Sequence[str]:
    """Channels with commands waiting, the longest waiting first."""
    rows = await session.exec(
        select(ReceivedCommand.channel)
        .group_by(col(ReceivedCommand.channel))
        .order_by(func.min(ReceivedCommand.id))
        .limit(limit)
    )
    return rows.all()
