"""A person's leave in the database, and who is away on each schedule.

Leave is whole days in the person's zone (``2026-12-24..2026-12-27``: from midnight of the
first to midnight after the last), kept as the UTC instants they cover; a leave calendar's
event of hours (and imported leave) is kept as the instants it covers, its days those it
touches in the person's zone. Adding or removing
one has the user group and notices of every schedule naming the person worked out again
(``work.plan_again``) in the same transaction. ``with_away`` gives the engine schedules
carrying who is away (leave and holidays). Functions take the session and plain values; the
caller commits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.errors import BotError
from bot.record.oncall.engine import EARLIEST, HORIZON, LATEST, Override, Shift, on_call_at
from bot.record.oncall.holidays import Away, away_at, day_bounds, holiday_away
from bot.record.oncall.schedules import Schedule
from bot.record.oncall.work import plan_again
from bot.record.oncall.zones import instant_of
from bot.store.models import OncallLeave, OncallLeaveFeed

# The longest leave one entry holds: longer is a mistake, or several entries.
LONGEST_DAYS = 366
_RANGE = re.compile(r"^\s*(\S+?)\s*(?:\.\.|\s+to\s+|\s+-\s+)\s*(\S+)\s*$", re.IGNORECASE)
Source = str  # slack | web | feed | import


class LeaveRefused(BotError):
    """Leave that cannot be kept as asked: ``problem`` says why (the template words it)."""

    def __init__(self, problem: str, **context: object) -> None:
        super().__init__(problem, problem=problem, **context)


@dataclass(frozen=True)
class FeedLeave:
    """What a leave calendar gives now: runs of whole days (first, last) and spans of hours
    (Unix seconds from, to), in ``zone`` (the person's)."""

    days: Sequence[tuple[date, date]]
    hours: Sequence[tuple[int, int]]
    zone: str


@dataclass(frozen=True)
class Skip:
    """On ``schedule`` now, ``user`` is away (``why``: leave or a holiday) and ``taker``
    has the turn instead (None: nobody, every member of the rotation is away)."""

    schedule: str
    user: str
    why: str
    taker: str | None


def read_days(text: str) -> tuple[date, date]:
    """``2026-12-24..2026-12-27``, ``2026-12-24 to 2026-12-27`` or one day, as the first
    and last day; LeaveRefused ("days") otherwise."""
    match = _RANGE.match(text)
    parts = match.groups() if match else (text.strip(), text.strip())
    try:
        first, last = (date.fromisoformat(part) for part in parts)
    except ValueError:
        raise LeaveRefused("days", text=text) from None
    return first, last


def check_days(first: date, last: date, *, today: date) -> None:
    """LeaveRefused unless the days run forward, within ``LONGEST_DAYS``, not all past."""
    if last < first:
        raise LeaveRefused("backwards", first=first, last=last)
    if (last - first).days + 1 > LONGEST_DAYS:
        raise LeaveRefused("too_long", first=first, last=last, longest=LONGEST_DAYS)
    if last < today:
        raise LeaveRefused("past", first=first, last=last)
    start, end = day_bounds(first, last, "UTC")
    if not EARLIEST <= start < end <= LATEST:
        raise LeaveRefused("days", text=f"{first}..{last}")


async def add_leave(
    session: AsyncSession,
    schedules: Iterable[Schedule],
    *,
    user: str,
    days: tuple[date, date],
    zone: str,
    source: Source,
    created_by: str,
    now: datetime,
) -> OncallLeave:
    """Keep ``user``'s leave from the first to the last of ``days`` in ``zone`` (checked
    first); the schedules naming them are worked out again. The caller commits."""
    first, last = days
    check_days(first, last, today=now.astimezone(ZoneInfo(zone)).date())
    row = _row(user, (first, last), zone, source=source, created_by=created_by, now=now)
    session.add(row)
    await session.flush()
    await _plan_again(session, schedules, user, now, f"leave-{row.id}")
    return row


async def leave_of(session: AsyncSession, user: str, *, now: datetime) -> list[OncallLeave]:
    """``user``'s leave not over at ``now``, soonest first."""
    statement = (
        select(OncallLeave)
        .where(col(OncallLeave.user_id) == user, col(OncallLeave.end_at) > now)
        .order_by(col(OncallLeave.start_at), col(OncallLeave.id))
    )
    return list((await session.exec(statement)).all())


async def leave_feed_of(session: AsyncSession, user: str) -> OncallLeaveFeed | None:
    """``user``'s leave calendar, if they gave one."""
    statement = select(OncallLeaveFeed).where(col(OncallLeaveFeed.user_id) == user)
    return (await session.exec(statement)).first()


async def remove_leave(
    session: AsyncSession, schedules: Iterable[Schedule], *, user: str, leave_id: int, now: datetime
) -> OncallLeave:
    """Remove ``user``'s leave ``leave_id`` (LeaveRefused "no_leave" when they have no such
    leave; a feed's leave goes with the feed). The caller commits."""
    row = await session.get(OncallLeave, leave_id)
    if row is None or row.user_id != user:
        raise LeaveRefused("no_leave", leave_id=leave_id)
    if row.source == "feed":
        raise LeaveRefused("from_feed", leave_id=leave_id)
    await session.delete(row)
    await _plan_again(session, schedules, user, now, f"leave-removed-{leave_id}")
    return row


async def replace_feed_leave(
    session: AsyncSession,
    schedules: Iterable[Schedule],
    *,
    user: str,
    leave: FeedLeave,
    now: datetime,
) -> None:
    """Make ``user``'s leave from their feed what it gives now (``leave``); nothing changes
    (nothing is worked out again) when it gives what it did. The caller commits."""
    statement = select(OncallLeave).where(
        col(OncallLeave.user_id) == user, col(OncallLeave.source) == "feed"
    )
    rows = [
        _row(user, days, leave.zone, source="feed", created_by=user, now=now) for days in leave.days
    ]
    rows += [_hours_row(user, span, leave.zone, now=now) for span in leave.hours]
    kept = {_extent(row) for row in (await session.exec(statement)).all()}
    if kept == {_extent(row) for row in rows}:
        return
    await session.exec(
        delete(OncallLeave).where(
            col(OncallLeave.user_id) == user, col(OncallLeave.source) == "feed"
        )
    )
    session.add_all(rows)
    await _plan_again(session, schedules, user, now, f"leave-feed-{user}-{now.timestamp():.0f}")


def _hours_row(user: str, span: tuple[int, int], zone: str, *, now: datetime) -> OncallLeave:
    """A leave calendar's event of hours: the instants it covers, on the days it touches."""
    start, end = (datetime.fromtimestamp(second, UTC) for second in span)
    tz = ZoneInfo(zone)
    days = (start.astimezone(tz).date(), (end - timedelta(microseconds=1)).astimezone(tz).date())
    row = _row(user, days, zone, source="feed", created_by=user, now=now)
    row.start_at, row.end_at = start, end
    return row


def _extent(row: OncallLeave) -> tuple[str, str, str, int, int]:
    return (row.first_day, row.last_day, row.zone, instant_of(row.start_at), instant_of(row.end_at))


def merged(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans (from, to) with those that overlap or touch made one, in order; empty ones out."""
    runs: list[tuple[int, int]] = []
    for start, end in sorted(span for span in spans if span[1] > span[0]):
        if runs and start <= runs[-1][1]:
            runs[-1] = (runs[-1][0], max(runs[-1][1], end))
        else:
            runs.append((start, end))
    return runs


async def keep_imported(
    session: AsyncSession,
    schedules: Iterable[Schedule],
    *,
    made_by: str,
    spans: Iterable[tuple[str, datetime, datetime]],
    now: datetime,
) -> None:
    """Keep imported leave (a user away from a start to an end, UTC) made by ``made_by``
    (``opsgenie-import``) not kept yet, and remove that of an earlier import the vendor no
    longer has (not over yet): a second run adds none. The caller commits."""
    schedules = list(schedules)
    statement = select(OncallLeave).where(
        col(OncallLeave.created_by) == made_by, col(OncallLeave.end_at) > now
    )
    kept = {
        (row.user_id, row.start_at.astimezone(UTC), row.end_at.astimezone(UTC)): row
        for row in (await session.exec(statement)).all()
    }
    wanted = set(spans)
    for key, row in kept.items():
        if key not in wanted:
            await session.delete(row)
            await _plan_again(session, schedules, row.user_id, now, f"leave-removed-{row.id}")
    for user, start, end in sorted(wanted - set(kept)):
        days = (start.date(), (end - timedelta(microseconds=1)).date())
        row = _row(user, days, "UTC", source="import", created_by=made_by, now=now)
        row.start_at, row.end_at = start, end  # the vendor's instants, not whole days
        session.add(row)
        await session.flush()
        await _plan_again(session, schedules, user, now, f"leave-{row.id}")


def _row(
    user: str, days: tuple[date, date], zone: str, *, source: str, created_by: str, now: datetime
) -> OncallLeave:
    """Leave of ``user`` from the first to the last of ``days`` in ``zone``."""
    first, last = days
    start, end = day_bounds(first, last, zone)
    return OncallLeave(
        user_id=user,
        first_day=first.isoformat(),
        last_day=last.isoformat(),
        zone=zone,
        start_at=start,
        end_at=end,
        source=source,
        created_by=created_by,
        created_at=now,
    )


async def _plan_again(
    session: AsyncSession, schedules: Iterable[Schedule], user: str, now: datetime, cause: str
) -> None:
    for schedule in schedules:
        if user in schedule.people:
            await plan_again(session, schedule.name, at=now, cause=cause)


async def with_away(
    session: AsyncSession, schedules: Iterable[Schedule], *, now: datetime | None = None
) -> list[Schedule]:
    """The schedules, each carrying who is away: its people's leave (all of it, or what can
    bear on the engine's answers around ``now``) and its holidays."""
    schedules = list(schedules)
    people = {user for schedule in schedules for user in schedule.people}
    statement = select(OncallLeave).where(col(OncallLeave.user_id).in_(people))
    if now is not None:
        statement = statement.where(
            col(OncallLeave.end_at) > max(now - 2 * HORIZON, EARLIEST),
            col(OncallLeave.start_at) < min(now + 3 * HORIZON, LATEST),
        )
    rows = (await session.exec(statement)).all() if people else []
    leave = [
        Away(instant_of(row.start_at), instant_of(row.end_at), row.user_id, "leave") for row in rows
    ]
    return [carrying(schedule, leave) for schedule in schedules]


def carrying(schedule: Schedule, leave: list[Away]) -> Schedule:
    """The schedule carrying its people's ``leave`` (of anyone's) and its holidays."""
    mine = [one for one in leave if one.user in schedule.people]
    if schedule.holidays is not None:
        mine += holiday_away(schedule.holidays, schedule.timezone, schedule.people)
    if not mine and not schedule.away:
        return schedule
    return replace(schedule, away=tuple(sorted(mine)))


def skipped_at(schedule: Schedule, overrides: Sequence[Override], at: datetime) -> list[Skip]:
    """Who the schedule's rotations pass over at ``at`` because they are away, and who has
    the turn instead (as the schedule would be with nobody away, compared)."""
    if not schedule.away:
        return []
    now, plain = on_call_at(schedule, overrides, at), _unaway(schedule, overrides, at)
    instant = instant_of(at)
    skips = []
    for user in plain.users:
        why = away_at(schedule.away, user, instant)
        if why is None or user in now.users:
            continue
        takers = [taker for taker in now.users if taker not in plain.users]
        skips.append(Skip(schedule.name, user, why.why, takers[0] if takers else None))
    return skips


def _unaway(schedule: Schedule, overrides: Sequence[Override], at: datetime) -> Shift:
    return on_call_at(replace(schedule, away=()), overrides, at)


def spans_of(days: Iterable[date]) -> list[tuple[date, date]]:
    """Days as runs of consecutive days (first, last)."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs
