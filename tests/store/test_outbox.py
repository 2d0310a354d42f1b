"""The outbox: every channel write the bot means to make reaches Slack, in order per channel,
through a Slack that fails a third of its calls, and across a restart."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from bot.store import outbox, received_commands
from bot.store.columns import utcnow
from bot.store.db import session_scope
from bot.store.liveness import Liveness, live_name, release_abandoned
from bot.store.models import OutboxLease, OutboxMessage, TimelineEntry
from emulator import Channel, SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom, running_warroom
from tests.helpers.clock_step import step_clock_forward
from tests.helpers.incidents import command, declare_incident, open_incident, settle
from tests.helpers.metrics import scrape, value

INCIDENT = [
    ("say", BOB, "Checkout returns 500s for a fifth of requests", "pushpin"),
    ("run", ALICE, "sev 2", None),
    ("run", ALICE, "lead @bob", None),
    ("run", BOB, "role comms @carol", None),
    ("say", CAROL, "Orders database looks slow?", "mag"),
    ("run", CAROL, "update Card payments fail for a fifth of checkouts", None),
    ("say", BOB, "The database is fine: a dead end", "x"),
    ("run", BOB, "impact A fifth of checkouts failed", None),
    ("say", BOB, "The gateway release broke card validation", "bulb"),
    ("run", BOB, "cause The 11:55 gateway release rejected card types", None),
    ("run", BOB, "status identified", None),
    ("say", BOB, "Rolled the gateway back", "white_check_mark"),
    ("run", BOB, "action @carol Alert on card errors per release", None),
    ("run", BOB, "status monitoring", None),
    ("run", BOB, "resolve Rolled back the gateway release", None),
]
EXPECTED_KINDS = {
    "declared",
    "key_event",
    "severity",
    "commander",
    "role",
    "investigation",
    "update",
    "misleading",
    "impact",
    "root_cause",
    "status",
    "mitigation",
    "resolved",
}


async def _play(
    warroom: Warroom, channel: Channel, steps: list[tuple[str, str, str, str | None]] = INCIDENT
) -> None:
    slack = warroom.slack
    for step, user, text, reaction in steps:
        if step == "say":
            said = await slack.post_message(channel.id, text, user=user)
            if reaction:
                await slack.add_reaction(channel.id, said.ts, reaction, user=ALICE)
        else:
            await slack.send_command(text, user=user, channel=channel.id)
        await warroom.finish_background()
        await slack.drain()


async def _until_sent(warroom: Warroom, rounds: int = 40) -> None:
    """Let time pass (a minute a round) until the outbox has nothing waiting."""
    for _ in range(rounds):
        await warroom.advance(minutes=1)
        async with session_scope(warroom.engine) as session:
            waiting = (
                await session.exec(
                    select(OutboxMessage).where(col(OutboxMessage.sent_at).is_(None))
                )
            ).all()
        if not waiting:
            return
    raise AssertionError(
        f"still waiting in the outbox: {[(r.method, r.last_error) for r in waiting]}"
    )


async def _until_idle(warroom: Warroom) -> None:
    """Until no replica is sending (no lease held but the replicas' own) and nothing waits."""
    sending = select(OutboxLease).where(
        ~col(OutboxLease.channel).startswith(received_commands.REPLICA_PREFIX)
    )
    for _ in range(100):
        async with session_scope(warroom.engine) as session:
            busy = (await session.exec(sending)).first() or (
                await session.exec(
                    select(OutboxMessage).where(col(OutboxMessage.sent_at).is_(None))
                )
            ).first()
        if busy is None:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the outbox never went idle")


async def _sent_posts(warroom: Warroom, channel: str) -> list[OutboxMessage]:
    async with session_scope(warroom.engine) as session:
        rows = await session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.channel == channel, OutboxMessage.method == "chat.postMessage")
            .order_by(col(OutboxMessage.id))
        )
        return list(rows.all())


async def test_a_slack_failing_a_third_of_its_calls_loses_nothing_and_keeps_the_order(
    slack: SlackEmulator, database_url: str
) -> None:
    async with running_warroom(slack, database_url) as warroom:
        channel = await open_incident(warroom)
        # Every Web API call now fails three times in ten: half 429 with Retry-After, half 500.
        slack.flaky(0.3, seed=8, retry_after=1)
        # And once, a burst longer than the client's own retries: the outbox must wait.
        slack.fail("chat.postMessage", status=500, times=4)
        await _play(warroom, channel)
        await _until_sent(warroom)
        slack.steady()

    refused = [call for call in slack.calls if call.status in {429, 500}]
    # The outage was real: both kinds of refusal, many times (how many depends on how many
    # calls the bot makes, fewer since a queued header edit replaced by a later one is not sent).
    assert len(refused) > 10 and {call.status for call in refused} == {429, 500}
    posts = await _sent_posts(warroom, channel.id)
    assert posts and all(row.sent_at and not row.gave_up_at for row in posts)
    # What the channel shows, in its order, is exactly what the bot meant to post, in order.
    bot_messages = [m for m in channel.messages if m.user == slack.bot_user_id]
    assert [m.ts for m in bot_messages] == [row.result_ts for row in posts]
    assert max(Counter(m.text for m in bot_messages).values()) == 1  # nothing posted twice
    assert any(row.attempts > 1 for row in posts), "the outbox never had to wait"
    header = next(m for m in channel.messages if m.ts in channel.pins)
    assert "resolved" in header.text.lower()
    async with session_scope(warroom.engine) as session:
        kinds = {e.kind for e in (await session.exec(select(TimelineEntry))).all()}
    assert kinds >= EXPECTED_KINDS


