"""Statements handed to the driver as they are (bot/store/direct.py), on SQLite and PostgreSQL.

What they write must read back through the models exactly as SQLAlchemy's own statements
would have written it, their errors must be SQLAlchemy's, and on SQLite a whole plan must be
one hand-off to SQLite's thread, which is what the module is for.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.flows.group_commit import database_gone
from bot.store import sqlite_driver
from bot.store.columns import UTCDateTime
from bot.store.db import create_engine
from bot.store.direct import (
    SQLITE_MAX_PARAMETERS,
    Call,
    InsertRows,
    Plan,
    Row,
    SelectIn,
    SetWhereNull,
    run_plan,
    run_transaction,
    sqlite_datetime,
)
from tests.conftest import reset_postgres
from tests.store.test_sqlite_driver import _counting

METADATA = MetaData()
ITEMS = Table(
    "item",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("name", String, unique=True, nullable=False),
    Column("user", String),  # a reserved word in PostgreSQL
    Column("note", Text),
    Column("seen_at", UTCDateTime()),
)
NEW_ITEMS = InsertRows(ITEMS, ("name", "user", "note", "seen_at"), returning=("name",))
QUIET_ITEMS = InsertRows(ITEMS, ("name", "user", "note", "seen_at"))
ITEMS_NAMED = SelectIn(ITEMS, ("name", "user", "seen_at"), where=("name",))
FIRST_SEEN = SetWhereNull(ITEMS, key="id", column="seen_at")
PARIS = timezone(timedelta(hours=1))
MOMENTS = [
    datetime(2025, 3, 27, 15, 42, tzinfo=UTC),
    datetime(2025, 3, 27, 16, 42, 0, 123456, tzinfo=PARIS),
    datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]


@pytest.fixture
async def items(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(METADATA.create_all)
    yield engine
    await engine.dispose()


def inserting(statement: InsertRows, rows: list[Row]) -> Plan[list[Row]]:
    returned = yield statement, rows
    return returned


async def test_rows_read_back_as_sqlalchemys_own_statements_wrote_them(
    items: AsyncEngine,
) -> None:
    """The same values through SQLAlchemy's insert and through ``InsertRows``: the models
    read both back alike (datetimes in UTC, a zone converted), and on SQLite the stored text
    is the very text SQLAlchemy stores (so comparisons and order see no difference)."""
    async with items.begin() as connection:
        for at, moment in enumerate(MOMENTS):
            core = {"name": f"core{at}", "user": "U1", "note": "<@U1> &amp; co", "seen_at": moment}
            await connection.execute(insert(ITEMS), core)
        direct = [
            (f"direct{at}", "U1", "<@U1> &amp; co", moment) for at, moment in enumerate(MOMENTS)
        ]
        returned = await run_plan(connection, inserting(NEW_ITEMS, direct))
    assert sorted(returned) == [(f"direct{at}",) for at in range(len(MOMENTS))]
    async with items.connect() as connection:
        rows = {row.name: row for row in await connection.execute(select(ITEMS))}
    for at, moment in enumerate(MOMENTS):
        core, direct_row = rows[f"core{at}"], rows[f"direct{at}"]
        assert (direct_row.user, direct_row.note) == (core.user, core.note)
        assert direct_row.seen_at == core.seen_at == moment
        assert direct_row.seen_at.tzinfo == UTC
    if items.dialect.name == "sqlite":
        async with items.connect() as connection:
            stored = dict(
                (await connection.exec_driver_sql("SELECT name, seen_at FROM item")).all()
            )
        for at, moment in enumerate(MOMENTS):
            assert stored[f"direct{at}"] == stored[f"core{at}"] == sqlite_datetime(moment)


async def test_conflicting_rows_return_nothing_and_many_rows_all_come_back(
    items: AsyncEngine,
) -> None:
    """More rows than SQLite takes parameters in one statement: all inserted, all returned;
    sent again with two new ones, only those two come back and nothing is doubled."""
    count = SQLITE_MAX_PARAMETERS // 4 + 500
    rows = [(f"n{at}", None, None, None) for at in range(count)]
    parts = NEW_ITEMS.calls("sqlite", rows)
    assert len(parts) == 2 and all(len(c.parameters) <= SQLITE_MAX_PARAMETERS for c in parts)
    async with items.begin() as connection:
        if items.dialect.name == "sqlite":
            # This build of SQLite takes more; held to the limit the module writes for.
            raw = (await connection.get_raw_connection()).driver_connection
            await sqlite_driver.in_thread(raw, _limit_parameters)
        first = await run_plan(connection, inserting(NEW_ITEMS, rows))
    async with items.begin() as connection:
        again = await run_plan(
            connection,
            inserting(NEW_ITEMS, [*rows, *[("x", None, None, None), ("y", None, None, None)]]),
        )
        total = (await connection.execute(text("SELECT count(*) FROM item"))).scalar_one()
    assert sorted(first) == sorted((f"n{at}",) for at in range(count))
    assert sorted(again) == [("x",), ("y",)]
    assert total == count + 2


def _limit_parameters(connection: sqlite3.Connection) -> None:
    connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, SQLITE_MAX_PARAMETERS)


def _select_then_set(names: list[str], moment: datetime) -> Plan[list[Row]]:
    yield QUIET_ITEMS, [(name, f"U{name}", None, None) for name in names]
    found = yield ITEMS_NAMED, [tuple(names)]
    ids = yield SelectIn(ITEMS, ("id",), where=("name",)), [(names[0],)]
    later = moment + timedelta(hours=1)
    yield FIRST_SEEN, [(ids[0][0], moment), (ids[0][0], later)]  # the first given is set
    yield FIRST_SEEN, [(ids[0][0], later)]  # set already: no change
    return found


async def test_a_plan_reads_what_it_wrote_and_sets_a_value_once(items: AsyncEngine) -> None:
    moment = MOMENTS[1]
    async with items.begin() as connection:
        found = await run_plan(connection, _select_then_set(["a", "b", "c"], moment))
    assert sorted((name, user) for name, user, _ in found) == [
        ("a", "Ua"),
        ("b", "Ub"),
        ("c", "Uc"),
    ]
    async with items.connect() as connection:
        seen = dict((await connection.execute(select(ITEMS.c.name, ITEMS.c.seen_at))).all())
    assert seen == {"a": moment, "b": None, "c": None}


def _good_then_refused() -> Plan[None]:
    yield QUIET_ITEMS, [("kept only if all is", "U1", "secret words", None)]
    yield QUIET_ITEMS, [(None, "U1", "secret words", None)]  # name is NOT NULL


async def test_a_refused_statement_is_sqlalchemys_error_and_loses_the_whole_plan(
    items: AsyncEngine,
) -> None:
    """The error is the one SQLAlchemy raises for any statement (the Slack event writer tells
    a lost database from a bad row by it), it does not carry people's words, and the
    transaction holds nothing of the plan once rolled back."""
    with pytest.raises(IntegrityError) as refused:
        async with items.begin() as connection:
            await run_plan(connection, _good_then_refused())
    assert "secret words" not in str(refused.value)
    async with items.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM item"))).scalar_one() == 0


async def test_a_naive_datetime_is_refused_as_the_column_type_refuses_it(
    items: AsyncEngine,
) -> None:
    with pytest.raises(ValueError, match="naive"):
        async with items.begin() as connection:
            await run_plan(
                connection, inserting(NEW_ITEMS, [("a", None, None, datetime(2025, 1, 1))])
            )


async def test_a_nul_in_a_value_is_dropped_on_postgresql_as_for_any_statement(
    items: AsyncEngine,
) -> None:
    """PostgreSQL's text cannot hold NUL and would refuse the batch: the engine's guard
    applies here too. SQLite keeps it as it is."""
    async with items.begin() as connection:
        await run_plan(connection, inserting(NEW_ITEMS, [("a", None, "one\x00two", None)]))
    async with items.connect() as connection:
        note = (await connection.execute(select(ITEMS.c.note))).scalar_one()
    assert note == ("onetwo" if items.dialect.name == "postgresql" else "one\x00two")


async def test_a_whole_plan_is_one_hand_off_to_sqlites_thread(tmp_path: Path) -> None:
    """What the module is for: through SQLAlchemy each of these five statements would be a
    hand-off of its own."""
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(METADATA.create_all)
        async with engine.begin() as connection:
            await connection.execute(text("SELECT 0"))  # the transaction's BEGIN, before
            raw = (await connection.get_raw_connection()).driver_connection
            with _counting(raw) as counting:
                found = await run_plan(connection, _select_then_set(["a", "b"], MOMENTS[0]))
        assert counting.hand_offs == 1 and len(found) == 2
    finally:
        await engine.dispose()


async def test_the_stock_sqlite_driver_gets_the_same_answers(tmp_path: Path) -> None:
    """Without the one-hop driver (another aiosqlite release), each statement goes through
    SQLAlchemy, with the same results."""
    answers = []
    for engine in (
        create_engine(f"sqlite:///{tmp_path / 'ours.db'}"),
        create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'stock.db'}"),
    ):
        try:
            async with engine.begin() as connection:
                await connection.run_sync(METADATA.create_all)
                found = await run_plan(connection, _select_then_set(["a", "b"], MOMENTS[1]))
            # A transaction of its own as well (its one-hop path is the driver's only).
            found += await run_transaction(engine, _select_then_set(["c"], MOMENTS[2]))
            async with engine.connect() as connection:
                stored = (await connection.exec_driver_sql("SELECT * FROM item ORDER BY id")).all()
            answers.append((sorted(found), stored))
        finally:
            await engine.dispose()
    assert answers[0] == answers[1]
    assert answers[0][1][0][-1] == sqlite_datetime(MOMENTS[1])


async def test_a_transaction_of_its_own_commits_or_keeps_nothing(items: AsyncEngine) -> None:
    """``run_transaction``: committed when the plan ends; when it fails, rolled back and the
    connection is free for the next unit of work (on SQLite a transaction left open would
    make the next BEGIN IMMEDIATE fail)."""
    with pytest.raises(IntegrityError):
        await run_transaction(items, _good_then_refused())
    found = await run_transaction(items, _select_then_set(["a"], MOMENTS[0]))
    assert [name for name, *_ in found] == ["a"]
    async with items.connect() as connection:
        names = (await connection.execute(select(ITEMS.c.name))).scalars().all()
    assert names == ["a"]


@pytest.mark.parametrize("inner", [False, True], ids=["plan", "plan-with-an-inner-plan"])
async def test_a_transaction_of_its_own_is_one_hand_off_on_sqlite(
    tmp_path: Path, inner: bool
) -> None:
    """BEGIN IMMEDIATE, the plan's statements (those of an inner plan among them) and COMMIT:
    one turn of the event loop."""
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(METADATA.create_all)
        async with engine.connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
        plan = _inner_then_outer() if inner else _select_then_set(["a", "b"], MOMENTS[0])
        with _counting(raw) as counting:
            await run_transaction(engine, plan)
        assert counting.hand_offs == 1
    finally:
        await engine.dispose()


async def test_a_plan_on_a_connection_with_no_transaction_begins_one(items: AsyncEngine) -> None:
    """Its statements are one transaction, not each its own: when one is refused, none stays."""
    with pytest.raises(IntegrityError):
        async with items.connect() as connection:
            await run_plan(connection, _good_then_refused())
    async with items.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM item"))).scalar_one() == 0


async def test_a_closed_sqlite_connection_is_a_lost_database_and_is_replaced(
    tmp_path: Path,
) -> None:
    """As SQLAlchemy says it for any statement: an OperationalError the Slack event writer
    takes for a lost database (it fails the batch at once rather than event by event), and
    the pool's connection invalidated, so the next transaction gets a new one."""
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(METADATA.create_all)
        async with engine.connect() as connection:
            await (await connection.get_raw_connection()).driver_connection.close()
        with pytest.raises(OperationalError) as lost:
            await run_transaction(engine, inserting(NEW_ITEMS, [("lost", None, None, None)]))
        assert database_gone(lost.value)
        await run_transaction(engine, inserting(NEW_ITEMS, [("kept", None, None, None)]))
        async with engine.connect() as connection:
            names = (await connection.execute(select(ITEMS.c.name))).scalars().all()
        assert names == ["kept"]
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class _InsertedNames:
    """A statement that is a plan of its own everywhere: rows inserted, then their names and
    ids read back, as one statement would return them."""

    def calls(self, dialect: str, rows: Any) -> Plan[list[Row]]:
        return self._one_by_one(rows)

    @staticmethod
    def _one_by_one(rows: Any) -> Plan[list[Row]]:
        inserted = yield NEW_ITEMS, rows
        names = [name for (name,) in inserted]
        found = yield SelectIn(ITEMS, ("name", "id"), where=("name",)), [names]
        return sorted(found)


