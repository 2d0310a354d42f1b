"""Overrides and swaps in the database: who took a schedule over, when, and who said so.

Rows are never deleted: cancelling one keeps it, with who cancelled it and when (the audit
trail). Adding or cancelling one also has the schedule's user group and notices worked out
again (``work.plan_again``), in the same transaction. Functions take the session and plain
values; the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

from dateutil.relativedelta import relativedelta
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from bot.basics.errors import BotError
from bot.basics.slack_patterns import USER_ID
from bot.record.oncall.engine import (
    EARLIEST,
    HORIZON,
    LATEST,
    Override,
    Shift,
    displaced,
    on_call_at,
    stretch_of,
)
from bot.record.oncall.schedules import Schedule
from bot.record.oncall.work import plan_again
from bot.store.models import OncallOverride

OverrideKind = Literal["override", "swap"]
# The shortest stretch of time the record is asked about.
_INSTANT = timedelta(microseconds=1)
# The longest override: anything longer is a change of the schedule file.
LONGEST = relativedelta(years=1)


class OverrideRefused(BotError):
    """An override that cannot be kept as asked; the message names the schedule and field."""


async def add_override(
    session: AsyncSession,
    *,
    schedule: Schedule,
    user: str | None,
    start: datetime,
    end: datetime,
    created_by: str,
    created_at: datetime,
    kind: OverrideKind = "override",
    swap_id: int | None = None,
    accepted_by: str | None = None,
    layer: str | None = None,
) -> tuple[Override, list[Shift]]:
    """Keep an override of ``schedule`` (of its ``layer`` only, when given), putting ``user``
    on call (None: nobody, a deliberate gap); ``swap_id``: the swap it is half of;
    ``accepted_by``: the owner who accepted it, for someone outside the schedule. Return it
    and the shifts it takes over, as they were (``users`` empty where it fills a gap). The
    caller commits."""
    check_override(schedule, user, start, end, layer=layer)
    earlier = await overrides_between(session, schedule=schedule.name, start=start, end=end)
    row = OncallOverride(
        schedule=schedule.name,
        user_id=user,
        start_at=start,
        end_at=end,
        kind=kind,
        created_by=created_by,
        created_at=created_at,
        swap_id=swap_id,
        accepted_by=accepted_by,
        layer=layer,
    )
    session.add(row)
    await session.flush()
    # Its start and end are handoffs now: the user group and notices follow them.
    await plan_again(session, schedule.name, at=created_at, cause=f"override-{row.id}")
    override = as_override(row)
    return override, displaced(schedule, earlier, override)


async def cancel_override(
    session: AsyncSession, *, override_id: int, by: str, at: datetime
) -> OncallOverride:
    """Cancel an override (its row stays, saying who cancelled it and when); the caller
    commits."""
    row = await session.get(OncallOverride, override_id)
    if row is None:
        raise OverrideRefused(f"there is no override {override_id}")
    if row.cancelled_at is not None:
        raise OverrideRefused(
            f"override {override_id} of schedule {row.schedule!r} was cancelled already, "
            f"by {row.cancelled_by} at {row.cancelled_at:%Y-%m-%d %H:%M} UTC"
        )
    row.cancelled_at, row.cancelled_by = at, by
    session.add(row)
    await plan_again(session, row.schedule, at=at, cause=f"cancel-{override_id}")
    return row


async def overrides_between(
    session: AsyncSession, *, start: datetime, end: datetime, schedule: str | None = None
) -> list[Override]:
    """The overrides in force (not cancelled) at some time from ``start`` to ``end``, of one
    schedule or of all, oldest first."""
    statement = _touching(start, end, schedule).where(col(OncallOverride.cancelled_at).is_(None))
    return [as_override(row) for row in (await session.exec(statement)).all()]


async def active_overrides(
    session: AsyncSession, *, now: datetime, schedule: str | None = None
) -> list[Override]:
    """The overrides not cancelled and not over at ``now``: in force, or still to come."""
    return await overrides_between(session, start=now, end=LATEST, schedule=schedule)


async def overrides_near(
    session: AsyncSession,
    *,
    schedule: Schedule | None,
    start: datetime,
    end: datetime | None = None,
) -> list[Override]:
    """The overrides of ``schedule`` (None: of every schedule) the engine needs to answer about
    ``start`` to ``end`` (``on_call_at`` looks up to HORIZON either way of an instant)."""
    return await overrides_between(
        session,
        start=max(start - HORIZON, EARLIEST),
        end=min((end or start) + HORIZON, LATEST),
        schedule=schedule.name if schedule else None,
    )


async def who_is_on_call(session: AsyncSession, *, schedule: Schedule, at: datetime) -> Shift:
    """The final schedule's shift holding ``at``, stored overrides included (``users``
    empty: nobody is on call then)."""
    overrides = await overrides_near(session, schedule=schedule, start=at)
    return on_call_at(schedule, overrides, at)


async def stretch_on_call(
    session: AsyncSession, *, schedule: Schedule, user: str, at: datetime
) -> Shift | None:
    """``user``'s stretch on call holding ``at``, stored overrides included; None when they
    are not on call then."""
    overrides = await overrides_near(session, schedule=schedule, start=at)
    return stretch_of(schedule, overrides, user, at)


async def override_putting_on_call(
    session: AsyncSession,
    *,
    schedule: Schedule,
    user: str,
    at: datetime,
    among: Sequence[Override] | None = None,
) -> OncallOverride | None:
    """The override through which ``user`` is on call at ``at``: the newest of the schedule's
    holding ``at`` (as in the engine), else the newest of a layer's that names them; None
    when the schedule's layers put them there. ``among``: the schedule's overrides read
    already (``overrides_near`` of ``at``), not read again."""
    if among is None:
        among = await overrides_between(
            session, schedule=schedule.name, start=at, end=at + _INSTANT
        )
    holding = [o for o in among if o.start <= at < o.end]
    above = max((o for o in holding if o.layer is None), key=lambda o: o.age, default=None)
    if above is not None:
        return await _row_of(session, above if above.user == user else None)
    for layer in schedule.layers:
        mine = [o for o in holding if o.layer == layer.name]
        newest = max(mine, key=lambda o: o.age, default=None)
        if newest is not None and newest.user == user:
            return await _row_of(session, newest)
    return None


async def _row_of(session: AsyncSession, override: Override | None) -> OncallOverride | None:
    if override is None or override.id is None:
        return None
    return await session.get(OncallOverride, override.id)


async def override_history(
    session: AsyncSession, *, schedule: str, start: datetime, end: datetime
) -> list[OncallOverride]:
    """Every override of ``schedule`` touching ``start`` to ``end``, cancelled ones included,
    oldest first: the audit trail."""
    return list((await session.exec(_touching(start, end, schedule))).all())


def _touching(
    start: datetime, end: datetime, schedule: str | None
) -> SelectOfScalar[OncallOverride]:
    """Overrides whose window overlaps ``start`` to ``end``, oldest first."""
    statement = (
        select(OncallOverride)
        .where(col(OncallOverride.start_at) < end, col(OncallOverride.end_at) > start)
        .order_by(col(OncallOverride.created_at), col(OncallOverride.id))
    )
    if schedule is not None:
        statement = statement.where(col(OncallOverride.schedule) == schedule)
    return statement


def as_override(row: OncallOverride) -> Override:
    """The engine's value for a stored override."""
    return Override(
        id=row.id,
        schedule=row.schedule,
        user=row.user_id,
        start=row.start_at,
        end=row.end_at,
        created_by=row.created_by,
        created_at=row.created_at,
        layer=row.layer,
    )


