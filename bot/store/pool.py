"""The connection pool of both databases: first come, first served, and a waiter looks again.

First come, first served. SQLAlchemy's queue pool hands a connection given back to whoever
asks next: a task that commits and runs its next statement at once (a session used for two
transactions, a loop of short ones) takes it again ahead of the task woken for it, and that
one goes back to the end of the line. Under saturation a waiter was passed over for the
whole 30 s time-out although every hold lasted milliseconds: in a replay on a loaded machine
the job runner, the command sweep and a channel's applying task each failed so.
Here a connection given back goes to the oldest waiter, and a newcomer queues behind anyone
waiting (tests/store/test_pool.py).

Slack's answers first. A writer whose commit answers Slack (the Slack events' and the
commands' writers: Slack shows a failure after 3 s) waits ``ahead_in_line``: in a line of its
own served before the rest, first come, first served within each. Under an alert storm the
rest is the storm's own writes and jobs, which have minutes, not seconds.

Looking again. A connection that could not be opened (SQLite's file gone, its directory
moved, its disk unmounted; a PostgreSQL server down or refusing) is never given back, so
nobody would be woken for it: the oldest waiter is woken when a slot comes free, and every
waiter at the head of the line looks again each ``LOOK_AGAIN_SECONDS`` in case. Once a slot
is free the head opens the connection itself, and fails as fast as the others did, and the
next in line then looks at once (a server restarting under Slack's traffic answers each
caller its refusal in milliseconds, not the 21st after 30 s).

It relies on ``QueuePool``'s own parts (its queue, its overflow count, ``_create_connection``),
as ``QueuePool._do_get`` does, for the SQLAlchemy release the lock files pin. All of it runs
on the event loop's thread (the async engine's greenlets); a connection given back from
another thread (a garbage-collected one) wakes its waiter through the loop.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import exc
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry
from sqlalchemy.util import queue
from sqlalchemy.util.concurrency import await_

from bot.basics import precedence

# How long the head of the line waits before it looks whether a slot came free unannounced.
LOOK_AGAIN_SECONDS = 0.5
# Whether this task's waits go in the line served first (``ahead_in_line``).
_AHEAD: ContextVar[bool] = ContextVar("warroom_pool_ahead", default=False)


@contextmanager
def ahead_in_line() -> Iterator[None]:
    """This task's waits for a connection go ahead of the others' (see the docstring), and
    its steps never wait for a page's work (``precedence``): Slack or a page waits on it."""
    token = _AHEAD.set(True)
    try:
        with precedence.exempt():
            yield
    finally:
        _AHEAD.reset(token)


@dataclass(eq=False)
class _Waiter:
    """One task waiting for a connection: handed one (``entry``), or woken to look."""

    loop: asyncio.AbstractEventLoop
    woken: asyncio.Event = field(default_factory=asyncio.Event)
    entry: ConnectionPoolEntry | None = None


class FairPool(AsyncAdaptedQueuePool):
    """``AsyncAdaptedQueuePool`` serving its waiters in turn (see the module's docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ahead: deque[_Waiter] = deque()  # Slack's answers wait here, served first
        self._rest: deque[_Waiter] = deque()

    @property
    def _line(self) -> deque[_Waiter]:
        """The line served next: the one ahead while anyone waits in it."""
        return self._ahead or self._rest

    def _do_get(self) -> ConnectionPoolEntry:
        if not self._line:  # nobody waits: a newcomer may take what is free
            entry = self._take_free()
            if entry is not None:
                return entry
        return self._wait_in_line()

    def _do_return_conn(self, record: ConnectionPoolEntry) -> None:
        if self._line:
            waiter = self._line.popleft()
            waiter.entry = record
            _wake(waiter)
            return
        super()._do_return_conn(record)

    def _dec_overflow(self) -> Literal[True]:
        freed = super()._dec_overflow()
        if self._line:  # a slot came free with no connection given back: the head looks
            _wake(self._line[0])
        return freed

    def _take_free(self) -> ConnectionPoolEntry | None:
        """An idle connection, or a new one in a free slot; None when every slot is taken."""
        try:
            return self._pool.get_nowait()
        except queue.Empty:
            pass
        if not self._inc_overflow():
            return None
        try:
            return self._create_connection()
        except BaseException:
            self._dec_overflow()
            raise

    def _wait_in_line(self) -> ConnectionPoolEntry:
        waiter = _Waiter(asyncio.get_running_loop())
        line = self._ahead if _AHEAD.get() else self._rest
        line.append(waiter)
        deadline = time.monotonic() + self._timeout
        served = False
        try:
            while True:
                remaining = deadline - time.monotonic()
                if waiter.entry is None and remaining > 0:
                    await_(_woken_within(waiter, min(remaining, LOOK_AGAIN_SECONDS)))
                if waiter.entry is not None:
                    served = True
                    return waiter.entry
                if self._line and self._line[0] is waiter:
                    entry = self._take_free()
                    if entry is not None:
                        served = True
                        return self._keep_one(waiter, line, entry)
                if time.monotonic() >= deadline:
                    raise exc.TimeoutError(
                        f"QueuePool limit of size {self.size()} overflow {self.overflow()} "
                        f"reached, connection timed out, timeout {self._timeout:.2f}",
                        code="3o7r",
                    )
        finally:
            if not served:
                self._leave(waiter)

    def _keep_one(
        self, waiter: _Waiter, line: deque[_Waiter], opened: ConnectionPoolEntry
    ) -> ConnectionPoolEntry:
        """The head of ``line`` opened ``opened``. Opening awaits the database: meanwhile a
        connection given back may have been handed to the waiter (taking it out of its line),
        and others may have queued, a writer ahead of it among them. It keeps the connection
        handed to it and gives back the one it opened, else leaves its own line: never
        another's place (that one would have waited its whole time-out, unserved)."""
        if waiter.entry is not None:
            self._do_return_conn(opened)
            return waiter.entry
        line.remove(waiter)
        return opened

    def _leave(self, waiter: _Waiter) -> None:
        """A waiter leaving without its connection (timed out, cancelled, or the connection
        it opened failed): one handed to it goes to the next, and the next looks at once."""
        for line in (self._ahead, self._rest):
            if waiter in line:
                line.remove(waiter)
        if waiter.entry is not None:
            self._do_return_conn(waiter.entry)
        elif self._line:
            _wake(self._line[0])


async def _woken_within(waiter: _Waiter, seconds: float) -> None:
    # asyncio.timeout, not wait_for: on Python 3.11, wait_for swallows a cancellation that
    # comes as the event is set, and the cancelled task (a poller being stopped) then went on
    # for ever, its later timeouts read as its own (seen as a test's cleanup hanging 120 s).
    try:
        async with asyncio.timeout(seconds):
            await waiter.woken.wait()
    except TimeoutError:
        return
    waiter.woken.clear()


def _wake(waiter: _Waiter) -> None:
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is waiter.loop:
        waiter.woken.set()
    else:
        waiter.loop.call_soon_threadsafe(waiter.woken.set)
