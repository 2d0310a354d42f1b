"""The connection pool (bot/store/pool.py): a connection that cannot be opened keeps nobody
waiting, on SQLite and on PostgreSQL, and a connection in use is still waited for."""

from __future__ import annotations

import asyncio
import gc
import socket
import threading
import time
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.util.concurrency import await_
from sqlmodel import select

from bot.store.db import create_engine, session_scope
from bot.store.pool import FairPool


async def test_a_database_that_cannot_be_opened_fails_every_caller_at_once(
    tmp_path: Path,
) -> None:
    """Callers that came while the first was opening the connection get the database's own
    error within a second or two, not the pool's time-out after 30 s (SQLAlchemy's queue wakes
    them only for a connection given back, and a failed one never is)."""
    engine = create_engine(f"sqlite:///{tmp_path / 'gone' / 'warroom.db'}")
    earlier = set(threading.enumerate())
    errors, took = await _asked_together(engine, 4)
    assert all(isinstance(error, OperationalError) for error in errors), errors
    assert took < 10
    del errors  # their tracebacks hold the connections that failed to open
    await _threads_of_failed_connections_ended(earlier)


async def test_a_postgresql_server_that_refuses_fails_every_caller_at_once() -> None:
    """More callers than the pool's 20 connections, against a server that refuses them (a
    port bound and not listening, so no PostgreSQL is needed): each gets the refusal within
    seconds. SQLAlchemy's queue pool left the 21st and later asleep for its whole 30 s
    time-out, since the connections that failed to open never came back to wake them."""
    with socket.socket() as refusing:
        refusing.bind(("127.0.0.1", 0))
        port = refusing.getsockname()[1]
        engine = create_engine(f"postgresql://warroom@127.0.0.1:{port}/warroom")
        errors, took = await _asked_together(engine, 25)
    assert all(isinstance(error, OSError) for error in errors), errors
    assert took < 10


async def _asked_together(
    engine: AsyncEngine, callers: int
) -> tuple[list[BaseException | None], float]:
    """What each of ``callers`` asking at once for a connection got, and how long it took."""

    async def ask() -> BaseException | None:
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:
            return error
        return None

    began = time.monotonic()
    try:
        errors = await asyncio.gather(*(ask() for _ in range(callers)))
    finally:
        await engine.dispose()
    return errors, time.monotonic() - began


async def _threads_of_failed_connections_ended(earlier: set[threading.Thread]) -> None:
    """A connection that failed to open keeps its thread until it is collected, and then the
    thread answers on this test's event loop: collected here, while the loop still runs."""
    gc.collect()
    deadline = time.monotonic() + 5
    while any(thread.is_alive() for thread in set(threading.enumerate()) - earlier):
        assert time.monotonic() < deadline, "a database thread outlived the test"
        await asyncio.sleep(0.01)


async def test_a_connection_in_use_is_waited_for_past_a_look_again(tmp_path: Path) -> None:
    """A caller behind a transaction that lasts longer than a waiter's look gets the
    connection once it is given back, not an error."""
    engine = create_engine(f"sqlite:///{tmp_path / 'warroom.db'}")
    order: list[str] = []
    held = asyncio.Event()

    async def hold() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            order.append("held")
            held.set()
            await asyncio.sleep(1.2)
            order.append("giving back")

    async def wait_for_it() -> None:
        await held.wait()
        async with engine.connect() as connection:
            order.append("got it")
            await connection.execute(text("SELECT 1"))

    try:
        await asyncio.gather(hold(), wait_for_it())
    finally:
        await engine.dispose()
    assert order == ["held", "giving back", "got it"]


# Tasks running transactions back to back: more than a look-again's worth of them.
BUSY = 3


async def test_a_waiter_is_served_before_tasks_that_come_back_for_more(tmp_path: Path) -> None:
    """One connection, a 3 s time-out, three tasks each running ~100 ms transactions back to
    back in one session each: a fourth arriving gets the connection after the transactions
    queued ahead of it, not the pool's time-out. The queue pool gave a connection given back
    at a commit to whoever asked next (the task that committed, running its next statement
    at once) and sent the waiter woken for it to the end of the line: it failed after 3 s."""
    engine = create_engine(f"sqlite:///{tmp_path / 'warroom.db'}")
    assert isinstance(engine.pool, FairPool)
    engine.pool._timeout = 3  # the 30 s of production, shortened
    stop = asyncio.Event()
    began = asyncio.Event()

    async def busy() -> None:
        async with session_scope(engine) as session:
            while not stop.is_set():
                await session.exec(select(1))  # its connection, taken back from the pool
                began.set()
                await asyncio.sleep(0.1)
                await session.commit()  # and given back

    async def arrive() -> float:
        await began.wait()
        await asyncio.sleep(0.35)
        asked = time.monotonic()
        async with session_scope(engine) as session:
            await session.exec(select(1))
            await session.commit()
        return time.monotonic() - asked

    busy_tasks = [asyncio.create_task(busy()) for _ in range(BUSY)]
    try:
        waited = await arrive()
    finally:
        stop.set()
        await asyncio.gather(*busy_tasks)
        await engine.dispose()
    # Behind at most the three others' transactions: about 0.3 s on a quiet machine.
    assert waited < 2.5


async def test_a_waiter_handed_a_connection_while_it_opens_one_keeps_one_and_loses_nobody(
    tmp_path: Path,
) -> None:
    """Two connections; one held, and a newcomer's opening of the second fails while a
    third caller waits. The waiter, now first, opens the free slot itself; while it opens
    (the database answers in its own time), the held connection is given back and handed to
    it. It keeps one and gives back the other: nobody gets an error, no slot is lost. The
    pool took the head of whatever line was first once the opening returned, which here was
    empty (the waiter had been served): IndexError, the command behind it dropped."""
    engine = create_async_engine(
        f"sqlite+aiosqlite:///{tmp_path / 'warroom.db'}",
        poolclass=FairPool,
        pool_size=2,
        max_overflow=0,
    )
    pool = engine.pool
    assert isinstance(pool, FairPool)
    opened = 0
    held = await engine.connect()
    await held.execute(text("SELECT 1"))

    async def hold_on_until_the_waiter_queued() -> None:
        while not pool._rest:
            await asyncio.sleep(0.01)

    @event.listens_for(engine.sync_engine, "do_connect")
    def opening(*_: object) -> None:
        nonlocal opened
        opened += 1
        # The newcomer's (the held one was opened before this listened), refused once the
        # waiter is in line.
        if opened == 1:
            await_(hold_on_until_the_waiter_queued())
            raise OSError("the database refused the connection")
        if opened == 2:  # the waiter's: the held connection comes back meanwhile
            await_(held.close())

    async def newcomer() -> BaseException | None:
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:
            return error
        return None

    async def waiter() -> int:
        await asyncio.sleep(0.05)  # behind the newcomer
        async with engine.connect() as connection:
            return int((await connection.execute(text("SELECT 2"))).scalar_one())

    try:
        refused, answer = await asyncio.wait_for(asyncio.gather(newcomer(), waiter()), 20)
        assert isinstance(refused, Exception) and "refused" in str(refused)
        assert answer == 2, "the waiter got a working connection"
        assert pool.checkedout() == 0
        # Both slots are still there: two callers hold a connection each at once.
        async with engine.connect() as one, engine.connect() as two:
            await one.execute(text("SELECT 1"))
            await two.execute(text("SELECT 1"))
        assert pool.checkedout() == 0
    finally:
        await engine.dispose()
