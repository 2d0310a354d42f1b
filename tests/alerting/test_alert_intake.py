"""Alerts open incidents: real Alertmanager, Grafana and generic payloads over HTTP.

The bot runs as a server; the tests post webhooks the way monitoring systems do (bearer
token, JSON body) and look at what a person would see: incidents, channels, messages, the
timeline, and what the database kept.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from sqlmodel import col, select

from bot.config import Secret
from bot.flows.postmortem.posting import write_draft
from bot.record.escalation.policies import parse_policies
from bot.record.incident import timeline
from bot.store.db import session_scope
from bot.store.models import Alert, AlertPayload, Escalation, Incident, Job, TimelineEntry
from emulator import Channel, SlackEmulator
from tests.conftest import ALICE, BOB, Clock, Warroom, running_warroom
from tests.helpers.alerts import (
    TOKEN,
    alert,
    alertmanager,
    count,
    incidents_of,
    payload,
    payload_row,
    post_alert,
    routes,
)
from tests.helpers.records import sentence

# The alerts of these tests fire on the morning of 2026-08-01; the bot hears of them at once.
NOW = datetime(2026, 8, 1, 10, 30, tzinfo=UTC)
POLICIES = parse_policies({"policies": {"dba": {"levels": [{"targets": [{"user": BOB}]}]}}})


def alert_routes(ops_channel: str) -> dict[str, Any]:
    return {
        "routes": [
            {
                "name": "database",
                "match": {"team": "db"},
                "match_re": {"severity": "critical|page"},
                "severity": "SEV1",
                "title": "{{ labels.alertname }} on {{ labels.team }}: {{ annotations.summary }}",
                "policy": "dba",
                "channel_prefix": "db",
            },
            {"name": "payments", "match": {"team": "payments"}, "on_resolved": "monitoring"},
            {
                "name": "disk",
                "match": {"alertname": "DiskSpaceLow"},
                "action": "post",
                "channel": ops_channel,
            },
        ]
    }


@pytest.fixture
async def ops(slack: SlackEmulator) -> Channel:
    """#ops-alerts, where the disk route posts (the bot is a member)."""
    return slack.create_channel("ops-alerts", creator=ALICE, members=[slack.bot_user_id])


@pytest.fixture
async def alerting(slack: SlackEmulator, database_url: str, ops: Channel) -> AsyncIterator[Warroom]:
    async with running_warroom(
        slack,
        database_url,
        Clock(NOW),
        alerting__token=Secret(TOKEN),
        alerting__routes=routes(alert_routes(ops.id)),
        escalation__policies=POLICIES,
    ) as running:
        yield running


async def deliver(warroom: Warroom, source: str, body: dict[str, Any]) -> int:
    """Post a webhook, expect 202, and run the jobs it leads to; the stored payload's id."""
    status, answer = await post_alert(warroom.url, source, body)
    assert status == 202, answer
    await warroom.run_jobs()
    return int(answer["id"])


async def entries_of(warroom: Warroom, incident: Incident) -> list[TimelineEntry]:
    async with session_scope(warroom.engine) as session:
        return list(await timeline.entries(session, incident.id or 0))


def channel_of(slack: SlackEmulator, incident: Incident) -> Channel:
    channel = slack.channels[incident.channel_id or ""]
    return channel


def texts(channel: Channel) -> list[str]:
    return [message.text for message in channel.messages]


