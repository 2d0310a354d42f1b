"""Acknowledgement links' secrets: each bound to one page (one person, one escalation), good
once, until the incident is resolved. An alert's page's link is its phone console: never
spent, it acts until the alert resolves and then says so. Only a token's SHA-256 is kept, so
the database never holds a working link; a wrong, used or expired token is the same "no such
link"."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import AckToken, AlertGroup, Incident, PersonPage

# 32 random bytes: unguessable, and short enough for an SMS-free link in a push or a mail.
TOKEN_BYTES = 32


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue(session: AsyncSession, page: PersonPage, *, method: str, at: datetime) -> str:
    """A new token for ``page``, carried by a notification of ``method`` (the caller
    commits); the token itself, never stored."""
    assert page.id is not None
    return issue_for(session, page.id, page.incident_id, method=method, at=at)


def issue_for(
    session: AsyncSession, page_id: int, incident_id: int | None, *, method: str, at: datetime
) -> str:
    """``issue`` for the page of that id (and incident), not read first."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        AckToken(
            token_hash=token_hash(token),
            page_id=page_id,
            incident_id=incident_id,
            method=method,
            created_at=at,
        )
    )
    return token


@dataclass(frozen=True)
class Held:
    """What a working token opens: its page and the page's incident."""

    page: PersonPage
    incident: Incident | None  # None: an alert's page (``alert``)
    method: str  # how the link came: ntfy | email
    alert: AlertGroup | None = None


async def look_up(session: AsyncSession, token: str) -> Held | None:
    """The page a token opens, if it is unused and its incident is not resolved; an alert's
    page whatever became of its alert (its console says it)."""
    if not token or len(token) > 200:
        return None
    row = await session.get(AckToken, token_hash(token))
    if row is None:
        return None
    page = await session.get(PersonPage, row.page_id)
    if page is not None and page.alert_group_id is not None:
        alert = await session.get(AlertGroup, page.alert_group_id)
        return None if alert is None else Held(page, None, row.method, alert)
    if row.used_at is not None:
        return None
    incident = await session.get(Incident, row.incident_id)
    if page is None or incident is None or not incident.is_open:
        return None
    return Held(page, incident, row.method)


async def use(session: AsyncSession, token: str, *, at: datetime) -> bool:
    """Spend a token (the caller commits); False when it was spent already (a race)."""
    spent = await session.exec(
        update(AckToken)
        .where(col(AckToken.token_hash) == token_hash(token), col(AckToken.used_at).is_(None))
        .values(used_at=at)
    )
    return bool(spent.rowcount)
