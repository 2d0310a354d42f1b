"""Alert storm: 5,000 Alertmanager alerts in 100 groups against Slack's rate limits.

One ``warroom serve`` (SQLite in a temporary directory, or ``--database-url``) with alert
intake on and a routes file under which every group opens its own incident, against the
Slack emulator in this process enforcing Slack's per-method limits (the documented tiers,
below). Alertmanager's v4 webhook bodies, with the bearer token, are POSTed all at once
from 64 connections: each group's notifications repeat its earlier alerts and add ten new
ones, as Alertmanager does while a group grows, shuffled as a burst arrives. The run ends
when all 100 channels exist and every alert is recorded and shown in its channel (the
database is read with plain SQL; the channels are the emulator's).

Slack's windows are a minute. To keep the run short the emulator's window is shortened
(``--compress``, default 10: a 6-second window with Slack's per-minute counts), so Slack's
limits pass 10 times faster than in Slack; the output says so, and gives the floor the limits
set (the time the rate-limited calls need at best) in emulator time and in Slack's.

Run: ``python -m bench.alert_storm`` (``--groups --notifications --alerts-per-notification
--compress --quick --database-url``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.harness import Cores, MemorySampler, Server, free_port, plan_cores, python, slack_env
from bot.store.columns import utcnow
from bot.store.db import create_engine
from emulator import SlackEmulator
from tests.helpers.alerts import TOKEN, alert, alertmanager, post_alert

PROG = "python -m bench.alert_storm"
PREFIX = "storm"
# Slack's documented tier (requests per minute) of each method an alert incident calls.
# chat.postMessage is in the special tier: about one message per second per channel, with a
# workspace-wide limit on top that Slack does not publish; the emulator limits per method
# only, so it stands for both as one method-wide limit of 300 per minute.
SLACK_LIMITS: dict[str, tuple[int, str]] = {
    "conversations.create": (20, "Tier 2"),
    "conversations.setTopic": (20, "Tier 2"),
    "conversations.setPurpose": (20, "Tier 2"),
    "pins.add": (20, "Tier 2"),
    "bookmarks.add": (20, "Tier 2"),
    "conversations.invite": (50, "Tier 3"),
    "conversations.info": (50, "Tier 3"),
    "chat.update": (50, "Tier 3"),
    "reactions.add": (50, "Tier 3"),
    "users.info": (100, "Tier 4"),
    "conversations.members": (100, "Tier 4"),
    "chat.postMessage": (300, "special: ~1/s per channel + workspace limit, approximated"),
}
ROUTES = f"""\
routes:
  - name: storm
    match_re: {{alertname: "Storm[0-9]+"}}
    severity: SEV2
    title: "{{{{ labels.alertname }}}} firing on {{{{ alerts | length }}}} nodes"
    channel_prefix: {PREFIX}
default:
  action: open
  severity: SEV3
