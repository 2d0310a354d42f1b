"""Group commit: many Slack events in one transaction, each stored once, none answered before
its commit, and one event's failure costing only that event."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import func, select

from bot.basics.timestamps import ts_to_datetime
from bot.flows.incident import recorder
from bot.flows.ingestion import IngestWriter, MessageNotStored
from bot.keys import ingest_key
from bot.record.incident.messages import SaidMessage
from bot.record.incident.reactions import SeenReaction
from bot.store.columns import utcnow
from bot.store.db import session_scope
from bot.store.models import (
    ChannelMessage,
    Incident,
    ProcessedEvent,
    Reaction,
    TimelineEntry,
    TimelineKind,
)
from emulator import SlackEmulator
from emulator.models import Channel
from tests.conftest import ALICE, BOB, CAROL, Warroom
from tests.helpers.incidents import open_incident
from tests.helpers.slack_requests import event_headers

EVENTS = 120


# Every COMMIT of a transaction that claimed an event fails, after every statement of it
# succeeded, as a database that cannot make it durable fails it. PostgreSQL: a deferred
# constraint trigger raises at COMMIT. SQLite: a trigger breaks a deferred foreign key, which
# SQLite checks only at COMMIT (https://www.sqlite.org/foreignkeys.html, "Deferred Foreign
# Key Constraints"), and refuses it there.
REFUSE_COMMITS = {
    "postgresql": (
        """CREATE FUNCTION refuse_commit() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'the database refused the commit'; END $$""",
        """CREATE CONSTRAINT TRIGGER refuse_commit AFTER INSERT ON processed_event
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_commit()""",
    ),
    "sqlite": (
        "CREATE TABLE refusal (id INTEGER PRIMARY KEY)",
        """CREATE TABLE refused (
        refusal_id INTEGER REFERENCES refusal (id) DEFERRABLE INITIALLY DEFERRED)""",
        """CREATE TRIGGER refuse_commit AFTER INSERT ON processed_event
        BEGIN INSERT INTO refused VALUES (0); END""",
    ),
}
ALLOW_COMMITS = {
    "postgresql": (
        "DROP TRIGGER refuse_commit ON processed_event",
        "DROP FUNCTION refuse_commit()",
    ),
    "sqlite": ("DROP TRIGGER refuse_commit", "DROP TABLE refused", "DROP TABLE refusal"),
}


@asynccontextmanager
async def refused_commits(engine: AsyncEngine) -> AsyncIterator[None]:
    """Every COMMIT that claims an event fails while the block runs (``REFUSE_COMMITS``)."""
    dialect = engine.dialect.name
    async with engine.begin() as connection:
        for statement in REFUSE_COMMITS[dialect]:
            await connection.execute(text(statement))
    try:
        yield
    finally:
        async with engine.begin() as connection:
            for statement in ALLOW_COMMITS[dialect]:
                await connection.execute(text(statement))


@asynccontextmanager
async def counted_commits(engine: AsyncEngine) -> AsyncIterator[list[str]]:
    """The transactions the database commits while the block runs, counted where they are
    sent: by SQLite's own trace of the statements its one connection runs (the Slack event
    writer commits there without SQLAlchemy), by SQLAlchemy's ``commit`` event elsewhere."""
    commits: list[str] = []
    if engine.dialect.name == "sqlite":
        async with engine.connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection

        def traced(sql: str) -> None:
            if sql.strip().upper() == "COMMIT":
                commits.append(sql)

        await raw.set_trace_callback(traced)
        try:
            yield commits
        finally:
            await raw.set_trace_callback(None)
        return

    def on_commit(_connection: object) -> None:
        commits.append("COMMIT")

    event.listen(engine.sync_engine, "commit", on_commit)
    try:
        yield commits
    finally:
        event.remove(engine.sync_engine, "commit", on_commit)


async def post_event(
    client: aiohttp.ClientSession,
    warroom: Warroom,
    event_id: str,
    payload: dict[str, Any],
    retry: int = 0,
) -> int:
    """One signed Events API delivery over HTTP (Slack's ``retry``-th retry of it); its
    status."""
    slack: SlackEmulator = warroom.slack
    body = json.dumps(slack.event_envelope(payload, event_id))
    headers = event_headers(slack.signing_secret, body, retry=retry, reason="http_error")
    async with client.post(f"{warroom.url}/slack/events", data=body.encode(), headers=headers) as r:
        return r.status


