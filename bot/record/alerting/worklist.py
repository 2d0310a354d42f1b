"""Alerts as the web view, the API and the agents read them: the worklist (open first, then
the latest resolved) and one alert with its pages and their notifications.

Only the groups of ``page`` routes are alerts of their own (their ``state`` is set); the
groups of other routes belong to incidents and are not listed. Every query is bounded: the
open alerts and the resolved ones each by a limit, one alert's pages by its episode. An
alert attached to an incident names it (``IncidentOf``: declared as it, or attached to it);
one others joined (a route's ``group_window``) counts and lists them, each with its title,
source and own state (``grouping.joined_alerts``). One alert's past episodes are its
``alert_episode`` rows before the current one, the latest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.alerting import routed_calls
from bot.record.alerting.alerts import OPEN_STATES, RESOLVED
from bot.record.alerting.escalated import escalations_of
from bot.record.alerting.grouping import JoinedAlert, joined_alerts, joined_counts
from bot.record.alerting.notes import notes_of
from bot.store.models import (
    AlertEpisode,
    AlertEscalation,
    AlertGroup,
    AlertNote,
    Incident,
    Notification,
    PersonPage,
    RoutedCall,
)

STATES = (*OPEN_STATES, RESOLVED)
# The most alerts a list shows: every open one up to OPEN_MAX, then the latest resolved.
OPEN_MAX = 200
RESOLVED_MAX = 50


@dataclass(frozen=True)
class AlertFilters:
    """What the worklist keeps: one route, one service, one state, one urgency, the alerts
    paged to one person."""

    route: str | None = None
    service: str | None = None
    state: str | None = None  # one of STATES
    urgency: str | None = None  # one of URGENCIES
    paged: str | None = None  # a Slack user id: alerts any of whose pages went to them


@dataclass(frozen=True)
class IncidentOf:
    """The incident an alert was declared as (its Declare incident button: attached at the
    incident's declaration) or attached to (``/incident alert attach``)."""

    reference: str  # INC-n
    declared: bool

    @property
    def url(self) -> str:
        """The incident's page in the web view."""
        return f"/incidents/{self.reference}"


def incident_of(group: AlertGroup, incident: Incident) -> IncidentOf:
    """The incident the group names, and whether it was declared from the group."""
    return IncidentOf(incident.reference, group.attached_at == incident.declared_at)


async def incidents_of(
    session: AsyncSession, groups: Sequence[AlertGroup]
) -> dict[int, IncidentOf]:
    """The incidents the groups were declared as or attached to, by the group's id (one
    query, for the groups that name one). A private incident is not named: its alert shows
    as attached to none, as a private incident is answered exactly as a missing one to those
    not in its channel, and an alert is shown to every member."""
    wanted = {group.incident_id for group in groups if group.incident_id is not None}
    if not wanted:
        return {}
    found = {
        incident.id: incident
        for incident in (
            await session.exec(
                select(Incident).where(
                    col(Incident.id).in_(wanted), col(Incident.is_private).is_(False)
                )
            )
        ).all()
    }
    return {
        group.id: incident_of(group, found[group.incident_id])
        for group in groups
        if group.id is not None and group.incident_id in found
    }


@dataclass(frozen=True)
class AlertList:
    """The open alerts (latest triggered first), then the latest resolved, and the
    incidents those attached name (by the alert's id)."""

    open: list[AlertGroup]
    resolved: list[AlertGroup]
    incidents: dict[int, IncidentOf] = field(default_factory=dict)
    # How many alerts joined each one's episode, by its id (those none joined left out).
    joined: dict[int, int] = field(default_factory=dict)

    @property
    def people(self) -> set[str]:
        """Everyone the rows name (who acknowledged, snoozed, resolved, escalated and to
        whom)."""
        return {
            user
            for group in (*self.open, *self.resolved)
            for user in (
                group.acknowledged_by,
                group.snoozed_by,
                group.resolved_by,
                group.escalated_by,
                group.escalated_to,
            )
            if user
        }


async def list_alerts(
    session: AsyncSession,
    filters: AlertFilters,
    *,
    open_max: int = OPEN_MAX,
    resolved_max: int = RESOLVED_MAX,
) -> AlertList:
    """The alerts the filters keep: open first, then the latest resolved (two bounded
    queries on ``alert_group``'s state index)."""
    kept: list[ColumnElement[bool]] = []
    if filters.route is not None:
        kept.append(col(AlertGroup.route) == filters.route)
    if filters.service is not None:
        kept.append(col(AlertGroup.service) == filters.service)
    if filters.urgency is not None:
        kept.append(col(AlertGroup.urgency) == filters.urgency)
    if filters.paged is not None:
        paged = select(col(PersonPage.alert_group_id)).where(
            col(PersonPage.user_id) == filters.paged, col(PersonPage.alert_group_id).is_not(None)
        )
        kept.append(col(AlertGroup.id).in_(paged))
    wanted = (filters.state,) if filters.state else STATES
    opened: Sequence[AlertGroup] = []
    resolved: Sequence[AlertGroup] = []
    open_states = [state for state in wanted if state in OPEN_STATES]
    if open_states:
        statement = (
            select(AlertGroup)
            .where(col(AlertGroup.state).in_(open_states), *kept)
            .order_by(col(AlertGroup.triggered_at).desc(), col(AlertGroup.id).desc())
            .limit(open_max)
        )
        opened = (await session.exec(statement)).all()
    if RESOLVED in wanted:
        statement = (
            select(AlertGroup)
            .where(col(AlertGroup.state) == RESOLVED, *kept)
            .order_by(col(AlertGroup.resolved_at).desc(), col(AlertGroup.id).desc())
            .limit(resolved_max)
        )
        resolved = (await session.exec(statement)).all()
    listed = [*opened, *resolved]
    return AlertList(
        list(opened),
        list(resolved),
        await incidents_of(session, listed),
        await joined_counts(session, listed),
    )


@dataclass(frozen=True)
class PageRecord:
    """One person's page for the alert, its level, and its notifications in the order due."""

    page: PersonPage
    level: int | None  # the policy's level that paged them
    again: bool  # paged again from level 1 after a snooze ended
    notifications: list[Notification] = field(default_factory=list)


@dataclass(frozen=True)
class AlertRecord:
    """One alert (its group's current episode) with its pages and their notifications,
    every escalation by hand of it, the notes its sender added, and its past episodes."""

    group: AlertGroup
    pages: list[PageRecord]
    incident: IncidentOf | None = None  # declared as or attached to
    escalations: list[AlertEscalation] = field(default_factory=list)
    # The alerts that joined its episode, each as its own.
    joined: list[JoinedAlert] = field(default_factory=list)
    # The notes its sender added to its episode (Opsgenie's "Add Note to Alert").
    notes: list[AlertNote] = field(default_factory=list)
    # The call it was raised by (live call routing), with its legs.
    call: RoutedCall | None = None
    # Its episodes before the current one, the latest first (``PAST_MAX`` of them).
    past: list[AlertEpisode] = field(default_factory=list)

    @property
    def people(self) -> set[str]:
        """Everyone the record names: paged, acknowledged, snoozed, escalated, attached,
        resolved."""
        group = self.group
        acted = (
            group.acknowledged_by,
            group.snoozed_by,
            group.escalated_by,
            group.escalated_to,
            group.attached_by,
            group.resolved_by,
        )
        users = {
            user for each in self.pages for user in (each.page.user_id, each.page.acknowledged_by)
        }
        users |= {user for each in self.escalations for user in (each.escalated_by, each.person)}
        if self.call is not None:
            users |= {str(leg["user"]) for leg in self.call.legs}
        users |= {
            user
            for each in self.past
            for user in (each.acknowledged_by, each.escalated_by, each.resolved_by)
            if user
        }
        return {user for user in (*users, *acted) if user}


# The most pages one alert's record reads (a policy's levels times their people, repeated).
PAGES_MAX = 500
# The most past episodes one alert's record reads, the latest.
PAST_MAX = 20


async def alert_record(session: AsyncSession, alert_id: int) -> AlertRecord | None:
    """The alert with that id and its current episode's pages and escalations by hand; None
    when there is no such alert of a ``page`` route."""
    group = await session.get(AlertGroup, alert_id)
    if group is None or group.state is None:
        return None
    pages = (
        await session.exec(
            select(PersonPage)
            .where(
                col(PersonPage.alert_group_id) == alert_id,
                col(PersonPage.alert_step).startswith(f"{group.episode}:"),
            )
            .order_by(col(PersonPage.started_at), col(PersonPage.id))
            .limit(PAGES_MAX)
        )
    ).all()
    ids = [page.id for page in pages if page.id is not None]
    notifications = (
        (
            await session.exec(
                select(Notification)
                .where(col(Notification.page_id).in_(ids))
                .order_by(col(Notification.due_at), col(Notification.id))
            )
        ).all()
        if ids
        else []
    )
    by_page: dict[int, list[Notification]] = {}
    for notification in notifications:
        by_page.setdefault(notification.page_id, []).append(notification)
    return AlertRecord(
        group,
        [
            PageRecord(page, *_step(page.alert_step), by_page.get(page.id or 0, []))
            for page in pages
        ],
        (await incidents_of(session, [group])).get(alert_id),
        await escalations_of(session, alert_id, group.episode),
        await joined_alerts(session, group),
        await notes_of(session, alert_id, group.episode),
        await routed_calls.raised(session, group.group_key),
        await past_episodes(session, group),
    )


async def past_episodes(session: AsyncSession, group: AlertGroup) -> list[AlertEpisode]:
    """The alert's episodes before its current one, the latest first (``PAST_MAX``)."""
    statement = (
        select(AlertEpisode)
        .where(AlertEpisode.group_id == group.id, AlertEpisode.episode < group.episode)
        .order_by(col(AlertEpisode.episode).desc())
        .limit(PAST_MAX)
    )
    return list((await session.exec(statement)).all())


def _step(step: str | None) -> tuple[int | None, bool]:
    """The level of a page's step (``<episode>:[c<cycle>:]<round>:<level>``) and whether it
    came after a snooze ended."""
    parts = (step or "").split(":")
    level = parts[-1] if len(parts) >= 3 else ""
    return (int(level) if level.isdigit() else None), any(p.startswith("c") for p in parts)
