"""Database engine and sessions: async everywhere, one session per unit of work."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
import time
import urllib.parse
import weakref
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from enum import IntEnum, unique
from typing import Any

import aiosqlite
from sqlalchemy import ColumnElement, Connection, Engine, event, func, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.pool import ConnectionPoolEntry, PoolResetState
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics import precedence
from bot.store import sqlite_driver
from bot.store.episodes import keep_episode_rows
from bot.store.pool import FairPool

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def async_url(database_url: str) -> str:
    """Turn a plain ``sqlite:///`` or ``postgresql://`` URL into its async-driver form."""
    url = make_url(database_url.replace("postgres://", "postgresql://", 1))
    backend = url.get_backend_name()
    if backend not in _ASYNC_DRIVERS:
        raise ValueError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")
    return url.set(drivername=_ASYNC_DRIVERS[backend]).render_as_string(hide_password=False)


@dataclass(frozen=True)
class Identity:
    """Whom a file must let write: a uid and its groups (the process's by default)."""

    uid: int
    gids: frozenset[int]

    @classmethod
    def of_process(cls) -> Identity:
        return cls(os.getuid(), frozenset({os.getgid(), *os.getgroups()}))

    def may_write(self, facts: os.stat_result, *, directory: bool) -> bool:
        """By the mode bits (a directory needs search as well as write)."""
        if self.uid == 0:
            return True
        wanted = 0o3 if directory else 0o2
        if facts.st_uid == self.uid:
            shift = 6
        elif facts.st_gid in self.gids:
            shift = 3
        else:
            shift = 0
        return (facts.st_mode >> shift) & wanted == wanted


def sqlite_write_problem(database_url: str, who: Identity | None = None) -> str | None:
    """Why ``who`` (this process) cannot write the SQLite database the URL names, in one line;
    None when it can, or the URL names no SQLite file. SQLite writes its journal beside the
    file, so the directory must be writable as well as the file. Asked before anything opens
    the database: SQLite's own error ("unable to open database file") names neither the path
    nor the user."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    who = who or Identity.of_process()
    path = os.path.abspath(url.database)
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        return f"cannot write the SQLite database {path}: {directory} is not a directory"
    for place, is_directory in ((directory, True), (path, False)):
        if not os.path.exists(place):
            continue
        facts = os.stat(place)
        if who.may_write(facts, directory=is_directory) and os.access(place, os.W_OK):
            continue
        return (
            f"cannot write the SQLite database {path}: {place} is owned by uid {facts.st_uid} "
            f"gid {facts.st_gid} with mode {facts.st_mode & 0o7777:04o}, and warroom runs as "
            f"uid {who.uid} in groups {', '.join(map(str, sorted(who.gids)))}; make it "
            f"writable by one of them (chown, or chmod g+w for a group this uid is in) or "
            f"set DATABASE_URL to another place"
        )
    return None


# How long a statement may wait for a lock another session holds, and run at all, before the
# database gives up on it: a stall (a table locked by a migration or a person's session, a
# statement stuck behind one) becomes an error its caller sees and may try again
# (``gave_up_waiting``), never a wait without end. Generous beside what any of warroom's
# transactions holds (milliseconds; a 5,000-alert storm's p99 on a loaded machine, 2 s).
LOCK_TIMEOUT_SECONDS = 10.0
STATEMENT_TIMEOUT_SECONDS = 60.0
# PostgreSQL's SQLSTATEs for a wait it gave up: lock_not_available (lock_timeout, NOWAIT),
# query_canceled (statement_timeout, a cancel request), serialization_failure,
# deadlock_detected. Nothing wrong with what was asked: it may succeed if asked again.
_GAVE_UP_SQLSTATES = frozenset({"55P03", "57014", "40001", "40P01"})


@dataclass(frozen=True)
class DatabaseTimeouts:
    """Every connection's limits on waiting (``WARROOM_DATABASE_LOCK_TIMEOUT`` and
    ``WARROOM_DATABASE_STATEMENT_TIMEOUT``): PostgreSQL's ``lock_timeout`` and
    ``statement_timeout``, set on each connection as it opens; SQLite's busy timeout (its only
    wait on another session: a statement of its own runs on this process's CPU, not a lock)."""

    lock: float = LOCK_TIMEOUT_SECONDS
    statement: float = STATEMENT_TIMEOUT_SECONDS

    def postgresql(self) -> dict[str, str]:
        """The connection's server settings (milliseconds), and UTC as its time zone: what
        PostgreSQL itself writes of a moment (``to_json``, a ``timestamptz`` as text) is in
        UTC, as everything warroom stores, whatever the server's or database's default."""
        return {
            "lock_timeout": str(round(self.lock * 1000)),
            "statement_timeout": str(round(self.statement * 1000)),
            "TimeZone": "UTC",
        }


