"""The channel record over the wire: messages, edits, deletions, reactions, retries."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sqlmodel import col, func, select

from bot.basics.timestamps import ts_to_datetime
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import (
    ChannelMessage,
    Incident,
    Job,
    MessageRevision,
    Reaction,
    TimelineEntry,
)
from emulator import Channel, SlackEmulator
from emulator.models import new_ts
from tests.conftest import ALICE, BOB, CAROL, Warroom, running_warroom
from tests.helpers.incidents import open_incident as declare

DEFAULT_KINDS = {
    "pushpin": "key_event",
    "mag": "investigation",
    "x": "misleading",
    "bulb": "root_cause",
    "white_check_mark": "mitigation",
    "memo": "follow_up",
}


async def open_incident(warroom: Warroom, title: str = "Checkout down") -> Channel:
    channel = await declare(warroom, title)
    channel.members.update({BOB, CAROL})
    return channel


async def stored(warroom: Warroom, channel: str) -> list[ChannelMessage]:
    await warroom.slack.drain()  # deliveries of the bot's own posts run in the background
    async with session_scope(warroom.engine) as session:
        query = select(ChannelMessage).where(ChannelMessage.channel == channel)
        return list((await session.exec(query.order_by(ChannelMessage.ts))).all())


async def timeline(warroom: Warroom, channel: str) -> list[tuple[str, str]]:
    """(kind, text) of the entries that come from messages in ``channel``."""
    async with session_scope(warroom.engine) as session:
        query = select(TimelineEntry).where(TimelineEntry.slack_channel == channel)
        entries = (await session.exec(query.order_by(TimelineEntry.occurred_at))).all()
    return [(e.kind, e.text) for e in entries]


async def count(warroom: Warroom, model: type, **where: object) -> int:
    async with session_scope(warroom.engine) as session:
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return int((await session.exec(query)).one())


async def test_messages_and_thread_replies_keep_their_slack_time(warroom: Warroom) -> None:
    slack = warroom.slack
    channel = await open_incident(warroom)
    an_hour_ago = f"{int(time.time()) - 3600}.000100"
    first = await slack.post_message(channel.id, "500s on /checkout", user=BOB, ts=an_hour_ago)
    reply = await slack.post_message(
        channel.id, "since the 11:55 deploy?", user=CAROL, thread_ts=first.ts
    )
    messages = {m.ts: m for m in await stored(warroom, channel.id)}

    assert messages[first.ts].occurred_at == ts_to_datetime(an_hour_ago)
    assert (messages[first.ts].user, messages[first.ts].text) == (BOB, "500s on /checkout")
    assert messages[reply.ts].thread_ts == first.ts and messages[reply.ts].user == CAROL
    assert messages[first.ts].thread_ts is None
    header = next(m for m in messages.values() if m.ts in channel.pins)
    assert header.is_bot and header.user == slack.bot_user_id
    assert not messages[first.ts].is_bot


async def test_an_event_delivered_late_keeps_the_time_it_was_said(warroom: Warroom) -> None:
    slack = warroom.slack
    channel = await open_incident(warroom)
    said_at = f"{int(time.time()) - 3600}.000200"
    event = {
        "type": "message",
        "channel": channel.id,
        "user": BOB,
        "text": "replica lag alarm",
        "ts": said_at,
        "event_ts": said_at,
        "channel_type": "channel",
    }
    response = await slack.send_event(event, event_time=int(time.time()))
    assert response.status == 200
    [message] = [m for m in await stored(warroom, channel.id) if m.ts == said_at]
    assert message.occurred_at == ts_to_datetime(said_at)


async def test_messages_outside_incident_channels_are_not_stored(warroom: Warroom) -> None:
    slack = warroom.slack
    await open_incident(warroom)
    general = slack.channel_by_name("general")
    assert general is not None
    general.members.add(slack.bot_user_id)
    await slack.post_message(general.id, "lunch?", user=BOB)
    assert await stored(warroom, general.id) == []


async def test_edits_keep_history_and_deletions_leave_an_audit_row(warroom: Warroom) -> None:
    slack = warroom.slack
    channel = await open_incident(warroom)
    said = await slack.post_message(channel.id, "root cause: DNS", user=BOB)
    await slack.add_reaction(channel.id, said.ts, "bulb", user=ALICE)
    assert await timeline(warroom, channel.id) == [("root_cause", "root cause: DNS")]

    await slack.edit_message(channel.id, said.ts, "root cause: expired TLS cert", user=BOB)
    [message] = [m for m in await stored(warroom, channel.id) if m.ts == said.ts]
    assert message.text == "root cause: expired TLS cert" and message.edited_at is not None
    async with session_scope(warroom.engine) as session:
        [revision] = (await session.exec(select(MessageRevision))).all()
    assert revision.previous_text == "root cause: DNS" and revision.edited_by == BOB
    assert await timeline(warroom, channel.id) == [("root_cause", "root cause: expired TLS cert")]

    await slack.delete_message(channel.id, said.ts)
    [message] = [m for m in await stored(warroom, channel.id) if m.ts == said.ts]
    assert message.deleted_at is not None and message.text == "root cause: expired TLS cert"
    assert await timeline(warroom, channel.id) == []


@pytest.mark.parametrize(("reaction", "kind"), sorted(DEFAULT_KINDS.items()))
async def test_each_default_reaction_makes_its_kind_and_removal_undoes_it(
    warroom: Warroom, reaction: str, kind: str
) -> None:
    slack = warroom.slack
    channel = await open_incident(warroom)
    said = await slack.post_message(channel.id, f"moment for {reaction}", user=BOB)
    response = await slack.add_reaction(channel.id, said.ts, reaction, user=CAROL)
    assert response is not None and response.status == 200
    assert await timeline(warroom, channel.id) == [(kind, f"moment for {reaction}")]
    receipt = await slack.wait_for(lambda: said.reactions.get("ballot_box_with_check"))
    assert receipt == [slack.bot_user_id]  # a quiet receipt, not a channel message

    await slack.remove_reaction(channel.id, said.ts, reaction, user=CAROL)
    assert await timeline(warroom, channel.id) == []
    await slack.wait_for(lambda: not said.reactions.get("ballot_box_with_check"))


async def test_a_mitigation_sets_mitigated_at_from_the_message_time(warroom: Warroom) -> None:
    slack = warroom.slack
    channel = await open_incident(warroom)
    first_fix = await slack.post_message(channel.id, "rolled back", user=BOB)
    await slack.post_message(channel.id, "cache flushed", user=CAROL)
    await slack.add_reaction(channel.id, first_fix.ts, "white_check_mark", user=ALICE)
    async with session_scope(warroom.engine) as session:
        incident = (await session.exec(select(Incident))).one()
    assert incident.mitigated_at == ts_to_datetime(first_fix.ts)
    await slack.remove_reaction(channel.id, first_fix.ts, "white_check_mark", user=ALICE)
    async with session_scope(warroom.engine) as session:
        incident = (await session.exec(select(Incident))).one()
    assert incident.mitigated_at is None


async def test_one_persons_removal_keeps_anothers_promotion(warroom: Warroom) -> None:
    slack = warroom.slack
    channel = await open_incident(warroom)
    said = await slack.post_message(channel.id, "paging the DBAs", user=BOB)
    await slack.add_reaction(channel.id, said.ts, "pushpin", user=ALICE)
    await slack.add_reaction(channel.id, said.ts, "pushpin", user=CAROL)
    await slack.remove_reaction(channel.id, said.ts, "pushpin", user=ALICE)
    assert await timeline(warroom, channel.id) == [("key_event", "paging the DBAs")]
    await slack.remove_reaction(channel.id, said.ts, "pushpin", user=CAROL)
    assert await timeline(warroom, channel.id) == []


async def test_a_reaction_on_an_unknown_message_fetches_it(warroom: Warroom) -> None:
    slack = warroom.slack
    channel = await open_incident(warroom)
    # Said before the bot saw it: in Slack's history but never delivered to the bot.
    slack.events_url, url = None, slack.events_url
    parent = await slack.post_message(channel.id, "disk full on db-3", user=BOB)
    reply = await slack.post_message(channel.id, "it's the WAL", user=CAROL, thread_ts=parent.ts)
    slack.events_url = url
    assert not {parent.ts, reply.ts} & {m.ts for m in await stored(warroom, channel.id)}

    await slack.add_reaction(channel.id, parent.ts, "mag", user=ALICE)
    await slack.add_reaction(channel.id, reply.ts, "bulb", user=ALICE)
    await warroom.run_jobs()  # the fetches are jobs: Slack's requests were answered first
    assert await timeline(warroom, channel.id) == [
        ("investigation", "disk full on db-3"),
        ("root_cause", "it's the WAL"),
    ]
    assert slack.calls_to("conversations.history") and slack.calls_to("conversations.replies")
    kept = {m.ts: m for m in await stored(warroom, channel.id)}
    assert kept[reply.ts].thread_ts == parent.ts


async def test_reactions_outside_incident_channels_and_on_files_are_ignored(
    warroom: Warroom,
) -> None:
    slack = warroom.slack
    await open_incident(warroom)
    general = slack.channel_by_name("general")
    assert general is not None
    general.members.add(slack.bot_user_id)
    said = await slack.post_message(general.id, "unrelated", user=BOB)
    await slack.add_reaction(general.id, said.ts, "pushpin", user=ALICE)
    file_reaction = {
        "type": "reaction_added",
        "user": ALICE,
        "reaction": "pushpin",
        "item": {"type": "file", "file": "F123"},
        "event_ts": said.ts,
    }
    assert (await slack.send_event(file_reaction)).status == 200
    assert (
        await count(warroom, Reaction) == 0
        and await count(warroom, TimelineEntry, kind="key_event") == 0
    )


async def test_a_custom_reaction_mapping_takes_effect(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    mapping = {"fire": "key_event", "pushpin": "follow_up"}
    async with running_warroom(slack, sqlite_url, incidents__reactions=mapping) as warroom:
        channel = await open_incident(warroom)
        said = await slack.post_message(channel.id, "error budget burned", user=BOB)
        await slack.add_reaction(channel.id, said.ts, "fire", user=ALICE)
        await slack.add_reaction(channel.id, said.ts, "pushpin", user=ALICE)
        await slack.add_reaction(channel.id, said.ts, "mag", user=ALICE)  # unmapped now
        assert sorted(await timeline(warroom, channel.id)) == [
            ("follow_up", "error budget burned"),
            ("key_event", "error budget burned"),
        ]


async def test_an_event_delivered_three_times_is_applied_once(warroom_any_db: Warroom) -> None:
    warroom, slack = warroom_any_db, warroom_any_db.slack
    channel = await open_incident(warroom)
    said = await slack.post_message(channel.id, "failover started", user=BOB)
    reaction = {
        "type": "reaction_added",
        "user": ALICE,
        "reaction": "pushpin",
        "item": {"type": "message", "channel": channel.id, "ts": said.ts},
        "item_user": BOB,
        "event_ts": new_ts(),
    }
    message = {
        "type": "message",
        "channel": channel.id,
        "user": CAROL,
        "text": "once",
        "ts": new_ts(),
        "channel_type": "channel",
    }
    for event, event_id in ((reaction, "Ev0REACT"), (message, "Ev0MSG")):
        first = await slack.send_event(event, event_id=event_id)
        retries = [
            await slack.send_event(
                event, event_id=event_id, retry_num=n, retry_reason="http_timeout"
            )
            for n in (1, 2)
        ]
        assert [r.status for r in (first, *retries)] == [200, 200, 200]
    assert await count(warroom, Reaction) == 1
    assert await count(warroom, TimelineEntry, kind="key_event") == 1
    assert await count(warroom, ChannelMessage, text="once") == 1


async def test_concurrent_duplicate_deliveries_are_applied_once(warroom_any_db: Warroom) -> None:
    warroom, slack = warroom_any_db, warroom_any_db.slack
    channel = await open_incident(warroom)
    event = {
        "type": "message",
        "channel": channel.id,
        "user": CAROL,
        "text": "racing",
        "ts": new_ts(),
        "channel_type": "channel",
    }
    responses = await asyncio.gather(
        *(slack.send_event(event, event_id="EvRACE", retry_num=n or None) for n in range(3))
    )
    assert [r.status for r in responses] == [200, 200, 200]
    assert await count(warroom, ChannelMessage, text="racing") == 1


async def test_a_database_failure_is_answered_with_an_error_so_slack_retries(
    warroom: Warroom,
) -> None:
    slack = warroom.slack
    channel = await open_incident(warroom)
    database = Path(str(warroom.engine.url.database))
    event = {
        "type": "message",
        "channel": channel.id,
        "user": BOB,
        "text": "lost?",
        "ts": new_ts(),
        "channel_type": "channel",
    }
    # The database file becomes unreachable: its directory moves away.
    await warroom.engine.dispose()
    moved = database.parent.rename(database.parent.with_name("moved-away"))
    try:
        failed = await slack.send_event(event, event_id="EvDBDOWN")
        assert failed.status >= 500  # not a false 2xx: Slack will retry
    finally:
        await warroom.engine.dispose()
        moved.rename(database.parent)
    retried = await slack.send_event(
        event, event_id="EvDBDOWN", retry_num=1, retry_reason="http_error"
    )
    assert retried.status == 200
    assert await count(warroom, ChannelMessage, text="lost?") == 1


async def test_a_thousand_messages_and_reactions_are_all_recorded_once(
    warroom_any_db: Warroom,
) -> None:
    warroom, slack = warroom_any_db, warroom_any_db.slack
    channel = await open_incident(warroom)
    base = int(time.time()) - 5000
    gate = asyncio.Semaphore(25)  # 25 deliveries in flight at a time

    async def say(n: int) -> str:
        async with gate:
            said = await slack.post_message(
                channel.id, f"line {n}", user=BOB, ts=f"{base + n}.{n:06d}"
            )
            return said.ts

    async def react(ts: str) -> None:
        async with gate:
            await slack.add_reaction(channel.id, ts, "pushpin", user=CAROL)

    said = await asyncio.gather(*(say(n) for n in range(1000)))
    await asyncio.gather(*(react(ts) for ts in said))
    await slack.drain()
    statuses = {delivery.status for _, delivery in slack.deliveries}
    assert statuses == {200}, "every delivery was answered 200"
    assert await count(warroom, ChannelMessage, user=BOB) == 1000
    assert await count(warroom, Reaction, name="pushpin") == 1000
    assert await count(warroom, TimelineEntry, kind="key_event") == 1000
    receipts = await slack.wait_for(
        lambda: (
            sum(1 for m in channel.messages if m.reactions.get("ballot_box_with_check")) >= 1000
        ),
        timeout=30,
    )
    assert receipts


async def test_a_reaction_whose_message_slack_cannot_give_is_not_retried_forever(
    warroom: Warroom,
) -> None:
    slack = warroom.slack
    channel = await open_incident(warroom)
    slack.fail_with_error("conversations.history", "channel_not_found")
    gone = {
        "type": "reaction_added",
        "user": ALICE,
        "reaction": "pushpin",
        "item": {"type": "message", "channel": channel.id, "ts": "1700000000.000100"},
        "event_ts": new_ts(),
    }
    assert (await slack.send_event(gone)).status == 200
    await warroom.run_jobs()
    assert await unfinished_jobs(warroom) == []  # given up at once: Slack will not have it
    slack.fail("conversations.history", status=500, times=10)
    transient = {**gone, "item": {**gone["item"], "ts": "1700000000.000200"}}
    assert (await slack.send_event(transient)).status == 200  # the fetch is a job, retried
    await warroom.run_jobs()
    assert [job.failures for job in await unfinished_jobs(warroom)] == [1]
    assert await count(warroom, TimelineEntry, kind="key_event") == 0


async def unfinished_jobs(warroom: Warroom) -> list[Job]:
    """The fetches of reacted messages not done yet."""
    async with session_scope(warroom.engine) as session:
        query = select(Job).where(
            col(Job.done_at).is_(None), Job.kind == JobKind.FETCH_REACTED_MESSAGE
        )
        return list((await session.exec(query)).all())


async def test_a_reaction_on_an_unknown_message_is_answered_before_slack_is_asked(
    warroom: Warroom,
) -> None:
    slack = warroom.slack
    channel = await open_incident(warroom)
    slack.events_url, url = None, slack.events_url
    said = await slack.post_message(channel.id, "checkout pods OOMKilled", user=BOB)
    slack.events_url = url
    # Slack slower than its own deadline for an answer (3 s): the answer must not wait on it
    # (the bound leaves a loaded machine room; waiting on Slack would take 6 s at least).
    slack.delay("conversations.history", 6.0)
    reacted = {
        "type": "reaction_added",
        "user": ALICE,
        "reaction": "pushpin",
        "item": {"type": "message", "channel": channel.id, "ts": said.ts},
        "event_ts": new_ts(),
    }
    answer = await slack.send_event(reacted)
    assert answer.status == 200 and answer.elapsed < 4.0, answer.elapsed
    await warroom.run_jobs()
    assert await timeline(warroom, channel.id) == [("key_event", "checkout pods OOMKilled")]
