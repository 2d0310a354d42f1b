"""Refreshing the iCal layers: each layer's external feed fetched on a timer, its last good
copy kept in the database.

A schedule's holiday calendar (``holidays: ical_url``) is refreshed as a layer named
``HOLIDAYS`` is, its copy kept the same way; a person's leave calendar by
``bot.flows.oncall.leave_feeds``, through the same job kind.

One repeating job per iCal layer (``JobKind.ONCALL_ICAL_REFRESH``, keyed by schedule and layer), so
however many replicas run, each feed is fetched once per round; every start asks for a round at once
(the file may name a new address). A round that fails (the source down or slow, an answer that is no
calendar, one over ``MAX_FEED_BYTES``, an address warroom does not fetch from or a redirect to
another host: ``bot/clients/ical_feeds.py``) is logged, and noted on the copy's row with its reason;
the copy itself stays, and the next round comes at the usual time.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.basics.untrusted import ParseTooSlow
from bot.clients.ical_feeds import FeedUnreachable, feed_host, fetch_feed
from bot.record.oncall.feed_copies import keep_copy, note_failure
from bot.record.oncall.holidays import HOLIDAY_LAYER
from bot.record.oncall.ical_layers import (
    KEEP_AHEAD,
    KEEP_BEFORE,
    FeedEvent,
    FeedRefused,
    read_feed,
)
from bot.record.oncall.schedules import IcalSource, Layer, Schedule
from bot.services import Services
from bot.store import jobs
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import Job

log = logging.getLogger(__name__)
_KEY_PREFIX = "oncall-ical:"
# A feed larger than this is refused (and reading it stops there).
MAX_FEED_BYTES = 10 * 1024 * 1024
# Seconds to wait for a feed before the round counts as failed.
FETCH_TIMEOUT = 30.0


# The copy of a schedule's holiday calendar is kept as a layer of this name's (a layer of the
# file cannot be called so: bot.record.oncall.schedules refuses the name).
HOLIDAYS = HOLIDAY_LAYER


def refresh_key(schedule: str, layer: str) -> str:
    """The job that refreshes one layer (schedule names hold no ``:``, layer names may)."""
    return f"{_KEY_PREFIX}{schedule}:{layer}"


async def schedule_feed_refreshes(services: Services) -> None:
    """Have every iCal layer's feed fetched now, and from then on every
    ``WARROOM_ONCALL_ICAL_REFRESH`` (a start-up step: replicas starting together ask for the
    same jobs, which run once)."""
    now = services.clock()
    layers = [
        (schedule, layer)
        for schedule in services.settings.oncall.schedules.by_name.values()
        for layer in (*schedule.layers, _holidays_layer(schedule))
        if layer is not None and layer.ical is not None
    ]
    if not layers:
        return
    async with session_scope(services.engine) as session:
        for schedule, layer in layers:
            await jobs.run_once_more(
                session,
                kind=JobKind.ONCALL_ICAL_REFRESH,
                key=refresh_key(schedule.name, layer.name),
                due_at=now,
            )
        await session.commit()
    services.wake_jobs()


async def refresh_ical_layer(services: Services, job: Job) -> datetime | None:
    """The job handler: fetch the layer's feed, keep it as the copy if it reads as a
    calendar, else say why; come back at the next round (never, once the layer is gone)."""
    found = _layer_of(services, job.key)
    if found is None:
        return None  # the file no longer names it: the job ends with it
    schedule, layer = found
    assert layer.ical is not None
    url, now = layer.ical.url, services.clock()
    try:
        events = await fetched_events(services, url, schedule.zone_of(layer), schedule.name)
    except (FeedUnreachable, FeedRefused) as failure:
        reason = failure_reason(url, failure)
        async with session_scope(services.engine) as session:
            row = await note_failure(
                session, schedule=schedule.name, layer=layer.name, url=url, reason=reason, at=now
            )
            await session.commit()
        log.warning(
            "schedule %r: layer %r: feed refresh failed (failing since %s, last good copy %s): %s",
            schedule.name,
            layer.name,
            row.failing_since,
            row.fetched_at or "none",
            reason,
        )
        return now + services.settings.oncall.ical_refresh
    async with session_scope(services.engine) as session:
        await keep_copy(
            session, schedule=schedule.name, layer=layer.name, url=url, events=events, at=now
        )
        await session.commit()
    log.info(
        "schedule %r: layer %r: feed refreshed, %d events", schedule.name, layer.name, len(events)
    )
    return now + services.settings.oncall.ical_refresh


def failure_reason(url: str, failure: FeedUnreachable | FeedRefused) -> str:
    """Why a refresh failed, in words naming the feed's host only."""
    if isinstance(failure, FeedRefused):
        return f"{feed_host(url)} answered something warroom cannot use: {failure}"
    return str(failure)


async def fetched_events(services: Services, url: str, zone: str, whose: str) -> list[FeedEvent]:
    """The events of the feed at ``url`` (size-limited, read off the event loop), floating
    times in ``zone``; FeedUnreachable or FeedRefused says why not (``whose``: for the log)."""
    body = await fetch_feed(
        url,
        allowed=services.settings.oncall.ical_allowed_hosts,
        limit=MAX_FEED_BYTES,
        timeout=FETCH_TIMEOUT,
    )
    return await _read(services, body, whose, zone, services.clock())


async def _read(
    services: Services, body: bytes, whose: str, zone: str, now: datetime
) -> list[FeedEvent]:
    """The feed's events, read in a worker process with a time limit
    (``WARROOM_ONCALL_ICAL_PARSE_SECONDS``: a large calendar takes seconds, a hostile one
    forever), floating times in ``zone`` (the
    layer's) unless the feed names one. Whatever the parser raises on bytes from elsewhere is
    a refusal with its reason (and logged with its traceback): a job that raised would be
    retried a few times and then given up, and the layer's refreshes would stop without a
    word."""
    try:
        return await services.parsing.feeds.run(
            read_feed, body, zone=zone, start=now - KEEP_BEFORE, end=now + KEEP_AHEAD
        )
    except FeedRefused:
        raise
    except ParseTooSlow as slow:
        raise FeedRefused(f"it was {slow} (a calendar too large or too complex)") from None
    except Exception as error:
        log.exception("%r: a feed the calendar parser could not read", whose)
        raise FeedRefused(f"it cannot be read ({type(error).__name__})") from None


def _layer_of(services: Services, key: str) -> tuple[Schedule, Layer] | None:
    name, _, layer_name = key.removeprefix(_KEY_PREFIX).partition(":")
    schedule = services.settings.oncall.schedules.get(name)
    if schedule is None:
        return None
    layer = next(
        (
            layer
            for layer in (*schedule.layers, _holidays_layer(schedule))
            if layer and layer.name == layer_name
        ),
        None,
    )
    return (schedule, layer) if layer is not None and layer.ical is not None else None


def _holidays_layer(schedule: Schedule) -> Layer | None:
    """The schedule's holiday calendar as a layer whose feed is refreshed, if it has one."""
    holidays = schedule.holidays
    if holidays is None or holidays.ical_url is None:
        return None
    return Layer(HOLIDAYS, None, None, (), ical=IcalSource(holidays.ical_url, ()))