def gave_up_waiting(error: BaseException) -> bool:
    """Whether the database gave up a wait (a lock or statement time-out, SQLite's busy
    timeout, a deadlock): nothing wrong with what was asked, which may be asked again."""
    orig = getattr(error, "orig", None)
    if getattr(orig, "sqlstate", None) in _GAVE_UP_SQLSTATES:
        return True
    return isinstance(orig, sqlite3.OperationalError) and "locked" in str(orig)


def create_engine(database_url: str, timeouts: DatabaseTimeouts | None = None) -> AsyncEngine:
    """Create the async engine for a database URL; every wait on it bounded by ``timeouts``.
    Either engine hides a statement's values (``hide_parameters``): a database error's message
    (logged with its traceback) would otherwise carry them, such as an alert body or a
    message's text."""
    timeouts = timeouts or DatabaseTimeouts()
    url = async_url(database_url)
    keep_episode_rows()  # its sessions write each alert episode's row as they change it
    if url.startswith("sqlite"):
        return _sqlite_engine(url, timeouts)
    return _postgresql_engine(url, timeouts)


def _sqlite_engine(url: str, timeouts: DatabaseTimeouts) -> AsyncEngine:
    """The engine of a SQLite database: one connection, each transaction taking the write
    lock, with the one-hop driver when it fits."""
    one_hop = sqlite_driver.fits()
    busy_timeout = sqlite_driver.BUSY_SLICE_SECONDS if one_hop else timeouts.lock
    # One connection: SQLite has one writer at a time anyway, and every transaction here
    # takes the write lock (BEGIN IMMEDIATE). Waiting in the pool's queue is fair and
    # wakes at once; waiting in SQLite's busy handler sleeps and polls, which left
    # answers to Slack taking seconds under load (bench/RESULTS.md).
    engine = create_async_engine(
        url,
        # sqlite3's busy timeout (also set below): a slice of the lock time-out with the
        # one-hop driver, which waits slice by slice (bot/store/sqlite_driver.py).
        connect_args={"timeout": busy_timeout},
        poolclass=FairPool,  # first come, first served; a failed connection wakes the next
        pool_size=1,
        max_overflow=0,
        pool_timeout=30,
        hide_parameters=True,
        # A connection given back after its COMMIT needs no ROLLBACK: with the one-hop
        # driver, _rollback_if_open asks SQLite and rolls back only an open transaction.
        pool_reset_on_return=None if one_hop else "rollback",
    )
    if one_hop:
        patience = sqlite_driver.Patience(timeouts.lock)
        _PATIENCE[engine.sync_engine] = patience
        event.listen(engine.sync_engine, "do_connect", _one_hop_driver(patience))
        event.listen(engine.sync_engine, "reset", _rollback_if_open)
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas(busy_timeout))
    event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
    return engine


# Statements each PostgreSQL connection keeps prepared (SQLAlchemy's asyncpg default: 100).
# warroom runs several hundred kinds of statement: with 100 kept, a third of all executions
# prepared theirs again first (one round trip more, and its parse, plan and codecs), the
# alert's path to its page among them (bench/RESULTS.md, "Statements prepared again").
PREPARED_STATEMENTS_KEPT = 2000


