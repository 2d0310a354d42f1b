"""Two replicas on one PostgreSQL database; the one sending a page is killed (SIGKILL, its
pager with it) while the push is on its way. The other sends the page at once, before the
dead one's claim on it would have run out (bot/store/liveness.py: PostgreSQL lets a killed
process's lock go with its connection), and Carol's phone gets it once.

Real processes (two ``warroom serve``, each with its default pager process) on PostgreSQL
(``WARROOM_TEST_DATABASE_URL``): on SQLite one process writes the file, so there is no
other replica to take over.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from sqlalchemy import text

from emulator import FakeNtfy, SlackEmulator
from tests.flows.test_faults import database, scalar
from tests.helpers.processes import serve
from tests.helpers.waiting import eventually
from tests.paging.test_pager import TEST_LIMIT, env_for, page, pager_ready, pushes

CLAIM = "SELECT locked_by, locked_until FROM job WHERE kind = 'notify' AND done_at IS NULL"


async def test_a_page_claimed_by_a_killed_replica_leaves_from_the_other_before_its_lease_ends(
    slack: SlackEmulator, postgresql_url: str, tmp_path: Path
) -> None:
    async with asyncio.timeout(TEST_LIMIT), database(postgresql_url) as engine, FakeNtfy() as ntfy:
        env = env_for(slack, postgresql_url, ntfy, tmp_path)
        # ntfy holds the first push's request, as a slow service would, until its sender dies.
        ntfy.stall(600, times=1)
        async with (
            serve(env, tmp_path / "survivor.log") as survivor,
            serve(env, tmp_path / "doomed.log") as doomed,
        ):
            await pager_ready(survivor)
            await pager_ready(doomed)
            slack.events_url = survivor.events_url
            await page(doomed, "Page1")

            async def sending() -> bool:
                counted = "SELECT count(*) FROM notification WHERE state = 'sending'"
                return bool(await scalar(engine, counted))

            await eventually(sending, 60, "the push on its way from the doomed replica")
            async with engine.connect() as connection:
                owner, lease_end = (await connection.execute(text(CLAIM))).one()
            assert owner.endswith("+alive"), owner  # a process that holds its lock of life
            doomed.process.send_signal(signal.SIGKILL)
            await doomed.process.wait()

            async def arrived() -> bool:
                return pushes(ntfy, "Page1") > 0

            await eventually(arrived, 60, "Carol's push from the survivor")
            before_lease_end = await scalar(
                engine, "SELECT clock_timestamp() < :lease_end", lease_end=lease_end
            )
            assert before_lease_end, "the page waited for the dead replica's lease"
            assert pushes(ntfy, "Page1") == 1
            assert await scalar(engine, "SELECT state FROM notification") == "sent"
