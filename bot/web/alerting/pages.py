"""The alerts' pages, for the workspace's members (a guest gets 403, asked afresh as for the
on-call pages): ``/alerts``, the worklist of the alerts of ``page`` routes (open first, then
the latest resolved), each with its urgency and, attached, its incident, filtered by route,
state, urgency and "mine" (alerts whose pages went to the viewer), its list fetched again
every 15 seconds by the page's own small script (``?part=list``: the list alone) and whole
without JavaScript, each open alert with a box to select it for the list's one form
(bot/web/alerting/acts.py: acknowledged or resolved together, what it did said here
once); ``/alerts/<id>``, one alert (its urgency; the incident it was declared as or attached
to) with its history: each page and notification (person, channel, provider,
delivery state and time), acknowledgements, snooze, escalation, its sender's notes,
resolve. Numbers and addresses are never in the record (bot/store/models/paging.py), so
never here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.basics.numbers import DATABASE_ID_MAX, parse_bounded_int
from bot.record.alerting import routed_calls
from bot.record.alerting.alerts import details_of
from bot.record.alerting.routes import URGENCIES
from bot.record.alerting.worklist import (
    RESOLVED_MAX,
    STATES,
    AlertFilters,
    AlertRecord,
    alert_record,
    list_alerts,
)
from bot.record.paging.contacts import provider_of
from bot.record.people import known_names
from bot.store.db import session_scope
from bot.web.auth import guest_viewer, viewer_and_csrf
from bot.web.context import WebContext, web_context
from bot.web.live_refresh import live_until
from bot.web.notices import forget, once_of
from bot.web.pages_common import ZONE_REFUSED, guests_refused, live_page, render_page, viewer_zone
from bot.web.reading import own_zone
from bot.web.visibility import Viewer

# How often the worklist's script fetches the list again.
REFRESH_SECONDS = 15
_NAME_MAX = 100


class AlertFilterRefused(ValueError):
    """A filter that cannot be used: ``field`` names it, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def parse_alert_filters(asked: Mapping[str, str], viewer_user: str | None) -> AlertFilters:
    """The worklist's filters from a query string (``route``, ``service``, ``state``,
    ``urgency``, ``mine=1``)."""
    state = _one_of(asked, "state", STATES)
    urgency = _one_of(asked, "urgency", URGENCIES)
    route, service = _name(asked, "route"), _name(asked, "service")
    mine = asked.get("mine") == "1" and viewer_user is not None
    return AlertFilters(
        route=route,
        service=service,
        state=state,
        urgency=urgency,
        paged=viewer_user if mine else None,
    )


def _name(asked: Mapping[str, str], field: str) -> str | None:
    """A route's or a service's name asked for; None when not asked."""
    # No NUL: PostgreSQL's text cannot hold one (no route's or service's name has one).
    return (asked.get(field) or "").replace("\x00", "").strip()[:_NAME_MAX] or None


def _one_of(asked: Mapping[str, str], field: str, allowed: tuple[str, ...]) -> str | None:
    """The filter ``field``'s value, one of ``allowed``; None when not asked."""
    value = (asked.get(field) or "").strip().lower() or None
    if value is not None and value not in allowed:
        raise AlertFilterRefused(
            field, f"Unknown {field} {value[:40]!r}: use one of {', '.join(allowed)}."
        )
    return value


@dataclass(frozen=True)
class _Shown:
    viewer: Viewer
    csrf: str
    zone: str
    unknown_zone: str | None


async def _members_only(request: web.Request) -> _Shown | web.Response:
    """The viewer, their zone; the 403 page for a guest of the workspace."""
    web_ = web_context(request)
    viewer, csrf = viewer_and_csrf(request)
    if await guest_viewer(request, viewer):
        return guests_refused(request, "alerts_guests", viewer=viewer, csrf=csrf)
    default_zone = await own_zone(web_, viewer) or web_.settings.incidents.timezone
    zone, unknown = viewer_zone(request.query.get("tz"), default_zone)
    return _Shown(viewer, csrf, zone, unknown)


async def alerts_page(request: web.Request) -> web.Response:
    """GET /alerts: the worklist (``?part=list``: its list alone, for the page's script)."""
    shown = await _members_only(request)
    if isinstance(shown, web.Response):
        return shown
    web_ = web_context(request)
    try:
        filters = parse_alert_filters(request.query, shown.viewer.user_id)
    except AlertFilterRefused as refused:
        return _bad_filter(request, shown, refused)
    async with session_scope(web_.services.engine) as session:
        listed = await list_alerts(session, filters)
        names = await known_names(session, listed.people)
    # Nothing on it moves with the clock alone (a snooze's end is written when it ends).
    live_until(request)
    context: dict[str, Any] = {
        "listed": listed,
        "names": names,
        "zone": shown.zone,
        "now": web_.services.clock(),
        "filters": filters,
        # The form's way back to the list as filtered (its script's ``part`` left out).
        "back": _query_but_part(request),
        "csrf": shown.csrf,
    }
    if request.query.get("part") == "list":
        return render_page(request, "web/_alert_list.html.j2", **context)
    # What the selected alerts' form did, or why it was refused, said once (acts.py).
    once = await once_of(request, shown.viewer)
    page = render_page(
        request,
        "web/alerts.html.j2",
        status=ZONE_REFUSED if shown.unknown_zone else once.status,
        viewer=shown.viewer,
        unknown_zone=shown.unknown_zone,
        acted=(once.notice or {}).get("acted"),
        refused=once.words("refused"),
        routes=_route_names(web_),
        services=list(web_.settings.alerting.catalog.by_name),
        states=STATES,
        urgencies=URGENCIES,
        may_mine=shown.viewer.user_id is not None,
        refresh_seconds=REFRESH_SECONDS,
        resolved_max=RESOLVED_MAX,
        **context,
    )
    forget(request, page)
    return live_page(page)


