"""Event ingestion: signed Slack events into one ``warroom serve``, at rising concurrency.

The Slack emulator runs in this process; ``warroom serve`` (SQLite in a temporary directory, or
``--database-url``) runs as a subprocess pinned to one core. An incident is declared with
``/incident start`` so there is an incident channel to record, then Events API
``event_callback`` deliveries are POSTed to ``/slack/events`` exactly as Slack sends them:
the emulator's own envelope and event shapes (``message`` with rich-text blocks, a fifth of
them thread replies, and ``reaction_added`` on earlier messages, some of them reactions that
put a message in the timeline), unique ``event_id`` and ``ts``, pre-built and pre-signed with
the emulator's signer so that the load costs little. One aiohttp session with a connection
pool sends them from 1, 4, 16, 64… clients at once (closed loop, each client sends its next
event when the last is answered); figures are the median of ``--runs`` runs per level.

In the same run a bare slack-bolt AsyncApp on aiohttp (``bench/bare_bolt.py``, pinned to the
same core) receives the same requests and only verifies and acks them: the framework's
ceiling, to which warroom's throughput is compared. The two take turns, 500 deliveries each,
so that both are measured over the same minute of a machine whose speed moves. Then both get
open-loop runs at half bare Bolt's best throughput, the same deliveries at the same pace
(latency counted from when each event was due, so a slow answer cannot hide the ones queued
behind it): warroom's p99 against bare Bolt's at that rate. Last, the database is read with
plain SQL: every event answered 2xx must be stored (warroom answers only once the event is
committed).

The verdicts are the speed issue's (#28), all against bare Bolt in the same run:
throughput at least 85% of bare Bolt's on SQLite (70% on PostgreSQL), CPU per event at most
1.5 times bare Bolt's at the same concurrency (the group-commit issue, #18, had asked 1.2),
p99 at half bare Bolt's rate at most twice bare Bolt's p99 at that rate, and every event
answered 2xx stored. And the pager issue's (#83), at 25 in flight (a level of every run):
warroom's events a second over bare Bolt's at least 0.6, each run's ratio of its own turns,
and warroom's p99 there at most twice bare Bolt's.

``warroom serve`` runs with the settings a team gets by default, as the manual sets it up
(docs/running-against-slack.md): the bot token and signing secret, the web view's sign-in
(``SLACK_CLIENT_ID``, ``WARROOM_SESSION_SECRET``, ``WARROOM_PUBLIC_URL``), everything else
at its default: logs at INFO in JSON (an access line a request), ``WARROOM_PAGER_PROCESS``
``auto`` (the pager process on PostgreSQL, none on SQLite). Only the pager's loopback
metrics port is a free one (another server on the machine may hold the default). On
PostgreSQL (``--database-url``) each run of the benchmark makes a new, empty database on
that server (``<name>_run1_<hex>``, the named one need not exist), dropped at the end.

Also printed: the server's CPU use per level (share of its core), the load process's (to
show the load is not the bottleneck), and the server's resident memory (VmRSS sampled during
the run, VmHWM at the end).

Run: ``python -m bench.ingestion`` (``--events N --runs R --concurrency 1,4,16,25,64 --quick
--database-url postgresql://user@host:5432/<name>``).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from bench.harness import (
    REPO,
    Cores,
    MemorySampler,
    Server,
    free_port,
    percentile,
    plan_cores,
    python,
    slack_env,
    steady_load,
    verdict,
)
from bench.paging import run_database
from bench.profiling import Snapshots, sampling
from bot.store.db import create_engine
from emulator import Channel, Message, SlackEmulator, slack_signature_headers
from emulator.models import new_ts

PROG = "python -m bench.ingestion"
# The issue's targets (#18), each against bare Bolt in the same run.
TARGET_RATIO = {"SQLite": 0.85, "PostgreSQL": 0.70}  # of bare Bolt's events/s
TARGET_CPU = 1.5  # times bare Bolt's CPU per event, at the same concurrency (#28)
TARGET_P99 = 2.0  # times bare Bolt's p99, both at half bare Bolt's best rate
# The pager issue's (#83): at this many in flight, warroom's events/s over bare Bolt's in the
# same run, and its p99 over bare Bolt's p99 at the same concurrency.
ISSUE_CONCURRENCY = 25
TARGET_ISSUE_RATIO = 0.6
TARGET_ISSUE_P99 = 2.0
SLACK_DEADLINE = 3.0  # seconds Slack waits for the answer to an event delivery
# Deliveries sent to warroom, then the same to bare Bolt, in turn, within a run of a level:
# enough for 64 in flight to be the steady state, not the start and the end.
CHUNK_EVENTS = 500

COMMANDER = "U0ALICE"
RESPONDERS = [f"U0BENCH{n:02d}" for n in range(20)]
# Reactions people leave in an incident channel; the ones in the default mapping (pushpin,
# mag, bulb, white_check_mark) put the message in the timeline and make the bot react back.
REACTIONS = {
    "eyes": 30,
    "+1": 25,
    "thinking_face": 10,
    "raised_hands": 10,
    "pushpin": 8,
    "mag": 7,
    "bulb": 5,
    "white_check_mark": 5,
}
PHRASES = [
    "p99 on /checkout is {n} ms and climbing",
    "seeing {n} 500s a minute from the payments gateway",
    "rolled back deploy {n}, watching the graphs",
    "db replica lag at {n} s, failover?",
    "who owns the cache cluster? paging them (ticket {n})",
    "error rate back under {n}%, keeping an eye on it",
    "customer reports from support: {n} so far",
    "the {n} nodes behind the LB all report healthy",
]


@dataclass
class Request:
    """One pre-built, pre-signed delivery and what it must leave in the database."""

    body: bytes
    headers: dict[str, str]
    key: tuple[str, ...]  # ("message", ts) or ("reaction", ts, name, user)


class Deliveries:
    """Builds realistic event_callback deliveries for one incident channel, in the
    emulator's shapes, keeping the emulator's copy of the channel in step."""

    def __init__(self, slack: SlackEmulator, channel: Channel, seed: int = 1) -> None:
        self.slack = slack
        self.channel = channel
        self.random = random.Random(seed)
        self.said: list[Message] = []  # messages already delivered: what reactions target
        self.pending: list[Message] = []
        self.reacted: set[tuple[str, str, str]] = set()
        self.ids = itertools.count(1)
        self.names = list(REACTIONS)
        self.weights = list(REACTIONS.values())

    def batch(self, count: int, *, reactions: float = 0.25) -> list[Request]:
        """``count`` deliveries; reactions only target messages of earlier batches, which
        were answered (so stored) before these are sent."""
        self.said += self.pending
        self.pending = []
        built = []
        for _ in range(count):
            if self.said and self.random.random() < reactions:
                built.append(self._reaction())
            else:
                built.append(self._message())
        return built

    def _message(self) -> Request:
        user = self.random.choice(RESPONDERS)
        said = self.random.choice(PHRASES).format(n=self.random.randint(2, 9999))
        thread_ts = None
        if self.said and self.random.random() < 0.2:
            thread_ts = self.random.choice(self.said).ts
        message = Message(
            ts=new_ts(),
            user=user,
            text=said,
            channel=self.channel.id,
            thread_ts=thread_ts,
            blocks=[rich_text(said, self.random)],
        )
        self.slack.store_message(message)  # so conversations.history finds it, as in Slack
        self.pending.append(message)
        event = self.slack.message_event(self.channel, message)
        return self._signed(event, ("message", message.ts))

    def _reaction(self) -> Request:
        while True:
            message = self.random.choice(self.said)
            name = self.random.choices(self.names, self.weights)[0]
            user = self.random.choice([COMMANDER, *RESPONDERS])
            if (message.ts, name, user) not in self.reacted:
                break
        self.reacted.add((message.ts, name, user))
        message.reactions.setdefault(name, []).append(user)
        event = self.slack._reaction_event("reaction_added", message, name, user)
        return self._signed(event, ("reaction", message.ts, name, user))

    def _signed(self, event: dict[str, Any], key: tuple[str, ...]) -> Request:
        event_id = f"Ev0BENCH{next(self.ids):08d}"
        envelope = self.slack.event_envelope(event, event_id, int(time.time()))
        body = json.dumps(envelope)
        headers = {
            "Content-Type": "application/json",
            **slack_signature_headers(self.slack.signing_secret, body),
        }
        return Request(body.encode(), headers, key)


def rich_text(said: str, rng: random.Random) -> dict[str, Any]:
    """The rich_text block Slack's clients attach to a typed message."""
    return {
        "type": "rich_text",
        "block_id": f"b{rng.getrandbits(20):05x}",
        "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": said}]}],
    }


