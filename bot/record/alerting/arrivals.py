"""Alert bodies as they arrive: kept as received, before anything is done with them, and
taken in the order their group sent them (one turn per group, whichever job or arrival applies
them). No Slack in here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, insert, literal, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.alerting import integrations
from bot.store.db import Turns, share_turns, take_turns, turn_lock
from bot.store.models import AlertPayload


@dataclass(frozen=True)
class ReceivedBody:
    """A webhook body as accepted: where from, its text, its group, when."""

    source: str
    body: str
    group_key: str
    received_at: datetime
    # Its route starts a policy (decided on receipt, from the routes): applying it may page
    # someone, so it is applied ahead of the payloads that cannot.
    pages: bool = False
    # The integration whose key it came with; None: the default (WARROOM_ALERT_TOKEN).
    integration_id: int | None = None


async def store_payloads(session: AsyncSession, received: Sequence[ReceivedBody]) -> list[int]:
    """Keep accepted webhook bodies as received, before anything is done with them: one
    INSERT for them all; their ids, in ``received``'s order (the caller commits).

    Numbered sharing their groups' numbering locks (``NUMBERING``), held to the commit:
    bodies stored side by side (two replicas' batches) take them together, and nobody
    applying a group holds one, so storing never waits for an apply; but an apply waits
    for them to be released (``group_turn``, ``store_in_turn``), so it never finds a later
    payload of its group while an earlier one is numbered and not yet committed (it would
    apply the later one first)."""
    await share_turns(
        session, NUMBERING, [_turn_name(item.source, item.group_key) for item in received]
    )
    connection = await session.connection()
    # SQLAlchemy writes a multi-row INSERT only when it needs no order of the returned rows
    # from SQLite (it would fall back to one INSERT a row). SQLite needs none: its writer is
    # alone (BEGIN IMMEDIATE) and gives the rows of a VALUES list ascending rowids in order.
    ordered = connection.dialect.name != "sqlite"
    statement = insert(AlertPayload).returning(
        col(AlertPayload.id), sort_by_parameter_order=ordered
    )
    rows = [
        {
            "source": item.source,
            "body": item.body,
            "group_key": item.group_key,
            "received_at": item.received_at,
            "integration_id": item.integration_id,
        }
        for item in received
    ]
    ids = [row[0] for row in await connection.execute(statement, rows) if row[0] is not None]
    counts = Counter(item.integration_id for item in received if item.integration_id)
    if counts:
        await integrations.count_alerts(
            session, dict(counts), at=max(item.received_at for item in received)
        )
    return ids if ordered else sorted(ids)


# The namespace of the locks that make the transactions applying one group's payloads take
# turns (bot/store/db.py take_turns).
GROUP_TURNS = Turns.ALERT_GROUP
# The namespace of the locks a group's payloads are numbered under (``store_payloads``
# shares them, ``store_in_turn`` holds one alone): an apply waits for them to end.
NUMBERING = Turns.ALERT_NUMBERING


async def group_turn(session: AsyncSession, source: str, group_key: str) -> None:
    """Wait for the turn of the transactions applying one group (``in_group_order``), held
    until the caller's transaction ends (taken again in it, it is held already), then for
    the group's payloads being numbered to be committed (their numbering lock taken and
    given back at once, in the same statement: an apply never holds it, so storing never
    waits for an apply)."""
    await take_turns(session, GROUP_TURNS, _turn_name(source, group_key), then_waits_for=NUMBERING)


def _turn_name(source: str, group_key: str) -> str:
    return f"{source}\n{group_key}"


async def store_in_turn(session: AsyncSession, received: ReceivedBody) -> int:
    """``group_turn`` then ``store_payloads`` for one body, in one statement on PostgreSQL (the
    INSERT's row selected from the locks taken: numbered once the turn is held, as apart); its
    id (the caller commits). A round trip fewer on an alert's path to its first page. The
    group's numbering lock is held alone to the commit: the next bodies of its group stored
    wait for this one's apply (a short transaction, the page's)."""
    name = _turn_name(received.source, received.group_key)
    lock = turn_lock(session, GROUP_TURNS, name)
    numbering = turn_lock(session, NUMBERING, name)
    if lock is None or numbering is None:
        return (await store_payloads(session, [received]))[0]
    values = {
        "source": received.source,
        "body": received.body,
        "group_key": received.group_key,
        "received_at": received.received_at,
        "state": "received",
        "attempts": 0,
        "flags": "",
        "integration_id": received.integration_id,
    }
    # The group's turn, then its numbering alone (the bodies being numbered committed first,
    # those numbered next waiting for this commit): numbered after every earlier one.
    turn = select(lock.label("turn"), numbering.label("numbering")).subquery("turn")
    table = AlertPayload.__table__  # type: ignore[attr-defined]
    rows = select(*(literal(v, table.c[k].type) for k, v in values.items()))
    statement = (
        insert(AlertPayload)
        .from_select(list(values), rows.select_from(turn))
        .returning(col(AlertPayload.id))
    )
    payload_id: int = (await session.exec(statement)).one()[0]
    if received.integration_id:
        await integrations.count_alerts(
            session, {received.integration_id: 1}, at=received.received_at
        )
    return payload_id


async def in_group_order(
    session: AsyncSession,
    payload_id: int,
    *,
    alone: bool = False,
    turn: bool = True,
    group: tuple[str, str] | None = None,
) -> list[AlertPayload]:
    """The payload, after those of its group received before it and not applied yet, in the
    order received, each locked (the caller commits); ``alone``: the payload only; ``turn``
    False: the caller holds the group's turn already (``group_turn``); ``group``: its source
    and group key, known to the caller (it stored it), so they are not read first.

    Applying a group's payloads in that order whichever of their jobs runs first keeps the
    order a group's notifications were sent in, however their jobs are run: at once beside
    each other, or one ahead of the others because it may page someone. The transactions
    applying one group take turns (one lock per group, taken before any row's): row locks
    alone would deadlock on PostgreSQL, as a job that applies a payload updates its group's
    alerts, whose foreign keys share-lock payload rows another job of the group has locked
    for update. Whoever comes next finds what the one before applied marked processed. A
    payload that failed is not taken: it waits for its own job's retry (or a replay), and
    holds back none of its group's later payloads.
    """
    if group is None:
        own = await session.get(AlertPayload, payload_id)
        if own is None:
            return []
        group = (own.source, own.group_key)
    source, group_key = group
    if turn:
        await group_turn(session, source, group_key)
    wanted = col(AlertPayload.id) == payload_id
    if not alone:
        earlier = and_(
            col(AlertPayload.state) == "received",
            col(AlertPayload.id) < payload_id,
            col(AlertPayload.source) == source,
            col(AlertPayload.group_key) == group_key,
        )
        wanted = or_(wanted, earlier)
    statement = (
        select(AlertPayload)
        .where(wanted)
        .order_by(col(AlertPayload.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list((await session.exec(statement)).all())