async def test_an_alertmanager_alert_opens_an_incident_its_route_describes(
    alerting: Warroom,
) -> None:
    slack = alerting.slack
    await deliver(alerting, "alertmanager", payload("alertmanager_firing.json"))

    (incident,) = await incidents_of(alerting)
    assert incident.severity == "SEV1"
    assert incident.title == "HighLatency on db: p99 latency of the orders database above 2s"
    assert (
        incident.channel_name
        == "db-1-highlatency-on-db-p99-latency-of-the-orders-database-above-2s"
    )
    assert incident.detected_at == datetime(2026, 8, 1, 10, 0, tzinfo=UTC)
    assert incident.started_at == incident.detected_at
    assert incident.commander is None and incident.declared_by == "Alertmanager"
    assert incident.policy == "dba"

    detection = (await entries_of(alerting, incident))[0]
    assert detection.kind == "detection"
    assert detection.occurred_at == datetime(2026, 8, 1, 10, 0, tzinfo=UTC)
    assert detection.text == "" and detection.facts is not None
    assert "<@" not in json.dumps(detection.facts), "no Slack markup is stored"
    assert detection.facts["summary"] == "p99 latency of the orders database above 2s"
    text = sentence(detection)
    assert "p99 latency of the orders database above 2s" in text
    assert "team=db" in text and "severity=critical" in text
    assert "https://runbooks.example.com/db/high-latency" in text

    channel = channel_of(slack, incident)
    assert channel.pins, "the header is pinned"
    assert "nobody yet" in channel.messages[0].text
    opened = next(text for text in texts(channel) if "opened INC-1" in text)
    assert "HighLatency" in opened and "https://runbooks.example.com/db/high-latency" in opened
    assert BOB in channel.members, "the route's policy brought the DBA in"
    assert any("escalated to" in text for text in texts(channel))
    async with session_scope(alerting.engine) as session:
        (escalation,) = (await session.exec(select(Escalation))).all()
    # Why the route's policy escalated is data, said by the templates in each language.
    assert escalation.why == {"because": "route", "route": "database", "policy": "dba"}
    assert (escalation.reason, escalation.target) == ("", "dba")
    assert any(">alert route database escalates to dba" in text for text in texts(channel))
    french = (await write_draft(alerting.services, incident.id or 0, language="fr")).markdown
    assert "| dba, niveau 1 |" in french
    assert "| la route d'alertes database escalade vers dba |" in french


async def test_repeats_and_resolutions_land_in_the_same_incident(alerting: Warroom) -> None:
    slack = alerting.slack
    first = alert("QueueBacklog", "worker-1", "2026-08-01T10:00:00Z")
    second = alert("QueueBacklog", "worker-2", "2026-08-01T10:04:30+02:00")
    await deliver(alerting, "alertmanager", alertmanager("QueueBacklog", [first]))
    await deliver(alerting, "alertmanager", alertmanager("QueueBacklog", [first]))
    await deliver(alerting, "alertmanager", alertmanager("QueueBacklog", [first, second]))
    (incident,) = await incidents_of(alerting)
    assert incident.severity == "SEV3", "the default route"
    assert len([c for c in slack.channels.values() if c.name.startswith("inc-")]) == 1

    first_resolved = {**first, "status": "resolved", "endsAt": "2026-08-01T10:20:00Z"}
    second_resolved = {**second, "status": "resolved", "endsAt": "2026-08-01T10:25:00Z"}
    await deliver(
        alerting, "alertmanager", alertmanager("QueueBacklog", [first_resolved, second_resolved])
    )

    (incident,) = await incidents_of(alerting)
    assert incident.status == "investigating", "the default route only records resolutions"
    alert_entries = [e for e in await entries_of(alerting, incident) if e.kind == "alert"]
    assert [(sentence(e), e.occurred_at) for e in alert_entries] == [
        (
            "Alert firing: QueueBacklog (instance=worker-2)",
            datetime(2026, 8, 1, 8, 4, 30, tzinfo=UTC),
        ),
        (
            "2 alerts resolved: QueueBacklog (instance=worker-1), QueueBacklog (instance=worker-2)",
            datetime(2026, 8, 1, 10, 25, tzinfo=UTC),
        ),
    ]
    channel = channel_of(slack, incident)
    assert any("1 new firing" in text and "worker-2" in text for text in texts(channel))
    assert any("2 resolved" in text for text in texts(channel))
    assert await count(alerting, Alert) == 2


async def test_a_resolved_group_moves_its_incident_to_monitoring_when_the_route_says_so(
    alerting: Warroom,
) -> None:
    payments = {"team": "payments"}
    firing = alert("CheckoutErrors", "web-1", "2026-08-01T10:00:00Z", common=payments)
    await deliver(
        alerting, "alertmanager", alertmanager("CheckoutErrors", [firing], common=payments)
    )
    resolved = {**firing, "status": "resolved", "endsAt": "2026-08-01T10:30:00Z"}
    await deliver(
        alerting, "alertmanager", alertmanager("CheckoutErrors", [resolved], common=payments)
    )

    (incident,) = await incidents_of(alerting)
    assert incident.status == "monitoring"
    assert incident.mitigated_at is not None
    channel = channel_of(alerting.slack, incident)
    assert "monitoring" in channel.topic
    kinds = [(e.kind, e.author) for e in await entries_of(alerting, incident)]
    assert ("status", "Alertmanager") in kinds


