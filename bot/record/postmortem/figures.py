"""An incident's figures, each defined once: its milestones as the record decides them
(detected, declared, acknowledged, mitigated, resolved, the impact's start and end) and the
times measured between them (``METRICS``, each row naming the surfaces that show it), with
the two spans a page may call its length:
how long the impact lasted, and how long the incident was open. The draft, the incident's
page, the list, the API, Insights, the status page, the App Home, the channel's header and
the agents' tools all read them from here (docs/incidents.md, "Milestones and metrics").

The rules, with their reasons:

- A milestone set by hand (``/incident time``) is that time.
- Mitigated is when the fix was known to work: the first action marked mitigation, confirmed
  by the next recovery signal (bot/record/postmortem/semantics.py); unconfirmed, when the fix
  started, which is what the incident's own column keeps.
- Impact ended is set, else proposed from the record (to confirm).
- Acknowledged is the first moment a person answered for the incident: an acknowledgement
  (``/incident ack``, the escalation's button, a page answered from a phone, the
  acknowledgement of an alert it was declared from or attached) or someone taking or being
  given the lead (``/incident lead``), whichever came first. Declaring is not acknowledging:
  a person who declares is counted when they act as its lead.
- Time to acknowledge runs from the declaration, or from the first page of an alert the
  incident was declared from (or attached) when that page came first: the moment someone was
  first asked to acknowledge (its ``paged`` entries, bot/record/alerting/attaching.py).
- "Impact lasted": impact started to impact ended; "open for": declared to resolved, or to
  now while it is open.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from functools import cached_property
from operator import attrgetter

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.slack_text import SlackText, to_plain
from bot.record.incident import messages
from bot.record.incident.milestones import METRICS, IncidentMetric, Surface, metrics_on
from bot.record.incident.queries import Summarised
from bot.record.postmortem.back_words import says_service_back
from bot.record.postmortem.parts import Line, Metric, MilestoneTime, Mitigation
from bot.record.postmortem.semantics import impact_end, mitigation_of
from bot.store.columns import among
from bot.store.models import Alert, Milestone, MilestoneChange, TimelineEntry, TimelineKind

# The timeline's kinds a figure is decided from: the fix and what confirmed it, the alerts,
# who acknowledged and who took the lead. The rest of a timeline says nothing of them.
FIGURE_KINDS = frozenset(
    {
        TimelineKind.PAGED.value,
        TimelineKind.MITIGATION.value,
        TimelineKind.RECOVERED.value,
        TimelineKind.ALERT.value,
        TimelineKind.ACKNOWLEDGED.value,
        TimelineKind.COMMANDER.value,
    }
)
# What acknowledges an incident: an acknowledgement, or the lead taken or given.
_ANSWERED = (TimelineKind.ACKNOWLEDGED.value, TimelineKind.COMMANDER.value)
_ALERT = TimelineKind.ALERT.value
_MITIGATION = TimelineKind.MITIGATION.value
_RECOVERED = TimelineKind.RECOVERED.value
_PAGED = TimelineKind.PAGED.value
_ASKED = "time_to_acknowledge"  # measured from the first page, when an alert's came first
# Each milestone's value and column, and each metric's two milestones, as plain strings: an
# enum member's ``column`` property cost more than the rest for each of 10,000 incidents.
_COLUMNS = tuple((milestone.value, milestone.column) for milestone in Milestone)
_NAMES = tuple(name for name, _ in _COLUMNS)
_VALUES = attrgetter(*(column for _, column in _COLUMNS))
_ENDS = {metric.key: (metric.start.value, metric.end.value) for metric in METRICS}
_DETECTED = Milestone.DETECTED.value
_STARTED = Milestone.STARTED.value
_NO_MITIGATION = Mitigation(None, None)
# A user id to a name (None stays None).
Namer = Callable[[str | None], str | None]


class Figures:
    """An incident's milestones as the record decides them, and what is measured between."""

    # An alert's first page, when it came before the declaration: time to acknowledge's start.
    paged: MilestoneTime | None = None

    def __init__(
        self,
        milestones: dict[str, MilestoneTime],
        mitigation: Mitigation,
        paged: MilestoneTime | None = None,
    ) -> None:
        self._milestones, self.mitigation = milestones, mitigation
        self._times = {key: time.at for key, time in milestones.items()}
        self._assumed = milestones[_STARTED].assumed
        self.paged = paged

    @property
    def milestones(self) -> dict[str, MilestoneTime]:
        return self._milestones

    def at(self, milestone: Milestone | str) -> datetime | None:
        """When a milestone happened (``"mitigated"``); None: unknown."""
        return self._times[str(milestone)]

    @property
    def metrics(self) -> list[Metric]:
        """Each of ``METRICS``, between its two milestones."""
        return self.on_rows(METRICS)

    def on(self, surface: Surface | str) -> list[Metric]:
        """The metrics ``surface`` shows (the rows of ``METRICS`` that name it), in order."""
        return self.on_rows(metrics_on(surface))

    def on_rows(self, rows: Iterable[IncidentMetric]) -> list[Metric]:
        paged = getattr(self, "paged", None)
        return [
            Metric(
                row.key,
                paged if row.key == _ASKED and paged else self.milestones[row.start],
                self.milestones[row.end],
                row.words,
            )
            for row in rows
        ]

    def span(self, key: str) -> timedelta | None:
        """A metric's time (``time_to_resolve``); None when unknown, unmeasured or negative
        (``Metric``'s rules, without building one: Insights asks it of 10,000 incidents)."""
        first, then = _ENDS[key]
        start, end = self._times[first], self._times[then]
        if key == _ASKED and self.paged is not None:
            start = self.paged.at
        if start is None or end is None or end < start:
            return None
        if then == _DETECTED and first == _STARTED and self._assumed:  # ``Metric.unmeasured``
            return None
        return end - start

    def seconds(self, key: str) -> int | None:
        span = self.span(key)
        return None if span is None else int(span.total_seconds())

    @property
    def impact_lasted(self) -> timedelta | None:
        """Impact started to impact ended (set, or proposed from the record)."""
        return self.span("impact_duration")

    def open_for(self, now: datetime) -> timedelta:
        """Declared to resolved, or to ``now`` while the incident is open."""
        declared = self.at(Milestone.DECLARED)
        assert declared is not None  # every incident is declared
        return max(timedelta(0), (self.at(Milestone.RESOLVED) or now) - declared)


