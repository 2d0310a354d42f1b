"""Sending the outbox: each channel's writes in order, now if Slack takes them, later if not.

A flow keeps its writes (``bot/store/outbox.py``) and calls ``deliver``, which sends the channel's
waiting rows at once, so people see the bot answer as before. A write Slack refuses for now
(429, 5xx, no connection) waits with backoff, and so does everything after it in that
channel; ``OutboxSender`` in every replica sends what is due, after a restart too. A write
Slack refuses for good (the channel is archived) is given up, logged, and the rest go on. A
write Slack refuses until a person mends something (scopes, the workspace's settings or plan)
is set aside, said once in the channel, and the rest go on; an edit or pin of it waits with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.basics.backoff import backoff
from bot.clients.slack.errors import (
    SlackFailure,
    SlackGone,
    SlackNotAllowed,
    SlackRateLimited,
    SlackRefused,
    SlackTokenRevoked,
    SlackTurnLater,
)
from bot.flows import installation
from bot.flows.polling import Poller
from bot.record.incident import findings, incidents
from bot.record.postmortem import prompts
from bot.services import Services
from bot.store import outbox
from bot.store.db import session_scope
from bot.store.models import ActionItem, Escalation, Incident, OutboxMessage, TimelineEntry

log = logging.getLogger(__name__)
# Longest wait between two tries of one write: Slack outages are minutes, not hours.
BACKOFF_MAX = timedelta(seconds=60)
# Kept trying this long; then a write is given up (it would only block its channel).
GIVE_UP_AFTER = timedelta(days=1)
GIVE_UP_SECONDS = GIVE_UP_AFTER.total_seconds()
SWEEP_CONCURRENCY = 8


async def deliver(services: Services, channel: str) -> None:
    """Send the channel's waiting writes, in order, until one must wait."""
    if services.presence.stopped:
        return  # the app is gone from Slack: the writes wait for it to be installed again
    lock = services.outbox_locks.setdefault(channel, asyncio.Lock())
    async with lock, leased(services, channel) as held:
        if not held:
            return  # another replica is sending this channel's writes now
        while await _send_next(services, channel):
            pass


@contextlib.asynccontextmanager
async def leased(services: Services, name: str) -> AsyncIterator[bool]:
    """Hold the lease ``name`` (a channel's outbox; ``command:<channel>``, its commands) for
    the block: True when this replica took it, False when another live one holds it. Renewed
    while held (one write may wait out many Retry-Afters in the client, one command may be
    slow), so a replica killed in the block holds it a minute at most; given back after."""
    if not await outbox.take_channel(services.engine, name, services.replica):
        yield False
        return
    heartbeat = asyncio.create_task(_keep_lease(services, name))
    try:
        yield True
    finally:
        heartbeat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await heartbeat
        await outbox.release_channel(services.engine, name, services.replica)


async def _keep_lease(services: Services, name: str) -> None:
    while True:
        await asyncio.sleep(outbox.LEASE.total_seconds() / 3)
        with contextlib.suppress(Exception):  # the next beat tries again
            await outbox.take_channel(services.engine, name, services.replica)


async def _send_next(services: Services, channel: str) -> bool:
    """Send the channel's next waiting write; False when none is due or it must wait."""
    async with session_scope(services.engine) as session:
        row = await outbox.next_waiting(session, channel)
        if row is None or row.due_at > services.clock():
            return False
        if await outbox.superseded(session, row):
            outbox.mark_sent(row, None, services.clock())
            row.last_error = "replaced by a later write before it was sent"
            await session.commit()
            return True
        acted_on = await session.get(OutboxMessage, row.ts_of) if row.ts_of else None
    if acted_on is not None and acted_on.result_ts is None:
        await _without_its_message(services, row, acted_on)
        return True
    try:
        ts = await _call(services, row, acted_on.result_ts if acted_on else None)
    except Exception as error:
        return await _not_taken(services, row, error)
    await _settle(services, row, ts=ts)
    return True