async def test_a_group_firing_again_after_its_incident_opens_a_new_linked_one(
    alerting: Warroom,
) -> None:
    slack = alerting.slack
    await deliver(
        alerting,
        "alertmanager",
        alertmanager("ApiDown", [alert("ApiDown", "api-1", "2026-08-01T10:00:00Z")]),
    )
    (first,) = await incidents_of(alerting)
    general = slack.channel_by_name("general")
    assert general is not None
    await slack.send_command("resolve", user=ALICE, channel=first.channel_id or "")
    await alerting.run_jobs()
    # A repeat of the alert that is still firing adds to the old incident, opens nothing.
    await deliver(
        alerting,
        "alertmanager",
        alertmanager("ApiDown", [alert("ApiDown", "api-1", "2026-08-01T10:00:00Z")]),
    )
    assert len(await incidents_of(alerting)) == 1

    await deliver(
        alerting,
        "alertmanager",
        alertmanager("ApiDown", [alert("ApiDown", "api-1", "2026-08-01T10:25:00Z")]),
    )
    first, second = await incidents_of(alerting)
    assert first.status == "resolved"
    assert second.previous_incident_id == first.id
    assert second.detected_at == datetime(2026, 8, 1, 10, 25, tzinfo=UTC)
    opened = next(t for t in texts(channel_of(slack, second)) if "opened INC-2" in t)
    assert "opened INC-1 before" in opened and f"<#{first.channel_id}>" in opened


async def test_the_documented_grafana_payload(alerting: Warroom) -> None:
    await deliver(alerting, "grafana", payload("grafana_firing.json"))

    (incident,) = await incidents_of(alerting)
    assert incident.declared_by == "Grafana"
    # +02:00 in the payload; the earlier of the two alerts is the detection.
    assert incident.detected_at == datetime(2021, 10, 12, 7, 51, 3, 157076, tzinfo=UTC)
    assert incident.title == "[FIRING:2] (blue)"
    detection = (await entries_of(alerting, incident))[0]
    text = sentence(detection)
    assert "High memory usage (zone=us-1)" in text
    assert "High CPU usage (zone=eu-1)" in text
    assert "https://myrunbook.com/runbook/1234" in text
    assert "Warning: High memory usage started more than 7 days before" in text
    opened = next(t for t in texts(channel_of(alerting.slack, incident)) if "opened INC-1" in t)
    assert "play.grafana.org/alerting/silence/new" in opened
    assert ":warning:" in opened


async def test_a_generic_alert_with_its_own_severity(alerting: Warroom) -> None:
    body = {
        "title": "Nightly billing export did not run",
        "dedup_key": "billing-export-2026-08-01",
        "severity": "SEV2",
        "source": "cron-monitor",
        "started_at": "2026-08-01T02:15:00-07:00",
        "description": "No export file in the bucket by 02:15 PDT.",
        "links": [{"href": "https://cron.example.com/jobs/billing", "text": "Job"}],
    }
    await deliver(alerting, "generic", body)
    await deliver(alerting, "generic", body)
    (incident,) = await incidents_of(alerting)
    assert incident.severity == "SEV2"
    assert incident.title == "Nightly billing export did not run"
    assert incident.declared_by == "cron-monitor"
    assert incident.detected_at == datetime(2026, 8, 1, 9, 15, tzinfo=UTC)
    assert incident.description == "No export file in the bucket by 02:15 PDT."

    await deliver(
        alerting, "generic", {**body, "status": "resolved", "ended_at": "2026-08-01T10:00:00Z"}
    )
    entries = [e for e in await entries_of(alerting, incident) if e.kind == "alert"]
    assert [(sentence(e), e.occurred_at) for e in entries] == [
        ("Alert resolved: Nightly billing export did not run", datetime(2026, 8, 1, 10, tzinfo=UTC))
    ]
    assert await count(alerting, Alert) == 1


