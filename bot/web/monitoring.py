"""The operator's view over HTTP: every request counted and timed, and ``GET /metrics``."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.typedefs import Handler

from bot.basics.logs import incident_scope
from bot.flows.handlers import JOB_HANDLERS
from bot.keys import engine_key, metrics_key, services_key
from bot.metrics import CONTENT_TYPE, Scrape
from bot.record.gauges import read_database_gauges

UNMATCHED = "unmatched"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Slack's event and payload types are short snake_case words; anything else is not a label.
_TYPE = re.compile(r"^[a-z][a-z0-9_.]{0,49}$")


@web.middleware
async def observe_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count and time each request by its route (never its raw path: labels stay few), and
    give it a fresh incident binding for its log lines."""
    resource = request.match_info.route.resource
    endpoint = resource.canonical if resource is not None else UNMATCHED
    method = request.method if request.method in _METHODS else "other"
    started = time.perf_counter()
    status: int | None = 500  # an exception that is not an HTTP answer is a 500
    try:
        with incident_scope():
            response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as error:
        status = error.status
        raise
    except asyncio.CancelledError:
        status = None  # shutting down, or the client left: nothing was answered
        raise
    finally:
        if status is not None:
            elapsed = time.perf_counter() - started
            request.app[metrics_key].observe_request(endpoint, method, status, elapsed)


async def serve_metrics(request: web.Request) -> web.Response:
    """Prometheus text format; the database's gauges only when it answers (no auth, like
    most exporters: keep the port off the internet, or filter /metrics at the proxy)."""
    services = request.app[services_key]
    database = await read_database_gauges(
        request.app[engine_key], now=services.clock(), job_kinds=JOB_HANDLERS
    )
    scrape = Scrape(background_tasks=services.background.running, database=database)
    body = request.app[metrics_key].exposition(scrape)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


def slack_payload_type(body: Mapping[str, Any], status: int) -> str:
    """The label of one Slack request: ``slash_command``, ``block_actions``,
    ``event_callback:reaction_added``..., from the body Bolt already parsed.

    Requests that failed verification are ``unverified``: anyone can send those, so their
    content never makes a label.
    """
    if status == 401:
        return "unverified"
    if body.get("command"):
        return "slash_command"
    kind = body.get("type")
    if not isinstance(kind, str) or not _TYPE.match(kind):
        return "unknown"
    if kind == "event_callback":
        event = body.get("event")
        event_type = event.get("type") if isinstance(event, Mapping) else None
        if isinstance(event_type, str) and _TYPE.match(event_type):
            return f"event_callback:{event_type}"
        return "event_callback:unknown"
    return kind


# Paths whose last part is a secret (an acknowledgement link's token, a status page
# subscriber's confirmation or unsubscribe link): logged without it.
_SECRET_PATH = re.compile(
    r"^(?P<keep>/ack|/status/confirm|/status/unsubscribe|/status/manage)/[^/]+"
    r"(?P<tail>/escalate)?$"
)


def loggable_path(path: str) -> str:
    """``path`` as the access log shows it: ``/ack/<token>`` as ``/ack/[redacted]``, and
    the status page's ``/status/confirm/<token>``, ``/status/unsubscribe/<token>`` and
    ``/status/manage/<token>`` too (``/ack/<token>/escalate`` as ``/ack/[redacted]/escalate``)."""
    return _SECRET_PATH.sub(
        lambda match: match.group("keep") + "/[redacted]" + (match.group("tail") or ""), path
    )


# Asked every few seconds by orchestrators and Prometheus: their access lines are DEBUG.
PROBE_PATHS = frozenset({"/livez", "/readyz", "/healthz", "/metrics"})


class PathOnlyAccessLogger(AbstractAccessLogger):
    """aiohttp's access log without query strings: a sign-in callback's code and state, or
    anything else a URL carries, stay out of the logs; nor the token of an acknowledgement
    link's path."""

    @property
    def enabled(self) -> bool:
        # Read by aiohttp once a connection: below INFO it neither times nor calls ``log``.
        return self.logger.isEnabledFor(logging.INFO)

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        # Probes and scrapes come every few seconds from machines: DEBUG, unless one fails.
        quiet = request.path in PROBE_PATHS and response.status < 400
        self.logger.log(
            logging.DEBUG if quiet else logging.INFO,
            "%s %s %s %s in %.1f ms",
            request.remote,
            request.method,
            loggable_path(request.path),
            response.status,
            time * 1000,
            extra={"status": response.status, "path": loggable_path(request.path)},
        )
