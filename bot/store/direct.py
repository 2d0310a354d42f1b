"""Statements handed to the database driver as they are: the Slack event batch's path.

For the batch of plain Slack events (bot/record/incident/event_batch.py), SQLAlchemy's own work per
statement and per row cost more than the database's: a cached compile's lookup, an execution
context, two bind processors for each datetime, a greenlet switch and, on SQLite, a hop to
SQLite's thread for every statement (the main thread's CPU an event several times SQLite's
own: bench/RESULTS.md). So that batch is a *plan*: a generator,
written once for both databases, that yields each statement with its rows and is sent back
the rows the statement returned. ``run_plan`` carries it out in the caller's transaction:

- on SQLite with the one-hop driver (bot/store/sqlite_driver.py), the whole plan runs in
  SQLite's thread: one hop for the batch, the sqlite3 module's own calls in between;
- otherwise (PostgreSQL, or SQLite through the stock aiosqlite) each statement goes through
  SQLAlchemy's ``exec_driver_sql``: no compiling and no bind processors, but its transaction,
  its error types and the engine's NUL guard (bot/store/db.py) as for any statement.

The statement shapes render their SQL from the table's own columns (so they follow the models
and their migrations) and convert values as SQLAlchemy's column types would: a datetime is
stored as SQLite's text in SQLAlchemy's own format, in UTC, and handed to asyncpg as it is.
Many rows go out on SQLite as one ``executemany`` (one multi-row ``VALUES`` when rows must
come back: ``executemany`` returns none), and on PostgreSQL as one array a column through
``unnest`` (one prepared statement whatever the number of rows).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any, Generic, Protocol, TypeVar, cast

from sqlalchemy import Dialect, Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.util import await_, greenlet_spawn

from bot.store import sqlite_driver
from bot.store.columns import UTCDateTime

Row = tuple[Any, ...]
# SQLite's limit on a statement's parameters (SQLITE_MAX_VARIABLE_NUMBER, 32,766 since 3.32):
# a multi-row VALUES of more is sent in parts.
SQLITE_MAX_PARAMETERS = 32_766
# SQLAlchemy's storage format for a datetime in SQLite (its DATETIME type), for UTC values.
_SQLITE_DATETIME = "%04d-%02d-%02d %02d:%02d:%02d.%06d"


@dataclass(frozen=True)
class Call:
    """One statement to send: its SQL, its parameters, and whether it is sent once per row
    (``executemany``)."""

    sql: str
    parameters: Any
    many: bool = False


class Statement(Protocol):
    """A statement's shape: the calls that send it with ``rows`` to a database, or, where the
    database cannot say it in one statement, a plan of simpler statements whose result stands
    for what the one statement would have returned."""

    def calls(self, dialect: str, rows: Any) -> list[Call] | Plan[list[Row]]: ...


# What a plan yields (a statement and its rows) and is sent back (the rows it returned).
Step = tuple[Statement, Any]
T = TypeVar("T")
Plan = Generator[Step, list[Row], T]


def sqlite_datetime(value: datetime) -> str:
    """A datetime as SQLAlchemy stores it in SQLite through ``UTCDateTime``: in UTC, as text."""
    utc = value if value.tzinfo is UTC else value.astimezone(UTC)
    return _SQLITE_DATETIME % (
        utc.year,
        utc.month,
        utc.day,
        utc.hour,
        utc.minute,
        utc.second,
        utc.microsecond,
    )


def _sqlite_value(value: Any) -> Any:
    return sqlite_datetime(_aware(value)) if isinstance(value, datetime) else value


def _postgresql_value(value: Any) -> Any:
    return _aware(value) if isinstance(value, datetime) else value


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:  # as ``UTCDateTime`` refuses it: its zone would be guessed
        raise ValueError("naive datetime given for a UTC column")
    return value


@dataclass(frozen=True)
class InsertRows:
    """``INSERT ... ON CONFLICT DO NOTHING [RETURNING ...]`` of many rows into ``table``.

    Rows give ``columns`` in order; what comes back is ``returning``'s columns of the rows
    inserted (a row that conflicts returns nothing).
    """

    table: Table
    columns: tuple[str, ...]
    returning: tuple[str, ...] = ()
    # Built once: the SQL per dialect, and where the moments are.
    _sql: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def calls(self, dialect: str, rows: Sequence[Row]) -> list[Call]:
        if not rows:
            return []
        if dialect == "postgresql":
            return [Call(self.postgresql_sql(), self.postgresql_arrays(rows))]
        moments = self._moments()
        width = len(self.columns)
        if moments:
            texts: dict[datetime, str] = {}  # a batch's rows share their ``now``
            rows = [_with_texts(row, moments, texts) for row in rows]
        if not self.returning:
            return [
                Call(
                    self._head() + "(" + ", ".join("?" * width) + ")" + self._tail(),
                    rows,
                    many=True,
                )
            ]
        per_call = SQLITE_MAX_PARAMETERS // width
        one = "(" + ", ".join("?" * width) + ")"
        return [
            Call(
                self._head() + ", ".join([one] * len(part)) + self._tail(),
                [value for row in part for value in row],
            )
            for part in (rows[at : at + per_call] for at in range(0, len(rows), per_call))
        ]

    def postgresql_arrays(self, rows: Sequence[Row]) -> list[list[Any]]:
        """``rows`` as PostgreSQL's parameters: one array a column."""
        columns = [[row[at] for row in rows] for at in range(len(self.columns))]
        for at in self._moments():
            columns[at] = [_postgresql_value(value) for value in columns[at]]
        return columns

    def postgresql_casts(self, first: int) -> list[str]:
        """The array parameters of ``postgresql_arrays``, numbered from ``first``."""
        return [
            f"${at}::{_array_type(self.table, name)}"
            for at, name in enumerate(self.columns, start=first)
        ]

    def postgresql_from(self, source: str) -> str:
        """PostgreSQL's INSERT of the rows of ``source`` (a query's FROM), whose columns
        have the names of the table's."""
        names = ", ".join(quoted(name) for name in self.columns)
        return (
            f"INSERT INTO {quoted(self.table.name)} ({names}) SELECT {names} FROM {source}"
            + self._tail()
        )

    def _moments(self) -> tuple[int, ...]:
        """Where the ``UTCDateTime`` columns are among ``columns``: the values converted."""
        found = self._sql.get("moments")
        if found is None:
            found = self._sql["moments"] = tuple(
                at
                for at, name in enumerate(self.columns)
                if isinstance(self.table.c[name].type, UTCDateTime)
            )
        return found

    def _head(self) -> str:
        names = ", ".join(quoted(name) for name in self.columns)
        return f"INSERT INTO {quoted(self.table.name)} ({names}) VALUES "

    def _tail(self) -> str:
        tail = " ON CONFLICT DO NOTHING"
        if self.returning:
            tail += " RETURNING " + ", ".join(quoted(name) for name in self.returning)
        return tail

    def postgresql_sql(self) -> str:
        """The statement on PostgreSQL, its parameters those of ``postgresql_arrays``."""
        sql = self._sql.get("postgresql")
        if sql is None:
            names = ", ".join(quoted(name) for name in self.columns)
            arrays = ", ".join(self.postgresql_casts(1))
            sql = self._sql["postgresql"] = self.postgresql_from(
                f"unnest({arrays}) AS given({names})"
            )
        return sql


