"""Every delivery three times, to two replicas at once, on one database (PostgreSQL, and a
SQLite file both replicas open): one incident, one channel, each message and timeline entry
once, each bot message posted once. Each replica writes events through its own group-commit
writer, so the same event reaches two writers' batches at once."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from typing import Any

import aiohttp
from sqlmodel import func, select

from bot.config import Secret
from bot.store.columns import utcnow
from bot.store.db import session_scope
from bot.store.models import AlertPayload, ChannelMessage, Incident, OutboxMessage, TimelineEntry
from emulator import SlackEmulator
from tests.conftest import ALICE, BOB, Warroom, running_warroom
from tests.helpers.alerts import TOKEN, alert, alertmanager, post_alert
from tests.helpers.slack_requests import event_headers
from tests.helpers.waiting import RealClock, eventually

MESSAGES = 40
MARKED = 8  # of which this many get a :pushpin: reaction
# A bound for a hang, not a pace: two replicas started and some 300 requests answered, on a
# loaded machine. Each wait below waits for what it expects, bounded by this alone.
TEST_LIMIT = 240.0  # under pytest-timeout's 300 s: a hang stops the replicas and fails here
# No limit of aiohttp's own (its default gives a connection 30 s): two replicas on a loaded
# machine may take longer to accept the burst, and a hang is the test's limit to catch.
UNBOUNDED = aiohttp.ClientTimeout(total=None, sock_connect=None)


async def _deliver_thrice(
    session: aiohttp.ClientSession, slack: SlackEmulator, urls: list[str], event: dict[str, Any]
) -> list[int]:
    """One event as Slack delivers it when its first tries time out: three times, with retry
    headers, here to every replica at once."""
    envelope = slack.event_envelope(event, "Ev" + event["ts"].replace(".", ""))
    body = json.dumps(envelope)

    async def one(url: str, attempt: int) -> int:
        headers = event_headers(slack.signing_secret, body, retry=attempt)
        async with session.post(f"{url}/slack/events", data=body.encode(), headers=headers) as r:
            return r.status

    return await asyncio.gather(*(one(url, attempt) for url in urls for attempt in range(3)))


async def _count(warroom: Warroom, model: type, *where: Any) -> int:
    async with session_scope(warroom.engine) as db:
        return int((await db.exec(select(func.count()).select_from(model).where(*where))).one())


async def test_triple_deliveries_to_two_replicas_change_the_record_once(
    slack: SlackEmulator, database_url: str
) -> None:
    settings = {"alerting__token": Secret(TOKEN), "runtime__scheduler_interval": 0.1}
    started = utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
    notification = alertmanager("CheckoutErrors", [alert("CheckoutErrors", "web-1", started)])
    async with (
        asyncio.timeout(TEST_LIMIT),
        running_warroom(slack, database_url, RealClock(), **settings) as first,
        running_warroom(slack, database_url, RealClock(), **settings) as second,
        aiohttp.ClientSession(timeout=UNBOUNDED) as http,
    ):
        urls = [first.url, second.url]
        answers = await asyncio.gather(
            *(post_alert(url, "alertmanager", notification, session=http) for url in urls * 3)
        )
        assert {status for status, _ in answers} == {202}
        channel = await slack.wait_for(
            lambda: next((c for c in slack.channels.values() if c.name.startswith("inc-")), None),
            timeout=TEST_LIMIT,
        )
        await slack.wait_for(lambda: channel.pins, timeout=TEST_LIMIT)
        base = int(time.time()) - 3600  # earlier than anything the bot posts
        events = []
        for n in range(MESSAGES):
            ts = f"{base}.{n:06d}"
            events.append(
                {
                    "type": "message",
                    "channel": channel.id,
                    "user": BOB,
                    "text": f"line {n}",
                    "ts": ts,
                    "channel_type": "channel",
                }
            )
        for event in events:
            await slack.post_message(channel.id, event["text"], user=BOB, ts=event["ts"])
        statuses = await asyncio.gather(*(_deliver_thrice(http, slack, urls, e) for e in events))
        assert all(status == 200 for answers_ in statuses for status in answers_)
        reactions = [
            {
                "type": "reaction_added",
                "user": ALICE,
                "reaction": "pushpin",
                "item": {"type": "message", "channel": channel.id, "ts": event["ts"]},
                "item_user": BOB,
                "event_ts": f"{base + 1}.{n:06d}",
                "ts": f"{base + 1}.{n:06d}",
            }
            for n, event in enumerate(events[:MARKED])
        ]
        await asyncio.gather(*(_deliver_thrice(http, slack, urls, r) for r in reactions))

        async def outbox_empty() -> bool:
            return await _count(first, OutboxMessage, OutboxMessage.sent_at.is_(None)) == 0  # type: ignore[union-attr]

        await eventually(outbox_empty, TEST_LIMIT, "the outbox to be sent")
        await first.finish_background()
        await second.finish_background()
        await slack.drain()

        assert await _count(first, Incident) == 1
        assert await _count(first, AlertPayload) == 6  # every delivery kept, applied once
        assert [c.name.startswith("inc-") for c in slack.channels.values()].count(True) == 1
        lines = ChannelMessage.text.startswith("line ")  # type: ignore[attr-defined]
        assert await _count(first, ChannelMessage, lines) == MESSAGES
        assert await _count(first, TimelineEntry, TimelineEntry.kind == "key_event") == MARKED
        said = Counter(m.text for m in channel.messages if m.user == slack.bot_user_id)
        assert said and max(said.values()) == 1, "a bot message was posted twice"
        assert len(channel.pins) == 1
        receipts = [m for m in channel.messages if "ballot_box_with_check" in m.reactions]
        assert len(receipts) == MARKED
