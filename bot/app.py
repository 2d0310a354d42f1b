"""The composition root: builds the aiohttp application and the Bolt app from one Settings.

Nothing happens at import time; every resource is created and closed in a cleanup context.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime

import aiohttp
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.basics.background import UNWIND_SECONDS
from bot.basics.logs import install_log_redaction
from bot.basics.numbers import parse_bounded_int
from bot.basics.render import Renderer
from bot.basics.stalls import StallWatch
from bot.basics.untrusted import UntrustedParsing
from bot.clients.phone import registry as phone_registry
from bot.clients.slack.web_api import SlackWorkspace
from bot.clients.slack.web_client import build_web_client
from bot.config import Settings
from bot.flows.alerting.heartbeats import watch_heartbeats
from bot.flows.alerting.intake import PayloadWriter
from bot.flows.handlers import (
    JOB_HANDLERS,
    JOB_LANES,
    JOB_PRIORITIES,
    PAGER_KINDS,
    YIELDING_JOBS,
)
from bot.flows.in_order import ARRIVED_KEY, CommandLine, CommandSweep
from bot.flows.ingestion import IngestWriter
from bot.flows.installation import SlackWatch
from bot.flows.named_channels import say_channel_problems
from bot.flows.oncall.handoffs import keep_on_call_facts, plan_oncall
from bot.flows.oncall.ical_feeds import schedule_feed_refreshes
from bot.flows.oncall.leave_feeds import schedule_leave_feed_refreshes
from bot.flows.outbox import OutboxSender
from bot.flows.paging.destinations.pushover import CALLBACK_PATH
from bot.flows.paging.drills import schedule_drills
from bot.flows.paging.watchdog import schedule_watchdog
from bot.flows.scheduler import JobRunner
from bot.flows.status_page.bounces import BounceListener
from bot.keys import (
    bolt_key,
    bounce_listener_key,
    command_line_key,
    command_sweep_key,
    engine_key,
    http_session_key,
    ingest_key,
    job_runner_key,
    metrics_key,
    outbox_sender_key,
    payload_writer_key,
    services_key,
    settings_key,
    slack_watch_key,
)
from bot.metrics import Metrics
from bot.services import PARSERS, Parsing, Services, with_liveness
from bot.slack.adapter import to_aiohttp_response, to_bolt_request
from bot.slack.bolt import build_bolt_app
from bot.store import outbox
from bot.store.columns import utcnow
from bot.store.db import create_engine, stop_waiting
from bot.store.migrate import upgrade_database
from bot.store.wakeups import Wakeups, listens
from bot.web.alerting.opsgenie import opsgenie_routes
from bot.web.alerting.webhooks import ALERTS_PATH, receive_alerts, receive_heartbeat, source_routes
from bot.web.changes.receivers import change_routes
from bot.web.follow_ups.tracker_webhooks import receive_tracker_webhook
from bot.web.health import Readiness, livez, readiness_key, readyz
from bot.web.monitoring import observe_requests, serve_metrics, slack_payload_type
from bot.web.pages_common import body_deadline
from bot.web.paging.links import acknowledge as acknowledge_link
from bot.web.paging.links import escalate as escalate_link
from bot.web.paging.links import show_acknowledge
from bot.web.paging.phone_webhooks import phone_routes
from bot.web.paging.pushover_receipts import receive_receipt
from bot.web.routes import WEB_ROUTES, add_web_view
from bot.web.routing import Route, RouteKind, add_routes
from commands import APPLIERS

log = logging.getLogger(__name__)
# Work started after an ack (channel creation, replies) may go on until this long after
# shutdown begins (requests in flight are waited for meanwhile, see bot/server.py); what still
# runs then is cancelled and gets 2.5 s to unwind (UNWIND_SECONDS), so the process exits
# within 10 s of SIGTERM. Its Slack writes wait in the outbox for the next start; an
# unanswered event is delivered again by Slack.
BACKGROUND_GRACE_SECONDS = 7.0
# The writers of Slack events, alert bodies and commands write what they hold until this long
# after shutdown begins; then a write still waiting on the database (a stall) is cancelled and
# what it held fails: a command answered before it was kept is told to its sender (through
# its response_url, within the background grace that remains), an event is answered 5xx and
# Slack delivers it again (bot/flows/group_commit.py).
WRITERS_GRACE_SECONDS = BACKGROUND_GRACE_SECONDS - UNWIND_SECONDS
# Unix seconds stay below 10^11 until the year 5138: a signature timestamp is no larger.
SLACK_TIMESTAMP_MAX = 10**11


def create_app(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utcnow,
    migrate: bool = True,
) -> web.Application:
    """Build the warroom web application: Slack endpoint, alert webhooks, health, metrics."""
    # Here as well as in configure_logging: an app built without the CLI (tests, embedding)
    # must not log what libraries print of requests either.
    install_log_redaction()
    # What the contacts ask of the phone providers (the registry's, a layer above settings).
    phone_registry.check(settings)
    app = web.Application(
        client_max_size=settings.runtime.max_body_bytes,
        middlewares=[observe_requests, body_deadline],
    )
    app[settings_key] = settings
    app[metrics_key] = Metrics()
    app[readiness_key] = Readiness()
    app.cleanup_ctx.append(_http_session_ctx)
    app.cleanup_ctx.append(_engine_ctx(migrate))
    app.cleanup_ctx.append(_bolt_ctx(clock))
    app.cleanup_ctx.append(_job_runner_ctx)
    app.cleanup_ctx.append(_bounce_listener_ctx)
    app.on_shutdown.append(_shutdown_begins)
    add_web_view(app)
    add_routes(app, route_table())
    # Last, so it watches a bot that has started: start-up's imports, the migrations and the
    # first reads keep the loop by design, before anything is answered, and are no stall.
    app.cleanup_ctx.append(_stall_watch_ctx)
    return app


async def _http_session_ctx(app: web.Application) -> AsyncIterator[None]:
    async with aiohttp.ClientSession() as session:
        app[http_session_key] = session
        yield


def _engine_ctx(migrate: bool) -> Callable[[web.Application], AsyncIterator[None]]:
    async def engine_ctx(app: web.Application) -> AsyncIterator[None]:
        runtime = app[settings_key].runtime
        engine = create_engine(runtime.database_url, runtime.database_timeouts)
        if migrate:
            await upgrade_database(engine)
        app[engine_key] = engine
        yield
        await engine.dispose()

    return engine_ctx


def _bolt_ctx(clock: Callable[[], datetime]) -> Callable[[web.Application], AsyncIterator[None]]:
    async def bolt_ctx(app: web.Application) -> AsyncIterator[None]:
        services = build_services(
            app[settings_key],
            app[engine_key],
            app[http_session_key],
            clock=clock,
            metrics=app[metrics_key],
        )
        # Its lock of life before anything claims work in its name (bot/store/liveness.py).
        services = await with_liveness(services)
        app[services_key] = services
        # One record of the pager's life, which serve's supervisor keeps (bot/server.py).
        app[readiness_key].pager = services.pager
        # The workers that read alert bodies and feeds fork from a server started now.
        await services.parsing.bodies.prepare()
        # One writer of Slack events per process (group commit, bot/flows/ingestion.py).
        # Stopped after aiohttp has waited for the requests in flight: it writes what they
        # queued, then the engine goes.
        writer = IngestWriter(services)
        app[ingest_key] = writer
        writer.start()
        # Likewise for alert webhooks' bodies (bot/flows/alerting/intake.py).
        payloads = PayloadWriter(services)
        app[payload_writer_key] = payloads
        payloads.start()
        # And of the commands that wait in their channel's line (bot/flows/in_order.py).
        line = CommandLine(services, APPLIERS)
        app[command_line_key] = line
        line.start()
        app[bolt_key] = build_bolt_app(services, services.slack.client, writer, line)
        yield
        await writer.stop()
        await payloads.stop()
        await line.stop()
        await services.background.drain(timeout=BACKGROUND_GRACE_SECONDS)
        await services.parsing.close()
        await _give_back_channels(services)
        if services.liveness is not None:  # what it still claims is free for the others now
            await services.liveness.release()

    return bolt_ctx


async def _give_back_channels(services: Services) -> None:
    """Whatever channel this process still holds, given back as it stops: a delivery cut off
    at shutdown releases its own, but one still unwinding when the grace ran out (a loaded
    machine) would leave the next start unable to send there until the lease expired."""
    try:
        given = await outbox.release_all(services.engine, services.replica)
    except Exception:
        log.exception("giving back the outbox leases at shutdown failed; they expire anyway")
        return
    if given:
        log.info("gave back %d outbox lease(s) at shutdown", given)


async def _shutdown_begins(app: web.Application) -> None:
    # aiohttp calls this once it has stopped listening, before it waits for requests in
    # flight; the background grace counts from here, not from after those requests.
    services = app.get(services_key)
    if services is not None:
        now = asyncio.get_running_loop().time()
        services.background.finish_by(now + BACKGROUND_GRACE_SECONDS)
        for writer in (app[ingest_key], app[payload_writer_key], app[command_line_key]):
            writer.finish_by(now + WRITERS_GRACE_SECONDS)
        # Then a statement still waiting for a lock held elsewhere waits no more.
        loop = asyncio.get_running_loop()
        loop.call_at(now + WRITERS_GRACE_SECONDS, stop_waiting, services.engine)


def build_services(
    settings: Settings,
    engine: AsyncEngine,
    http: aiohttp.ClientSession,
    *,
    clock: Callable[[], datetime] = utcnow,
    metrics: Metrics | None = None,
    parse_in_workers: bool = True,
) -> Services:
    """The collaborators every flow gets, for the server and for one-off commands alike
    (``parse_in_workers=False``: bodies read in the command's own process)."""
    metrics = metrics if metrics is not None else Metrics()
    renderer = Renderer(settings.incidents.templates_dir)
    runtime = settings.runtime
    bodies = UntrustedParsing(
        workers=runtime.parse_workers if parse_in_workers else 0,
        seconds=runtime.parse_seconds,
        preload=PARSERS,
        inline_below=runtime.parse_inline_bytes,
    )
    feeds = UntrustedParsing(workers=1, seconds=settings.oncall.ical_parse_seconds, preload=PARSERS)
    return Services(
        settings=settings,
        engine=engine,
        slack=build_slack_workspace(settings, http, renderer, metrics),
        renderer=renderer,
        clock=clock,
        http=http,
        metrics=metrics,
        parsing=Parsing(bodies=bodies, feeds=feeds),
    )


def build_slack_workspace(
    settings: Settings,
    http: aiohttp.ClientSession,
    renderer: Renderer,
    metrics: Metrics | None = None,
) -> SlackWorkspace:
    """The bot's Slack, as the server and one-off commands use it."""
    return SlackWorkspace(
        build_web_client(settings, http, metrics),
        http,
        more=lambda count: renderer.render("messages/and_more.j2", count=count),
    )


async def _stall_watch_ctx(app: web.Application) -> AsyncIterator[None]:  # noqa: ARG001
    # A stall of the event loop over half a second is logged with what ran (Slack's 3 s).
    watch = StallWatch()
    watch.start()
    yield
    await watch.stop()


async def _job_runner_ctx(app: web.Application) -> AsyncIterator[None]:
    runner, sender, sweep, watch = _background_workers(app)
    services = app[services_key]
    await _plan_timers(services)
    try:
        await watch.learn()
    except Exception as error:  # the database down at start: the watch's rounds learn it later
        log.warning("could not read whether the Slack app is installed: %s", type(error).__name__)
    watch.start()
    await _plan_feed_refreshes(services)
    runner.start()
    sender.start()
    sweep.start()
    # On PostgreSQL, work another replica announces wakes this one's runner at once.
    wakeups = None
    if listens(app[settings_key].runtime.database_url):
        wakeups = Wakeups(app[settings_key].runtime.database_url, services.wake_jobs)
        wakeups.start()
    # The channels the files name that the bot cannot post in: said in the log, not waited on.
    services.background.spawn(
        say_channel_problems(services.settings, services.slack), name="warroom channel check"
    )
    yield
    # The jobs first, within the shutdown's grace, so what they write is sent before the
    # exit (the sender goes on meanwhile), then the sender.
    # What is left of the grace, less the time cancelled work gets to unwind after it.
    grace = services.background.time_left(BACKGROUND_GRACE_SECONDS) - UNWIND_SECONDS
    if wakeups is not None:
        await wakeups.stop()
    await runner.stop(grace=grace)
    await sweep.stop()
    await sender.stop()
    await watch.stop()


def _background_workers(
    app: web.Application,
) -> tuple[JobRunner, OutboxSender, CommandSweep, SlackWatch]:
    """The process's background workers, made (not started) and kept on ``app``: the job
    runner, the outbox's sender, the command sweep and the Slack install watch."""
    # Escalation timers, pages and reminders: every replica runs due jobs, each job runs once.
    runner = JobRunner(
        app[services_key],
        JOB_HANDLERS,
        yielding=YIELDING_JOBS,
        concurrency=app[settings_key].runtime.job_concurrency,
        lanes=JOB_LANES,
        priorities=JOB_PRIORITIES,
        ahead=PAGER_KINDS,
    )
    app[job_runner_key] = runner
    # Slack writes kept in the outbox: what could not be sent at once, and after a restart.
    sender = OutboxSender(app[services_key])
    app[outbox_sender_key] = sender
    # Commands left waiting in their channel's line: a replica died, or this one restarted.
    sweep = CommandSweep(app[services_key], app[command_line_key])
    app[command_sweep_key] = sweep
    # Whether the Slack app is still installed: both wait while it is not.
    watch = SlackWatch(app[services_key])
    app[slack_watch_key] = watch
    return runner, sender, sweep, watch


async def _plan_timers(services: Services) -> None:
    """The timers every start makes sure of: on-call handoffs, heartbeats, drills and the
    watchdog; and the on-call guest facts, read in the background."""
    # Each on-call schedule's handoffs and gap checks: one row each, whichever replica starts.
    await plan_oncall(services)
    # Whether the people on call are guests, kept before the first page needs it (its level
    # is then decided in the alert's own transaction, bot/flows/escalation/levels.py).
    services.background.spawn(keep_on_call_facts(services), name="on-call guest facts")
    # Each heartbeat's row and job: kept from earlier starts, made by whichever replica first.
    await watch_heartbeats(services)
    await schedule_drills(services)
    await schedule_watchdog(services)


async def _plan_feed_refreshes(services: Services) -> None:
    """iCal layers: every start fetches their feeds (the file may name new ones), then a
    timer; the leave calendars too, when the database answers."""
    await schedule_feed_refreshes(services)
    try:
        await schedule_leave_feed_refreshes(services)
    except Exception as error:  # the database down at start: each feed's job keeps its timer
        log.warning("could not plan the leave calendars' fetch: %s", type(error).__name__)


async def _bounce_listener_ctx(app: web.Application) -> AsyncIterator[None]:
    # Status page subscribers' bounces reported later (RFC 3464), by SMTP on their own port:
    # only with WARROOM_BOUNCE_DOMAIN set (its settings say the port and secret too).
    if not app[settings_key].bounces.on:
        yield
        return
    # And e-mail integrations' mail, stored as alerts by the process's payload writer.
    listener = BounceListener(app[services_key], app.get(payload_writer_key))
    await listener.start()
    app[bounce_listener_key] = listener
    yield
    await listener.stop()


async def slack_events(request: web.Request) -> web.Response:
    """Every Slack request: slash commands, events and interactivity, verified by Bolt."""
    if not _signature_headers_well_formed(request):
        log.info("Slack request refused: its signature headers are malformed")
        return web.json_response({"error": "invalid request"}, status=401)
    started = time.perf_counter()
    # When it reached this replica: the order commands of a channel are applied in.
    arrived = request.app[command_line_key].stamp()
    bolt_request = await to_bolt_request(request)
    bolt_request.context[ARRIVED_KEY] = arrived
    bolt_response = await request.app[bolt_key].async_dispatch(bolt_request)
    response = await to_aiohttp_response(bolt_response)
    request.app[metrics_key].observe_slack_request(
        slack_payload_type(bolt_request.body, bolt_response.status),
        time.perf_counter() - started,
    )
    return response


def _signature_headers_well_formed(request: web.Request) -> bool:
    """Whether the Slack SDK can check the signature headers without raising.

    It reads the timestamp with int(): "²" or 5,000 digits raise there (a 500), and "١٧…" or
    " 17…" pass. It compares the signature with hmac.compare_digest, which raises on non-ASCII
    text. Slack sends Unix seconds in ASCII digits and a hex digest, so anything else is a bad
    signature: 401, as Bolt answers the others. Every copy of a repeated header is checked,
    since Bolt keeps the last one.
    """
    headers = request.headers
    for timestamp in headers.getall("X-Slack-Request-Timestamp", ()):
        if parse_bounded_int(timestamp, 0, SLACK_TIMESTAMP_MAX) is None:
            return False
    return all(map(str.isascii, headers.getall("X-Slack-Signature", ())))


# Every route the process answers, each with its kind, which is all the web view's
# middlewares go by (bot/web/routing.py); the phone providers' webhooks are the registry's,
# read when an application is made (``route_table``).
FIXED_ROUTES: tuple[Route, ...] = (
    Route("POST", "/slack/events", slack_events, RouteKind.MACHINE),
    Route("POST", ALERTS_PATH, receive_alerts, RouteKind.MACHINE),
    Route("POST", "/heartbeats/{name}", receive_heartbeat, RouteKind.MACHINE),
    Route("POST", "/trackers/{tracker}", receive_tracker_webhook, RouteKind.MACHINE),
    # Acknowledgement links (push buttons, email): the token in the path is the only key.
    Route("GET", "/ack/{token}", show_acknowledge, RouteKind.MACHINE),
    Route("POST", "/ack/{token}", acknowledge_link, RouteKind.MACHINE),
    Route("POST", "/ack/{token}/escalate", escalate_link, RouteKind.MACHINE),
    # Pushover's callback: an emergency push acknowledged (a hint, read again from Pushover).
    Route("POST", CALLBACK_PATH, receive_receipt, RouteKind.MACHINE),
    # Probes: the process answers (no I/O); it can work now, part by part (bot/web/health.py).
    Route("GET", "/livez", livez, RouteKind.MACHINE),
    Route("GET", "/readyz", readyz, RouteKind.MACHINE),
    Route("GET", "/healthz", readyz, RouteKind.MACHINE),
    Route("GET", "/metrics", serve_metrics, RouteKind.MACHINE),
)


def route_table() -> tuple[Route, ...]:
    """The routes, with the webhook routes of each phone provider, each alert source's own
    paths, as their registries have them now, and each change source's; Opsgenie's Alert API
    reads."""
    sources = (*source_routes(), *opsgenie_routes())
    return (*FIXED_ROUTES, *phone_routes(), *sources, *change_routes(), *WEB_ROUTES)


ROUTES = route_table()
