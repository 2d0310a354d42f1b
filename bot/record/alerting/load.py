"""On-call load, for Insights: what alerts of ``page`` routes asked of the people on call in
a period. One definition per figure:

- **An alert** is one episode of a page route's alert group (it fires, it resolves; firing
  again is a new one), counted in the ISO week (Monday to Sunday, in the insights' zone) it
  was triggered: the group's ``triggered_at`` for its current episode, its first page for an
  earlier one (the group keeps its latest episode only; the pages keep every one).
- **After-hours pages**: a person's pages (alerts' and incidents') that started outside
  09:00–18:00, Monday to Friday, in the person's own zone as Slack last gave it, else the
  team's (``WARROOM_TIMEZONE``); the row says which.
- **Time to acknowledge**: from an alert's trigger to its acknowledgement (the group's for its
  current episode, its pages' first for an earlier one), the median over the alerts
  acknowledged; snoozed or resolved without one are not in it. The same median **by
  urgency**: over the high-urgency alerts, and over the low-urgency ones (an alert's urgency
  is its route's when it fired; an earlier episode's, its group's latest).
- **Alerts per service**: the same alerts counted by the service they carry (WARROOM_SERVICES;
  an alert with none under ``""``), per week.
- **Noise**: of the period's alerts, the share acknowledged or resolved (by a person or its
  source) and attached to no incident.

No Slack, no HTTP: the caller passes the period as UTC times.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, NamedTuple

from dateutil import tz
from sqlalchemy import ColumnElement, Integer, and_, case, cast, func, literal, or_
from sqlalchemy import select as core_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.alerting.alerts import ACKNOWLEDGED, RESOLVED
from bot.record.alerting.routes import URGENCIES
from bot.record.insights.counts import Median
from bot.record.people import known_zones
from bot.store.models import AlertGroup, PersonPage

WORKDAY = (time(9), time(18))
_MICROSECOND = timedelta(microseconds=1)


class Episode(NamedTuple):
    """One alert: its group, route, when it triggered, when acknowledged, how it ended (a
    tuple: tens of thousands are made for a year's Insights)."""

    group_id: int
    route: str
    triggered_at: datetime
    acknowledged_at: datetime | None
    quiet: bool  # acknowledged or resolved, attached to no incident
    urgency: str  # high or low
    service: str  # the service it carries, "" for none


class _Group(NamedTuple):
    """What the figures read of an alert group: its columns alone, not the ORM row (a year's
    groups are tens of thousands; loading each whole cost Insights over a second at 100,000,
    bench.web_pages)."""

    id: int | None
    episode: int
    route: str
    triggered_at: datetime | None
    acknowledged_at: datetime | None
    state: str | None
    incident_id: int | None
    urgency: str
    service: str | None


_GROUP_COLUMNS = tuple(getattr(AlertGroup, name) for name in _Group._fields)


@dataclass(frozen=True)
class PersonLoad:
    user_id: str
    pages: int
    after_hours: int
    zone: str
    own_zone: bool  # the person's zone (else the team's)


@dataclass(frozen=True)
class OncallLoad:
    weeks: list[date]  # the Mondays of the period's weeks, oldest first
    per_route: dict[str, list[int]]  # alerts per week, in ``weeks``' order, by route
    per_service: dict[str, list[int]]  # the same by service ("": none), the named ones first
    people: list[PersonLoad]  # most after-hours pages first
    acknowledge: Median
    # The same median over each urgency's alerts, high then low.
    acknowledge_by_urgency: dict[str, Median]
    alerts: int
    quiet: int

    @property
    def noise(self) -> float | None:
        """The share of the period's alerts acknowledged or resolved with no incident."""
        return self.quiet / self.alerts if self.alerts else None


def after_hours(moment: datetime, zone: tzinfo) -> bool:
    """Outside 09:00–18:00, Monday to Friday, in ``zone``."""
    local = moment.astimezone(zone)
    return local.weekday() >= 5 or not WORKDAY[0] <= local.time() < WORKDAY[1]


async def oncall_load(
    session: AsyncSession, *, since: datetime, until: datetime, zone: str
) -> OncallLoad:
    """The period's on-call load (``since`` included, ``until`` not). The groups' current
    episodes are counted by the database and their waits read as numbers (a year's are
    tens of thousands: reading each group cost Insights half a second at 100,000 alerts,
    bench.web_pages); the earlier episodes the pages name, few, here."""
    pages = (
        await session.exec(
            select(PersonPage).where(
                col(PersonPage.started_at) >= since, col(PersonPage.started_at) < until
            )
        )
    ).all()
    team_zone = tz.gettz(zone) or tz.UTC
    last_day = (until - timedelta(microseconds=1)).astimezone(team_zone).date()
    weeks = _mondays(since.astimezone(team_zone).date(), last_day)
    tally = await _tally_current(session, since, until, [_day_start(w, team_zone) for w in weeks])
    earlier = _earlier_episodes(await _groups_paged(session, since, until), pages)
    earlier = [e for e in earlier if since <= e.triggered_at < until]
    for episode in earlier:
        week = _monday(episode.triggered_at.astimezone(team_zone).date())
        if week in weeks:
            tally.count(weeks.index(week), episode.route, episode.service)
    medians = await _acknowledge_medians(session, since, until, earlier)
    return OncallLoad(
        weeks=weeks,
        per_route=dict(sorted(tally.per_route.items())),
        per_service=dict(sorted(tally.per_service.items(), key=lambda i: (not i[0], i[0]))),
        people=await _people(session, pages, zone),
        acknowledge=medians[None],
        acknowledge_by_urgency={urgency: medians[urgency] for urgency in URGENCIES},
        alerts=tally.alerts + len(earlier),
        quiet=tally.quiet + sum(e.quiet for e in earlier),
    )


@dataclass
class _Tally:
    """The current episodes counted: per week (by index) and route, per week and service,
    in all, and the quiet ones."""

    weeks: int
    per_route: dict[str, list[int]] = field(default_factory=dict)
    per_service: dict[str, list[int]] = field(default_factory=dict)
    alerts: int = 0
    quiet: int = 0

    def count(self, week: int, route: str, service: str, alerts: int = 1) -> None:
        self.per_route.setdefault(route, [0] * self.weeks)[week] += alerts
        self.per_service.setdefault(service, [0] * self.weeks)[week] += alerts


def _current(since: datetime, until: datetime) -> ColumnElement[bool]:
    """The alert groups whose current episode triggered in the period."""
    return and_(
        col(AlertGroup.state).is_not(None),
        col(AlertGroup.last_seen_at) >= since,
        col(AlertGroup.triggered_at) >= since,
        col(AlertGroup.triggered_at) < until,
    )


async def _tally_current(
    session: AsyncSession, since: datetime, until: datetime, week_starts: list[datetime]
) -> _Tally:
    """The current episodes counted by the database, each in the week (``week_starts``: the
    first moment of each, in UTC) it triggered in."""
    triggered = col(AlertGroup.triggered_at)
    # A period within one week has no boundary to compare with: a CASE needs one WHEN.
    week: ColumnElement[int] = (
        case(
            *((triggered < start, index) for index, start in enumerate(week_starts[1:])),
            else_=len(week_starts) - 1,
        )
        if len(week_starts) > 1
        else literal(0)
    )
    ended = or_(
        col(AlertGroup.acknowledged_at).is_not(None),
        col(AlertGroup.state).in_((ACKNOWLEDGED, RESOLVED)),
    )
    quiet = case((and_(ended, col(AlertGroup.incident_id).is_(None)), 1), else_=0)
    # Grouped in an outer query: PostgreSQL takes the week's expression, its parameters
    # bound twice, for two different ones in SELECT and GROUP BY.
    each = (
        core_select(
            week.label("week"),
            col(AlertGroup.route).label("route"),
            func.coalesce(col(AlertGroup.service), "").label("service"),
            quiet.label("quiet"),
        )
        .where(_current(since, until))
        .subquery()
    )
    keys = (each.c.week, each.c.route, each.c.service)
    counted = core_select(*keys, func.count(), func.sum(each.c.quiet)).group_by(*keys)
    rows = await session.exec(counted)  # type: ignore[call-overload]
    tally = _Tally(len(week_starts))
    for index, route, service, alerts, quiet_ones in rows:
        tally.count(index, route, service, alerts)
        tally.alerts += alerts
        tally.quiet += quiet_ones
    return tally


async def _acknowledge_medians(
    session: AsyncSession, since: datetime, until: datetime, earlier: Sequence[Episode]
) -> dict[str | None, Median]:
    """The median time to acknowledge over every alert (``None``) and each urgency's: the
    current episodes' waits read as whole microseconds (no moment parsed, tens of thousands
    a year), the earlier ones' added."""
    waits: dict[str | None, list[int]] = {urgency: [] for urgency in (None, *URGENCIES)}
    acknowledged = core_select(col(AlertGroup.urgency), _wait_microseconds(session)).where(
        _current(since, until), col(AlertGroup.acknowledged_at).is_not(None)
    )
    rows = await session.exec(acknowledged)  # type: ignore[call-overload]
    ones = [(urgency, int(wait)) for urgency, wait in rows]
    ones += [
        (e.urgency, (e.acknowledged_at - e.triggered_at) // _MICROSECOND)
        for e in earlier
        if e.acknowledged_at is not None
    ]
    for urgency, wait in ones:
        waits[None].append(wait)
        waits.setdefault(urgency, []).append(wait)
    return {urgency: _median_wait(each) for urgency, each in waits.items()}


def _median_wait(microseconds: list[int]) -> Median:
    """``median`` of the waits, as timedeltas (the mean of the two middle ones rounded as a
    timedelta's half is), sorted as numbers."""
    ordered = sorted(microseconds)
    middle = len(ordered) // 2
    if not ordered:
        return Median(None, 0)
    if len(ordered) % 2:
        return Median(timedelta(microseconds=ordered[middle]), len(ordered))
    return Median(timedelta(microseconds=ordered[middle - 1] + ordered[middle]) / 2, len(ordered))


def _wait_microseconds(session: AsyncSession) -> ColumnElement[Any]:
    """An alert's trigger to its acknowledgement, in whole microseconds, exactly."""
    triggered, acknowledged = col(AlertGroup.triggered_at), col(AlertGroup.acknowledged_at)
    if session.get_bind().dialect.name == "postgresql":
        return func.round(func.extract("epoch", acknowledged - triggered) * 1_000_000)
    # SQLite keeps them as text, 2025-03-27 15:42:00.123456 (UTC): the whole seconds apart
    # from their days (exact once rounded), then the microseconds from the text.
    seconds = func.round(
        (
            func.julianday(func.substr(acknowledged, 1, 19))
            - func.julianday(func.substr(triggered, 1, 19))
        )
        * 86_400
    )
    fraction = cast(func.substr(acknowledged, 21), Integer) - cast(
        func.substr(triggered, 21), Integer
    )
    return cast(seconds, Integer) * 1_000_000 + fraction


async def _groups_paged(session: AsyncSession, since: datetime, until: datetime) -> list[_Group]:
    """The alert groups (as the figures read them) that paged someone in the period."""
    paged = select(col(PersonPage.alert_group_id)).where(
        col(PersonPage.started_at) >= since, col(PersonPage.started_at) < until
    )
    rows = await session.exec(
        select(*_GROUP_COLUMNS).where(
            col(AlertGroup.state).is_not(None),
            col(AlertGroup.last_seen_at) >= since,
            col(AlertGroup.id).in_(paged),
        )
    )
    return list(map(_Group._make, rows))


def _earlier_episodes(paged: Sequence[_Group], pages: Sequence[PersonPage]) -> list[Episode]:
    """The groups' earlier episodes the pages name (a group keeps its latest one only)."""
    groups = {group.id: group for group in paged}
    earlier: dict[tuple[int, str], list[PersonPage]] = {}
    for page in pages:
        group = groups.get(page.alert_group_id)
        number = (page.alert_step or "").split(":", 1)[0]
        if group is not None and group.id is not None and number != str(group.episode):
            earlier.setdefault((group.id, number), []).append(page)
    found = []
    for (group_id, _), its_pages in earlier.items():
        group = groups[group_id]
        acknowledged = [p.acknowledged_at for p in its_pages if p.acknowledged_at]
        found.append(
            Episode(
                group_id,
                group.route,
                min(p.started_at for p in its_pages),
                min(acknowledged) if acknowledged else None,
                # An earlier episode resolved (a group fires again only once resolved).
                group.incident_id is None,
                group.urgency,
                group.service or "",
            )
        )
    return found


def _day_start(day: date, zone: tzinfo) -> datetime:
    """The first moment (UTC) of ``day`` in ``zone``: its midnight, or where a change of
    clocks that skips midnight lands."""
    guess = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    low, high = guess - timedelta(hours=3), guess + timedelta(hours=3)
    if (guess - _MICROSECOND).astimezone(zone).date() < day <= guess.astimezone(zone).date():
        return guess
    while high - low > _MICROSECOND:  # ``low`` before the day, ``high`` in it
        middle = low + (high - low) / 2
        low, high = (middle, high) if middle.astimezone(zone).date() < day else (low, middle)
    return high


async def _people(
    session: AsyncSession, pages: Sequence[PersonPage], zone: str
) -> list[PersonLoad]:
    """Each person paged: their pages, and how many of them started after hours."""
    zones = await known_zones(session, {page.user_id for page in pages})
    counted: Counter[str] = Counter()
    late: Counter[str] = Counter()
    for page in pages:
        theirs = tz.gettz(zones.get(page.user_id, zone)) or tz.gettz(zone) or tz.UTC
        counted[page.user_id] += 1
        late[page.user_id] += after_hours(page.started_at, theirs)
    return sorted(
        (
            PersonLoad(user, counted[user], late[user], zones.get(user, zone), user in zones)
            for user in counted
        ),
        key=lambda each: (-each.after_hours, -each.pages, each.user_id),
    )


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _mondays(first: date, last: date) -> list[date]:
    monday, weeks = _monday(first), []
    while monday <= last:
        weeks.append(monday)
        monday += timedelta(days=7)
    return weeks