async def _without_its_message(
    services: Services, row: OutboxMessage, acted_on: OutboxMessage
) -> None:
    """An edit or pin of a message never posted: it waits with that message when that one is
    set aside (a person may mend it), else it cannot happen."""
    if acted_on.set_aside_at is not None:
        reason = f"waits for message {acted_on.id} ({acted_on.last_error})"
        await _set_aside(services, row, reason, tell=False)
    else:
        await _settle(services, row, given_up=f"message {acted_on.id} was never posted")


async def _not_taken(services: Services, row: OutboxMessage, error: Exception) -> bool:
    """Settle a write Slack did not take; True when the channel's next write may go now."""
    channel = row.channel
    if isinstance(error, SlackTokenRevoked):
        # The app is gone: no write anywhere can go until it is installed again.
        await installation.stop(services, reason=error.code)
        await _settle(services, row, wait=timedelta(0), error=error.code)
        return False
    if isinstance(error, SlackNotAllowed):
        # Scopes, settings, plan: a person must mend it, and this write alone is refused.
        log.warning(
            "Slack refused %s in %s until a person mends it: %s", row.method, channel, error.code
        )
        await _set_aside(services, row, error.code, tell=True)
        return True
    if isinstance(error, SlackTurnLater):
        # Not tried: its turn in warroom's own pace of Slack's limits comes later (a job's
        # delivery, which does not wait that long); the sender sends it then.
        log.debug("%s in %s waits %.1f s for its turn", row.method, channel, error.retry_after)
        await _settle(services, row, untried=timedelta(seconds=error.retry_after or 1))
        return False
    wait = _wait_for(error, row.attempts)
    if wait is not None and services.clock() - row.created_at > GIVE_UP_AFTER:
        wait = None  # a day of trying: the message is stale and blocks the channel
    if wait is None:
        log.error("Slack refused %s in %s for good: %s", row.method, channel, _named(error))
        await _settle(services, row, given_up=_named(error))
        return True
    log.warning("%s in %s waits %.0f s: %s", row.method, channel, wait, _named(error))
    await _settle(services, row, wait=timedelta(seconds=wait), error=_named(error))
    return False


async def _set_aside(services: Services, row: OutboxMessage, reason: str, *, tell: bool) -> None:
    """Take the write out of its channel's line; say so there once per reason."""
    now = services.clock()
    async with session_scope(services.engine) as session:
        session.add(row)
        outbox.mark_set_aside(row, now, reason)
        if tell:
            await _say_set_aside(session, services, row, reason)
        await session.commit()


async def _say_set_aside(session: Any, services: Services, row: OutboxMessage, code: str) -> None:
    """Tell the channel (naming its commander) what Slack refused, once per reason: the
    notice is a write of its own, and one refused in turn is set aside without a word."""
    said = f"set_aside:{row.channel}:{code}"
    if await outbox.written_for(session, said) is not None:
        return
    incident = await session.get(Incident, row.incident_id) if row.incident_id else None
    text = services.renderer.render(
        "messages/write_set_aside.j2",
        method=row.method,
        code=code,
        commander=incident.commander if incident else None,
    )
    await outbox.enqueue(
        session,
        channel=row.channel,
        method=outbox.POST,
        payload={"text": text},
        now=services.clock(),
        after=said,
        incident_id=row.incident_id,
    )


async def _call(services: Services, row: OutboxMessage, acted_on_ts: str | None) -> str | None:
    slack, args = services.slack, outbox.arguments(row)
    ts = acted_on_ts or args.pop("ts", None)
    # Pinning what is pinned and inviting who is in are no failures: the client says so.
    if row.method == outbox.POST:
        return await slack.post(row.channel, args.pop("text"), **args)
    if row.method == outbox.UPDATE:
        await slack.update(row.channel, str(ts), args.pop("text"), **args)
    elif row.method == outbox.PIN:
        await slack.pin(row.channel, str(ts))
    elif row.method == outbox.TOPIC:
        await slack.set_topic(row.channel, args["topic"])
    elif row.method == outbox.INVITE:
        invitation = await slack.invite(row.channel, args["users"])
        for user, reason in invitation.refused:
            log.warning("Slack would not invite %s to %s: %s", user, row.channel, reason)
        # Sent, and who was refused (kept with the row: a workflow says so in the channel).
        row.last_error = refusals(invitation.refused) or None
    elif row.method == outbox.BOOKMARK:
        await slack.add_bookmark(row.channel, args["title"], args["link"])
    else:
        raise ValueError(f"unknown outbox method {row.method!r}")
    return ts


