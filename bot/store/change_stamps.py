"""How many transactions have changed what the web view shows, by family of tables
(``change_stamp``, bumped by the database's triggers: migrations 0098 and 0100): a live
page's refresh compares the stamps of the families it shows with those its tab last read,
and answers "not modified" when none was written since."""

from __future__ import annotations

from enum import IntEnum

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

# Each family's slots: ``family * SLOTS`` to ``family * SLOTS + SLOTS - 1``.
SLOTS = 16


class Family(IntEnum):
    """The families of tables a stamp is kept for (migration 0100 says which table is in
    which)."""

    INCIDENTS = 0  # an incident's row, fields, roles
    TIMELINE = 1  # what is written in an incident's life: timeline, channel, draft, causes
    ALERTS = 2  # alerts and the paging they start
    ONCALL = 3  # overrides, swaps, leave, contact methods
    PEOPLE = 4  # who people are, the workspace
    OTHER = 5  # admin, agents, changes, drills, the status page's subscribers


_SUMS = text(f"SELECT slot / {SLOTS}, coalesce(sum(version), 0) FROM change_stamp GROUP BY 1")


async def change_stamps(engine: AsyncEngine) -> dict[Family, int]:
    """Each family's stamp, the sum of its slots: it grows with each committed change to the
    family, in whatever order transactions commit; one not yet committed is not in it."""
    async with engine.connect() as connection:
        rows = (await connection.execute(_SUMS)).all()
    found = {int(family): int(version) for family, version in rows}
    return {family: found.get(family, 0) for family in Family}
