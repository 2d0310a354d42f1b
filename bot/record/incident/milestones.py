"""Milestone times people set or correct after the fact (``/incident time``).

Every change is kept (who, from what, to what), and a time that contradicts the others is
refused rather than stored: an impact cannot start after it was resolved.

Impact ended is not the resolution: a service is often back well before someone types
``/incident resolve``, and the draft's duration is the impact's. Declared is warroom's own
record of when it was told, but a declaration made late (the channel opened after the work
began elsewhere) is back-dated with ``/incident time declared``.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.errors import BotError
from bot.store.models import Incident, Milestone, MilestoneChange, Status

# The metrics of an incident (postmortems, insights): each measured from one milestone to
# another.
METRICS: tuple[tuple[str, Milestone, Milestone], ...] = (
    ("time_to_detect", Milestone.STARTED, Milestone.DETECTED),
    ("time_to_acknowledge", Milestone.DECLARED, Milestone.ACKNOWLEDGED),
    ("time_to_mitigate", Milestone.STARTED, Milestone.MITIGATED),
    ("impact_duration", Milestone.STARTED, Milestone.ENDED),
    ("time_to_resolve", Milestone.STARTED, Milestone.RESOLVED),
)
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
