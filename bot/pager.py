"""The pager: a replica's paging work in an OS process of its own (``warroom pager``).

On PostgreSQL, ``warroom serve`` starts it as a child, supervises it (restarted when it exits)
and stops it with itself. It runs the job runner for the kinds a page is made of
(``PAGER_KINDS``: an alert payload whose route starts a policy, escalation levels, people's
notifications) with its own event loop and its own database connections, and serve's runner
leaves those kinds to it while it lives. So a page never waits for a turn of the loop that
takes a storm's webhooks, writes their bodies and applies the payloads that only group into
open incidents: the kernel schedules the two processes apart (bench/RESULTS.md, "Paging in
its own process"). It is told of new paging work by PostgreSQL's NOTIFY (the payload's
commit announces it), and looks every WARROOM_SCHEDULER_INTERVAL anyway. A page's first
notifications written by serve are claimed for the pager in that transaction and named in its
NOTIFY (it tells serve its name as it says it is ready): the pager starts them as it hears it,
with no look or claim of its own, and takes each, reads its alert and writes its console
link's token in one transaction before the push.

Nothing is lost when either process dies: the work is job rows, claimed with a lease. A
pager killed mid-send leaves its claims to expire (a notification's short claim, then sent
again, said as a possible repeat); a serve killed takes its pager with it, killed too (the
kernel's parent-death signal on Linux, and the pager's own look at its parent elsewhere). Two
replicas' pagers claim as two replicas' runners always did: each job once.

It is on by default on PostgreSQL (WARROOM_PAGER_PROCESS=auto; the paging targets during a storm
are met with it, bench/RESULTS.md), and off when set so (serve then runs every job kind itself).
On SQLite there is no pager: a database file has one writing process, and serve's runner does
all the work.

Its counters (notifications sent, first notifications, acknowledgements, jobs...) are counted
in its own registry, so it serves them on its own ``/metrics``, on the loopback interface at
WARROOM_PAGER_METRICS_PORT, which serve's ``/metrics`` fetches and merges (label
``process="pager"``): one scrape target gives every series (docs/operations.md). It shows no
database gauges: serve's scrape does, once.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import sys
from collections.abc import Callable

import aiohttp
from aiohttp import web

from bot.app import build_services
from bot.config import Settings
from bot.flows.handlers import JOB_HANDLERS, JOB_LANES, JOB_PRIORITIES, PAGER_KINDS, YIELDING_JOBS
from bot.flows.oncall.handoffs import keep_on_call_facts
from bot.flows.paging.handed import take_handover
from bot.flows.scheduler import JobRunner
from bot.metrics import CONTENT_TYPE, Scrape
from bot.services import Services, with_liveness
from bot.store.db import create_engine
from bot.store.wakeups import Wakeups, listens

log = logging.getLogger(__name__)

# What the pager writes on its standard output once its runner has started and it listens,
# followed by its name as a claim's owner: serve leaves the paging kinds to it from then on
# (before, serve's own runner runs them), and claims a page's first notifications for it as
# they are written, naming them in the commit's NOTIFY (bot/store/wakeups.py ``Handover``).
READY = b"pager ready"
# How long the pager waits to listen before it says it is ready anyway (serve's NOTIFYs are
# then missed until it listens: the jobs they name wait for their lease, and the pager looks
# at every connection).
LISTEN_WITHIN_SECONDS = 10.0
# Restarted this long after it exited, doubled while it keeps exiting within a minute.
RESTART_SECONDS, RESTART_AT_MOST, STEADY_SECONDS = 1.0, 30.0, 60.0
# The running jobs get this long to finish when the pager is stopped (serve's own grace,
# bot/app.py BACKGROUND_GRACE_SECONDS, less the time to start stopping); then it is killed.
STOP_GRACE_SECONDS, KILL_AFTER_SECONDS = 5.0, 8.0
# How often the pager looks whether serve, its parent, is still there (where the kernel does
# not tell it).
PARENT_LOOK_SECONDS = 1.0
_PR_SET_PDEATHSIG = 1


def runs_pager(settings: Settings) -> bool:
    """Whether serve runs its paging work in a pager process: on PostgreSQL unless
    WARROOM_PAGER_PROCESS=off, and only there (which tells the pager of new work across
    processes; ``on`` is refused on SQLite, one writing process per file)."""
    return settings.runtime.pager_on and listens(settings.runtime.database_url)


def run_pager(settings: Settings) -> None:
    """``warroom pager``: run the paging jobs until SIGTERM, SIGINT or the parent's end."""
    parent = os.getppid()
    _end_with_parent()
    asyncio.run(_pager(settings, parent))


