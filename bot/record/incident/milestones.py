"""Milestone times people set or correct after the fact (``/incident time``).

Every change is kept (who, from what, to what), and a time that contradicts the others is
refused rather than stored: an impact cannot start after it was resolved.

Impact ended is not the resolution: a service is often back well before someone types
``/incident resolve``, and the draft's duration is the impact's. Declared is warroom's own
record of when it was told, but a declaration made late (the channel opened after the work
began elsewhere) is back-dated with ``/incident time declared``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.errors import BotError
from bot.store.models import Incident, Milestone, MilestoneChange, Status


class Surface(StrEnum):
    """Where people and programs read an incident's metrics. Each reads the rows of
    ``METRICS`` that name it, in their order, and nothing else."""

    DRAFT = "draft"  # the postmortem draft's table (templates/postmortem/_parts.j2)
    DRAFT_POSTED = "draft_posted"  # the Slack message that posts the draft
    CHANNEL_HEADER = "channel_header"  # the channel's pinned header, once resolved
    PAGE_HEAD = "page_head"  # the incident page's first screen
    PAGE = "page"  # the incident page's table of milestones and metrics
    INSIGHTS = "insights"  # Insights' headline: each metric's median over the period
    INSIGHTS_MONTHS = "insights_months"  # Insights' charts: each metric's median per month
    API = "api"  # the JSON API's and the agents' ``metrics``


@dataclass(frozen=True)
class IncidentMetric:
    """One metric of an incident: measured from one milestone to another, called by its
    words (``words``: its key in ``templates/_metrics.j2`` and in every draft language's
    ``words.yaml`` ``metrics``), shown on ``surfaces``."""

    key: str  # the API's ``key``, the page's ``data-metric``
    start: Milestone
    end: Milestone
    words: str
    surfaces: frozenset[Surface]

    @property
    def short(self) -> str:
        """Its name in a page's ids and a chart's series: ``acknowledge``."""
        return self.key.removeprefix("time_to_")


_EVERYWHERE = frozenset(Surface)
_NOT_INSIGHTS = _EVERYWHERE - {Surface.INSIGHTS, Surface.INSIGHTS_MONTHS}
# The metrics of an incident, in the order every surface shows them (Zulip's
# ``Realm.property_types``: a row says all there is to say of one): a new metric is a row here
# and its words.
METRICS: tuple[IncidentMetric, ...] = (
    IncidentMetric(
        "time_to_detect",
        Milestone.STARTED,
        Milestone.DETECTED,
        "time_to_detect",
        _NOT_INSIGHTS - {Surface.CHANNEL_HEADER},
    ),
    IncidentMetric(
        "time_to_acknowledge",
        Milestone.DECLARED,
        Milestone.ACKNOWLEDGED,
        "time_to_acknowledge",
        _EVERYWHERE,
    ),
    IncidentMetric(
        "time_to_mitigate",
        Milestone.STARTED,
        Milestone.MITIGATED,
        "time_to_mitigate",
        _EVERYWHERE - {Surface.INSIGHTS_MONTHS},
    ),
    IncidentMetric(
        "impact_duration",
        Milestone.STARTED,
        Milestone.ENDED,
        "impact_duration",
        _NOT_INSIGHTS - {Surface.PAGE_HEAD},  # the page's head says "impact lasted" already
    ),
    IncidentMetric(
        "time_to_resolve",
        Milestone.STARTED,
        Milestone.RESOLVED,
        "time_to_resolve",
        _EVERYWHERE,
    ),
)


def metrics_on(surface: Surface | str) -> tuple[IncidentMetric, ...]:
    """The rows of ``METRICS`` that ``surface`` shows, in order (ValueError: no surface)."""
    shown = Surface(surface)
    return tuple(metric for metric in METRICS if shown in metric.surfaces)


SETTABLE = (
    Milestone.STARTED,
    Milestone.DETECTED,
    Milestone.DECLARED,
    Milestone.ACKNOWLEDGED,
    Milestone.MITIGATED,
    Milestone.ENDED,
    Milestone.RESOLVED,
)
ALIASES = {
    "start": Milestone.STARTED,
    "impact": Milestone.STARTED,
    "detect": Milestone.DETECTED,
    "detection": Milestone.DETECTED,
    "declare": Milestone.DECLARED,
    "declaration": Milestone.DECLARED,
    "ack": Milestone.ACKNOWLEDGED,
    "acknowledge": Milestone.ACKNOWLEDGED,
    "mitigate": Milestone.MITIGATED,
    "mitigation": Milestone.MITIGATED,
    "end": Milestone.ENDED,
    "impact-ended": Milestone.ENDED,
    "impact_ended": Milestone.ENDED,
    "impact-end": Milestone.ENDED,
    "recovered": Milestone.ENDED,
    "recovery": Milestone.ENDED,
    "resolve": Milestone.RESOLVED,
    "resolution": Milestone.RESOLVED,
}
# (earlier, later): the first may not come after the second.
_ORDER = (
    (Milestone.STARTED, Milestone.DETECTED),
    (Milestone.STARTED, Milestone.MITIGATED),
    (Milestone.STARTED, Milestone.RESOLVED),
    (Milestone.DETECTED, Milestone.MITIGATED),
    (Milestone.DETECTED, Milestone.RESOLVED),
    (Milestone.MITIGATED, Milestone.RESOLVED),
    (Milestone.STARTED, Milestone.ENDED),
    (Milestone.ENDED, Milestone.RESOLVED),
    (Milestone.DECLARED, Milestone.ACKNOWLEDGED),
    (Milestone.DECLARED, Milestone.RESOLVED),
)


class MilestoneRefused(BotError):
    """The time cannot be set: it contradicts another milestone, or the milestone is fixed."""

    template = "messages/milestone_refused.j2"


def milestone_named(word: str) -> Milestone | None:
    """``started``, ``impact``, ``ack`` ... as a settable milestone; None if it is not one."""
    word = word.strip().lower()
    milestone = ALIASES.get(word) or next((m for m in Milestone if m.value == word), None)
    return milestone


def set_milestone(
    session: AsyncSession,
    incident: Incident,
    milestone: Milestone,
    value: datetime,
    *,
    by: str,
    at: datetime,
) -> MilestoneChange:
    """Set the milestone and keep the change (the caller commits)."""
    if milestone == Milestone.RESOLVED and incident.status != Status.RESOLVED:
        raise MilestoneRefused(reason="not_resolved", milestone=milestone.value, incident=incident)
    _check_order(incident, milestone, value)
    assert incident.id is not None
    previous = getattr(incident, milestone.column)
    setattr(incident, milestone.column, value)
    session.add(incident)
    change = MilestoneChange(
        incident_id=incident.id,
        milestone=milestone.value,
        previous=previous,
        value=value,
        changed_by=by,
        changed_at=at,
    )
    session.add(change)
    return change


def _check_order(incident: Incident, milestone: Milestone, value: datetime) -> None:
    for earlier, later in _ORDER:
        if milestone not in (earlier, later):
            continue
        other = later if milestone == earlier else earlier
        other_value = getattr(incident, other.column)
        if other_value is None:
            continue
        # To the minute: people type minutes, and a message at 14:00:00.1 is not after 14:00.
        mine, theirs = _minute(value), _minute(other_value)
        if (milestone == earlier and mine > theirs) or (milestone == later and mine < theirs):
            raise MilestoneRefused(
                reason="order",
                milestone=milestone.value,
                value=value,
                other=other.value,
                other_value=other_value,
                before=milestone == earlier,
                incident=incident,
            )


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)
