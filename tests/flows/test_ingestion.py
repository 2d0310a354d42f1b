"""Group commit: many Slack events in one transaction, each stored once, none answered before
its commit, and one event's failure costing only that event."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import func, select

from bot.emulator import SlackEmulator
from bot.emulator.models import slack_signature_headers
from bot.keys import ingest_key
from bot.record.messages import SaidMessage
from bot.record.reactions import SeenReaction
from bot.store.db import session_scope
from bot.store.models import ChannelMessage, ProcessedEvent, Reaction, TimelineEntry, utcnow
from tests.conftest import BOB, Warroom, open_incident

EVENTS = 120


@contextmanager
def counted_commits(engine: AsyncEngine) -> Iterator[list[int]]:
    """Count the transactions the engine commits while the block runs."""
    commits: list[int] = []

    def on_commit(_connection: object) -> None:
        commits.append(1)

    event.listen(engine.sync_engine, "commit", on_commit)
    try:
        yield commits
    finally:
        event.remove(engine.sync_engine, "commit", on_commit)


async def post_event(
    client: aiohttp.ClientSession, warroom: Warroom, event_id: str, payload: dict[str, Any]
) -> int:
    """One signed Events API delivery over HTTP; its status."""
    slack: SlackEmulator = warroom.slack
    body = json.dumps(slack.event_envelope(payload, event_id))
    headers = {"Content-Type": "application/json"}
    headers |= slack_signature_headers(slack.signing_secret, body)
    async with client.post(f"{warroom.url}/slack/events", data=body.encode(), headers=headers) as r:
        return r.status


def said(channel: str, n: int, base: int) -> dict[str, Any]:
    ts = f"{base + n}.{n:06d}"
    return {"type": "message", "channel": channel, "user": BOB, "text": f"line {n}", "ts": ts}


async def count(engine: AsyncEngine, model: type, *where: Any) -> int:
    async with session_scope(engine) as db:
        return int((await db.exec(select(func.count()).select_from(model).where(*where))).one())


async def test_concurrent_events_share_transactions_and_are_each_stored_once(
    warroom_any_db: Warroom,
) -> None:
    warroom = warroom_any_db
    channel = await open_incident(warroom)
    await warroom.slack.drain()
    base = int(time.time()) - 3600
    events = [(f"EvBATCH{n:04d}", said(channel.id, n, base)) for n in range(EVENTS)]
    # Every tenth event is also delivered twice more at once (Slack's retries, a replica's
    # twin): applied once all the same.
    twice = events[::10] * 2
    first_ts = events[0][1]["ts"]
    reaction = {
        "type": "reaction_added",
        "user": BOB,
        "reaction": "pushpin",
        "item": {"type": "message", "channel": channel.id, "ts": first_ts},
        "event_ts": f"{base + EVENTS}.000001",
    }
    plain = {**reaction, "reaction": "eyes", "event_ts": f"{base + EVENTS}.000003"}
    edit = {
        "type": "message",
        "subtype": "message_changed",
        "channel": channel.id,
        "message": {"ts": events[1][1]["ts"], "user": BOB, "text": "line 1, edited"},
        "event_ts": f"{base + EVENTS}.000002",
    }
    async with aiohttp.ClientSession(trust_env=False) as client:
        # Stored first, so the reaction and the edit below find their messages in any order.
        assert await post_event(client, warroom, *events[0]) == 200
        assert await post_event(client, warroom, *events[1]) == 200
        with counted_commits(warroom.engine) as commits:
            statuses = await asyncio.gather(
                *(post_event(client, warroom, *item) for item in events[2:] + twice),
                post_event(client, warroom, "EvBATCHREACT", reaction),
                post_event(client, warroom, "EvBATCHEDIT", edit),
                post_event(client, warroom, "EvBATCHEYES", plain),
            )
    assert set(statuses) == {200}
    sent = len(statuses)
    assert len(commits) < sent / 2, f"{len(commits)} commits for {sent} events: no batching"

    engine = warroom.engine
    in_channel = ChannelMessage.channel == channel.id
    stored = await count(engine, ChannelMessage, in_channel, ChannelMessage.user == BOB)
    assert stored == EVENTS
    claims = ProcessedEvent.event_id.like("EvBATCH%")  # type: ignore[attr-defined]
    assert await count(engine, ProcessedEvent, claims) == EVENTS + 3
    assert await count(engine, Reaction) == 2
    assert await count(engine, TimelineEntry, TimelineEntry.slack_ts == first_ts) == 1
    edited = await count(engine, ChannelMessage, ChannelMessage.text == "line 1, edited")
    assert edited == 1


async def test_one_failing_event_costs_only_itself(warroom: Warroom) -> None:
    channel = await open_incident(warroom)
    await warroom.slack.drain()
    writer = warroom.app[ingest_key]
    base = int(time.time()) - 7200

    async def broken(*_: object) -> bool:
        raise ValueError("a bug in one event's work")

    messages = [
        SaidMessage(channel=channel.id, ts=f"{base + n}.000100", text=f"m{n}", user=BOB)
        for n in range(20)
    ]
    results = await asyncio.gather(
        *(writer.said(f"EvONE{n}", message) for n, message in enumerate(messages)),
        writer.apply("EvBROKEN", channel.id, broken),
        return_exceptions=True,
    )
    assert results[:-1] == [None] * 20
    assert isinstance(results[-1], ValueError)
    engine = warroom.engine
    in_channel = ChannelMessage.channel == channel.id
    assert await count(engine, ChannelMessage, in_channel, ChannelMessage.user == BOB) == 20
    # Its claim went with its savepoint: Slack's retry will apply it.
    assert await count(engine, ProcessedEvent, ProcessedEvent.event_id == "EvBROKEN") == 0


async def test_a_batch_that_cannot_commit_is_retried_one_event_at_a_time(
    warroom: Warroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    channel = await open_incident(warroom)
    await warroom.slack.drain()
    writer = warroom.app[ingest_key]
    real = writer._transaction
    sizes: list[int] = []

    async def fails_when_batched(batch: list[Any]) -> Any:
        sizes.append(len(batch))
        if len(batch) > 1:
            raise ValueError("a batch-level failure")
        return await real(batch)

    monkeypatch.setattr(writer, "_transaction", fails_when_batched)
    base = int(time.time()) - 9000
    messages = [
        SaidMessage(channel=channel.id, ts=f"{base + n}.000200", text=f"r{n}", user=BOB)
        for n in range(10)
    ]
    await asyncio.gather(*(writer.said(f"EvRETRY{n}", m) for n, m in enumerate(messages)))
    assert max(sizes) > 1, "the events were never batched"
    in_channel = ChannelMessage.channel == channel.id
    assert await count(warroom.engine, ChannelMessage, in_channel) >= 10


async def test_a_reaction_finds_a_message_said_in_the_same_batch(warroom: Warroom) -> None:
    channel = await open_incident(warroom)
    await warroom.slack.drain()
    writer = warroom.app[ingest_key]
    # Slack (the emulator) never had this message: only the batch can make the reaction find it.
    ts = f"{int(time.time()) - 600}.000300"
    message = SaidMessage(channel=channel.id, ts=ts, text="said and reacted to", user=BOB)
    seen = SeenReaction(channel.id, ts, "eyes", BOB, utcnow())
    await asyncio.gather(writer.said("EvSAMEMSG", message), writer.react("EvSAMEREACT", seen))
    assert await count(warroom.engine, Reaction, Reaction.ts == ts) == 1
