"""Insights: what the incidents of recent weeks and months say, counted for the web view.

The caller passes the incidents the viewer may see; this module reads their misleading
timeline entries and their alerts, and counts. Nothing here knows HTTP or Slack, and nothing
is invented: a month whose incidents lack the milestones a metric needs has no median, not a
median of zero.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import tz
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.render import readable
from bot.basics.slack_text import mentioned_users
from bot.record.incident.incident_types import CustomField
from bot.record.incident.milestones import IncidentMetric, Surface, metrics_on
from bot.record.incident.queries import Summarised
from bot.record.people import known_names
from bot.store.columns import among
from bot.store.models import (
    SEVERITIES,
    Alert,
    AlertGroup,
    IncidentFieldValue,
    TimelineEntry,
    TimelineKind,
)

# A severity outside SEV1..SEV4 (hand-edited data) is still an incident: it is counted here.
OTHER_SEVERITY = "other"
# Slack markup (<@U1>, <#C1|name>, <!here>, <https://x|label>), bare URLs, then punctuation.
_SLACK_TOKEN = re.compile(r"<[^<>]*>")
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_NOT_WORD = re.compile(r"[\W_]+")


class Measured(Protocol):
    """An incident's figures (bot/record/postmortem/figures.py, which the caller reads): the
    metrics are measured as its page and its draft measure them, not from its columns."""

    def span(self, key: str) -> timedelta | None: ...


@dataclass(frozen=True)
class WeekCount:
    """Incidents declared in one ISO week (Monday to Sunday, in the insights' zone)."""

    start: date  # the Monday
    counts: dict[str, int]  # SEV1..SEV4, every one present (zero included)
    other: int = 0  # a severity outside SEV1..SEV4

    @property
    def total(self) -> int:
        return sum(self.counts.values()) + self.other


@dataclass(frozen=True)
class Median:
    """The median of one metric over ``n`` incidents; ``None`` when ``n`` is 0."""

    value: timedelta | None
    n: int


@dataclass(frozen=True)
class MonthTimes:
    """Median times of the incidents declared in one calendar month (in the insights' zone)."""

    start: date  # the first day of the month
    declared: int
    # Each metric Insights' charts show (the rows of ``METRICS`` naming them), as postmortems
    # measure it, by its short name (``acknowledge``).
    medians: Mapping[str, Median]


@dataclass(frozen=True)
class PathCount:
    """A misleading path noted in one incident or more, however it was spelled."""

    key: str  # the normalised text the entries were grouped by
    text: str  # the latest entry's text, readable (people by name, markup resolved)
    count: int  # entries
    incidents: int
    references: tuple[str, ...]  # INC-n of the incidents it was noted in, by number
    last_seen: datetime


@dataclass(frozen=True)
class AlertSourceCount:
    """Alerts of one name from one monitoring system, and the incidents they belong to."""

    source: str  # alertmanager | grafana | generic (AlertGroup.source)
    name: str  # the alertname label, else the summary or title (Alert.name)
    alerts: int
    incidents: int
    references: tuple[str, ...]  # INC-n of the incidents they belong to, by number
    last_seen: datetime


@dataclass(frozen=True)
class FieldCount:
    """How many incidents of the range have each option of one select field."""

    field: str
    label: str
    counts: tuple[tuple[str, int], ...]  # every option in the file's order, zero included
    unset: int  # incidents of the range with no value


@dataclass(frozen=True)
class Period:
    """Days in the insights' zone: from ``start`` (included) to ``end`` (excluded)."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def previous(self) -> Period:
        """The period of the same length just before this one: what changes are against."""
        return Period(self.start - timedelta(days=self.days), self.start)

    def holds(self, day: date) -> bool:
        return self.start <= day < self.end


@dataclass(frozen=True)
class PeriodFigures:
    """The headline numbers of one period: incidents declared, and their median times."""

    period: Period
    incidents: int
    # Each metric Insights' headline shows (the rows of ``METRICS`` naming it), by its short
    # name (``acknowledge``): its median over the period.
    medians: Mapping[str, Median]


@dataclass(frozen=True)
class Change:
    """One headline number against the previous period's: ``None`` where either is missing.
    ``ratio`` is the change over the previous value (0.25: a quarter more), ``None`` when the
    previous value is zero (no ratio of nothing)."""

    difference: float | None  # incidents, or seconds for a time
    ratio: float | None

    @property
    def size(self) -> timedelta | None:
        """A time's change, however it went, as a duration."""
        return None if self.difference is None else timedelta(seconds=abs(self.difference))

    @classmethod
    def of(cls, now: float | None, before: float | None) -> Change:
        if now is None or before is None:
            return cls(None, None)
        return cls(now - before, (now - before) / before if before else None)


@dataclass(frozen=True)
class Headline:
    """The period's figures, the previous period's, and each change."""

    current: PeriodFigures
    previous: PeriodFigures

    @property
    def metrics(self) -> tuple[IncidentMetric, ...]:
        """The metrics it shows, each a median: the rows of ``METRICS`` that name Insights."""
        return metrics_on(Surface.INSIGHTS)

    def change(self, figure: str) -> Change:
        """``incidents``, or a metric's short name (``acknowledge``)."""
        if figure == "incidents":
            return Change.of(float(self.current.incidents), float(self.previous.incidents))
        now, before = self.current.medians[figure], self.previous.medians[figure]
        return Change.of(_seconds(now.value), _seconds(before.value))


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


@dataclass(frozen=True)
class Insights:
    """Everything the insights page shows, for incidents declared from ``since`` to ``until``."""

    now: datetime
    zone: str
    since: date  # local, included: the earlier start of the weeks' and months' windows
    until: date  # local, excluded
    incidents: int  # incidents declared in that range
    weeks: tuple[WeekCount, ...]  # oldest first, ending with the current week
    months: tuple[MonthTimes, ...]  # oldest first, ending with the current month
    misleading_paths: tuple[PathCount, ...]  # most frequent first, at most ``top``
    alert_sources: tuple[AlertSourceCount, ...]  # most frequent first, at most ``top``
    misleading_entries: int  # every misleading entry of the range, shown or not
    alerts: int  # every alert of the range, shown or not
    # Incidents per value of each select and multi-select field (WARROOM_INCIDENT_TYPES).
    fields: tuple[FieldCount, ...] = ()
    # With a period asked for: its figures against the previous period of the same length.
    headline: Headline | None = None

    @property
    def month_metrics(self) -> tuple[IncidentMetric, ...]:
        """The metrics its charts show a median of per month: the rows of ``METRICS`` that
        name Insights' charts."""
        return metrics_on(Surface.INSIGHTS_MONTHS)

    @property
    def last_day(self) -> date:
        """The last day counted (``until`` is the day after)."""
        return self.until - timedelta(days=1)


async def load_insights(
    session: AsyncSession,
    incidents: Sequence[Summarised],
    *,
    figures: Mapping[int, Measured],
    now: datetime,
    zone: str,
    weeks: int = 12,
    months: int = 6,
    top: int = 10,
    custom: Sequence[CustomField] = (),
    period: Period | None = None,
) -> Insights:
    """Count the incidents of the last ``weeks`` weeks and ``months`` months in ``zone``; or,
    with ``period``, those declared in it, in the weeks and months it touches, with the
    headline figures against the previous period of the same length (whose incidents the
    caller passes too). ``figures``: each incident's, by id (``figures_of``)."""
    if min(weeks, months, top) < 0:
        raise ValueError("weeks, months and top cannot be negative")
    local_zone = zone_of(zone)
    today = now.astimezone(local_zone).date()
    week_starts, month_starts, since, until = _windows(today, weeks, months, period)
    # Each incident's local day, once: the range, the weeks and the months all read it.
    days = {id(each): each.declared_at.astimezone(local_zone).date() for each in incidents}
    in_range = [
        incident
        for incident in incidents
        if incident.id is not None and since <= days[id(incident)] < until
    ]
    headline = _headline(period, incidents, in_range, days, figures) if period is not None else None
    paths, entries = await _misleading_paths(session, in_range, top)
    sources, alerts = await _alert_sources(session, in_range, top)
    return Insights(
        now=now,
        zone=zone,
        since=since,
        until=until,
        incidents=len(in_range),
        weeks=tuple(_week_counts(in_range, week_starts, days)),
        months=tuple(_month_times(in_range, month_starts, days, figures)),
        misleading_paths=paths,
        alert_sources=sources,
        misleading_entries=entries,
        alerts=alerts,
        fields=await _field_counts(session, in_range, custom),
        headline=headline,
    )


def _headline(
    period: Period,
    incidents: Sequence[Summarised],
    in_range: Sequence[Summarised],
    days: Mapping[int, date],
    figures: Mapping[int, Measured],
) -> Headline:
    """The period's headline figures against the previous period's (of the same length)."""
    before = period.previous
    earlier = [i for i in incidents if i.id is not None and before.holds(days[id(i)])]
    return Headline(_figures(period, in_range, figures), _figures(before, earlier, figures))


def _windows(
    today: date, weeks: int, months: int, period: Period | None
) -> tuple[list[date], list[date], date, date]:
    """The weeks and months counted, and the range: the recent ones up to today's, or those
    ``period`` touches and the period itself."""
    if period is None:
        return _recent_windows(today, weeks, months)
    week_starts, month_starts = _windows_of(period)
    return week_starts, month_starts, period.start, period.end


def _recent_windows(
    today: date, weeks: int, months: int
) -> tuple[list[date], list[date], date, date]:
    """The last ``weeks`` weeks and ``months`` months up to today's, and the range both make."""
    this_week, this_month = _monday(today), today.replace(day=1)
    week_starts = [this_week - timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]
    month_starts = [_month_back(this_month, back) for back in range(months - 1, -1, -1)]
    # Both windows end with the current period, so together they make one range.
    windows = [(week_starts[0], this_week + timedelta(weeks=1))] if weeks else []
    windows += [(month_starts[0], _month_back(this_month, -1))] if months else []
    since = min((start for start, _ in windows), default=today)
    until = max((end for _, end in windows), default=today)
    return week_starts, month_starts, since, until


def _windows_of(period: Period) -> tuple[list[date], list[date]]:
    """The Mondays of the weeks and the first days of the months the period touches (the
    first and last may be partly outside it: only the period's incidents are in them)."""
    last = period.end - timedelta(days=1)
    weeks = [_monday(period.start)]
    while weeks[-1] + timedelta(weeks=1) <= last:
        weeks.append(weeks[-1] + timedelta(weeks=1))
    months = [period.start.replace(day=1)]
    while _month_back(months[-1], -1) <= last:
        months.append(_month_back(months[-1], -1))
    return weeks, months


def _figures(
    period: Period, incidents: Sequence[Summarised], figures: Mapping[int, Measured]
) -> PeriodFigures:
    return PeriodFigures(
        period=period,
        incidents=len(incidents),
        medians=_medians(incidents, Surface.INSIGHTS, figures),
    )


async def _field_counts(
    session: AsyncSession, incidents: Sequence[Summarised], custom: Sequence[CustomField]
) -> tuple[FieldCount, ...]:
    """Incidents per option of each field that has options."""
    chosen = [field for field in custom if field.has_options]
    if not chosen:
        return ()
    tally: dict[tuple[str, str], set[int]] = {}
    rows = await session.exec(
        select(
            IncidentFieldValue.incident_id, IncidentFieldValue.field, IncidentFieldValue.value
        ).where(
            among(col(IncidentFieldValue.incident_id), incident_ids(incidents)),
            col(IncidentFieldValue.field).in_([field.name for field in chosen]),
        )
    )
    for incident_id, name, value in rows.all():
        tally.setdefault((name, value), set()).add(incident_id)
    counts = []
    for field in chosen:
        having = set().union(*(tally.get((field.name, o), set()) for o in field.options))
        counts.append(
            FieldCount(
                field=field.name,
                label=field.label,
                counts=tuple((o, len(tally.get((field.name, o), set()))) for o in field.options),
                unset=len(incidents) - len(having),
            )
        )
    return tuple(counts)


def normalise_path(text: str) -> str:
    """The text a misleading path is grouped by: no Slack markup, URLs, case or punctuation."""
    text = html.unescape(_SLACK_TOKEN.sub(" ", text))
    text = _URL.sub(" ", unicodedata.normalize("NFKC", text))
    return " ".join(_NOT_WORD.sub(" ", text.casefold()).split())


def median(values: Sequence[timedelta]) -> timedelta | None:
    """The middle value (the mean of the two middle ones for an even count); None if empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


# -- weeks and months ----------------------------------------------------------------------
def zone_of(zone: str) -> tzinfo:
    """The standard library's zone (its conversions are C, dateutil's Python: thousands of
    incidents are converted per page), dateutil's for a name only it knows."""
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        found: tzinfo | None = tz.gettz(zone)
    if found is None:
        raise ValueError(f"unknown time zone {zone!r}")
    return found


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _month_back(first: date, back: int) -> date:
    """The first day of the month ``back`` months before ``first``'s (after, when negative)."""
    index = first.year * 12 + first.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def _week_counts(
    incidents: Sequence[Summarised], starts: Sequence[date], days: Mapping[int, date]
) -> Iterator[WeekCount]:
    buckets: dict[date, list[Summarised]] = {start: [] for start in starts}
    week_of = _first_days(days, _monday)
    for incident in incidents:
        bucket = buckets.get(week_of[days[id(incident)]])
        if bucket is not None:
            bucket.append(incident)
    for start, declared in buckets.items():
        severities = [incident.severity.upper() for incident in declared]
        counts = {severity: severities.count(severity) for severity in SEVERITIES}
        yield WeekCount(start, counts, other=len(severities) - sum(counts.values()))


