"""Slack deliveries already applied: the database, not memory, decides, so replicas agree."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.db import dialect_insert, insert_new
from bot.store.models import ProcessedEvent

_TABLE = ProcessedEvent.__table__  # type: ignore[attr-defined]
# One statement per dialect, built once: executed with a list of rows, SQLAlchemy sends it as
# one multi-row INSERT ... VALUES (its "insertmanyvalues"), and its compiled form is cached
# whatever the number of rows.
_CLAIMS: dict[str, Any] = {}


async def claim_event(session: AsyncSession, event_id: str) -> bool:
    """Record ``event_id`` as applied; False when it already was (a retry or another replica).

    The claim is part of the caller's transaction, so it commits together with the work it
    guards, or not at all (and then Slack's retry is applied).
    """
    return await insert_new(session, ProcessedEvent(event_id=event_id))


async def claim_events(
    connection: AsyncConnection, event_ids: Sequence[str], received_at: datetime
) -> set[str]:
    """Claim many event ids in one statement; the ones that were new (not claimed before).

    ``INSERT ... ON CONFLICT DO NOTHING RETURNING event_id`` (SQLite >= 3.35 and PostgreSQL):
    a conflicting row returns nothing, so what comes back is exactly what this transaction
    claimed. The ids must be distinct (the caller dedupes a batch first). Like ``claim_event``
    it commits with the caller's transaction or not at all.
    """
    if not event_ids:
        return set()
    statement = _claim_statement(connection.dialect.name)
    rows = [{"event_id": event_id, "received_at": received_at} for event_id in event_ids]
    result = await connection.execute(statement, rows)
    return set(result.scalars().all())


def _claim_statement(dialect: str) -> Any:
    statement = _CLAIMS.get(dialect)
    if statement is None:
        insert = dialect_insert(dialect)
        statement = insert(_TABLE).on_conflict_do_nothing().returning(_TABLE.c.event_id)
        _CLAIMS[dialect] = statement
    return statement
