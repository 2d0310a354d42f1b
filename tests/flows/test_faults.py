"""Failures the record must survive: a killed process, a database outage, a shutdown mid-work.

Real processes (``warroom serve``) and real TCP on 127.0.0.1: a database outage is a proxy
in front of PostgreSQL dropping every connection and refusing new ones (the machine's
PostgreSQL keeps running for everyone else), or, on SQLite, the database's directory moving
away; a Slack that hangs is a proxy in front of the emulator that stops passing bytes on.
Every test runs on SQLite and, with ``WARROOM_TEST_DATABASE_URL`` set, on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.db import create_engine
from bot.store.migrate import upgrade_database
from emulator import BotResponse, Channel, Message, SlackEmulator
from emulator.models import new_ts
from tests.conftest import ALICE, BOB, CAROL, running_warroom
from tests.helpers.incidents import declare_incident
from tests.helpers.network import TcpProxy, host_port, proxy_to
from tests.helpers.processes import ServedBot, bot_env, serve, terminate
from tests.helpers.slack_requests import event_headers

# Every test here ends within this many seconds, whatever the bot does: a bound for a hang,
# not a pace (at load 11 on two cores, two starts of the bot and a thousand events took over
# the 45 s this once was; alone they take about 10).
TEST_LIMIT = 240.0


@asynccontextmanager
async def database(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The test's own look at the bot's database, migrated."""
    engine = create_engine(database_url)
    await upgrade_database(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


async def scalar(engine: AsyncEngine, sql: str, **params: object) -> Any:
    async with engine.connect() as connection:
        return (await connection.execute(text(sql), params)).scalar_one()


async def stored_ts(engine: AsyncEngine, channel: str) -> list[str]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text('SELECT ts FROM channel_message WHERE channel = :channel AND "user" = :user'),
            {"channel": channel, "user": BOB},
        )
        return [row[0] for row in rows]


def posted(channel: Channel, text: str) -> int:
    """How many times the bot's messages in ``channel`` say ``text``."""
    return sum(1 for message in channel.messages if text in message.text)


def said_event(channel: str, n: int, base: int) -> tuple[str, dict[str, Any]]:
    """Bob's ``n``th message of the stream: its event id and event."""
    ts = f"{base + n // 1000}.{n % 1000:06d}"
    return f"EvSTREAM{n:05d}", {
        "type": "message",
        "channel": channel,
        "user": BOB,
        "text": f"line {n}",
        "ts": ts,
        "event_ts": ts,
        "channel_type": "channel",
    }


# -- (a) SIGKILL mid-stream ------------------------------------------------------------------
STREAM = 1000
KILL_AFTER = 300
SENDERS = 32