def _month_times(
    incidents: Sequence[Summarised],
    starts: Sequence[date],
    days: Mapping[int, date],
    figures: Mapping[int, Measured],
) -> Iterator[MonthTimes]:
    buckets: dict[date, list[Summarised]] = {start: [] for start in starts}
    month_of = _first_days(days, lambda day: day.replace(day=1))
    for incident in incidents:
        bucket = buckets.get(month_of[days[id(incident)]])
        if bucket is not None:
            bucket.append(incident)
    for start, declared in buckets.items():
        yield MonthTimes(
            start=start,
            declared=len(declared),
            medians=_medians(declared, Surface.INSIGHTS_MONTHS, figures),
        )


def _first_days(days: Mapping[int, date], first: Callable[[date], date]) -> dict[date, date]:
    """The first day of the period (``first``) of each day the incidents fall on, worked out
    once a day: a year of incidents falls on a few hundred days, and a date's arithmetic for
    each of 10,000 incidents was a good part of the insights page's CPU (bench/RESULTS.md)."""
    return {day: first(day) for day in set(days.values())}


def _medians(
    incidents: Sequence[Summarised], surface: Surface, figures: Mapping[int, Measured]
) -> dict[str, Median]:
    """The median of each metric ``surface`` shows, by its short name."""
    return {
        metric.short: _median_of(incidents, metric.key, figures) for metric in metrics_on(surface)
    }