def _postgresql_engine(url: str, timeouts: DatabaseTimeouts) -> AsyncEngine:
    """The engine of a PostgreSQL database: a fair pool, its idle connections pinged."""
    engine = create_async_engine(
        url,
        connect_args={
            "server_settings": timeouts.postgresql(),
            "prepared_statement_cache_size": PREPARED_STATEMENTS_KEPT,
        },
        poolclass=FairPool,  # first come, first served; a failed connection wakes the next
        # The connection given back last is lent first: its statements are prepared already
        # (each connection prepares each statement once), where lending them in turn made
        # every connection prepare the alert's path anew (bench/RESULTS.md).
        pool_use_lifo=True,
        pool_size=10,
        max_overflow=10,
        hide_parameters=True,
    )
    event.listen(engine.sync_engine, "before_cursor_execute", _strip_nul, retval=True)
    for name, listener in (
        ("connect", _note_use),
        ("checkin", _note_use),
        ("checkout", _ping_if_idle),
    ):
        event.listen(engine.sync_engine.pool, name, listener)
    return engine


# A PostgreSQL connection idle longer than this is pinged before it is lent again. Not every
# connection (SQLAlchemy's pool_pre_ping): asyncpg's ping is three round trips (BEGIN, an
# empty query, ROLLBACK), as many as a short transaction's own, and during an alert storm on
# a loaded machine each round trip waits to be scheduled (bench/RESULTS.md, paging). A
# connection given back within the second is alive but for a server restart in that second,
# which its first statement meets: SQLAlchemy then discards every connection of the pool.
PING_AFTER_IDLE_SECONDS = 1.0


def _note_use(_dbapi_connection: object, record: ConnectionPoolEntry) -> None:
    record.info["used_at"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: object) -> None:
    used_at = record.info.get("used_at")
    if used_at is not None and time.monotonic() - used_at < PING_AFTER_IDLE_SECONDS:
        return
    try:
        dbapi_connection.ping()
    except Exception as error:  # the pool opens another connection in its place
        raise DisconnectionError(f"connection lost while idle: {error!r}") from error


def _strip_nul(
    _connection: object,
    _cursor: object,
    statement: str,
    parameters: Any,
    _context: object,
    _executemany: bool,
) -> tuple[str, Any]:
    """Drop NUL characters from string parameters: PostgreSQL's text cannot hold them and
    refuses the whole statement, which would lose a message or an alert that has one."""
    return statement, without_nul(parameters)


def without_nul(value: Any) -> Any:
    """``value`` without NULs in its strings, however it nests (JSON, rows, batches).

    Iterative, not recursive: a webhook body may nest as deep as ``json.loads`` goes, which is
    deeper than Python's recursion limit allows a recursive walk to follow.
    """
    if not _is_container(value):
        return _without_nul_leaf(value)
    if not _holds_nul(value):
        return value  # nearly every statement: no copy (a batch's rows were copied each time)
    copies: dict[int, Any] = {}
    # Containers are visited twice: first to queue their items, then (once every item has
    # its copy) to build their own copy. Keyed by id(): the input holds on to every object.
    stack: list[tuple[Any, bool]] = [(value, False)]
    while stack:
        node, ready = stack.pop()
        if id(node) in copies:
            continue
        items = list(node.values()) if isinstance(node, dict) else list(node)
        if not ready:
            stack.append((node, True))
            stack.extend((item, False) for item in items if _is_container(item))
            continue
        cleaned = [
            copies[id(item)] if _is_container(item) else _without_nul_leaf(item) for item in items
        ]
        if isinstance(node, dict):
            copies[id(node)] = dict(zip(map(_without_nul_leaf, node), cleaned, strict=True))
        else:
            copies[id(node)] = type(node)(cleaned)
    return copies[id(value)]


def _holds_nul(value: Any) -> bool:
    """Whether a NUL is in any string of ``value`` (keys too), walked as ``without_nul`` does."""
    stack, seen = [value], {id(value)}
    while stack:
        node = stack.pop()
        items = [*node, *node.values()] if isinstance(node, dict) else node
        for item in items:
            if isinstance(item, str):
                if "\x00" in item:
                    return True
            elif _is_container(item) and id(item) not in seen:
                seen.add(id(item))
                stack.append(item)
    return False


