"""An alert of its own (a ``page`` route's alert group): its states, and what makes one
alert of several (issue 72, item 2).

Alerts of a route arriving within its grouping window of an open alert join it (their
groups name it: ``joined_to``, for its ``episode``); an alert that fires again after its
source resolved it more than the route's ``flapping.count`` times within ``flapping.within``
is flapping (``flipped``). No Slack in here.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.alerting.routes import Route
from bot.store.models import Alert, AlertGroup

# An alert group's states when its route pages without an incident (``action: page``).
TRIGGERED, ACKNOWLEDGED, RESOLVED = "triggered", "acknowledged", "resolved"
# Snoozed by a person until ``snoozed_until``: paging stopped, still open (its repeats count,
# its source's resolve resolves it).
SNOOZED = "snoozed"
# Declared as an incident, or attached to one (``incident_id``): its paging and its later
# firings are the incident's while the incident is open (bot/record/alerting/attaching.py).
ATTACHED = "attached"
OPEN_STATES = (TRIGGERED, ACKNOWLEDGED, SNOOZED, ATTACHED)


# A flapping alert's source said it resolved: held open, resolved once it stays so.
HELD = "held"
# The namespace of the locks that make a ``page`` route's notifications take turns when the
# route groups its alerts: which open alert a new one joins is decided one at a time.
ROUTE_TURNS = 5_241_002


def flipped(group: AlertGroup, route: Route, now: datetime) -> bool:
    """Count a firing of the group after its source resolved it (within the route's
    ``flapping.within``); whether it now flipped more than ``flapping.count`` times then."""
    if route.flapping is None:
        group.flips = "[]"
        return False
    since = now - route.flapping.within
    flips = [at for at in json.loads(group.flips) if datetime.fromisoformat(at) >= since]
    by_source = group.state == RESOLVED and group.resolved_by is None
    if by_source and group.resolved_at is not None and group.resolved_at >= since:
        flips.append(now.isoformat())
    group.flips = json.dumps(flips)
    return len(flips) > route.flapping.count


async def joined(session: AsyncSession, group: AlertGroup) -> AlertGroup | None:
    """The open alert the group's alerts joined, locked; None when they joined none, or
    that one has resolved since (the group's next firing is an alert of its own again)."""
    if group.joined_to is None:
        return None
    found = await lock_alert(session, group.joined_to)
    if found is None or found.state not in OPEN_STATES or found.episode != group.joined_episode:
        return None
    return found


async def open_in_window(
    session: AsyncSession, route: Route, group: AlertGroup, now: datetime
) -> AlertGroup | None:
    """The route's open alert (of its own) triggered within its grouping window, locked."""
    if route.group_window <= timedelta(0):
        return None
    statement = (
        select(AlertGroup)
        .where(
            AlertGroup.route == route.name,
            col(AlertGroup.state).in_((TRIGGERED, ACKNOWLEDGED, SNOOZED)),
            col(AlertGroup.triggered_at) >= now - route.group_window,
            AlertGroup.id != group.id,
        )
        .order_by(col(AlertGroup.triggered_at).desc())
        .limit(1)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.exec(statement)).first()


async def joined_ids(session: AsyncSession, group: AlertGroup) -> list[int]:
    """The group and the groups whose alerts joined its current episode."""
    assert group.id is not None
    statement = select(AlertGroup.id).where(
        AlertGroup.joined_to == group.id, AlertGroup.joined_episode == group.episode
    )
    return [group.id, *(id_ for id_ in (await session.exec(statement)).all() if id_ is not None)]


async def still_firing(session: AsyncSession, group: AlertGroup) -> bool:
    """Whether one of the group's alerts (or those that joined it) still fires, as its
    source last said."""
    statement = select(Alert.id).where(
        col(Alert.group_id).in_(await joined_ids(session, group)), Alert.status == "firing"
    )
    return (await session.exec(statement.limit(1))).first() is not None


def group_key_hash(group_key: str) -> str:
    return hashlib.sha256(group_key.encode()).hexdigest()


async def group_of(session: AsyncSession, source: str, group_key: str) -> AlertGroup | None:
    """The alert group of ``source`` keyed ``group_key``, locked (the caller commits)."""
    statement = (
        select(AlertGroup)
        .where(AlertGroup.source == source, AlertGroup.key_hash == group_key_hash(group_key))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.exec(statement)).first()


async def lock_alert(session: AsyncSession, group_id: int) -> AlertGroup | None:
    """An alert group, locked for a change of its state (the caller commits)."""
    statement = (
        select(AlertGroup)
        .where(AlertGroup.id == group_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.exec(statement)).first()
