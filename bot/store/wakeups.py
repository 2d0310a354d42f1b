"""Work that should start at once on any replica: PostgreSQL's LISTEN/NOTIFY.

A transaction that writes jobs due now (a person's first notifications) ``announce``s it; at
its commit PostgreSQL tells every replica listening (``Wakeups``), whose job runner then looks
at once instead of at its next poll (WARROOM_SCHEDULER_INTERVAL). A rolled-back transaction
tells nobody. Jobs claimed in that transaction for a pager process (bot/pager.py) are named in
the announcement (``Handover``, its payload): that pager starts them as it hears it, with no
look or claim of its own; their rows, claimed with a lease, stay the backstop (a pager that
dies or misses it leaves them to be claimed as any other's once the lease runs out).

On SQLite there is one process per database file: the in-process wake-up
(``Services.wake_jobs``) is the whole of it. The poll stays: a wake-up lost while a listener
reconnects costs at most one interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # no stubs; the pool reaches it through SQLAlchemy
from sqlalchemy import (
    CTE,
    JSON,
    Select,
    String,
    Text,
    case,
    cast,
    func,
    literal,
    make_url,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import Job

log = logging.getLogger(__name__)

CHANNEL = "warroom_jobs"
# How long a listener whose connection failed waits before connecting again.
RECONNECT_SECONDS = 1.0


# PostgreSQL's limit on a NOTIFY's payload is 8,000 bytes: a handover kept below it (the rest
# of a large page's first notifications are written unclaimed, for any runner's look).
PAYLOAD_AT_MOST = 7000
# What one job takes in a handover's payload at most, besides its key and payload: its other
# fields as PostgreSQL writes them (`with_announcement`) and what is said of its notification.
JOB_ENTRY_BYTES = 240


@dataclass
class Handover:
    """Jobs claimed for a pager process (``to``, its name as the claims' owner) in the
    transaction that announces them, and what each of an alert's first notifications needs
    to leave (``extra``, by notification id: ``handed.Announced``'s fields), carried in
    the announcement so the pager reads none of it again. Never a number or an address."""

    to: str
    jobs: list[Job] = field(default_factory=list)
    extra: dict[int, dict[str, Any]] = field(default_factory=dict)
    size: int = 64

    def room_for(self, key: str, payload: str) -> bool:
        """Whether one more job of ``key`` and ``payload`` fits in the announcement."""
        return self.size + len(key) + len(payload) + JOB_ENTRY_BYTES <= PAYLOAD_AT_MOST

    def reserve(self, key: str, payload: str) -> bool:
        """``room_for``, and that room kept for the job (claimed for ``to`` when it is written,
        ``with_announcement``)."""
        if not self.room_for(key, payload):
            return False
        self.size += len(key) + len(payload) + JOB_ENTRY_BYTES
        return True


def with_announcement(inserting: Any, handover: Handover, until: datetime) -> Select[Any]:
    """``inserting`` (an INSERT of job rows, returning them) and the announcement of those it
    claims for ``handover.to``, as one PostgreSQL statement: its rows, as the INSERT's. The
    announcement's payload (``{"to", "jobs", "extra"}``, as ``handover_of`` reads it) is made
    by PostgreSQL from the rows written (their ids are not known before), with
    ``handover.extra``; empty (a plain wake-up) when it claims none. ``until``: when their
    claims end by this host's clock, as the pager reckons them (not the database's, which may
    be off). A round trip fewer on an alert's path to its first page than ``announce`` after
    the INSERT."""
    made: CTE = inserting.cte("made")
    entry = func.json_build_object(
        *_named("id", made.c.id),
        *_named("kind", made.c.kind),
        *_named("key", made.c.key),
        *_named("incident", made.c.incident_id),
        *_named("payload", made.c.payload),
        *_named("due", made.c.due_at),
        *_named("until", literal(until.isoformat(), String)),
    )
    mine = made.c.locked_by == literal(handover.to, String)
    extra = {str(k): v for k, v in handover.extra.items()}
    said = func.json_build_object(
        *_named("to", literal(handover.to, String)),
        *_named("jobs", func.json_agg(aggregate_order_by(entry, made.c.id)).filter(mine)),
        *_named("extra", cast(literal(json.dumps(extra), String), JSON)),
    )
    payload = case((func.count().filter(mine) > 0, cast(said, Text)), else_=literal("", String))
    told = select(func.pg_notify(literal(CHANNEL, String), payload).label("told"))
    told_cte = told.select_from(made).cte("told")
    return select(*made.c).select_from(made.join(told_cte, true()))


def _named(key: str, value: Any) -> tuple[Any, Any]:
    return literal(key, String), value


def handover_of(payload: str, owner: str) -> Handover | None:
    """The handover an announcement's ``payload`` makes to ``owner`` (None: none, or another
    process's): its jobs as claimed for ``owner``."""
    if not payload.startswith("{"):
        return None
    try:
        said = json.loads(payload)
        if said.get("to") != owner:
            return None
        jobs = [
            Job(
                id=int(entry["id"]),
                kind=str(entry["kind"]),
                key=str(entry["key"]),
                incident_id=entry["incident"],
                payload=str(entry["payload"]),
                due_at=datetime.fromisoformat(entry["due"]),
                locked_by=owner,
                locked_until=datetime.fromisoformat(entry["until"]) if entry["until"] else None,
            )
            for entry in said["jobs"]
        ]
        extra = {int(k): dict(v) for k, v in said.get("extra", {}).items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        log.warning("an announcement's handover could not be read: its jobs wait for their lease")
        return None
    return Handover(to=owner, jobs=jobs, extra=extra)


async def announce(session: AsyncSession) -> None:
    """Have every replica look for due jobs once this transaction commits (the caller
    commits); nothing on SQLite. Jobs handed to a pager are announced with their INSERT
    (``with_announcement``)."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await connection.execute(
            text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": ""}
        )


def listens(database_url: str) -> bool:
    """Whether a database tells other processes of new work (PostgreSQL does)."""
    return make_url(database_url).get_backend_name() == "postgresql"


class Wakeups:
    """Calls ``wake`` whenever a replica announces work, from a connection of its own
    (LISTEN holds its connection for ever: never one of the pool's), and once each time it
    (re)connects, for what was announced while it was not listening."""

    def __init__(
        self,
        database_url: str,
        wake: Callable[[], None],
        handed: Callable[[str], bool] | None = None,
    ) -> None:
        url = make_url(database_url.replace("postgres://", "postgresql://", 1))
        self._dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._wake = wake
        # Given an announcement's payload: True when it handed this process its work (which
        # it starts then), so its runner need not look.
        self._handed = handed
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

    def _heard(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        if self._handed is not None and payload and self._handed(payload):
            return
        self._wake()