class _AsRecorded(Figures):
    """The figures of an incident whose record holds nothing they are decided from (no fix,
    no recovery, no alert, no acknowledgement nor lead, nothing set by hand): its columns,
    as ``decide`` would give them. Its milestones are built when asked for: Insights asks
    10,000 incidents for their spans alone."""

    def __init__(self, incident: Summarised) -> None:
        self._incident, self.mitigation = incident, _NO_MITIGATION
        self._times = dict(zip(_NAMES, _VALUES(incident), strict=True))
        started = self._times[_STARTED]
        self._assumed = started is not None and started == incident.detected_at

    @cached_property
    def milestones(self) -> dict[str, MilestoneTime]:
        return milestone_times(self._incident, (), lambda user_id: user_id)


def milestone_times(
    incident: Summarised, changes: Sequence[MilestoneChange], name: Namer
) -> dict[str, MilestoneTime]:
    """The milestones as the incident's columns keep them, with who set each by hand."""
    set_by = {change.milestone: change.changed_by for change in changes}
    times = {
        milestone: MilestoneTime(
            milestone,
            getattr(incident, column),
            name(set_by[milestone]) if milestone in set_by else None,
        )
        for milestone, column in _COLUMNS
    }
    started = times[Milestone.STARTED]
    if started.set_by is None and started.at is not None and started.at == incident.detected_at:
        times[Milestone.STARTED] = MilestoneTime(Milestone.STARTED.value, started.at, assumed=True)
    return times


def decide(
    incident: Summarised,
    changes: Sequence[MilestoneChange],
    lines: Sequence[Line],
    alerts_resolved_at: datetime | None,
    said_back: Sequence[Line] = (),
    name: Namer = lambda user_id: user_id,
) -> Figures:
    """The figures of an incident from its record: ``lines``, its timeline in order (those of
    ``FIGURE_KINDS`` are enough); ``said_back``, the messages after the fix saying the
    service is back (``sources``), when nobody marked recovery."""
    if not lines and not changes and alerts_resolved_at is None:
        return _AsRecorded(incident)
    milestones = milestone_times(incident, changes, name)
    acknowledged = milestones[Milestone.ACKNOWLEDGED]
    if acknowledged.set_by is None:
        answered = [line.at for line in lines if line.kind in _ANSWERED]
        first = min([*answered, *([acknowledged.at] if acknowledged.at else [])], default=None)
        milestones[Milestone.ACKNOWLEDGED] = MilestoneTime(Milestone.ACKNOWLEDGED.value, first)
    resolved_alerts = alerts_resolved(lines, alerts_resolved_at)
    mitigation = mitigation_of(lines, milestones, resolved_alerts, said_back)
    if mitigation.confirmed is not None:
        milestones[Milestone.MITIGATED] = mitigation.confirmed
    milestones[Milestone.ENDED] = impact_end(
        lines, milestones, resolved_alerts, mitigation, said_back
    )
    first_page = next((line.at for line in lines if line.kind == _PAGED), None)
    declared = milestones[Milestone.DECLARED].at
    paged = None
    if first_page is not None and declared is not None and first_page < declared:
        paged = MilestoneTime(_PAGED, first_page, source="alert", line=None)
    return Figures(milestones, mitigation, paged)


