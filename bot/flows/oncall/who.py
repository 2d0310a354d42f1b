"""``/oncall``: who is on call now and next, for every schedule or one, in the asker's zone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.flows.oncall.common import OncallRefused, overrides_around, schedule_named
from bot.flows.people import guests_listed, zone_of
from bot.flows.rights import require
from bot.record.oncall.engine import HORIZON, Override, Shift, next_shift, on_call_at
from bot.record.oncall.feed_copies import with_feed_copies
from bot.record.oncall.leave import Skip, skipped_at
from bot.record.oncall.schedules import Schedule
from bot.record.rights import Act
from bot.services import Services
from bot.store.db import session_scope


@dataclass(frozen=True)
class OnCall:
    """One schedule's shift now (``users`` empty: a gap) and the one after it (None: nothing
    within the engine's horizon)."""

    schedule: Schedule
    now: Shift
    next: Shift | None
    # Whom the rotations pass over now because they are away, and who has the turn instead.
    skips: tuple[Skip, ...] = ()


async def who_is_on_call(
    services: Services, *, asker: str, schedule_name: str | None, named_as_subcommand: bool
) -> str:
    """Say who is on call now and next, with each shift's end, in the asker's zone.
    ``named_as_subcommand``: the name came where a subcommand goes (``/oncall foo``)."""
    await require(services, asker, Act.ONCALL_SEE, recent=True)
    schedules = _asked_about(services, schedule_name, named_as_subcommand)
    zone = await zone_of(services, asker)
    now = services.clock()
    async with session_scope(services.engine) as session:
        overrides = await overrides_around(session, now)
        schedules = await with_feed_copies(session, schedules)
    rows = [on_call(schedule, overrides, now) for schedule in schedules]
    # The file may name a guest, who is never on call: their shift is a gap, as at handoffs.
    shifts = (shift for row in rows for shift in (row.now, row.next) if shift)
    guests = await guests_listed(services, (user for shift in shifts for user in shift.users))
    return services.renderer.render(
        "messages/oncall/who.j2", rows=rows, guests=guests, zone=zone, now=now
    )


def _asked_about(services: Services, name: str | None, named_as_subcommand: bool) -> list[Schedule]:
    if name is None:
        schedules = list(services.settings.oncall.schedules.by_name.values())
        if not schedules:
            raise OncallRefused("no_schedules")
        return schedules
    try:
        return [schedule_named(services, name)]
    except OncallRefused as refusal:
        refusal.context["named_as_subcommand"] = named_as_subcommand
        raise


def on_call(schedule: Schedule, overrides: Sequence[Override], now: datetime) -> OnCall:
    """The schedule's shift at ``now`` and the next one (for /oncall and the web view)."""
    shift = on_call_at(schedule, overrides, now)
    skips = tuple(skipped_at(schedule, overrides, now))
    # The next shift begins where this one (the whole stretch of one person) ends, unless the
    # engine stopped looking at its horizon: then next_shift says whether there is one.
    if shift.end < now + HORIZON:
        return OnCall(schedule, shift, on_call_at(schedule, overrides, shift.end), skips)
    return OnCall(schedule, shift, next_shift(schedule, overrides, now), skips)