async def test_writes_slack_refused_are_sent_in_order_after_a_restart(
    slack: SlackEmulator, database_url: str
) -> None:
    clock = Clock()
    async with running_warroom(slack, database_url, clock) as warroom:
        channel = await open_incident(warroom)
        # The client tries each call four times: the first update's post fails every time.
        slack.fail("chat.postMessage", status=500, times=4)
        for text in ("first", "second", "third"):
            await slack.send_command(f"update {text}", user=ALICE, channel=channel.id)
            await warroom.finish_background()
        assert not [m for m in channel.messages if "first" in m.text]
    clock.now += timedelta(hours=1)
    # A new process on the same database: its outbox sender finds the waiting writes.
    async with running_warroom(
        slack, database_url, clock, runtime__scheduler_interval=0.05
    ) as warroom:
        await slack.wait_for(
            lambda: sum("third" in m.text for m in channel.messages) == 1, timeout=10
        )
    noted = [
        m.text for m in channel.messages if any(w in m.text for w in ("first", "second", "third"))
    ]
    assert [next(w for w in ("first", "second", "third") if w in t) for t in noted] == [
        "first",
        "second",
        "third",
    ]


async def test_a_channel_held_by_a_replica_that_died_is_taken_over(
    slack: SlackEmulator, database_url: str
) -> None:
    async with running_warroom(slack, database_url, runtime__scheduler_interval=0.05) as warroom:
        channel = await open_incident(warroom)
        await _until_idle(warroom)
        async with session_scope(warroom.engine) as session:
            # A replica killed while sending: its lease ran out a moment ago, unreleased.
            ghost = {"channel": channel.id, "holder": "ghost:1:dead", "until": utcnow()}
            dialect = session.get_bind().dialect.name
            insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
            await session.exec(
                insert(OutboxLease)  # type: ignore[call-overload]
                .values(ghost)
                .on_conflict_do_update(index_elements=["channel"], set_=ghost)
            )
            await outbox.enqueue(
                session,
                channel=channel.id,
                method=outbox.POST,
                payload={"text": "left behind by the ghost"},
                now=warroom.clock(),
            )
            await session.commit()
        await slack.wait_for(
            lambda: any("left behind by the ghost" in m.text for m in channel.messages),
            timeout=10,
        )


async def test_a_dead_replicas_unexpired_lease_is_given_back_at_the_next_look(
    engine: AsyncEngine,
) -> None:
    """On PostgreSQL a replica killed while it held a channel (its lease a minute more to run)
    gives it back as soon as its lock of life is gone: the channel's next write, which may
    say what became of a page, does not wait out that minute. A live holder keeps its own."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite: one process writes, no replica to outlive (bot/store/liveness.py)")
    alive = Liveness(engine, live_name("replica-alive"))
    assert await alive.hold()
    try:
        assert await outbox.take_channel(engine, "C-dead", live_name("replica-dead"))
        assert await outbox.take_channel(engine, "C-alive", alive.owner)
        assert await release_abandoned(engine) == [live_name("replica-dead")]
        assert await outbox.take_channel(engine, "C-dead", "replica-next")
        assert not await outbox.take_channel(engine, "C-alive", "replica-next")
    finally:
        await alive.release()


async def test_a_refused_pin_is_set_aside_said_once_and_the_channel_goes_on(
    warroom: Warroom,
) -> None:
    slack = warroom.slack
    slack.pinning_restricted = True  # a workspace that limits pinning
    channel = await declare_incident(slack)
    await settle(warroom)
    for n in range(3):  # each one edits the header again, which is waiting for its pin
        await command(warroom, channel, f"update Still failing ({n})", user=BOB)
        await command(warroom, channel, f"sev {n + 1}")

    texts = [m.text for m in channel.messages]
    assert [n for n in range(3) if any(f"Still failing ({n})" in t for t in texts)] == [0, 1, 2]
    assert not channel.pins
    (notice,) = [t for t in texts if "restricted_action" in t]
    assert f"<@{ALICE}>" in notice  # the commander is told
    async with session_scope(warroom.engine) as session:
        rows = (await session.exec(select(OutboxMessage))).all()
    assert [r.method for r in rows if r.set_aside_at is not None] == [outbox.PIN]
    assert not [r for r in rows if r.sent_at is None and r.set_aside_at is None]
    samples = await scrape(warroom)
    assert value(samples, "warroom_outbox_set_aside") == 1
    assert value(samples, "warroom_outbox_given_up") == 0


async def test_a_replica_whose_clock_jumps_ahead_does_not_take_a_live_lease(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lease's expiry is the database's clock, not the replica's: one whose clock jumped a
    minute (past the lease's length) does not take the channel another replica holds and
    renews. With each replica's own clock, it took it and both sent the channel's writes."""
    assert await outbox.take_channel(engine, "C1", "replica-a")
    step_clock_forward(monkeypatch)  # this process's clock
    assert not await outbox.take_channel(engine, "C1", "replica-b")
    async with session_scope(engine) as session:
        assert await outbox.holds(session, "C1", "replica-a")
        assert not await outbox.holds(session, "C1", "replica-b")
    # The holder renews it and gives it back as before; then the other takes it.
    assert await outbox.take_channel(engine, "C1", "replica-a")
    await outbox.release_channel(engine, "C1", "replica-a")
    assert await outbox.take_channel(engine, "C1", "replica-b")
