"""Slash commands and button presses applied in the order they arrived, channel by channel,
on every replica.

A command that acts on a channel's incident (``/incident resolve``, ``/incident time``, the
Acknowledge button...) is kept in its channel's line (bot/store/received_commands.py) as it
arrives, before Slack is answered (unless that takes longer than the answer budget, below),
stamped with when it reached this replica (the real
clock, to the microsecond, never the same twice here): the process's one ``CommandLine``
writer keeps what its requests bring in the order they came (a ``GroupCommit``,
bot/flows/group_commit.py). Then the channel's commands are applied oldest first, by one
replica at a time: the one holding the channel's lease (``command:<channel>``, an outbox
lease, bot/flows/outbox.py). A command arriving while an earlier one is applied waits for
its turn, on whichever replica it arrived; one that fails gets its private error reply and
the next goes on.

One replica keeps what it receives in the order it came, so its commands are applied as
soon as they are kept. With several (``WARROOM_REPLICAS``), a command typed a millisecond
before another may reach a different replica and be kept a little later: so each command
waits until it is ``WARROOM_COMMAND_HOLD`` old (0.5 s) before it is applied, time for the
other replicas to keep what reached them before it. A replica that takes longer than that
to keep a command, or whose clock is that far off, can still see its command applied after
a later one.

The replica that kept a command applies its channel's line at once unless another holds the
lease; that holder looks again after letting the lease go, so a command kept just as it did
is not left behind. ``CommandSweep``, in every replica, applies whatever is still waiting:
after a replica died (its lease expires after a minute) or a restart.

Slack's 3 s: a command waits for its row no longer than ``WARROOM_COMMAND_ANSWER_BUDGET``
(0.5 s). Past it Slack is answered anyway; the command stays in the writer's queue, in memory,
and is written as soon as the database takes it (while the database is away, or stalls: a
lock held elsewhere, which the lock and statement time-outs turn into an error, bot/store/db.py,
the batch is tried again in place for ``WARROOM_COMMAND_RETRY_WINDOW``, what came after
waiting behind it, so the order holds), then its channel's line is applied. Applied or told:
if it cannot be written within that window, or by shutdown's deadline after a SIGTERM
(``finish_by``, bot/flows/group_commit.py), its sender is told privately, through its
response_url, that nothing of it was done; only a SIGKILL before it is written loses it
without a word (docs/operations.md).

At most once, as before the line: a command whose work began on a replica that died before
it ended is not run again (part of it may have been done); its sender is told so privately.
A replica is dead when its ``replica:<name>`` lease ran out (renewed each sweep round, by the
database's clock): a failure in a live replica is no stop. A command leaves the line in the
transaction of its decision (bot/store/received_commands.py), so one applied is never said
cut off; one answered without a decision (a refusal, an error) is forgotten after, and a
failure to forget it is tried again in place while the line waits.

Once: a command or a press is claimed by its Slack ``trigger_id`` in the transaction that
keeps it (bot/store/processed_events.py), so the same signed request sent again (a capture
replayed within Slack's five minutes, on any replica) is not kept a second time: ``receive``
raises ``Replayed`` (or, past the answer budget, the copy is dropped when written).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.flows.channel import DECIDED
from bot.flows.group_commit import BatchOutcome, GroupCommit, Pending, WriterStopped
from bot.flows.outbox import leased
from bot.flows.polling import Poller
from bot.flows.replies import send_reply
from bot.services import Services
from bot.store import outbox, processed_events, received_commands
from bot.store.columns import utcnow
from bot.store.db import session_scope
from bot.store.models import ReceivedCommand
from bot.store.pool import ahead_in_line

log = logging.getLogger(__name__)
# Where a Slack listener finds the process's CommandLine in Bolt's context, and when its
# request reached this replica (``CommandLine.stamp``, taken as the HTTP request came in).
CONTEXT_KEY = "command_line"
ARRIVED_KEY = "arrived_at"
# Channels whose lines one sweep applies at once.
SWEEP_CONCURRENCY = 8
# Forgetting an applied command that failed (the database busy) is tried again after this
# long, doubling up to the most.
FORGET_RETRY_SECONDS = 0.2
FORGET_RETRY_MAX_SECONDS = 5.0

# How long the database gets to say whether a command whose commit's answer was lost (or cut
# short by shutdown) is kept after all, before its sender is told it may not be.
KEPT_CHECK_SECONDS = 1.0

# Slack's claims (event ids, trigger ids) are forgotten this often, by every replica's sweep.
FORGET_CLAIMS_SECONDS = 3600.0

# Applies one kept command: what Slack sent (the payload kept), with its reply to the person.
# It answers every failure itself, privately (bot/flows/replies.py's ``run_in_line``).
Applier = Callable[[Services, dict[str, Any]], Awaitable[None]]


@dataclass(eq=False)
class _Received(Pending):
    """A command waiting for the transaction that keeps it."""

    channel: str
    kind: str
    payload: dict[str, Any]
    received_at: datetime
    # Slack's single-use id of the request that brought it: claimed with its row.
    trigger_id: str = ""
    # Slack was answered before it was kept (the answer budget ran out).
    answered: bool = False
    # A transaction that holds it was tried: a retry first looks whether that one committed.
    tried: bool = False
    # Its COMMIT was sent: if no answer came, it may be kept all the same.
    committing: bool = False

    def __str__(self) -> str:
        return f"{self.kind} in {self.channel}"


class Replayed(Exception):
    """The command's trigger_id was claimed already: the same request sent again."""


