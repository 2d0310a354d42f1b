"""The secret links of the on-call calendar feeds: given out, checked, rotated.

A feed (``people/U0ALICE``: Alice's shifts; ``schedules/payments-primary``: the schedule's) is
opened by any of the tokens given out for it and not revoked. Each token is 256 random bits
and only its SHA-256 is stored, so the database never holds a working link; a token is
checked against every live one of its feed with ``hmac.compare_digest`` (no early exit: how
long the check takes says nothing about how close a guess was).

Each ``/oncall calendar`` gives a new link and keeps the person's earlier ones of that feed
working (a calendar on the laptop, another on the phone), up to ``LINKS_KEPT`` a feed: past
that, the oldest stops. Rotating ends every earlier link the person holds for the feed.
Functions take the session and plain values; the caller commits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import OncallCalendarToken

# Links of one feed a person holds at once (each /oncall calendar gives one more).
LINKS_KEPT = 5
# Longer than any token given out: a longer one is not hashed, only refused.
_TOKEN_MAX = 128
# Compared when a feed has no live link, so the check takes as long either way.
_NO_LINK = "0" * 64


def person_feed(user_id: str) -> str:
    """The feed of one person's shifts, in every schedule."""
    return f"people/{user_id}"


def schedule_feed(schedule: str) -> str:
    """The feed of one schedule's shifts, everyone's."""
    return f"schedules/{schedule}"


@dataclass(frozen=True)
class Issued:
    """A link given out: its token (shown once, never stored) and how many of the person's
    earlier links of the feed it ended."""

    token: str
    ended: int


async def issue_token(
    session: AsyncSession, *, feed: str, owner: str, at: datetime, rotate: bool = False
) -> Issued:
    """Give ``owner`` a new token for ``feed``; ``rotate`` ends every earlier one they hold
    for it, otherwise only those past ``LINKS_KEPT``."""
    live = await _live(session, feed=feed, owner=owner)
    ending = live if rotate else live[: max(0, len(live) - LINKS_KEPT + 1)]
    for row in ending:
        row.revoked_at = at
        session.add(row)
    token = secrets.token_urlsafe(32)
    session.add(
        OncallCalendarToken(feed=feed, owner=owner, token_hash=_digest(token), created_at=at)
    )
    return Issued(token, len(ending))


async def token_holder(session: AsyncSession, *, feed: str, token: str) -> str | None:
    """Whom ``token`` was given to, if it is a live token of ``feed``; None otherwise."""
    statement = select(OncallCalendarToken.token_hash, OncallCalendarToken.owner).where(
        OncallCalendarToken.feed == feed, col(OncallCalendarToken.revoked_at).is_(None)
    )
    rows = list((await session.exec(statement)).all()) or [(_NO_LINK, "")]
    offered = _digest(token) if 0 < len(token) <= _TOKEN_MAX else "x" * 64
    holder = None
    for stored, owner in rows:
        if hmac.compare_digest(stored, offered):
            holder = owner
    return holder or None


async def _live(session: AsyncSession, *, feed: str, owner: str) -> list[OncallCalendarToken]:
    """The owner's live tokens of the feed, oldest first."""
    statement = (
        select(OncallCalendarToken)
        .where(
            OncallCalendarToken.feed == feed,
            OncallCalendarToken.owner == owner,
            col(OncallCalendarToken.revoked_at).is_(None),
        )
        .order_by(col(OncallCalendarToken.created_at), col(OncallCalendarToken.id))
    )
    return list((await session.exec(statement)).all())


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
