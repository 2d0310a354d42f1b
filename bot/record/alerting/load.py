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
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import NamedTuple

from dateutil import tz
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.alerting.alerts import ACKNOWLEDGED, RESOLVED
from bot.record.alerting.routes import URGENCIES
from bot.record.insights.counts import Median, median
from bot.record.people import known_zones
from bot.store.models import AlertGroup, PersonPage

WORKDAY = (time(9), time(18))


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
    """The period's on-call load (``since`` included, ``until`` not)."""
    pages = (
        await session.exec(
            select(PersonPage).where(
                col(PersonPage.started_at) >= since, col(PersonPage.started_at) < until
            )
        )
    ).all()
    groups = {
        group.id: group
        for group in map(
            _Group._make,
            await session.exec(
                select(*_GROUP_COLUMNS).where(
                    col(AlertGroup.state).is_not(None), col(AlertGroup.last_seen_at) >= since
                )
            ),
        )
    }
    episodes = [e for e in _episodes(groups, pages) if since <= e.triggered_at < until]
    team_zone = tz.gettz(zone) or tz.UTC
    last_day = (until - timedelta(microseconds=1)).astimezone(team_zone).date()
    weeks = _mondays(since.astimezone(team_zone).date(), last_day)
    per_route: dict[str, list[int]] = {}
    per_service: dict[str, list[int]] = {}
    for episode in episodes:
        week = _monday(episode.triggered_at.astimezone(team_zone).date())
        if week in weeks:
            per_route.setdefault(episode.route, [0] * len(weeks))[weeks.index(week)] += 1
            per_service.setdefault(episode.service, [0] * len(weeks))[weeks.index(week)] += 1
    return OncallLoad(
        weeks=weeks,
        per_route=dict(sorted(per_route.items())),
        per_service=dict(sorted(per_service.items(), key=lambda item: (not item[0], item[0]))),
        people=await _people(session, pages, zone),
        acknowledge=_to_acknowledge(episodes),
        acknowledge_by_urgency={
            urgency: _to_acknowledge([e for e in episodes if e.urgency == urgency])
            for urgency in URGENCIES
        },
        alerts=len(episodes),
        quiet=sum(e.quiet for e in episodes),
    )


def _to_acknowledge(episodes: Sequence[Episode]) -> Median:
    """The median time from trigger to acknowledgement over the acknowledged episodes."""
    waits = [e.acknowledged_at - e.triggered_at for e in episodes if e.acknowledged_at]
    return Median(median(waits), len(waits))


def _episodes(groups: dict[int | None, _Group], pages: Sequence[PersonPage]) -> list[Episode]:
    """The alerts: each group's current episode, and the earlier ones its pages name."""
    earlier: dict[tuple[int, str], list[PersonPage]] = {}
    for page in pages:
        group = groups.get(page.alert_group_id)
        number = (page.alert_step or "").split(":", 1)[0]
        if group is not None and group.id is not None and number != str(group.episode):
            earlier.setdefault((group.id, number), []).append(page)
    found = []
    for group in groups.values():
        if group.id is None or group.triggered_at is None:
            continue
        ended = group.acknowledged_at is not None or group.state in (ACKNOWLEDGED, RESOLVED)
        found.append(
            Episode(
                group.id,
                group.route,
                group.triggered_at,
                group.acknowledged_at,
                ended and group.incident_id is None,
                group.urgency,
                group.service or "",
            )
        )
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
