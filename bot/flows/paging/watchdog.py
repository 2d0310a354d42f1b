"""The watchdog: a dead man's switch. Nobody else watches warroom, so warroom says it is alive
to something outside it (``WARROOM_WATCHDOG_URL``: a healthchecks.io check, an Opsgenie
heartbeat, another warroom's heartbeat), and only while its own end-to-end check passes:
when warroom, its host or its database dies, or its check fails, the pings stop, and the
service outside pages someone.

The check, each ``WARROOM_WATCHDOG_INTERVAL``, is one ``watchdog`` job's run:

- the job runner claimed and ran the job (no run, no ping: a runner that stopped, a
  database that refuses claims);
- the database takes a write: the job's claim is renewed, committed within
  ``DATABASE_SECONDS``;
- the pager process runs, where serve runs one (its supervisor's record, as ``/readyz``
  reads it);
- a paging provider answers: at least one configured push or phone provider (ntfy, Pushover, each
  phone provider of the registry) answers a request within ``PROVIDER_SECONDS``; the drill
  proves their accounts weekly, this that they can be reached now. Without any configured
  (Slack and email only), this part is not checked.

A failed check sends nothing, logs a WARNING naming the part (never an address or a key) and
counts it; a ping not answered 2xx is logged and counted, and is not tried again before the
next round. Neither touches paging: the job is in a lane of its own.

One job, whichever replica claims it: with several replicas, one ping per interval for the
deployment. The service outside watches whether warroom pages, not each replica (``/readyz``
and the orchestrator do that); a replica that dies leaves the job to the others.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from bot.clients.phone import registry
from bot.clients.vendor_http import answers
from bot.clients.watchdog import PingFailure, ping
from bot.services import Services
from bot.store import jobs
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import Job

log = logging.getLogger(__name__)
JOB_KEY = "watchdog"
# The write must commit within this: a database that takes longer is not one a page can wait on.
DATABASE_SECONDS = 5.0
# Each provider gets this long to answer (they are asked at once).
PROVIDER_SECONDS = 5.0


async def schedule_watchdog(services: Services) -> None:
    """At start-up: the watchdog's one job, due now (its interval may have changed since it
    was planned); none without ``WARROOM_WATCHDOG_URL``."""
    if not services.settings.watchdog.on:
        return
    async with session_scope(services.engine) as session:
        await jobs.run_once_more(
            session, kind=JobKind.WATCHDOG, key=JOB_KEY, due_at=services.clock()
        )
        await session.commit()


async def run_watchdog(services: Services, job: Job) -> datetime | None:
    """The job handler: check, ping when the check passes, and be due again an interval on."""
    watchdog = services.settings.watchdog
    if not watchdog.on:
        return None  # the address was taken away since: the job ends
    next_round = services.clock() + watchdog.interval
    failed = await failing_part(services, job)
    if failed is not None:
        part, why = failed
        log.warning("watchdog: the check failed, no ping: %s: %s", part, why)
        services.metrics.watchdog.check_failed(part)
        return next_round
    await _ping(services)
    return next_round


async def failing_part(services: Services, job: Job) -> tuple[str, str] | None:
    """The first part of the check that fails, and why; None when all pass."""
    try:
        async with asyncio.timeout(DATABASE_SECONDS):
            ours = await jobs.renew(services.engine, job)
    except TimeoutError:
        return "database", f"a write did not commit within {DATABASE_SECONDS:g} s"
    except (SQLAlchemyError, OSError) as error:  # its name only: a driver's text may hold values
        return "database", f"a write failed ({type(error).__name__})"
    if not ours:
        return "jobs", "the watchdog's job was taken from this replica as abandoned"
    if services.pager.on and not services.pager.running:
        return "pager", "the pager process is not running"
    tried = await providers_answering(services)
    if tried is not None and not any(tried.values()):
        return "providers", f"no paging provider answered ({', '.join(sorted(tried))})"
    return None


async def providers_answering(services: Services) -> dict[str, bool] | None:
    """Whether each configured push and phone provider answers (asked at once); None when
    none is configured."""
    settings = services.settings
    bases = {"ntfy": settings.paging.ntfy_url} if settings.paging.ntfy_url else {}
    if settings.paging.pushover_token:
        bases["pushover"] = settings.paging.pushover_api_url
    for phone in registry.providers():
        if phone.configured(settings):
            bases[phone.title] = phone.api_url(settings)
    if not bases or services.http is None:
        return None
    said = await asyncio.gather(
        *(answers(services.http, base, timeout=PROVIDER_SECONDS) for base in bases.values())
    )
    return dict(zip(bases, said, strict=True))


async def _ping(services: Services) -> None:
    watchdog = services.settings.watchdog
    assert services.http is not None  # the server's services always have one
    try:
        await ping(services.http, watchdog.url, watchdog.authorization)
    except PingFailure as failure:
        # Its detail names the address's host alone (bot/clients/watchdog.py).
        log.warning("watchdog: the check passed, but the ping failed: %s", failure.detail)
        services.metrics.watchdog.pinged(ok=False)
        return
    services.metrics.watchdog.pinged(ok=True, at=services.clock())