"""


def storm(groups: int, notifications: int, per_notification: int) -> list[dict[str, Any]]:
    """Alertmanager notifications: each repeats its group's earlier alerts and adds new ones
    (``groups * notifications * per_notification`` distinct alerts), shuffled."""
    started = (utcnow() - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    bodies = []
    for group in range(groups):
        name = f"Storm{group:03d}"
        alerts: list[dict[str, Any]] = []
        for _ in range(notifications):
            alerts += [
                alert(name, f"node-{len(alerts) + n}", started) for n in range(per_notification)
            ]
            bodies.append(alertmanager(name, list(alerts)))
    random.Random(7).shuffle(bodies)
    return bodies


@dataclass
class Milestones:
    """Seconds from the first POST."""

    accepted: float = math.nan  # every webhook answered 202
    channels: float = math.nan  # every group's channel exists
    recorded: float = math.nan  # every alert is a row
    shown: float = math.nan  # every alert posted in its channel, nothing left to do


@dataclass
class Outcome:
    alerts: int = 0
    groups: int = 0
    notifications: int = 0
    answered: Counter[int] = field(default_factory=Counter)
    milestones: Milestones = field(default_factory=Milestones)
    channels: int = 0
    incidents: int = 0
    rows: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    limited: Counter[str] = field(default_factory=Counter)
    # Seconds from the first webhook to each limited method's first and last accepted call.
    spans: dict[str, tuple[float, float]] = field(default_factory=dict)
    # The same times, every accepted call's, by method.
    accepted_at: dict[str, list[float]] = field(default_factory=dict)
    floor: float = 0.0
    floor_method: str = ""
    compress: float = 10.0
    window: float = 6.0
    peak_rss_kib: int = 0
    finished: bool = False
    log: str = ""
    lines: list[str] = field(default_factory=list)

    def out(self, line: str = "") -> None:
        print(line, flush=True)
        self.lines.append(line)


async def state(engine: AsyncEngine) -> dict[str, int]:
    """Counts read from the database with plain SQL."""
    async with engine.connect() as connection:

        async def one(sql: str) -> int:
            return int((await connection.execute(text(sql))).scalar_one())

        return {
            "alerts": await one("SELECT count(*) FROM alert"),
            "unposted": await one(
                "SELECT count(*) FROM alert WHERE posted_status IS NULL OR posted_status != status"
            ),
            "incidents": await one("SELECT count(*) FROM incident"),
            "rooms": await one(
                "SELECT count(*) FROM incident WHERE header_ts IS NOT NULL "
                f"AND channel_name LIKE '{PREFIX}-%'"
            ),
            "unapplied": await one("SELECT count(*) FROM alert_payload WHERE state != 'processed'"),
            "pending": await one(
                "SELECT count(*) FROM job WHERE done_at IS NULL AND kind LIKE 'alert%'"
            ),
        }


def floor_seconds(calls: Counter[str], limits: dict[str, int], window: float) -> tuple[float, str]:
    """The least time the rate-limited calls made need: (ceil(calls / limit) - 1) windows."""
    best, method = 0.0, ""
    for name, limit in limits.items():
        seconds = (math.ceil(calls[name] / limit) - 1) * window if calls[name] else 0.0
        if seconds > best:
            best, method = seconds, name
    return best, method


async def benchmark(args: argparse.Namespace, workdir: Path, cores: Cores) -> Outcome:
    outcome = Outcome(compress=args.compress, window=60.0 / args.compress)
    bodies = storm(args.groups, args.notifications, args.alerts_per_notification)
    outcome.groups, outcome.notifications = args.groups, len(bodies)
    outcome.alerts = args.groups * args.notifications * args.alerts_per_notification
    database_url = args.database_url or f"sqlite:///{workdir / 'warroom.db'}"
    routes = workdir / "routes.yaml"
    routes.write_text(ROUTES)
    limits = {method: count for method, (count, _) in SLACK_LIMITS.items()}
    async with SlackEmulator() as slack:
        slack.add_user("U0ALICE", "alice", "Alice Moreau")
        slack.create_channel("general", creator="U0ALICE", members=["U0ALICE"])
        slack.rate_window = outcome.window
        slack.rate_limits.update(limits)
        port = free_port()
        server = Server(
            "warroom serve",
            [python(), "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
            slack_env(
                slack,
                DATABASE_URL=database_url,
                WARROOM_WEB_AUTH="none",
                WARROOM_LOG_LEVEL="WARNING",
                WARROOM_ALERT_TOKEN=TOKEN,
                WARROOM_ALERT_ROUTES=str(routes),
                WARROOM_JOB_CONCURRENCY=str(args.job_concurrency),
                WARROOM_SLACK_RATE_WINDOW=str(outcome.window),
            ),
            workdir / "warroom.log",
            cores,
        )
        memory = MemorySampler(server, interval=0.25)
        try:
            root = f"http://127.0.0.1:{port}"
            await server.wait_ready(f"{root}/healthz")
            slack.events_url = f"{root}/slack/events"
            memory.start()
            began = time.perf_counter()
            began_monotonic = time.monotonic()  # the emulator's clock for its calls
            sending = asyncio.create_task(send_all(root, bodies, outcome, began))
            await watch(args, slack, database_url, outcome, began)
            await sending
        except BaseException:
            print(f"--- {server.name} log:\n{server.log_tail()}", file=sys.stderr)
            raise
        finally:
            await memory.stop()
            outcome.peak_rss_kib = memory.peak_kib
            await slack.drain()
            outcome.log = server.log_problems()
            server.stop()
        for call in slack.calls:
            outcome.calls[call.method] += 1
            if call.status == 429:
                outcome.limited[call.method] += 1
            elif call.method in limits:
                first, _ = outcome.spans.get(call.method, (call.at - began_monotonic, 0.0))
                outcome.spans[call.method] = (first, call.at - began_monotonic)
                outcome.accepted_at.setdefault(call.method, []).append(call.at - began_monotonic)
        made = Counter({m: n - outcome.limited[m] for m, n in outcome.calls.items()})
        outcome.floor, outcome.floor_method = floor_seconds(made, limits, outcome.window)
    return outcome


async def send_all(
    root: str, bodies: Sequence[dict[str, Any]], outcome: Outcome, began: float
) -> None:
    encoded = [json.dumps(body).encode() for body in bodies]
    connector = aiohttp.TCPConnector(limit=64)
    async with aiohttp.ClientSession(connector=connector, trust_env=False) as session:

        async def send(body: bytes) -> None:
            try:
                status, _ = await post_alert(root, "alertmanager", body, session=session)
            except (aiohttp.ClientError, TimeoutError):  # includes a non-JSON answer
                status = 0
            outcome.answered[status] += 1

        await asyncio.gather(*(send(body) for body in encoded))
    outcome.milestones.accepted = time.perf_counter() - began


async def watch(
    args: argparse.Namespace,
    slack: SlackEmulator,
    database_url: str,
    outcome: Outcome,
    began: float,
) -> None:
    """Poll the emulator's channels and the database until the storm is worked off."""
    deadline = began + args.timeout
    # One engine for the whole watch: a new one every poll opened a thousand connections in
    # a storm paced by Slack's own minute, and one of them once took past asyncpg's time-out.
    engine = create_engine(database_url)
    try:
        await _watch(slack, engine, outcome, began, deadline)
    finally:
        await engine.dispose()