def _inner_then_outer() -> Plan[list[Row]]:
    found = yield _InsertedNames(), [("a", None, None, None), ("b", None, None, None)]
    yield FIRST_SEEN, [(found[0][1], MOMENTS[0])]  # what the inner plan returned
    return found


async def test_a_statement_that_is_a_plan_of_its_own_runs_in_its_place(
    items: AsyncEngine,
) -> None:
    """The inner plan's statements run where the statement stood, and what it returns is sent
    back as the statement's rows: the outer plan goes on with it."""
    found = await run_transaction(items, _inner_then_outer())
    assert [name for name, _ in found] == ["a", "b"]
    async with items.connect() as connection:
        seen = dict((await connection.execute(select(ITEMS.c.name, ITEMS.c.seen_at))).all())
    assert seen == {"a": MOMENTS[0], "b": None}


@dataclass(frozen=True)
class _Sql:
    """One statement of plain SQL without parameters."""

    sql: str

    def calls(self, dialect: str, rows: Any) -> list[Call]:
        return [Call(self.sql, ())]


def _write_then_ask_if_alone(name: str) -> Plan[list[Row]]:
    yield QUIET_ITEMS, [(name, None, None, None)]
    # Whether the row was written by another transaction than this statement's (xmin: the
    # writer's transaction id).
    alone = yield (
        _Sql(
            "SELECT xmin::text::bigint <> txid_current() % 4294967296"
            f" FROM item WHERE name = '{name}'"
        ),
        (),
    )
    return alone


async def test_one_write_on_postgresql_is_a_transaction_of_its_own(
    postgres_url: str | None,
) -> None:
    """``one_write``: no BEGIN and COMMIT around the plan's statements on PostgreSQL (two
    round trips fewer for the Slack event writer's every batch); each statement is its own
    transaction, committed when it ends. Without it, the plan is one transaction block."""
    if postgres_url is None:
        pytest.skip("PostgreSQL variant skipped: set WARROOM_TEST_DATABASE_URL")
    await reset_postgres(postgres_url)
    engine = create_engine(postgres_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(METADATA.create_all)
        alone = await run_transaction(engine, _write_then_ask_if_alone("a"), one_write=True)
        assert alone == [(True,)]
        assert await run_transaction(engine, _write_then_ask_if_alone("b")) == [(False,)]
    finally:
        await engine.dispose()
