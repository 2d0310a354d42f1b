"""Work announced in a transaction wakes every replica's job runner at its commit
(PostgreSQL's LISTEN/NOTIFY), and never when it rolls back; SQLite, one process per file,
announces nothing."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.db import session_scope
from bot.store.wakeups import Wakeups, announce, listens


async def test_an_announcement_wakes_a_listener_at_commit_only(
    engine: AsyncEngine, database_url: str
) -> None:
    if not listens(database_url):
        async with session_scope(engine) as session:
            await announce(session)  # nothing to tell: no error either
            await session.commit()
        pytest.skip("SQLite: the in-process wake-up is all there is")
    heard = asyncio.Event()
    wakeups = Wakeups(database_url, heard.set)
    wakeups.start()
    try:
        await asyncio.wait_for(wakeups.listening.wait(), 30)
        heard.clear()  # the wake-up every (re)connection gives

        async with session_scope(engine) as session:
            await announce(session)
            await session.rollback()
        async with session_scope(engine) as session:
            await announce(session)
            await asyncio.sleep(0.5)
            assert not heard.is_set(), "told before the commit, or by the rollback"
            await session.commit()
        await asyncio.wait_for(heard.wait(), 30)
    finally:
        await wakeups.stop()