async def test_every_event_answered_2xx_before_a_sigkill_is_in_the_database(
    slack: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    async with asyncio.timeout(TEST_LIMIT), database(database_url) as engine:
        env = bot_env(slack, database_url)
        base = int(time.time()) - 3600
        async with serve(env, tmp_path / "first.log") as bot:
            slack.events_url = bot.events_url
            channel = await declare_incident(slack, "Checkout down", pinned=True, timeout=10)
            await slack.drain()
            stream = [said_event(channel.id, n, base) for n in range(STREAM)]
            answered, failed = await _stream_and_kill(slack, bot, stream)
            assert bot.process.returncode == -signal.SIGKILL
        assert len(answered) >= KILL_AFTER, "the kill came mid-stream, not before"
        assert failed, "the kill came mid-stream, not after"

        # Restarted on the same database: every event answered 2xx is there.
        async with serve(env, tmp_path / "second.log") as bot:
            kept = set(await stored_ts(engine, channel.id))
            lost = [event["ts"] for event_id, event in stream if event_id in answered]
            lost = [ts for ts in lost if ts not in kept]
            assert not lost, f"{len(lost)} events answered 2xx are not in the database"

            # Slack retries every delivery that got no 2xx; each is then kept, once.
            slack.events_url = bot.events_url
            gate = asyncio.Semaphore(SENDERS)

            async def retry(event_id: str, event: dict[str, Any]) -> BotResponse:
                async with gate:
                    return await slack.send_event(
                        event, event_id=event_id, retry_num=1, retry_reason="http_error"
                    )

            retried = await asyncio.gather(
                *(retry(event_id, event) for event_id, event in stream if event_id not in answered)
            )
            assert {response.status for response in retried} == {200}
        said = await stored_ts(engine, channel.id)
        assert sorted(said) == sorted(event["ts"] for _, event in stream)  # all, none twice
        claims = await scalar(
            engine, "SELECT COUNT(*) FROM processed_event WHERE event_id LIKE 'EvSTREAM%'"
        )
        assert claims == STREAM


async def _stream_and_kill(
    slack: SlackEmulator, bot: ServedBot, stream: list[tuple[str, dict[str, Any]]]
) -> tuple[set[str], set[str]]:
    """Send ``stream`` from ``SENDERS`` concurrent senders, SIGKILL the bot after
    ``KILL_AFTER`` answers; the event ids answered 2xx, and those that were not."""
    queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
    for item in stream:
        queue.put_nowait(item)
    answered: set[str] = set()
    failed: set[str] = set()
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout, trust_env=False) as client:

        async def sender() -> None:
            while not queue.empty():
                event_id, event = queue.get_nowait()
                body = json.dumps(slack.event_envelope(event, event_id))
                headers = event_headers(slack.signing_secret, body)
                try:
                    async with client.post(
                        bot.events_url, data=body.encode(), headers=headers
                    ) as response:
                        await response.read()
                        ok = 200 <= response.status < 300
                except (aiohttp.ClientError, TimeoutError):
                    ok = False
                (answered if ok else failed).add(event_id)
                if len(answered) + len(failed) == KILL_AFTER and bot.process.returncode is None:
                    os.kill(bot.process.pid, signal.SIGKILL)

        await asyncio.gather(*(sender() for _ in range(SENDERS)))
    await bot.process.wait()
    return answered, failed


# -- (b) the database unreachable for a few seconds -------------------------------------------
OUTAGE_SECONDS = 3.0
DEFERRED_TEXT = "Failing over to the replica"


class Outage:
    """Makes the bot's database unreachable and reachable again."""

    url: str

    async def down(self, bot_engine: AsyncEngine) -> None:
        raise NotImplementedError

    async def up(self) -> None:
        raise NotImplementedError


class PostgresOutage(Outage):
    """The bot reaches PostgreSQL through a proxy: down drops its connections, refuses more."""

    def __init__(self, proxy: TcpProxy, database_url: str) -> None:
        self.proxy = proxy
        self.url = (
            make_url(database_url)
            .set(host="127.0.0.1", port=proxy.port)
            .render_as_string(hide_password=False)
        )

    async def down(self, bot_engine: AsyncEngine) -> None:  # the network drops them
        await self.proxy.cut()

    async def up(self) -> None:
        await self.proxy.restore()


class SqliteOutage(Outage):
    """The database's directory moves away (a volume gone): connections to it are lost, and
    new ones cannot open it. (chmod would not do: the tests run as root.)"""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.away = directory.with_name(directory.name + "-away")
        self.url = f"sqlite:///{directory / 'warroom.db'}"

    async def down(self, bot_engine: AsyncEngine) -> None:
        # An open SQLite file survives a rename, so the pool's connections are lost first.
        await bot_engine.dispose()
        self.directory.rename(self.away)

    async def up(self) -> None:
        self.away.rename(self.directory)


@asynccontextmanager
async def outage_for(database_url: str, tmp_path: Path) -> AsyncIterator[Outage]:
    if database_url.startswith("sqlite"):
        directory = tmp_path / "db"
        directory.mkdir()
        yield SqliteOutage(directory)
        return
    async with proxy_to(*host_port(database_url)) as proxy:
        yield PostgresOutage(proxy, database_url)


