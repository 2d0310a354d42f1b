"""An alert that pages goes ahead of a backlog of alerts that do not, and a group's
notifications are applied in the order they were sent all the same.

The backlog is built as it builds up in production when the jobs cannot run: the app is
uninstalled from Slack while Alertmanager goes on sending (every webhook is accepted and kept),
then installed again and the bot restarted with its new token.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from bot.config import Secret
from bot.store.db import session_scope
from bot.store.models import Alert, AlertPayload, Escalation, Incident, Job
from emulator import SlackEmulator
from tests.alerting.test_alert_intake import NOW, POLICIES, alert_routes
from tests.conftest import ALICE, Clock, running_warroom
from tests.flows.test_lifecycle import resumed
from tests.helpers.alerts import TOKEN, alert, alertmanager, count, post_alert, routes
from tests.helpers.waiting import eventually

BURST = 20
STARTED = "2026-08-01T10:00:00Z"
DB_WARNING = {"team": "db", "severity": "warning"}
DB_CRITICAL = {"team": "db", "severity": "critical"}


def backlog() -> list[dict[str, Any]]:
    """A group whose first notifications page nobody (a warning, then its end), a burst of
    alerts that open incidents without paging anyone, then the group's critical alert and an
    alert of another group that pages Bob (the database route)."""
    warning = alert("DbDisk", "db-1", STARTED, common=DB_WARNING)
    ended = {**warning, "status": "resolved", "endsAt": "2026-08-01T10:20:00Z"}
    critical = alert("DbDisk", "db-2", "2026-08-01T10:25:00Z", common=DB_CRITICAL)
    return [
        alertmanager("DbDisk", [warning], common=DB_WARNING),
        alertmanager("DbDisk", [ended], common=DB_WARNING),
        *(
            alertmanager(f"Burst{n:02d}", [alert(f"Burst{n:02d}", "web-1", STARTED)])
            for n in range(BURST)
        ),
        alertmanager("DbDisk", [critical], common=DB_CRITICAL),
        alertmanager(
            "DbDown", [alert("DbDown", "db-1", STARTED, common=DB_CRITICAL)], common=DB_CRITICAL
        ),
    ]


async def test_an_alert_that_pages_goes_ahead_of_a_backlog_and_each_group_keeps_its_order(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    clock = Clock(NOW)
    ops = slack.create_channel("ops-alerts", creator=ALICE, members=[slack.bot_user_id])
    settings: dict[str, Any] = {
        "alerting__token": Secret(TOKEN),
        "alerting__routes": routes(alert_routes(ops.id)),
        "escalation__policies": POLICIES,
    }
    sent = backlog()
    async with running_warroom(slack, sqlite_url, clock, **settings) as first:
        await slack.uninstall()
        for body in sent:
            status, answer = await post_alert(first.url, "alertmanager", body)
            assert status == 202, answer
        assert await count(first, AlertPayload, col(AlertPayload.state) == "received") == len(sent)

    token = slack.reinstall()
    async with running_warroom(
        slack, sqlite_url, clock, slack__bot_token=token, **settings
    ) as second:
        await resumed(second)

        async def worked_off() -> bool:
            await second.run_jobs()
            return await count(second, AlertPayload, col(AlertPayload.state) != "processed") == 0

        await eventually(worked_off, 60, "the backlog applied")
        async with session_scope(second.engine) as session:
            incidents = list(
                (await session.exec(select(Incident).order_by(col(Incident.id)))).all()
            )
            escalations = list((await session.exec(select(Escalation))).all())
            jobs = list((await session.exec(select(Job))).all())
        by_title = {incident.title: incident for incident in incidents}

        # The alert that pages was applied in the first jobs the bot ran, not after the burst
        # received before it: at most the Slack lane's jobs of that round opened theirs first.
        paging = next(i for i in incidents if i.severity == "SEV1")
        burst_first = [i for i in incidents if i.id < paging.id and i.title.startswith("Burst")]
        assert len(burst_first) <= 8, [i.title for i in burst_first]
        assert [e.incident_id for e in escalations] == [paging.id]

        # DbDisk's notifications were applied in the order sent: its warning opened its
        # incident (the default route, paging nobody), and its critical alert, sent after,
        # joined that incident instead of opening one that pages.
        disk = [i for i in incidents if "DbDisk" in i.title]
        assert len(disk) == 1 and disk[0].severity == "SEV3", [(i.title, i.severity) for i in disk]
        assert len(incidents) == BURST + 2, sorted(by_title)
        # Each payload applied once: each alert recorded once, and no job failed.
        assert await count(second, Alert) == BURST + 3
        assert [(job.kind, job.last_error) for job in jobs if job.failures] == []