@dataclass(frozen=True)
class SelectIn:
    """``SELECT columns FROM table WHERE a IN (...) AND b IN (...)``: each row given holds the
    values of one ``where`` column (every row of the table matching one of each comes back)."""

    table: Table
    columns: tuple[str, ...]
    where: tuple[str, ...]
    # PostgreSQL's SQL, built once (SQLite's has a placeholder a value).
    _sql: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def calls(self, dialect: str, rows: Sequence[Row]) -> list[Call]:
        if not rows or not all(rows):
            return []
        if dialect == "postgresql":
            arrays = [list(map(_postgresql_value, values)) for values in rows]
            return [Call(self.postgresql_sql(), arrays)]
        tests = [
            f"{quoted(name)} IN ({', '.join('?' * len(values))})"
            for name, values in zip(self.where, rows, strict=True)
        ]
        values = [_sqlite_value(value) for values in rows for value in values]
        return [Call(self._head() + " AND ".join(tests), values)]

    def _head(self) -> str:
        names = ", ".join(quoted(name) for name in self.columns)
        return f"SELECT {names} FROM {quoted(self.table.name)} WHERE "

    def postgresql_sql(self) -> str:
        sql = self._sql.get("postgresql")
        if sql is None:
            tests = [
                f"{quoted(name)} = ANY(${at}::{_array_type(self.table, name)})"
                for at, name in enumerate(self.where, start=1)
            ]
            sql = self._sql["postgresql"] = self._head() + " AND ".join(tests)
        return sql


