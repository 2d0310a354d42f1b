"""The operator's view over HTTP: every request counted and timed, and ``GET /metrics``."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Mapping
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.typedefs import Handler

from bot.basics.logs import ACCESS_LINE, incident_scope
from bot.flows.handlers import JOB_HANDLERS
from bot.keys import engine_key, http_session_key, metrics_key, services_key, settings_key
from bot.metrics import CONTENT_TYPE, Scrape, labelled
from bot.record.alerting.sources.source import bearer_key, same_key
from bot.record.gauges import read_database_gauges
from bot.record.paging.slo import trailing_report
from bot.web.health import readiness_key

log = logging.getLogger(__name__)
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
    """``GET /metrics`` on serve's port: 404 when it has a port of its own
    (WARROOM_METRICS_PORT, ``metrics_app``)."""
    if request.app[settings_key].runtime.metrics_port:
        raise web.HTTPNotFound(text="/metrics is on WARROOM_METRICS_PORT")
    return await metrics_answer(request.app, request)


def metrics_app(app: web.Application) -> web.Application:
    """The application on WARROOM_METRICS_PORT: ``GET /metrics`` of ``app``, nothing else."""
    own = web.Application()

    async def metrics(request: web.Request) -> web.Response:
        return await metrics_answer(app, request)

    own.router.add_get("/metrics", metrics)
    return own


async def metrics_answer(app: web.Application, request: web.Request) -> web.Response:
    """Prometheus text format: this process's series, the pager's (fetched from its loopback
    port and merged, label ``process="pager"``), the database's gauges when it answers.
    With WARROOM_METRICS_TOKEN set, only for ``Authorization: Bearer <it>`` (401 otherwise)."""
    services = app[services_key]
    token = str(services.settings.runtime.metrics_token)
    if token and not same_key(bearer_key(request.headers), token):
        raise web.HTTPUnauthorized(
            text="/metrics needs Authorization: Bearer <WARROOM_METRICS_TOKEN>",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    now = services.clock()
    database, paging, pager = await asyncio.gather(
        read_database_gauges(app[engine_key], now=now, job_kinds=JOB_HANDLERS),
        trailing_report(app[engine_key], now=now),
        _pager_exposition(app),
    )
    scrape = Scrape(
        background_tasks=services.background.running,
        database=database,
        pager_up=None if not app[readiness_key].pager.on else pager is not None,
        slack_up=app[readiness_key].slack.up,
        paging=paging,
    )
    merged = labelled(pager, process=PAGER_PROCESS) if pager else []
    body = app[metrics_key].exposition(scrape, merged)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


# The label the pager process's series carry in serve's scrape.
PAGER_PROCESS = "pager"
# Serve's scrape waits this long for the pager's exposition, then answers without it.
PAGER_SCRAPE_SECONDS = 1.0


async def _pager_exposition(app: web.Application) -> str | None:
    """The pager process's own exposition (bot/pager.py, on 127.0.0.1 only), or None when
    serve runs no pager or it did not answer in time (restarting, its port taken)."""
    if not app[readiness_key].pager.on:
        return None
    port = app[settings_key].runtime.pager_metrics_port
    try:
        async with (
            asyncio.timeout(PAGER_SCRAPE_SECONDS),
            app[http_session_key].get(f"http://127.0.0.1:{port}/metrics") as answer,
        ):
            if answer.status != 200:
                return None
            return await answer.text()
    except (aiohttp.ClientError, TimeoutError) as error:
        log.debug("metrics: the pager's /metrics did not answer: %s", type(error).__name__)
        return None


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
    r"^(?P<keep>/ack|/status/confirm|/status/unsubscribe|/status/manage|/alerts/cloudwatch)/[^/]+"
    r"(?P<tail>/escalate)?$"
)


def loggable_path(path: str) -> str:
    """``path`` as the access log shows it: ``/ack/<token>`` as ``/ack/[redacted]``, and
    the status page's ``/status/confirm/<token>``, ``/status/unsubscribe/<token>`` and
    ``/status/manage/<token>`` too (``/ack/<token>/escalate`` as ``/ack/[redacted]/escalate``),
    and a CloudWatch integration's ``/alerts/cloudwatch/<key>`` (SNS posts to a URL alone)."""
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
            ACCESS_LINE,
            request.remote,
            request.method,
            loggable_path(request.path),
            response.status,
            time * 1000,
            extra={"status": response.status, "path": loggable_path(request.path)},
        )