def _is_container(value: Any) -> bool:
    # Dicts, and lists and tuples only of exactly those types (a named tuple or a row is left
    # whole), as always. A copy (made only when a NUL was found) holds plain dicts.
    return isinstance(value, dict) or type(value) in (list, tuple)


def _without_nul_leaf(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    return value


def _one_hop_driver(patience: sqlite_driver.Patience) -> Callable[..., None]:
    def connecting(
        _dialect: object, _record: object, _cargs: object, cparams: dict[str, Any]
    ) -> None:
        # The dialect connects with the creator it is given instead of aiosqlite.connect, with
        # the same arguments (bot/store/sqlite_driver.py says why), and the engine's patience.
        cparams["async_creator_fn"] = sqlite_driver.connect
        cparams["patience"] = patience

    return connecting


# Each SQLite engine's patience with another process's lock (``stop_waiting`` ends it).
_PATIENCE: weakref.WeakKeyDictionary[Engine, sqlite_driver.Patience] = weakref.WeakKeyDictionary()


def stop_waiting(engine: AsyncEngine) -> None:
    """Shutdown's deadline: statements of ``engine`` waiting for a lock another session holds
    give up now (PostgreSQL's are cancelled with their tasks; SQLite's, in its thread, within
    a slice of the one-hop driver's wait)."""
    patience = _PATIENCE.get(engine.sync_engine)
    if patience is not None:
        patience.stop()


def _rollback_if_open(dbapi_connection: Any, _record: object, state: PoolResetState) -> None:
    """A connection given back to the pool: rolled back if a transaction is still open.

    SQLAlchemy's own reset rolls back every connection given back, also one whose
    transaction was just committed: one more hop to SQLite's thread for each transaction (an
    empty one made three: BEGIN, COMMIT, ROLLBACK). SQLite says whether a transaction is open
    (``sqlite3.Connection.in_transaction``), so it is asked first.
    """
    if state.terminate_only or not state.asyncio_safe or state.transaction_was_reset:
        return  # as SQLAlchemy's reset: nothing to do, or no loop to do it in
    if sqlite_driver.in_transaction(dbapi_connection.driver_connection):
        dbapi_connection.rollback()


def _sqlite_pragmas(busy_timeout: float) -> Callable[[Any, object], None]:
    def pragmas(dbapi_connection: Any, _record: object) -> None:
        # We issue BEGIN ourselves (below), which also makes SAVEPOINTs work under aiosqlite.
        dbapi_connection.isolation_level = None
        # WAL lets readers work while a writer commits; foreign keys are off by default.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL survives a crash of the process (only a power cut loses commits).
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Another process holding the write lock longer than this: "database is locked".
        cursor.execute(f"PRAGMA busy_timeout={round(busy_timeout * 1000)}")
        cursor.close()

    return pragmas


def _sqlite_begin_immediate(connection: Connection) -> None:
    # A deferred transaction that reads and then writes fails at once with "database is locked"
    # when another writer got in between; taking the write lock up front makes it wait instead.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


@unique
class Turns(IntEnum):
    """The namespaces of PostgreSQL's advisory locks (their first key), one per kind of thing
    locked, named here once each: two kinds sharing one would wait for each other's locks
    whenever their names' 32-bit hashes met (``unique`` refuses a value given twice)."""

    # A group's payloads applied one at a time (bot/record/alerting/arrivals.py).
    ALERT_GROUP = 5_241_001
    # A group's payloads being numbered; an apply waits for them (arrivals.py).
    ALERT_NUMBERING = 5_241_002
    # A grouping route's decisions of which open alert a new one joins (alerting/alerts.py).
    ALERT_ROUTE = 5_241_003
    # An incident number being given (bot/record/incident/incidents.py).
    INCIDENT_NUMBER = 5_241_004
    # A replica's lock of life, held while it lives (bot/store/liveness.py).
    REPLICA_ALIVE = 5_241_010
    # A paging limit's check and count across replicas (bot/record/paging/own.py).
    PAGING_LIMITS = 59


@asynccontextmanager
async def session_scope(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """Open a session for one unit of work; the caller commits, anything unfinished rolls back.
    Work that is not a page's first waits (briefly) for the pages in flight (``precedence``)."""
    await precedence.after_pages()
    async with AsyncSession(engine, expire_on_commit=False) as session:
        yield session


async def take_turns(
    session: AsyncSession, namespace: int, name: str, *, then_waits_for: int | None = None
) -> None:
    """Hold the lock called ``name`` (in ``namespace``, one per kind of thing locked) until
    the session's transaction ends, so that transactions about one thing, on any replica,
    run one after the other: a PostgreSQL transaction-level advisory lock.

    Taken first in a transaction, before any row lock, it cannot be part of a deadlock: who
    waits for it holds nothing yet. Two names may share a lock (a 32-bit hash of the name),
    which makes their transactions take turns too, and nothing worse. SQLite needs none:
    each of its transactions holds the database's write lock (BEGIN IMMEDIATE).

    ``then_waits_for``: a namespace whose lock of the same name is then waited for in the
    same statement, taken and given back at once (session-level, both in one statement's
    row, so it is never left held): the transactions sharing it (``share_turns``) ended.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    key = _lock_key(name)
    turn = [func.pg_advisory_xact_lock(namespace, key)]
    if then_waits_for is not None:
        turn += [
            func.pg_advisory_lock(then_waits_for, key),
            func.pg_advisory_unlock(then_waits_for, key),
        ]
    await session.exec(select(*turn))


# unnest keeps the array's order, so the locks are taken in the keys' order.
_SHARE_TURNS = text(
    "SELECT pg_advisory_xact_lock_shared(:namespace, key)"
    " FROM unnest(CAST(:keys AS integer[])) AS key"
)


async def share_turns(session: AsyncSession, namespace: int, names: Sequence[str]) -> None:
    """Hold the locks called ``names`` shared until the session's transaction ends: any number
    of transactions sharing a lock run side by side, and one taking it with ``take_turns``
    waits for them all to end (and they for it). Taken in one statement, in the keys' order,
    so two transactions sharing several cannot wait for each other in a circle."""
    if session.get_bind().dialect.name != "postgresql" or not names:
        return
    keys = sorted({_lock_key(name) for name in names})
    connection = await session.connection()
    await connection.execute(_SHARE_TURNS, {"namespace": namespace, "keys": keys})


def turn_lock(session: AsyncSession, namespace: int, name: str) -> ColumnElement[Any] | None:
    """``take_turns``' lock as an expression, for a statement that takes it as it runs (the
    turn and the statement's own work one round trip); None on SQLite, which needs none.
    Only for a statement whose rows need not see what the turn's last holder committed:
    its snapshot is taken before the lock is waited for."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return func.pg_advisory_xact_lock(namespace, _lock_key(name))


async def take_if_free(session: AsyncSession, namespace: int, name: str) -> bool:
    """Take the lock ``take_turns`` waits for, if nobody holds it; whether it was taken. Held
    until the session's transaction ends. Never waits, so it is never part of a deadlock.
    SQLite: always taken (its one writer holds the database)."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    taken = func.pg_try_advisory_xact_lock(namespace, _lock_key(name))
    return bool((await session.exec(select(taken))).one())


def _lock_key(name: str) -> int:
    """A lock's name as PostgreSQL's 32-bit advisory lock key."""
    digest = hashlib.blake2b(name.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


async def database_reachable(engine: AsyncEngine, timeout: float = 2.0) -> bool:
    """Tell whether a trivial query succeeds within ``timeout`` seconds."""
    try:
        async with asyncio.timeout(timeout):
            if engine.dialect.name == "sqlite":
                return await _sqlite_file_reachable(str(engine.url.database), timeout)
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    except Exception:  # any failure means "not reachable"; /healthz reports it, never raises
        return False
    return True


async def _sqlite_file_reachable(path: str, timeout: float) -> bool:
    # Its own connection: the pool's one connection may be busy with a write, which is no
    # sign of trouble. mode=rw: a missing file is unreachable, never created afresh.
    uri = f"file:{urllib.parse.quote(path)}?mode=rw"
    async with aiosqlite.connect(uri, uri=True, timeout=timeout) as connection:
        await connection.execute("SELECT count(*) FROM sqlite_master")
    return True


async def insert_new(session: AsyncSession, row: SQLModel) -> bool:
    """Insert ``row`` unless a unique constraint says it is already there; True if inserted.

    One statement (``INSERT ... ON CONFLICT DO NOTHING``), where ``insert_once`` needs a
    savepoint around the insert: for the hot path of every Slack event. The row object is
    not added to the session; use it only for rows nobody changes afterwards.
    """
    table = type(row).__table__  # type: ignore[attr-defined]
    values = {
        column.name: getattr(row, column.name)
        for column in table.columns
        if not (column.primary_key and getattr(row, column.name) is None)
    }
    insert = dialect_insert(session.get_bind().dialect.name)
    result = await session.exec(insert(table).values(values).on_conflict_do_nothing())
    return bool(result.rowcount)


async def insert_kept(session: AsyncSession, row: SQLModel) -> bool:
    """``insert_once`` in one statement (``INSERT ... ON CONFLICT DO NOTHING RETURNING``),
    where ``insert_once`` takes three (a savepoint, the insert, the savepoint's release), each
    a round trip to PostgreSQL: for the transactions a page waits for. Inserted, ``row`` is
    the session's as if added and flushed (its later changes are written); a duplicate is not
    added. Only a unique constraint's conflict reads as a duplicate: another failure (a foreign
    key) fails the statement, and with it the caller's transaction."""
    await session.flush()  # what the session holds goes first, as before insert_once's savepoint
    table = type(row).__table__  # type: ignore[attr-defined]
    values = {
        column.name: getattr(row, column.name)
        for column in table.columns
        if not (column.primary_key and getattr(row, column.name) is None)
    }
    insert = dialect_insert(session.get_bind().dialect.name)
    result = await session.exec(
        insert(table).values(values).on_conflict_do_nothing().returning(*table.columns)
    )
    kept = result.first()
    if kept is None:
        return False
    for column, value in zip(table.columns, kept, strict=True):
        set_committed_value(row, column.name, value)
    make_transient_to_detached(row)
    session.add(row)
    return True


async def insert_once(session: AsyncSession, row: SQLModel) -> bool:
    """Insert ``row`` unless a unique constraint says it is already there; True if inserted.

    A savepoint keeps the caller's transaction usable when the row was a duplicate, which is
    how retried Slack deliveries and replicas racing on one event are applied exactly once.
    """
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


def database_now(dialect: str, later: timedelta = timedelta(0)) -> ColumnElement[Any]:
    """The database's clock (``later`` on), for leases every replica compares: one clock for
    all of them, so a replica whose own clock steps (NTP, a VM resumed) neither takes a live
    lease early nor waits the step's size. PostgreSQL's server clock; SQLite's is the host's,
    which is every replica's there (a step of it moves all leases alike), in the text form
    ``UTCDateTime`` stores (``2025-03-27 15:42:00.123000``: SQLite keeps milliseconds)."""
    seconds = later.total_seconds()
    if dialect == "postgresql":
        return func.clock_timestamp() + func.make_interval(0, 0, 0, 0, 0, 0, seconds)
    return func.strftime("%Y-%m-%d %H:%M:%f", "now", f"{seconds:+f} seconds").concat("000")


def dialect_insert(dialect: str) -> Any:
    """The dialect's ``insert`` (the one with ``on_conflict_do_nothing``), SQLite or PostgreSQL."""
    return sqlite_insert if dialect == "sqlite" else postgresql_insert