def _end_with_parent() -> None:
    """Have the kernel kill the pager when its parent (serve) dies (Linux): a serve killed is a
    replica gone, pager and all, its claims left to expire as they always were; a serve
    stopped by SIGTERM stops its pager itself, gracefully (``PagerChild.stop``)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


async def _pager(settings: Settings, parent: int) -> None:
    engine = create_engine(  # serve has migrated it
        settings.runtime.database_url, settings.runtime.database_timeouts
    )
    try:
        async with aiohttp.ClientSession() as http:
            services = build_services(settings, engine, http)
            # Its lock of life before it claims anything (bot/store/liveness.py).
            services = await with_liveness(services)
            runner = JobRunner(
                services,
                JOB_HANDLERS,
                yielding=YIELDING_JOBS,
                concurrency=settings.runtime.job_concurrency,
                lanes=JOB_LANES,
                priorities=JOB_PRIORITIES,
                ahead=PAGER_KINDS,
                leave=set(JOB_HANDLERS) - PAGER_KINDS,
            )
            wakeups = Wakeups(
                settings.runtime.database_url,
                services.wake_jobs,
                lambda payload: take_handover(services, payload),
            )
            metrics = await _serve_metrics(services, settings.runtime.pager_metrics_port)
            runner.start()
            wakeups.start()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wakeups.listening.wait(), LISTEN_WITHIN_SECONDS)
            # Its own answers of whether the people on call are guests (escalate.known_reach).
            services.background.spawn(keep_on_call_facts(services), name="on-call guest facts")
            sys.stdout.buffer.write(READY + b" " + services.replica.encode() + b"\n")
            sys.stdout.buffer.flush()
            log.info("pager started (pid %d): %s", os.getpid(), ", ".join(sorted(PAGER_KINDS)))
            await _until_stopped(parent)
            await wakeups.stop()
            await runner.stop(grace=STOP_GRACE_SECONDS)
            await services.background.drain(timeout=1.0)
            await services.parsing.close()
            await metrics.cleanup()
            if services.liveness is not None:  # its claims free for the others now
                await services.liveness.release()
    finally:
        await engine.dispose()
    log.info("pager stopped")


async def _serve_metrics(services: Services, port: int) -> web.AppRunner:
    """The pager's own ``GET /metrics`` on 127.0.0.1:``port``: its counters, which serve's
    registry cannot see (another process); serve's scrape fetches them from here and merges
    them. Without it if the port is taken."""

    async def metrics(_request: web.Request) -> web.Response:
        scrape = Scrape(background_tasks=services.background.running, database=None)
        body = services.metrics.exposition(scrape)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", port).start()
    except OSError:
        # Pages matter more than their counters: the pager runs on, and says why they are
        # missing (another process holds the port: another replica on the host?).
        log.exception("the pager's /metrics could not listen on 127.0.0.1:%d", port)
    return runner


async def _until_stopped(parent: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), PARENT_LOOK_SECONDS)
        if os.getppid() != parent:
            # Where the kernel does not kill it: gone at once, as its parent went.
            log.warning("serve (pid %d) is gone: the pager exits", parent)
            logging.shutdown()
            os._exit(1)


class PagerChild:
    """Serve's pager process: started, restarted whenever it exits, stopped with serve.
    ``leave`` is told which kinds serve's own runner must leave to it (none while it is not
    running), so a pager that died or is starting never leaves a page unsent, and its name
    as a claim's owner (None while it is not running)."""

    def __init__(self, leave: Callable[[frozenset[str], str | None], None]) -> None:
        self._leave = leave
        self._task: asyncio.Task[None] | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._stopping = False
        self.started = 0  # how many times it was started (the log and tests)

    def start(self) -> None:
        self._task = asyncio.create_task(self._supervise(), name="warroom pager supervisor")

    async def stop(self) -> None:
        self._stopping = True
        process = self._process
        if process is not None and process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), KILL_AFTER_SECONDS)
            except TimeoutError:
                log.error("the pager did not stop %.0f s after SIGTERM: killed", KILL_AFTER_SECONDS)
                process.kill()
                await process.wait()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._leave(frozenset(), None)

    async def _supervise(self) -> None:
        pause = RESTART_SECONDS
        loop = asyncio.get_running_loop()
        while not self._stopping:
            began = loop.time()
            await self._run_once()
            if self._stopping:
                return
            pause = RESTART_SECONDS if loop.time() - began > STEADY_SECONDS else pause
            log.error("the pager exited; serve pages itself until it restarts in %.0f s", pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, RESTART_AT_MOST)

    async def _run_once(self) -> None:
        try:
            self._process = process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "pager", stdout=asyncio.subprocess.PIPE
            )
        except OSError:
            log.exception("the pager could not be started")
            return
        self.started += 1
        try:
            assert process.stdout is not None
            said = (await process.stdout.readline()).split()
            if len(said) == 3 and b" ".join(said[:2]) == READY:
                self._leave(PAGER_KINDS, said[2].decode())
            # Whatever else it prints is read and dropped, so a full pipe never blocks it.
            while await process.stdout.read(65536):
                pass
            await process.wait()
        finally:
            self._leave(frozenset(), None)
