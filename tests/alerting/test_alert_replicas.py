"""Two ``warroom serve`` processes on one PostgreSQL database, one alert group's notifications
posted to both at once, as two replicas behind a load balancer get them: each notification is
applied once, in the order they were received, with no deadlock, while the ones that may page
go ahead in their own lane (bot/flows/alerting/intake.py, bot/record/alerting/alerts.py).

Real processes, real time, Alertmanager's webhooks over HTTP with the bearer token.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from bot.store.db import create_engine, session_scope
from bot.store.models import AlertPayload, Incident
from emulator import SlackEmulator
from tests.conftest import BOB, reset_postgres
from tests.helpers.alerts import alert, alertmanager, post_alert, replica_env
from tests.helpers.processes import serve
from tests.helpers.waiting import eventually

NOTIFICATIONS = 40
ROUTES = {
    "routes": [
        {"name": "database", "match": {"team": "db"}, "match_re": {"severity": "critical"},
         "severity": "SEV1", "policy": "dba"},
    ],
    "default": {"action": "open", "severity": "SEV3"},
}  # fmt: skip
POLICIES = {"policies": {"dba": {"levels": [{"targets": [{"user": BOB}]}]}}}


def group_notification(n: int) -> dict[str, Any]:
    """The DbDisk group's n-th notification: one more instance firing each time (up to six),
    critical (its route pages the DBAs) every eighth time, a warning otherwise."""
    severity = "critical" if n % 8 == 7 else "warning"
    common = {"team": "db", "severity": severity}
    alerts = [
        alert("DbDisk", f"db-{i}", f"2026-08-01T10:0{i}:00Z", common=common)
        for i in range(n % 6 + 1)
    ]
    return alertmanager("DbDisk", alerts, common=common)


async def test_two_replicas_apply_a_groups_notifications_once_in_order(
    postgres_url: str | None, slack: SlackEmulator, tmp_path: Path
) -> None:
    if postgres_url is None:
        pytest.skip("two-replica test skipped: set WARROOM_TEST_DATABASE_URL (PostgreSQL)")
    await reset_postgres(postgres_url)
    env = replica_env(slack, postgres_url, tmp_path, routes=ROUTES, policies=POLICIES)
    engine = create_engine(postgres_url)
    try:
        async with (
            serve(env, tmp_path / "one.log", stop=signal.SIGTERM) as one,
            serve(env, tmp_path / "two.log", stop=signal.SIGTERM) as two,
        ):
            answers = await asyncio.gather(
                *(
                    post_alert((one, two)[n % 2].url, "alertmanager", group_notification(n))
                    for n in range(NOTIFICATIONS)
                )
            )
            assert [status for status, _ in answers] == [202] * NOTIFICATIONS

            async def all_applied() -> bool:
                return len([p for p in await payloads(engine) if p.state != "received"]) == (
                    NOTIFICATIONS
                )

            await eventually(all_applied, 60, "every notification applied")
            await asyncio.sleep(1)  # time for a second application of anything, were there one
        applied = await payloads(engine)
        assert [(p.state, p.attempts, p.error) for p in applied] == [
            ("processed", 0, None)
        ] * NOTIFICATIONS, "none failed, not even once (a deadlock is a failure)"
        # In the order received: a payload is never applied before one received ahead of it.
        times = [p.processed_at for p in applied]
        assert times == sorted(times)  # type: ignore[type-var]
        async with session_scope(engine) as session:
            opened = (await session.exec(select(Incident))).all()
        assert len(opened) == 1, "the group's notifications went to its one incident"
        for log in ("one.log", "two.log"):
            text = (tmp_path / log).read_text()
            assert "deadlock" not in text and "ERROR" not in text, log
    finally:
        await engine.dispose()


async def payloads(engine: Any) -> list[AlertPayload]:
    async with session_scope(engine) as session:
        statement = select(AlertPayload).order_by(col(AlertPayload.id))
        return list((await session.exec(statement)).all())
