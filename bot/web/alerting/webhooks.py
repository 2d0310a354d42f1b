"""``POST /alerts/{alertmanager,grafana,generic}``: alert webhooks in; ``POST
/heartbeats/<name>``: check-ins of monitored jobs.

Answer fast and lose nothing: check the token, read at most the configured size, parse,
store the raw body with its processing job, answer 202. Everything else happens in jobs.
Status codes follow what senders do with them: Alertmanager retries 5xx and drops 4xx, so
only a transient failure (the database) is a 5xx. The body is parsed in a worker process with
a time limit (``WARROOM_PARSE_SECONDS``, ``bot/basics/untrusted.py``): one that takes longer
is refused with 422, as sending it again would take as long.
"""

from __future__ import annotations

import hmac
import logging

from aiohttp import web

from bot.basics.logs import page_stage
from bot.basics.untrusted import ParseTooSlow
from bot.flows.alerting.heartbeats import Beat, record_beat
from bot.keys import metrics_key, payload_writer_key, services_key
from bot.record.alerting.payloads import SOURCES, PayloadError, parse
from bot.web.pages_common import BodyTooLarge, read_body

log = logging.getLogger(__name__)
# warroom_alert_payloads_total's outcome, from the answer's status.
_OUTCOMES = {
    202: "accepted",
    400: "invalid",
    401: "unauthorized",
    404: "unknown_source",
    413: "too_large",
    422: "too_slow",
    503: "unavailable",
}


async def receive_alerts(request: web.Request) -> web.Response:
    """One webhook delivery from a monitoring system, counted by source and outcome."""
    response = await _receive(request)
    source = request.match_info["source"]
    request.app[metrics_key].alert_payload(
        source if source in SOURCES else "unknown",
        _OUTCOMES.get(response.status, str(response.status)),
    )
    return response


async def _receive(request: web.Request) -> web.Response:
    source = request.match_info["source"]
    if source not in SOURCES:
        return _error(404, f"unknown alert source {source!r}; use one of {', '.join(SOURCES)}")
    services = request.app[services_key]
    # When the request reached warroom: kept with the payload, the paging SLI counts from it.
    arrived = services.clock()
    page_stage("arrived", source)
    settings = services.settings
    if not settings.alerting.token:
        return _error(503, "alert intake is off: WARROOM_ALERT_TOKEN is not set")
    if not _authorized(request.headers.get("Authorization", ""), str(settings.alerting.token)):
        return _error(401, "missing or wrong bearer token", {"WWW-Authenticate": "Bearer"})
    try:
        body = await read_body(request, settings.alerting.max_body_bytes)
    except BodyTooLarge:
        return _error(413, f"body is larger than {settings.alerting.max_body_bytes} bytes")
    try:
        text = body.decode("utf-8")
        notification = await services.parsing.bodies.run_sized(
            len(body), parse, source, text, received_at=arrived
        )
    except UnicodeDecodeError:
        return _error(400, "invalid payload", problems=["body is not UTF-8 text"])
    except PayloadError as error:
        return _error(400, "invalid payload", problems=error.problems)
    except ParseTooSlow as slow:
        log.warning("a %s alert payload refused: %s (%d bytes)", source, slow, len(body))
        return _error(422, f"the payload took longer than {slow.seconds:g} s to read")
    try:
        payload_id = await request.app[payload_writer_key].accept(
            source=source, body=text, notification=notification, arrived=arrived
        )
    except Exception:
        log.exception("storing a %s alert payload failed", source)
        return _error(503, "could not store the payload; send it again")
    page_stage("answered", payload_id)
    return web.json_response({"status": "accepted", "id": payload_id}, status=202)


async def receive_heartbeat(request: web.Request) -> web.Response:
    """``POST /heartbeats/<name>``: a monitored job checks in, with the alert token. Its body,
    if any, is not read: a check-in says only that the job ran."""
    services = request.app[services_key]
    token = services.settings.alerting.token
    if not token or not _authorized(request.headers.get("Authorization", ""), str(token)):
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


def _authorized(header: str, token: str) -> bool:
    scheme, _, given = header.partition(" ")
    # Constant time: how much of a guess matched must not show in how long the answer takes.
    # "replace": undecodable header bytes arrive as lone surrogates, which a strict encode
    # refuses (a 500 instead of a 401).
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode("utf-8", "replace"), token.encode()
    )


def _error(
    status: int,
    message: str,
    headers: dict[str, str] | None = None,
    *,
    problems: list[str] | None = None,
) -> web.Response:
    body: dict[str, object] = {"error": message}
    if problems:
        body["problems"] = problems
    return web.json_response(body, status=status, headers=headers)
