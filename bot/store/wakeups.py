"""Work that should start at once on any replica: PostgreSQL's LISTEN/NOTIFY.

A transaction that writes jobs due now (a person's first notifications) ``announce``s it; at
its commit PostgreSQL tells every replica listening (``Wakeups``), whose job runner then looks
at once instead of at its next poll (WARROOM_SCHEDULER_INTERVAL). A rolled-back transaction
tells nobody. On SQLite there is one process per database file: the in-process wake-up
(``Services.wake_jobs``) is the whole of it. The poll stays: a wake-up lost while a listener
reconnects costs at most one interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg  # type: ignore[import-untyped]  # no stubs; the pool reaches it through SQLAlchemy
from sqlalchemy import make_url, text
from sqlmodel.ext.asyncio.session import AsyncSession

log = logging.getLogger(__name__)

CHANNEL = "warroom_jobs"
# How long a listener whose connection failed waits before connecting again.
RECONNECT_SECONDS = 1.0


async def announce(session: AsyncSession) -> None:
    """Have every replica look for due jobs once this transaction commits (the caller
    commits); nothing on SQLite."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await connection.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


def listens(database_url: str) -> bool:
    """Whether a database tells other processes of new work (PostgreSQL does)."""
    return make_url(database_url).get_backend_name() == "postgresql"


class Wakeups:
    """Calls ``wake`` whenever a replica announces work, from a connection of its own
    (LISTEN holds its connection for ever: never one of the pool's), and once each time it
    (re)connects, for what was announced while it was not listening."""

    def __init__(self, database_url: str, wake: Callable[[], None]) -> None:
        url = make_url(database_url.replace("postgres://", "postgresql://", 1))
        self._dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._wake = wake
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="warroom wake-ups")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _listen(self) -> None:
        while True:
            try:
                await self._listen_once()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("listening for new work failed (%s); the poll goes on", error)
            self.listening.clear()
            await asyncio.sleep(RECONNECT_SECONDS)

    async def _listen_once(self) -> None:
        connection = await asyncpg.connect(self._dsn)
        closed = asyncio.Event()
        try:
            connection.add_termination_listener(lambda _connection: closed.set())
            await connection.add_listener(CHANNEL, self._heard)
            self.listening.set()
            self._wake()  # what was announced before this connection listened
            await closed.wait()
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), timeout=2)

    def _heard(self, *_notification: object) -> None:
        self._wake()
