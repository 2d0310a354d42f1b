"""The alerts' part of the JSON API, read only: ``GET /api/alerts`` (open first, then the
latest resolved; ``route``, ``state``, ``urgency``, ``paged`` filters; each with its urgency
and the incident it was declared as or attached to) and ``GET /api/alerts/{alert}`` (one
alert with its pages and notifications). Times are ISO 8601 in UTC. The workspace's members
only, as the worklist: a guest's session is refused (403) alike on ``/api/alerts`` and
``/alerts``.

``ALERT_OPERATIONS`` joins the API's table in bot/web/routes.py, so the route table
registers them and the OpenAPI document describes them; the agents' ``list_alerts`` and
``get_alert`` answer with the same readers.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web
from pydantic import BaseModel, Field

from bot.basics.numbers import DATABASE_ID_MAX, parse_bounded_int
from bot.basics.slack_patterns import USER_ID
from bot.record.alerting.alerts import details_of
from bot.record.alerting.worklist import (
    AlertFilters,
    AlertList,
    IncidentOf,
    PageRecord,
    alert_record,
    list_alerts,
)
from bot.record.paging.contacts import provider_of
from bot.record.people import known_names
from bot.store.db import session_scope
from bot.store.models import AlertEpisode, AlertEscalation, AlertGroup
from bot.web.alerting.pages import AlertFilterRefused, parse_alert_filters
from bot.web.api.answers import api_caller, api_error, json_answer, person_public
from bot.web.api.models import (
    AlertEpisodePublic,
    AlertEscalationPublic,
    AlertGroupDetailPublic,
    AlertGroupListPublic,
    AlertGroupPublic,
    AlertNotePublic,
    AlertNotificationPublic,
    AlertPagePublic,
    AlertStateName,
    ErrorPublic,
    JoinedAlertPublic,
    UrgencyName,
)
from bot.web.auth import guest_viewer
from bot.web.context import WebContext, web_context
from bot.web.openapi import Answer, Operation, path_parameter, query_parameters
from bot.web.visibility import Viewer


class AlertListParameters(BaseModel):
    """The query parameters of ``/api/alerts``, as the OpenAPI document shows them."""

    route: str | None = Field(default=None, description="Only this route's alerts.")
    service: str | None = Field(
        default=None, description="Only the alerts of this service (WARROOM_SERVICES)."
    )
    state: AlertStateName | None = Field(default=None, description="Only alerts in this state.")
    urgency: UrgencyName | None = Field(default=None, description="Only alerts of this urgency.")
    paged: str | None = Field(
        default=None,
        pattern=r"^[UWuw][A-Za-z0-9]{2,31}$",
        description="Only alerts any of whose pages went to this Slack user id.",
    )


class AlertAsked(ValueError):
    """A filter or an id that cannot be answered; the message names it."""


def alert_filters(asked: Mapping[str, str]) -> AlertFilters:
    """The list's filters (``route``, ``service``, ``state``, ``urgency``, ``paged``);
    AlertAsked names what is wrong."""
    paged = (asked.get("paged") or "").strip().upper()
    if paged and not USER_ID.match(paged):
        raise AlertAsked(f"paged: {paged[:40]!r} is not a Slack user id, like U024BE7LH")
    try:
        return parse_alert_filters({**asked, "mine": "1" if paged else ""}, paged or None)
    except AlertFilterRefused as refused:
        raise AlertAsked(f"{refused.field}: {refused}") from None


async def alert_list(
    web_: WebContext, viewer: Viewer, filters: AlertFilters
) -> AlertGroupListPublic:
    """The alerts the filters keep, for a member (none for a guest)."""
    listed = AlertList([], [])
    names: dict[str, str] = {}
    if not viewer.guest:
        async with session_scope(web_.services.engine) as session:
            listed = await list_alerts(session, filters)
            names = await known_names(session, listed.people)
    return AlertGroupListPublic(
        at=web_.services.clock(),
        open=[
            alert_summary(
                group, names, listed.incidents.get(group.id or 0), listed.joined.get(group.id or 0)
            )
            for group in listed.open
        ],
        resolved=[
            alert_summary(
                group, names, listed.incidents.get(group.id or 0), listed.joined.get(group.id or 0)
            )
            for group in listed.resolved
        ],
    )


async def alert_detail(web_: WebContext, viewer: Viewer, asked: str) -> AlertGroupDetailPublic:
    """The alert of that id with its history; AlertAsked when there is none the viewer may
    see."""
    number = parse_bounded_int(asked.strip(), 1, DATABASE_ID_MAX)
    async with session_scope(web_.services.engine) as session:
        record = None if viewer.guest or number is None else await alert_record(session, number)
        if record is None:
            raise AlertAsked(f"alert: there is no alert {asked[:40]!r}")
        route = web_.settings.alerting.routes.named(record.group.route)
        details = await details_of(session, record.group, route)
        names = await known_names(session, record.people)
    group = record.group
    return AlertGroupDetailPublic(
        **alert_summary(group, names, record.incident, len(record.joined)).model_dump(),
        runbook=details.runbook,
        labels=details.labels,
        escalations=[_escalation(each, names) for each in record.escalations],
        pages=[_page(each, names) for each in record.pages],
        joined=[
            JoinedAlertPublic(
                id=each.id,
                title=each.title,
                source=each.source,
                state=each.state,
                joined_at=each.joined_at,
            )
            for each in record.joined
        ],
        notes=[
            AlertNotePublic(
                noted_at=each.noted_at,
                noted_by=each.noted_by,
                source=each.source,
                via=each.via,
                note=each.note,
            )
            for each in record.notes
        ],
        past_episodes=[_episode(each, names) for each in record.past],
    )


def _episode(each: AlertEpisode, names: dict[str, str]) -> AlertEpisodePublic:
    return AlertEpisodePublic(
        episode=each.episode,
        title=each.title,
        severity=each.severity,
        state=each.state,
        fired_count=each.fired_count,
        triggered_at=each.triggered_at,
        acknowledged_at=each.acknowledged_at,
        acknowledged_by=person_public(each.acknowledged_by, names),
        acknowledged_via=each.acknowledged_via,
        escalated_at=each.escalated_at,
        escalated_by=person_public(each.escalated_by, names),
        resolved_at=each.resolved_at,
        resolved_by=person_public(each.resolved_by, names),
    )


def _escalation(each: AlertEscalation, names: dict[str, str]) -> AlertEscalationPublic:
    by = person_public(each.escalated_by, names)
    assert by is not None
    return AlertEscalationPublic(
        escalated_at=each.escalated_at,
        escalated_by=by,
        policy=each.policy if each.level is not None else None,
        level=each.level,
        to=person_public(each.person, names),
    )


def alert_summary(
    group: AlertGroup, names: dict[str, str], incident: IncidentOf | None, joined: int | None = 0
) -> AlertGroupPublic:
    assert group.id is not None and group.state is not None
    return AlertGroupPublic(
        id=group.id,
        title=group.title,
        route=group.route,
        service=group.service,
        severity=group.severity,
        urgency=group.urgency,
        state=group.state,
        shadow=group.shadow,
        incident=incident.reference if incident else None,
        incident_declared=incident.declared if incident else None,
        policy=group.policy,
        fired_count=group.fired_count,
        first_seen_at=group.triggered_at or group.first_seen_at,
        last_seen_at=group.last_seen_at,
        acknowledged_at=group.acknowledged_at,
        acknowledged_by=person_public(group.acknowledged_by, names),
        acknowledged_via=group.acknowledged_via,
        snoozed_until=group.snoozed_until if group.state == "snoozed" else None,
        snoozed_by=person_public(group.snoozed_by, names) if group.state == "snoozed" else None,
        resolved_at=group.resolved_at,
        resolved_by=person_public(group.resolved_by, names),
        escalated_at=group.escalated_at,
        escalated_by=person_public(group.escalated_by, names),
        escalated_level=group.escalated_level,
        escalated_to=person_public(group.escalated_to, names),
        joined_count=joined or 0,
        url=f"/alerts/{group.id}",
    )


def _page(each: PageRecord, names: dict[str, str]) -> AlertPagePublic:
    page = each.page
    person = person_public(page.user_id, names)
    assert person is not None
    return AlertPagePublic(
        person=person,
        level=each.level,
        after_snooze=each.again,
        started_at=page.started_at,
        state=page.state,
        acknowledged_at=page.acknowledged_at,
        acknowledged_via=page.acknowledged_via,
        notifications=[
            AlertNotificationPublic(
                method=n.method,
                contact=n.contact,
                provider=n.provider or provider_of(n.method),
                state=n.state,
                reported=n.reported,
                due_at=n.due_at,
                sent_at=n.sent_at,
                updated_at=n.updated_at,
                detail=n.detail,
            )
            for n in each.notifications
        ],
    )


async def get_alerts(request: web.Request) -> web.Response:
    """GET /api/alerts"""
    web_ = web_context(request)
    viewer = api_caller(request)
    await _members_only(request, viewer)
    try:
        filters = alert_filters(request.query)
    except AlertAsked as refused:
        raise api_error(400, "bad_filter", str(refused)) from None
    return json_answer(await alert_list(web_, viewer, filters))


async def get_alert(request: web.Request) -> web.Response:
    """GET /api/alerts/{alert}"""
    web_ = web_context(request)
    viewer = api_caller(request)
    await _members_only(request, viewer)
    try:
        return json_answer(await alert_detail(web_, viewer, request.match_info["alert"]))
    except AlertAsked as refused:
        raise api_error(404, "not_found", str(refused)) from None


async def _members_only(request: web.Request, viewer: Viewer) -> None:
    """403 for a guest of the workspace (their session says so, or Slack does now), as the
    worklist's pages answer them."""
    if await guest_viewer(request, viewer):
        raise api_error(403, "guests_refused", "Alerts are for the workspace's members.")


_UNAUTHORIZED = Answer("Not signed in and no valid bearer token.", ErrorPublic)
_GUESTS = Answer("A guest of the workspace: alerts are for its members.", ErrorPublic)
ALERT_OPERATIONS = (
    Operation(
        "/api/alerts",
        get_alerts,
        "listAlerts",
        "Alerts that page without an incident: the open ones, then the latest resolved",
        parameters=query_parameters(AlertListParameters),
        answers={
            200: Answer("The alerts.", AlertGroupListPublic),
            400: Answer("A filter that cannot be used.", ErrorPublic),
            401: _UNAUTHORIZED,
            403: _GUESTS,
        },
    ),
    Operation(
        "/api/alerts/{alert}",
        get_alert,
        "getAlert",
        "One alert with its pages and their notifications",
        parameters=(path_parameter("alert", "The alert's number, e.g. 12."),),
        answers={
            200: Answer("The alert.", AlertGroupDetailPublic),
            404: Answer("No such alert.", ErrorPublic),
            401: _UNAUTHORIZED,
            403: _GUESTS,
        },
    ),
)

__all__ = [
    "ALERT_OPERATIONS",
    "AlertAsked",
    "alert_detail",
    "alert_filters",
    "alert_list",
    "alert_summary",
]
