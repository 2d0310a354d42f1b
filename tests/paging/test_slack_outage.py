"""The pager outlives Slack, over the wire: Slack answers every Web API call with 503 for ten
minutes of the test clock while a burst of alerts arrives. Each alert of its own (``action:
page``) and each incident an alert opens pages the on-call person by push and SMS, and, as
the first level times out, the next level's person by push and call, though Slack cannot say
whether they are guests; ``/readyz`` stays 200 throughout and says Slack's state. When Slack
answers again, what it was to show (the alerts' messages, the DMs, the war rooms) follows
from the outbox and the jobs, each once. Push is the fake ntfy, SMS and calls the fake
Twilio."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.config import Secret
from bot.keys import job_runner_key
from emulator import Channel, SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Warroom
from tests.helpers.alerts import TOKEN, alert, alertmanager, post_alert, routes
from tests.paging.conftest import Phones, phone_paging
from tests.paging.scenario import SCHEDULES

CAROL_PHONE, BOB_PHONE = "+15555550123", "+15555550199"
CAROL_TOPIC, BOB_TOPIC = "carol-7f3a9c", "bob-51e2aa"
CONTACTS = {
    "people": {
        CAROL: {
            "contacts": {"sms": {"sms": CAROL_PHONE}, "push": {"ntfy": CAROL_TOPIC}},
            "rules": [{"after": "0s", "notify": ["slack", "push", "sms"]}],
        },
        BOB: {
            "contacts": {"call": {"voice": BOB_PHONE}, "push": {"ntfy": BOB_TOPIC}},
            "rules": [{"after": "0s", "notify": ["slack", "push", "call"]}],
        },
    }
}
# Carol on call at night; Bob the backup, whom the second level's schedule names.
POLICIES = {
    "policies": {
        "nights": {
            "levels": [
                {"timeout": "5m", "targets": [{"schedule": "night"}]},
                {"targets": [{"schedule": "backup"}]},
            ]
        }
    }
}
BACKUP = {
    "timezone": "Europe/Paris",
    "layers": [
        {"name": "all", "start": "2026-03-01 00:00", "rotation": "weekly", "members": [BOB]}
    ],
}
# 4 alerts of their own (their messages in one channel, paced at a post a second even
# while Slack fails) and 16 that each open an incident: a burst of 20.
PAGED, OPENED = 4, 16


def night_routes(channel: str) -> dict[str, Any]:
    return {
        "routes": [
            {"name": "queues", "match_re": {"alertname": "QueueLag.*"}, "action": "page",
             "policy": "nights", "channel": channel, "severity": "SEV3", "group_window": 0},
            {"name": "db", "match_re": {"alertname": "DbDown.*"}, "policy": "nights",
             "severity": "SEV1"},
        ]
    }  # fmt: skip


@pytest.fixture
def warroom_settings(
    database_url: str, tmp_path: Path, phones: Phones, slack: SlackEmulator
) -> dict[str, object]:
    ops = slack.create_channel("ops-alerts", creator=ALICE, members=[slack.bot_user_id])
    schedules = {"schedules": {**SCHEDULES["schedules"], "backup": BACKUP}}
    return phone_paging(
        database_url,
        tmp_path,
        phones,
        CONTACTS,
        schedules_file=schedules,
        policies_file=POLICIES,
        alerting__token=Secret(TOKEN),
        alerting__routes=routes(night_routes(ops.id)),
    )


async def probe(warroom: Warroom) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as client, client.get(warroom.url + "/readyz") as answer:
        return answer.status, dict(await answer.json())


async def fire(warroom: Warroom, name: str) -> None:
    body = alertmanager(name, [alert(name, "node-1", "2026-03-03T01:59:00Z")])
    status, answer = await post_alert(warroom.url, "alertmanager", body)
    assert status == 202, answer


async def assert_ready_saying_slack_is_down(warroom: Warroom) -> None:
    status, body = await probe(warroom)
    assert status == 200, body
    slack = body["parts"]["slack"]
    assert slack["state"] == "unreachable", body
    assert slack["reason"].endswith(" since 02:00 UTC; pages go by phone"), slack
    assert body["status"] == "degraded"


def posted_once(channel: Channel, titles: list[str]) -> None:
    """Each title starts exactly one top-level message of the channel."""
    tops = [m.text for m in channel.messages if not m.is_reply]
    counted = Counter(title for title in titles for text in tops if title in text)
    assert counted == Counter(titles), (counted, tops)


async def test_a_ten_minute_slack_outage_during_a_burst_of_alerts(
    warroom: Warroom, phones: Phones
) -> None:
    twilio, ntfy = phones
    slack = warroom.slack
    await warroom.app[job_runner_key].stop()  # the test runs the jobs, by its clock
    slack.outage(503)

    await assert_ready_saying_slack_is_down(warroom)
    queues = [f"QueueLag{n:02d}" for n in range(PAGED)]
    dbs = [f"DbDown{n}" for n in range(OPENED)]
    for name in queues + dbs:
        await fire(warroom, name)
    await warroom.run_jobs()

    # Every alert paged Carol by push and SMS, with nothing from Slack.
    assert len(ntfy.phone(CAROL_TOPIC)) == PAGED + OPENED
    assert len(twilio.phone(CAROL_PHONE).messages) == PAGED + OPENED
    await assert_ready_saying_slack_is_down(warroom)

    # Ten minutes of outage: nobody acknowledges; at five the next level pages Bob.
    for _ in range(10):
        await warroom.advance(minutes=1)
        await assert_ready_saying_slack_is_down(warroom)
    assert len(ntfy.phone(BOB_TOPIC)) == PAGED + OPENED
    assert len(twilio.phone(BOB_PHONE).calls) == PAGED + OPENED
    assert slack.channel_by_name("ops-alerts") is not None

    # Slack is back: what it was to show follows, once each.
    slack.outage_over()
    for _ in range(5):
        await warroom.advance(minutes=1)
    status, body = await probe(warroom)
    assert status == 200 and body["parts"]["slack"]["state"] == "ok", body
    ops = slack.channel_by_name("ops-alerts")
    assert ops is not None
    posted_once(ops, [f"{name} is firing" for name in queues])
    carol = [m.text for m in slack.direct_messages(CAROL)]
    bob = [m.text for m in slack.direct_messages(BOB)]
    for name in queues:
        assert sum(name in text for text in carol) == 1, (name, carol)
        assert sum(name in text for text in bob) == 1, (name, bob)
    rooms = [c for c in slack.channels.values() if c.name.startswith("inc-")]
    assert len(rooms) == OPENED, [c.name for c in rooms]


async def test_an_alert_s_message_waits_out_a_long_slack_outage_and_is_posted_once(
    warroom: Warroom, phones: Phones
) -> None:
    """An hour without Slack, past a job's eight failures: the jobs that post the alert's
    message are tried again (never given up for Slack not answering), and post it once Slack
    answers."""
    _twilio, ntfy = phones
    slack = warroom.slack
    await warroom.app[job_runner_key].stop()
    slack.outage(503)
    await fire(warroom, "QueueLagLong")
    await warroom.run_jobs()
    assert len(ntfy.phone(CAROL_TOPIC)) == 1
    for _ in range(12):
        await warroom.advance(minutes=5)
    slack.outage_over()
    await warroom.advance(minutes=2)
    ops = slack.channel_by_name("ops-alerts")
    assert ops is not None
    posted_once(ops, ["QueueLagLong is firing"])
