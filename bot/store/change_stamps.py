"""How many transactions have changed what the web view shows (``change_stamp``, bumped by
the database's triggers: migration 0098): a live page's refresh compares it with the one its
tab last read, and answers "not modified" when nothing was written since."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

_SUM = text("SELECT coalesce(sum(version), 0) FROM change_stamp")


async def change_stamp(engine: AsyncEngine) -> int:
    """The sum of every slot: it grows with each committed change, in whatever order
    transactions commit, and a transaction not yet committed is not in it."""
    async with engine.connect() as connection:
        return int((await connection.execute(_SUM)).scalar_one())
