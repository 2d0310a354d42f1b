"""The record on SQLite and PostgreSQL: schema, numbering, timeline, delivery de-duplication."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from bot.basics.errors import AlreadyResolved
from bot.record.incident import incidents, timeline
from bot.store.db import session_scope, without_nul
from bot.store.migrate import modelled
from bot.store.models import Incident, SQLModel, Status, TimelineKind
from bot.store.processed_events import claim_event

T0 = datetime(2023, 11, 7, 16, 45, tzinfo=UTC)


async def open_one(engine: AsyncEngine, team: str = "T1", title: str = "Checkout down") -> Incident:
    async with session_scope(engine) as session:
        incident = await incidents.open_incident(
            session,
            team_id=team,
            title=title,
            declared_by="U0ALICE",
            severity="SEV2",
            timezone="America/Los_Angeles",
            declared_at=T0,
        )
        await session.commit()
        return incident


async def test_migrations_match_the_models(engine: AsyncEngine) -> None:
    def diff(connection: object) -> list[object]:
        opts = {"compare_type": True, "include_object": modelled}
        context = MigrationContext.configure(connection, opts=opts)
        return compare_metadata(context, SQLModel.metadata)

    async with engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []


async def test_incidents_are_numbered_per_workspace(engine: AsyncEngine) -> None:
    first = await open_one(engine, "T1")
    second = await open_one(engine, "T1")
    other_team = await open_one(engine, "T2")
    assert (first.reference, second.reference, other_team.reference) == ("INC-1", "INC-2", "INC-1")


async def test_concurrent_declarations_get_distinct_numbers(engine: AsyncEngine) -> None:
    opened = await asyncio.gather(*(open_one(engine, "T1", f"incident {n}") for n in range(8)))
    assert sorted(i.number for i in opened) == list(range(1, 9))


async def test_declaration_is_recorded_in_the_timeline_in_utc(engine: AsyncEngine) -> None:
    incident = await open_one(engine)
    async with session_scope(engine) as session:
        stored = await session.get(Incident, incident.id)
        entries = await timeline.entries(session, incident.id or 0)
    assert stored is not None
    assert stored.declared_at == T0 and stored.declared_at.tzinfo is not None
    assert stored.commander == "U0ALICE" and stored.status == Status.INVESTIGATING
    assert [(e.kind, e.occurred_at, e.author) for e in entries] == [
        (TimelineKind.DECLARED, T0, "U0ALICE")
    ]


async def test_times_in_other_zones_are_stored_as_utc(engine: AsyncEngine) -> None:
    incident = await open_one(engine)
    eat = timezone(timedelta(hours=3))
    async with session_scope(engine) as session:
        session.add(incident)
        await incidents.resolve_incident(
            session,
            incident,
            resolved_by="U0BOB",
            resolved_at=datetime(2023, 11, 7, 21, 0, tzinfo=eat),
        )
        await session.commit()
    async with session_scope(engine) as session:
        stored = await session.get(Incident, incident.id)
    assert stored is not None and stored.resolved_at == datetime(2023, 11, 7, 18, 0, tzinfo=UTC)
    assert stored.resolved_at.utcoffset() == timedelta(0)


async def test_resolving_twice_is_refused(engine: AsyncEngine) -> None:
    incident = await open_one(engine)
    async with session_scope(engine) as session:
        session.add(incident)
        await incidents.resolve_incident(session, incident, resolved_by="U0BOB", resolved_at=T0)
        with pytest.raises(AlreadyResolved):
            await incidents.resolve_incident(session, incident, resolved_by="U0BOB", resolved_at=T0)


async def test_incident_is_found_by_its_channel(engine: AsyncEngine) -> None:
    incident = await open_one(engine)
    async with session_scope(engine) as session:
        session.add(incident)
        await incidents.attach_channel(session, incident, channel_id="C1", channel_name="inc-1-x")
        await session.commit()
    async with session_scope(engine) as session:
        found = await incidents.get_by_channel(session, "C1")
        missing = await incidents.get_by_channel(session, "C2")
    assert found is not None and found.id == incident.id and missing is None


async def test_an_event_id_is_claimed_once(engine: AsyncEngine) -> None:
    async with session_scope(engine) as session:
        assert await claim_event(session, "Ev1") is True
        assert await claim_event(session, "Ev1") is False
        await session.commit()
    async with session_scope(engine) as session:
        assert await claim_event(session, "Ev1") is False
        assert await claim_event(session, "Ev2") is True


async def test_concurrent_claims_of_one_event_let_exactly_one_win(engine: AsyncEngine) -> None:
    async def claim() -> bool:
        async with session_scope(engine) as session:
            won = await claim_event(session, "EvRace")
            try:
                await session.commit()
            except Exception:
                return False
            return won

    results = await asyncio.gather(*(claim() for _ in range(6)))
    assert results.count(True) == 1


async def test_a_session_cancelled_mid_rollback_finishes_it_and_loses_its_connection_to_nothing(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    """Shutdown cancels work still running; the cancellation can land while that work's session
    gives its connection back (the pool's rollback). The rollback is finished first, then the
    work ends cancelled. (SQLAlchemy before 2.0.56 and 2.1.6 cut it short: it logged
    "Exception during reset or similar" and left the connection checked out, SQLite's only one,
    so the next unit of work waited for ever, as an outbox lease seen held after SIGTERM did.)"""
    caplog.set_level(logging.WARNING)

    async def unfinished_work(resets: list[object]) -> None:
        async with session_scope(engine) as session:
            await incidents.open_incident(
                session,
                team_id="T1",
                title="never committed",
                declared_by="U0ALICE",
                severity="SEV2",
                timezone="UTC",
                declared_at=T0,
            )
            # Cancelled as the pool's rollback begins: the close is what the cancellation meets.
            task = asyncio.current_task()
            assert task is not None

            def cancel_now(*reset: object) -> None:
                resets.append(reset)
                asyncio.get_running_loop().call_soon(task.cancel)

            event.listen(engine.sync_engine.pool, "reset", cancel_now, once=True)

    # Where exactly the cancellation lands varies with the database thread: ten tries.
    for _ in range(10):
        resets: list[object] = []
        with pytest.raises(asyncio.CancelledError):
            await asyncio.create_task(unfinished_work(resets))
        assert resets, "the cancellation was asked for as the rollback began"
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert errors == [], errors
        assert engine.pool.checkedout() == 0, "the connection went back to the pool"
    async with session_scope(engine) as session:
        assert (await session.exec(select(Incident))).all() == []


def test_nul_is_taken_out_wherever_it_nests_and_nothing_else_changes() -> None:
    """PostgreSQL refuses a statement with a NUL in its text, so every parameter loses its
    NULs, in keys and values, at any depth, in shared parts too; the rest stays as it was."""
    deep: list[object] = ["no\x00pe"]
    for _ in range(5000):  # deeper than a recursive walk could go
        deep = [deep]
    cleaned = without_nul([{"text": "fine", "when": 1}, deep])
    assert cleaned[0] == {"text": "fine", "when": 1}
    innermost = cleaned[1]
    while isinstance(innermost[0], list):
        innermost = innermost[0]
    assert innermost == ["nope"]

    shared = {"k\x00ey": "value"}  # only a key has one
    assert without_nul([{"nested": (shared, shared)}]) == [{"nested": ({"key": "value"},) * 2}]
    rows = [{"text": "fine"}, {"text": "a\x00b"}]
    assert without_nul(rows) == [{"text": "fine"}, {"text": "ab"}]
    assert rows[1]["text"] == "a\x00b", "the caller's values are copied, never changed"
    clean = [{"text": "fine", "nested": {"list": ["a", ("b", 2)]}}]
    assert without_nul(clean) == clean
