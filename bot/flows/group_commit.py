"""Group commit: one writer per process applies what many requests bring in one transaction.

A request hands its item to the writer with a future and waits on it; the writer takes what
is queued when it is free, plus whatever arrives within ``linger`` seconds (up to
``max_batch`` items), applies it in one transaction and, only once that has committed,
gives each future its answer. So nothing is answered as stored before it is, and a burst
costs a few commits instead of one each: on SQLite, with its one connection, hundreds of
single commits queue for that connection ahead of everything else (bench/RESULTS.md).

If a batch cannot commit, its items are tried again one per transaction, and one that still
fails raises to its request. When the error says the database is gone (a lost or refused
connection) or gave up waiting (a lock or statement time-out: a stall, bot/store/db.py), the
rest of the batch fails at once instead: trying each alone would only make every request wait
for the same time-out.

Stopping is bounded: once shutdown begins (``finish_by``) a writer writes what it holds until
its deadline; then the transaction in progress is cancelled (never committed after: nothing
else of it is sent) and every item not written fails with ``WriterStopped``, so that its
request, or whoever answered it, can say so before the process exits.

What a batch does is the subclass's ``_transaction``: Slack events (bot/flows/ingestion.py)
and alert webhooks (bot/flows/alerting/intake.py).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.basics.background import UNWIND_SECONDS
from bot.store.db import gave_up_waiting
from bot.store.pool import ahead_in_line

log = logging.getLogger(__name__)
# Enough to amortise a transaction's fixed cost; small enough that a batch retried one item
# at a time still answers within Slack's 3 seconds.
MAX_BATCH = 256
# A batch the database refused (``keep_trying_for``) is tried again after this long, doubling
# up to the most.
RETRY_SECONDS = 0.2
RETRY_MAX_SECONDS = 5.0


class WriterClosed(RuntimeError):
    """The process is shutting down: the request is answered 5xx and its sender retries."""


class WriterStopped(WriterClosed):
    """Shutdown's deadline came before the item was written: it was not."""


@dataclass(eq=False)
class Pending:
    """One item waiting for its batch, and the future its request awaits; its ``str`` names
    it in a log line."""

    future: asyncio.Future[Any] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future(), kw_only=True
    )


@dataclass
class BatchOutcome:
    """What a batch decided for each item, delivered only after the commit."""

    results: dict[Any, Any] = field(default_factory=dict)
    errors: dict[Any, BaseException] = field(default_factory=dict)


P = TypeVar("P", bound=Pending)


