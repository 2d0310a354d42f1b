"""``/oncall swap``: ask someone by DM to swap shifts, and their Accept or Decline.

The asker's shift is their stretch on call holding the date they give (or, if they are not
on call then, the first one that starts that day); the other person's is their first
stretch after it. If they have none, the request says it is a one-sided cover. Accepting
makes the pair of overrides, edits the request to say so and tells the asker, all in one
transaction; declining tells the asker. A second press, or a press by someone else, gets a
private answer and changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.flows.channel import deliver_now
from bot.flows.oncall.common import (
    OncallRefused,
    overrides_around,
    read_time,
    require_person,
    say_answered,
    schedule_named,
)
from bot.flows.people import zone_of
from bot.flows.rights import require
from bot.record.oncall import swaps
from bot.record.oncall.engine import (
    Override,
    Shift,
    final_shifts,
    next_shift,
    stretch_of,
    stretches,
)
from bot.record.oncall.overrides import add_override
from bot.record.oncall.rights import may_swap
from bot.record.oncall.schedules import Schedule
from bot.record.rights import Act
from bot.services import Services
from bot.store import outbox
from bot.store.db import session_scope
from bot.store.models import OncallSwap


async def ask_for_swap(
    services: Services, *, by: str, of: str, schedule_name: str, when: str
) -> str:
    """Ask ``of`` by DM to take ``by``'s shift on ``when`` (and give theirs in return)."""
    await require(services, by, Act.ONCALL_CHANGE)
    schedule = schedule_named(services, schedule_name)
    if schedule.overlap == "all":
        raise OncallRefused("swap_overlap", schedule=schedule.name)
    if of == by:
        raise OncallRefused("swap_with_self", schedule=schedule.name, field="person")
    if not may_swap(schedule, by=by, of=of):
        raise OncallRefused("swap_outside", schedule=schedule.name, field="person", user=of)
    await require_person(services, schedule, of, "person")
    now = services.clock()
    moment = read_time(schedule, when, field="shift date", now=now, after=now)
    async with session_scope(services.engine) as session:
        overrides = await overrides_around(session, now)
    give = _shift_on(schedule, overrides, by, moment)
    if give is None or give.end <= now:
        raise OncallRefused(
            "not_on_call",
            schedule=schedule.name,
            field="shift date",
            moment=moment,
            over=give,
            shown_zone=schedule.timezone,
        )
    give = Shift(max(give.start, now), give.end, (by,))
    take = next_shift(schedule, overrides, give.start, user=of)
    zone, their_zone = await zone_of(services, by), await zone_of(services, of)
    async with session_scope(services.engine) as session:
        swap = await swaps.ask_swap(
            session,
            schedule=schedule.name,
            asked_by=by,
            asked_of=of,
            give=give,
            take=take,
            at=now,
        )
        await _ask(services, session, swap, their_zone)
        await session.commit()
    await deliver_now(services, of)
    return services.renderer.render("messages/oncall/swap_asked.j2", swap=swap, zone=zone)


def _shift_on(
    schedule: Schedule, overrides: Sequence[Override], user: str, moment: datetime
) -> Shift | None:
    """``user``'s stretch on call holding ``moment``, else the first that starts on its day
    (in the schedule's zone); None when they have none."""
    held = stretch_of(schedule, overrides, user, moment)
    if held is not None:
        return held
    zone = ZoneInfo(schedule.timezone)
    day = moment.astimezone(zone).date()
    day_start = datetime.combine(day, time(), zone).astimezone(UTC)
    day_end = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
    mine = stretches(final_shifts(schedule, overrides, day_start, day_end), user)
    later = [s for s in mine if s.end > moment]
    first = next(iter(later or mine), None)
    return stretch_of(schedule, overrides, user, first.start) if first else None


async def _ask(services: Services, session: AsyncSession, swap: OncallSwap, zone: str) -> None:
    """The request, with its buttons, in the outbox for the person asked."""
    text = services.renderer.render(
        "messages/oncall/swap_request.j2", outside=True, swap=swap, zone=zone
    )
    blocks = services.renderer.render_json("blocks/oncall_swap.json.j2", text=text, swap=swap)
    await outbox.enqueue(
        session,
        channel=swap.asked_of,
        method=outbox.POST,
        payload={"text": text, "blocks": blocks},
        now=services.clock(),
    )


async def answer_swap(
    services: Services, swap_id: int, *, by: str, accept: bool, channel: str, message_ts: str
) -> None:
    """Take ``by``'s answer to a swap request (the message ``message_ts`` in ``channel``)."""
    await require(services, by, Act.ONCALL_CHANGE)
    async with session_scope(services.engine) as session:
        asked = await session.get(OncallSwap, swap_id)
    if asked is None:
        raise swaps.SwapRefused(problem="no_swap", swap_id=swap_id)
    zone, asker_zone = await zone_of(services, by), await zone_of(services, asked.asked_by)
    now = services.clock()
    async with session_scope(services.engine) as session:
        answer = await swaps.answer_swap(session, swap_id=swap_id, by=by, accept=accept, at=now)
        swap = answer.swap
        made = await _make_overrides(services, session, swap, now)
        decided = swap.status in ("accepted", "declined")
        await say_answered(
            services,
            session,
            kind="swap",
            asked=(channel, message_ts),
            zone=zone,
            requester=(swap.asked_by, asker_zone) if decided else None,
            swap=swap,
            made=made,
            taken_by=answer.taken_by,
        )
        await session.commit()
    await deliver_now(services, channel)
    await deliver_now(services, swap.asked_by)


async def _make_overrides(
    services: Services, session: AsyncSession, swap: OncallSwap, now: datetime
) -> list[Override]:
    """An accepted swap's overrides: the person asked takes the asker's shift (what is left
    of it), the asker takes theirs."""
    if swap.status != "accepted":
        return []
    schedule = schedule_named(services, swap.schedule)
    halves = [(swap.asked_of, max(swap.give_start, now), swap.give_end)]
    if swap.take_start is not None and swap.take_end is not None:
        halves.append((swap.asked_by, swap.take_start, swap.take_end))
    made = []
    for user, start, end in halves:
        override, _ = await add_override(
            session,
            schedule=schedule,
            user=user,
            start=start,
            end=end,
            created_by=swap.asked_by,
            created_at=now,
            kind="swap",
            swap_id=swap.id,
        )
        made.append(override)
    return made
