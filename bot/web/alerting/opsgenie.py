"""Opsgenie's Alert API, read back: ``GET /v2/alerts/requests/{requestId}`` (a request's
status), ``GET /v2/alerts/{identifier}`` (an alert), ``GET /v2/alerts/{identifier}/notes``
(its notes) and ``GET /v2/alerts`` (a page of them),
answered as Opsgenie answers
(``bot.record.alerting.sources.opsgenie.reads``), so a script that creates an alert, polls
its request and then closes the alert by its id is repointed by URL and key alone.

Read only: nothing is stored and no delivery is counted. The key is checked as the one
dispatcher checks it for the Alert API's POSTs (``webhooks.known_key``: an ``opsgenie``
integration's, or the default ``WARROOM_ALERT_TOKEN``, looked up at every request so a
revoked key stops at once); a wrong one gets Opsgenie's 401, the same whichever exists.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.keys import services_key
from bot.record.alerting.sources.opsgenie import reads
from bot.record.alerting.sources.opsgenie.receiver import KIND
from bot.record.alerting.sources.registry import SOURCES
from bot.record.alerting.sources.source import Delivery, Refusal, Reply, Why
from bot.store.db import session_scope
from bot.store.models import Integration
from bot.web.alerting.webhooks import known_key
from bot.web.routing import Route, RouteKind

log = logging.getLogger(__name__)
Read = Callable[[AsyncSession, Integration | None], Awaitable[Reply]]


async def request_status(request: web.Request) -> web.Response:
    """``GET /v2/alerts/requests/{requestId}``."""
    request_id = request.match_info["requestId"]
    return await _answered(
        request, lambda session, sender: reads.request_status(session, request_id, sender)
    )


async def get_alert(request: web.Request) -> web.Response:
    """``GET /v2/alerts/{identifier}?identifierType=id|tiny|alias`` (Opsgenie's default: id)."""
    identifier = request.match_info["identifier"]
    kind = request.query.get("identifierType", "id")
    now = request.app[services_key].clock()
    return await _answered(
        request, lambda session, sender: reads.alert(session, identifier, kind, sender, now)
    )


async def list_alerts(request: web.Request) -> web.Response:
    """``GET /v2/alerts?query=&offset=&limit=&sort=&order=`` ("List Alerts")."""
    now = request.app[services_key].clock()
    asked = dict(request.query)
    url = str(request.url.with_query(None))
    return await _answered(
        request, lambda session, sender: reads.alerts(session, asked, sender, now, url)
    )


async def list_notes(request: web.Request) -> web.Response:
    """``GET /v2/alerts/{identifier}/notes?identifierType=&offset=&direction=&limit=&order=``
    ("List Alert Notes")."""
    identifier = request.match_info["identifier"]
    kind = request.query.get("identifierType", "id")
    asked = dict(request.query)
    url = str(request.url.with_query(None))
    return await _answered(
        request,
        lambda session, sender: reads.alert_notes(session, identifier, kind, sender, asked, url),
    )


async def _answered(request: web.Request, read: Read) -> web.Response:
    services = request.app[services_key]
    token = services.settings.alerting.token
    delivery = Delivery(request.path, dict(request.match_info), request.headers, request.query)
    opsgenie = SOURCES.alerts(KIND)
    try:
        known = await known_key(
            request, opsgenie, opsgenie.key(delivery), str(token) if token else None
        )
        if known is None:
            reply = opsgenie.refused(Refusal(Why.UNAUTHORIZED, "missing or wrong key"))
        else:
            async with session_scope(services.engine) as session:
                reply = await read(session, known.integration)
    except Exception:
        log.exception("reading back an Opsgenie request or alert failed")
        reply = opsgenie.refused(Refusal(Why.UNAVAILABLE, "could not read it; ask again"))
    return web.json_response(reply.body, status=reply.status, headers=dict(reply.headers))


def opsgenie_routes() -> list[Route]:
    """The Alert API's reads; the request status's path first, as it is the more specific."""
    return [
        Route("GET", "/v2/alerts/requests/{requestId}", request_status, RouteKind.MACHINE),
        Route("GET", "/v2/alerts/{identifier}/notes", list_notes, RouteKind.MACHINE),
        Route("GET", "/v2/alerts/{identifier}", get_alert, RouteKind.MACHINE),
        Route("GET", "/v2/alerts", list_alerts, RouteKind.MACHINE),
    ]
