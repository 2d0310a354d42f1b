"""An alert of its own (a ``page`` route's alert group): its states, and what makes one
alert of several (docs/alerts-without-incidents.md).

Each new key (PagerDuty's ``dedup_key``, Opsgenie's ``alias``, a fingerprint, an
integration) is an alert of its own that pages, as each vendor does. Grouping is a route's
choice (``group_window``, 0 by default): its alerts arriving within the window of an open
alert of the same route, sender (source and integration) and service join it (their groups
name it: ``joined_to``, for its ``episode``). A joined alert keeps its own title, urgency and
alerts (``joined_alerts``, ``own_state``): its sender's resolve resolves it, and the alert it
joined resolves once none of its alerts fires. An alert that fires again after its source
resolved it more than the route's ``flapping.count`` times within ``flapping.within`` is
flapping (``flips_now``, ``flapping``). No Slack in here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import not_
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.alerting.integrations import sender_prefix
from bot.record.alerting.routes import Route
from bot.store.db import Turns
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


# What an alert joining an open one does to it: one of lower urgency is raised to the
# joining alert's and paged anew (``RAISED``); an acknowledged one is triggered again and
# whoever acknowledged it is paged at the joining alert's urgency (``REOPENED``).
RAISED, REOPENED = "raised", "reopened"
URGENCY_RANK = {"low": 0, "high": 1}
# A flapping alert's source said it resolved: held open, resolved once it stays so.
HELD = "held"
# The namespace of the locks that make a ``page`` route's notifications take turns when the
# route groups its alerts: which open alert a new one joins is decided one at a time.
ROUTE_TURNS = Turns.ALERT_ROUTE


def flips_now(group: AlertGroup, route: Route, now: datetime) -> list[str]:
    """The group's firings after its source resolved it within the route's
    ``flapping.within``, this firing counted when its source had resolved it (a question:
    the caller keeps the answer on the group)."""
    if route.flapping is None:
        return []
    since = now - route.flapping.within
    flips = [at for at in json.loads(group.flips) if datetime.fromisoformat(at) >= since]
    by_source = group.state == RESOLVED and group.resolved_by is None
    if by_source and group.resolved_at is not None and group.resolved_at >= since:
        flips.append(now.isoformat())
    return flips


def flapping(route: Route, flips: list[str]) -> bool:
    """Whether ``flips`` (``flips_now``) are more than the route's ``flapping.count``."""
    return route.flapping is not None and len(flips) > route.flapping.count


async def joined(
    session: AsyncSession, group: AlertGroup, *, lock: bool = True
) -> AlertGroup | None:
    """The open alert the group's alerts joined, locked (unless ``lock`` is false: a read);
    None when they joined none, or that one has resolved since (the group's next firing is
    an alert of its own again)."""
    if group.joined_to is None:
        return None
    found = (
        await lock_alert(session, group.joined_to)
        if lock
        else await session.get(AlertGroup, group.joined_to)
    )
    if found is None or found.state not in OPEN_STATES or found.episode != group.joined_episode:
        return None
    return found


