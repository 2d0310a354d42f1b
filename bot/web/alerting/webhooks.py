"""The one dispatcher of every alert source (``bot.record.alerting.sources``): each source's
paths (``POST /alerts/{alertmanager,grafana,generic}``, a vendor's own such as PagerDuty's
``/v2/enqueue``); and ``POST /heartbeats/<name>``: check-ins of monitored jobs.

Answer fast and lose nothing: check the key, read at most the configured size, parse, store
the body with its processing job (as sent, but for the key it presented: the integration's id
stands there, ``bot.basics.key_digest.without_key``), answer 202. Everything else happens in
jobs. What every source shares is done here, once, so a new source cannot forget it: the
key checked against the integrations warroom knows (``bot.record.alerting.integrations``,
each of one kind and one service, and the default one: ``WARROOM_ALERT_TOKEN``) where the
source says it is (before the body is read; its signature, or the key in it, once it is read
and before it is parsed: a stranger's body is never parsed), the key's pace (429 with
``Retry-After`` past ``WARROOM_ALERT_RATE_PER_MINUTE``), the body's size (413 over
``WARROOM_ALERT_MAX_BODY_BYTES``, or its vendor's own limit: PagerDuty's 512 KB), the time it
takes to arrive (408 past ``WARROOM_BODY_READ_SECONDS``, ``body_deadline``), its nesting
(``bot.record.alerting.payloads.NESTING_MAX``: 400), its parse in a worker process with a time limit
(``WARROOM_PARSE_SECONDS``, ``bot/basics/untrusted.py``: one that takes longer is refused with
422, as sending it again would take as long), and the count by source and outcome. A source
whose messages are checked further before they are parsed passes its gate (``GATES``: SNS's
signatures, subscriptions and age, ``sns``; Sentry's ``Sentry-Hook-Timestamp``), which
answers some itself. The source
says each answer in its vendor's words. Status codes follow what senders do with them:
Alertmanager retries 5xx and drops 4xx, so only a transient failure (the database) is a 5xx.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any, Generic, TypeVar

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot.basics import precedence
from bot.basics.key_digest import stand_in, without_key
from bot.basics.logs import page_stage
from bot.basics.rates import KeyRates
from bot.basics.untrusted import ParseTooSlow
from bot.flows.alerting.heartbeats import Beat, record_beat
from bot.keys import metrics_key, payload_writer_key, services_key
from bot.record.alerting import integrations
from bot.record.alerting.payloads import Notification, PayloadError
from bot.record.alerting.sources.pagerduty import receiver as pagerduty
from bot.record.alerting.sources.registry import SOURCES
from bot.record.alerting.sources.sentry import receiver as sentry
from bot.record.alerting.sources.source import (
    Carries,
    Delivery,
    KeyPlace,
    Receiver,
    Refusal,
    Reply,
    Why,
    bearer_key,
    same_key,
)
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import Integration
from bot.web.alerting.sns import Refuses, sns_gate
from bot.web.pages_common import BodyTooLarge, BodyTooSlow, read_body
from bot.web.routing import Route, RouteKind

log = logging.getLogger(__name__)


async def sentry_gate(
    services: Services,
    source: Refuses,
    delivery: Delivery,
    body: bytes,  # noqa: ARG001
    integration: Integration | None,  # noqa: ARG001
) -> tuple[str, Reply] | None:
    """A Sentry delivery sent more than five minutes from now (``Sentry-Hook-Timestamp``) is
    a replay of a signed body: refused 401, never stored."""
    if sentry.fresh(delivery.headers, services.clock()):
        return None
    message = f"{sentry.TIMESTAMP_HEADER} is missing or more than five minutes from now"
    return Why.UNAUTHORIZED.outcome, source.refused(Refusal(Why.UNAUTHORIZED, message))


# What a source's bodies pass before they are parsed, by kind: SNS's signatures and age,
# Sentry's age. Each needs what only the web layer has (an HTTP client, the clock).
GATES = {"cloudwatch": sns_gate, "sentry": sentry_gate}
# The largest body a vendor's own API takes, by kind, where it is less than
# WARROOM_ALERT_MAX_BODY_BYTES: PagerDuty's (its alert and change events).
VENDOR_MOST_BYTES = {"pagerduty": pagerduty.MOST_BYTES}
# The route every source's ``/alerts/<kind>`` path is served by: an unknown kind answers 404.
ALERTS_PATH = "/alerts/{source}"


def source_routes() -> list[Route]:
    """A route for each registered source's path that ``/alerts/{source}`` does not serve
    (a vendor's own, ``/v2/enqueue``): read from the registry when the application is made."""
    return [
        Route("POST", path, receive_alerts, RouteKind.MACHINE)
        for path in SOURCES.paths(Carries.ALERTS)
        if not path.startswith("/alerts/") or "/" in path.removeprefix("/alerts/")
    ]


async def receive_alerts(request: web.Request) -> web.Response:
    """One delivery from a source of alerts, counted by source and outcome."""
    resource = request.match_info.route.resource
    path = resource.canonical if resource is not None else request.path
    if path == ALERTS_PATH:
        path = f"/alerts/{request.match_info['source']}"
    entry = SOURCES.at(path)
    if entry is None or entry.carries is not Carries.ALERTS:
        request.app[metrics_key].alert_payload("unknown", "unknown_source")
        kinds = ", ".join(
            each.kind
            for each in SOURCES.entries(Carries.ALERTS)
            if SOURCES.at(f"/alerts/{each.kind}") is each
        )
        message = f"unknown alert source {request.match_info.get('source')!r}; use one of {kinds}"
        return web.json_response({"error": message}, status=404)
    source: Receiver[Notification] = SOURCES.receiver(entry)
    with precedence.exempt():  # its sender waits on it: never held for the pages in flight
        outcome, reply = await _receive(request, source)
    request.app[metrics_key].alert_payload(source.kind, outcome)
    return web.json_response(reply.body, status=reply.status, headers=dict(reply.headers))


async def _receive(request: web.Request, source: Receiver[Notification]) -> tuple[str, Reply]:
    """(the outcome counted, the source's answer)."""
    services = request.app[services_key]
    page_stage("arrived", source.kind)
    token = services.settings.alerting.token
    # The default integration's key (WARROOM_ALERT_TOKEN) opens every kind, as it did alone.
    admitted = await admit(
        request,
        source,
        default=str(token) if token else None,
        off=_OFF,
        rates=services.intake_rates.alerts,
    )
    if isinstance(admitted, Refused):
        return admitted.outcome, admitted.reply
    integration = admitted.known.integration
    try:
        payload_id = await request.app[payload_writer_key].accept(
            source=source.kind,
            body=admitted.text,
            notification=integrations.scoped(admitted.parsed, integration),
            arrived=admitted.arrived,
            integration_id=integration.id if integration is not None else None,
        )
    except Exception:
        log.exception("storing a %s alert payload failed", source.kind)
        refused = _refused(source, Why.UNAVAILABLE, "could not store the payload; send it again")
        return refused.outcome, refused.reply
    page_stage("answered", payload_id)
    answer = source.accepted(payload_id, admitted.parsed)
    return "accepted", answer or Reply(202, {"status": "accepted", "id": payload_id})


_OFF = "alert intake is off: WARROOM_ALERT_TOKEN is not set and no integration exists"


ParsedT = TypeVar("ParsedT")


@dataclass(frozen=True)
class Admitted(Generic[ParsedT]):
    """A delivery let in: whose key it came with, its body as kept, parsed, and when it
    reached warroom."""

    known: Known
    text: str
    parsed: ParsedT
    arrived: datetime


@dataclass(frozen=True)
class Refused:
    """A delivery refused: the outcome counted and the source's answer."""

    outcome: str
    reply: Reply


async def admit(
    request: web.Request,
    source: Receiver[ParsedT],
    *,
    default: str | None,
    off: str | None,
    rates: KeyRates,
) -> Admitted[ParsedT] | Refused:
    """What every source's delivery goes through before it is stored: its key checked where
    the source says it is (``default``, when set, opens every kind; ``off``, when set, is
    said when neither it nor any integration exists) and counted against its pace in
    ``rates`` (429), its body read up to ``WARROOM_ALERT_MAX_BODY_BYTES`` or its vendor's
    limit (413), and parsed in a worker process with a time limit (422). A signed body's key
    is the integration the path names (``{integration}``), or the default; a key in the body
    is read from it before it is parsed (``key``): a body nobody's key opens is not parsed."""
    services = request.app[services_key]
    # When the request reached warroom: kept with the payload, the paging SLI counts from it.
    arrived = services.clock()
    delivery = Delivery(
        path=request.path,
        params=dict(request.match_info),
        headers=request.headers,
        query=request.query,
    )
    checked = partial(_key_checked, request, source, default=default, off=off, rates=rates)
    place = source.key_place
    known: Known | None = None
    # The key as the delivery presents it: kept nowhere (``_parsed`` keeps the body without it).
    presented: str | None = None
    if place in (KeyPlace.BEARER, KeyPlace.REQUEST):
        presented = source.key(delivery)
        bearer = await checked(
            lambda: known_key(request, source, presented, default), "bearer token"
        )
        if isinstance(bearer, Refused):
            return bearer
        known = bearer
    limit = min(
        services.settings.alerting.max_body_bytes, VENDOR_MOST_BYTES.get(source.kind, math.inf)
    )
    body = await _body(request, source, int(limit))
    if isinstance(body, Refused):
        return body
    if place is KeyPlace.SIGNATURE:
        signer = await checked(
            lambda: _signer(request, source, delivery, body, default), "signature"
        )
        if isinstance(signer, Refused):
            return signer
        known = signer
    if place is KeyPlace.BODY:
        with_body = replace(delivery, body=body)
        try:
            presented = source.key(with_body)
        except PayloadError as error:
            return _refused(source, Why.INVALID, "invalid payload", error.problems)
        holder = await checked(
            lambda: known_key(request, source, presented, default), "integration key"
        )
        if isinstance(holder, Refused):
            return holder
        known = holder
    # A source whose messages are checked further before they are read (SNS's signed ones):
    # answered there, or parsed and stored here.
    gate = GATES.get(source.kind)
    answered = (
        await gate(services, source, delivery, body, known.integration) if gate and known else None
    )
    if answered is not None:
        return Refused(*answered)
    assert known is not None
    holder_id = known.integration.id if known.integration is not None else None
    kept_without = (presented, stand_in(holder_id))
    read = await _parsed(services, source, delivery, body, arrived, kept_without)
    if isinstance(read, Refused):
        return read
    text, parsed = read
    return Admitted(known, text, parsed, arrived)


async def _key_checked(
    request: web.Request,
    source: Receiver[Any],
    look_up: Callable[[], Awaitable[Known | None]],
    what: str,
    *,
    default: str | None,
    off: str | None,
    rates: KeyRates,
) -> Known | Refused:
    """Whose key a delivery holds (``look_up``), or the answer refusing it: 503-like when the
    look-up failed (sent again, it may pass), the source's own 401 when nobody's ``what`` it
    is, 429 with ``Retry-After`` when the key sent more than its pace allows."""
    try:
        known = await look_up()
    except Exception:
        log.exception("looking up whose %s a %s delivery holds failed", what, source.kind)
        return _refused(source, Why.UNAVAILABLE, "could not check the key; send it again")
    if known is None:
        return await _unknown(request, source, f"missing or wrong {what}", default, off)
    services = request.app[services_key]
    holder = known.integration.id if known.integration is not None else None
    wait = rates.take(holder, services.settings.alerting.rate_per_minute, services.clock())
    if wait is not None:
        return _rate_limited(source, wait)
    return known


def _rate_limited(source: Receiver[Any], wait: int) -> Refused:
    """429 in the source's words, with ``Retry-After``: the whole seconds until the key may
    send again (PagerDuty: "retry after some time"; Opsgenie: "429 - Too Many Requests")."""
    message = f"too many deliveries with this key; send again in {wait} s"
    refused = _refused(source, Why.RATE_LIMITED, message)
    reply = refused.reply
    headers = {**reply.headers, "Retry-After": str(wait)}
    return Refused(refused.outcome, Reply(reply.status, reply.body, headers))


async def _body(request: web.Request, source: Receiver[Any], limit: int) -> bytes | Refused:
    """The delivery's body, read up to ``limit`` bytes (413 past it), within
    ``WARROOM_BODY_READ_SECONDS`` (408; ``body_deadline`` closes the connection)."""
    try:
        return await read_body(request, limit)
    except BodyTooLarge:
        return _refused(source, Why.TOO_LARGE, f"body is larger than {limit} bytes")
    except BodyTooSlow as slow:
        log.info("a %s delivery refused: %s", source.kind, slow)
        return _refused(source, Why.BODY_TIMEOUT, str(slow))
    except ConnectionResetError:  # the sender went away mid-body: nothing to keep, nobody to tell
        log.info("a %s delivery's sender closed before its body was read", source.kind)
        return _refused(source, Why.INVALID, "the connection closed before the body was read")


async def _parsed(
    services: Services,
    source: Receiver[ParsedT],
    delivery: Delivery,
    body: bytes,
    arrived: datetime,
    kept_without: tuple[str | None, str],
) -> tuple[str, ParsedT] | Refused:
    """The body as stored and as read, in a worker process with a time limit (422 when it is
    no payload of the source's, or takes too long to read). Kept, and read, without the key
    it presented (``kept_without``: the key, and the integration's id that stands for it):
    no stored body holds a working key (PagerDuty's ``routing_key``)."""
    try:
        text = without_key(source.stored(delivery, body.decode("utf-8")), *kept_without)
        parsed: ParsedT = await services.parsing.bodies.run_sized(
            len(body), source.parser, text, received_at=arrived
        )
    except UnicodeDecodeError:
        return _refused(source, Why.INVALID, "invalid payload", ["body is not UTF-8 text"])
    except PayloadError as error:
        return _refused(source, Why.INVALID, "invalid payload", error.problems)
    except ParseTooSlow as slow:
        log.warning("a %s alert payload refused: %s (%d bytes)", source.kind, slow, len(body))
        message = f"the payload took longer than {slow.seconds:g} s to read"
        return _refused(source, Why.TOO_SLOW, message)
    return text, parsed


@dataclass(frozen=True)
class Known:
    """A key warroom knows: an integration's, or (None) the default one."""

    integration: Integration | None


async def known_key(
    request: web.Request, source: Receiver[Any], presented: str | None, default: str | None
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


async def _signer(
    request: web.Request,
    source: Receiver[Any],
    delivery: Delivery,
    body: bytes,
    default: str | None,
) -> Known | None:
    """Whose secret signed ``body``: the working integration of the source's kind the path
    names (GitHub's), else any working integration of its kind whose secret signs it
    (Sentry's: its URL names none), else the default key; None when nobody's. Their secrets
    are kept: an HMAC is checked with the secret itself."""
    name = delivery.params.get("integration")
    async with session_scope(request.app[services_key].engine) as session:
        if name:
            integration = await integrations.signing(session, source.kind, name)
            if integration is None or not integration.signing_key:
                integration = None
            elif not source.signed(delivery, body, integration.signing_key):
                return None
        else:
            integration = await integrations.signed_by(
                session, source.kind, lambda secret: source.signed(delivery, body, secret)
            )
    if integration is not None:
        return Known(integration)
    return Known(None) if default is not None and source.signed(delivery, body, default) else None


async def _unknown(
    request: web.Request,
    source: Receiver[Any],
    message: str,
    default: str | None,
    off: str | None,
) -> Refused:
    """A key nobody has: refused, in the same words whichever integrations exist (none is
    named); intake is ``off`` (503) when there is neither a default key nor any integration."""
    if default is None and off is not None:
        try:
            async with session_scope(request.app[services_key].engine) as session:
                any_integration = bool(await integrations.every_integration(session))
        except (OSError, SQLAlchemyError, TimeoutError):
            # The database unreachable: whether intake is off cannot be told, so the key is
            # refused as unknown (401, the same words), never said to be off when it may not be.
            log.warning("looking for integrations failed: %s delivery refused as unknown",
                        source.kind)  # fmt: skip
            any_integration = True
        if not any_integration:
            return _refused(source, Why.OFF, off)
    return _refused(source, Why.UNAUTHORIZED, message)


def _refused(
    source: Receiver[Any], why: Why, message: str, problems: list[str] | None = None
) -> Refused:
    return Refused(why.outcome, source.refused(Refusal(why, message, tuple(problems or ()))))


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
