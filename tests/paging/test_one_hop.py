"""The first notification in one hop: when an alert (or a command) starts a policy whose first
level names people (or an on-call schedule, its person's guest check kept), their ``after:
0s`` notifications are written in the transaction that decided the level, with the incident,
the escalation and the page; no escalation job stands between the alert and the push. Later
rules stay jobs due at their offsets. The paging SLI on /metrics counts from the alert's
arrival, however long it waited before its page started.

An alert that may page is applied in the transaction that stores it, as it arrives: no job
stands between the alert and its notifications' rows. On PostgreSQL the rows' ``xmin`` (the id
of the transaction that wrote each: the payload, the incident, the notifications) shows it is
one transaction; on both databases, that no escalation job was ever scheduled for the level.
A process that dies between that commit and the push leaves the push's row claimed: it is
sent once, by the next runner, when the claim runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import event, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import build_services
from bot.config import Secret
from bot.flows.handlers import JOB_HANDLERS, JOB_LANES, PAGER_KINDS
from bot.flows.paging.handed import take_handover
from bot.flows.scheduler import JobRunner, Lane
from bot.keys import job_runner_key
from bot.store.db import create_engine, session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import AlertGroup, Escalation, Incident, Job, Notification
from bot.store.wakeups import Wakeups
from emulator import FakeNtfy, SlackEmulator
from tests.alerting.test_alert_intake import NOW, alert_routes
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom, running_warroom
from tests.helpers.alerts import TOKEN, alert, alertmanager, post_alert, routes
from tests.helpers.metrics import scrape, value
from tests.helpers.waiting import eventually
from tests.paging.scenario import NOW as SCENARIO_NOW
from tests.paging.scenario import paging_settings

POLICIES = {"policies": {"dba": {"levels": [{"timeout": "10m", "targets": [{"user": BOB}]}]}}}
CONTACTS = {
    "people": {
        BOB: {
            "contacts": {"push": {"ntfy": "bob-topic"}, "mail": {"email": "bob@example.com"}},
            "rules": [
                {"after": "0s", "notify": ["slack", "push"]},
                {"after": "2m", "notify": ["mail"]},
            ],
        }
    }
}
CRITICAL = {"team": "db", "severity": "critical"}


async def test_an_alert_writes_its_first_notifications_with_the_level_it_decides(
    slack: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    ops = slack.create_channel("ops-alerts", creator=ALICE, members=[slack.bot_user_id])
    async with FakeNtfy() as ntfy:
        paging: dict[str, Any] = paging_settings(
            tmp_path,
            CONTACTS,
            POLICIES,
            WARROOM_NTFY_URL=ntfy.root,
            WARROOM_PUBLIC_URL="https://warroom.example.com",
            WARROOM_SMTP_URL="smtp://127.0.0.1:2525",
            WARROOM_SMTP_FROM="warroom@example.com",
        )
        async with running_warroom(
            slack,
            database_url,
            Clock(NOW),
            alerting__token=Secret(TOKEN),
            alerting__routes=routes(alert_routes(ops.id)),
            **paging,
        ) as warroom:
            body = alertmanager(
                "DbDown", [alert("DbDown", "db-1", "2026-08-01T10:29:00Z", common=CRITICAL)],
                common=CRITICAL,
            )  # fmt: skip
            # The app's own runner stops polling; the test runs the jobs.
            await warroom.app[job_runner_key].stop()
            status, answer = await post_alert(warroom.url, "alertmanager", body)
            assert status == 202, answer
            # No job applies the alert: its arrival did, before the answer.
            alone = JobRunner(warroom.services, JOB_HANDLERS, lanes=ALERTS_ONLY, concurrency=0)
            assert await alone.run_due() == 0

            # The arrival's transaction decided the level and wrote Bob's first notifications.
            async with session_scope(warroom.engine) as session:
                incident = (await session.exec(select(Incident))).one()
                escalation = (await session.exec(select(Escalation))).one()
                notifications = (await session.exec(select(Notification))).all()
                jobs = (await session.exec(select(Job).order_by(col(Job.id)))).all()
                written_by = await _transactions(session, database_url)
            assert escalation.incident_id == incident.id and escalation.level == 1
            # Level 1 was never a job: only what follows its timeout is (the policy ran out).
            escalate_jobs = [job.key for job in jobs if job.kind == JobKind.ESCALATE]
            assert escalate_jobs == [f"escalate:{incident.id}:dba:exhausted"]
            assert sorted((n.due_at, n.contact, n.state) for n in notifications) == [
                (NOW, "push", "pending"),
                (NOW, "slack", "pending"),
                (NOW + timedelta(minutes=2), "mail", "pending"),
            ]
            # Each notification a job of its own, due at its rule's offset.
            assert sorted(job.due_at for job in jobs if job.kind == JobKind.NOTIFY) == [
                NOW,
                NOW,
                NOW + timedelta(minutes=2),
            ]
            # On PostgreSQL: the payload applied, the incident and Bob's notifications were
            # written by one transaction.
            assert written_by is None or len(written_by) == 1, written_by

            await warroom.run_jobs()
            pushed = [message.title for message in ntfy.phone("bob-topic")]
            assert pushed == ["INC-1 SEV1 DbDown on db: DbDown is firing"]


# The alert payloads that page, alone: every other lane has no slot.
ALERTS_ONLY = (JOB_LANES[0], Lane("others", slots=None))
# Rows the deciding transaction wrote outside a savepoint (a row inserted through one, as
# ``insert_once`` does, carries its subtransaction's own id): the payload marked applied, the
# incident it opened, and the notifications of the page that level started.
WRITTEN_BY = (
    "SELECT xmin::text FROM alert_payload UNION SELECT xmin::text FROM incident"
    " UNION SELECT xmin::text FROM notification"
)


async def _transactions(session: AsyncSession, database_url: str) -> set[str] | None:
    """The ids of the transactions that wrote the rows (PostgreSQL's ``xmin``); None on
    SQLite, which keeps no such id."""
    if not database_url.startswith("postgresql"):
        return None
    rows = await session.exec(text(WRITTEN_BY))  # type: ignore[call-overload]
    return {row[0] for row in rows.all()}


# As teams set it up: the first level the on-call schedule (Carol on call), for an alert of its
# own (``action: page``) and for the incident an alert opens.
NIGHT = {"policies": {"nights": {"levels": [{"targets": [{"schedule": "night"}]}]}}}
CAROL_PUSH = {
    "people": {
        CAROL: {
            "contacts": {"push": {"ntfy": "carol-topic"}},
            "rules": [{"after": "0s", "notify": ["push"]}],
        }
    }
}


def night_routes(channel: str) -> dict[str, Any]:
    return {
        "routes": [
            # Each alert pages (no grouping window): the tests count one page per alert.
            {"name": "queues", "match_re": {"alertname": "QueueLag.*"}, "action": "page",
             "policy": "nights", "channel": channel, "severity": "SEV3", "group_window": 0},
            {"name": "db", "match": {"alertname": "DbDown"}, "policy": "nights",
             "severity": "SEV1"},
        ]
    }  # fmt: skip


@contextlib.asynccontextmanager
async def night_warroom(
    slack: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    ntfy: FakeNtfy,
    *,
    runner: bool = False,
) -> AsyncIterator[Warroom]:
    """warroom with the night schedule on both routes' policy, its own runner stopped (the
    test runs the jobs) unless ``runner``."""
    ops = slack.create_channel("ops-alerts", creator=ALICE, members=[slack.bot_user_id])
    paging = paging_settings(
        tmp_path,
        CAROL_PUSH,
        NIGHT,
        WARROOM_NTFY_URL=ntfy.root,
        WARROOM_PUBLIC_URL="https://warroom.example.com",
    )
    async with running_warroom(
        slack,
        database_url,
        Clock(SCENARIO_NOW),
        alerting__token=Secret(TOKEN),
        alerting__routes=routes(night_routes(ops.id)),
        **paging,
    ) as warroom:
        if not runner:
            await warroom.app[job_runner_key].stop()
        yield warroom


async def fire(warroom: Warroom, name: str) -> None:
    body = alertmanager(name, [alert(name, "node-1", "2026-03-03T01:59:00Z")])
    status, answer = await post_alert(warroom.url, "alertmanager", body)
    assert status == 202, answer


async def test_the_paging_sli_counts_from_the_alert_s_arrival(
    slack: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    async with FakeNtfy() as ntfy, night_warroom(slack, database_url, tmp_path, ntfy) as warroom:
        # An alert of its own and one that opens an incident arrive; nothing takes them for
        # 3 seconds (a storm's work ahead of them, a held database: here, the job runner).
        await fire(warroom, "QueueLag")
        await fire(warroom, "DbDown")
        warroom.clock.now += timedelta(seconds=3)
        await warroom.run_jobs()
        assert sorted(push.title or "" for push in ntfy.phone("carol-topic")) == [
            "INC-1 SEV1 DbDown is firing",
            "SEV3 Alert: QueueLag is firing",
        ]
        # /metrics says both pages' first notification left 3 s after their alert arrived,
        # told apart by the page's kind (not 0 s: the pages started only when taken).
        samples = await scrape(warroom)
        first = "warroom_page_first_notification_seconds"
        for page in ("alert", "incident"):
            assert value(samples, f"{first}_count", method="ntfy", page=page) == 1
            assert value(samples, f"{first}_sum", method="ntfy", page=page) == 3.0
            assert value(samples, f"{first}_bucket", method="ntfy", page=page, le="2.0") == 0


@contextlib.asynccontextmanager
async def carol_known(
    slack: SlackEmulator, database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Warroom, FakeNtfy]]:
    """``night_warroom`` once a first alert paged Carol: Slack has said whether she is a
    guest, and the process keeps the answer."""
    async with FakeNtfy() as ntfy, night_warroom(slack, database_url, tmp_path, ntfy) as warroom:
        await fire(warroom, "QueueLag")
        await warroom.run_jobs()
        yield warroom, ntfy


async def test_an_alert_s_schedule_level_is_paged_in_the_alert_s_own_transaction(
    slack: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    async with carol_known(slack, database_url, tmp_path) as (warroom, ntfy):
        asked = len(slack.calls_to("users.info"))

        # Another alert of the route: its arrival pages Carol, on call, with no job, no level
        # job and nothing asked of Slack (her answer kept), no channel made.
        await fire(warroom, "QueueLag2")
        alone = JobRunner(warroom.services, JOB_HANDLERS, lanes=ALERTS_ONLY, concurrency=0)
        assert await alone.run_due() == 0
        async with session_scope(warroom.engine) as session:
            group = (await session.exec(select(AlertGroup).order_by(col(AlertGroup.id)))).all()[-1]
            pages = (
                await session.exec(
                    select(Notification).where(Notification.alert_group_id == group.id)
                )
            ).all()
            levels = (
                await session.exec(select(Job).where(Job.kind == JobKind.ALERT_ESCALATE))
            ).all()
        assert [(n.user_id, n.method, n.state) for n in pages] == [(CAROL, "ntfy", "pending")]
        assert [job.key for job in levels if f":{group.id}:" in job.key] == []
        assert len(slack.calls_to("users.info")) == asked
        assert slack.calls_to("conversations.create") == []
        await warroom.run_jobs()
        assert [p.title for p in ntfy.phone("carol-topic")][-1] == "SEV3 Alert: QueueLag2 is firing"


async def test_a_page_whose_process_dies_between_its_commit_and_its_send_is_sent_once_later(
    slack: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    async with carol_known(slack, database_url, tmp_path) as (warroom, ntfy):
        pushed = len(ntfy.phone("carol-topic"))

        # The arrival's transaction claims Carol's push for the process that took the alert,
        # to send at its commit; that process dies in between: what it was handed is gone.
        warroom.services.handed.taken = True
        await fire(warroom, "QueueLag2")
        warroom.services.handed.jobs.clear()
        await warroom.run_jobs()
        assert len(ntfy.phone("carol-topic")) == pushed  # claimed: nobody else sends it yet

        # Once the claim runs out (by the database's clock), the next runner sends it, once.
        async def sent() -> bool:
            await warroom.run_jobs()
            return len(ntfy.phone("carol-topic")) > pushed

        await eventually(sent, 60, "the push sent after the claim ran out")
        await warroom.run_jobs()
        titles = [push.title for push in ntfy.phone("carol-topic")][pushed:]
        assert titles == ["SEV3 Alert: QueueLag2 is firing"]
        async with session_scope(warroom.engine) as session:
            latest = (await session.exec(select(Notification).order_by(col(Notification.id)))).all()
        assert latest[-1].state == "sent"


# What the alert's own transaction may run, at most: the payload (its group's turn taken by
# its INSERT on PostgreSQL), its group's earlier payloads, the maintenance windows, the group,
# the alert, the schedule's overrides, its people's leave (who is on call skips whoever is
# away), the group's and the payload's updates, the person's
# contacts and rules (one SELECT), the page and its notifications (one statement on
# PostgreSQL, two on SQLite), their jobs and the alert message's (one INSERT), the console
# link's token; with the pager (PostgreSQL), its NOTIFY instead of the token; the alert's
# episode row as it commits (a page's path reads and writes as few rows as it can; 20, then
# 16 before, bench/RESULTS.md).
ARRIVAL_STATEMENTS_AT_MOST = {"postgresql": 14, "sqlite": 15}


def arrival_statements(seen: list[tuple[object, str]]) -> list[str]:
    """The statements of the task that stored the alert's payload (the request's): not the
    job runner's looks, nor the jobs it runs meanwhile."""
    tasks = [task for task, statement in seen if statement.startswith("INSERT INTO alert_payload")]
    assert len(tasks) == 1, seen
    return [statement for task, statement in seen if task is tasks[0]]


