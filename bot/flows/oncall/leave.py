"""``/oncall leave`` and the web view's leave form: a person's leave, which rotations skip.

Adding leave says, for each schedule naming the person, whether someone else takes their
turns or a stretch is left with nobody on call (every member of a rotation away): such a
stretch is a gap, said in ``/oncall``, and a policy level reaching nobody goes on to its
next level at once (``bot.flows.escalation``). Leave and the work it causes (the schedules'
user groups and notices worked out again) commit in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clients.ical_feeds import feed_host
from bot.flows.oncall.common import OncallRefused, overrides_around
from bot.flows.people import zone_of
from bot.flows.rights import require
from bot.record.oncall.engine import Shift, gaps
from bot.record.oncall.feed_copies import with_feed_copies
from bot.record.oncall.leave import (
    LeaveRefused,
    add_leave,
    leave_feed_of,
    leave_of,
    read_days,
    remove_leave,
)
from bot.record.oncall.schedules import Schedule
from bot.record.rights import Act
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import OncallLeave

TEMPLATE = "messages/oncall/leave.j2"


@dataclass(frozen=True)
class Emptied:
    """While the leave lasts, ``schedule`` has nobody on call in these ``gaps``."""

    schedule: str
    gaps: list[Shift]


async def keep_leave(
    services: Services, *, user: str, days: str | tuple[date, date], source: str
) -> tuple[OncallLeave, list[Emptied], str]:
    """Keep ``user``'s leave (``days`` as typed, or read already), in their zone; with the
    schedules it leaves with nobody on call, and the zone. OncallRefused says why not."""
    await require(services, user, Act.ONCALL_CHANGE)
    zone = await zone_of(services, user)
    configured = list(services.settings.oncall.schedules.by_name.values())
    now = services.clock()
    try:
        first_last = read_days(days) if isinstance(days, str) else days
        async with session_scope(services.engine) as session:
            row = await add_leave(
                session,
                configured,
                user=user,
                days=first_last,
                zone=zone,
                source=source,
                created_by=user,
                now=now,
            )
            emptied = await _emptied(session, configured, row)
            await session.commit()
    except LeaveRefused as refusal:
        raise said(refusal) from None
    services.wake_jobs()
    return row, emptied, zone


def said(refusal: LeaveRefused) -> OncallRefused:
    """The record's refusal, as ``/oncall`` and the web view word it."""
    context = {k: v for k, v in refusal.context.items() if k not in ("problem", "message")}
    return OncallRefused(f"leave_{refusal.context['problem']}", field="leave", **context)


async def _emptied(
    session: AsyncSession, configured: list[Schedule], row: OncallLeave
) -> list[Emptied]:
    """The schedules naming the leave's person left with nobody on call while it lasts,
    where they would have had someone without anyone away."""
    mine = [schedule for schedule in configured if row.user_id in schedule.people]
    if not mine:
        return []
    overrides = await overrides_around(session, row.start_at)
    found = []
    for schedule in await with_feed_copies(session, mine):
        plain = gaps(replace(schedule, away=()), overrides, row.start_at, row.end_at)
        new = [
            gap for gap in gaps(schedule, overrides, row.start_at, row.end_at) if gap not in plain
        ]
        if new:
            found.append(Emptied(schedule.name, new))
    return found


async def add_own_leave(services: Services, *, user: str, text: str) -> str:
    """``/oncall leave add <days>``: keep it and say what it does to the schedules."""
    row, emptied, zone = await keep_leave(services, user=user, days=text, source="slack")
    return services.renderer.render(TEMPLATE, state="added", leave=row, emptied=emptied, zone=zone)


async def list_own_leave(services: Services, *, user: str) -> str:
    """``/oncall leave``: the person's leave not over yet."""
    await require(services, user, Act.ONCALL_CHANGE)
    async with session_scope(services.engine) as session:
        rows = await leave_of(session, user, now=services.clock())
        feed = await leave_feed_of(session, user)
    host = feed_host(feed.url) if feed else None
    return services.renderer.render(TEMPLATE, state="list", rows=rows, feed=feed, host=host)


async def drop_leave(services: Services, *, user: str, leave_id: int) -> OncallLeave:
    """Remove the person's own leave ``leave_id``; OncallRefused says why not."""
    await require(services, user, Act.ONCALL_CHANGE)
    configured = list(services.settings.oncall.schedules.by_name.values())
    try:
        async with session_scope(services.engine) as session:
            row = await remove_leave(
                session, configured, user=user, leave_id=leave_id, now=services.clock()
            )
            await session.commit()
    except LeaveRefused as refusal:
        raise said(refusal) from None
    services.wake_jobs()
    return row


async def remove_own_leave(services: Services, *, user: str, leave_id: int) -> str:
    """``/oncall leave remove <id>``."""
    row = await drop_leave(services, user=user, leave_id=leave_id)
    return services.renderer.render(TEMPLATE, state="removed", leave=row)
