"""Work announced in a transaction wakes every replica's job runner at its commit
(PostgreSQL's LISTEN/NOTIFY), and never when it rolls back; SQLite, one process per file,
announces nothing. Jobs claimed for a pager process in that transaction are named in the
announcement, for that pager alone."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store import jobs
from bot.store.columns import utcnow
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import Job
from bot.store.wakeups import Handover, Wakeups, announce, handover_of, listens


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


async def test_jobs_claimed_for_a_pager_are_handed_to_it_by_the_announcement(
    engine: AsyncEngine, database_url: str
) -> None:
    if not listens(database_url):
        pytest.skip("SQLite: no pager process, nothing announced")
    now = utcnow()
    heard: list[str] = []
    woken = asyncio.Event()

    def handed(payload: str) -> bool:
        heard.append(payload)
        return True

    wakeups = Wakeups(database_url, woken.set, handed)
    wakeups.start()
    try:
        await asyncio.wait_for(wakeups.listening.wait(), 30)
        async with session_scope(engine) as session:
            handover = Handover(to="host:12:pager", extra={1: {"group": 7, "own": False}})
            assert handover.reserve("notify:alert7:1", '{"notification": 1}')
            wanted = jobs.NewJob(JobKind.NOTIFY, "notify:alert7:1", now, None,
                                 {"notification": 1}, handover.to)  # fmt: skip
            (job,) = await jobs.schedule_jobs(session, [wanted], announce=handover)
            assert job is not None
            await session.commit()
        while not heard:
            await asyncio.sleep(0.05)
    finally:
        await wakeups.stop()
    woken.clear()
    # Its owner reads the job as claimed for it, with what was said of its notification;
    # any other process reads no handover (and is only woken).
    (payload,) = heard
    assert handover_of(payload, "host:34:pager") is None
    given = handover_of(payload, "host:12:pager")
    assert given is not None
    (claimed,) = given.jobs
    assert (claimed.id, claimed.key, claimed.kind, claimed.locked_by) == (
        job.id, "notify:alert7:1", JobKind.NOTIFY, "host:12:pager",
    )  # fmt: skip
    assert claimed.locked_until is not None and claimed.locked_until > now
    assert given.extra == {1: {"group": 7, "own": False}}
    async with session_scope(engine) as session:
        row = await session.get(Job, job.id)
    assert row is not None and row.locked_by == "host:12:pager"


def test_a_handover_keeps_room_for_a_page_s_notifications_and_no_more() -> None:
    """More than ten notifications fit in one announcement, and the room stops short of
    PostgreSQL's 8,000 bytes (the payload it makes is measured in the test below)."""
    handover = Handover(to="host:12:pager")
    added = 0
    while handover.reserve(f"notify:alert7:{100_000 + added}", '{"notification": 100000}'):
        added += 1
    assert added > 10
    assert handover.size <= 7000 < 8000


async def test_jobs_written_and_announced_in_one_statement_reach_their_pager_whole(
    engine: AsyncEngine, database_url: str
) -> None:
    """As many notifications as the announcement has room for, claimed for the pager in the
    INSERT that announces them (an alert's path to its first page): PostgreSQL makes the
    payload from the rows written, below its 8,000 bytes, and the pager reads every job
    as claimed for it, with what was said of each; the one with no room is written
    unclaimed and not named."""
    if not listens(database_url):
        pytest.skip("SQLite: no pager process, nothing announced")
    now = utcnow()
    heard: list[str] = []
    handover = Handover(to="host:12:pager")
    wanted: list[jobs.NewJob] = []
    while len(wanted) < 200:
        n = 100_000 + len(wanted)
        key, payload = f"notify:alert7:{n}", {"notification": n}
        mine = handover.reserve(key, json.dumps(payload))
        wanted.append(jobs.NewJob(JobKind.NOTIFY, key, now, None, payload,
                                  handover.to if mine else None))  # fmt: skip
        if mine:
            handover.extra[n] = {"group": 7, "own": True}
        else:
            break
    assert len(wanted) > 10 and wanted[-1].claimed_by is None

    def handed(payload: str) -> bool:
        heard.append(payload)
        return True

    wakeups = Wakeups(database_url, lambda: None, handed)
    wakeups.start()
    try:
        await asyncio.wait_for(wakeups.listening.wait(), 30)
        async with session_scope(engine) as session:
            written = await jobs.schedule_jobs(session, wanted, announce=handover)
            await session.commit()
        while not heard:
            await asyncio.sleep(0.05)
    finally:
        await wakeups.stop()
    (payload,) = heard
    assert len(payload.encode()) < 8000
    given = handover_of(payload, "host:12:pager")
    assert given is not None
    claimed = [job for job in written if job is not None and job.locked_by == handover.to]
    assert [(j.id, j.key, j.locked_by) for j in given.jobs] == [
        (j.id, j.key, handover.to) for j in claimed
    ]
    assert len(given.jobs) == len(wanted) - 1
    assert all(j.locked_until is not None and j.locked_until > now for j in given.jobs)
    assert all(j.due_at == now for j in given.jobs)
    assert given.extra == {100_000 + i: {"group": 7, "own": True} for i in range(len(given.jobs))}