async def _watch(
    slack: SlackEmulator,
    engine: AsyncEngine,
    outcome: Outcome,
    began: float,
    deadline: float,
) -> None:
    milestones = outcome.milestones
    while time.perf_counter() < deadline:
        await asyncio.sleep(0.25)
        now = time.perf_counter() - began
        rooms = [c for c in slack.channels.values() if c.name.startswith(f"{PREFIX}-")]
        counts = await state(engine)
        outcome.channels, outcome.incidents, outcome.rows = (
            len(rooms),
            counts["incidents"],
            counts["alerts"],
        )
        if math.isnan(milestones.channels) and len(rooms) >= outcome.groups:
            milestones.channels = now
        if math.isnan(milestones.recorded) and counts["alerts"] >= outcome.alerts:
            milestones.recorded = now
        settled = (
            not math.isnan(milestones.accepted)
            and counts["unapplied"] == 0
            and counts["pending"] == 0
            and counts["unposted"] == 0
            and counts["rooms"] >= outcome.groups
        )
        if settled and not math.isnan(milestones.channels + milestones.recorded):
            milestones.shown = now
            outcome.finished = True
            return


def report(outcome: Outcome) -> list[str]:
    m = outcome.milestones
    compress = outcome.compress
    lines = [
        f"alert storm: {outcome.alerts} alerts in {outcome.groups} groups, "
        f"{outcome.notifications} Alertmanager v4 webhooks sent at once (64 connections)",
        f"Slack's per-method limits enforced by the emulator, time compressed {compress:g}x: "
        f"Slack's per-minute counts per {outcome.window:g}-second window",
        "",
        f"{'method':<24} {'tier':<12} {'per min':>7} {'calls':>6} {'429s':>5}"
        f" {'first':>7} {'last':>7}",
    ]
    for method, (limit, tier) in SLACK_LIMITS.items():
        if outcome.calls[method]:
            first, last = outcome.spans.get(method, (math.nan, math.nan))
            lines.append(
                f"{method:<24} {tier.split(':')[0]:<12} {limit:>7} "
                f"{outcome.calls[method]:>6} {outcome.limited[method]:>5}"
                f" {first:>6.1f}s {last:>6.1f}s"
            )
    others = sorted(m for m in outcome.calls if m not in SLACK_LIMITS)
    if others:
        lines.append(
            "not limited: " + ", ".join(f"{m} {outcome.calls[m]}" for m in others) + " calls"
        )
    answered = ", ".join(f"{n} x {status}" for status, n in sorted(outcome.answered.items()))
    lines += [
        "",
        f"webhooks answered: {answered}, all within {m.accepted:.1f} s",
        f"all {outcome.groups} channels exist after {m.channels:.1f} s",
        f"all {outcome.alerts} alerts recorded after {m.recorded:.1f} s",
        f"every alert shown in its channel, nothing left to do, after {m.shown:.1f} s",
        floor_line(outcome),
        windows_line(outcome),
        f"memory: peak RSS {outcome.peak_rss_kib / 1024:.0f} MiB sampled",
        outcome.log,
    ]
    return lines


