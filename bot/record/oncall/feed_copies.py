"""The last good copy of each iCal layer's feed, in the database, and how its refreshes go.

Every replica reads the same copy, and a restart keeps it: a refresh that fails (the source
down, an answer that is no calendar, one too large) never touches the copy, and says why
and since when. ``with_feed_copies`` gives the engine schedules whose iCal layers carry the
shifts their copy names, and who is away (leave, holidays); without it an iCal layer names
nobody and nobody is away.

Functions take the session and plain values; the caller commits.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlsplit

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.oncall.holidays import HOLIDAY_LAYER, event_days
from bot.record.oncall.ical_layers import FeedEvent, LayerReading, layer_shifts_of
from bot.record.oncall.leave import with_away
from bot.record.oncall.schedules import Layer, Schedule
from bot.store.models import OncallIcalCopy, OncallLeaveFeed

# How many of the events naming nobody a state lists by their summary.
SHOWN_UNMATCHED = 5


@dataclass(frozen=True)
class FeedState:
    """Where an iCal feed stands (a layer's, a schedule's holiday calendar's, kept as the
    layer ``HOLIDAY_LAYER``, or a person's leave calendar's: ``person``, its ``host`` only,
    since such an address holds a secret): its copy, its last attempt, what went wrong."""

    schedule: str
    layer: str
    fetched_at: datetime | None  # the copy's time; None: no good copy yet
    checked_at: datetime | None
    failing_since: datetime | None
    error: str | None
    event_count: int
    reading: LayerReading
    person: str | None = None
    host: str | None = None

    @property
    def failing(self) -> bool:
        return self.failing_since is not None or self.fetched_at is None


async def keep_copy(
    session: AsyncSession,
    *,
    schedule: str,
    layer: str,
    url: str,
    events: Sequence[FeedEvent],
    at: datetime,
) -> None:
    """Keep ``events`` as the layer's copy of its feed, fetched from ``url`` at ``at``."""
    row = await _row(session, schedule, layer, url)
    row.url, row.events = url, json.dumps([event.as_row() for event in events])
    row.event_count, row.fetched_at, row.checked_at = len(events), at, at
    row.failing_since, row.error = None, None
    session.add(row)


async def note_failure(
    session: AsyncSession, *, schedule: str, layer: str, url: str, reason: str, at: datetime
) -> OncallIcalCopy:
    """Say that refreshing the layer's feed failed at ``at``, and why; the copy stays."""
    row = await _row(session, schedule, layer, url)
    if row.url != url:  # the file names another address: the old copy is of no use
        row.url, row.events, row.event_count, row.fetched_at = url, None, 0, None
    row.checked_at, row.error = at, reason
    row.failing_since = row.failing_since or at
    session.add(row)
    return row


async def _row(session: AsyncSession, schedule: str, layer: str, url: str) -> OncallIcalCopy:
    statement = select(OncallIcalCopy).where(
        OncallIcalCopy.schedule == schedule, OncallIcalCopy.layer == layer
    )
    found = (await session.exec(statement)).first()
    return found or OncallIcalCopy(schedule=schedule, layer=layer, url=url)


async def with_feed_copies(session: AsyncSession, schedules: Iterable[Schedule]) -> list[Schedule]:
    """The schedules, their iCal layers carrying the shifts their feed's copy names (none
    where there is no copy yet, or only a copy of an address the file no longer names), and
    each carrying who is away (``bot.record.oncall.leave.with_away``)."""
    schedules = list(schedules)
    if any(_has_feeds(schedule) for schedule in schedules):
        copies = await _copies(session)
        schedules = [
            _with_holidays(
                replace(
                    schedule,
                    layers=tuple(_filled(schedule, layer, copies) for layer in schedule.layers),
                ),
                copies,
            )
            if _has_feeds(schedule)
            else schedule
            for schedule in schedules
        ]
    return await with_away(session, schedules)


def _has_feeds(schedule: Schedule) -> bool:
    holidays = schedule.holidays
    calendar = holidays is not None and holidays.ical_url is not None
    return calendar or any(layer.ical for layer in schedule.layers)


