"""Group commit for Slack events: one writer per process applies many events per transaction.

Every Events API delivery (HTTP and Socket Mode alike) is handed to the process's one
``IngestWriter`` with a future, and its listener waits on that future; Bolt answers Slack only
after the listener returns (``process_before_response``), so nothing is answered 2xx before the
transaction holding it has committed. The writer takes what is queued when it is free (plus
whatever arrives within ``window`` seconds, up to ``max_batch`` events) and applies it in one
transaction:

- the incident of each channel, from memory. A channel's incident never changes once set
  (``channel_id`` is unique and written once), so a positive answer is kept for good; "not an
  incident channel" is never kept (an incident may open there any moment, on any replica), so
  the unknown channels of a batch are asked of the database in one ``SELECT ... IN``;
- plain messages and reactions that put nothing in the timeline (the bulk of the traffic) with
  a few Core statements for the whole batch: one SELECT for which reacted messages are stored
  (a reaction on one that is not raises ``MessageNotStored``: its listener fetches it from
  Slack outside any transaction and applies it through ``apply``), the event-id claims
  (``INSERT ... ON CONFLICT DO NOTHING RETURNING event_id``: only what comes back is new), and
  the rows of the new ones (``ON CONFLICT DO NOTHING`` on their unique keys);
- edits, deletions and reactions that change the timeline through the record's own functions,
  each with its claim inside a SAVEPOINT of its own, so one that fails is rolled back alone and
  answered 5xx while the others commit.

Exactly once stays the database's job: an event id delivered twice in one batch is applied once
(deduped here), and one claimed by an earlier batch or another replica is left alone by the
conflict clause. If the batch cannot commit, its events are tried again one per transaction;
one that still fails raises to its listener (a 5xx: Slack redelivers it). When the error says
the database is gone (a lost or refused connection), the rest of the batch fails at once
instead: trying each alone would only make every request wait for the same time-out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.incidents import incident_ids_by_channel
from bot.record.messages import SaidMessage, keep_messages, stored_messages
from bot.record.reactions import SeenReaction, keep_reactions
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import Incident
from bot.store.processed_events import claim_event, claim_events

log = logging.getLogger(__name__)
T = TypeVar("T")
# Work on one event inside the batch's transaction: the session and the channel's incident.
Work = Callable[[AsyncSession, Incident], Awaitable[Any]]
# Enough to amortise a transaction's fixed cost; small enough that a batch retried one event
# at a time still answers within Slack's 3 seconds.
MAX_BATCH = 256


class MessageNotStored(Exception):
    """A reaction on a message the record does not have (yet): fetch it, then ``apply``."""


class WriterClosed(RuntimeError):
    """The process is shutting down: the event is answered 5xx and Slack redelivers it."""


@dataclass(eq=False)
class _Pending:
    """One event waiting for its batch: what to apply, and the future its listener awaits."""

    event_id: str
    channel: str
    said: SaidMessage | None = None
    reaction: SeenReaction | None = None
    work: Work | None = None
    future: asyncio.Future[Any] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


@dataclass
class _Outcome:
    """What a batch decided for each event, delivered only after the commit."""

    results: dict[_Pending, Any] = field(default_factory=dict)
    errors: dict[_Pending, BaseException] = field(default_factory=dict)


class IngestWriter:
    """The process's one writer of Slack events (see the module's docstring)."""

    def __init__(
        self, services: Services, *, window: float = 0.0, max_batch: int = MAX_BATCH
    ) -> None:
        # window 0: a batch is what queued up while the previous one was being written, so
        # one event alone is written at once (no added latency) and batches grow with load.
        self.services = services
        self.window = window
        self.max_batch = max_batch
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue()
        self._incidents: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    def start(self) -> None:
        """Start writing (in the application's event loop)."""
        self._task = asyncio.create_task(self._run(), name="ingest writer")

    async def stop(self) -> None:
        """Take no more events; write those already queued, then end."""
        if self._task is None or self._closed:
            return
        self._closed = True
        self._queue.put_nowait(None)
        await self._task

    async def said(self, event_id: str, said: SaidMessage) -> None:
        """Keep a message said in ``said.channel`` (nothing if it is no incident's channel)."""
        await self._submit(_Pending(event_id, said.channel, said=said))

    async def react(self, event_id: str, reaction: SeenReaction) -> None:
        """Keep a reaction that puts nothing in the timeline; ``MessageNotStored`` if its
        message is not in the record."""
        await self._submit(_Pending(event_id, reaction.channel, reaction=reaction))

    async def apply(self, event_id: str, channel: str, work: Work) -> Any:
        """Claim ``event_id`` and run ``work`` in a batch; its result once committed.

        None when the channel is no incident's or the event was applied already (``work``
        itself should return something else). An exception ``work`` raises is raised here,
        after the rest of the batch committed without it.
        """
        return await self._submit(_Pending(event_id, channel, work=work))

    async def _submit(self, pending: _Pending) -> Any:
        if self._closed or self._task is None:
            raise WriterClosed("the event writer is not running")
        self._queue.put_nowait(pending)
        # Shielded: a request given up on (a client gone) must not cancel its part of a batch.
        return await asyncio.shield(pending.future)

    async def _run(self) -> None:
        while True:
            first = await self._queue.get()
            if first is None:
                return
            batch, stopping = await self._gather(first)
            await self._write(batch)
            if stopping:
                return

    async def _gather(self, first: _Pending) -> tuple[list[_Pending], bool]:
        """``first`` and what else arrives within the window, up to ``max_batch`` events."""
        # One turn of the loop lets requests already read reach the queue.
        await asyncio.sleep(0)
        batch = [first]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.window
        while len(batch) < self.max_batch:
            try:
                item = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    item = await asyncio.wait_for(self._queue.get(), remaining)
                except TimeoutError:
                    break
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    async def _write(self, batch: list[_Pending]) -> None:
        """Write ``batch`` in one transaction; if that fails, each event in its own."""
        try:
            outcome = await self._transaction(batch)
        except Exception as error:
            if len(batch) == 1 or _database_gone(error):
                log.warning("could not store %d Slack events: %r", len(batch), error)
                _fail(batch, error)
                return
            log.warning("a batch of %d Slack events failed (%r); one at a time", len(batch), error)
            await self._one_by_one(batch)
            return
        _deliver(outcome)

    async def _one_by_one(self, batch: list[_Pending]) -> None:
        for index, pending in enumerate(batch):
            try:
                _deliver(await self._transaction([pending]))
            except Exception as error:
                log.warning("could not store Slack event %s: %r", pending.event_id, error)
                if _database_gone(error):
                    _fail(batch[index:], error)
                    return
                _fail([pending], error)

    async def _transaction(self, batch: list[_Pending]) -> _Outcome:
        """Apply ``batch`` in one transaction and commit; what each event's future gets."""
        outcome = _Outcome()
        unique = _dedupe(batch, outcome)
        async with session_scope(self.services.engine) as session:
            incidents = await self._incidents_of(session, {p.channel for p in unique})
            mine = [p for p in unique if p.channel in incidents]
            # Answered as soon as the batch commits: messages, and what is no incident's.
            outcome.results.update(
                (p, None) for p in unique if p.work is None or p.channel not in incidents
            )
            plain = [p for p in mine if p.work is None]
            await self._keep_plain(session, plain, incidents, outcome)
            for pending in (p for p in mine if p.work is not None):
                await self._apply_one(session, pending, incidents[pending.channel], outcome)
            await session.commit()
        return outcome

    async def _incidents_of(self, session: AsyncSession, channels: set[str]) -> dict[str, int]:
        unknown = channels - self._incidents.keys()
        if unknown:
            self._incidents.update(await incident_ids_by_channel(session, unknown))
        return {channel: self._incidents[channel] for channel in channels & self._incidents.keys()}

    async def _keep_plain(
        self,
        session: AsyncSession,
        plain: list[_Pending],
        incidents: dict[str, int],
        outcome: _Outcome,
    ) -> None:
        """Claims and rows of messages and plain reactions: a few statements for them all."""
        if not plain:
            return
        connection = await session.connection()
        reacted = {(p.channel, p.reaction.ts) for p in plain if p.reaction}
        # A message said earlier in this batch counts: its row is written below, before the
        # reactions' (a said event claimed already had its row committed with the claim).
        said_here = {(p.channel, p.said.ts) for p in plain if p.said}
        stored = said_here | await stored_messages(connection, reacted - said_here)
        unseen = [p for p in plain if p.reaction and (p.channel, p.reaction.ts) not in stored]
        for pending in unseen:
            del outcome.results[pending]
            outcome.errors[pending] = MessageNotStored()
        plain = [p for p in plain if p not in outcome.errors]
        now = self.services.clock()
        new = await claim_events(connection, [p.event_id for p in plain], now)
        fresh = [p for p in plain if p.event_id in new]
        said = [(incidents[p.channel], p.said) for p in fresh if p.said]
        await keep_messages(connection, said, now)
        seen = [(incidents[p.channel], p.reaction) for p in fresh if p.reaction]
        await keep_reactions(connection, seen)

    async def _apply_one(
        self, session: AsyncSession, pending: _Pending, incident_id: int, outcome: _Outcome
    ) -> None:
        """One edit, deletion or reaction, with its claim, in a savepoint of its own."""
        assert pending.work is not None
        try:
            # From the session's identity map after the first: one SELECT per batch, and
            # fresh after a savepoint rolled back (an expired row is read again).
            incident = await session.get(Incident, incident_id)
            assert incident is not None
            async with session.begin_nested():
                if not await claim_event(session, pending.event_id):
                    outcome.results[pending] = None
                    return
                outcome.results[pending] = await pending.work(session, incident)
        except Exception as error:
            if _database_gone(error):
                raise  # the whole batch fails; nothing in it can commit
            outcome.errors[pending] = error


def _dedupe(batch: list[_Pending], outcome: _Outcome) -> list[_Pending]:
    """The first delivery of each event id; later copies are answered as a retry would be."""
    seen: set[str] = set()
    unique: list[_Pending] = []
    for pending in batch:
        if pending.event_id in seen:
            outcome.results[pending] = None
        else:
            seen.add(pending.event_id)
            unique.append(pending)
    return unique


def _deliver(outcome: _Outcome) -> None:
    for pending, result in outcome.results.items():
        if not pending.future.done():
            pending.future.set_result(result)
    for pending, error in outcome.errors.items():
        if not pending.future.done():
            pending.future.set_exception(error)


def _fail(batch: list[_Pending], error: BaseException) -> None:
    for pending in batch:
        if not pending.future.done():
            pending.future.set_exception(error)


def _database_gone(error: BaseException) -> bool:
    """A lost or refused connection, rather than something wrong with one event."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(
        error, OperationalError | InterfaceError | PoolTimeout | OSError | TimeoutError
    )