def windows_line(outcome: Outcome) -> str:
    """How the floor's method used its windows, counted from its first accepted call: each
    window short of the limit is time the storm spent above its floor."""
    times = outcome.accepted_at.get(outcome.floor_method)
    if not times:
        return ""
    first = times[0]
    counts = Counter(int((at - first) // outcome.window) for at in times)
    used = " ".join(str(counts[window]) for window in range(max(counts) + 1))
    return (
        f"{outcome.floor_method} calls per {outcome.window:g}-second window from its first: {used}"
    )


def floor_line(outcome: Outcome) -> str:
    if not outcome.floor:
        return "floor set by the limits: none (no method needed a second window)"
    return (
        f"floor set by the limits: {outcome.floor:.0f} s ({outcome.floor_method}: the calls it "
        f"made need that many windows at best); in Slack's own time that floor is "
        f"{outcome.floor * outcome.compress / 60:.1f} min"
    )


def summary(outcome: Outcome) -> str:
    if not outcome.finished:
        return (
            f"alert storm: NOT FINISHED: {outcome.channels}/{outcome.groups} channels, "
            f"{outcome.rows}/{outcome.alerts} alerts recorded when the time ran out"
        )
    m = outcome.milestones
    return (
        f"alert storm: {outcome.groups} channels in {m.channels:.1f} s, {outcome.alerts} alerts "
        f"recorded in {m.recorded:.1f} s, all shown in Slack in {m.shown:.1f} s "
        f"(limits {outcome.compress:g}x faster than Slack's; floor {outcome.floor:.0f} s)"
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, help="alert groups, one incident each (100)")
    parser.add_argument("--notifications", type=int, help="webhooks per group (5)")
    parser.add_argument("--alerts-per-notification", type=int, help="new alerts in each (10)")
    parser.add_argument(
        "--compress",
        type=float,
        help="how much faster than Slack the limits' window passes (default 10: 6 s windows)",
    )
    parser.add_argument("--timeout", type=float, help="give up after this many seconds (600)")
    parser.add_argument("--database-url", help="e.g. postgresql://… (default: SQLite, temp dir)")
    parser.add_argument("--quick", action="store_true", help="a small storm, for a smoke test")
    parser.add_argument(
        "--job-concurrency",
        type=int,
        default=8,
        help="WARROOM_JOB_CONCURRENCY for the server (default 8, warroom's; 1: one job at a time)",
    )
    args = parser.parse_args(argv)
    quick = args.quick
    args.groups = args.groups or (25 if quick else 100)
    args.notifications = args.notifications or (2 if quick else 5)
    args.alerts_per_notification = args.alerts_per_notification or (4 if quick else 10)
    args.compress = args.compress or (60.0 if quick else 10.0)
    args.timeout = args.timeout or (90.0 if quick else 600.0)
    return args


def main(argv: Sequence[str] | None = None) -> Outcome:
    args = parse_args(argv)
    cores = plan_cores()
    print(cores.describe(), flush=True)
    with tempfile.TemporaryDirectory(prefix="warroom-bench-") as tmp:
        outcome = asyncio.run(benchmark(args, Path(tmp), cores))
    outcome.lines.append(cores.describe())
    for line in report(outcome):
        outcome.out(line)
    print()
    print(summary(outcome))
    return outcome


if __name__ == "__main__":
    sys.exit(0 if main().finished else 1)
