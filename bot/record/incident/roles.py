"""Who leads an incident and who holds its other roles. No Slack payloads in here."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.incident.timeline import add_entry
from bot.store.models import Incident, IncidentRole, TimelineKind


async def set_commander(
    session: AsyncSession, incident: Incident, *, user_id: str, by: str, at: datetime
) -> str | None:
    """Make ``user_id`` the incident commander; return who led before (the caller commits)."""
    previous = incident.commander
    incident.commander = user_id
    session.add(incident)
    add_entry(
        session,
        incident,
        kind=TimelineKind.COMMANDER,
        facts={"user": user_id, "previous_user": previous},
        author=by,
        occurred_at=at,
    )
    return previous


async def assign_role(
    session: AsyncSession, incident: Incident, *, role: str, user_id: str, by: str, at: datetime
) -> str | None:
    """Give ``role`` to ``user_id``; return who held it before (the caller commits)."""
    statement = select(IncidentRole).where(
        col(IncidentRole.incident_id) == incident.id, col(IncidentRole.role) == role
    )
    held = (await session.exec(statement)).first()
    previous = held.user_id if held else None
    if held is None:
        assert incident.id is not None
        held = IncidentRole(
            incident_id=incident.id, role=role, user_id=user_id, assigned_by=by, assigned_at=at
        )
    else:
        held.user_id, held.assigned_by, held.assigned_at = user_id, by, at
    session.add(held)
    add_entry(
        session,
        incident,
        kind=TimelineKind.ROLE,
        facts={"role": role, "user": user_id, "previous_user": previous},
        author=by,
        occurred_at=at,
    )
    return previous


async def roles_of(session: AsyncSession, incident_id: int) -> dict[str, str]:
    """Role name -> user id, in the order the roles were first assigned."""
    statement = (
        select(IncidentRole)
        .where(col(IncidentRole.incident_id) == incident_id)
        .order_by(col(IncidentRole.id))
    )
    return {held.role: held.user_id for held in (await session.exec(statement)).all()}