def _median_of(
    incidents: Sequence[Summarised], key: str, figures: Mapping[int, Measured]
) -> Median:
    durations = [figures[incident.id or 0].span(key) for incident in incidents]
    measured = [duration for duration in durations if duration is not None]
    return Median(median(measured), len(measured))


# -- misleading paths and alert sources ----------------------------------------------------
# Each statement reads every incident's rows at once, the ids bound as one parameter
# (``among``): in lists of 500, PostgreSQL scanned every alert once per list.
_MISLEADING_ENTRIES = select(
    TimelineEntry.id,
    TimelineEntry.incident_id,
    TimelineEntry.text,
    TimelineEntry.occurred_at,
).where(TimelineEntry.kind == TimelineKind.MISLEADING.value)
# Grouped in the database: an alert storm is thousands of rows, a few groups.
_ALERTS_BY_NAME = (
    # sqlmodel's select() is typed for at most four columns; it takes five at run time.
    select(  # type: ignore[call-overload]
        AlertGroup.source,
        Alert.name,
        Alert.incident_id,
        func.count(col(Alert.id)),
        func.max(Alert.starts_at),
    )
    .join(AlertGroup, col(Alert.group_id) == col(AlertGroup.id))
    .group_by(AlertGroup.source, Alert.name, Alert.incident_id)
)


