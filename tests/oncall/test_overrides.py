"""Overrides in the record, on SQLite and PostgreSQL: kept with who made them and when,
cancelled but never deleted, refused with the schedule and the field when they make no sense."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.oncall.engine import Override, Shift, on_call_at
from bot.record.oncall.overrides import (
    OverrideKind,
    OverrideRefused,
    active_overrides,
    add_override,
    cancel_override,
    override_history,
    overrides_between,
)
from bot.record.oncall.schedules import Schedule, parse_schedules
from bot.store.db import create_engine, session_scope
from bot.store.migrate import alembic_config, upgrade_database

T0 = datetime(2026, 3, 13, 17, tzinfo=UTC)  # Friday 18:00 in Paris
HOUR = timedelta(hours=1)
ALICE, BOB, ERIN = "U0ALICE", "U0BOB", "U0ERIN"


def weekly() -> Schedule:
    """Alice and Bob by turns, a week each, handing over on Mondays at 09:00 in Paris."""
    layer: dict[str, Any] = {"name": "weekly", "start": "2026-03-02 09:00", "rotation": "weekly"}
    layer["members"] = [ALICE, BOB]
    document = {"schedules": {"payments": {"timezone": "Europe/Paris", "layers": [layer]}}}
    found = parse_schedules(document, now=T0).get("payments")
    assert found is not None
    return found


async def add(
    session: AsyncSession,
    *,
    start: datetime = T0,
    end: datetime = T0 + HOUR,
    user: str | None = ERIN,
    by: str = BOB,
    at: datetime = T0 - HOUR,
    kind: OverrideKind = "override",
    layer: str | None = None,
) -> tuple[Override, list[Shift]]:
    """An override of the weekly schedule (Erin's, made by Bob an hour before, unless said;
    of one layer when given)."""
    return await add_override(
        session,
        schedule=weekly(),
        user=user,
        start=start,
        end=end,
        layer=layer,
        created_by=by,
        created_at=at,
        kind=kind,
    )


async def test_an_override_is_kept_with_who_made_it_and_whom_it_displaced(
    engine: AsyncEngine,
) -> None:
    async with session_scope(engine) as session:
        override, taken = await add(session, end=T0 + 63 * HOUR)  # to Monday 09:00 Paris
        await session.commit()
    assert override.id is not None and override.created_by == BOB
    assert [(s.user, s.start, s.end) for s in taken] == [(BOB, T0, T0 + 63 * HOUR)]
    async with session_scope(engine) as session:
        stored = await overrides_between(session, start=T0, end=T0 + HOUR)
    assert stored == [override]
    assert stored[0].start.tzinfo is not None and stored[0].created_at == T0 - HOUR
    assert on_call_at(weekly(), stored, T0 + 2 * HOUR).user == ERIN


async def test_the_newest_override_wins_and_names_the_one_it_displaced(
    engine: AsyncEngine,
) -> None:
    async with session_scope(engine) as session:
        await add(session, end=T0 + 10 * HOUR, at=T0 - 2 * HOUR)
        _, taken = await add(
            session, start=T0 + 4 * HOUR, end=T0 + 14 * HOUR, user=ALICE, by=ALICE, kind="swap"
        )
        await session.commit()
    assert [(s.user, s.start, s.end) for s in taken] == [
        (ERIN, T0 + 4 * HOUR, T0 + 10 * HOUR),
        (BOB, T0 + 10 * HOUR, T0 + 14 * HOUR),
    ]
    async with session_scope(engine) as session:
        rows = await override_history(session, schedule="payments", start=T0, end=T0 + HOUR * 24)
        both = await overrides_between(session, start=T0, end=T0 + 24 * HOUR)
    assert [row.kind for row in rows] == ["override", "swap"]
    assert on_call_at(weekly(), both, T0 + 5 * HOUR).user == ALICE


async def test_a_cancelled_override_stays_in_the_audit_trail_and_stops_counting(
    engine: AsyncEngine,
) -> None:
    async with session_scope(engine) as session:
        override, _ = await add(session)
        await session.commit()
    assert override.id is not None
    async with session_scope(engine) as session:
        await cancel_override(session, override_id=override.id, by=ALICE, at=T0 - HOUR / 2)
        await session.commit()
    async with session_scope(engine) as session:
        assert await overrides_between(session, start=T0, end=T0 + HOUR) == []
        assert await active_overrides(session, now=T0 - 2 * HOUR) == []
        (row,) = await override_history(session, schedule="payments", start=T0, end=T0 + HOUR)
        with pytest.raises(OverrideRefused, match="was cancelled already, by U0ALICE"):
            await cancel_override(session, override_id=override.id, by=BOB, at=T0)
        with pytest.raises(OverrideRefused, match="there is no override 999"):
            await cancel_override(session, override_id=999, by=BOB, at=T0)
    assert (row.cancelled_by, row.cancelled_at, row.created_by) == (ALICE, T0 - HOUR / 2, BOB)


async def test_active_overrides_are_those_in_force_or_to_come(engine: AsyncEngine) -> None:
    async with session_scope(engine) as session:
        for hours_ahead in (-3, 0, 5):
            start = T0 + hours_ahead * HOUR
            await add(session, start=start, end=start + 2 * HOUR)
        await session.commit()
    async with session_scope(engine) as session:
        active = await active_overrides(session, now=T0 + HOUR, schedule="payments")
        other = await active_overrides(session, now=T0 + HOUR, schedule="other")
    assert [o.start for o in active] == [T0, T0 + 5 * HOUR] and other == []


@pytest.mark.parametrize(
    ("user", "start", "end", "problem"),
    [
        (ERIN, T0, T0, "override end: 2026-03-13 17:00 UTC is not after its start"),
        (ERIN, T0, T0 - HOUR, "override end: 2026-03-13 16:00 UTC is not after its start"),
        (ERIN, T0, T0 + timedelta(days=367), "override end: more than a year after its start"),
        ("erin", T0, T0 + HOUR, "override user: 'erin' is not a Slack user id"),
        (ERIN, T0.replace(tzinfo=None), T0 + HOUR, "override start and end: need a time zone"),
        (
            ERIN,
            datetime(1969, 12, 31, tzinfo=UTC),
            datetime(1970, 1, 2, tzinfo=UTC),
            "override start: between 1970 and 2200",
        ),
    ],
)
async def test_an_override_that_makes_no_sense_is_refused_naming_schedule_and_field(
    engine: AsyncEngine, user: str, start: datetime, end: datetime, problem: str
) -> None:
    async with session_scope(engine) as session:
        with pytest.raises(OverrideRefused) as refused:
            await add(session, start=start, end=end, user=user)
        assert await overrides_between(session, start=T0 - HOUR * 48, end=T0 + HOUR * 48) == []
    assert str(refused.value).startswith(f"schedule 'payments': {problem}")


async def test_a_year_long_override_is_the_longest_taken(engine: AsyncEngine) -> None:
    start, end = datetime(2027, 2, 1, tzinfo=UTC), datetime(2028, 2, 1, tzinfo=UTC)
    async with session_scope(engine) as session:
        override, _ = await add(session, start=start, end=end)
    assert override.end - override.start == timedelta(days=365)


async def test_an_override_of_a_layer_or_of_nobody_is_kept_and_read_back(
    engine: AsyncEngine,
) -> None:
    async with session_scope(engine) as session:
        gap, taken = await add(session, user=None)
        layer, _ = await add(session, start=T0 + 2 * HOUR, end=T0 + 3 * HOUR, layer="weekly")
        await session.commit()
    assert (gap.user, gap.layer, [s.users for s in taken]) == (None, None, [(BOB,)])
    assert (layer.user, layer.layer) == (ERIN, "weekly")
    async with session_scope(engine) as session:
        stored = await overrides_between(session, start=T0, end=T0 + 3 * HOUR)
        with pytest.raises(OverrideRefused, match="layer: 'nights' is none of its layers"):
            await add(session, layer="nights")
    assert stored == [gap, layer]
    assert on_call_at(weekly(), stored, T0 + HOUR / 2).users == ()
    assert on_call_at(weekly(), stored, T0 + 2.5 * HOUR).users == (ERIN,)


async def test_migration_0033_down_keeps_the_overrides_it_cannot_say_cancelled(
    tmp_path: Path,
) -> None:
    """Before 0033 an override took the whole schedule and named someone: a downgrade keeps
    one of a layer or of nobody in the record, cancelled, and upgrading again reads them."""
    engine = create_engine(f"sqlite:///{tmp_path / 'warroom.db'}")
    try:
        await upgrade_database(engine)
        async with session_scope(engine) as session:
            await add(session, user=None)
            await add(session, layer="weekly")
            await add(session)
            await session.commit()

        def downgrade(connection: Connection) -> None:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "0029")

        async with engine.begin() as connection:
            await connection.run_sync(downgrade)
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    text("SELECT user_id, cancelled_by FROM oncall_override ORDER BY id")
                )
            ).all()
        assert [tuple(row) for row in rows] == [
            ("", "migration 0033 downgrade"),
            (ERIN, "migration 0033 downgrade"),
            (ERIN, None),
        ]
        await upgrade_database(engine)
        async with session_scope(engine) as session:
            assert [o.user for o in await overrides_between(session, start=T0, end=T0 + HOUR)] == [
                ERIN
            ]
    finally:
        await engine.dispose()