def _bad_filter(request: web.Request, shown: _Shown, refused: AlertFilterRefused) -> web.Response:
    return render_page(
        request,
        "web/error.html.j2",
        status=400,
        problem="bad_filter",
        detail=str(refused),
        viewer=shown.viewer,
        csrf=shown.csrf,
    )


def _query_but_part(request: web.Request) -> str:
    """The page's query string (``?…``, or empty) without the script's ``part``."""
    kept = [(name, value) for name, value in request.query.items() if name != "part"]
    return f"?{urlencode(kept)}" if kept else ""


def _route_names(web_: WebContext) -> list[str]:
    """The routes that page without an incident, as the routes file orders them, then the
    services' own routes."""
    routes = web_.settings.alerting.routes
    return [r.name for r in (*routes.routes, *routes.own) if r.action == "page"]


async def alert_page(request: web.Request) -> web.Response:
    """GET /alerts/<id>: the alert's header and its history."""
    shown = await _members_only(request)
    if isinstance(shown, web.Response):
        return shown
    web_ = web_context(request)
    number = parse_bounded_int(request.match_info["alert"], 1, DATABASE_ID_MAX)
    async with session_scope(web_.services.engine) as session:
        record = await alert_record(session, number) if number else None
        if record is None:
            return render_page(
                request,
                "web/error.html.j2",
                status=404,
                problem="no_alert",
                viewer=shown.viewer,
                csrf=shown.csrf,
            )
        route = web_.settings.alerting.routes.named(record.group.route)
        details = await details_of(session, record.group, route)
        names = await known_names(session, record.people)
    return render_page(
        request,
        "web/alert.html.j2",
        status=ZONE_REFUSED if shown.unknown_zone else 200,
        viewer=shown.viewer,
        csrf=shown.csrf,
        record=record,
        alert=record.group,
        incident=record.incident,
        details=details,
        history=history_of(record),
        names=names,
        zone=shown.zone,
        unknown_zone=shown.unknown_zone,
        provider_of=provider_of,
    )


@dataclass(frozen=True)
class Moment:
    """One line of an alert's history: when, what (the template words it), who, and the
    row it is about (a page or a notification) when it is one."""

    at: datetime
    # called | rang | voicemail (the call it was raised by) | fired | paged | notification |
    # acknowledged | escalated | noted | resolved
    what: str
    who: str | None = None
    row: object | None = None


def history_of(record: AlertRecord) -> list[Moment]:
    """The alert's moments in time order: the call it was raised by (each leg, the
    voicemail), fired, each page and notification, acknowledged,
    each escalation by hand, each note its sender added, resolved (its snooze, who and until
    when, is the header's)."""
    group = record.group
    moments = [Moment(group.triggered_at or group.first_seen_at, "fired"), *_call_moments(record)]
    for each in record.pages:
        moments.append(Moment(each.page.started_at, "paged", each.page.user_id, each))
        for notification in each.notifications:
            at = notification.sent_at or notification.updated_at or notification.due_at
            moments.append(Moment(at, "notification", notification.user_id, notification))
    if group.acknowledged_at:
        moments.append(Moment(group.acknowledged_at, "acknowledged", group.acknowledged_by))
    for escalation in record.escalations:
        moments.append(
            Moment(escalation.escalated_at, "escalated", escalation.escalated_by, escalation)
        )
    for note in record.notes:
        moments.append(Moment(note.noted_at, "noted", note.noted_by, note))
    if group.resolved_at:
        moments.append(Moment(group.resolved_at, "resolved", group.resolved_by))
    # At one time, the cause first: an escalation before the pages it made.
    return sorted(moments, key=lambda moment: (moment.at, _ORDER.index(moment.what)))


def _call_moments(record: AlertRecord) -> list[Moment]:
    """The call an alert was raised by (live call routing): it came in, each person rung and
    how it ended, the voicemail left."""
    call = record.call
    if call is None:
        return []
    moments = [Moment(call.started_at, "called", None, call)]
    for leg in routed_calls.ended_legs(call):
        at = datetime.fromisoformat(str(leg["at"]))
        moments.append(Moment(at, "rang", str(leg["user"]), leg))
    if call.recording_url:
        moments.append(Moment(moments[-1].at, "voicemail", None, call))
    return moments


_ORDER = (
    "called",
    "rang",
    "voicemail",
    "fired",
    "escalated",
    "paged",
    "notification",
    "acknowledged",
    "noted",
    "resolved",
)
