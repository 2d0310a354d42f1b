"""Swaps in the database: who asked whom to swap which shifts, and how it was answered.

A swap is asked (``pending``) and answered once: ``accepted`` (the caller then makes its pair of
overrides in the same transaction), ``declined``, ``expired`` (accepted once the asker's shift
was over) or ``taken`` (accepted after another swap of the same shift was). Rows are never
deleted. Functions take the session and plain values; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.errors import BotError
from bot.record.oncall.engine import Shift
from bot.store.models import OncallOverride, OncallSwap

SwapStatus = Literal["pending", "accepted", "declined", "expired", "taken"]
PENDING: SwapStatus = "pending"


class SwapRefused(BotError):
    """An answer that cannot be taken: no such swap, not asked of this person, or answered
    already (``problem`` says which; ``swap`` is the row when there is one)."""

    template = "messages/oncall/swap_refused.j2"


@dataclass(frozen=True)
class Answer:
    """How a swap stands after someone answered it."""

    swap: OncallSwap
    # The accepted swap that already took this one's shift (status "taken").
    taken_by: OncallSwap | None = None


async def ask_swap(
    session: AsyncSession,
    *,
    schedule: str,
    asked_by: str,
    asked_of: str,
    give: Shift,
    take: Shift | None,
    at: datetime,
) -> OncallSwap:
    """Keep a swap request: ``asked_of`` is asked to take ``give`` (the asker's shift) and
    to give ``take`` (None: a one-sided cover). The caller commits."""
    row = OncallSwap(
        schedule=schedule,
        asked_by=asked_by,
        asked_of=asked_of,
        give_start=give.start,
        give_end=give.end,
        take_start=take.start if take else None,
        take_end=take.end if take else None,
        created_at=at,
    )
    session.add(row)
    await session.flush()
    return row


async def answer_swap(
    session: AsyncSession, *, swap_id: int, by: str, accept: bool, at: datetime
) -> Answer:
    """Record ``by``'s answer, under the row locks of the asker's swaps of that shift (so a
    double press, or two people accepting two requests for one shift, take turns). Raises
    SwapRefused when the answer cannot be taken; the caller commits."""
    swap = await session.get(OncallSwap, swap_id)
    if swap is None:
        raise SwapRefused(problem="no_swap", swap_id=swap_id)
    siblings = await _locked_siblings(session, swap)
    swap = next(row for row in siblings if row.id == swap_id)
    if by != swap.asked_of:
        raise SwapRefused(problem="not_yours", swap=swap, by=by)
    if swap.status != PENDING:
        raise SwapRefused(problem="answered", swap=swap, by=by)
    taken_by = next((row for row in siblings if row.status == "accepted"), None)
    status: SwapStatus = "declined"
    if accept:
        status = "expired" if swap.give_end <= at else "taken" if taken_by else "accepted"
    swap.status, swap.answered_by, swap.answered_at = status, by, at
    session.add(swap)
    return Answer(swap, taken_by if status == "taken" else None)


async def _locked_siblings(session: AsyncSession, swap: OncallSwap) -> list[OncallSwap]:
    """The asker's swaps of this schedule whose shifts overlap this one's (this one too),
    locked in id order, read afresh."""
    statement = (
        select(OncallSwap)
        .where(
            OncallSwap.schedule == swap.schedule,
            OncallSwap.asked_by == swap.asked_by,
            col(OncallSwap.give_start) < swap.give_end,
            col(OncallSwap.give_end) > swap.give_start,
        )
        .order_by(col(OncallSwap.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list((await session.exec(statement)).all())


async def other_half(session: AsyncSession, override: OncallOverride) -> OncallOverride | None:
    """The other override of the swap ``override`` is half of, while it is not cancelled."""
    if override.swap_id is None:
        return None
    statement = select(OncallOverride).where(
        OncallOverride.swap_id == override.swap_id,
        OncallOverride.id != override.id,
        col(OncallOverride.cancelled_at).is_(None),
    )
    return (await session.exec(statement)).first()
