"""SQLite through aiosqlite with one hop to its thread per statement, not four.

aiosqlite runs every call on the sqlite3 connection in a thread of its own and hands each
result back through the event loop. SQLAlchemy's aiosqlite dialect makes four such calls for
a statement: create a cursor, execute, fetch the rows, close the cursor; each is a queue put,
a thread switch, a cross-thread wake-up of the loop and a future. Under the event load of
``bench/ingestion.py`` creating and closing cursors alone were a large share of the server's
samples (bench/RESULTS.md). Here a statement is one call: the worker thread creates the cursor,
executes, fetches every row (SQLAlchemy's adapter fetches them all at once anyway, right after
executing) and closes the cursor, and the cursor object SQLAlchemy holds only carries the
answers back (rows, ``description``, ``rowcount``, ``lastrowid``).

Everything else stays aiosqlite's own: the thread, the connection, commits and rollbacks, and
the errors (a sqlite3 error raised in the thread reaches SQLAlchemy exactly as before, and a
closed connection still raises aiosqlite's ``ValueError``, which SQLAlchemy maps to
``OperationalError``). ``in_thread`` runs work of many statements in one hop for
bot/store/direct.py, which maps their errors itself. It relies on private names of aiosqlite
0.22 (``_execute``, the hand-off; ``_conn`` and ``_connection``, the sqlite3 connection;
``_running``, ``_thread`` and ``_tx``), pinned in the lock files; with any other
release of aiosqlite (an install without the lock files) ``fits`` says no and the stock driver
is used. ``tests/store/test_sqlite_driver.py`` holds it to the stock driver's answers.

A wait for another process's write lock is made of short waits (``patiently``). SQLite's busy
handler sleeps in the connection's thread until its time-out and nothing interrupts it
(``sqlite3_interrupt`` does not), so a process stopping would wait the whole lock time-out,
holding the pool's one connection; here SQLite waits ``BUSY_SLICE_SECONDS`` at a time and the
thread looks between slices whether the lock time-out has passed, or the engine was told to
stop waiting (``Patience.stop``, at shutdown's deadline).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiosqlite

# The releases whose private names (``_execute``, ``_conn``, ``_connection``, ``_running``,
# ``_thread``, ``_tx``) this was written and tested against.
KNOWN_RELEASES = ("0.22.",)


def fits(version: str | None = None) -> bool:
    """Whether this aiosqlite is one the driver knows; otherwise the stock driver serves."""
    release = aiosqlite.__version__ if version is None else version
    return release.startswith(KNOWN_RELEASES)


T = TypeVar("T")
# What one statement answers: description, rowcount, lastrowid and the rows.
Answer = tuple[Any, int, int | None, list[Any]]


# SQLite's own busy timeout with this driver: one slice of a wait for another's lock.
BUSY_SLICE_SECONDS = 0.1


@dataclass
class Patience:
    """How long a statement waits for another process's write lock (the lock time-out,
    bot/store/db.py), and the flag that ends every such wait of an engine at once."""

    seconds: float
    stopped: threading.Event = field(default_factory=threading.Event)

    def stop(self) -> None:
        """Wait no more: a statement that finds the database locked fails within a slice."""
        self.stopped.set()


class PatientConnection(sqlite3.Connection):
    """sqlite3's connection, carrying how long its statements wait for a lock."""

    patience: Patience | None = None


def patiently(connection: sqlite3.Connection, step: Callable[[], T]) -> T:
    """``step()``, tried again while it finds the database locked by another connection,
    until the connection's patience runs out or is stopped (in SQLite's thread). Only a
    statement that opened nothing is tried again (BEGIN IMMEDIATE, a read on its own): one
    in a transaction holds the write lock already, so never meets another's."""
    patience = getattr(connection, "patience", None)
    deadline = time.monotonic() + (patience.seconds if patience is not None else 0.0)
    while True:
        try:
            return step()
        except sqlite3.OperationalError as error:
            if (
                patience is None
                or "locked" not in str(error)
                or connection.in_transaction
                or patience.stopped.is_set()
                or time.monotonic() >= deadline
            ):
                raise


