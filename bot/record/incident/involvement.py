"""Who is in which incident, as the record knows it (the App Home's "your incidents").

A person is in an incident when they lead it, hold one of its roles, declared it, were
escalated to (by name, as a user group's member or at a policy's level: the escalation's
``notified_users``), or are in its channel as its recorded history says: their latest
``channel_join`` / ``channel_leave`` (``group_join`` / ``group_leave``) message there, or
anything else they said there, is not a leave.

Slack is not asked (``conversations.members``): the history is what Slack told the bot as it
happened, and the Home is built each time someone opens it. It can miss a leave Slack did not
send (bot/web/visibility.py says why the web view, which shows incidents to everyone, asks
Slack instead); here that only keeps an incident the person was in on their own Home.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import ChannelMessage, Escalation, Incident, IncidentRole, Status

# Slack's notes that someone left a channel (https://docs.slack.dev/reference/events/message,
# subtypes channel_leave and, for private channels of old, group_leave).
LEAVES = ("channel_leave", "group_leave")
COMMANDER = "commander"


@dataclass(frozen=True)
class Involvement:
    """How one person is in one incident."""

    # "commander" first when they lead it, then each role they hold, in the order given.
    roles: tuple[str, ...] = ()
    declared: bool = False
    escalated: bool = False
    in_channel: bool = False

    def __bool__(self) -> bool:
        return bool(self.roles or self.declared or self.escalated or self.in_channel)


async def incidents_since(
    session: AsyncSession, *, team_id: str, since: datetime
) -> Sequence[Incident]:
    """The workspace's incidents that are open, or were declared or resolved at or after
    ``since``: every incident a Home can show. Newest first."""
    statement = (
        select(Incident)
        .where(
            col(Incident.team_id) == team_id,
            or_(
                col(Incident.status) != Status.RESOLVED.value,
                col(Incident.declared_at) >= since,
                col(Incident.resolved_at) >= since,
            ),
        )
        .order_by(col(Incident.declared_at).desc(), col(Incident.id).desc())
    )
    return (await session.exec(statement)).all()


async def involvement_of(
    session: AsyncSession, user_id: str, incidents: Collection[Incident]
) -> dict[int, Involvement]:
    """How ``user_id`` is in each of ``incidents``; those they are not in are left out."""
    ids = [incident.id for incident in incidents if incident.id is not None]
    if not ids:
        return {}
    roles = await _roles(session, user_id, ids)
    escalated = await _escalated_to(session, user_id, ids)
    in_channel = await _in_channel(session, user_id, ids)
    found: dict[int, Involvement] = {}
    for incident in incidents:
        if incident.id is None:
            continue
        held = ((COMMANDER,) if incident.commander == user_id else ()) + roles.get(incident.id, ())
        involvement = Involvement(
            roles=held,
            declared=incident.declared_by == user_id,
            escalated=incident.id in escalated,
            in_channel=incident.id in in_channel,
        )
        if involvement:
            found[incident.id] = involvement
    return found


async def _roles(session: AsyncSession, user_id: str, ids: list[int]) -> dict[int, tuple[str, ...]]:
    rows = await session.exec(
        select(IncidentRole.incident_id, IncidentRole.role)
        .where(col(IncidentRole.user_id) == user_id, col(IncidentRole.incident_id).in_(ids))
        .order_by(col(IncidentRole.id))
    )
    roles: dict[int, tuple[str, ...]] = {}
    for incident_id, role in rows.all():
        roles[incident_id] = (*roles.get(incident_id, ()), role)
    return roles


async def _escalated_to(session: AsyncSession, user_id: str, ids: list[int]) -> set[int]:
    """The incidents that escalated to ``user_id``: named as the target, or among the people
    an escalation brought in (space-separated ids; the LIKE only narrows, the split decides)."""
    rows = await session.exec(
        select(Escalation.incident_id, Escalation.target_ref, Escalation.notified_users).where(
            col(Escalation.incident_id).in_(ids),
            or_(
                col(Escalation.target_ref) == user_id,
                col(Escalation.notified_users).contains(user_id),
            ),
        )
    )
    return {
        incident_id
        for incident_id, target, notified in rows.all()
        if target == user_id or user_id in notified.split()
    }


async def _in_channel(session: AsyncSession, user_id: str, ids: list[int]) -> set[int]:
    """The incidents whose channel ``user_id`` is in as the history says: something of theirs
    there (a join, a message) is later than their last leave, if they ever left."""
    leave = col(ChannelMessage.subtype).in_(LEAVES)
    at = col(ChannelMessage.occurred_at)
    # A message without a subtype makes ``leave`` NULL: not a leave.
    last_leave = func.max(case((leave, at), else_=None))
    last_seen = func.max(case((leave, None), else_=at))
    rows = await session.exec(
        select(ChannelMessage.incident_id)
        .where(col(ChannelMessage.user) == user_id, col(ChannelMessage.incident_id).in_(ids))
        .group_by(col(ChannelMessage.incident_id))
        .having(or_(last_leave.is_(None), last_seen > last_leave))
    )
    return set(rows.all())