def said(channel: str, n: int, base: int) -> dict[str, Any]:
    ts = f"{base + n}.{n:06d}"
    return {"type": "message", "channel": channel, "user": BOB, "text": f"line {n}", "ts": ts}


async def incident_and_writer(warroom: Warroom) -> tuple[Channel, IngestWriter]:
    """An open incident's channel, the events of its opening delivered, and the process's
    writer of Slack events."""
    channel = await open_incident(warroom)
    await warroom.slack.drain()
    return channel, warroom.app[ingest_key]


def mitigated(channel: Channel, ts: str, user: str = ALICE) -> SeenReaction:
    """``user`` marking the message at ``ts`` as the mitigation, now."""
    return SeenReaction(channel.id, ts, "white_check_mark", user, utcnow())


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
        async with counted_commits(warroom.engine) as commits:
            statuses = await asyncio.gather(
                *(post_event(client, warroom, *item) for item in events[2:] + twice),
                post_event(client, warroom, "EvBATCHREACT", reaction),
                post_event(client, warroom, "EvBATCHEDIT", edit),
                post_event(client, warroom, "EvBATCHEYES", plain),
            )
    assert set(statuses) == {200}
    sent = len(statuses)
    # Counted at all (the counter sees the writer's commits), and far fewer than events.
    assert 0 < len(commits) < sent / 2, f"{len(commits)} commits for {sent} events"

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
    channel, writer = await incident_and_writer(warroom)
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
    channel, writer = await incident_and_writer(warroom)
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
    channel, writer = await incident_and_writer(warroom)
    # Slack (the emulator) never had this message: only the batch can make the reaction find it.
    ts = f"{int(time.time()) - 600}.000300"
    message = SaidMessage(channel=channel.id, ts=ts, text="said and reacted to", user=BOB)
    seen = SeenReaction(channel.id, ts, "eyes", BOB, utcnow())
    await asyncio.gather(writer.said("EvSAMEMSG", message), writer.react("EvSAMEREACT", seen))
    assert await count(warroom.engine, Reaction, Reaction.ts == ts) == 1


async def test_no_event_is_answered_2xx_before_its_batch_commits(warroom_any_db: Warroom) -> None:
    """A writer that answered once its statements ran, before the COMMIT, would answer 200
    here for events the database never kept."""
    warroom = warroom_any_db
    channel = await open_incident(warroom)
    await warroom.slack.drain()
    base = int(time.time()) - 5400
    events = [(f"EvREFUSED{n:03d}", said(channel.id, n, base)) for n in range(40)]
    reaction = {
        "type": "reaction_added",
        "user": BOB,
        "reaction": "pushpin",  # puts its message in the timeline: the savepoint path
        "item": {"type": "message", "channel": channel.id, "ts": events[0][1]["ts"]},
        "event_ts": f"{base + 100}.000001",
    }
    engine = warroom.engine
    in_channel = ChannelMessage.channel == channel.id
    claims = ProcessedEvent.event_id.like("EvREFUSED%")  # type: ignore[attr-defined]
    async with aiohttp.ClientSession(trust_env=False) as client:
        assert await post_event(client, warroom, *events[0]) == 200
        async with refused_commits(engine):
            statuses = await asyncio.gather(
                *(post_event(client, warroom, *item) for item in events[1:]),
                post_event(client, warroom, "EvREFUSEDPIN", reaction),
            )
        assert all(status >= 500 for status in statuses), statuses
        assert await count(engine, ChannelMessage, in_channel, ChannelMessage.user == BOB) == 1
        assert await count(engine, ProcessedEvent, claims) == 1
        assert await count(engine, TimelineEntry, TimelineEntry.kind == "key_event") == 0

        # Slack retries what got no 2xx, twice over: each kept, once.
        for retry in (1, 2):
            statuses = await asyncio.gather(
                *(post_event(client, warroom, *item, retry=retry) for item in events[1:]),
                post_event(client, warroom, "EvREFUSEDPIN", reaction, retry=retry),
            )
            assert set(statuses) == {200}
    assert await count(engine, ChannelMessage, in_channel, ChannelMessage.user == BOB) == 40
    assert await count(engine, ProcessedEvent, claims) == 41
    assert await count(engine, TimelineEntry, TimelineEntry.kind == "key_event") == 1