def alerts_resolved(lines: Sequence[Line], at: datetime | None) -> Line | None:
    """The line of the incident's alerts resolving, when they all have (a line of its own
    when the timeline has none at that moment)."""
    if at is None:
        return None
    found = [line for line in lines if line.kind == _ALERT and line.at == at]
    return found[-1] if found else Line(at, _ALERT, "")


async def figures_of(session: AsyncSession, incidents: Iterable[Summarised]) -> dict[int, Figures]:
    """The figures of many incidents by id, read in a few queries a chunk: the list, the
    API's list and Insights show each incident's as its own page does."""
    found: dict[int, Figures] = {}
    every = {incident.id: incident for incident in incidents if incident.id is not None}
    if not every:
        return found
    # The ids bound as one parameter (``among``): three statements however many incidents.
    ids = list(every)
    changes = await _changes(session, ids)
    lines, fixes = await _figure_lines(session, ids)
    resolved = await _alerts_resolved_at(session, ids)
    for incident_id, incident in every.items():
        own = lines.get(incident_id, [])
        # Only an incident with a fix and no recovery marked can have said it back.
        back = (
            await said_back_lines(session, incident_id, own, fixes.get(incident_id))
            if incident_id in fixes
            else []
        )
        found[incident_id] = decide(
            incident, changes.get(incident_id, []), own, resolved.get(incident_id), back
        )
    return found


async def said_back_lines(
    session: AsyncSession, incident_id: int, lines: Sequence[Line], fix_ts: str | None
) -> list[Line]:
    """When nobody marked recovery: the messages after the first fix (its Slack message
    ``fix_ts``) saying the service is back (bot/record/postmortem/back_words.py), as lines
    of their moments (``sources.said_back``, which the draft quotes)."""
    if any(line.kind == _RECOVERED for line in lines):
        return []
    fix = next((line for line in lines if line.kind == _MITIGATION), None)
    if fix is None:
        return []
    since = await messages.said_since(session, incident_id, fix.at)
    return [
        Line(message.occurred_at, "message", "")
        for message in since
        if message.ts != fix_ts and says_service_back(to_plain(SlackText(message.text)))
    ]


async def _changes(session: AsyncSession, ids: list[int]) -> dict[int, list[MilestoneChange]]:
    rows = await session.exec(
        select(MilestoneChange)
        .where(among(col(MilestoneChange.incident_id), ids))
        .order_by(col(MilestoneChange.id))
    )
    by_incident: dict[int, list[MilestoneChange]] = {}
    for change in rows.all():
        by_incident.setdefault(change.incident_id, []).append(change)
    return by_incident


async def _figure_lines(
    session: AsyncSession, ids: list[int]
) -> tuple[dict[int, list[Line]], dict[int, str | None]]:
    """By incident: its entries of ``FIGURE_KINDS`` as lines, and its first fix's message."""
    rows = await session.exec(
        select(
            TimelineEntry.incident_id,
            TimelineEntry.kind,
            TimelineEntry.occurred_at,
            TimelineEntry.slack_ts,
        )
        .where(among(col(TimelineEntry.incident_id), ids))
        .where(col(TimelineEntry.kind).in_(sorted(FIGURE_KINDS)))
        .order_by(col(TimelineEntry.occurred_at), col(TimelineEntry.id))
    )
    by_incident: dict[int, list[Line]] = {}
    fixes: dict[int, str | None] = {}
    for incident_id, kind, at, ts in rows.all():
        by_incident.setdefault(incident_id, []).append(Line(at, kind, ""))
        if kind == _MITIGATION and incident_id not in fixes:
            fixes[incident_id] = ts
    return by_incident, fixes


async def _alerts_resolved_at(session: AsyncSession, ids: list[int]) -> dict[int, datetime]:
    """By incident: when its alerts had all stopped firing (``alerts.all_resolved_at``)."""
    rows = await session.exec(
        select(Alert.incident_id, Alert.status, Alert.ends_at).where(
            among(col(Alert.incident_id), ids)
        )
    )
    firing: set[int] = set()
    ends: dict[int, list[datetime]] = {}
    for incident_id, status, ends_at in rows.all():
        if incident_id is None:
            continue
        if status != "resolved":
            firing.add(incident_id)
        elif ends_at is not None:
            ends.setdefault(incident_id, []).append(ends_at)
    return {key: max(values) for key, values in ends.items() if key not in firing}
