"""The connection pool of both databases, whose waiters look again while they wait.

SQLAlchemy's queue pool wakes a waiter only when a connection is given back. A connection
that could not be opened (SQLite's file gone, its directory moved, its disk unmounted; a
PostgreSQL server down or refusing) is never given back: whoever asked for one while the
pool was full of attempts to open one slept the whole pool timeout, 30 s, while every later
attempt failed at once. On SQLite, with its one connection, that is anyone who asked while
the first was opening it: the Slack event writer was such a waiter, so a delivery was
answered after 30 s instead of with a 5xx within Slack's 3 s (seen once in
tests/record/test_timeline.py). On PostgreSQL it takes 20 callers at once (10 connections
and 10 more of overflow), as when a server restarts under Slack's traffic: the 21st waited
30 s for a server that had refused everyone else in a millisecond (tests/store/test_pool.py
reproduces both).

Here a waiter looks again every ``LOOK_AGAIN_SECONDS``: once a slot is free it opens the
connection itself (and fails as fast as the others did). The pool stays fair for the waits
that matter (a writer waiting its turn behind a commit takes milliseconds); one that has
waited a whole second queues again behind those who came meanwhile.

It relies on ``QueuePool``'s own parts (its queue, its overflow count, ``_create_connection``),
as ``QueuePool._do_get`` does, for the SQLAlchemy release the lock files pin.
"""

from __future__ import annotations

import time

from sqlalchemy import exc
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry
from sqlalchemy.util import queue

# How long a waiter waits in the queue before it looks whether the slot came free.
LOOK_AGAIN_SECONDS = 0.5


class LookingAgainPool(AsyncAdaptedQueuePool):
    """``AsyncAdaptedQueuePool`` whose waiters look again (see the module's docstring)."""

    def _do_get(self) -> ConnectionPoolEntry:
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                return self._pool.get(False)  # an idle connection
            except queue.Empty:
                pass
            if self._inc_overflow():  # the slot is free: open the connection here
                try:
                    return self._create_connection()
                except BaseException:
                    self._dec_overflow()
                    raise
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise exc.TimeoutError(
                    f"QueuePool limit of size {self.size()} overflow {self.overflow()} "
                    f"reached, connection timed out, timeout {self._timeout:.2f}",
                    code="3o7r",
                )
            try:
                return self._pool.get(True, min(remaining, LOOK_AGAIN_SECONDS))
            except queue.Empty:
                continue