async def test_one_message_under_two_event_ids_is_kept_once(warroom_any_db: Warroom) -> None:
    """Exactly once by ``(channel, ts)`` as well as by event id: the same message delivered
    under different event ids, in one batch and in later ones, is one row."""
    warroom = warroom_any_db
    channel = await open_incident(warroom)
    await warroom.slack.drain()
    base = int(time.time()) - 4800
    messages = [said(channel.id, n, base) for n in range(20)]
    async with aiohttp.ClientSession(trust_env=False) as client:
        together = await asyncio.gather(
            *(
                post_event(client, warroom, f"EvTWIN{copy}{n:03d}", message)
                for n, message in enumerate(messages)
                for copy in "AB"
            )
        )
        later = [
            await post_event(client, warroom, f"EvTWINC{n:03d}", message)
            for n, message in enumerate(messages[:5])
        ]
    assert set(together) == set(later) == {200}
    in_channel = ChannelMessage.channel == channel.id
    assert await count(warroom.engine, ChannelMessage, in_channel, ChannelMessage.user == BOB) == 20


async def test_reactions_in_one_batch_make_each_entry_once_and_the_first_mitigation_counts(
    warroom_any_db: Warroom,
) -> None:
    """Reactions that put messages in the timeline, written together: each message's entry
    once, True (a receipt to show) for the reaction that made it and no other, and the
    incident mitigated when the first mitigation of the batch says, as one by one."""
    warroom = warroom_any_db
    channel, writer = await incident_and_writer(warroom)
    base = int(time.time()) - 900
    fix, later_fix, join = (f"{base + n}.000400" for n in range(3))
    await asyncio.gather(
        writer.said("EvFIX", SaidMessage(channel.id, fix, "rolled back", user=BOB)),
        writer.said("EvLATER", SaidMessage(channel.id, later_fix, "flushed", user=CAROL)),
        writer.said(
            "EvJOIN", SaidMessage(channel.id, join, "joined", user=CAROL, subtype="channel_join")
        ),
    )
    mitigation = TimelineKind.MITIGATION

    made = await asyncio.gather(
        writer.react("EvM1", mitigated(channel, fix, ALICE), mitigation),
        writer.react("EvM2", mitigated(channel, fix, CAROL), mitigation),
        writer.react("EvM3", mitigated(channel, later_fix, ALICE), mitigation),
        writer.react("EvM4", mitigated(channel, join, ALICE), mitigation),
    )
    assert made == [True, False, True, False]
    engine = warroom.engine
    assert await count(engine, Reaction) == 4
    kinds = TimelineEntry.kind == mitigation.value
    assert await count(engine, TimelineEntry, kinds, TimelineEntry.slack_ts == fix) == 1
    assert await count(engine, TimelineEntry, kinds, TimelineEntry.slack_ts == join) == 0
    async with session_scope(engine) as session:
        incident = (await session.exec(select(Incident))).one()
    assert incident.mitigated_at == ts_to_datetime(fix)