def incident_ids(incidents: Sequence[Summarised]) -> list[int]:
    """The incidents' ids, as the reads of their rows take them (``among``)."""
    return [incident.id for incident in incidents if incident.id is not None]


@dataclass
class _Tally:
    """A group being counted: its rows, its incidents, and its latest sighting."""

    count: int
    incidents: dict[int, Summarised]
    last_seen: datetime
    text: str = ""
    latest: tuple[datetime, int] | None = None

    def references(self) -> tuple[str, ...]:
        ordered = sorted(self.incidents.values(), key=lambda incident: incident.number)
        return tuple(incident.reference for incident in ordered)


async def _misleading_paths(
    session: AsyncSession, incidents: Sequence[Summarised], top: int
) -> tuple[tuple[PathCount, ...], int]:
    tallies: dict[str, _Tally] = {}
    entries = 0
    by_id = {incident.id: incident for incident in incidents}
    statement = _MISLEADING_ENTRIES.where(
        among(col(TimelineEntry.incident_id), incident_ids(incidents))
    )
    for entry_id, incident_id, text, occurred_at in (await session.exec(statement)).all():
        key = normalise_path(text)
        if not key:  # nothing but a mention or a link: no path to group by
            continue
        entries += 1
        tally = tallies.setdefault(key, _Tally(0, {}, occurred_at))
        tally.count += 1
        tally.incidents[incident_id] = by_id[incident_id]
        seen = (occurred_at, entry_id or 0)
        if tally.latest is None or seen > tally.latest:
            tally.latest, tally.text, tally.last_seen = seen, text, occurred_at
    ranked = sorted(tallies.items(), key=lambda item: (-item[1].count, -_order(item[1]), item[0]))
    shown = ranked[:top]
    names = await known_names(session, {u for _, t in shown for u in mentioned_users(t.text)})
    paths = tuple(
        PathCount(
            key=key,
            text=" ".join(readable(tally.text, names).split()),
            count=tally.count,
            incidents=len(tally.incidents),
            references=tally.references(),
            last_seen=tally.last_seen,
        )
        for key, tally in shown
    )
    return paths, entries


