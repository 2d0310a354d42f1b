"""What the on-call pages, the insights and the API read: the configured schedules, the
overrides in the database, and the names and zones the record keeps for people.

A guest of the workspace sees no schedule: who is on call, and their Slack ids, are the
team's own business, as private incidents are.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.flows.oncall.common import overrides_around
from bot.flows.oncall.who import OnCall, on_call
from bot.flows.people import names_for_page, usergroup_for_page
from bot.record.oncall.engine import Shift
from bot.record.oncall.feed_copies import with_feed_copies
from bot.record.oncall.hours import ScheduleHours, hours_on_call
from bot.record.oncall.overrides import overrides_between
from bot.record.oncall.schedules import Schedule
from bot.record.people import known_names, known_zones
from bot.store.db import session_scope
from bot.web.context import WebContext
from bot.web.visibility import Viewer

# The insights count this far back.
HOURS_DAYS = 90


async def schedules_for(web_: WebContext, viewer: Viewer) -> list[Schedule]:
    """The configured schedules, in the file's order, their iCal layers filled from the last
    good copies of their feeds, each carrying who is away (leave, holidays); none for a
    guest."""
    if viewer.guest:
        return []
    return await _as_read(web_, web_.settings.oncall.schedules.by_name.values())


async def schedule_for(web_: WebContext, viewer: Viewer, name: str) -> Schedule | None:
    """The schedule of that name (names ignore case), if the viewer may see it, its iCal
    layers filled as ``schedules_for`` fills them."""
    schedule = None if viewer.guest else web_.settings.oncall.schedules.get(name)
    if schedule is None:
        return None
    [schedule] = await _as_read(web_, [schedule])
    return schedule


async def _as_read(web_: WebContext, schedules: Iterable[Schedule]) -> list[Schedule]:
    async with session_scope(web_.services.engine) as session:
        return await with_feed_copies(session, schedules)


def people_of(schedules: Iterable[Schedule], shifts: Iterable[Shift] = ()) -> set[str]:
    """Everyone named by the schedules (members, owners) and the shifts."""
    people = {user for shift in shifts for user in shift.users}
    for schedule in schedules:
        people.update(schedule.owners)
        people.update(member for layer in schedule.layers for member in layer.people)
    return people


async def names_of(web_: WebContext, people: Iterable[str]) -> dict[str, str]:
    """The names of ``people``: the record's, and those it lacks asked of Slack before the page
    shows them (``names_for_page``: a few at a time, within Slack's limits; past them, or
    when Slack cannot say, the page names them "a Slack user (U…)")."""
    wanted = set(people)
    async with session_scope(web_.services.engine) as session:
        kept = await known_names(session, wanted)
    return await names_for_page(web_.services, kept, sorted(wanted))


@dataclass(frozen=True)
class GroupShown:
    """A user group as a page names it: its handle and name (Slack's), or that Slack has no
    such group (``missing``), or neither when Slack could not say (the page shows the ref)."""

    ref: str
    handle: str = ""
    name: str = ""
    missing: bool = False

    @property
    def by_id(self) -> bool:
        """Whether the files name it by its Slack id (``S0DBA00001``), not by its handle."""
        return self.ref.startswith("S") and self.ref.isalnum() and self.ref.isupper()


async def groups_of(web_: WebContext, refs: Iterable[str]) -> dict[str, GroupShown]:
    """The user groups ``refs`` name (a handle or an ``S…`` id, as the operator's files give
    them), each asked of Slack once in this process before a page shows it."""
    shown = {}
    for ref in sorted(set(refs)):
        found = await usergroup_for_page(web_.services, ref)
        if isinstance(found, tuple):
            shown[ref] = GroupShown(ref, handle=found[0], name=found[1])
        else:
            shown[ref] = GroupShown(ref, missing=found is None)
    return shown


async def now_on_call(
    web_: WebContext, schedules: Sequence[Schedule], at: datetime
) -> list[OnCall]:
    """Who is on call at ``at`` and next, for each of ``schedules``."""
    if not schedules:
        return []
    async with session_scope(web_.services.engine) as session:
        overrides = await overrides_around(session, at)
    return [on_call(schedule, overrides, at) for schedule in schedules]


@dataclass(frozen=True)
class OnCallHours:
    """The insights' on-call part: each schedule's hours per person over ``days`` days."""

    days: int
    schedules: tuple[ScheduleHours, ...]
    names: dict[str, str]


async def hours_for(
    web_: WebContext, schedules: Sequence[Schedule], now: datetime, days: int = HOURS_DAYS
) -> OnCallHours:
    """Hours on call per person over the last ``days`` days, by each person's own clock."""
    start = now - timedelta(days=days)
    async with session_scope(web_.services.engine) as session:
        overrides = await overrides_between(session, start=start, end=now)
        put_on_call = {o.user for o in overrides if o.user}
        zones = await known_zones(session, people_of(schedules, ()) | put_on_call)
    counted = tuple(
        hours_on_call(schedule, overrides, start=start, end=now, zones=zones)
        for schedule in schedules
    )
    names = await names_of(web_, {p.user for hours in counted for p in hours.people})
    return OnCallHours(days, counted, names)
