"""PostgreSQL databases of their own, for a test run (``postgres_url`` in tests/conftest.py) or
a benchmark's run (``bench.paging --database-url``): made empty, under a name nothing else on
the server uses, on the server a URL names, and dropped after. And a table locked by another
session, as a loaded or stalled database holds it (``writes_held``); and everything a
database holds, as text (``dumped``: what a backup of it would give away)."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.db import create_engine

# PostgreSQL's SQLSTATE for a database that does not exist (class 3D, invalid_catalog_name).
INVALID_CATALOG_NAME = "3D000"
# The database every server has, which createdb and dropdb connect to (their --maintenance-db).
MAINTENANCE_DATABASE = "postgres"
# PostgreSQL keeps the first NAMEDATALEN - 1 bytes of a name.
NAME_MAX = 63


async def on_server(server_url: str, statement: str) -> None:
    """``statement`` (CREATE or DROP DATABASE: outside a transaction) run on ``server_url``'s
    server, connected to the database it names or, when that one does not exist (a name for
    the benchmark's databases, say), to the server's ``postgres`` database."""
    try:
        await _run(server_url, statement)
    except DBAPIError as error:
        if getattr(error.orig, "pgcode", None) != INVALID_CATALOG_NAME:
            raise
        maintenance = make_url(server_url).set(database=MAINTENANCE_DATABASE)
        await _run(maintenance.render_as_string(hide_password=False), statement)


async def _run(url: str, statement: str) -> None:
    engine = create_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            # CREATE and DROP DATABASE wait on the server's checkpoint and on the sessions
            # FORCE ends, which on a loaded machine can outlast the store's statement timeout.
            await connection.execute(text("SET statement_timeout = 0"))
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def new_database(server_url: str, prefix: str) -> str:
    """A new, empty database on ``server_url``'s server, named ``prefix`` and 12 random hex
    digits; its URL (``server_url``'s, naming it)."""
    name = f"{prefix[: NAME_MAX - 13]}_{uuid.uuid4().hex[:12]}"
    await on_server(server_url, f"CREATE DATABASE {_quoted(name)}")
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def drop_database(server_url: str, database_url: str) -> None:
    """The database ``database_url`` names dropped, through ``server_url``'s server, however
    many connections to it are left (``WITH (FORCE)``, PostgreSQL 13 and later)."""
    name = make_url(database_url).database or ""
    await on_server(server_url, f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)")


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class HeldLock:
    """Statements to run in the held transaction before it commits."""

    def __init__(self) -> None:
        self.before_release: list[str] = []


@asynccontextmanager
async def writes_held(
    engine: AsyncEngine, database_url: str, table: str = "received_command"
) -> AsyncIterator[HeldLock]:
    """``table`` locked against writes by another session until the block ends (SQLite's
    write lock, which holds every table; PostgreSQL's ``LOCK TABLE ... IN EXCLUSIVE MODE``,
    through ``engine``, which reads still pass); what the block asks is run in that
    transaction, committed on release."""
    lock = HeldLock()
    url = make_url(database_url)
    if url.drivername.startswith("sqlite"):
        connection = sqlite3.connect(
            str(url.database), timeout=30, isolation_level=None, check_same_thread=False
        )
        await asyncio.to_thread(connection.execute, "BEGIN IMMEDIATE")
        try:
            yield lock
            for statement in lock.before_release:
                connection.execute(statement)
            connection.execute("COMMIT")
        finally:
            connection.close()
        return
    async with engine.connect() as held:
        transaction = await held.begin()
        await held.exec_driver_sql(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        yield lock
        for statement in lock.before_release:
            await held.exec_driver_sql(statement)
        await transaction.commit()


async def dumped(engine: AsyncEngine) -> dict[str, str]:
    """Every row of every table (the search words' too, on SQLite), each value as text, by
    table: what a dump of the database, or a backup of it, holds."""

    def read(connection: Connection) -> dict[str, str]:
        tables: dict[str, str] = {}
        for name in inspect(connection).get_table_names():
            quoted = _quoted(name)
            rows = connection.execute(text(f"SELECT * FROM {quoted}"))
            tables[name] = "\n".join("\t".join(str(value) for value in row) for row in rows)
        return tables

    async with engine.connect() as connection:
        return await connection.run_sync(read)
