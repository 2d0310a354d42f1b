"""Cover requests in the database: someone outside a schedule asking to be put on call, and
the owner's answer.

A request is asked (``pending``) and answered once, by one of the schedule's owners:
``accepted`` (the caller then makes the override in the same transaction), ``rejected``, or
``expired`` (accepted once the window was over). Unanswered, it stays pending and puts nobody
on call. Rows are never deleted. Functions take the session and plain values; the caller
commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.errors import BotError
from bot.record.oncall.schedules import Schedule
from bot.store.models import OncallCoverRequest

CoverStatus = Literal["pending", "accepted", "rejected", "expired"]
PENDING: CoverStatus = "pending"


class CoverRefused(BotError):
    """An answer that cannot be taken: no such request, not an owner's, or answered already
    (``problem`` says which; ``cover`` is the row when there is one)."""

    template = "messages/oncall/cover_refused.j2"


async def ask_cover(
    session: AsyncSession,
    *,
    schedule: str,
    user: str,
    start: datetime,
    end: datetime,
    at: datetime,
) -> OncallCoverRequest:
    """Keep ``user``'s request to be on call from ``start`` to ``end``. The caller commits."""
    row = OncallCoverRequest(
        schedule=schedule, user_id=user, start_at=start, end_at=end, created_at=at
    )
    session.add(row)
    await session.flush()
    return row


async def answer_cover(
    session: AsyncSession,
    *,
    request_id: int,
    schedule: Schedule | None,
    by: str,
    accept: bool,
    at: datetime,
) -> OncallCoverRequest:
    """Record owner ``by``'s answer under the request's row lock (a double press, or two
    owners at once, take turns); ``schedule`` None: gone from the file, nobody owns it. Raises
    CoverRefused when the answer cannot be taken; the caller commits."""
    statement = (
        select(OncallCoverRequest)
        .where(OncallCoverRequest.id == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    row = (await session.exec(statement)).first()
    if row is None:
        raise CoverRefused(problem="no_cover", cover_id=request_id)
    if schedule is None or by not in schedule.owners:
        raise CoverRefused(problem="not_owner", cover=row, by=by)
    if row.status != PENDING:
        raise CoverRefused(problem="answered", cover=row, by=by)
    status: CoverStatus = "rejected"
    if accept:
        status = "expired" if row.end_at <= at else "accepted"
    row.status, row.answered_by, row.answered_at = status, by, at
    session.add(row)
    return row