def _with_holidays(schedule: Schedule, copies: dict[tuple[str, str], OncallIcalCopy]) -> Schedule:
    """The schedule, its holidays carrying the days its holiday calendar's copy names."""
    holidays = schedule.holidays
    if holidays is None or holidays.ical_url is None:
        return schedule
    row = copies.get((schedule.name, HOLIDAY_LAYER))
    if row is None or row.url != holidays.ical_url or row.events is None:
        return schedule
    events = [FeedEvent.of_row(item) for item in json.loads(row.events)]
    days = event_days(((event.start, event.end) for event in events), schedule.timezone)
    return replace(schedule, holidays=replace(holidays, feed_dates=tuple(days)))


async def feed_states(session: AsyncSession, schedules: Iterable[Schedule]) -> list[FeedState]:
    """Where each iCal feed ``schedules`` read stands: each iCal layer's and holiday calendar's,
    in the file's order, then the leave calendars of their people, by person."""
    copies = await _copies(session)
    states: list[FeedState] = []
    people: list[str] = []
    for schedule in schedules:
        people += schedule.people
        for layer in schedule.layers:
            if layer.ical is None:
                continue
            current = _current(copies, schedule, layer)
            states.append(_state(schedule.name, layer.name, current, _reading(layer, current)))
        calendar = schedule.holidays.ical_url if schedule.holidays else None
        if calendar:
            row = copies.get((schedule.name, HOLIDAY_LAYER))
            current = row if row is not None and row.url == calendar else None
            states.append(_state(schedule.name, HOLIDAY_LAYER, current, NOTHING_READ))
    return states + await _leave_feed_states(session, people)


# A holiday or leave calendar names no turns: nothing of it is read as a layer's.
NOTHING_READ = LayerReading((), (), ())


def _state(
    schedule: str,
    layer: str,
    current: OncallIcalCopy | OncallLeaveFeed | None,
    reading: LayerReading,
    **whose: str | None,
) -> FeedState:
    return FeedState(
        schedule=schedule,
        layer=layer,
        fetched_at=current.fetched_at if current else None,
        checked_at=current.checked_at if current else None,
        failing_since=current.failing_since if current else None,
        error=current.error if current else None,
        event_count=current.event_count if current else 0,
        reading=reading,
        **whose,
    )


async def _leave_feed_states(session: AsyncSession, people: Sequence[str]) -> list[FeedState]:
    if not people:
        return []
    statement = (
        select(OncallLeaveFeed)
        .where(col(OncallLeaveFeed.user_id).in_(set(people)))
        .order_by(col(OncallLeaveFeed.user_id))
    )
    rows = (await session.exec(statement)).all()
    return [
        _state("", "", row, NOTHING_READ, person=row.user_id, host=urlsplit(row.url).hostname)
        for row in rows
    ]


async def _copies(session: AsyncSession) -> dict[tuple[str, str], OncallIcalCopy]:
    rows = (await session.exec(select(OncallIcalCopy))).all()
    return {(row.schedule, row.layer): row for row in rows}


def _filled(
    schedule: Schedule, layer: Layer, copies: dict[tuple[str, str], OncallIcalCopy]
) -> Layer:
    """The layer as it is, or an iCal layer with its copy's shifts."""
    if layer.ical is None:
        return layer
    current = _current(copies, schedule, layer)
    return replace(layer, ical=replace(layer.ical, shifts=_reading(layer, current).shifts))


def _current(
    copies: dict[tuple[str, str], OncallIcalCopy], schedule: Schedule, layer: Layer
) -> OncallIcalCopy | None:
    """The layer's copy, unless it is of an address the file no longer names."""
    row = copies.get((schedule.name, layer.name))
    return row if row is not None and layer.ical and row.url == layer.ical.url else None


def _reading(layer: Layer, row: OncallIcalCopy | None) -> LayerReading:
    assert layer.ical is not None
    if row is None or row.events is None:
        return LayerReading((), (), ())
    events = [FeedEvent.of_row(item) for item in json.loads(row.events)]
    return layer_shifts_of(events, layer.ical.user_map)