@dataclass(frozen=True)
class SetWhereNull:
    """``UPDATE table SET column = value WHERE key = ? AND column IS NULL``, a row (key, value)
    each: a value set once, by the first that comes."""

    table: Table
    key: str
    column: str

    def calls(self, dialect: str, rows: Sequence[Row]) -> list[Call]:
        first: dict[Any, Any] = {}
        for key_value, value in rows:
            first.setdefault(key_value, value)  # a key given twice: its first value is set
        rows = list(first.items())
        if not rows:
            return []
        table, key, column = quoted(self.table.name), quoted(self.key), quoted(self.column)
        if dialect == "postgresql":
            sql = (
                f"UPDATE {table} SET {column} = given.value FROM unnest("
                f"$1::{_array_type(self.table, self.key)}, "
                f"$2::{_array_type(self.table, self.column)}) AS given(key, value) "
                f"WHERE {table}.{key} = given.key AND {table}.{column} IS NULL"
            )
            return [Call(sql, _by_column(rows, 2))]
        sql = f"UPDATE {table} SET {column} = ? WHERE {key} = ? AND {column} IS NULL"
        return [Call(sql, [(_sqlite_value(value), k) for k, value in rows], many=True)]


def _by_column(rows: Sequence[Row], width: int) -> list[list[Any]]:
    """PostgreSQL's arrays, one a column."""
    return [[_postgresql_value(row[at]) for row in rows] for at in range(width)]


def _with_texts(row: Row, moments: tuple[int, ...], texts: dict[datetime, str]) -> Row:
    """``row`` with its moments as SQLite's text (each distinct moment formatted once)."""
    values = list(row)
    for at in moments:
        moment = values[at]
        if moment is not None:
            text = texts.get(moment)
            if text is None:
                text = texts[moment] = sqlite_datetime(_aware(moment))
            values[at] = text
    return tuple(values)


def quoted(name: str) -> str:
    # Every name quoted: ``user`` is a reserved word in PostgreSQL.
    return f'"{name}"'


@cache
def _array_type(table: Table, name: str) -> str:
    """PostgreSQL's array type of a column, from its SQLAlchemy type (``TEXT[]``)."""
    column_type = table.c[name].type
    if isinstance(column_type, UTCDateTime):
        return "TIMESTAMP WITH TIME ZONE[]"
    dialect: Dialect = postgresql.dialect()  # type: ignore[no-untyped-call]  # untyped in SQLAlchemy
    return column_type.compile(dialect=dialect) + "[]"


async def run_plan(connection: AsyncConnection, plan: Plan[T]) -> T:
    """Carry ``plan`` out in ``connection``'s transaction (begun if it was not); its result."""
    if not connection.in_transaction():
        await connection.begin()
    driver = await _one_hop(connection)
    if driver is not None:
        return await _in_sqlite_thread(connection, driver, _run_in_sqlite, plan)
    return cast(T, await _run_by_statement(connection, plan))


async def run_transaction(engine: AsyncEngine, plan: Plan[T], *, one_write: bool = False) -> T:
    """Carry ``plan`` out in a transaction of its own, committed; its result.

    With SQLite's one-hop driver, BEGIN IMMEDIATE, the plan and COMMIT are one hop: each
    hop waits its turn in the event loop behind every request already read, so under load a
    transaction of three hops took three such turns before its senders were answered.

    ``one_write``: the plan writes with one statement on PostgreSQL (any others only read).
    That statement is atomic by itself, so there it runs outside a transaction block, each
    statement committed as it ends: BEGIN and COMMIT would be two more round trips to the
    server, which the single writer of Slack events waits through for every batch. (What
    the plan read may change before its write, as in a transaction at PostgreSQL's READ
    COMMITTED, where each statement sees what was committed when it began.)
    """
    if engine.dialect.name == "sqlite":
        carried_out, result = await greenlet_spawn(_one_hop_transaction, engine, plan)
        if carried_out:
            return cast(T, result)
    async with engine.connect() as connection:
        if one_write and connection.dialect.name == "postgresql":
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            return cast(T, await _run_by_statement(autocommit, plan))
        async with connection.begin():
            return cast(T, await _run_by_statement(connection, plan))