async def _alert_sources(
    session: AsyncSession, incidents: Sequence[Summarised], top: int
) -> tuple[tuple[AlertSourceCount, ...], int]:
    tallies: dict[tuple[str, str], _Tally] = {}
    alerts = 0
    by_id = {incident.id: incident for incident in incidents}
    statement = _ALERTS_BY_NAME.where(among(col(Alert.incident_id), incident_ids(incidents)))
    for source, name, incident_id, count, last_seen in (await session.exec(statement)).all():
        alerts += count
        tally = tallies.setdefault((source, name), _Tally(0, {}, last_seen))
        tally.count += count
        tally.incidents[incident_id] = by_id[incident_id]
        tally.last_seen = max(tally.last_seen, last_seen)
    ranked = sorted(
        tallies.items(),
        key=lambda item: (-item[1].count, -len(item[1].incidents), -_order(item[1]), item[0]),
    )
    sources = tuple(
        AlertSourceCount(
            source=source,
            name=name,
            alerts=tally.count,
            incidents=len(tally.incidents),
            references=tally.references(),
            last_seen=tally.last_seen,
        )
        for (source, name), tally in ranked[:top]
    )
    return sources, alerts


def _order(tally: _Tally) -> float:
    return tally.last_seen.timestamp()


__all__ = [
    "AlertSourceCount",
    "Change",
    "Headline",
    "Insights",
    "Median",
    "MonthTimes",
    "PathCount",
    "Period",
    "PeriodFigures",
    "WeekCount",
    "load_insights",
    "median",
    "normalise_path",
]
