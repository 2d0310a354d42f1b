"""Each channel's line of slash commands and button presses, kept until they are applied.

A command is kept as it arrives (before Slack is answered) and applied later by whichever
replica holds the channel's lease (``bot/flows/in_order.py``), oldest first: by when it
reached its replica (``received_at``, to the microsecond; never the same twice in one
replica), then by id.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import ReceivedCommand

# The lease of a channel's commands is an outbox lease row under this name (bot/store/outbox.py).
LEASE_PREFIX = "command:"


def lease_name(channel: str) -> str:
    return f"{LEASE_PREFIX}{channel}"


async def keep(
    session: AsyncSession, received: Sequence[tuple[str, str, dict[str, Any], datetime]]
) -> None:
    """Keep ``(channel, kind, payload, received_at)`` in their channels' lines (the caller
    commits)."""
    session.add_all(
        ReceivedCommand(channel=channel, kind=kind, payload=json.dumps(payload), received_at=at)
        for channel, kind, payload, at in received
    )
    await session.flush()


def payload_of(row: ReceivedCommand) -> dict[str, Any]:
    return dict(json.loads(row.payload))


async def next_in_line(session: AsyncSession, channel: str) -> ReceivedCommand | None:
    """The channel's oldest command not applied yet."""
    rows = await session.exec(
        select(ReceivedCommand)
        .where(ReceivedCommand.channel == channel)
        .order_by(col(ReceivedCommand.received_at), col(ReceivedCommand.id))
        .limit(1)
    )
    return rows.first()


async def forget(session: AsyncSession, row_id: int) -> None:
    """Take an applied command out of its line (the caller commits)."""
    await session.exec(delete(ReceivedCommand).where(col(ReceivedCommand.id) == row_id))


async def waiting_channels(session: AsyncSession, limit: int = 100) -> Sequence[str]:
    """Channels with commands waiting, the longest waiting first."""
    rows = await session.exec(
        select(ReceivedCommand.channel)
        .group_by(col(ReceivedCommand.channel))
        .order_by(func.min(ReceivedCommand.received_at))
        .limit(limit)
    )
    return rows.all()
