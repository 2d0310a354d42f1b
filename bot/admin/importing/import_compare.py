"""``warroom import ... --compare DAYS``: before turning the old tool off, the vendor and
warroom asked who is on call, at every handoff and every hour of DAYS days.

warroom's answer comes from the files just written and the imported overrides (through its
engine, ``bot.record.oncall.engine``); the vendor's from its own on-call endpoint
(``Vendor.on_call``). A disagreement is a line ``<ISO 8601 UTC> <schedule> vendor=<who>
warroom=<who>``; people are said by their Slack id, a vendor user matched to nobody as
``unmatched:<vendor id>``, several on call at once joined by ``+``, nobody as ``nobody``.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from bot.admin.progress import Progress
from bot.clients.importing import Vendor, VendorApi
from bot.record.oncall.engine import Override, Shift, final_shifts
from bot.record.oncall.importing.carrying import Carried, ImportedOverride, People
from bot.record.oncall.importing.drafts import Person, ScheduleRef
from bot.record.oncall.schedules import Schedule, Schedules

HOUR = timedelta(hours=1)
# Questions to the vendor at once: a few, so a rate limit is seldom met.
AT_ONCE = 4
NOBODY = "nobody"


async def compare(
    api: VendorApi,
    vendor: Vendor,
    carried: Carried,
    schedules: Schedules,
    people: People,
    start: datetime,
    length: timedelta,
) -> list[str]:
    """Each disagreement from ``start`` for ``length``, in time order, schedule by schedule."""
    gate = asyncio.Semaphore(AT_ONCE)
    overrides = imported_overrides(carried.overrides, start)
    found: list[tuple[datetime, str, str]] = []
    progress = Progress("import --compare")
    names = sorted(carried.schedule_names.items(), key=lambda pair: pair[1])
    for number, (vendor_id, name) in enumerate(names, start=1):
        progress.step(number, len(names), f"asking who was on call on {name}")
        schedule = schedules.by_name[name]
        shifts = final_shifts(schedule, overrides, start, start + length)
        instants = instants_to_ask(shifts, start, start + length)
        ref = ScheduleRef(vendor_id)
        answers = await asyncio.gather(*(_ask(gate, vendor, api, ref, at) for at in instants))
        for at, theirs in zip(instants, answers, strict=True):
            line = _disagreement(schedule, shifts, at, theirs, people)
            if line is not None:
                found.append((at, name, line))
    progress.end()
    return [line for _, _, line in sorted(found)]


async def _ask(
    gate: asyncio.Semaphore, vendor: Vendor, api: VendorApi, ref: ScheduleRef, at: datetime
) -> frozenset[Person]:
    async with gate:
        return await vendor.on_call(api, ref, at)


def imported_overrides(overrides: Iterable[ImportedOverride], now: datetime) -> list[Override]:
    """The imported overrides as the engine takes them, the later of two the newer."""
    return [
        Override(
            id=None,
            schedule=o.schedule,
            user=o.user,
            start=o.start,
            end=o.end,
            created_by="import",
            created_at=now + timedelta(microseconds=step),
            layer=o.layer,
        )
        for step, o in enumerate(overrides)
    ]


def instants_to_ask(shifts: Sequence[Shift], start: datetime, end: datetime) -> list[datetime]:
    """``start``, every hour boundary (UTC) after it and every handoff, before ``end``."""
    first_hour = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    hours = int((end - first_hour) / HOUR) + 1
    found = {start} | {first_hour + step * HOUR for step in range(hours)}
    found |= {shift.start for shift in shifts}
    return sorted(at for at in found if start <= at < end)


def _disagreement(
    schedule: Schedule,
    shifts: Sequence[Shift],
    at: datetime,
    theirs: frozenset[Person],
    people: People,
) -> str | None:
    ours = _said(_holding(shifts, at).users)
    vendor_side = _said(people.get(p.vendor_id) or f"unmatched:{p.vendor_id}" for p in theirs)
    if ours == vendor_side:
        return None
    moment = at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return f"{moment} {schedule.name} vendor={vendor_side} warroom={ours}"


def _holding(shifts: Sequence[Shift], at: datetime) -> Shift:
    """The shift that holds ``at`` (the shifts cover the window, each after the last)."""
    index = bisect.bisect_right([shift.start for shift in shifts], at) - 1
    return shifts[max(index, 0)]


def _said(users: Iterable[str]) -> str:
    found = sorted(set(users))
    return "+".join(found) if found else NOBODY
