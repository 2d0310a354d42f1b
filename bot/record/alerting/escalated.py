"""An alert's escalations by hand, a row each in ``alert_escalation``: who
escalated it, when, to which level of its policy or to which person chosen. Written in the
transaction that pages them (``bot/flows/alerting/alert_actions.py``); read for the alert's
page and history, the JSON API and MCP's ``get_alert``, and the incident it is attached to
(``attaching``): every one, not only the latest the group's row keeps for its message.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import AlertEscalation, AlertGroup

# The most escalations one alert's episode reads (each is a person's press).
ESCALATIONS_MAX = 200
# The most its Slack message and phone console list, the latest (the rest on its web page).
ESCALATIONS_SHOWN = 5


def record_escalation(
    session: AsyncSession,
    group: AlertGroup,
    *,
    by: str,
    at: datetime,
    level: int | None = None,
    person: str | None = None,
) -> AlertEscalation:
    """Keep an escalation by hand of the group's current episode, to a level or a person,
    and say it on the group's row (its latest, which its message shows)."""
    assert group.id is not None and (level is None) != (person is None)
    group.escalated_by, group.escalated_at = by, at
    group.escalated_level, group.escalated_to = level, person
    session.add(group)
    row = AlertEscalation(
        group_id=group.id,
        episode=group.episode,
        escalated_by=by,
        escalated_at=at,
        policy=group.policy,
        level=level,
        person=person,
    )
    session.add(row)
    return row


async def escalations_of(
    session: AsyncSession, group_id: int, episode: int
) -> list[AlertEscalation]:
    """The episode's escalations by hand, in the order they were made."""
    statement = (
        select(AlertEscalation)
        .where(col(AlertEscalation.group_id) == group_id, col(AlertEscalation.episode) == episode)
        .order_by(col(AlertEscalation.escalated_at), col(AlertEscalation.id))
        .limit(ESCALATIONS_MAX)
    )
    return list((await session.exec(statement)).all())


async def shown_escalations(session: AsyncSession, group: AlertGroup) -> list[AlertEscalation]:
    """The escalations by hand of the group's current episode its message and console list
    (none read when it has none: the group's row says whether it has)."""
    if group.id is None or group.escalated_by is None:
        return []
    return await escalations_of(session, group.id, group.episode)
