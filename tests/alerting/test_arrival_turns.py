"""One alert group's bodies are applied in the order they were numbered, across replicas, on
PostgreSQL (``bot/record/alerting/arrivals.py``): an apply waits for the group's bodies being
numbered to be committed, so it never applies a later one before an earlier one it could not
see yet; and storing a body never waits for an apply of its group (a storm's intake would
wait behind the slowest group). Real sessions on the test's database, each its own
connection, as two replicas' would be."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.record.alerting import arrivals
from bot.store.columns import utcnow
from bot.store.db import session_scope

GROUP = ("alertmanager", '{}:{alertname="DbDisk"}')
STILL_WAITING = 0.5  # seconds a blocked step is watched before what it waits for ends


def body(n: int) -> arrivals.ReceivedBody:
    source, group_key = GROUP
    return arrivals.ReceivedBody(
        source=source, body=f'{{"n": {n}}}', group_key=group_key, received_at=utcnow()
    )


def skip_on_sqlite(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite: one writer at a time (BEGIN IMMEDIATE) numbers and applies in turn")


async def blocked(step: Awaitable[object]) -> asyncio.Task[object]:
    """``step`` started, and still waiting after ``STILL_WAITING`` seconds."""
    task: asyncio.Task[object] = asyncio.ensure_future(step)
    await asyncio.sleep(STILL_WAITING)
    assert not task.done(), "it did not wait"
    return task


async def test_storing_a_body_never_waits_for_an_apply_of_its_group(
    engine: AsyncEngine, database_url: str
) -> None:
    skip_on_sqlite(database_url)
    async with session_scope(engine) as applying:
        await arrivals.group_turn(applying, *GROUP)  # an apply of the group under way
        async with session_scope(engine) as storing:
            await asyncio.wait_for(arrivals.store_payloads(storing, [body(1)]), 10)
            await asyncio.wait_for(storing.commit(), 10)
        await applying.rollback()


async def test_an_apply_waits_for_an_earlier_body_still_being_numbered(
    engine: AsyncEngine, database_url: str
) -> None:
    skip_on_sqlite(database_url)
    async with session_scope(engine) as storing, session_scope(engine) as applying:
        (earlier,) = await arrivals.store_payloads(storing, [body(1)])  # not committed yet

        async def apply() -> list[int]:
            await arrivals.group_turn(applying, *GROUP)
            later = await arrivals.store_payloads(applying, [body(2)])
            ordered = await arrivals.in_group_order(applying, later[0], turn=False)
            return [payload.id or 0 for payload in ordered]

        task = await blocked(apply())
        await storing.commit()
        seen = await asyncio.wait_for(task, 10)
        await applying.rollback()
    assert seen[0] == earlier and len(seen) == 2, "the earlier body applied first"


async def test_a_page_s_body_is_numbered_after_those_being_numbered_and_before_the_next(
    engine: AsyncEngine, database_url: str
) -> None:
    """The body that may page (stored and applied in one transaction, ``store_in_turn``)
    waits for a batch numbering its group; a batch that comes while it is applied waits
    for its commit, so it is numbered after it."""
    skip_on_sqlite(database_url)
    async with session_scope(engine) as batch, session_scope(engine) as paging:
        (first,) = await arrivals.store_payloads(batch, [body(1)])
        page = await blocked(arrivals.store_in_turn(paging, body(2)))
        await batch.commit()
        paged = await asyncio.wait_for(page, 10)
        assert paged > first
        async with session_scope(engine) as next_batch:
            after = await blocked(arrivals.store_payloads(next_batch, [body(3)]))
            await paging.commit()
            (third,) = await asyncio.wait_for(after, 10)
            await next_batch.commit()
    assert third > paged