def check_override(
    schedule: Schedule,
    user: str | None,
    start: datetime,
    end: datetime,
    *,
    layer: str | None = None,
) -> None:
    """OverrideRefused, naming the schedule and the field, unless such an override can be
    kept (a request to be on call is checked when asked, not only once accepted)."""
    where = f"schedule {schedule.name!r}: override"
    if user is not None and not USER_ID.match(user):
        raise OverrideRefused(f"{where} user: {user!r} is not a Slack user id (U… or W…)")
    layers = [one.name for one in schedule.layers]
    if layer is not None and layer not in layers:
        raise OverrideRefused(
            f"{where} layer: {layer!r} is none of its layers ({', '.join(layers)})"
        )
    if start.tzinfo is None or end.tzinfo is None:
        raise OverrideRefused(f"{where} start and end: need a time zone")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        raise OverrideRefused(
            f"{where} end: {end:%Y-%m-%d %H:%M} UTC is not after its start "
            f"({start:%Y-%m-%d %H:%M} UTC)"
        )
    if end > start + LONGEST:
        raise OverrideRefused(
            f"{where} end: more than a year after its start ({start:%Y-%m-%d} to {end:%Y-%m-%d}); "
            "change the schedule file instead"
        )
    if start < EARLIEST or end > LATEST:
        raise OverrideRefused(f"{where} start: between {EARLIEST:%Y} and {LATEST:%Y} only")