def _one_hop_transaction(engine: AsyncEngine, plan: Plan[T]) -> tuple[bool, T | None]:
    """``run_transaction`` on SQLite with the one-hop driver: (True, its result); (False,
    None) with another driver, having done nothing.

    Run in one greenlet (SQLAlchemy's bridge from its synchronous pool to the event loop, as
    its ``AsyncEngine`` does): the pool's connection taken, the one hop, the connection given
    back. An ``AsyncConnection`` around it took a greenlet for each of the three, an object
    of its own and a task to give the connection back: as much of the event loop's CPU as the
    hop itself for a batch of a few events (bench/RESULTS.md).
    """
    pooled = engine.sync_engine.raw_connection()
    try:
        driver = pooled.driver_connection
        if not isinstance(driver, sqlite_driver.OneHopConnection):
            return False, None
        try:
            return True, await_(sqlite_driver.in_thread(driver, _transaction_in_sqlite, plan))
        except sqlite_driver.ConnectionClosed as error:
            # As ``_in_sqlite_thread``: the pool opens a new connection for the next one.
            pooled.invalidate(error)
            raise _closed(error) from error
    finally:
        pooled.close()


class KeptConnection:
    """``run_transaction(..., one_write=True)`` for one writer that runs such transactions one
    after another all day (the process's writer of Slack events), on a connection it keeps.

    On PostgreSQL every transaction of its own took a connection from the pool and gave it
    back: the pool's liveness ping (a round trip), greenlet switches and the AUTOCOMMIT
    option each time, more CPU and waiting than a batch of one event's own work
    (bench/RESULTS.md), so the writer keeps one, in AUTOCOMMIT, out of the pool's ten. A kept
    connection that fails is dropped (the next opens another through the pool, pinged); one
    that the server closed since the last batch (a restart, an idle timeout, an operator's
    pg_terminate_backend) is found so by the batch's first statement, which never ran: the
    batch is run once more on a new connection, as the ping would have done before it. (Had
    the connection broken while the statement ran, it may have committed: its claims make the
    second run change nothing, so each event is still kept once.)

    On SQLite the pool's one connection serves every transaction of the process (bot/store/
    db.py): keeping it would leave the rest waiting, so each transaction takes it in turn.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._kept: AsyncConnection | None = None

    async def run_transaction(self, plan: Callable[[], Plan[T]]) -> T:
        """The plan ``plan()`` makes, carried out as ``run_transaction`` with ``one_write``
        does; ``plan`` is called again if the batch is run again."""
        if self.engine.dialect.name != "postgresql":
            return await run_transaction(self.engine, plan(), one_write=True)
        fresh = self._kept is None
        try:
            return await self._run(plan())
        except DBAPIError as error:
            if fresh or not error.connection_invalidated:
                raise
        return await self._run(plan())  # the kept connection had been closed meanwhile

    async def _run(self, plan: Plan[T]) -> T:
        connection = self._kept
        if connection is None:
            connection = await self.engine.connect()
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            self._kept = connection
        try:
            return cast(T, await _run_by_statement(connection, plan))
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Give the kept connection back to the pool (a broken one is discarded there)."""
        connection, self._kept = self._kept, None
        if connection is not None:
            await connection.close()


async def _one_hop(connection: AsyncConnection) -> Any:
    """The one-hop driver's connection under ``connection``, if that is what it is."""
    if connection.dialect.name != "sqlite":
        return None
    driver = (await connection.get_raw_connection()).driver_connection
    return driver if isinstance(driver, sqlite_driver.OneHopConnection) else None


