"""A person's leave calendar: an iCal feed of their time off (``/oncall leave feed <url>``,
or their page's form), fetched on a timer as iCal layers' feeds are (the same job kind and
lane, the same size limit and addresses allowed, parsed in a worker process). Each good copy
replaces the leave it gave before (``source`` "feed"): every day an all-day event covers, in
the person's zone, is a day of leave; an event of hours (a DATE-TIME, in its own zone) is
leave for those hours alone. A refresh that fails keeps the leave it gave, and says why
on the feed's row; removing the feed removes its leave.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import select

from bot.clients.ical_feeds import FeedUnreachable, feed_host
from bot.flows.oncall.common import OncallRefused
from bot.flows.oncall.ical_feeds import (
    failure_reason,
    fetched_events,
    refresh_ical_layer,
)
from bot.flows.people import zone_of
from bot.flows.rights import require
from bot.record.oncall.feed_addresses import url_refusal
from bot.record.oncall.holidays import LONGEST_EVENT_DAYS, event_days
from bot.record.oncall.ical_layers import FeedRefused
from bot.record.oncall.leave import FeedLeave, leave_feed_of, merged, replace_feed_leave, spans_of
from bot.record.oncall.schedules import ical_url_of
from bot.record.rights import Act
from bot.services import Services
from bot.store import jobs
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import Job, OncallLeaveFeed

log = logging.getLogger(__name__)
LEAVE_PREFIX = "oncall-leave:"
TEMPLATE = "messages/oncall/leave.j2"


def leave_feed_key(user: str) -> str:
    return f"{LEAVE_PREFIX}{user}"


async def set_leave_feed(services: Services, *, user: str, url: str | None) -> OncallLeaveFeed:
    """Keep ``url`` as ``user``'s leave calendar and have it fetched now (None: remove it
    and the leave it gave). OncallRefused when the address is no feed warroom fetches."""
    await require(services, user, Act.ONCALL_CHANGE)
    address = None if url is None else _address(services, url)
    zone = await zone_of(services, user)
    now = services.clock()
    async with session_scope(services.engine) as session:
        row = await leave_feed_of(session, user)
        if address is None:
            if row is None:
                raise OncallRefused("leave_no_feed", field="leave")
            await session.delete(row)
            configured = services.settings.oncall.schedules.by_name.values()
            nothing = FeedLeave((), (), zone)
            await replace_feed_leave(session, configured, user=user, leave=nothing, now=now)
        else:
            row = row or OncallLeaveFeed(user_id=user, url=address, zone=zone)
            row.url, row.zone, row.error, row.failing_since = address, zone, None, None
            session.add(row)
            await jobs.run_once_more(
                session, kind=JobKind.ONCALL_ICAL_REFRESH, key=leave_feed_key(user), due_at=now
            )
        await session.commit()
    services.wake_jobs()
    return row


def _address(services: Services, url: str) -> str:
    problems: list[str] = []
    address = ical_url_of("leave", url.strip(), problems)
    if address is None:
        raise OncallRefused("leave_feed_url", field="leave")
    refusal = url_refusal(address, services.settings.oncall.ical_allowed_hosts)
    if refusal is not None:
        raise OncallRefused("leave_feed_refused", field="leave", reason=refusal)
    return address


async def say_leave_feed(services: Services, *, user: str, url: str | None) -> str:
    """``/oncall leave feed <url>`` or ``feed off``."""
    row = await set_leave_feed(services, user=user, url=url)
    if url is None:
        return services.renderer.render(TEMPLATE, state="feed_off")
    return services.renderer.render(TEMPLATE, state="feed_set", host=feed_host(row.url))


async def schedule_leave_feed_refreshes(services: Services) -> None:
    """Have every person's leave calendar fetched now (a start-up step), then on its timer."""
    now = services.clock()
    async with session_scope(services.engine) as session:
        users = (await session.exec(select(OncallLeaveFeed.user_id))).all()
        for user in users:
            await jobs.run_once_more(
                session, kind=JobKind.ONCALL_ICAL_REFRESH, key=leave_feed_key(user), due_at=now
            )
        await session.commit()
    if users:
        services.wake_jobs()


async def refresh_feed(services: Services, job: Job) -> datetime | None:
    """The job handler of ``JobKind.ONCALL_ICAL_REFRESH``: a person's leave calendar, or
    an iCal layer's feed (a schedule's holiday calendar among them)."""
    if not job.key.startswith(LEAVE_PREFIX):
        return await refresh_ical_layer(services, job)
    user = job.key.removeprefix(LEAVE_PREFIX)
    async with session_scope(services.engine) as session:
        row = await leave_feed_of(session, user)
    if row is None:
        return None  # the feed was removed: the job ends with it
    url, zone, now = row.url, row.zone, services.clock()
    try:
        events = await fetched_events(services, url, zone, f"leave calendar of {user}")
    except (FeedUnreachable, FeedRefused) as failure:
        await _note_failure(services, user, failure_reason(url, failure), now)
        return now + services.settings.oncall.ical_refresh
    days = event_days(((event.start, event.end) for event in events if event.all_day), zone)
    # An event of hours longer than the longest leave is cut to it, as an all-day one is.
    longest = LONGEST_EVENT_DAYS * 86_400
    hours = merged((e.start, min(e.end, e.start + longest)) for e in events if not e.all_day)
    wanted = FeedLeave(spans_of(days), hours, zone)
    configured = services.settings.oncall.schedules.by_name.values()
    async with session_scope(services.engine) as session:
        row = await leave_feed_of(session, user)
        if row is None or row.url != url:
            return None if row is None else now  # changed meanwhile: fetched again
        await replace_feed_leave(session, configured, user=user, leave=wanted, now=now)
        row.event_count, row.fetched_at, row.checked_at = len(events), now, now
        row.failing_since, row.error = None, None
        session.add(row)
        await session.commit()
    log.info("leave calendar of %s refreshed: %d events", user, len(events))
    services.wake_jobs()
    return now + services.settings.oncall.ical_refresh


async def _note_failure(services: Services, user: str, reason: str, now: datetime) -> None:
    async with session_scope(services.engine) as session:
        row = await leave_feed_of(session, user)
        if row is None:
            return
        row.checked_at, row.error = now, reason
        row.failing_since = row.failing_since or now
        session.add(row)
        await session.commit()
    log.warning("leave calendar of %s: refresh failed (its leave stays): %s", user, reason)