async def test_a_post_route_posts_to_its_channel_and_opens_nothing(
    alerting: Warroom, ops: Channel
) -> None:
    disk = alert("DiskSpaceLow", "db-3", "2026-08-01T10:00:00Z")
    await deliver(alerting, "alertmanager", alertmanager("DiskSpaceLow", [disk]))
    await deliver(alerting, "alertmanager", alertmanager("DiskSpaceLow", [disk]))
    assert await incidents_of(alerting) == []
    assert len(ops.messages) == 1, "a repeat of the same alert is not posted twice"
    assert "Alert route disk" in ops.messages[0].text and "DiskSpaceLow" in ops.messages[0].text


async def test_the_token_is_required(alerting: Warroom) -> None:
    body = payload("alertmanager_firing.json")
    for token in (None, "wrong-token", TOKEN[:-1]):
        status, answer = await post_alert(alerting.url, "alertmanager", body, token=token)
        assert status == 401, answer
    async with aiohttp.ClientSession() as session:
        answer = await session.post(
            f"{alerting.url}/alerts/alertmanager",
            data=json.dumps(body),
            headers={"Authorization": f"Basic {TOKEN}"},
        )
        assert answer.status == 401
    assert await count(alerting, AlertPayload) == 0


async def test_without_a_token_alert_intake_is_off(slack: SlackEmulator, sqlite_url: str) -> None:
    async with running_warroom(slack, sqlite_url) as warroom:
        status, answer = await post_alert(
            warroom.url, "alertmanager", payload("alertmanager_firing.json"), token=""
        )
        assert status == 503 and "WARROOM_ALERT_TOKEN" in answer["error"]
        assert await count(warroom, AlertPayload) == 0


async def test_a_malformed_payload_is_refused_with_what_is_wrong(alerting: Warroom) -> None:
    status, answer = await post_alert(alerting.url, "alertmanager", b"{not json")
    assert status == 400 and "not JSON" in answer["problems"][0]

    broken = payload("alertmanager_firing.json")
    del broken["groupKey"]
    broken["alerts"][0]["startsAt"] = "yesterday"
    broken["alerts"][0]["status"] = "burning"
    status, answer = await post_alert(alerting.url, "alertmanager", broken)
    assert status == 400
    assert answer["problems"] == [
        "groupKey: required, a non-empty string",
        "alerts[0].status: must be 'firing' or 'resolved', got 'burning'",
        "alerts[0].startsAt: not an RFC 3339 time: 'yesterday'",
    ]
    status, answer = await post_alert(alerting.url, "generic", {"title": "no key"})
    assert status == 400 and answer["problems"] == ["dedup_key: required, a non-empty string"]
    status, _ = await post_alert(alerting.url, "nagios", payload("alertmanager_firing.json"))
    assert status == 404
    assert await count(alerting, AlertPayload) == 0
    assert await incidents_of(alerting) == []