class GroupCommit(Generic[P]):
    """A process's one writer of some kind of item (see the module's docstring)."""

    # What the items are, for log lines ("could not store 3 Slack events").
    items = "items"
    # Whether a commit answers Slack (within its 3 s): its waits for a connection go ahead.
    answers_slack = False
    # How long a batch is tried again in place while the database is gone, before its items
    # fail (0: at once). For a writer whose requests were answered before their items were
    # written (bot/flows/in_order.py), so that a short outage loses nothing.
    keep_trying_for = 0.0

    def __init__(self, *, linger: float = 0.0, max_batch: int = MAX_BATCH) -> None:
        # A batch is what queued up while the previous one was being written, so batches
        # grow with load, plus what comes within ``linger`` seconds of the writer taking its
        # first item, so that a stream of requests shares fewer, bigger transactions (each
        # costs its BEGIN, COMMIT and statements whatever its size). The linger applies also
        # when the first item found the writer idle: the senders a commit answers send again
        # together, and the first of them, written alone, made every other batch a batch of
        # one (bench/RESULTS.md). A writer of none (``linger`` 0) writes an item at once.
        self.linger = linger
        self.max_batch = max_batch
        self._queue: asyncio.Queue[P | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        # Set while the writer lingers: settled when the linger ends or the batch is full.
        self._lingering: asyncio.Future[None] | None = None
        # The batch being written, and when shutdown wants it written by (loop time).
        self._in_hand: list[P] = []
        self._deadline: float | None = None
        self._deadline_timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        """Start writing (in the application's event loop)."""
        self._task = asyncio.create_task(self._run(), name=f"writer of {self.items}")

    def finish_by(self, deadline: float) -> None:
        """Shutdown has begun: what is queued is written until ``deadline`` (loop time), then
        given up (see the module's docstring). New items are taken until ``stop``."""
        if self._task is None or self._task.done():
            return
        self._deadline = deadline
        loop = asyncio.get_running_loop()
        self._deadline_timer = loop.call_at(deadline, self._give_up)

    def _give_up(self) -> None:
        """The deadline came: cancel the write in progress; what was not written fails."""
        self._closed = True
        if self._task is not None and not self._task.done():
            self._task.cancel()
        stopped = WriterStopped(f"the process stopped before these {self.items} were written")
        left = list(self._in_hand)
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if item is not None:
                left.append(item)
        if any(not pending.future.done() for pending in left):
            log.warning("stopping: %d %s not written", len(left), self.items)
        _fail(left, stopped)

    async def stop(self) -> None:
        """Take no more items; write those already queued (until ``finish_by``'s deadline, if
        one was set), then end."""
        if self._task is None:
            return
        if not self._closed:
            self._closed = True
            self._queue.put_nowait(None)
        if self._deadline is None:
            await asyncio.wait({self._task})
            return
        # Given up at the deadline, its cancelled transaction gets a moment to unwind; one
        # that does not (SQLite's thread still waiting for the lock) is left to the exit.
        left = self._deadline - asyncio.get_running_loop().time()
        await asyncio.wait({self._task}, timeout=max(0.0, left) + UNWIND_SECONDS)
        if self._task.done() and self._deadline_timer is not None:
            self._deadline_timer.cancel()

    async def _transaction(self, batch: list[P]) -> BatchOutcome:
        """Apply ``batch`` in one transaction and commit; what each item's future gets."""
        raise NotImplementedError

    async def _submit(self, pending: P) -> Any:
        if self._closed or self._task is None:
            raise WriterClosed(f"the writer of {self.items} is not running")
        self._queue.put_nowait(pending)
        if self._lingering is not None and self._queue.qsize() + 1 >= self.max_batch:
            _settle(self._lingering)  # a full batch waits no longer
        # A request given up on (a client gone) cancels only its wait: the item stays in the
        # queue or the batch and is written all the same (an answer to a done future is
        # skipped), so no shield, which cost a second future and two callbacks an item.
        return await pending.future

    async def _run(self) -> None:
        if self.answers_slack:
            with ahead_in_line():  # the task's context: every wait of this writer
                await self._take_and_write()
        else:
            await self._take_and_write()

    async def _take_and_write(self) -> None:
        while True:
            first = await self._queue.get()
            if first is None:
                return
            batch, stopping = await self._gather(first, self.linger)
            self._in_hand = batch
            await self._write(batch)
            self._in_hand = []
            if stopping:
                return

    async def _gather(self, first: P, window: float) -> tuple[list[P], bool]:
        """``first`` and what else arrives within ``window`` seconds, up to ``max_batch``."""
        # One turn of the loop lets requests already read reach the queue.
        await asyncio.sleep(0)
        if window > 0 and self._queue.qsize() + 1 < self.max_batch:
            await self._linger(window)
        batch = [first]
        while len(batch) < self.max_batch:
            try:
                item = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    async def _linger(self, window: float) -> None:
        """Wait ``window`` seconds, or until a full batch is queued: one timer a batch (a
        wait for each item as it came cost as much CPU as the bigger batch saved)."""
        loop = asyncio.get_running_loop()
        self._lingering = loop.create_future()
        timer = loop.call_later(window, _settle, self._lingering)
        try:
            await self._lingering
        finally:
            timer.cancel()
            self._lingering = None

    async def _write(self, batch: list[P]) -> None:
        """Write ``batch`` in one transaction; if that fails, each item in its own."""
        try:
            outcome = await self._transaction_while_gone(batch)
        except Exception as error:
            if len(batch) == 1 or database_gone(error):
                log.warning("could not store %d %s: %r", len(batch), self.items, error)
                _fail(batch, error)
                return
            log.warning(
                "a batch of %d %s failed (%r); one at a time", len(batch), self.items, error
            )
            await self._one_by_one(batch)
            return
        _deliver(outcome)

    async def _transaction_while_gone(self, batch: list[P]) -> BatchOutcome:
        """``_transaction``, tried again in place while the database is gone or stalls, for
        up to ``keep_trying_for`` seconds (and not past shutdown's deadline): what queued
        behind waits, so the items keep their order."""
        loop = asyncio.get_running_loop()
        started, pause = loop.time(), RETRY_SECONDS
        while True:
            try:
                return await self._transaction(batch)
            except Exception as error:
                give_up = started + self.keep_trying_for
                if self._deadline is not None:
                    give_up = min(give_up, self._deadline)
                elif self._closed:  # stopped without a deadline: 5 s, as always
                    give_up = min(give_up, started + 5.0)
                if not database_gone(error) or loop.time() + pause > give_up:
                    raise
                log.warning(
                    "the database refused %d %s (%r); trying again in %.1f s",
                    len(batch),
                    self.items,
                    error,
                    pause,
                )
            await asyncio.sleep(pause)
            pause = min(pause * 2, RETRY_MAX_SECONDS)

    async def _one_by_one(self, batch: list[P]) -> None:
        for index, pending in enumerate(batch):
            try:
                _deliver(await self._transaction([pending]))
            except Exception as error:
                log.warning("could not store %s: %r", pending, error)
                if database_gone(error):
                    _fail(batch[index:], error)
                    return
                _fail([pending], error)


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _deliver(outcome: BatchOutcome) -> None:
    for pending, result in outcome.results.items():
        if not pending.future.done():
            pending.future.set_result(result)
    for pending, error in outcome.errors.items():
        if not pending.future.done():
            pending.future.set_exception(error)


def _fail(batch: list[Any], error: BaseException) -> None:
    for pending in batch:
        if not pending.future.done():
            pending.future.set_exception(error)


def database_gone(error: BaseException) -> bool:
    """A lost or refused connection, or a wait the database gave up (a lock or statement
    time-out: a stall), rather than something wrong with one item."""
    if isinstance(error, DBAPIError) and (error.connection_invalidated or gave_up_waiting(error)):
        return True
    return isinstance(
        error, OperationalError | InterfaceError | PoolTimeout | OSError | TimeoutError
    )
