"""The one dispatcher of every change source's paths: each delivery let in as an alert is
(``bot.web.alerting.webhooks.admit``: the key where the source says, read before the body is
parsed, its pace (429 past ``WARROOM_ALERT_RATE_PER_MINUTE``, counted apart from its
alerts'), 413 over ``WARROOM_ALERT_MAX_BODY_BYTES``, parsed in a worker process with a time
limit), then kept
for its service, once, and answered in the source's words. There is no default key: a
change belongs to a service, and only an integration names one.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.keys import metrics_key, services_key
from bot.record.alerting import integrations
from bot.record.alerting.sources.registry import SOURCES
from bot.record.alerting.sources.source import Carries, Receiver, Refusal, Reply, Why
from bot.record.changes.events import ChangeSeen, WrongService, keep, service_of
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
        for path in SOURCES.paths(Carries.CHANGES)
        if path != API_PATH
    ]


async def receive_change(request: web.Request) -> web.Response:
    """One delivery of a change source."""
    resource = request.match_info.route.resource
    entry = SOURCES.at(resource.canonical if resource is not None else request.path)
    assert entry is not None and entry.carries is Carries.CHANGES  # mounted from its line
    source = SOURCES.receiver(entry)
    outcome, reply = await _receive(request, source)
    # Counted as alert deliveries are: a key over its pace (429), a stranger (401), a body
    # refused, each by source, so a dashboard sees a sender being turned away.
    request.app[metrics_key].change_event(source.kind, outcome)
    return web.json_response(reply.body, status=reply.status, headers=dict(reply.headers))


async def _receive(request: web.Request, source: Receiver[ChangeSeen]) -> tuple[str, Reply]:
    """(the outcome counted, the source's answer)."""
    services = request.app[services_key]
    rates = services.intake_rates.changes
    admitted = await admit(request, source, default=None, off=None, rates=rates)
    if isinstance(admitted, Refused):
        return admitted.outcome, admitted.reply
    seen, integration = admitted.parsed, admitted.known.integration
    assert integration is not None and integration.id is not None  # no default key opens it
    if seen.ignored:
        return "ignored", _accepted(source, None, seen)
    try:
        service = service_of(seen, integration, services.settings.alerting.catalog)
    except WrongService as wrong:
        refusal = Refusal(Why.INVALID, "invalid payload", (str(wrong),))
        return Why.INVALID.outcome, source.refused(refusal)
    try:
        async with session_scope(services.engine) as session:
            change_id, new = await keep(
                session,
                seen,
                service=service,
                source=source.entry.origin or source.kind,
                body=admitted.text,
                integration_id=integration.id,
                received_at=admitted.arrived,
            )
            if new:
                await integrations.count_alerts(session, {integration.id: 1}, at=admitted.arrived)
            await session.commit()
    except Exception:
        log.exception("keeping a %s change event failed", source.kind)
        refusal = Refusal(Why.UNAVAILABLE, "could not keep the change; send it again")
        return Why.UNAVAILABLE.outcome, source.refused(refusal)
    return ("accepted" if new else "duplicate"), _accepted(source, change_id, seen)


def _accepted(source: Receiver[ChangeSeen], change_id: int | None, seen: ChangeSeen) -> Reply:
    """The source's answer to a change kept (``change_id``), or to a body that is no change
    (None: ``seen.ignored`` says why); warroom's own when it has none: 202 with the change's
    id, 200 with why it is not one."""
    answer = source.accepted(change_id, seen)
    if answer is not None:
        return answer
    if change_id is None:
        return Reply(200, {"status": "ignored", "reason": seen.ignored or "not a change"})
    return Reply(202, {"status": "accepted", "id": change_id})
