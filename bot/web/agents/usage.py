"""What each token's calls were, for the web view's agents page and ``warroom tokens list``:
counted in memory as calls come (no write per call), added to the database in one transaction
every ``FLUSH_SECONDS`` and when the application stops, and before the page reads them. Each
token's tally per tool and hour (``agent_token_use``, upserted: replicas add to the same
rows), its total and last use (``agent_token``)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.agents.tokens import Caller
from bot.store.db import dialect_insert, session_scope
from bot.store.models import AgentToken, AgentTokenUse

log = logging.getLogger(__name__)
# How often the counts go to the database: the agents page and the token list lag by at most
# this, and a process killed outright loses at most this much of its count.
FLUSH_SECONDS = 30.0


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


class Usage:
    """Tokens' calls counted in memory until the next ``flush`` (the operator's are not:
    stdio has no token)."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._calls: Counter[tuple[str, datetime, str]] = Counter()
        self._last: dict[str, datetime] = {}

    def count(self, caller: Caller, tool: str) -> None:
        if caller.operator:
            return
        now = self._clock()
        self._calls[(caller.name, hour_of(now), tool)] += 1
        self._last[caller.name] = now

    async def flush(self, engine: AsyncEngine) -> None:
        """Add the calls counted since the last flush; kept for the next one if the database
        refuses them."""
        calls, last = self._calls, self._last
        if not calls:
            return
        self._calls, self._last = Counter(), {}
        try:
            async with session_scope(engine) as session:
                await _add(session, calls, last)
                await session.commit()
        except (SQLAlchemyError, OSError) as failed:
            log.warning("agents' calls not counted yet: %s", type(failed).__name__)
            self._calls.update(calls)
            for name, moment in last.items():
                self._last[name] = max(moment, self._last.get(name, moment))


async def _add(
    session: AsyncSession, calls: Counter[tuple[str, datetime, str]], last: dict[str, datetime]
) -> None:
    table = AgentTokenUse.__table__  # type: ignore[attr-defined]
    insert = dialect_insert(session.get_bind().dialect.name)
    rows = [
        {"token_name": name, "hour": hour, "tool": tool, "calls": count}
        for (name, hour, tool), count in sorted(calls.items())
    ]
    statement = insert(table).values(rows)
    await session.exec(
        statement.on_conflict_do_update(
            index_elements=["token_name", "hour", "tool"],
            set_={"calls": table.c.calls + statement.excluded.calls},
        )
    )
    totals: Counter[str] = Counter()
    for (name, _, _), count in calls.items():
        totals[name] += count
    for name, count in sorted(totals.items()):
        await session.exec(
            update(AgentToken)
            .where(col(AgentToken.name) == name)
            .values(
                calls=col(AgentToken.calls) + count,
                used_at=func.coalesce(col(AgentToken.used_at), last[name]),
            )
        )
        # The later of the kept and the counted: another replica may have flushed a later one.
        await session.exec(
            update(AgentToken)
            .where(col(AgentToken.name) == name, col(AgentToken.used_at) < last[name])
            .values(used_at=last[name])
        )


async def use_since(session: AsyncSession, since: datetime) -> dict[str, Counter[str]]:
    """Each token's calls per tool in the hours from ``since``'s (the last 24 hours: the
    hour-long tallies that end after it), by token name."""
    rows = await session.exec(
        select(AgentTokenUse.token_name, AgentTokenUse.tool, AgentTokenUse.calls).where(
            col(AgentTokenUse.hour) > since - timedelta(hours=1)
        )
    )
    found: dict[str, Counter[str]] = {}
    for name, tool, count in rows.all():
        found.setdefault(name, Counter())[tool] += count
    return found