async def test_events_of_one_batch_apply_in_the_order_they_came(warroom_any_db: Warroom) -> None:
    """A deletion before a reaction, a reaction taken back and given again, and a retried
    delivery of a message since edited, each in one batch: the record ends as if the events
    had come one at a time (a review found the batch applying reactions before deletions and
    removals, and promoting a message in the words of a stale retry)."""
    warroom = warroom_any_db
    channel, writer = await incident_and_writer(warroom)
    base = int(time.time()) - 1200
    deleted, again, edited = (f"{base + n}.000500" for n in range(3))
    said = {ts: SaidMessage(channel.id, ts, f"words {ts}", user=BOB) for ts in (deleted, again)}
    said[edited] = SaidMessage(channel.id, edited, "first words", user=BOB)
    await asyncio.gather(*(writer.said(f"EvSAID{ts}", one) for ts, one in said.items()))
    mitigation = TimelineKind.MITIGATION

    assert await writer.react("EvFIRST", mitigated(channel, again), mitigation)
    await recorder.record_edit(
        writer,
        "EvEDIT",
        channel=channel.id,
        ts=edited,
        text="second words",
        edited_by=BOB,
        edited_at=utcnow(),
    )
    made = await asyncio.gather(
        recorder.record_deletion(
            writer, "EvGONE", channel=channel.id, ts=deleted, deleted_at=utcnow()
        ),
        writer.react("EvLATE", mitigated(channel, deleted), mitigation),
        recorder.record_unreaction(
            writer, "EvTAKEN", channel=channel.id, ts=again, name="white_check_mark", user=ALICE
        ),
        writer.react("EvAGAIN", mitigated(channel, again), mitigation),
        writer.said(f"EvSAID{edited}-retried", said[edited]),
        writer.react("EvEDITED", mitigated(channel, edited), mitigation),
    )
    assert made[1::2] == [False, True, True]
    engine = warroom.engine
    async with session_scope(engine) as session:
        entries = (
            await session.exec(select(TimelineEntry).where(TimelineEntry.kind == mitigation.value))
        ).all()
        incident = (await session.exec(select(Incident))).one()
    assert sorted((entry.slack_ts, str(entry.text)) for entry in entries) == [
        (again, f"words {again}"),
        (edited, "second words"),
    ]
    assert await count(engine, Reaction, Reaction.ts == again) == 1
    assert incident.mitigated_at == ts_to_datetime(again)


async def test_a_reaction_on_a_message_the_record_lacks_keeps_nothing(
    warroom_any_db: Warroom,
) -> None:
    """Alone in its batch (nothing to write) or beside a message that is kept: said back as
    not stored, with neither its claim nor its row kept, so that the job fetching the message
    applies it later under the same event id."""
    warroom = warroom_any_db
    channel, writer = await incident_and_writer(warroom)
    base = int(time.time()) - 700
    unseen, said = f"{base}.000800", f"{base + 1}.000800"
    with pytest.raises(MessageNotStored):
        await writer.react("EvALONE", mitigated(channel, unseen), TimelineKind.MITIGATION)
    beside = await asyncio.gather(
        writer.said("EvSAID", SaidMessage(channel.id, said, "kept", user=BOB)),
        writer.react("EvBESIDE", mitigated(channel, unseen), TimelineKind.MITIGATION),
        return_exceptions=True,
    )
    assert beside[0] is None and isinstance(beside[1], MessageNotStored)
    engine = warroom.engine
    assert await count(engine, Reaction) == 0
    lost = ProcessedEvent.event_id.in_(["EvALONE", "EvBESIDE"])  # type: ignore[attr-defined]
    assert await count(engine, ProcessedEvent, lost) == 0
    assert await count(engine, ChannelMessage, ChannelMessage.ts == said) == 1


async def test_the_writer_carries_on_when_the_server_closes_its_connection(
    warroom_any_db: Warroom,
) -> None:
    """On PostgreSQL the writer keeps its connection between batches (no pool round trip for
    each): when the server closes it meanwhile (a restart, an idle timeout, an operator), the
    next events are still answered 2xx and kept, as with a connection the pool pings first."""
    warroom = warroom_any_db
    if warroom.engine.dialect.name == "sqlite":
        pytest.skip("SQLite has no server to close a connection: the writer keeps none there")
    channel = await open_incident(warroom)
    await warroom.slack.drain()
    base = int(time.time()) - 3600
    async with aiohttp.ClientSession(trust_env=False) as client:
        for n in range(3):  # one batch each: the writer's connection is the one that wrote
            assert await post_event(client, warroom, f"EvKEPT{n}", said(channel.id, n, base)) == 200
        async with warroom.engine.connect() as connection:
            closed = await connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    " AND query LIKE '%processed_event%'"
                )
            )
            assert closed.all(), "no connection of the writer's to close"
        statuses = [
            await post_event(client, warroom, f"EvKEPT{n}", said(channel.id, n, base))
            for n in range(3, 6)
        ]
    assert statuses == [200, 200, 200]
    in_channel = ChannelMessage.channel == channel.id
    assert await count(warroom.engine, ChannelMessage, in_channel, ChannelMessage.user == BOB) == 6
