"""Values shown once (``ShownOnce``): a new agent's token, an integration's key, a form's
answer holding a person's ntfy topic. The browser's cookie carries a random handle, no value;
the value waits here, sealed by the caller (with a key only ``warroom serve`` holds), for
``HOLD``, and is dropped at its first read: a second read, another session's, or a copied
cookie's finds it shown already. Nothing here sees the value in clear, nor a handle (only
SHA-256s of them are kept).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.key_digest import digest
from bot.store.models import ShownOnce

# How long a value waits for its page: the redirect followed on a slow phone.
HOLD = timedelta(minutes=2)
# How long a row is kept once its value is dropped: a copied cookie sent in that time is told
# its value was shown already.
KEPT = timedelta(days=1)
HANDLE_BYTES = 32


def new_handle() -> str:
    """A random handle for a browser's cookie (256 bits)."""
    return secrets.token_urlsafe(HANDLE_BYTES)


def keep(
    session: AsyncSession,
    *,
    handle: str,
    session_id: str,
    sealed: str,
    secret: str | None,
    now: datetime,
) -> ShownOnce:
    """Keep a sealed value for ``session_id``'s next read of ``handle`` (the caller commits,
    and schedules ``forget_expired`` at the row's ``until``). ``secret``: the key or token
    it shows, kept only as its SHA-256 (None: a form's answer naming no key)."""
    row = ShownOnce(
        handle_hash=digest(handle),
        session_hash=digest(session_id),
        value_hash=digest(secret) if secret else None,
        sealed=sealed,
        made_at=now,
        until=now + HOLD,
    )
    session.add(row)
    return row


@dataclass(frozen=True)
class Taken:
    """A handle read: the sealed value (None when it is not shown: read already, expired, or
    another session's) and whether it was a key or token (said "shown already")."""

    sealed: str | None
    secret: bool


async def take(
    session: AsyncSession, *, handle: str, session_id: str, now: datetime
) -> Taken | None:
    """The value ``handle`` holds, dropped as it is taken (the caller commits): one read
    only, by the session it was made for, before its ``until``. Two reads at once: one UPDATE
    drops it, and only the read whose UPDATE did gets it. None for a handle nobody made (or
    whose row is gone)."""
    row = (
        await session.exec(select(ShownOnce).where(col(ShownOnce.handle_hash) == digest(handle)))
    ).first()
    if row is None:
        return None
    secret = row.value_hash is not None
    sealed = row.sealed
    if sealed is None or row.until <= now or row.session_hash != digest(session_id):
        return Taken(None, secret)
    dropped = await session.exec(
        update(ShownOnce)
        .where(col(ShownOnce.id) == row.id, col(ShownOnce.sealed).is_not(None))
        .values(sealed=None, shown_at=now)
    )
    return Taken(sealed if dropped.rowcount == 1 else None, secret)


async def forget_expired(session: AsyncSession, *, now: datetime) -> None:
    """Drop every value past its ``until`` that nobody read, and the rows older than
    ``KEPT`` (the caller commits)."""
    await session.exec(
        update(ShownOnce)
        .where(col(ShownOnce.until) <= now, col(ShownOnce.sealed).is_not(None))
        .values(sealed=None)
    )
    await session.exec(delete(ShownOnce).where(col(ShownOnce.made_at) < now - KEPT))
