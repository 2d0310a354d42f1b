"""The tokens agents call /mcp with: made by an operator (``warroom tokens create``), shown
once, kept as SHA-256 only, each with a name, a scope (``read``, or ``propose``, which reads
too), whether it sees private incidents, and an expiry. A revoked or expired token opens
nothing from the next call on: every call looks its token up again."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, delete, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.key_digest import digest as digest
from bot.store.models import AgentCall, AgentToken

READ, PROPOSE = "read", "propose"
# The rate limit's window: a token's calls in any minute.
MINUTE = timedelta(minutes=1)
SCOPES = (READ, PROPOSE)
# What a token's value starts with, so a leaked one is recognised (secret scanners, logs).
PREFIX = "wr_agent_"
# A name is what logs and suggestions say: short, no spaces or markup.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")


class TokenRefused(ValueError):
    """A token that cannot be made or revoked: the message says why."""


@dataclass(frozen=True)
class Caller:
    """Who calls a tool: a token's holder (its name, scope and whether it sees private
    incidents), or the operator on stdio (``operator``: everything, no rate limit)."""

    name: str
    scope: str
    private: bool
    operator: bool = False

    @property
    def may_propose(self) -> bool:
        return self.scope == PROPOSE


OPERATOR = Caller(name="operator", scope=PROPOSE, private=True, operator=True)


async def create(
    session: AsyncSession,
    *,
    name: str,
    scope: str,
    private: bool,
    expires_days: int | None,
    now: datetime,
) -> tuple[AgentToken, str]:
    """Make a token (the caller commits): the row, and the value, which is shown once and
    kept nowhere. TokenRefused for a bad name or scope, a name taken, or a bad expiry."""
    if not NAME.fullmatch(name):
        raise TokenRefused(
            f"name {name!r}: letters, digits, '.', '_' and '-', at most 63, starting with a "
            "letter or digit"
        )
    if scope not in SCOPES:
        raise TokenRefused(f"scope {scope!r}: read or propose")
    if expires_days is not None and expires_days < 1:
        raise TokenRefused(f"expires {expires_days}: at least 1 day")
    if await by_name(session, name) is not None:
        raise TokenRefused(f"name {name!r}: a token has it already (revoked ones keep theirs)")
    value = PREFIX + secrets.token_urlsafe(32)
    row = AgentToken(
        name=name,
        scope=scope,
        private=private,
        token_hash=digest(value),
        created_at=now,
        expires_at=now + timedelta(days=expires_days) if expires_days is not None else None,
    )
    session.add(row)
    await session.flush()
    return row, value


async def by_name(session: AsyncSession, name: str) -> AgentToken | None:
    rows = await session.exec(select(AgentToken).where(AgentToken.name == name))
    return rows.first()


async def every_token(session: AsyncSession) -> list[AgentToken]:
    rows = await session.exec(select(AgentToken).order_by(col(AgentToken.id)))
    return list(rows.all())


async def revoke(session: AsyncSession, name: str, *, now: datetime) -> AgentToken:
    """Revoke the token named ``name`` (the caller commits); TokenRefused when there is none
    or it was revoked already."""
    row = await by_name(session, name)
    if row is None:
        raise TokenRefused(f"no token named {name!r}")
    if row.revoked_at is not None:
        raise TokenRefused(f"{name!r} was revoked already")
    row.revoked_at = now
    session.add(row)
    return row


def works(row: AgentToken, now: datetime) -> bool:
    return row.revoked_at is None and (row.expires_at is None or row.expires_at > now)


async def caller_of(session: AsyncSession, value: str, *, now: datetime) -> Caller | None:
    """Who holds ``value``; None for a token unknown, revoked or expired, all alike. A read
    only: its use is counted in memory and written in batches (bot/web/agents/usage.py)."""
    if not value.startswith(PREFIX):
        return None
    rows = await session.exec(select(AgentToken).where(AgentToken.token_hash == digest(value)))
    row = rows.first()
    if row is None or not works(row, now):
        return None
    return Caller(name=row.name, scope=row.scope, private=row.private)


async def take_call(session: AsyncSession, name: str, *, per_minute: int, now: datetime) -> bool:
    """Count a call of the token ``name`` against its limit: True (and kept, the caller
    commits) when it made fewer than ``per_minute`` in the minute before ``now``; False
    otherwise, and nothing kept. In the database, so every replica counts the same calls; one
    token's calls take turns under its row's lock (PostgreSQL; on SQLite every write
    transaction holds the database's), so two replicas never both take its last place."""
    await session.exec(select(AgentToken.id).where(AgentToken.name == name).with_for_update())
    await session.exec(
        delete(AgentCall).where(
            col(AgentCall.token_name) == name, col(AgentCall.at) <= now - MINUTE
        )
    )
    made = await session.exec(
        select(func.count()).select_from(AgentCall).where(col(AgentCall.token_name) == name)
    )
    if made.one() >= per_minute:
        return False
    session.add(AgentCall(token_name=name, at=now))
    return True
