"""SQLite's one-hop driver (bot/store/sqlite_driver.py) answers what aiosqlite's own does.

The same statements go through an engine made by ``bot.store.db.create_engine`` and through a
plain SQLAlchemy engine on stock aiosqlite, and every answer SQLAlchemy hands on (rows,
``rowcount``, ``lastrowid``, the error) must agree; then what the driver is for: one hand-off
to SQLite's thread per statement.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.store import sqlite_driver
from bot.store.db import create_engine

STATEMENTS: list[tuple[str, Any]] = [
    ("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT UNIQUE, size INTEGER)", None),
    ("INSERT INTO item (name, size) VALUES (:name, :size)", {"name": "a", "size": 1}),
    (
        "INSERT INTO item (name, size) VALUES (:name, :size)",
        [{"name": f"n{i}", "size": i} for i in range(5)],
    ),
    ("INSERT INTO item (name, size) VALUES ('r1', 7), ('r2', 8) RETURNING id, name", None),
    ("INSERT INTO item (name, size) VALUES ('a', 9) ON CONFLICT DO NOTHING", None),
    ("UPDATE item SET size = size + 1 WHERE size > :floor", {"floor": 2}),
    ("UPDATE item SET size = 0 WHERE size > 100 RETURNING id", None),
    ("DELETE FROM item WHERE name LIKE 'n%' AND size < :cap", {"cap": 4}),
    ("SELECT id, name, size FROM item ORDER BY id", None),
    ("SELECT count(*) FROM item WHERE size IS NULL", None),
]


async def _answers(connection: AsyncConnection) -> list[tuple[Any, ...]]:
    answers = []
    for sql, parameters in STATEMENTS:
        result = await connection.execute(text(sql), parameters)
        rows = [tuple(row) for row in result.all()] if result.returns_rows else None
        lastrowid = None if isinstance(parameters, list) else result.lastrowid
        answers.append((sql, rows, result.rowcount, lastrowid))
    try:
        await connection.execute(text("INSERT INTO item (name) VALUES ('a')"))
    except IntegrityError as error:
        answers.append(("duplicate", type(error.orig).__name__, str(error.orig)))
    return answers


def _stock_engine(path: Path) -> AsyncEngine:
    return create_async_engine(f"sqlite+aiosqlite:///{path}")


async def test_every_answer_is_the_stock_drivers(tmp_path: Path) -> None:
    ours, stock = (
        create_engine(f"sqlite:///{tmp_path / 'ours.db'}"),
        _stock_engine(tmp_path / "stock.db"),
    )
    try:
        async with ours.connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
            assert isinstance(raw, sqlite_driver.OneHopConnection)
            mine = await _answers(connection)
        async with stock.connect() as connection:
            theirs = await _answers(connection)
    finally:
        await ours.dispose()
        await stock.dispose()
    assert mine == theirs
    # And they say something: rows came back, counts were counted, the duplicate refused.
    assert mine[3][1] == [(7, "r1"), (8, "r2")] and mine[5][2] == 4
    assert mine[-1][:2] == ("duplicate", "IntegrityError")


async def test_a_refused_statement_rolls_back_to_its_savepoint_and_the_rest_commits(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE item (name TEXT UNIQUE)"))
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO item VALUES ('kept')"))
            with pytest.raises(IntegrityError):
                async with connection.begin_nested():
                    await connection.execute(text("INSERT INTO item VALUES ('also')"))
                    await connection.execute(text("INSERT INTO item VALUES ('kept')"))
            await connection.execute(text("INSERT INTO item VALUES ('after')"))
        async with engine.connect() as connection:
            names = (await connection.execute(text("SELECT name FROM item ORDER BY name"))).all()
        assert [name for (name,) in names] == ["after", "kept"]
    finally:
        await engine.dispose()


async def test_many_units_of_work_at_once_all_commit(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")

    async def add(number: int) -> None:
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO item VALUES (:n)"), {"n": number})
            seen = await connection.execute(
                text("SELECT count(*) FROM item WHERE n = :n"), {"n": number}
            )
            assert seen.scalar() == 1

    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE item (n INTEGER PRIMARY KEY)"))
        await asyncio.gather(*(add(number) for number in range(200)))
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT count(*) FROM item"))).scalar() == 200
    finally:
        await engine.dispose()


async def test_a_closed_connection_is_the_databases_error_not_a_crash(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        async with engine.connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
            await raw.close()
            with pytest.raises(OperationalError):
                await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()


async def test_a_connection_closed_under_the_pool_goes_back_without_an_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Given back with its SQLite connection gone, there is nothing to roll back: as
    SQLAlchemy's own reset, not an error in the log."""
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        async with engine.connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
            await raw.close()
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert errors == []
    finally:
        await engine.dispose()


async def test_a_statement_is_one_hand_off_to_sqlites_thread(tmp_path: Path) -> None:
    """What the driver is for: the stock one hands a statement with rows over four times
    (cursor, execute, fetch, close; bench/RESULTS.md)."""
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 0"))  # the transaction's BEGIN, before
            raw = (await connection.get_raw_connection()).driver_connection
            with _counting(raw) as counting:
                for _ in range(10):
                    await connection.execute(text("SELECT 1, 2"))
        assert counting.hand_offs == 10
    finally:
        await engine.dispose()


async def test_a_committed_transaction_is_given_back_without_a_rollback(tmp_path: Path) -> None:
    """BEGIN, the statement, COMMIT: SQLAlchemy's pool would add a ROLLBACK as the connection
    is given back, one more hand-off for each transaction."""
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        async with engine.connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
        with _counting(raw) as counting:
            async with engine.begin() as connection:
                await connection.execute(text("SELECT 1"))
        assert counting.hand_offs == 3
    finally:
        await engine.dispose()


async def test_a_connection_given_back_inside_a_transaction_is_rolled_back(
    tmp_path: Path,
) -> None:
    """A transaction SQLAlchemy did not open (so its Connection cannot close it) is still
    rolled back when the connection goes back: its write is gone, and the next unit of work
    can begin (BEGIN IMMEDIATE inside a transaction is an error)."""
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE item (name TEXT)"))
        async with engine.connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
            await raw.execute("BEGIN IMMEDIATE")
            await raw.execute("INSERT INTO item VALUES ('left open')")
        async with engine.begin() as connection:
            rows = (await connection.execute(text("SELECT name FROM item"))).all()
        assert rows == []
    finally:
        await engine.dispose()


@contextmanager
def _counting(raw: Any) -> Iterator[_Counting]:
    """What is handed to ``raw``'s thread meanwhile, counted."""
    counting = _Counting(raw._tx)
    raw._tx = counting
    try:
        yield counting
    finally:
        raw._tx = counting.queue


class _Counting:
    """aiosqlite's queue to its thread, counting what is put on it."""

    def __init__(self, queue: Any) -> None:
        self.queue = queue
        self.hand_offs = 0

    def put_nowait(self, item: object) -> None:
        self.hand_offs += 1
        self.queue.put_nowait(item)


def test_only_the_aiosqlite_releases_it_was_written_for_get_the_driver() -> None:
    """Its private names may change in any release; an install without the lock files gets
    another aiosqlite, and then the stock driver."""
    assert sqlite_driver.fits()  # the locked release, which the tests above ran on
    assert sqlite_driver.fits("0.22.9")
    assert not sqlite_driver.fits("0.21.0")
    assert not sqlite_driver.fits("0.23.0")
    assert not sqlite_driver.fits("1.0.0")
