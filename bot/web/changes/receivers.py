"""The one dispatcher of every change source's paths: each delivery let in as an alert is
(``bot.web.alerting.webhooks.admit``: the key where the source says, 413 over
``WARROOM_ALERT_MAX_BODY_BYTES``, parsed in a worker process with a time limit), then kept
for its service, once, and answered in the source's words. There is no default key: a
change belongs to a service, and only an integration names one.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.keys import services_key
from bot.record.alerting import integrations
from bot.record.alerting.sources.source import Refusal, Reply, Why
from bot.record.changes.events import WrongService, keep, service_of
from bot.record.changes.sources.registry import BY_PATH
from bot.record.changes.sources.source import ChangeSource
from bot.store.db import session_scope
from bot.web.alerting.webhooks import Refused, admit
from bot.web.routing import Route, RouteKind

log = logging.getLogger(__name__)
# Served with the JSON API's routes (its kind: the API's), described in its OpenAPI document.
API_PATH = "/api/changes"


def change_routes() -> list[Route]:
    """A route for each change source's path but the JSON API's (``CHANGE_OPERATIONS``)."""
    return [
        Route("POST", path, receive_change, RouteKind.MACHINE)
        for path in BY_PATH
        if path != API_PATH
    ]


async def receive_change(request: web.Request) -> web.Response:
    """One delivery of a change source."""
    resource = request.match_info.route.resource
    source = BY_PATH[resource.canonical if resource is not None else request.path]
    reply = await _receive(request, source)
    return web.json_response(reply.body, status=reply.status, headers=dict(reply.headers))


async def _receive(request: web.Request, source: ChangeSource) -> Reply:
    admitted = await admit(request, source, default=None, off=None)
    if isinstance(admitted, Refused):
        return admitted.reply
    seen, integration = admitted.parsed, admitted.known.integration
    assert integration is not None and integration.id is not None  # no default key opens it
    if seen.ignored:
        return source.accepted(None, seen)
    services = request.app[services_key]
    try:
        service = service_of(seen, integration, services.settings.alerting.catalog)
    except WrongService as wrong:
        return source.refused(Refusal(Why.INVALID, "invalid payload", (str(wrong),)))
    try:
        async with session_scope(services.engine) as session:
            change_id, new = await keep(
                session,
                seen,
                service=service,
                source=source.name,
                body=admitted.text,
                integration_id=integration.id,
                received_at=admitted.arrived,
            )
            if new:
                await integrations.count_alerts(session, {integration.id: 1}, at=admitted.arrived)
            await session.commit()
    except Exception:
        log.exception("keeping a %s change event failed", source.kind)
        return source.refused(Refusal(Why.UNAVAILABLE, "could not keep the change; send it again"))
    return source.accepted(change_id, seen)