async def open_in_window(
    session: AsyncSession, route: Route, group: AlertGroup, now: datetime
) -> AlertGroup | None:
    """The route's open alert (of its own) triggered within its grouping window, locked: one
    of the same sender (source and integration) and service as ``group``, never another's."""
    if route.group_window <= timedelta(0):
        return None
    prefix = sender_prefix(group.group_key)
    same_sender = (
        col(AlertGroup.group_key).startswith(prefix, autoescape=True)
        if prefix
        else not_(col(AlertGroup.group_key).like("integration:%/%"))
    )
    same_service = (
        col(AlertGroup.service).is_(None)
        if group.service is None
        else AlertGroup.service == group.service
    )
    statement = (
        select(AlertGroup)
        .where(
            AlertGroup.route == route.name,
            AlertGroup.source == group.source,
            same_sender,
            same_service,
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


def higher(one: str, other: str) -> str:
    """The higher of two urgencies."""
    return max(one, other, key=lambda urgency: URGENCY_RANK.get(urgency, 1))


def join(group: AlertGroup, joined: AlertGroup, urgency: str) -> str | None:
    """``group``'s alerts, of ``urgency``, join the open alert ``joined`` (both locked; the
    caller adds them): what that does to it, if anything (``RAISED``, ``REOPENED``: its
    paging follows, ``own_alerts``; whoever acknowledged a reopened one is read before)."""
    group.joined_to, group.joined_episode = joined.id, joined.episode
    if joined.state == ACKNOWLEDGED:
        joined.state = TRIGGERED
        joined.acknowledged_at = joined.acknowledged_by = joined.acknowledged_via = None
        joined.urgency = higher(joined.urgency, urgency)
        joined.cycle, joined.waits_until = joined.cycle + 1, None
        return REOPENED
    if joined.state == TRIGGERED and higher(joined.urgency, urgency) != joined.urgency:
        joined.urgency, joined.waits_until = urgency, None
        joined.cycle, joined.level_round, joined.level = joined.cycle + 1, 1, 0
        return RAISED
    return None


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


@dataclass(frozen=True)
class JoinedAlert:
    """An alert that joined another's episode, as its own: its title, its source (the
    sender's kind), and its own state (resolved once none of its alerts fires, else the
    state of the alert it joined)."""

    id: int
    title: str
    source: str
    state: str
    joined_at: datetime | None


async def joined_alerts(session: AsyncSession, group: AlertGroup) -> list[JoinedAlert]:
    """The alerts that joined the group's current episode, oldest first."""
    statement = (
        select(AlertGroup)
        .where(AlertGroup.joined_to == group.id, AlertGroup.joined_episode == group.episode)
        .order_by(col(AlertGroup.id))
    )
    found = list((await session.exec(statement)).all())
    firing = await _firing(session, [each.id for each in found if each.id is not None])
    return [
        JoinedAlert(
            id=each.id,
            title=each.title,
            source=each.source,
            state=(group.state or RESOLVED) if each.id in firing else RESOLVED,
            joined_at=each.last_fired_at,
        )
        for each in found
        if each.id is not None
    ]


async def joined_counts(session: AsyncSession, groups: list[AlertGroup]) -> dict[int, int]:
    """How many alerts joined each group's current episode (the groups with none left out)."""
    episodes = {group.id: group.episode for group in groups if group.id is not None}
    if not episodes:
        return {}
    statement = (
        select(AlertGroup.joined_to, AlertGroup.joined_episode, func.count())
        .where(col(AlertGroup.joined_to).in_(list(episodes)))
        .group_by(col(AlertGroup.joined_to), col(AlertGroup.joined_episode))
    )
    return {
        parent: count
        for parent, episode, count in (await session.exec(statement)).all()
        if parent is not None and episodes.get(parent) == episode
    }


async def own_state(session: AsyncSession, group: AlertGroup) -> str | None:
    """The state of the group's own alert, as its sender's read of its key answers it: of
    one joined to another, resolved once none of its own alerts fires, else the state of the
    one it joined; of one others joined, resolved once none of its own fires (it stays open
    for theirs); otherwise its state."""
    assert group.id is not None
    parent = await joined(session, group, lock=False)
    if parent is not None:
        return parent.state if await _firing(session, [group.id]) else RESOLVED
    if group.state not in OPEN_STATES or group.flapping_since is not None:
        return group.state
    if len(await joined_ids(session, group)) > 1 and not await _firing(session, [group.id]):
        return RESOLVED
    return group.state


async def _firing(session: AsyncSession, group_ids: list[int]) -> set[int]:
    """Which of the groups have an alert still firing, as its source last said."""
    if not group_ids:
        return set()
    statement = (
        select(Alert.group_id)
        .where(col(Alert.group_id).in_(group_ids), Alert.status == "firing")
        .distinct()
    )
    return set((await session.exec(statement)).all())
