"""Alert bodies are read in a worker process with a time limit (``WARROOM_PARSE_SECONDS``), over
real HTTP: a body that takes longer is refused with 422 (a 4xx, which a sender does not send
again: it would take as long; ``bot/web/alerting/webhooks.py`` says why 5xx is kept for the
database) and said in the log; nothing of it is kept, and the next body is read and applied
as ever."""

from __future__ import annotations

import logging

import pytest

from bot.config import Secret
from bot.store.models import AlertPayload
from emulator import SlackEmulator
from tests.conftest import running_warroom
from tests.helpers.alerts import TOKEN, alert, alertmanager, count, incidents_of, post_alert


async def test_a_body_over_the_time_limit_gets_422_and_the_next_one_is_applied(
    slack: SlackEmulator, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with running_warroom(
        slack,
        sqlite_url,
        alerting__token=Secret(TOKEN),
        alerting__max_body_bytes=8 * 2**20,
        runtime__parse_seconds=0.1,
    ) as warroom:
        # 20,000 alerts (5.7 MB, within the size limit given): 0.36 s of parsing on a quiet
        # machine with the parser warm (54 ms for 3,000), 0.1 s given.
        storm = alertmanager(
            "Storm", [alert("Storm", f"h-{i}", "2026-08-01T10:00:00Z") for i in range(20_000)]
        )
        status, answer = await post_alert(warroom.url, "alertmanager", storm)
        assert status == 422, answer
        assert answer == {"error": "the payload took longer than 0.1 s to read"}
        assert await count(warroom, AlertPayload) == 0
        said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert [line for line in said if "alert payload refused: not read within 0.1 s" in line]

        # The worker that overran was replaced: the next body is read, kept and applied.
        small = alertmanager("DiskFull", [alert("DiskFull", "db-1", "2026-08-01T10:00:00Z")])
        status, answer = await post_alert(warroom.url, "alertmanager", small)
        assert status == 202, answer
        await warroom.run_jobs()
        (incident,) = await incidents_of(warroom)
        assert "DiskFull" in incident.title
