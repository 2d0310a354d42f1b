"""The one dispatcher of every alert source (``bot.record.alerting.sources``): each source's
paths (``POST /alerts/{alertmanager,grafana,generic}``, a vendor's own such as PagerDuty's
``/v2/enqueue``); and ``POST /heartbeats/<name>``: check-ins of monitored jobs.

Answer fast and lose nothing: check the key, read at most the configured size, parse, store
the raw body with its processing job, answer 202. Everything else happens in jobs. What every
source shares is done here, once, so a new source cannot forget it: the key checked against
the integrations warroom knows (``bot.record.alerting.integrations``, each of one kind and
one service, and the default one: ``WARROOM_ALERT_TOKEN``) where the
source says it is (before the body is read; its signature once it is read; once it is parsed,
for a vendor whose key is in the body), the body's size (413 over
``WARROOM_ALERT_MAX_BODY_BYTES``), its parse in a worker process with a time limit
(``WARROOM_PARSE_SECONDS``, ``bot/basics/untrusted.py``: one that takes longer is refused with
422, as sending it again would take as long), and the count by source and outcome. The source
says each answer in its vendor's words. Status codes follow what senders do with them:
Alertmanager retries 5xx and drops 4xx, so only a transient failure (the database) is a 5xx.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web

from bot.basics.logs import page_stage
from bot.basics.untrusted import ParseTooSlow
from bot.flows.alerting.heartbeats import Beat, record_beat
from bot.keys import metrics_key, payload_writer_key, services_key
from bot.record.alerting import integrations
from bot.record.alerting.payloads import Notification, PayloadError
from bot.record.alerting.sources.registry import SOURCES
from bot.record.alerting.sources.source import (
    AlertSource,
    Delivery,
    KeyPlace,
    Refusal,
    Reply,
    Why,
    bearer_key,
    same_key,
)
from bot.store.db import session_scope
from bot.store.models import Integration
from bot.web.pages_common import BodyTooLarge, read_body
from bot.web.routing import Route, RouteKind

log = logging.getLogger(__name__)
# The route every source's ``/alerts/<kind>`` path is served by: an unknown kind answers 404.
ALERTS_PATH = "/alerts/{source}"


def source_routes() -> list[Route]:
    """A route for each registered source's path that ``/alerts/{source}`` does not serve
    (a vendor's own, ``/v2/enqueue``): read from the registry when the application is made."""
    return [
        Route("POST", path, receive_alerts, RouteKind.MACHINE)
        for path in SOURCES.paths()
        if not path.startswith("/alerts/") or "/" in path.removeprefix("/alerts/")
    ]


async def receive_alerts(request: web.Request) -> web.Response:
    """One delivery from a source of alerts, counted by source and outcome."""
    resource = request.match_info.route.resource
    path = resource.canonical if resource is not None else request.path
    if path == ALERTS_PATH:
        path = f"/alerts/{request.match_info['source']}"
    source = SOURCES.at(path)
    if source is None:
        request.app[metrics_key].alert_payload("unknown", "unknown_source")
        kinds = ", ".join(kind for kind in SOURCES.kinds() if SOURCES.at(f"/alerts/{kind}"))
        message = f"unknown alert source {request.match_info.get('source')!r}; use one of {kinds}"
        return web.json_response({"error": message}, status=404)
    outcome, reply = await _receive(request, source)
    request.app[metrics_key].alert_payload(source.kind, outcome)
    return web.json_response(reply.body, status=reply.status, headers=dict(reply.headers))


async def _receive(request: web.Request, source: AlertSource) -> tuple[str, Reply]:
    """(the outcome counted, the source's answer)."""
    services = request.app[services_key]
    # When the request reached warroom: kept with the payload, the paging SLI counts from it.
    arrived = services.clock()
    page_stage("arrived", source)
    settings = services.settings
    token = settings.alerting.token
    delivery = Delivery(
        path=request.path,
        params=dict(request.match_info),
        headers=request.headers,
        query=request.query,
    )
    place = source.key_place
    # The default integration's key (WARROOM_ALERT_TOKEN) opens every kind, as it did alone.
    default = str(token) if token else None
    known: Known | None = None
    if place is KeyPlace.REQUEST:
        try:
            known = await _known(request, source, source.key(delivery), default)
        except Exception:
            log.exception("looking a %s integration's key up failed", source.kind)
            return _refuse(source, Why.UNAVAILABLE, "could not check the key; send it again")
        if known is None:
            return await _unknown(request, source, "missing or wrong bearer token", default)
    limit = settings.alerting.max_body_bytes
    try:
        body = await read_body(request, limit)
    except BodyTooLarge:
        return _refuse(source, Why.TOO_LARGE, f"body is larger than {limit} bytes")
    except ConnectionResetError:  # the sender went away mid-body: nothing to keep, nobody to tell
        log.info("a %s delivery's sender closed before its body was read", source.kind)
        return _refuse(source, Why.INVALID, "the connection closed before the body was read")
    if place is KeyPlace.SIGNATURE:
        # Integrations' keys are kept hashed: a body's signature is checked with the default
        # key only.
        if default is None or not source.signed(delivery, body, default):
            return await _unknown(request, source, "missing or wrong signature", default)
        known = Known(None)
    try:
        text = source.stored(delivery, body.decode("utf-8"))
        notification: Notification = await services.parsing.bodies.run_sized(
            len(body), source.parse, text, received_at=arrived
        )
    except UnicodeDecodeError:
        return _refuse(source, Why.INVALID, "invalid payload", ["body is not UTF-8 text"])
    except PayloadError as error:
        return _refuse(source, Why.INVALID, "invalid payload", error.problems)
    except ParseTooSlow as slow:
        log.warning("a %s alert payload refused: %s (%d bytes)", source.kind, slow, len(body))
        message = f"the payload took longer than {slow.seconds:g} s to read"
        return _refuse(source, Why.TOO_SLOW, message)
    if place is KeyPlace.BODY:
        try:
            known = await _known(request, source, notification.integration_key, default)
        except Exception:
            log.exception("looking a %s integration's key up failed", source.kind)
            return _refuse(source, Why.UNAVAILABLE, "could not check the key; send it again")
        if known is None:
            return await _unknown(request, source, "missing or wrong integration key", default)
    assert known is not None
    integration = known.integration
    try:
        payload_id = await request.app[payload_writer_key].accept(
            source=source.kind,
            body=text,
            notification=integrations.scoped(notification, integration),
            arrived=arrived,
            integration_id=integration.id if integration is not None else None,
        )
    except Exception:
        log.exception("storing a %s alert payload failed", source.kind)
        return _refuse(source, Why.UNAVAILABLE, "could not store the payload; send it again")
    page_stage("answered", payload_id)
    return "accepted", source.accepted(payload_id, notification)


@dataclass(frozen=True)
class Known:
    """A key warroom knows: an integration's, or (None) the default one."""

    integration: Integration | None


async def _known(
    request: web.Request, source: AlertSource, presented: str | None, default: str | None
) -> Known | None:
    """Whose key ``presented`` is: the default, or an integration of the source's kind; None
    when nobody's. The default key is compared in memory (an integration's key is drawn at
    random by warroom, never the default's): no transaction of its own before the alert's
    (on SQLite one that waits for the writer). An integration's is looked up again at every
    delivery: a revoked key stops at once."""
    if not presented:
        return None
    if default is not None and same_key(presented, default):
        return Known(None)
    async with session_scope(request.app[services_key].engine) as session:
        integration = await integrations.keyed(session, source.kind, presented)
    return Known(integration) if integration is not None else None


async def _unknown(
    request: web.Request, source: AlertSource, message: str, default: str | None
) -> tuple[str, Reply]:
    """A key nobody has: refused, in the same words whichever integrations exist (none is
    named); intake is off (503) when there is neither a default key nor any integration."""
    if default is None:
        try:
            async with session_scope(request.app[services_key].engine) as session:
                any_integration = bool(await integrations.every_integration(session))
        except Exception:
            any_integration = True
        if not any_integration:
            return _refuse(
                source,
                Why.OFF,
                "alert intake is off: WARROOM_ALERT_TOKEN is not set and no integration exists",
            )
    return _refuse(source, Why.UNAUTHORIZED, message)


def _refuse(
    source: AlertSource, why: Why, message: str, problems: list[str] | None = None
) -> tuple[str, Reply]:
    return why.outcome, source.refused(Refusal(why, message, tuple(problems or ())))


async def receive_heartbeat(request: web.Request) -> web.Response:
    """``POST /heartbeats/<name>``: a monitored job checks in, with the alert token. Its body,
    if any, is not read: a check-in says only that the job ran."""
    services = request.app[services_key]
    token = services.settings.alerting.token
    if not token or not same_key(bearer_key(request.headers), str(token)):
        return _error(401, "missing or wrong bearer token", {"WWW-Authenticate": "Bearer"})
    name = request.match_info["name"]
    try:
        beat = await record_beat(services, name)
    except Exception:
        log.exception("recording a check-in of heartbeat %r failed", name[:80])
        return _error(503, "could not record the check-in; send it again")
    if beat is Beat.UNKNOWN:
        return _error(404, f"no heartbeat named {name[:80]!r} in WARROOM_HEARTBEATS")
    return web.json_response({"status": beat.value, "heartbeat": name})


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)