def kind_of(database_url: str) -> str:
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"


async def test_an_alert_s_first_notification_leaves_one_statement_after_its_arrival_commits(
    slack: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    async with (
        FakeNtfy() as ntfy,
        night_warroom(slack, database_url, tmp_path, ntfy, runner=True) as warroom,
    ):
        await fire(warroom, "QueueLag")  # Slack asked whether Carol is a guest: kept
        await warroom.run_jobs()
        pushed = len(ntfy.phone("carol-topic"))
        before: list[tuple[object, str]] = []
        after: list[list[str]] = []

        def seen(_c: object, _cu: object, statement: str, *_: object) -> None:
            if len(ntfy.phone("carol-topic")) > pushed or statement.startswith("BEGIN"):
                return
            task = asyncio.current_task()
            mine = task is not None and task.get_name().startswith("job ")
            if mine or after:
                after.append(statement.split()[0:3])
            else:
                before.append((task, statement))

        sync = warroom.engine.sync_engine
        event.listen(sync, "before_cursor_execute", seen)
        try:
            await fire(warroom, "QueueLag2")

            async def sent() -> bool:
                return len(ntfy.phone("carol-topic")) > pushed

            await eventually(sent, 10, "the push")
        finally:
            event.remove(sync, "before_cursor_execute", seen)
        # The push needed nothing read again after the arrival's commit: the notification is
        # taken in one statement; the runner's look and the alert's message wait until it left.
        assert after == [["UPDATE", "notification", "SET"]]
        arrival = arrival_statements(before)
        assert len(arrival) <= ARRIVAL_STATEMENTS_AT_MOST[kind_of(database_url)], arrival
        # Its console link works (its token written with the alert).
        push = ntfy.phone("carol-topic")[-1]
        assert push.title == "SEV3 Alert: QueueLag2 is firing"
        assert push.click and "/ack/" in push.click


async def test_a_pager_sends_an_alert_s_first_notification_as_serve_s_notify_hands_it_over(
    slack: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("a pager process runs on PostgreSQL only (its NOTIFY tells it)")
    async with (
        FakeNtfy() as ntfy,
        night_warroom(slack, database_url, tmp_path, ntfy, runner=True) as warroom,
        aiohttp.ClientSession() as http,
    ):
        await fire(warroom, "QueueLag")  # Slack asked whether Carol is a guest: kept
        await warroom.run_jobs()
        pushed = len(ntfy.phone("carol-topic"))
        # The pager as bot/pager.py runs it: its own engine, runner and listener; serve
        # leaves it the paging kinds and knows its name, as the pager's ready line told it.
        # Its poll far off, so that whatever it runs here is what it heard.
        settings = warroom.services.settings
        settings = replace(settings, runtime=replace(settings.runtime, scheduler_interval=3600))
        engine = create_engine(database_url)
        pager = build_services(settings, engine, http, clock=warroom.clock)
        runner = JobRunner(
            pager,
            JOB_HANDLERS,
            lanes=JOB_LANES,
            ahead=PAGER_KINDS,
            leave=set(JOB_HANDLERS) - PAGER_KINDS,
        )
        listener = Wakeups(database_url, pager.wake_jobs, lambda p: take_handover(pager, p))
        statements: list[str] = []

        def seen(_c: object, _cu: object, statement: str, *_: object) -> None:
            if len(ntfy.phone("carol-topic")) == pushed:
                table = re.search(r"(?:UPDATE|FROM|INTO) (\w+)", statement)
                statements.append(f"{statement.split()[0]} {table[1] if table else ''}")

        serve: list[tuple[object, str]] = []

        def served(_c: object, _cu: object, statement: str, *_: object) -> None:
            if len(ntfy.phone("carol-topic")) == pushed and not statement.startswith("BEGIN"):
                serve.append((asyncio.current_task(), statement))

        event.listen(engine.sync_engine, "before_cursor_execute", seen)
        event.listen(warroom.engine.sync_engine, "before_cursor_execute", served)
        runner.start()
        listener.start()
        try:
            await asyncio.wait_for(listener.listening.wait(), 30)
            await asyncio.sleep(1.0)  # its looks as it starts and listens: none due
            warroom.app[job_runner_key].leave = PAGER_KINDS
            warroom.services.handed.pager = pager.replica
            statements.clear()
            serve.clear()
            await fire(warroom, "QueueLag2")

            async def sent() -> bool:
                return len(ntfy.phone("carol-topic")) > pushed

            await eventually(sent, 30, "the push, from the pager")
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", seen)
            event.remove(warroom.engine.sync_engine, "before_cursor_execute", served)
            await listener.stop()
            await runner.stop(grace=5)
            await engine.dispose()
        # Handed over in the NOTIFY: no look and no claim of the pager's own; the
        # notification taken (its row returned), its alert read and its console's token
        # written in one transaction, nothing else before the push. (Told only to look, the
        # pager ran 10 statements in 4 transactions: its look, its claim, the notification
        # read, taken, its contacts and alert read, then the page read and the token.)
        assert statements == [
            "UPDATE notification",
            "SELECT alert_group",
            "INSERT ack_token",
        ], repr(statements)
        # Serve's arrival: no console token of its own (the pager writes it), its NOTIFY in
        # the statement that writes the jobs it hands over (one round trip fewer), followed
        # only by the alert's episode row, written as it commits.
        arrival = arrival_statements(serve)
        assert len(arrival) <= ARRIVAL_STATEMENTS_AT_MOST["postgresql"] - 1, arrival
        assert "pg_notify" in arrival[-2] and "INSERT INTO job" in arrival[-2], arrival
        assert arrival[-1].startswith("INSERT INTO alert_episode"), arrival
        assert not any("ack_token" in s for s in arrival), arrival
        push = ntfy.phone("carol-topic")[-1]
        assert push.title == "SEV3 Alert: QueueLag2 is firing"
        assert push.click and "/ack/" in push.click
        # The console link opens the alert's console (the token the pager wrote).
        path = push.click.removeprefix("https://warroom.example.com")
        async with http.get(f"{warroom.url}{path}") as answer:
            assert answer.status == 200, await answer.text()
        async with session_scope(warroom.engine) as session:
            latest = (await session.exec(select(Notification).order_by(col(Notification.id)))).all()
        assert latest[-1].state == "sent"