async def _in_sqlite_thread(
    connection: AsyncConnection,
    driver: Any,
    work: Callable[[sqlite3.Connection, Plan[T]], T | None],
    plan: Plan[T],
) -> T:
    """``work`` in SQLite's thread; a closed connection is what SQLAlchemy makes of it for
    any statement: an OperationalError for a lost database, the connection invalidated so
    that the pool opens a new one, rather than every later batch failing on it too."""
    try:
        return cast(T, await sqlite_driver.in_thread(driver, work, plan))
    except sqlite_driver.ConnectionClosed as error:
        await connection.invalidate(error)
        raise _closed(error) from error


def _closed(error: sqlite_driver.ConnectionClosed) -> OperationalError:
    """What SQLAlchemy raises for a statement on a closed SQLite connection."""
    return OperationalError("SQLite's connection", None, error, connection_invalidated=True)


def _transaction_in_sqlite(connection: sqlite3.Connection, plan: Plan[T]) -> T | None:
    """BEGIN IMMEDIATE (as every transaction here, bot/store/db.py), the plan and COMMIT, in
    SQLite's thread; rolled back if any of it fails."""
    _execute(connection, "BEGIN IMMEDIATE")
    try:
        result = _run_in_sqlite(connection, plan)
        _execute(connection, "COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.rollback()
        raise
    return result


def _execute(connection: sqlite3.Connection, sql: str) -> None:
    try:
        sqlite_driver.patiently(connection, lambda: connection.execute(sql))
    except sqlite3.Error as error:
        raise _as_sqlalchemys(error, sql) from error


def _as_sqlalchemys(error: sqlite3.Error, sql: str) -> DBAPIError:
    """The error as SQLAlchemy raises it for any statement (OperationalError for a lost or
    locked database), without the parameters: they hold people's words."""
    found = DBAPIError.instance(sql, None, error, sqlite3.Error, hide_parameters=True)
    # instance() answers a DBAPIError whenever the error is the driver's (sqlite3.Error).
    assert isinstance(found, DBAPIError)
    return found


class _Steps(Generic[T]):
    """A plan's statements as calls to send, one statement at a time; a statement that is a
    plan of its own on this database (``Statement``) is carried out in its place."""

    def __init__(self, plan: Plan[T], dialect: str) -> None:
        self.dialect = dialect
        self.plans: list[Plan[Any]] = [plan]
        self.result: T | None = None

    def calls(self, returned: list[Row] | None) -> list[Call] | None:
        """The next statement's calls, given what the last one returned (None to start);
        None once the plan is done, its result in ``result``."""
        while True:
            try:
                # A plan starts at the first send, which is None (as every generator's is).
                statement, rows = self.plans[-1].send(returned)  # type: ignore[arg-type]
            except StopIteration as done:
                self.plans.pop()
                if not self.plans:
                    self.result = done.value
                    return None
                returned = done.value  # what the inner plan stands for
                continue
            calls = statement.calls(self.dialect, rows)
            if isinstance(calls, list):
                return calls
            self.plans.append(calls)
            returned = None


def _run_in_sqlite(connection: sqlite3.Connection, plan: Plan[T]) -> T | None:
    """The plan, start to end, in SQLite's thread."""
    steps, returned, cursor = _Steps(plan, "sqlite"), None, connection.cursor()
    try:
        while (calls := steps.calls(returned)) is not None:
            returned = []
            for call in calls:
                try:
                    if call.many:
                        cursor.executemany(call.sql, call.parameters)
                    else:
                        returned += cursor.execute(call.sql, call.parameters).fetchall()
                except sqlite3.Error as error:
                    raise _as_sqlalchemys(error, call.sql) from error
    finally:
        cursor.close()
    return steps.result


async def _run_by_statement(connection: AsyncConnection, plan: Plan[T]) -> T | None:
    """The plan, a statement at a time through SQLAlchemy (its transaction, errors, events)."""
    steps, returned = _Steps(plan, connection.dialect.name), None
    while (calls := steps.calls(returned)) is not None:
        returned = []
        for call in calls:
            parameters = call.parameters if call.many else tuple(call.parameters)
            result = await connection.exec_driver_sql(call.sql, parameters)
            if result.returns_rows:
                returned += [tuple(row) for row in result]
    return steps.result