async def test_a_database_outage_is_answered_with_5xx_reported_and_recovered_from(
    slack: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    async with (
        asyncio.timeout(TEST_LIMIT),
        outage_for(database_url, tmp_path) as outage,
        running_warroom(slack, outage.url, runtime__scheduler_interval=0.2) as warroom,
        aiohttp.ClientSession(trust_env=False) as client,
    ):
        channel = await declare_incident(slack, "Database flapping", pinned=True, timeout=10)
        await slack.drain()
        event = {
            "type": "message",
            "channel": channel.id,
            "user": BOB,
            "text": "said while the database was down",
            "ts": new_ts(),
            "channel_type": "channel",
        }
        before = await slack.send_event({**event, "text": "said before", "ts": new_ts()})
        assert before.status == 200
        # A post Slack refuses for now waits in the outbox, and comes due during the outage.
        slack.fail_with_error("chat.postMessage", "service_unavailable")
        await slack.send_command(f"update {DEFERRED_TEXT}", user=ALICE, channel=channel.id)
        waiting = "SELECT COUNT(*) FROM outbox_message WHERE sent_at IS NULL AND attempts > 0"
        await slack.wait_for(lambda: scalar(warroom.engine, waiting), timeout=10)

        await outage.down(warroom.engine)
        went_down = time.monotonic()
        try:
            during = await slack.send_event(event, event_id="EvOUTAGE")
            assert during.status >= 500, f"a false {during.status} while the database is down"
            async with client.get(f"{warroom.url}/healthz") as health:
                assert health.status == 503
                assert (await health.json())["parts"]["database"]["state"] == "unreachable"
            await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - went_down)))
        finally:
            await outage.up()

        # The same process, no restart: healthy again, and Slack's retry is kept, once.
        async def healthy() -> bool:
            async with client.get(f"{warroom.url}/healthz") as health:
                return health.status == 200

        await slack.wait_for(healthy, timeout=10, interval=0.2)
        retried = await slack.send_event(
            event, event_id="EvOUTAGE", retry_num=1, retry_reason="http_error"
        )
        assert retried.status == 200
        again = await slack.send_event(
            event, event_id="EvOUTAGE", retry_num=2, retry_reason="http_error"
        )
        assert again.status == 200
        kept = await scalar(
            warroom.engine,
            "SELECT COUNT(*) FROM channel_message WHERE text = :text",
            text=event["text"],
        )
        assert kept == 1
        # The outbox sender went on too: the waiting post goes out (it was due meanwhile).
        warroom.clock.now += timedelta(seconds=5)  # the bot's clock; backoff is by it
        await slack.wait_for(lambda: posted(channel, DEFERRED_TEXT), timeout=10)
        assert posted(channel, DEFERRED_TEXT) == 1


# -- (c) SIGTERM while work is in flight -----------------------------------------------------
UPDATE_TEXT = "Rolled back the deploy; watching error rates"


def reaction_event(channel: Channel, ts: str) -> dict[str, Any]:
    return {
        "type": "reaction_added",
        "user": CAROL,
        "reaction": "pushpin",
        "item": {"type": "message", "channel": channel.id, "ts": ts},
        "item_user": BOB,
        "event_ts": f"{time.time():.6f}",
    }


def unseen_message(slack: SlackEmulator, channel: Channel, text: str) -> str:
    """A message Slack has and the bot was never told about: a reaction on it makes the bot
    fetch it from Slack, in a job scheduled with the reaction's claim."""
    ts = f"{int(time.time()) - 60}.{time.time_ns() % 1_000_000:06d}"
    slack.store_message(Message(ts=ts, user=BOB, text=text, channel=channel.id))
    return ts


async def settled(slack: SlackEmulator, engine: AsyncEngine) -> None:
    """Until the bot is done with Slack for now: its outbox sent, no call for a while."""
    await slack.drain()
    calls = -1
    while calls != len(slack.calls):
        calls = len(slack.calls)
        await asyncio.sleep(0.3)
        unsent = "SELECT COUNT(*) FROM outbox_message WHERE sent_at IS NULL"
        if await scalar(engine, unsent):
            calls = -1


async def _in_flight(
    slack: SlackEmulator, proxy: TcpProxy, channel: Channel, ts: str
) -> tuple[BotResponse, asyncio.Task[BotResponse]]:
    """A reaction on a message the bot must fetch (answered at once: the fetch is a job), and
    an update whose post waits on Slack, out once its call has reached (the proxy in front
    of) Slack."""
    proxy.sent.clear()
    reacted = await slack.send_event(reaction_event(channel, ts), event_id="EvREACT")
    updated = asyncio.create_task(
        slack.send_command(f"update {UPDATE_TEXT}", user=ALICE, channel=channel.id)
    )
    await slack.wait_for(lambda: b"/api/chat.postMessage" in proxy.sent, timeout=10)
    return reacted, updated