class CommandLine(GroupCommit[_Received]):
    """The process's one writer of received commands, and their applier (see the module's
    docstring). ``appliers``: what applies each kind of command."""

    items = "commands"
    answers_slack = True

    def __init__(self, services: Services, appliers: Mapping[str, Applier]) -> None:
        super().__init__()
        # Slack may have been answered already: a database away for a while loses nothing.
        self.keep_trying_for = services.settings.runtime.command_retry_window
        self.services = services
        self.appliers = appliers
        self._last_stamp = utcnow()
        self._renew_at = 0.0  # when this replica's lease is renewed next (monotonic)

    async def receive(
        self,
        channel: str,
        kind: str,
        payload: dict[str, Any],
        arrived: datetime | None = None,
        trigger_id: str = "",
    ) -> bool:
        """Put a command in ``channel``'s line and have the line applied once it is kept:
        answer Slack when this returns. True when it was kept within the answer budget
        (``WARROOM_COMMAND_ANSWER_BUDGET``); False when the budget ran out first: it is kept
        in memory, written as soon as the database takes it (in the order it came), and its
        sender told privately if that fails. A write that fails within the budget raises
        here. ``payload`` is JSON, with the ``response_url`` that answers its sender;
        ``arrived``: its request's ``stamp`` (now if not given). ``trigger_id``: claimed with
        its row; ``Replayed`` raises when it was claimed already (nothing kept)."""
        received = _Received(channel, kind, payload, arrived or self.stamp(), trigger_id)
        kept = asyncio.ensure_future(self._submit(received))
        self.services.background.spawn(
            self._when_kept(kept, received), name=f"commands in {channel}"
        )
        await asyncio.wait({kept}, timeout=self.services.settings.runtime.command_answer_budget)
        if kept.done():
            # Its failure is answered to Slack (the follower says nothing).
            if kept.result():
                raise Replayed(kind)
            return True
        received.answered = True
        log.warning("a %r in %s answered before it was kept (the database is slow)", kind, channel)
        return False

    async def _when_kept(self, kept: asyncio.Future[Any], received: _Received) -> None:
        """Once the command is written, apply its channel's line; if the write failed after
        Slack was answered, tell its sender why (nothing of it was done)."""
        try:
            replayed = await kept
        except Exception as error:
            if received.answered:
                await self._say_not_kept(received, error)
            return
        if replayed:
            log.info(
                "a %r in %s sent again (its trigger_id is claimed): not kept",
                received.kind,
                received.channel,
            )
            return
        if received.answered:
            waited = (utcnow() - received.received_at).total_seconds()
            log.warning(
                "a %r in %s kept %.1f s after it came", received.kind, received.channel, waited
            )
        await self.apply(received.channel)

    async def _say_not_kept(self, received: _Received, error: BaseException) -> None:
        """Tell the sender of an answered command that it was not kept, so not done (unless a
        commit whose answer was lost kept it after all: then it waits in its line)."""
        kept = await self._kept_after_all(received) if received.committing else False
        if kept:
            log.warning("a %r in %s is kept after all", received.kind, received.channel)
            return
        reference = uuid.uuid4().hex[:8]
        log.error(
            "a %r in %s, answered, could not be kept (ref %s): %r",
            received.kind,
            received.channel,
            reference,
            error,
        )
        reply = self.services.renderer.render(
            "messages/command_not_kept.j2",
            command=received.payload.get("command"),
            error=type(error).__name__,
            stopping=isinstance(error, WriterStopped),
            certain=kept is False,
            reference=reference,
        )
        await send_reply(self.services, str(received.payload.get("response_url") or ""), reply)

    async def _kept_after_all(self, received: _Received) -> bool | None:
        """Whether the command is in its line after all; None when the database does not
        say within ``KEPT_CHECK_SECONDS``."""
        try:
            async with (
                asyncio.timeout(KEPT_CHECK_SECONDS),
                session_scope(self.services.engine) as session,
            ):
                kept = await received_commands.kept_at(session, [received.received_at])
        except Exception as error:
            log.warning("could not look whether a command is kept: %s", type(error).__name__)
            return None
        return (received.channel, received.kind, received.received_at) in kept

    def stamp(self) -> datetime:
        """Now, by the real clock; later than any earlier stamp of this process even when the
        clock was set back (the order of what this replica received is never in doubt).
        Taken as a Slack request comes in, before anything of it is awaited: the order the
        requests reached the replica, not the order Bolt got through them."""
        self._last_stamp = max(utcnow(), self._last_stamp + timedelta(microseconds=1))
        return self._last_stamp

    @property
    def hold(self) -> timedelta:
        """How old a command must be before it is applied (see the module's docstring)."""
        settings = self.services.settings
        return timedelta(
            seconds=settings.runtime.command_hold if settings.runtime.replicas > 1 else 0
        )

    async def _transaction(self, batch: list[_Received]) -> BatchOutcome:
        async with session_scope(self.services.engine) as session:
            new = batch
            if any(p.tried for p in batch):
                # The try before may have committed with its answer lost: not kept twice.
                kept = await received_commands.kept_at(session, [p.received_at for p in batch])
                new = [p for p in batch if (p.channel, p.kind, p.received_at) not in kept]
            for pending in batch:
                pending.tried = True
            # Claimed with the rows (``ON CONFLICT DO NOTHING``: a replica claiming the same id
            # at once waits for this one's end, then finds it taken).
            replayed = {
                p
                for p in new
                if p.trigger_id and not await processed_events.claim_trigger(session, p.trigger_id)
            }
            new = [p for p in new if p not in replayed]
            received = [(p.channel, p.kind, p.payload, p.received_at) for p in new]
            await received_commands.keep(session, received)
            for pending in new:
                pending.committing = True
            await session.commit()
        return BatchOutcome(results={p: p in replayed for p in batch})

    async def apply(self, channel: str) -> None:
        """Apply the channel's waiting commands, oldest first, unless another replica is."""
        name = received_commands.lease_name(channel)
        # One applier of the channel in this process; the lease keeps the other replicas out.
        lock = self.services.outbox_locks.setdefault(name, asyncio.Lock())
        while True:
            async with lock, leased(self.services, name) as held:
                if not held:
                    return  # the holder applies them, and looks again before letting go
                while await self._apply_next(channel):
                    pass
            # Looked at again once let go: a command kept meanwhile by a replica that found
            # the lease taken is applied by nobody else.
            if not await self._waiting(channel):
                return

    def _applying(self, channel: str) -> bool:
        """Whether this process is applying the channel's line now."""
        lock = self.services.outbox_locks.get(received_commands.lease_name(channel))
        return lock is not None and lock.locked()

    async def _waiting(self, channel: str) -> bool:
        async with session_scope(self.services.engine) as session:
            return await self._next_for_here(session, channel) is not None

    async def _next_for_here(self, session: AsyncSession, channel: str) -> ReceivedCommand | None:
        """The channel's oldest command, unless another live replica is applying it (that one
        forgets it; the sweep comes back to the line after)."""
        row = await received_commands.next_in_line(session, channel)
        if row is None or row.started_at is None or row.started_by == self.services.replica:
            return row
        return None if await self._alive(session, row.started_by) else row

    async def _apply_next(self, channel: str) -> bool:
        """Apply the channel's oldest waiting command; False when none waits, or when the
        oldest is another live replica's to finish."""
        async with session_scope(self.services.engine) as session:
            row = await self._next_for_here(session, channel)
            if row is None:
                return False
            young = row.received_at + self.hold - utcnow()
            started = row.started_at is not None
            if young <= timedelta(0) and not started:
                received_commands.mark_started(row, self.services.replica, utcnow())
                session.add(row)
                await session.commit()
        if young > timedelta(0) and not started:
            # One typed before it may still be on its way from another replica: looked at
            # again once it is old enough (the session closed meanwhile).
            await asyncio.sleep(young.total_seconds())
            return True
        if started and row.started_by != self.services.replica:
            await self._say_cut_off(row)
        elif not started:
            await self._apply(row)
        # Out of the line (a no-op when its decision's transaction took it out already).
        await self._forget(row)
        return True

    async def _alive(self, session: AsyncSession, replica: str | None) -> bool:
        """Whether ``replica`` still runs (its lease is live, by the database's clock)."""
        if replica is None:
            return False  # started before replicas were named: as before, cut off
        return await outbox.holds(session, received_commands.replica_lease(replica), replica)

    async def keep_alive(self) -> None:
        """Renew this replica's lease, which says its commands being applied are not cut off
        (from sweep rounds, a third of the lease apart: it outlives two missed renewals)."""
        if time.monotonic() < self._renew_at:
            return
        name = received_commands.replica_lease(self.services.replica)
        await outbox.take_channel(self.services.engine, name, self.services.replica)
        self._renew_at = time.monotonic() + outbox.LEASE.total_seconds() / 3

    async def _forget(self, row: ReceivedCommand) -> None:
        """Take the command out of its line; tried again in place while this replica lives (a
        database busy or restarting), so the line waits rather than calling it cut off."""
        pause = FORGET_RETRY_SECONDS
        while True:
            try:
                async with session_scope(self.services.engine) as session:
                    await received_commands.forget(session, row)
                    await session.commit()
                return
            except Exception as error:
                log.warning(
                    "forgetting the applied %r in %s failed (%s); trying again in %.1f s",
                    row.kind,
                    row.channel,
                    type(error).__name__,
                    pause,
                )
            await asyncio.sleep(pause)
            pause = min(pause * 2, FORGET_RETRY_MAX_SECONDS)

    async def _apply(self, row: ReceivedCommand) -> None:
        """Apply the command until its decisions are committed (it hands its first writes to
        Slack: bot/flows/channel.py's ``deliver_now``) or it ends; what is left of it (its
        writes sent at Slack's pace, its reply) goes on beside the next command. A burst of
        commands is applied in milliseconds, and the header edits it queues become one."""
        decided = asyncio.Event()
        token = DECIDED.set(decided)  # the task made below runs in a copy of this context
        try:
            with received_commands.forgotten_with_decision(row):
                work = self.services.background.spawn(
                    self._apply_to_the_end(row), name=f"{row.kind} in {row.channel}"
                )
        finally:
            DECIDED.reset(token)
        committed = asyncio.ensure_future(decided.wait())
        try:
            await asyncio.wait({work, committed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            committed.cancel()

    async def _apply_to_the_end(self, row: ReceivedCommand) -> None:
        applier = self.appliers.get(row.kind)
        if applier is None:
            log.error("no applier for the kept command %r in %s: dropped", row.kind, row.channel)
            return
        try:
            await applier(self.services, received_commands.payload_of(row))
        except Exception:
            # An applier answers failures itself; one that still raises must not stop the line.
            log.exception("applying %r in %s failed", row.kind, row.channel)

    async def _say_cut_off(self, row: ReceivedCommand) -> None:
        """The command's replica stopped while applying it: tell its sender, run nothing."""
        payload = received_commands.payload_of(row)
        log.warning("a %r in %s was cut off by a stop; not run again", row.kind, row.channel)
        reply = self.services.renderer.render(
            "messages/command_cut_off.j2", command=payload.get("command"), kind=row.kind
        )
        url = str(payload.get("response_url") or "")
        self.services.background.spawn(send_reply(self.services, url, reply), name="reply")

    async def sweep(self) -> int:
        """Apply every channel's waiting commands; how many channels had some (those this
        process is applying now are left to it: it looks again before it stops)."""
        async with session_scope(self.services.engine) as session:
            waiting = await received_commands.waiting_channels(session)
        channels = [channel for channel in waiting if not self._applying(channel)]
        gate = asyncio.Semaphore(SWEEP_CONCURRENCY)

        async def one(channel: str) -> None:
            async with gate:
                await self.apply(channel)

        outcomes = await asyncio.gather(*(one(c) for c in channels), return_exceptions=True)
        for channel, outcome in zip(channels, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                log.error("applying the commands of %s failed: %r", channel, outcome)
        return len(channels)


async def claim_alone(services: Services, trigger_id: str) -> bool | None:
    """Claim a request that is not kept in a line (it runs at once) by its ``trigger_id``, in
    a transaction of its own before it runs: True the first time, False when it was claimed
    already (the same request sent again). None when the database did not answer within the
    answer budget: the request runs unclaimed, since a replay guard that refused a person's
    command because the database is slow would do more harm than the replay it stops."""
    try:
        # A person waits for the answer: its wait for a connection goes first, as the line's.
        with ahead_in_line():
            async with (
                asyncio.timeout(services.settings.runtime.command_answer_budget),
                session_scope(services.engine) as session,
            ):
                first = await processed_events.claim_trigger(session, trigger_id)
                await session.commit()
    except Exception as error:
        log.warning("could not claim a request's trigger_id: %s", type(error).__name__)
        return None
    return first


class CommandSweep(Poller):
    """Applies the commands left waiting (a replica died, a restart), in each replica."""

    name = "warroom command sweep"

    def __init__(self, services: Services, line: CommandLine) -> None:
        super().__init__(services)
        self.line = line
        self._forget_claims_at = 0.0  # when Slack's old claims are forgotten next (monotonic)

    async def round(self) -> None:
        try:
            await self.line.keep_alive()
        except Exception as error:  # tried again next round, well within the lease
            log.warning("renewing this replica's lease failed: %s", type(error).__name__)
        try:
            await self.forget_old_claims()
        except Exception as error:  # tried again next round: old claims only take room
            log.warning("forgetting Slack's old claims failed: %s", type(error).__name__)
        await self.line.sweep()

    async def forget_old_claims(self) -> None:
        """Forget Slack's claims older than a day (bot/store/processed_events.py), once an
        hour: a replay older than five minutes is refused by its signature before it is
        claimed."""
        if time.monotonic() < self._forget_claims_at:
            return
        self._forget_claims_at = time.monotonic() + FORGET_CLAIMS_SECONDS
        before = utcnow() - processed_events.SLACK_CLAIMS_KEPT
        async with session_scope(self.services.engine) as session:
            forgotten = await processed_events.forget_slack_claims(session, before)
            await session.commit()
        if forgotten:
            log.info("forgot %d of Slack's claims older than a day", forgotten)
