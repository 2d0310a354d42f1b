"""``warroom serve``: run the application until SIGTERM or SIGINT, then shut down cleanly."""

from __future__ import annotations

import asyncio
import faulthandler
import gc
import logging
import os
import signal
import sys
import threading
import time
import traceback

from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

from bot.app import create_app
from bot.config import Settings
from bot.keys import bolt_key, job_runner_key, metrics_key, services_key, settings_key
from bot.pager import PagerChild, runs_pager
from bot.web.health import readiness_key
from bot.web.monitoring import PathOnlyAccessLogger, metrics_app

log = logging.getLogger(__name__)
# In-flight requests get this long to finish after SIGTERM; aiohttp then waits as long again
# before it cancels what is left: 7 s at most, within the 7 s that background work gets from
# the same moment (BACKGROUND_GRACE_SECONDS), so the process exits within 10 s.
# (Slack waits only 3 s for an answer anyway, then delivers again.)
SHUTDOWN_GRACE_SECONDS = 3.5
# What is left once the server has stopped (a task that does not end when cancelled, a thread
# still in a call) gets this long; then the process exits anyway, naming what was left: a
# SIGTERM must end the process in time, and the next hang must say who held it.
LEFTOVER_SECONDS = 2.0
# And whatever shutdown waits on, the process ends this long after the signal: a watchdog
# thread (it needs no event loop, which may be what is stuck) writes every thread's stack to
# stderr and exits. What was not done is kept: Slack delivers an unanswered event again, and
# writes and jobs wait in the database for the next start.
HARD_STOP_SECONDS = 12.0
# New container objects the garbage collector lets pile up before a young collection (CPython's
# default: 700). A request's objects live for the request, a few milliseconds, and at 64 Slack
# deliveries in flight thousands are alive at any moment: at 700 the collector ran young
# collections all through a benchmark run, each promoting the requests in flight, which set off
# middle and full ones that paused the server far longer; at 10,000 it runs a few a run, each
# short. Events a second: the same within the benchmark's noise (the figures: bench/RESULTS.md,
# "Figures behind the code's choices"; warroom_gc_pause_seconds counts them).
YOUNG_COLLECTION_THRESHOLD = 10_000


LOOPBACK = "127.0.0.1"
_LOOPBACK_NAMES = {LOOPBACK, "::1", "localhost"}


def listen_address(settings: Settings, host: str) -> str:
    """Where to listen: ``host``. With sign-in off the web view shows every incident to anyone
    who can open it, so its pages and API answer only requests from this machine
    (bot/web/incident/pages.py ``web_view_rules``), while Slack, the webhooks, ``/status`` and
    ``/healthz`` answer on ``host`` as always: a container publishes its port to them."""
    if settings.web.auth == "none" and host not in _LOOPBACK_NAMES:
        log.warning(
            "WARROOM_WEB_AUTH=none: listening on %s, and the web view and API answer only "
            "requests from this machine (sign-in is off)",
            host,
        )
    return host


def run_server(settings: Settings, *, host: str, port: int, socket_mode: bool) -> None:
    """``serve`` on a loop of its own, then what it leaves behind ended within
    ``LEFTOVER_SECONDS`` (``asyncio.run`` would wait on it without end)."""
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(serve(settings, host=host, port=port, socket_mode=socket_mode))
        loop.run_until_complete(_end_leftover_tasks())
    finally:
        loop.close()
    _exit_if_threads_linger()


async def _end_leftover_tasks() -> None:
    """Cancel what the server left running; name what does not end in time."""
    current = asyncio.current_task()
    tasks = [task for task in asyncio.all_tasks() if task is not current]
    for task in tasks:
        task.cancel()
    if tasks:
        _done, pending = await asyncio.wait(tasks, timeout=LEFTOVER_SECONDS)
        for task in pending:
            frames = task.get_stack()
            where = "".join(traceback.format_stack(frames[-1])) if frames else "(no frame)"
            log.error("task %s did not end at shutdown; it waits at:\n%s", task.get_name(), where)
    try:
        await asyncio.wait_for(asyncio.get_running_loop().shutdown_asyncgens(), LEFTOVER_SECONDS)
    except TimeoutError:
        log.error("asynchronous generators did not close at shutdown")


