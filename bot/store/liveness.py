"""Which replicas are alive, by PostgreSQL's own word: a claim left by a dead one is free now.

A job claimed by a replica is its own until the claim's lease runs out (bot/store/jobs.py:
20 s for a person's notification, five minutes for the rest). A replica killed mid-storm
(SIGKILL, out of memory, its host powered off) would so hold the notifications it had
claimed for those 20 s, and the people they were for would be paged that much later.

On PostgreSQL each process that claims jobs holds, for its whole life, a session-level
advisory lock named for its owner name, on a connection of its own (``Liveness.hold``).
PostgreSQL lets that lock go the moment the connection ends, and a killed process's
connection ends with it (its kernel closes the socket). ``release_abandoned`` finds the
owners of unexpired claims whose lock nobody holds and ends their claims, so that another
replica's runner takes those jobs at its next look; it gives back their channels' outbox
leases too (bot/store/outbox.py: a minute otherwise), or the message saying what became of
a page, in the channel the dead replica was writing to, would wait behind that minute.
The lease stays the backstop: a host cut off without its sockets closing (a network
partition) keeps its lock until PostgreSQL's TCP keepalive gives up, and its claims run out
as before.

Only owners whose name ends in ``LIVE`` are judged so (``live_name``): a replica of an older
release beside this one during a rolling upgrade holds no lock, and its claims wait for
their lease as they always did. A process that loses its lock's connection (the server
restarted) takes the lock again at its next look; meanwhile its claims may be taken by
another replica, so a notification it was sending then may leave twice (never none).
SQLite needs none of this: one process writes its file.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.store.db import Turns

log = logging.getLogger(__name__)

NAMESPACE = Turns.REPLICA_ALIVE
# The end of an owner name whose process holds its lock.
LIVE = "+alive"

_HELD = text(
    "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND classid = :namespace AND objsubid = 2"
)
_CLAIMING = text(
    "SELECT DISTINCT locked_by FROM job WHERE done_at IS NULL AND locked_by LIKE :live"
    " AND locked_until >= clock_timestamp()"
)
_LEASING = text("SELECT DISTINCT holder FROM outbox_lease WHERE holder LIKE :live")
_RELEASE = text(
    "UPDATE job SET locked_until = clock_timestamp() - interval '1 second'"
    " WHERE done_at IS NULL AND locked_until >= clock_timestamp() AND locked_by = ANY(:owners)"
)
_RELEASE_LEASES = text("DELETE FROM outbox_lease WHERE holder = ANY(:owners)")


def live_name(name: str) -> str:
    """``name`` as the owner name of a process that holds its lock."""
    return name + LIVE


def lock_key(owner: str) -> int:
    """An owner name as the advisory lock's second key (32 bits, signed)."""
    digest = hashlib.blake2b(owner.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


class Liveness:
    """This process's lock, held on a connection of its own while the process lives."""

    def __init__(self, engine: AsyncEngine, owner: str) -> None:
        self.engine = engine
        self.owner = owner
        self._connection: AsyncConnection | None = None

    @property
    def judged(self) -> bool:
        """Whether replicas are told alive or dead this way here (PostgreSQL only)."""
        return self.engine.dialect.name == "postgresql" and self.owner.endswith(LIVE)

    async def hold(self) -> bool:
        """Take the lock if this process does not hold it (a connection lost gives it up);
        whether it is held now."""
        if not self.judged:
            return False
        if self._connection is not None:
            try:
                await self._connection.execute(text("SELECT 1"))
                return True
            except SQLAlchemyError:
                await self._forget()
        try:
            connection = await self.engine.connect()
            lock = text("SELECT pg_try_advisory_lock(:namespace, :key)")
            await connection.execute(
                lock, {"namespace": int(NAMESPACE), "key": lock_key(self.owner)}
            )
            await connection.commit()  # the lock is the session's, not the transaction's
        except (SQLAlchemyError, OSError):
            log.warning("could not take this replica's liveness lock: its claims wait for "
                        "their lease if it dies", exc_info=True)  # fmt: skip
            return False
        # A lock another owner holds under the same 32-bit key is as good: that one's life
        # then stands for both, and a claim of this one waits at worst for its lease.
        self._connection = connection
        return True

    async def release(self) -> None:
        """Give the lock back (the process stops): its claims are free at once."""
        await self._forget()

    async def _forget(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.close()
            except (SQLAlchemyError, OSError):
                log.debug("closing the liveness connection failed", exc_info=True)


async def release_abandoned(engine: AsyncEngine) -> Sequence[str]:
    """End the claims and outbox leases of owners whose lock nobody holds (PostgreSQL); the
    owners found dead."""
    if engine.dialect.name != "postgresql":
        return ()
    async with engine.begin() as connection:
        live = {"live": f"%{LIVE}"}
        claiming = set((await connection.execute(_CLAIMING, live)).scalars())
        claiming |= set((await connection.execute(_LEASING, live)).scalars())
        if not claiming:
            return ()
        locks = await connection.execute(_HELD, {"namespace": int(NAMESPACE)})
        held = {int(objid) for objid in locks.scalars()}
        dead = sorted(owner for owner in claiming if lock_key(owner) & 0xFFFFFFFF not in held)
        if dead:
            await connection.execute(_RELEASE, {"owners": dead})
            await connection.execute(_RELEASE_LEASES, {"owners": dead})
    if dead:
        log.warning("%d replica(s) died holding claims: their jobs are taken now", len(dead))
    return dead
