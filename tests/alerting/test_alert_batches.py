"""A burst of alert webhooks is stored in a few commits, and a refused body loses no other.

As an outage begins, Alertmanager sends hundreds of notifications at once. Each was stored in
a transaction of its own, and on SQLite's one connection those commits queued ahead of the
jobs that open the war rooms (bench/RESULTS.md, the storm). Now the bodies that arrive
together are stored together (bot/flows/alerting/intake.py's ``PayloadWriter``); what a sender
sees stays the same: 202 only once its body and its processing job are committed, with the id
of its own payload.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from bot.config import Secret
from bot.store.db import session_scope
from bot.store.models import AlertPayload, Job
from emulator import SlackEmulator
from tests.conftest import Clock, Warroom, running_warroom
from tests.helpers.alerts import TOKEN, alert, alertmanager, post_alert

NOW = datetime(2026, 8, 1, 10, 30, tzinfo=UTC)
BURST = 100


@pytest.fixture
async def alerting(slack: SlackEmulator, database_url: str) -> AsyncIterator[Warroom]:
    async with running_warroom(
        slack, database_url, Clock(NOW), alerting__token=Secret(TOKEN)
    ) as running:
        yield running


def notification(number: int, *, marker: str = "") -> dict[str, Any]:
    """A group's first notification; ``marker`` in an annotation lets a test find it."""
    body = alertmanager(f"Burst{number}", [alert(f"Burst{number}", "db-1", "2026-08-01T10:29:00Z")])
    body["commonAnnotations"] = {"summary": f"burst {number} {marker}".strip()}
    return body


async def post_all(warroom: Warroom, bodies: list[dict[str, Any]]) -> list[tuple[int, Any]]:
    """Every body at once, each on a connection of its own, as a fan-out of senders does."""
    connector = aiohttp.TCPConnector(limit=len(bodies))
    async with aiohttp.ClientSession(connector=connector) as session:
        return list(
            await asyncio.gather(
                *(post_alert(warroom.url, "alertmanager", b, session=session) for b in bodies)
            )
        )


@contextmanager
def payload_inserts(engine: AsyncEngine) -> Iterator[list[str]]:
    """The INSERT statements into alert_payload the engine runs meanwhile."""
    seen: list[str] = []

    def statement(_conn: Any, _cursor: Any, sql: str, *_rest: Any) -> None:
        if sql.lstrip().upper().startswith("INSERT INTO ALERT_PAYLOAD"):
            seen.append(sql)

    event.listen(engine.sync_engine, "before_cursor_execute", statement)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", statement)


async def stored(warroom: Warroom) -> tuple[dict[int, AlertPayload], dict[str, Job]]:
    async with session_scope(warroom.engine) as session:
        payloads = (await session.exec(select(AlertPayload))).all()
        process = select(Job).where(col(Job.kind) == "alert_payload")
        jobs = (await session.exec(process)).all()
    return {p.id or 0: p for p in payloads}, {j.key: j for j in jobs}


async def test_a_burst_is_stored_in_a_few_commits_and_each_sender_hears_its_own_payload(
    alerting: Warroom,
) -> None:
    bodies = [notification(n) for n in range(BURST)]
    with payload_inserts(alerting.engine) as inserts:
        answers = await post_all(alerting, bodies)

    assert [status for status, _ in answers] == [202] * BURST
    payloads, jobs = await stored(alerting)
    ids = [int(answer["id"]) for _, answer in answers]
    assert sorted(ids) == sorted(payloads) and len(set(ids)) == BURST
    for body, payload_id in zip(bodies, ids, strict=True):
        # The id a sender is given is its own body's, and it has its processing job (which the
        # running bot's job runner may have done already).
        assert json.loads(payloads[payload_id].body) == body
        assert payloads[payload_id].group_key == body["groupKey"]
        job = jobs[f"alert-payload:{payload_id}"]
        assert json.loads(job.payload) == {"payload": payload_id}
    # One INSERT a webhook before; now one a batch.
    assert len(inserts) <= BURST // 4, f"{len(inserts)} INSERTs for {BURST} bodies"


async def test_a_body_the_database_refuses_is_answered_503_and_the_rest_of_its_batch_202(
    alerting: Warroom,
) -> None:
    await refuse_bodies_containing(alerting.engine, "poison")
    bodies = [notification(n, marker="poison" if n == 7 else "") for n in range(40)]
    with payload_inserts(alerting.engine) as inserts:
        answers = await post_all(alerting, bodies)

    statuses = [status for status, _ in answers]
    assert statuses[7] == 503 and "send it again" in answers[7][1]["error"]
    assert statuses[:7] + statuses[8:] == [202] * 39
    payloads, jobs = await stored(alerting)
    assert len(payloads) == 39 and len(jobs) == 39
    assert not any("poison" in p.body for p in payloads.values())
    assert len(inserts) < 40 + 40, "each was tried at most twice: in its batch, then alone"


async def refuse_bodies_containing(engine: AsyncEngine, word: str) -> None:
    """The database itself refuses such a body (a trigger), as a full disk or a constraint
    would refuse a write: what the writer sees is the database's own error."""
    async with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            await connection.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON alert_payload "
                    f"WHEN NEW.body LIKE '%{word}%' BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
            )
            return
        await connection.execute(
            text(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF NEW.body LIKE '%{word}%' THEN RAISE EXCEPTION 'refused'; END IF; "
                "RETURN NEW; END $$"
            )
        )
        await connection.execute(
            text(
                "CREATE TRIGGER refuse BEFORE INSERT ON alert_payload "
                "FOR EACH ROW EXECUTE FUNCTION refuse()"
            )
        )