def _exit_if_threads_linger() -> None:
    """Threads that would hold the interpreter's exit (a worker still in a call): waited for
    ``LEFTOVER_SECONDS`` in all, then named with where they are, and the process ends anyway."""
    deadline = time.monotonic() + LEFTOVER_SECONDS
    holding = [
        thread
        for thread in threading.enumerate()
        if thread is not threading.main_thread() and not thread.daemon
    ]
    for thread in holding:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    lingering = [thread for thread in holding if thread.is_alive()]
    if not lingering:
        return
    frames = sys._current_frames()
    for thread in lingering:
        frame = frames.get(thread.ident or 0)
        where = "".join(traceback.format_stack(frame)) if frame else "(no frame)"
        log.error("thread %s did not end at shutdown; it waits at:\n%s", thread.name, where)
    logging.shutdown()
    os._exit(0)  # the threads' atexit joins would wait on them without end


def settle_the_collector() -> None:
    """The garbage collector as a long-running server wants it, once started. What exists now
    (modules, the apps, settings, templates) lives as long as the process: frozen out of the
    collector's sight, its full collections walk only what requests made (a year of on-call
    shifts took half again as long with them walking it, bench/oncall.py). And young
    collections wait for ``YOUNG_COLLECTION_THRESHOLD`` new objects, not 700."""
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])


async def serve(settings: Settings, *, host: str, port: int, socket_mode: bool) -> None:
    """Serve HTTP (Slack endpoint and the probes) and, in Socket Mode, the Slack socket too."""
    host = listen_address(settings, host)
    runner = web.AppRunner(
        create_app(settings),
        shutdown_timeout=SHUTDOWN_GRACE_SECONDS,
        access_log_class=PathOnlyAccessLogger,
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    metrics = await _metrics_site(runner.app, host)
    settle_the_collector()
    stop_watching_collections = runner.app[metrics_key].watch_garbage_collections()
    pager = _start_pager(runner.app)
    socket_handler = None
    if socket_mode:
        socket_handler = await connect_socket_mode(runner.app)
        log.info("connected to Slack over Socket Mode; /readyz on http://%s:%s", host, port)
    else:
        log.info("listening on http://%s:%s (Slack endpoint: /slack/events)", host, port)
    try:
        await until_stopped()
    finally:
        if socket_handler is not None:
            await socket_handler.close_async()
        # The pager finishes its jobs while serve finishes its own.
        await asyncio.gather(runner.cleanup(), *([pager.stop()] if pager else []))
        if metrics is not None:
            await metrics.cleanup()
        stop_watching_collections()
        log.info("stopped")


async def _metrics_site(app: web.Application, host: str) -> web.AppRunner | None:
    """``/metrics`` on WARROOM_METRICS_PORT, when set (a port Prometheus reaches and Slack
    does not)."""
    port = app[settings_key].runtime.metrics_port
    if not port:
        return None
    runner = web.AppRunner(metrics_app(app), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("metrics on http://%s:%s/metrics", host, port)
    return runner


def _start_pager(app: web.Application) -> PagerChild | None:
    """On PostgreSQL, the pager process (bot/pager.py), whose kinds serve's runner leaves to
    it while it runs."""
    if not runs_pager(app[settings_key]):
        return None
    jobs, services, life = app[job_runner_key], app[services_key], app[readiness_key].pager
    life.on = True

    def leave(kinds: frozenset[str], name: str | None) -> None:
        jobs.leave = kinds
        # A page's first notifications are claimed for it as they are written (pages._start).
        services.handed.pager = name
        life.running = bool(kinds)  # the pager said it is ready, or it exited
        services.wake_jobs()  # what the pager left, run here at once

    pager = PagerChild(leave)
    pager.start()
    return pager


async def connect_socket_mode(app: web.Application) -> AsyncSocketModeHandler:
    """Receive Slack over Socket Mode with the same Bolt app (and listeners) as HTTP mode."""
    bolt = app[bolt_key]
    handler = AsyncSocketModeHandler(
        bolt, app_token=str(app[settings_key].slack.app_token), web_client=bolt.client
    )
    await handler.connect_async()
    return handler


async def until_stopped() -> None:
    """Wait for SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    _arm_watchdog()


def _arm_watchdog() -> None:
    def expire() -> None:
        log.error(
            "shutdown not finished %.1f s after the signal: exiting; every thread's stack"
            " follows on stderr",
            HARD_STOP_SECONDS,
        )
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        logging.shutdown()
        os._exit(0)

    watchdog = threading.Timer(HARD_STOP_SECONDS, expire)
    watchdog.daemon = True  # never what holds the exit itself
    watchdog.start()
