"""What the record holds of a service (WARROOM_SERVICES), as its page, the API and the agents
read it: its open alerts (those of ``page`` routes, as the worklist shows them), its open
incidents and its latest resolved ones. Who may see which incident is the caller's to decide
(a private incident is never named to whoever is not in its channel).

No Slack, no HTTP: a few indexed reads by ``service``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.alerting.grouping import OPEN_STATES
from bot.store.models import AlertGroup, Incident, Status

# How many of a service's resolved incidents its page lists, newest first.
RECENT = 10


@dataclass
class ServiceRecord:
    """A service's open alerts (newest first), open incidents and latest resolved ones."""

    open_alerts: list[AlertGroup] = field(default_factory=list)
    open_incidents: list[Incident] = field(default_factory=list)
    recent_incidents: list[Incident] = field(default_factory=list)


async def service_record(session: AsyncSession, name: str, *, team_id: str) -> ServiceRecord:
    """The service's open alerts and its incidents in the workspace ``team_id``."""
    alerts = await session.exec(
        select(AlertGroup)
        .where(AlertGroup.service == name, col(AlertGroup.state).in_(OPEN_STATES))
        .order_by(col(AlertGroup.triggered_at).desc(), col(AlertGroup.id).desc())
    )
    mine = select(Incident).where(Incident.service == name, Incident.team_id == team_id)
    open_ = await session.exec(
        mine.where(Incident.status != Status.RESOLVED).order_by(col(Incident.declared_at).desc())
    )
    recent = await session.exec(
        mine.where(Incident.status == Status.RESOLVED)
        .order_by(col(Incident.declared_at).desc(), col(Incident.id).desc())
        .limit(RECENT)
    )
    return ServiceRecord(list(alerts.all()), list(open_.all()), list(recent.all()))


async def open_alert_counts(session: AsyncSession) -> Counter[str]:
    """How many open alerts each service has (services with none are not in it)."""
    rows = await session.exec(
        select(AlertGroup.service).where(
            col(AlertGroup.service).is_not(None), col(AlertGroup.state).in_(OPEN_STATES)
        )
    )
    return Counter(service for service in rows.all() if service)


async def open_incidents(session: AsyncSession, *, team_id: str) -> list[Incident]:
    """The workspace's open incidents that name a service (the caller keeps those the viewer
    may see, and counts them by service)."""
    rows = await session.exec(
        select(Incident).where(
            Incident.team_id == team_id,
            col(Incident.service).is_not(None),
            Incident.status != Status.RESOLVED,
        )
    )
    return list(rows.all())