async def fetches_kept(engine: AsyncEngine) -> int:
    """Reactions whose message the record lacks, with their fetch kept as a job."""
    sql = "SELECT COUNT(*) FROM job WHERE kind = 'fetch_reacted_message'"
    return int(await scalar(engine, sql))


async def test_sigterm_lets_slow_work_finish_and_exits_in_time(
    slack: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    """Slack is slow (2 s an answer): the request in flight is answered, the post is made."""
    async with (
        asyncio.timeout(TEST_LIMIT),
        database(database_url) as engine,
        proxy_to(*host_port(slack.base_url)) as slack_api,
    ):
        env = bot_env(slack, database_url, f"{slack_api.url}/api/")
        async with serve(env, tmp_path / "first.log") as bot:
            slack.events_url = bot.events_url
            channel = await declare_incident(slack, "Search latency", pinned=True, timeout=10)
            await settled(slack, engine)
            ts = unseen_message(slack, channel, "p99 is 4 s")
            slack.delay("conversations.history", 2.0)
            slack.delay("chat.postMessage", 2.0)
            reacted, updated = await _in_flight(slack, slack_api, channel, ts)
            await terminate(bot)
        assert (await updated).status == 200
        assert reacted.status == 200 and reacted.elapsed < 2.0, "Slack is not asked first"
        # Flushed before the exit: posted once, nothing left waiting.
        assert posted(channel, UPDATE_TEXT) == 1
        assert (
            await scalar(engine, "SELECT COUNT(*) FROM outbox_message WHERE sent_at IS NULL") == 0
        )
        assert await fetches_kept(engine) == 1

        async with serve(env, tmp_path / "second.log"):
            await asyncio.sleep(0.6)  # a few sender rounds: nothing is posted again
        assert posted(channel, UPDATE_TEXT) == 1


async def test_sigterm_with_slack_hanging_keeps_the_post_and_exits_in_time(
    slack: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    """Slack stops answering: the process still exits in time, the post waits in the outbox
    and is made once after the restart, and the unanswered event is kept on Slack's retry."""
    async with (
        asyncio.timeout(TEST_LIMIT),
        database(database_url) as engine,
        proxy_to(*host_port(slack.base_url)) as slack_api,
    ):
        env = bot_env(slack, database_url, f"{slack_api.url}/api/")
        async with serve(env, tmp_path / "first.log") as bot:
            slack.events_url = bot.events_url
            channel = await declare_incident(slack, "Search latency", pinned=True, timeout=10)
            await settled(slack, engine)
            ts = unseen_message(slack, channel, "p99 is 40 s")
            slack_api.hold()
            reacted, updated = await _in_flight(slack, slack_api, channel, ts)
            await terminate(bot)
        assert (await updated).status == 200
        assert reacted.status == 200, "answered at once: the fetch waits in a job, not Slack"
        assert posted(channel, UPDATE_TEXT) == 0
        waiting = await scalar(
            engine,
            "SELECT COUNT(*) FROM outbox_message WHERE sent_at IS NULL AND payload LIKE :text",
            text=f"%{UPDATE_TEXT}%",
        )
        assert waiting == 1, "the post the bot meant to make is kept"
        leases = await scalar(engine, "SELECT COUNT(*) FROM outbox_lease")
        assert leases == 0, "the stopped process holds no channel (a restart would wait)"

        await slack_api.cut()  # the hang ends; what was held never reaches Slack
        slack_api.release()
        await slack_api.restore()
        async with serve(env, tmp_path / "second.log") as bot:
            slack.events_url = bot.events_url
            await slack.wait_for(lambda: posted(channel, UPDATE_TEXT), timeout=10)
            retried = await slack.send_event(
                reaction_event(channel, ts),
                event_id="EvREACT",
                retry_num=1,
                retry_reason="http_timeout",
            )
            assert retried.status == 200
            await asyncio.sleep(0.5)  # a few sender rounds: nothing is posted twice
        assert posted(channel, UPDATE_TEXT) == 1
        assert (
            await scalar(engine, "SELECT COUNT(*) FROM outbox_message WHERE sent_at IS NULL") == 0
        )
        assert await fetches_kept(engine) == 1, "one fetch, though Slack delivered it twice"