def chunks(requests: list[Request], size: int) -> list[list[Request]]:
    """``requests`` in parts of about ``size`` (the last no smaller than half of it)."""
    count = max(1, round(len(requests) / size))
    step = math.ceil(len(requests) / count)
    return [requests[at : at + step] for at in range(0, len(requests), step)]


def resign(requests: Sequence[Request], secret: str) -> None:
    """Fresh signatures (Slack's replay window is five minutes) on unchanged bodies."""
    for request in requests:
        request.headers.update(slack_signature_headers(secret, request.body.decode()))


# -- sending -----------------------------------------------------------------------------
@dataclass
class Run:
    """One batch sent to one server."""

    seconds: float
    statuses: list[int]
    latencies: list[float]
    server_cpu: float  # share of one core
    load_cpu: float
    # The longest pause of the load's own event loop during the run (``steady_load``).
    load_pause: float = 0.0

    @property
    def ok(self) -> int:
        return sum(1 for status in self.statuses if 200 <= status < 300)

    @property
    def throughput(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def p(self, fraction: float) -> float:
        return percentile(self.latencies, fraction)

    @property
    def late(self) -> int:
        """Answers slower than Slack's 3 seconds: Slack counts those as failed and retries."""
        return sum(1 for latency in self.latencies if latency > SLACK_DEADLINE)

    @property
    def cpu_per_event(self) -> float:
        """Seconds of the server's CPU per event answered: robust to others sharing the core."""
        return self.server_cpu * self.seconds / self.ok if self.ok else math.nan

    @staticmethod
    def joined(parts: Sequence[Run]) -> Run:
        """Runs one after another taken as one: their time, answers and CPU summed."""
        seconds = sum(part.seconds for part in parts)

        def share(of: Callable[[Run], float]) -> float:
            return sum(of(part) * part.seconds for part in parts) / seconds if seconds else 0.0

        return Run(
            seconds,
            [status for part in parts for status in part.statuses],
            [latency for part in parts for latency in part.latencies],
            server_cpu=share(lambda part: part.server_cpu),
            load_cpu=share(lambda part: part.load_cpu),
            load_pause=max((part.load_pause for part in parts), default=0.0),
        )


async def post(session: aiohttp.ClientSession, url: str, request: Request) -> int:
    try:
        async with session.post(url, data=request.body, headers=request.headers) as answer:
            await answer.read()
            return answer.status
    except (aiohttp.ClientError, TimeoutError):
        return 0


async def closed_loop(
    session: aiohttp.ClientSession,
    server: Server,
    url: str,
    requests: Sequence[Request],
    concurrency: int,
) -> Run:
    """``concurrency`` clients, each sending its next delivery when the last is answered."""
    statuses = [0] * len(requests)
    latencies: list[float] = []
    queue = iter(enumerate(requests))

    async def client() -> None:
        for index, request in queue:
            began = time.perf_counter()
            statuses[index] = await post(session, url, request)
            latencies.append(time.perf_counter() - began)

    async def load() -> float:
        await asyncio.gather(*(client() for _ in range(concurrency)))
        return 0.0

    return await measured(server, load, statuses, latencies)


async def open_loop(
    session: aiohttp.ClientSession,
    server: Server,
    url: str,
    requests: Sequence[Request],
    rate: float,
) -> Run:
    """Deliveries at a fixed rate whatever the answers; latency from when each was due."""
    statuses = [0] * len(requests)
    latencies: list[float] = []

    async def send(index: int, request: Request, due: float) -> None:
        statuses[index] = await post(session, url, request)
        latencies.append(time.perf_counter() - due)

    async def load() -> float:
        start = time.perf_counter() + 0.01
        tasks = []
        for index, request in enumerate(requests):
            due = start + index / rate
            if (wait := due - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            tasks.append(asyncio.create_task(send(index, request, due)))
        await asyncio.gather(*tasks)
        return 0.01  # the run began when its first delivery was due

    return await measured(server, load, statuses, latencies)


async def measured(
    server: Server,
    load: Callable[[], Awaitable[float]],
    statuses: list[int],
    latencies: list[float],
) -> Run:
    """The run that ``load`` sends (it returns how long after its start the run began): its
    length, the server's and this process's CPU, and the load's own longest pause."""
    async with steady_load() as pauses:
        cpu, load_cpu = server.cpu_seconds(), time.process_time()
        began = time.perf_counter()
        late_start = await load()
        seconds = time.perf_counter() - began - late_start
        return Run(
            seconds,
            statuses,
            latencies,
            (server.cpu_seconds() - cpu) / seconds,
            (time.process_time() - load_cpu) / seconds,
            pauses.longest,
        )


# -- the benchmark -----------------------------------------------------------------------
@dataclass
class Level:
    concurrency: int
    warroom: list[Run] = field(default_factory=list)
    bare: list[Run] = field(default_factory=list)


def median_of(runs: Sequence[Run], figure: str, *args: float) -> float:
    values = [getattr(run, figure)(*args) if args else getattr(run, figure) for run in runs]
    return statistics.median(values)


@dataclass(frozen=True)
class Against:
    """warroom beside bare Bolt at one level, run by run: each run's parts went to the two in
    turns over the same seconds, so each run's ratio is its own same-run baseline's."""

    concurrency: int
    throughputs: list[float]  # warroom's events/s, each run
    bare_throughputs: list[float]
    p99s: list[float]  # seconds, each run
    bare_p99s: list[float]

    @classmethod
    def of(cls, level: Level) -> Against:
        return cls(
            level.concurrency,
            [run.throughput for run in level.warroom],
            [run.throughput for run in level.bare],
            [run.p(0.99) for run in level.warroom],
            [run.p(0.99) for run in level.bare],
        )

    @property
    def ratios(self) -> list[float]:
        """Each run's events/s over bare Bolt's in the same run."""
        return [
            mine / theirs if theirs else 0.0
            for mine, theirs in zip(self.throughputs, self.bare_throughputs, strict=True)
        ]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios) if self.ratios else 0.0

    @property
    def p99_ratios(self) -> list[float]:
        return [
            mine / theirs if theirs else math.inf
            for mine, theirs in zip(self.p99s, self.bare_p99s, strict=True)
        ]

    @property
    def p99_ratio(self) -> float:
        """The median of warroom's p99s over the median of bare Bolt's."""
        theirs = statistics.median(self.bare_p99s) if self.bare_p99s else 0.0
        return statistics.median(self.p99s) / theirs if theirs else math.inf

    def throughput_figure(self) -> str:
        each = ", ".join(f"{ratio:.2f}" for ratio in self.ratios)
        return (
            f"{self.ratio:.2f} of bare Bolt's events/s (each run: {each}); "
            f"{statistics.median(self.throughputs):.0f} against "
            f"{statistics.median(self.bare_throughputs):.0f} events/s"
        )

    def p99_figure(self) -> str:
        each = ", ".join(f"{ratio:.2f}" for ratio in self.p99_ratios)
        return (
            f"{statistics.median(self.p99s) * 1000:.1f} ms against bare Bolt's "
            f"{statistics.median(self.bare_p99s) * 1000:.1f} ms ({self.p99_ratio:.2f}x; each "
            f"run: {each})"
        )


@dataclass
class Outcome:
    """What the summary and RESULTS.md need."""

    best: float = 0.0
    best_concurrency: int = 0
    bare_best: float = 0.0
    cpu_per_event: float = math.nan  # warroom, at its best level
    bare_cpu_per_event: float = math.nan  # bare Bolt, at warroom's best level
    fixed_rate: float = 0.0  # half bare Bolt's best
    fixed_p99: float = 0.0  # warroom's, at fixed_rate
    bare_fixed_p99: float = 0.0  # bare Bolt's, at fixed_rate
    fixed_ok: int = 0
    fixed_sent: int = 0
    half_rate_events: int = 0  # deliveries in the sampled run at fixed_rate (--profile)
    sent: int = 0
    acked: int = 0
    stored: int = 0
    lost: int = 0
    peak_rss_kib: int = 0
    hwm_kib: int = 0
    start_rss_kib: int = 0
    database: str = "SQLite"
    lines: list[str] = field(default_factory=list)
    acked_keys: set[tuple[str, ...]] = field(default_factory=set, repr=False)
    snapshots: Snapshots = field(default_factory=Snapshots)
    profile_concurrency: int = 0
    profile_events: int = 0
    late: dict[int, int] = field(default_factory=dict)  # answers over 3 s, by concurrency
    # The server's garbage collections over its life, from its /metrics.
    collections: GarbageCollections | None = None
    # warroom beside bare Bolt at ISSUE_CONCURRENCY in flight (#83).
    at_issue: Against | None = None


def out(outcome: Outcome, line: str = "") -> None:
    print(line, flush=True)
    outcome.lines.append(line)


async def declare_incident(slack: SlackEmulator) -> Channel:
    general = slack.channel_by_name("general")
    assert general is not None
    answer = await slack.send_command(
        "start Checkout returns 500s (ingestion benchmark)", user=COMMANDER, channel=general.id
    )
    if answer.status != 200:
        raise RuntimeError(f"/incident start answered {answer.status}: {answer.text}")
    channel: Channel = await slack.wait_for(
        lambda: next((c for c in slack.channels.values() if c.name.startswith("inc-")), None),
        timeout=30,
    )
    await slack.wait_for(lambda: channel.pins, timeout=30)
    channel.members.update(RESPONDERS)
    return channel


async def stored_keys(database_url: str, channel: str) -> set[tuple[str, ...]]:
    """What the database holds for ``channel``, read with plain SQL."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            messages = await connection.execute(
                text("SELECT ts FROM channel_message WHERE channel = :c"), {"c": channel}
            )
            reactions = await connection.execute(
                text('SELECT ts, name, "user" FROM reaction WHERE channel = :c'), {"c": channel}
            )
            keys: set[tuple[str, ...]] = {("message", row[0]) for row in messages}
            keys |= {("reaction", row[0], row[1], row[2]) for row in reactions}
    finally:
        await engine.dispose()
    return keys


async def benchmark(args: argparse.Namespace, workdir: Path, cores: Cores) -> Outcome:
    outcome = Outcome()
    database_url = args.database_url or f"sqlite:///{workdir / 'warroom.db'}"
    outcome.database = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    async with SlackEmulator() as slack:
        slack.add_user(COMMANDER, "alice", "Alice Moreau")
        for number, user in enumerate(RESPONDERS):
            slack.add_user(user, f"responder{number}", f"Responder {number}")
        slack.create_channel("general", creator=COMMANDER, members=[COMMANDER, *RESPONDERS])

        warroom_port, bare_port = free_port(), free_port()
        warroom = Server(
            "warroom serve",
            [python(), "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(warroom_port)],
            slack_env(
                slack,
                **team_defaults(database_url),
                **checkout_path(args.checkout),
                **dict(args.env),
            ),
            workdir / "warroom.log",
            cores,
            cwd=args.checkout or REPO,
        )
        bare = Server(
            "bare Bolt",
            [python(), "-m", "bench.bare_bolt", "--port", str(bare_port)],
            slack_env(slack),
            workdir / "bare_bolt.log",
            cores,
        )
        try:
            warroom_root, bare_root = (f"http://127.0.0.1:{p}" for p in (warroom_port, bare_port))
            await warroom.wait_ready(f"{warroom_root}/healthz")
            await bare.wait_ready(f"{bare_root}/healthz")
            slack.events_url = f"{warroom_root}/slack/events"
            channel = await declare_incident(slack)
            await run_levels(args, slack, channel, warroom, bare, warroom_root, bare_root, outcome)
            outcome.collections = await garbage_collections(f"{warroom_root}/metrics")
            hwm = warroom.status().get("VmHWM", 0)
            outcome.hwm_kib = hwm
            keys_stored = await stored_keys(database_url, channel.id)
            outcome.stored = len(keys_stored & outcome.acked_keys)
            outcome.lost = len(outcome.acked_keys - keys_stored)
            out(outcome, warroom.log_problems())
        except BaseException:
            print(f"--- {warroom.name} log:\n{warroom.log_tail()}", file=sys.stderr)
            raise
        finally:
            await slack.drain()
            warroom.stop()
            bare.stop()
    return outcome


def team_defaults(database_url: str) -> dict[str, str]:
    """What a team sets besides Slack's token and secret, following the manual
    (docs/running-against-slack.md, step 4: the web view's sign-in); the rest at its default
    (logs at INFO in JSON, the pager process ``auto``). The pager's loopback metrics port is a
    free one: another warroom on this machine may hold the default, and an ERROR would follow."""
    return {
        "DATABASE_URL": database_url,
        "SLACK_CLIENT_ID": "1234567890.1234567890",
        "SLACK_CLIENT_SECRET": "bench-client-secret",
        "WARROOM_SESSION_SECRET": "bench-session-secret-of-32-characters-or-more",
        "WARROOM_PUBLIC_URL": "https://warroom.example.com",
        "WARROOM_PAGER_METRICS_PORT": str(free_port()),
    }


def checkout_path(checkout: Path | None) -> dict[str, str]:
    """With ``--checkout``, serve imports that checkout's code, not this one's."""
    return {"PYTHONPATH": str(checkout)} if checkout else {}


def note_acked(outcome: Outcome, requests: Sequence[Request], run: Run) -> None:
    keys = outcome.acked_keys
    for request, status in zip(requests, run.statuses, strict=True):
        outcome.sent += 1
        if 200 <= status < 300:
            outcome.acked += 1
            keys.add(request.key)


async def run_levels(
    args: argparse.Namespace,
    slack: SlackEmulator,
    channel: Channel,
    warroom: Server,
    bare: Server,
    warroom_root: str,
    bare_root: str,
    outcome: Outcome,
) -> None:
    deliveries = Deliveries(slack, channel)
    warroom_url, bare_url = f"{warroom_root}/slack/events", f"{bare_root}/slack/events"
    levels = [Level(c) for c in args.concurrency]
    memory = MemorySampler(warroom)
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=max(256, *args.concurrency))
    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, trust_env=False
    ) as session:
        outcome.start_rss_kib = warroom.status().get("VmRSS", 0)
        memory.start()
        warm = deliveries.batch(args.warmup, reactions=0.0)  # the first messages to react to
        note_acked(outcome, warm, await closed_loop(session, warroom, warroom_url, warm, 8))
        await closed_loop(session, bare, bare_url, warm, 8)

        for run_number in range(args.runs):
            for level in levels:
                # In parts of CHUNK_EVENTS, warroom's and bare Bolt's in turn, so that both
                # meet the machine as it is in the same seconds: on a shared machine whose
                # speed moves within a minute, a run of each after the other made the ratio
                # move by tens of points (bench/RESULTS.md).
                mine, theirs = [], []
                for chunk in chunks(deliveries.batch(args.events), CHUNK_EVENTS):
                    run = await closed_loop(session, warroom, warroom_url, chunk, level.concurrency)
                    note_acked(outcome, chunk, run)
                    mine.append(run)
                    resign(chunk, slack.signing_secret)
                    theirs.append(
                        await closed_loop(session, bare, bare_url, chunk, level.concurrency)
                    )
                level.warroom.append(Run.joined(mine))
                level.bare.append(Run.joined(theirs))
                await slack.drain()
            print(f"(run {run_number + 1} of {args.runs} done)", flush=True)

        report_levels(args, levels, outcome)

        servers = ((warroom, warroom_url), (bare, bare_url))
        await fixed_rate_runs(args, session, slack, deliveries, servers, outcome)
        await memory.stop()
        outcome.peak_rss_kib = memory.peak_kib
        if args.profile:
            batch = deliveries.batch(args.profile_events)
            outcome.profile_concurrency = args.profile_concurrency
            outcome.profile_events = len(batch)
            async with sampling(warroom, args.profile, outcome.snapshots):
                run = await closed_loop(
                    session, warroom, warroom_url, batch, args.profile_concurrency
                )
            note_acked(outcome, batch, run)
            # The same deliveries to bare Bolt, sampled the same way: what warroom adds to
            # each event, frame by frame (``python -m bench.profiling WARROOM BARE EVENTS``).
            resign(batch, slack.signing_secret)
            async with sampling(bare, bare_profile(args.profile)):
                await closed_loop(session, bare, bare_url, batch, args.profile_concurrency)
            print(
                f"profiled {len(batch)} events, {args.profile_concurrency} in flight "
                f"({run.throughput:.0f}/s under the sampler) into {args.profile}, bare Bolt "
                f"the same into {bare_profile(args.profile)}",
                flush=True,
            )


def half_rate_profile(profile: Path) -> Path:
    """Where the profile at half bare Bolt's rate goes, beside the closed loop's."""
    return profile.with_name(profile.name + ".half")


async def sampled_half_rate(
    session: aiohttp.ClientSession,
    slack: SlackEmulator,
    batch: list[Request],
    servers: tuple[tuple[Server, str], tuple[Server, str]],
    rate: float,
    output: Path,
) -> Run:
    """Both servers sampled through one more open-loop run at the p99 target's rate: where
    each one's CPU goes there, function by function, warroom's beside bare Bolt's
    (``python -m bench.profiling FILE.half FILE.half.bare EVENTS``)."""
    (warroom, warroom_url), (bare, bare_url) = servers
    async with sampling(warroom, output):
        run = await open_loop(session, warroom, warroom_url, batch, rate)
    resign(batch, slack.signing_secret)
    async with sampling(bare, bare_profile(output)):
        theirs = await open_loop(session, bare, bare_url, batch, rate)
    await slack.drain()
    print(
        f"profiled {len(batch)} events at {rate:.0f}/s (half bare Bolt's best) into {output} "
        f"(p99 {run.p(0.99) * 1000:.1f} ms under the sampler), bare Bolt the same into "
        f"{bare_profile(output)} (p99 {theirs.p(0.99) * 1000:.1f} ms)",
        flush=True,
    )
    return run


def bare_profile(profile: Path) -> Path:
    """Where bare Bolt's profile goes, beside warroom's."""
    return profile.with_name(profile.name + ".bare")


async def fixed_rate_runs(
    args: argparse.Namespace,
    session: aiohttp.ClientSession,
    slack: SlackEmulator,
    deliveries: Deliveries,
    servers: tuple[tuple[Server, str], tuple[Server, str]],
    outcome: Outcome,
) -> None:
    """Open loop at half bare Bolt's best rate: the same deliveries, at the same pace, to
    warroom then to bare Bolt; each run's p99, medians over the runs."""
    (warroom, warroom_url), (bare, bare_url) = servers
    rate = max(outcome.bare_best / 2, 1.0)
    count = max(int(rate * args.fixed_seconds), 20)
    mine: list[Run] = []
    theirs: list[Run] = []
    for _ in range(args.runs):
        batch = deliveries.batch(count)
        mine.append(await open_loop(session, warroom, warroom_url, batch, rate))
        note_acked(outcome, batch, mine[-1])
        resign(batch, slack.signing_secret)
        theirs.append(await open_loop(session, bare, bare_url, batch, rate))
        await slack.drain()
    if args.profile:
        batch = deliveries.batch(count)
        half = half_rate_profile(args.profile)
        note_acked(
            outcome, batch, await sampled_half_rate(session, slack, batch, servers, rate, half)
        )
        outcome.half_rate_events = len(batch)
    outcome.fixed_rate = rate
    outcome.fixed_p99 = median_of(mine, "p", 0.99)
    outcome.bare_fixed_p99 = median_of(theirs, "p", 0.99)
    outcome.fixed_ok = sum(run.ok for run in mine)
    outcome.fixed_sent = sum(len(run.statuses) for run in mine)
    for name, runs in (("warroom", mine), ("bare Bolt", theirs)):
        each = ", ".join(f"{run.p(0.99) * 1000:.0f}" for run in runs)
        out(
            outcome,
            f"fixed rate {rate:.0f} events/s (half bare Bolt's best, open loop), {name}, "
            f"{args.runs} run(s) of {args.fixed_seconds:g} s: p50 "
            f"{median_of(runs, 'p', 0.5) * 1000:.1f} ms, p95 "
            f"{median_of(runs, 'p', 0.95) * 1000:.1f} ms, p99 "
            f"{median_of(runs, 'p', 0.99) * 1000:.1f} ms (each run: {each} ms), "
            f"{sum(run.ok for run in runs)}/{sum(len(run.statuses) for run in runs)} answered "
            f"2xx, {median_of(runs, 'throughput'):.0f} events/s answered, server CPU "
            f"{median_of(runs, 'server_cpu'):.0%}, the load's longest pause "
            f"{max(run.load_pause for run in runs) * 1000:.1f} ms",
        )


def report_levels(args: argparse.Namespace, levels: Sequence[Level], outcome: Outcome) -> None:
    title = f"warroom serve ({outcome.database})"
    out(outcome, f"{'':>5} {title:^57} | {'bare Bolt (ack only)':^43} |")
    out(
        outcome,
        f"{'conc':>5} {'ev/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'non2xx':>6} {'>3s':>4}"
        f" {'cpu':>5}"
        f" {'cpu/ev':>8} | {'ev/s':>7} {'p50':>7} {'p99':>7} {'cpu':>5} {'cpu/ev':>8}"
        f" {'load':>5} | {'ratio':>6}",
    )
    for level in levels:
        w, b = level.warroom, level.bare
        throughput, bare_throughput = median_of(w, "throughput"), median_of(b, "throughput")
        cost, bare_cost = median_of(w, "cpu_per_event"), median_of(b, "cpu_per_event")
        non_2xx = sum(len(run.statuses) - run.ok for run in w)
        late = sum(run.late for run in w)
        outcome.late[level.concurrency] = late
        out(
            outcome,
            f"{level.concurrency:>5} {throughput:>7.0f} {ms(w, 0.5)} {ms(w, 0.95)} {ms(w, 0.99)}"
            f" {non_2xx:>6} {late:>4} {median_of(w, 'server_cpu'):>5.0%} {cost * 1e6:>6.0f}us |"
            f" {bare_throughput:>7.0f} {ms(b, 0.5)} {ms(b, 0.99)}"
            f" {median_of(b, 'server_cpu'):>5.0%} {bare_cost * 1e6:>6.0f}us"
            f" {median_of(b, 'load_cpu'):>5.0%} | {throughput / bare_throughput:>6.1%}",
        )
        if throughput > outcome.best:
            outcome.best, outcome.best_concurrency = throughput, level.concurrency
            outcome.cpu_per_event, outcome.bare_cpu_per_event = cost, bare_cost
        outcome.bare_best = max(outcome.bare_best, bare_throughput)
        if level.concurrency == ISSUE_CONCURRENCY:
            outcome.at_issue = Against.of(level)
    out(
        outcome,
        f"(median of {args.runs} run(s) of {args.events} events per level; p50/p95/p99 = time "
        "to the HTTP answer in ms; non2xx and >3s = answers not 2xx and answers slower than "
        "Slack's 3 s, over all runs; cpu = the server's share of its core; cpu/ev = its "
        "CPU time per event; load = this process's CPU, which sends the requests and runs the "
        "emulator; ratio = warroom's events/s over bare Bolt's)",
    )
    if (against := outcome.at_issue) is not None:
        out(
            outcome,
            f"at {against.concurrency} in flight, each run against bare Bolt in its turns: "
            f"throughput {against.throughput_figure()}; p99 {against.p99_figure()}",
        )


def ms(runs: Sequence[Run], fraction: float) -> str:
    return f"{median_of(runs, 'p', fraction) * 1000:>6.1f}m"


@dataclass(frozen=True)
class Target:
    """One of the issue's targets, as this run measured it."""

    name: str
    measured: str
    met: bool

    def line(self) -> str:
        return f"{self.name}: {self.measured}: {verdict(self.met)}"


def targets(outcome: Outcome) -> list[Target]:
    """The issue's targets (#18), each against bare Bolt in this run."""
    ratio = outcome.best / outcome.bare_best if outcome.bare_best else 0.0
    wanted = TARGET_RATIO.get(outcome.database, TARGET_RATIO["SQLite"])
    cpu, bare_cpu = outcome.cpu_per_event, outcome.bare_cpu_per_event
    cpu_ratio = cpu / bare_cpu if bare_cpu else math.nan
    p99, bare_p99 = outcome.fixed_p99, outcome.bare_fixed_p99
    p99_ratio = p99 / bare_p99 if bare_p99 else math.nan
    return [
        Target(
            f"throughput ({outcome.database}) >= {wanted:.0%} of bare Bolt",
            f"{outcome.best:.0f} events/s at {outcome.best_concurrency} in flight, {ratio:.1%} "
            f"of bare Bolt's best {outcome.bare_best:.0f}",
            ratio >= wanted,
        ),
        Target(
            f"CPU per event <= {TARGET_CPU:g}x bare Bolt's",
            f"{cpu * 1e3:.2f} ms against {bare_cpu * 1e3:.2f} ms at "
            f"{outcome.best_concurrency} in flight ({cpu_ratio:.1f}x; at most "
            f"~{1 / cpu:.0f} events/s on a core of its own)",
            cpu_ratio <= TARGET_CPU,
        ),
        Target(
            f"p99 at half bare Bolt's rate <= {TARGET_P99:g}x bare Bolt's p99 there",
            f"{p99 * 1e3:.1f} ms against {bare_p99 * 1e3:.1f} ms at {outcome.fixed_rate:.0f} "
            f"events/s ({p99_ratio:.1f}x)",
            p99_ratio <= TARGET_P99,
        ),
        *issue_targets(outcome.at_issue),
        Target(
            "every event answered 2xx is stored",
            f"{outcome.stored}/{outcome.acked} of {outcome.sent} sent ({outcome.lost} missing)",
            outcome.lost == 0 and outcome.stored == outcome.acked,
        ),
    ]


def issue_targets(against: Against | None) -> list[Target]:
    """The pager issue's (#83), at ISSUE_CONCURRENCY in flight."""
    throughput = (
        f"throughput at {ISSUE_CONCURRENCY} in flight >= {TARGET_ISSUE_RATIO:g} of bare Bolt's"
    )
    p99 = f"p99 at {ISSUE_CONCURRENCY} in flight <= {TARGET_ISSUE_P99:g}x bare Bolt's p99 there"
    if against is None:
        return [Target(throughput, "not measured", False), Target(p99, "not measured", False)]
    return [
        Target(throughput, against.throughput_figure(), against.ratio >= TARGET_ISSUE_RATIO),
        Target(p99, against.p99_figure(), against.p99_ratio <= TARGET_ISSUE_P99),
    ]


def summary(outcome: Outcome) -> list[str]:
    lines = [target.line() for target in targets(outcome)] + [
        f"memory: peak RSS {outcome.peak_rss_kib / 1024:.0f} MiB sampled, VmHWM "
        f"{outcome.hwm_kib / 1024:.0f} MiB (RSS {outcome.start_rss_kib / 1024:.0f} MiB "
        "before the load)",
    ]
    if outcome.collections is not None:
        lines.append(outcome.collections.line())
    return lines


@dataclass(frozen=True)
class GarbageCollections:
    """The server's garbage collections since it started, as its /metrics counts them."""

    # By generation ("0", "1", "2"): how many, and their seconds in all.
    counts: dict[str, int]
    seconds: float
    # The smallest bucket bound that holds every one of them (the longest was at most this).
    longest_at_most: float

    def line(self) -> str:
        young, middle, full = (self.counts.get(generation, 0) for generation in "012")
        if not young + middle + full:
            return "garbage collections in warroom serve: none (warroom_gc_pause_seconds)"
        return (
            f"garbage collections in warroom serve: {young} young, {middle} middle, {full} full, "
            f"{self.seconds * 1000:.1f} ms in all, each at most "
            f"{self.longest_at_most * 1000:g} ms (warroom_gc_pause_seconds)"
        )


async def garbage_collections(metrics_url: str) -> GarbageCollections:
    """The collections ``warroom_gc_pause_seconds`` has counted, read from ``metrics_url``."""
    async with aiohttp.ClientSession() as client, client.get(metrics_url) as response:
        text_format = await response.text()
    counts: dict[str, int] = {}
    seconds = 0.0
    buckets: dict[float, int] = {}
    for family in text_string_to_metric_families(text_format):
        if family.name != "warroom_gc_pause_seconds":
            continue
        for sample in family.samples:
            if sample.name.endswith("_count"):
                counts[sample.labels["generation"]] = int(sample.value)
            elif sample.name.endswith("_sum"):
                seconds += sample.value
            elif sample.name.endswith("_bucket"):
                bound = float(sample.labels["le"])
                buckets[bound] = buckets.get(bound, 0) + int(sample.value)
    total = sum(counts.values())
    longest = min((bound for bound, held in buckets.items() if held >= total), default=math.nan)
    return GarbageCollections(counts, seconds, longest)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, help="events per level and run (default 1000)")
    parser.add_argument("--runs", type=int, help="runs per level, median reported (default 3)")
    parser.add_argument(
        "--concurrency",
        type=lambda s: [int(c) for c in s.split(",") if c.strip()],
        help="in-flight clients per level, comma-separated (default 1,4,16,25,64; "
        f"{ISSUE_CONCURRENCY}, the pager issue's, is always one)",
    )
    parser.add_argument(
        "--fixed-seconds", type=float, help="length of the fixed-rate run (default 10)"
    )
    parser.add_argument(
        "--database-url",
        help="postgresql://user@host:5432/<name>: a new database <name>_run1_<hex> on that "
        "server, dropped after (default: SQLite, temp dir)",
    )
    parser.add_argument("--quick", action="store_true", help="small numbers, for a smoke test")
    parser.add_argument(
        "--env",
        type=lambda s: tuple(s.split("=", 1)),
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting of warroom serve's besides the defaults (again for more), e.g. "
        "WARROOM_LOG_LEVEL=WARNING",
    )
    parser.add_argument(
        "--checkout",
        type=Path,
        help="run warroom serve from this checkout (another worktree, for an A/B against the "
        "same bare Bolt and the same load); default: this one",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="after the measured runs, sample the server with py-spy into this file "
        "(collapsed stacks)",
    )
    parser.add_argument("--profile-events", type=int, default=3000)
    parser.add_argument("--profile-concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    quick = args.quick
    args.events = args.events or (60 if quick else 1000)
    args.runs = args.runs or (1 if quick else 3)
    levels = args.concurrency or ([1] if quick else [1, 4, 16, 64])
    args.concurrency = sorted({*levels, ISSUE_CONCURRENCY})
    args.fixed_seconds = args.fixed_seconds or (1.5 if quick else 10.0)
    args.warmup = 20 if quick else 200
    return args


def main(argv: Sequence[str] | None = None) -> Outcome:
    args = parse_args(argv)
    cores = plan_cores()
    print(
        f"event ingestion: {args.events} signed events per level x {args.runs} run(s), "
        f"concurrency {','.join(map(str, args.concurrency))}",
        flush=True,
    )
    print(cores.describe(), flush=True)
    with (
        run_database(args.database_url, 1) as database_url,
        tempfile.TemporaryDirectory(prefix="warroom-bench-") as tmp,
    ):
        args.database_url = database_url
        outcome = asyncio.run(benchmark(args, Path(tmp), cores))
    outcome.lines.insert(0, cores.describe())
    print()
    for line in summary(outcome):
        print(line)
    return outcome


if __name__ == "__main__":
    main()
