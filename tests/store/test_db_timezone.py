"""bot/store/db.py: warroom's PostgreSQL connections read and write moments in UTC, whatever
time zone the server or the database defaults to (a team's server set to its office's zone)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.store.db import create_engine


async def test_a_database_defaulting_to_another_zone_still_writes_moments_in_utc(
    postgres_url: str | None,
) -> None:
    if postgres_url is None:
        pytest.skip("PostgreSQL variant skipped: set WARROOM_TEST_DATABASE_URL")
    name = make_url(postgres_url).database
    admin = create_engine(postgres_url)
    async with admin.begin() as connection:
        await connection.execute(
            text(f"ALTER DATABASE \"{name}\" SET TimeZone TO 'Pacific/Auckland'")
        )
    engine = create_engine(postgres_url)
    try:
        async with engine.connect() as connection:
            zone = (await connection.execute(text("SHOW TimeZone"))).scalar_one()
            written = (
                await connection.execute(
                    text("SELECT to_json(TIMESTAMPTZ '2026-11-28 03:12:00+00')::text")
                )
            ).scalar_one()
    finally:
        await engine.dispose()
        async with admin.begin() as connection:
            await connection.execute(text(f'ALTER DATABASE "{name}" RESET TimeZone'))
        await admin.dispose()
    assert zone == "UTC"
    assert written == '"2026-11-28T03:12:00+00:00"'