def _run(connection: sqlite3.Connection, many: bool, sql: str, parameters: Any) -> Answer:
    """One statement from start to end, in aiosqlite's thread."""
    return patiently(connection, lambda: _run_once(connection, many, sql, parameters))


def _run_once(connection: sqlite3.Connection, many: bool, sql: str, parameters: Any) -> Answer:
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        # Read after the rows: a statement with RETURNING counts its rows as they are stepped.
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneHopCursor:
    """The part of aiosqlite's ``Cursor`` that SQLAlchemy's adapter uses, one hop a statement.

    Rows are held here once fetched, so ``fetchone`` and ``fetchmany`` (a server-side cursor,
    which warroom does not ask for) read from them rather than from the database.
    """

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1
        self._rows: list[Any] = []

    async def __aenter__(self) -> OneHopCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Any = None) -> OneHopCursor:
        await self._answer(False, sql, () if parameters is None else parameters)
        return self

    async def executemany(self, sql: str, parameters: Any) -> OneHopCursor:
        await self._answer(True, sql, parameters)
        return self

    async def _answer(self, many: bool, sql: str, parameters: Any) -> None:
        connection = self._connection
        answer = await connection._execute(_run, connection._conn, many, sql, parameters)
        self.description, self.rowcount, self.lastrowid, self._rows = answer

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        count = self.arraysize if size is None else size
        rows, self._rows = self._rows[:count], self._rows[count:]
        return rows

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def close(self) -> None:
        # The sqlite3 cursor was closed in the thread, right after its statement.
        self._rows = []


async def in_thread(connection: aiosqlite.Connection, work: Callable[..., T], *args: Any) -> T:
    """``work(sqlite3_connection, *args)`` in SQLite's thread, in one hop; what it returns.

    For work that runs many statements (bot/store/direct.py): each of them in the thread,
    where a statement through SQLAlchemy would be a hop of its own. ``ConnectionClosed`` if
    the connection is closed (SQLAlchemy is not there to say so: its caller must).
    """
    if connection._connection is None or not connection._running:
        # What aiosqlite says of a closed connection (``_execute``), before anything is queued.
        raise ConnectionClosed("connection closed")
    done: T = await connection._execute(work, connection._conn, *args)
    return done


class ConnectionClosed(ValueError):
    """The connection is closed: nothing was sent. A ValueError, as aiosqlite raises it."""


def in_transaction(connection: aiosqlite.Connection) -> bool:
    """Whether a transaction is open on ``connection``: SQLite's own answer, read without a
    hop (it is a flag of the connection, ``sqlite3_get_autocommit``). A closed connection has
    none (aiosqlite raises ValueError for it; SQLAlchemy's adapter skips its rollback too)."""
    try:
        return connection._conn.in_transaction
    except ValueError:
        return False


class OneHopConnection(aiosqlite.Connection):
    """aiosqlite's connection whose cursors make one hop a statement."""

    def cursor(self) -> OneHopCursor:  # type: ignore[override]
        return OneHopCursor(self)


def connect(database: str, patience: Patience | None = None, **kwargs: Any) -> OneHopConnection:
    """What ``aiosqlite.connect`` does, with ``OneHopConnection``, whose statements wait for
    another's lock with ``patience`` (``patiently``).

    SQLAlchemy's aiosqlite dialect calls it with the arguments it would have given
    ``aiosqlite.connect`` (``async_creator_fn``, set by ``bot.store.db``), then awaits it.
    """

    def opened() -> sqlite3.Connection:
        made = sqlite3.connect(database, factory=PatientConnection, **kwargs)
        made.patience = patience
        return made

    connection = OneHopConnection(opened, 64)
    # As the dialect does for aiosqlite's own: a connection never closed must not keep the
    # interpreter from exiting.
    connection._thread.daemon = True
    return connection