async def test_an_oversized_body_gets_413(slack: SlackEmulator, sqlite_url: str) -> None:
    async with running_warroom(
        slack, sqlite_url, alerting__token=Secret(TOKEN), alerting__max_body_bytes=2048
    ) as warroom:
        big = payload("alertmanager_firing.json")
        big["commonAnnotations"]["description"] = "x" * 4096
        status, _ = await post_alert(warroom.url, "alertmanager", big)
        assert status == 413

        async def chunks() -> AsyncIterator[bytes]:
            # No Content-Length: the limit holds while reading too.
            for _ in range(8):
                yield b" " * 1024

        async with aiohttp.ClientSession() as session:
            answer = await session.post(
                f"{warroom.url}/alerts/alertmanager",
                data=chunks(),
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
            assert answer.status == 413
        assert await count(warroom, AlertPayload) == 0


async def test_times_in_the_future_are_accepted_and_flagged(alerting: Warroom) -> None:
    future = (alerting.clock.now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    await deliver(
        alerting, "alertmanager", alertmanager("ClockSkew", [alert("ClockSkew", "h-1", future)])
    )
    (incident,) = await incidents_of(alerting)
    assert incident.detected_at == alerting.clock.now, "an incident is not detected in the future"
    detection = next(e for e in await entries_of(alerting, incident) if e.kind == "detection")
    assert "Warning: ClockSkew starts in the future" in sentence(detection)
    assert "ClockSkew commence dans le futur" in sentence(detection, language="fr")
    async with session_scope(alerting.engine) as session:
        (stored,) = (await session.exec(select(AlertPayload))).all()
    (flag,) = json.loads(stored.flags)
    assert (flag["alert"], flag["problem"]) == ("ClockSkew", "future")


async def test_a_processing_failure_is_kept_and_replayed(
    slack: SlackEmulator, database_url: str
) -> None:
    # Slack is down from the start: the workspace is not known when the payload is processed,
    # and asking for it fails, retries and all.
    slack.fail("auth.test", status=503, times=10_000)
    async with running_warroom(slack, database_url, alerting__token=Secret(TOKEN)) as alerting:
        await _failed_then_replayed(alerting, database_url)


async def _failed_then_replayed(alerting: Warroom, database_url: str) -> None:
    slack = alerting.slack
    status, answer = await post_alert(
        alerting.url, "alertmanager", payload("alertmanager_firing.json")
    )
    assert status == 202, "accepted and stored before anything can fail"
    await alerting.run_jobs()
    stored = await payload_row(alerting, answer["id"])
    assert stored.state == "failed" and "SlackUnavailable" in (stored.error or "")
    assert await incidents_of(alerting) == []
    slack.recover("auth.test")

    listed = await _warroom_cli(alerting, database_url, "alerts", "list", "--state", "failed")
    assert f"{answer['id']}" in listed.stdout and "SlackUnavailable" in listed.stdout
    replayed = await _warroom_cli(alerting, database_url, "alerts", "replay", str(answer["id"]))
    assert replayed.returncode == 0, replayed.stderr
    assert "opened INC-1" in replayed.stdout

    # The running server opens the war room; the job's own retry finds the work done. The
    # command line read the real clock, which a slow run leaves ahead of the test's.
    alerting.clock.now = max(alerting.clock.now, datetime.now(UTC).replace(microsecond=0))
    await alerting.advance(minutes=1)
    (incident,) = await incidents_of(alerting)
    assert incident.channel_id is not None
    assert (await payload_row(alerting, answer["id"])).state == "processed"


async def _warroom_cli(warroom: Warroom, database_url: str, *args: str) -> Any:
    routes_file = warroom.services.settings.alerting.routes  # same routes, through a file
    assert routes_file is not None
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": str(warroom.slack.bot_token),
        "SLACK_API_URL": warroom.slack.base_url,
        "WARROOM_LOG_LEVEL": "WARNING",
    }
    for name in (
        "WARROOM_ALERT_ROUTES",
        "WARROOM_ESCALATION_POLICIES",
        "HTTP_PROXY",
        "HTTPS_PROXY",
    ):
        env.pop(name, None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    return subprocess.CompletedProcess(
        args, process.returncode or 0, stdout.decode(), stderr.decode()
    )


async def test_no_job_is_left_behind(alerting: Warroom) -> None:
    await deliver(alerting, "alertmanager", payload("alertmanager_firing.json"))
    async with session_scope(alerting.engine) as session:
        pending = (
            await session.exec(
                select(Job).where(col(Job.done_at).is_(None), col(Job.kind).startswith("alert"))
            )
        ).all()
    assert pending == []


async def test_a_storm_of_alerts_is_posted_shortened(alerting: Warroom) -> None:
    first = alert("QueueBacklog", "worker-0", "2026-08-01T10:00:00Z")
    await deliver(alerting, "alertmanager", alertmanager("QueueBacklog", [first]))
    storm = [alert("QueueBacklog", f"worker-{n}", "2026-08-01T10:05:00Z") for n in range(1, 61)]
    await deliver(alerting, "alertmanager", alertmanager("QueueBacklog", storm))

    (incident,) = await incidents_of(alerting)
    channel = alerting.slack.channels[incident.channel_id or ""]
    (posted,) = [m for m in channel.messages if "60 new firing" in m.text]
    assert "…and 40 more firing" in posted.text and "worker-60" not in posted.text
