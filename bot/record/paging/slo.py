"""The paging SLO, from the record: the share of high-urgency alerts whose page reached a
person within 60 s of the alert's arrival, per day (UTC) and per provider. Target: 99.9 %.

- An alert is one episode of a high-urgency alert group (firing again once resolved is a new
  one), or an incident an alert opened (its pages are the alert's; an incident is always high
  urgency); it arrived when the first of its pages says its alert reached warroom
  (``person_page.arrived_at``: the alert's HTTP request).
- It is reached at the first moment one of its notifications was confirmed to reach its
  person (``notification.delivered_at``, set when the provider reports a state that
  ``confirms_delivery`` accepts), or one of its paged people acknowledged their page
  themselves (by any channel: the acknowledgement is proof the page reached them).
  A push, a mail, a Slack DM or a webhook accepted by its service is not confirmed: the
  service's acceptance says nothing of the person.
- Within 60 s of arrival: ``within_60s``; later: ``late``; not at all: ``never`` (a provider
  that never reports is ``never``: WARROOM_PAGING_DELIVERY_WAIT moved on to the next rule).
- Its provider: the one whose notification reached the person first (on an acknowledgement,
  the one whose notification to that person left first); not reached, the one whose
  notification to anyone left (or failed) first; ``none`` when nothing was tried.

An alert whose 60 s have not passed yet is not counted.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.paging.contacts import provider_of
from bot.store.db import session_scope
from bot.store.models import AlertGroup, Incident, Notification, PersonPage

log = logging.getLogger(__name__)
TARGET = 0.999
# What /metrics reports: the trailing 7 days, read at each scrape within 2 s.
TRAILING = timedelta(days=7)
SCRAPE_TIMEOUT_SECONDS = 2.0
WITHIN = timedelta(seconds=60)
WITHIN_60S, LATE, NEVER = "within_60s", "late", "never"
OUTCOMES = (WITHIN_60S, LATE, NEVER)
NOBODY = "none"  # the provider of an alert for which nothing was sent or tried
# The states a provider reports that prove a notification reached its person, by method: the
# one table to extend when a provider gains a receipt (an acknowledged push, say).
CONFIRMED_STATES: dict[str, frozenset[str]] = {
    "sms": frozenset({"delivered"}),  # the carrier's delivery receipt
    "voice": frozenset({"answered"}),  # the call picked up
    "pushover": frozenset({"answered"}),  # an emergency push acknowledged (its receipt)
}
# Notifications never sent: kept only (a shadow week), or cancelled before leaving.
_NOT_TRIED = frozenset({"shadow", "pending", "cancelled"})


def confirms_delivery(method: str, state: str) -> bool:
    """Whether a notification of ``method`` in ``state`` is known to have reached its person."""
    return state in CONFIRMED_STATES.get(method, frozenset())


@dataclass(frozen=True)
class Attempt:
    """One notification tried for an alert, as a report names it: never the number."""

    provider: str
    method: str
    state: str
    detail: str | None


@dataclass(frozen=True)
class AlertReach:
    """One high-urgency alert (an episode of its group), and when it reached someone."""

    alert_id: int
    episode: int
    title: str
    arrived_at: datetime
    reached_at: datetime | None
    provider: str
    attempts: tuple[Attempt, ...]

    @property
    def outcome(self) -> str:
        if self.reached_at is None:
            return NEVER
        return WITHIN_60S if self.reached_at - self.arrived_at <= WITHIN else LATE

    @property
    def day(self) -> date:
        return self.arrived_at.astimezone(UTC).date()


@dataclass(frozen=True)
class Tally:
    """How many alerts of a day and provider (or in all) were reached within 60 s."""

    within: int = 0
    late: int = 0
    never: int = 0

    @property
    def total(self) -> int:
        return self.within + self.late + self.never

    @property
    def ratio(self) -> float | None:
        return None if not self.total else self.within / self.total

    @property
    def met(self) -> bool:
        return self.ratio is None or self.ratio >= TARGET

    def add(self, outcome: str) -> Tally:
        return Tally(
            self.within + (outcome == WITHIN_60S),
            self.late + (outcome == LATE),
            self.never + (outcome == NEVER),
        )


@dataclass(frozen=True)
class SloReport:
    """The alerts that arrived between ``since`` and ``until``, counted."""

    since: datetime
    until: datetime
    alerts: Sequence[AlertReach]
    target: float = TARGET

    @property
    def overall(self) -> Tally:
        return _tally(reach.outcome for reach in self.alerts)

    @property
    def met(self) -> bool:
        return self.overall.met

    def by_provider(self) -> dict[str, Tally]:
        return _grouped(self.alerts, _by_provider)

    def by_day(self) -> dict[date, dict[str, Tally]]:
        """Each day (UTC) that had alerts: its tally per provider, ``""`` for all of them."""
        days: dict[date, list[AlertReach]] = defaultdict(list)
        for reach in self.alerts:
            days[reach.day].append(reach)
        return {
            day: {"": _tally(r.outcome for r in reaches), **_grouped(reaches, _by_provider)}
            for day, reaches in sorted(days.items())
        }

    @property
    def missed(self) -> list[AlertReach]:
        """The alerts not reached within 60 s, in order of arrival: the report names them."""
        return [reach for reach in self.alerts if reach.outcome != WITHIN_60S]


def _tally(outcomes: Iterable[str]) -> Tally:
    tally = Tally()
    for outcome in outcomes:
        tally = tally.add(outcome)
    return tally


def _by_provider(reach: AlertReach) -> str:
    return reach.provider


def _grouped(reaches: Iterable[AlertReach], key: Callable[[AlertReach], str]) -> dict[str, Tally]:
    found: dict[str, Tally] = {}
    for reach in reaches:
        name = key(reach)
        found[name] = found.get(name, Tally()).add(reach.outcome)
    return dict(sorted(found.items()))


async def trailing_report(engine: AsyncEngine, *, now: datetime) -> SloReport | None:
    """The last ``TRAILING`` days' report, for ``/metrics``; None if the database does not
    answer within ``SCRAPE_TIMEOUT_SECONDS`` (a scrape never fails for it)."""
    try:
        async with asyncio.timeout(SCRAPE_TIMEOUT_SECONDS), session_scope(engine) as session:
            return await paging_report(session, since=now - TRAILING, now=now)
    except Exception as error:  # any failure is "not known": the scrape leaves the gauges out
        log.debug("metrics: the paging SLO was not read: %s", type(error).__name__)
        return None


async def paging_report(session: AsyncSession, *, since: datetime, now: datetime) -> SloReport:
    """The high-urgency alerts that arrived since ``since`` and whose 60 s have passed."""
    until = now - WITHIN
    arrived = (col(PersonPage.arrived_at) >= since, col(PersonPage.arrived_at) < until)
    own = (
        select(PersonPage, AlertGroup)
        .join(AlertGroup, col(AlertGroup.id) == col(PersonPage.alert_group_id))
        .where(col(AlertGroup.urgency) == "high", *arrived)
    )
    # An incident an alert opened (or that was declared for an alert already firing): its
    # pages are that alert's, always high urgency. Its first such alert names it.
    opened = (
        select(PersonPage, AlertGroup, col(Incident.title))
        .join(Incident, col(Incident.id) == col(PersonPage.incident_id))
        .join(AlertGroup, col(AlertGroup.incident_id) == col(Incident.id))
        .where(col(AlertGroup.first_seen_at) <= col(Incident.declared_at), *arrived)
        .order_by(col(AlertGroup.id))
    )
    # Each alert's group and title (an incident's, when its alert group has none of its own).
    units: dict[Unit, tuple[AlertGroup, str]] = {}
    for page, group in (await session.exec(own)).all():
        units.setdefault(_unit(page), (group, group.title))
    for page, group, title in (await session.exec(opened)).all():
        units.setdefault(_unit(page), (group, group.title or str(title)))
    if not units:
        return SloReport(since, until, [])
    group_ids = [key for kind, key, _ in units if kind == "alert"]
    incident_ids = [key for kind, key, _ in units if kind == "incident"]
    pages = (
        await session.exec(
            select(PersonPage).where(
                col(PersonPage.alert_group_id).in_(group_ids)
                | col(PersonPage.incident_id).in_(incident_ids)
            )
        )
    ).all()
    page_ids = [page.id for page in pages]
    notifications = (
        await session.exec(select(Notification).where(col(Notification.page_id).in_(page_ids)))
    ).all()
    return SloReport(since, until, _reaches(units, pages, notifications))


# An alert's pages: ("alert", its group, the episode), or ("incident", the incident it opened, 0).
Unit = tuple[str, int, int]


def _unit(page: PersonPage) -> Unit:
    if page.alert_group_id is not None:
        return ("alert", page.alert_group_id, int((page.alert_step or "0").split(":", 1)[0]))
    return ("incident", page.incident_id or 0, 0)


def _reaches(
    units: dict[Unit, tuple[AlertGroup, str]],
    pages: Sequence[PersonPage],
    notifications: Sequence[Notification],
) -> list[AlertReach]:
    by_page: dict[int | None, list[Notification]] = defaultdict(list)
    for notification in notifications:
        if notification.state not in _NOT_TRIED or notification.sent_at is not None:
            by_page[notification.page_id].append(notification)
    of_unit: dict[Unit, list[PersonPage]] = defaultdict(list)
    for page in pages:
        of_unit[_unit(page)].append(page)
    reaches = [
        _reach(group, title, unit[2], of_unit[unit], by_page)
        for unit, (group, title) in units.items()
    ]
    return sorted(reaches, key=lambda reach: (reach.arrived_at, reach.alert_id))


def _reach(
    group: AlertGroup,
    title: str,
    episode: int,
    pages: Sequence[PersonPage],
    by_page: dict[int | None, list[Notification]],
) -> AlertReach:
    arrived_at = min(_utc(page.arrived_at) for page in pages if page.arrived_at is not None)
    moments: list[tuple[datetime, str]] = []
    for page in pages:
        tried = sorted(by_page[page.id], key=_tried_at)
        moments += [(_utc(n.delivered_at), _provider(n)) for n in tried if n.delivered_at]
        if page.acknowledged_at is not None and page.acknowledged_by == page.user_id:
            carrier = _provider(tried[0]) if tried else str(page.acknowledged_via or NOBODY)
            moments.append((_utc(page.acknowledged_at), carrier))
    attempts = sorted((n for page in pages for n in by_page[page.id]), key=_tried_at)
    reached_at, provider = min(moments) if moments else (None, "")
    if reached_at is None:
        provider = _provider(attempts[0]) if attempts else NOBODY
    return AlertReach(
        alert_id=group.id or 0,
        episode=episode,
        title=title,
        arrived_at=arrived_at,
        reached_at=reached_at,
        provider=provider,
        attempts=tuple(Attempt(_provider(n), n.method, n.state, n.detail) for n in attempts),
    )


def _provider(notification: Notification) -> str:
    return notification.provider or provider_of(notification.method)


def _tried_at(notification: Notification) -> datetime:
    return _utc(notification.sent_at or notification.updated_at)


def _utc(at: datetime | None) -> datetime:
    assert at is not None
    return at if at.tzinfo else at.replace(tzinfo=UTC)
