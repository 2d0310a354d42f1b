"""Times people type about a past incident (the draft's page): read as the incident's.

A time without a date is the incident's, not today's: ``08:45`` typed as when Carol answered
an escalation is 08:45 in the incident's zone on the incident's day, the nearest to its span
(``bot.record.moments.parse_in_span``), refused when two days fit equally.
"""

from __future__ import annotations

from datetime import datetime

from bot.record.moments import parse_in_span
from bot.store.models import Incident


def incident_span(incident: Incident, now: datetime) -> tuple[datetime, datetime]:
    """From the incident's first known moment (impact start, detection, declaration) to its
    last (resolution, impact end, mitigation), or ``now`` while none is known."""
    firsts = (incident.started_at, incident.detected_at, incident.declared_at)
    lasts = (incident.resolved_at, incident.ended_at, incident.mitigated_at)
    start = min(moment for moment in firsts if moment is not None)
    end = max((moment for moment in lasts if moment is not None), default=now)
    return start, max(start, end)


def read_incident_time(text: str, incident: Incident, now: datetime) -> datetime:
    """The UTC moment ``text`` names, read in the incident's zone on the incident's days;
    MomentRefused (its ``reason`` and words in templates/messages/time_refused.j2) when it
    cannot be read in one way."""
    start, end = incident_span(incident, now)
    return parse_in_span(text, zone=incident.timezone, start=start, end=end, now=now)
