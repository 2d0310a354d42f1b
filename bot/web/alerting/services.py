"""The services (WARROOM_SERVICES), read only: ``/services``, every service with its open alerts
and incidents; ``/services/<name>``, one service: its open alerts, its open and latest
resolved incidents, who its policy's first level reaches now, which routes its alerts take
(and whether the rest page its policy), its owners, runbook, what it depends on and what
depends on it, and what changed on it in the last day. The JSON API
answers the same (``GET /api/services`` and ``/api/services/{name}``,
``SERVICE_OPERATIONS``), and so does the agents' ``list_services``:
one reader each (``service_list``, ``service_detail``) for the page, the API and the agents.

For the workspace's members (a guest gets 403 on the pages, an empty list and 404 from the
API, as for the alerts); a private incident is named only to whoever may see it, as on the
incident list.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

from aiohttp import web

from bot.basics.render import readable
from bot.flows.people import channel_name_for_page, names_for_page
from bot.record.alerting.service_record import (
    open_alert_counts,
    open_incidents,
    service_record,
)
from bot.record.alerting.services import Service
from bot.record.changes.events import changes_on
from bot.record.people import known_names
from bot.store.db import session_scope
from bot.store.models import Incident
from bot.web.alerting.api import alert_summary
from bot.web.alerting.integrations import integration_views
from bot.web.api.answers import (
    api_caller,
    api_error,
    change_public,
    json_answer,
    person_public,
)
from bot.web.api.models import (
    ErrorPublic,
    ServiceDetailPublic,
    ServiceIncidentPublic,
    ServiceListPublic,
    ServiceOwnerPublic,
    ServicePublic,
)
from bot.web.auth import guest_viewer, viewer_and_csrf
from bot.web.context import WebContext, web_context
from bot.web.live_refresh import live_until
from bot.web.oncall.reading import groups_of, now_on_call, schedule_for
from bot.web.openapi import Answer, Operation, path_parameter
from bot.web.pages_common import LIVE_SECONDS, guests_refused, live_page, render_page
from bot.web.reading import seen_of, team_of
from bot.web.visibility import Viewer

# How far back a service's page and answer list what changed on it.
CHANGES_WINDOW = timedelta(hours=24)


class NoService(LookupError):
    """No service of that name (or a guest asking): the message names it."""


def _public(
    web_: WebContext, service: Service, names: dict[str, str], alerts: int, incidents: int
) -> ServicePublic:
    return ServicePublic(
        name=service.name,
        description=service.description,
        owners=[
            ServiceOwnerPublic(kind=o.kind, ref=o.ref, name=names.get(o.ref, o.ref))
            for o in service.owners
        ],
        policy=service.policy,
        urgency=service.urgency,
        runbook=service.runbook,
        channel=service.channel,
        depends_on=list(service.depends_on),
        depended_on_by=web_.settings.alerting.catalog.depended_on_by(service.name),
        system=service.system,
        pagerduty_service_id=service.pagerduty_service_id,
        opsgenie_component_selector=service.opsgenie_component_selector,
        open_alerts=alerts,
        open_incidents=incidents,
        url=f"/services/{service.name}",
    )


def _owners(services: Sequence[Service]) -> set[str]:
    return {o.ref for each in services for o in each.owners if o.kind == "user"}


async def service_list(web_: WebContext, viewer: Viewer, team_id: str) -> ServiceListPublic:
    """Every service with its open alerts and the open incidents the viewer may see (none
    for a guest)."""
    catalog = list(web_.settings.alerting.catalog.by_name.values())
    if viewer.guest:
        return ServiceListPublic(at=web_.services.clock(), services=[])
    async with session_scope(web_.services.engine) as session:
        alerts = await open_alert_counts(session)
        incidents = await open_incidents(session, team_id=team_id)
        names = await known_names(session, _owners(catalog))
    names = await names_for_page(web_.services, names, sorted(_owners(catalog)))
    counted = Counter(i.service for i in await seen_of(web_, viewer, incidents))
    return ServiceListPublic(
        at=web_.services.clock(),
        services=[
            _public(web_, each, names, alerts[each.name], counted[each.name]) for each in catalog
        ],
    )


async def service_detail(
    web_: WebContext,
    viewer: Viewer,
    team_id: str,
    name: str,
    turns: list[datetime] | None = None,
) -> ServiceDetailPublic:
    """The service of that name with its alerts, incidents and who is on call for it now;
    NoService when there is none (or the viewer is a guest). ``turns``: given, the moments
    the clock alone changes this answer at are added to it (a shift handed over, a change
    leaving the window)."""
    service = None if viewer.guest else web_.settings.alerting.catalog.get(name.strip()[:80])
    if service is None:
        raise NoService(f"service: there is no service {name[:40]!r}")
    on_call = await _first_level(web_, viewer, service, [] if turns is None else turns)
    async with session_scope(web_.services.engine) as session:
        record = await service_record(session, service.name, team_id=team_id)
        people = _owners([service]) | set(on_call)
        people |= {g.acknowledged_by for g in record.open_alerts if g.acknowledged_by}
        people |= {g.snoozed_by for g in record.open_alerts if g.snoozed_by}
        people |= {g.resolved_by for g in record.open_alerts if g.resolved_by}
        names = await known_names(session, people)
        since = web_.services.clock() - CHANGES_WINDOW
        changes = await changes_on(session, [service.name], since=since, limit=20)
    if turns is not None:
        turns.extend(change.at + CHANGES_WINDOW for change in changes)
    # Names, never ids: people warroom has not met asked of Slack first.
    names = await names_for_page(web_.services, names, sorted(people))
    open_, recent = (
        await seen_of(web_, viewer, record.open_incidents),
        await seen_of(web_, viewer, record.recent_incidents),
    )
    summary = _public(web_, service, names, len(record.open_alerts), len(open_))
    return ServiceDetailPublic(
        **summary.model_dump(),
        on_call=[p for user in on_call if (p := person_public(user, names)) is not None],
        alerts=[alert_summary(group, names, None) for group in record.open_alerts],
        incidents=[_incident(i) for i in (*open_, *recent)],
        changes=[change_public(change) for change in changes],
    )


async def _first_level(
    web_: WebContext, viewer: Viewer, service: Service, turns: list[datetime]
) -> list[str]:
    """The people the first level of the service's policy reaches now: its users, and whoever
    its schedules name (a user group's members are Slack's to say when it pages); when its
    shifts end or start added to ``turns``."""
    policy = web_.settings.escalation.policies.get(service.policy or "")
    level = policy.level(1) if policy is not None else None
    if level is None:
        return []
    users = [t.ref for t in level.targets if t.kind == "user"]
    wanted = [t.ref for t in level.targets if t.kind == "schedule"]
    schedules = [s for ref in wanted if (s := await schedule_for(web_, viewer, ref))]
    for entry in await now_on_call(web_, schedules, web_.services.clock()):
        users.extend(entry.now.users)
        turns.extend(s.end for s in (entry.now, entry.next) if s is not None)
    return list(dict.fromkeys(users))


def _incident(incident: Incident) -> ServiceIncidentPublic:
    return ServiceIncidentPublic(
        reference=incident.reference,
        title=readable(incident.title),
        severity=incident.severity,
        status=incident.status,
        declared_at=incident.declared_at,
        resolved_at=incident.resolved_at,
        url=f"/incidents/{incident.reference}",
    )


async def services_page(request: web.Request) -> web.Response:
    """GET /services: every service, with what is open on it."""
    web_ = web_context(request)
    viewer, csrf = viewer_and_csrf(request)
    if await guest_viewer(request, viewer):
        return guests_refused(request, "services_guests", viewer=viewer, csrf=csrf)
    team = await team_of(request, web_, viewer)
    listed = await service_list(web_, viewer, team)
    live_until(request)  # open counts: nothing on it moves with the clock alone
    return live_page(
        render_page(
            request,
            "web/services.html.j2",
            viewer=viewer,
            csrf=csrf,
            services=listed.services,
            team=team,
            now=web_.services.clock(),
            zone=web_.settings.incidents.timezone,
            live_seconds=LIVE_SECONDS,
        )
    )


async def service_page(request: web.Request) -> web.Response:
    """GET /services/<name>: one service."""
    web_ = web_context(request)
    viewer, csrf = viewer_and_csrf(request)
    if await guest_viewer(request, viewer):
        return guests_refused(request, "services_guests", viewer=viewer, csrf=csrf)
    name = request.match_info["service"]
    team = await team_of(request, web_, viewer)
    turns: list[datetime] = []
    try:
        service = await service_detail(web_, viewer, team, name, turns)
    except NoService:
        return render_page(
            request,
            "web/error.html.j2",
            status=404,
            problem="no_service",
            name=name[:80],
            viewer=viewer,
            csrf=csrf,
        )
    live_until(request, *turns)
    page = render_page(
        request,
        "web/service.html.j2",
        viewer=viewer,
        csrf=csrf,
        service=service,
        integrations=await integration_views(web_, service.name),
        zone=web_.settings.incidents.timezone,
        way=web_.settings.alerting.routes.way_of(service.name),
        language=web_.settings.incidents.language,
        now=web_.services.clock(),
        live_seconds=LIVE_SECONDS,
        team=team,
        channel_name=(
            await channel_name_for_page(web_.services, service.channel) if service.channel else None
        ),
        groups=await groups_of(web_, (o.ref for o in service.owners if o.kind == "usergroup")),
    )
    return live_page(page)


async def get_services(request: web.Request) -> web.Response:
    """GET /api/services"""
    web_ = web_context(request)
    viewer = api_caller(request)
    return json_answer(await service_list(web_, viewer, await team_of(request, web_, viewer)))


async def get_service(request: web.Request) -> web.Response:
    """GET /api/services/{name}"""
    web_ = web_context(request)
    viewer = api_caller(request)
    team = await team_of(request, web_, viewer)
    try:
        return json_answer(await service_detail(web_, viewer, team, request.match_info["name"]))
    except NoService as missing:
        raise api_error(404, "not_found", str(missing)) from None


_UNAUTHORIZED = Answer("Not signed in and no valid bearer token.", ErrorPublic)
SERVICE_OPERATIONS = (
    Operation(
        "/api/services",
        get_services,
        "listServices",
        "The services (WARROOM_SERVICES), each with its open alerts and incidents",
        answers={200: Answer("The services.", ServiceListPublic), 401: _UNAUTHORIZED},
    ),
    Operation(
        "/api/services/{name}",
        get_service,
        "getService",
        "One service: its open alerts, its incidents, who is on call for it now",
        parameters=(path_parameter("name", "The service's name, e.g. checkout."),),
        answers={
            200: Answer("The service.", ServiceDetailPublic),
            404: Answer("No such service.", ErrorPublic),
            401: _UNAUTHORIZED,
        },
    ),
)

__all__ = ["SERVICE_OPERATIONS", "NoService", "service_detail", "service_list"]
