"""Each channel's line of slash commands and button presses, kept until they are applied.

A command is kept as it arrives (before Slack is answered) and applied later by whichever
replica holds the channel's lease (``bot/flows/in_order.py``), oldest first: by when it
reached its replica (``received_at``, to the microsecond; never the same twice in one
replica), then by id. A command is forgotten in the transaction of its decision: the first
commit made while it is applied (``forgotten_with_decision``) deletes its row too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, event, func
from sqlalchemy.orm import Session
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import ReceivedCommand

# The lease of a channel's commands is an outbox lease row under this name (bot/store/outbox.py).
LEASE_PREFIX = "command:"
# A live replica holds the lease ``replica:<its name>``, renewed while it runs: a command
# started by a replica whose lease ran out was cut off by a stop.
REPLICA_PREFIX = "replica:"


def lease_name(channel: str) -> str:
    return f"{LEASE_PREFIX}{channel}"


def replica_lease(replica: str) -> str:
    return f"{REPLICA_PREFIX}{replica}"


@dataclass
class _Applying:
    row: ReceivedCommand
    forgotten: bool = False


# The command being applied in this task (and the tasks it starts), if any.
_APPLYING: ContextVar[_Applying | None] = ContextVar("warroom_command_applying", default=None)


@contextmanager
def forgotten_with_decision(row: ReceivedCommand) -> Iterator[None]:
    """While the command ``row`` is applied in this context, the first transaction committed
    here deletes its row: its decision and its leaving the line are one."""
    token = _APPLYING.set(_Applying(row))
    try:
        yield
    finally:
        _APPLYING.reset(token)


@event.listens_for(Session, "before_commit")
def _forget_in_the_decision(session: Session) -> None:
    applying = _APPLYING.get()
    if applying is None or applying.forgotten:
        return
    session.execute(_exactly(applying.row))
    applying.forgotten = True  # a commit that fails after this leaves it to ``forget``


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


async def kept_at(
    session: AsyncSession, stamps: Sequence[datetime]
) -> set[tuple[str, str, datetime]]:
    """``(channel, kind, received_at)`` of the commands kept with one of these stamps."""
    rows = await session.exec(
        select(ReceivedCommand.channel, ReceivedCommand.kind, ReceivedCommand.received_at).where(
            col(ReceivedCommand.received_at).in_(stamps)
        )
    )
    return {(channel, kind, at) for channel, kind, at in rows.all()}


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


def mark_started(row: ReceivedCommand, replica: str, now: datetime) -> None:
    """Its work begins on ``replica`` (the caller commits)."""
    row.started_at, row.started_by = now, replica


async def forget(session: AsyncSession, row: ReceivedCommand) -> None:
    """Take an applied command out of its line (the caller commits)."""
    await session.exec(_exactly(row))


def _exactly(row: ReceivedCommand) -> Any:
    """The deletion of ``row`` and of no other: SQLite gives a deleted row's id to the next
    row kept once the table is empty, so a command forgotten late (after its decision took
    it out) would take out the one kept after it; its start's stamp is its own."""
    started = col(ReceivedCommand.started_at)
    return delete(ReceivedCommand).where(
        col(ReceivedCommand.id) == row.id,
        started.is_(None) if row.started_at is None else started == row.started_at,
    )


async def waiting_channels(session: AsyncSession, limit: int = 100) -> Sequence[str]:
    """Channels with commands waiting, the longest waiting first."""
    rows = await session.exec(
        select(ReceivedCommand.channel)
        .group_by(col(ReceivedCommand.channel))
        .order_by(func.min(ReceivedCommand.received_at))
        .limit(limit)
    )
    return rows.all()
