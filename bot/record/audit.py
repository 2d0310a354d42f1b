"""The admin record: each change to who and what may reach warroom (an agent's token, an
integration, a person's own contact method), kept with who made it, when and why, in the
transaction that makes the change; read by the admins' page (``/admin/audit``). Nothing
secret is kept: never a token, a key, a code, a number or an address (a method is named by
its kind and its masked number)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import AdminChange

# The longest reason kept: a sentence or two, said on the form.
REASON_MAX = 500
# How many changes the page lists, newest first.
PAGE_SIZE = 200


class Change(StrEnum):
    """Each kind of change recorded."""

    TOKEN_MADE = "agent_token_made"
    TOKEN_REVOKED = "agent_token_revoked"
    INTEGRATION_MADE = "integration_made"
    INTEGRATION_REVOKED = "integration_revoked"
    CONTACT_ADDED = "contact_added"
    CONTACT_VERIFIED = "contact_verified"
    CONTACT_TESTED = "contact_tested"
    CONTACT_REMOVED = "contact_removed"


class ReasonRefused(ValueError):
    """A reason that cannot be kept: missing where one is asked, or too long."""


def clean_reason(text: str | None, *, required: bool) -> str:
    """The reason as kept: its lines joined, spaces trimmed; ReasonRefused when ``required``
    and empty, or longer than ``REASON_MAX`` (never cut: the person says it shorter)."""
    reason = " ".join((text or "").split())
    if required and not reason:
        raise ReasonRefused("Say why: the admin record keeps a reason with each change.")
    if len(reason) > REASON_MAX:
        raise ReasonRefused(f"The reason is {len(reason)} characters; {REASON_MAX} at most.")
    return reason


def record(
    session: AsyncSession,
    *,
    at: datetime,
    by: str,
    what: Change,
    subject: str,
    reason: str = "",
    detail: str = "",
) -> AdminChange:
    """Keep one change (the caller commits, with the change itself)."""
    row = AdminChange(at=at, by=by, what=what.value, subject=subject, reason=reason, detail=detail)
    session.add(row)
    return row


async def latest(session: AsyncSession, *, limit: int = PAGE_SIZE) -> list[AdminChange]:
    """The latest ``limit`` changes, newest first."""
    rows = await session.exec(
        select(AdminChange)
        .order_by(col(AdminChange.at).desc(), col(AdminChange.id).desc())
        .limit(limit)
    )
    return list(rows.all())