def refusals(refused: Sequence[tuple[str, str]]) -> str:
    """``U0BOB (user_not_found), U0EVE (cant_invite)``: whom Slack would not invite, and why."""
    return ", ".join(f"{user} ({reason})" for user, reason in refused)


def _wait_for(error: Exception, attempts: int) -> float | None:
    """Seconds to wait before trying again, or None when trying again cannot help."""
    wait = backoff(attempts, first=timedelta(seconds=1), longest=BACKOFF_MAX).total_seconds()
    if isinstance(error, SlackRateLimited):
        # Whatever Slack says, the write is given up after a day anyway.
        return min(error.retry_after, GIVE_UP_SECONDS) if error.retry_after is not None else wait
    if isinstance(error, SlackGone | SlackRefused):
        return None
    if not isinstance(error, SlackFailure):
        log.warning("outbox write failed: %r", error)
    # Slack down or failing: the same write may work later.
    return wait


def _named(error: Exception) -> str:
    return error.code if isinstance(error, SlackFailure) else type(error).__name__


async def _settle(
    services: Services,
    row: OutboxMessage,
    *,
    ts: str | None = None,
    wait: timedelta | None = None,
    untried: timedelta | None = None,
    error: str = "",
    given_up: str = "",
) -> None:
    """Record how the write went (``untried``: not tried, due again then), and what its
    message means for the record."""
    now = services.clock()
    async with session_scope(services.engine) as session:
        session.add(row)
        if given_up:
            outbox.mark_given_up(row, now, given_up)
        elif untried is not None:
            row.due_at = now + untried
        elif wait is not None:
            outbox.mark_waiting(row, now + wait, error)
        else:
            outbox.mark_sent(row, ts, now)
            if row.after and ts:
                await _remember(session, row.after, row.channel, ts)
        await session.commit()


async def _remember(session: Any, after: str, channel: str, ts: str) -> None:
    """What a sent message means for the record: the header's ts, a finding's link..."""
    kind, _, key = after.partition(":")
    if kind == "header":
        incident = await session.get(Incident, int(key))
        if incident is not None and incident.header_ts is None:
            await incidents.remember_header(session, incident, ts)
    elif kind == "escalation":
        escalation = await session.get(Escalation, int(key))
        if escalation is not None:
            escalation.message_ts = ts
            session.add(escalation)
    elif kind == "draft_prompt":
        await prompts.shown_at(session, int(key), ts)
    elif kind in {"timeline_entry", "action_item"}:
        # One message may show several rows (the wrap-up form's answers): their ids, by commas.
        table = TimelineEntry if kind == "timeline_entry" else ActionItem
        for each in key.split(","):
            row = await session.get(table, int(each))
            if row is not None:
                findings.link_to_message(row, channel, ts)
                session.add(row)


# -- the sender ----------------------------------------------------------------------------
class OutboxSender(Poller):
    """Sends every channel's due writes, in each replica, until stopped."""

    name = "warroom outbox"

    async def round(self) -> None:
        await self.send_due()

    async def send_due(self, now: datetime | None = None) -> int:
        """Send the writes due now, channel by channel; return how many channels had some."""
        if self.services.presence.stopped:
            return 0  # the app is gone from Slack: everything waits for it to come back
        async with session_scope(self.services.engine) as session:
            channels = await outbox.due_channels(session, now or self.services.clock())
        gate = asyncio.Semaphore(SWEEP_CONCURRENCY)

        async def one(channel: str) -> None:
            async with gate:
                await deliver(self.services, channel)

        outcomes = await asyncio.gather(*(one(c) for c in channels), return_exceptions=True)
        for channel, outcome in zip(channels, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                log.error("sending the outbox of %s failed: %r", channel, outcome)
        return len(channels)
