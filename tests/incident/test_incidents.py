"""bot/record/incident/incidents.py: an incident's channel name, and its number."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.incident.incidents import channel_name_for, open_incident
from bot.store.db import session_scope


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Checkout page returns 500s", "inc-7-checkout-page-returns-500s"),
        ("  DB: replica lag > 5 min!!  ", "inc-7-db-replica-lag-5-min"),
        ("Paiement refusé à l'étape 3", "inc-7-paiement-refuse-a-l-etape-3"),
        ("🔥🔥🔥", "inc-7"),
        ("snake_case_title", "inc-7-snake_case_title"),
    ],
)
def test_channel_names_follow_slacks_rules(title: str, expected: str) -> None:
    assert channel_name_for("inc", 7, title) == expected


def test_a_long_title_is_cut_to_80_characters_including_the_collision_suffix() -> None:
    title = "x" * 90
    first = channel_name_for("inc", 12, title)
    retry = channel_name_for("inc", 12, title, attempt=3)
    assert len(first) == 80 and first.startswith("inc-12-xxx")
    assert len(retry) == 80 and retry.endswith("-3")


async def _open(session: AsyncSession, title: str) -> int:
    incident = await open_incident(
        session,
        team_id="T0WARROOM",
        title=title,
        declared_by="U0ALICE",
        severity="SEV2",
        timezone="UTC",
        declared_at=datetime(2026, 11, 26, 3, 0, tzinfo=UTC),
    )
    return incident.number


async def test_incidents_opened_side_by_side_take_the_next_numbers_without_waiting(
    engine: AsyncEngine,
) -> None:
    """While one transaction opening an incident is still open, another opens one and commits
    (on PostgreSQL it waited for the first to end, then failed and tried the next number: in an
    alert storm every opening waited in turn). The number rolled back is skipped, as a higher
    one was committed; the next incident takes the one after it."""
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite's one writer opens one incident at a time")
    async with session_scope(engine) as first, session_scope(engine) as second:
        assert await _open(first, "Checkout down") == 1
        assert await _open(second, "Search down") == 2
        await second.commit()  # while the first is open: it would block on the code before
        await first.rollback()
    async with session_scope(engine) as third:
        assert await _open(third, "Payments down") == 3
        await third.commit()
