"""Paging latency: from an alert's arrival to the first notification leaving warroom, alone and
during a 5,000-alert storm.

One ``warroom serve`` (SQLite in a temporary directory, or ``--database-url``) against the
Slack emulator (Slack's per-method limits enforced, their minute compressed ``--compress``
times, as in ``bench.alert_storm``) and the fake ntfy, both in this process. A route opens a
SEV1 incident for each ``PageN`` alert and starts a policy whose level reaches Carol, whose
rule pushes to her phone at once. Each page alert is POSTed from here; its latency is the
time until ntfy holds Carol's push for it (the first notification leaving warroom: the push
and the Slack DM are due at the same instant). Alone: page alerts one after another. During
the storm: the storm's 5,000 Alertmanager alerts in 100 groups (``bench.alert_storm``) are
POSTed from 64 connections while a page alert is sent every ``--every`` seconds, and a
slash command (``/incident impact ...``, kept in its channel's line before it is answered)
every ``--every`` / 2 seconds into the incident channels the pages alone opened: the time of
Slack's HTTP answer to each (Slack shows the person a failure after 3 s; target p99 <= 1 s).

``--background-load``: a busy loop on every core of the machine, started by the benchmark
(after the server is ready) and stopped at its end, at the same priority as the rest: a host
whose CPUs other work keeps busy.

The settings are those a team gets by default: ``WARROOM_PAGER_PROCESS`` is left to its
default (``auto``: a pager process of its own with PostgreSQL, bot/pager.py; none with
SQLite) unless ``--pager-process on|off`` says (bare ``--pager-process`` is on). The report
says which.

The same run's baseline: ``bench.bare_pager``, a server that only reads the alert and pushes
it to ntfy (no database, no routing), on the cores serve has. Each page alert sent to warroom
is followed by one to it, alone and during the storm, and each of warroom's p99s is printed
beside the bare pager's in the same phase as a ratio, so that a slow machine does not hide a
gain.

``--replicas 2`` (PostgreSQL only): two ``warroom serve`` on the same database, each with the
default pager process; alerts go to them in turn, a replica that does not answer skipped for
the other (as a load balancer does). ``--kill-mid-storm``: the last replica and its pager
process are SIGKILLed once half the storm's page alerts are sent. After every run, each page
alert sent is counted on Carol's phone: never pushed (lost) or pushed twice (doubled), named.

``--alert-only``: the issue 72 measure. A second route, ``action: page``, pages the same
policy for each ``AlertN`` alert without opening an incident (its message goes to #alerts),
and the policy's first level is an on-call schedule on which Carol is on call (as teams set it
up), for both routes. Each page alert of the incident path is sent beside one of the
alert-only path (alone: one after the other; in the storm: both every ``--every`` seconds),
and both are reported, the alert-only path against its own targets (p99 <= 250 ms alone,
<= 1 s during the storm), the incident path against its 2 s.

``--trace``: serve logs at DEBUG, and the alone pages' path is read from its log stage by
stage (``page_stage`` lines, bot/basics/logs.py: the process's clock and CPU time at each):
each stage's median wall and CPU milliseconds, per path (serve's process only: with
``--pager-process`` the pager's stages are not in it).

``--runs N``: N runs one after the other, each reported, then the median of their p99s, alone
and in the storm. Each run has a new, empty database: SQLite in its own directory; with
``--database-url postgresql://…/<name>``, one made for the run on that server
(``<name>_run<K>_<12 hex digits>``; the named database is not used, and need not exist) and
dropped when the run ends, so no run meets the rows of one before it (its ``PageN`` incidents
still open, which the next run's page alerts would join and never page). The benchmark stops
at once, saying why, if the server will not make one (the role needs CREATEDB).

Run: ``python -m bench.paging`` (``--pages --compress --every --quick --database-url
--background-load --runs --pager-process --alert-only --replicas --kill-mid-storm --settle``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path

import aiohttp
import yaml
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bench.alert_storm import ROUTES as STORM_ROUTES
from bench.alert_storm import SLACK_LIMITS, storm
from bench.harness import (
    Cores,
    Server,
    free_port,
    plan_cores,
    python,
    settings_files,
    slack_env,
)
from emulator import FakeNtfy, SlackEmulator
from tests.helpers.alerts import TOKEN, alert, alertmanager, post_alert
from tests.helpers.databases import drop_database, new_database

PROG = "python -m bench.paging"
TARGET_SECONDS = 2.0
# An alert-only page (issue 72): p99 within this alone, and within the second during the storm.
ALERT_TARGETS = {"alone": 0.25, "storm": 1.0}
# Slack's answer to a slash command: p99 within this, and none past Slack's 3 s.
ANSWER_TARGET_SECONDS, SLACK_DEADLINE_SECONDS = 1.0, 3.0
CAROL, TOPIC = "U0CAROL", "carol-bench"
BARE_TOPIC = "bare-pager-bench"  # the baseline's pushes (bench.bare_pager)
SCHEDULE = "night"  # --alert-only: the policy's first level, Carol on call all the time
ALICE = "U0ALICE"


@dataclass
class Outcome:
    alone: list[float] = field(default_factory=list)
    storm: list[float] = field(default_factory=list)
    commands: list[float] = field(default_factory=list)  # Slack's answers during the storm
    commands_refused: int = 0  # answered other than 200
    missing: int = 0
    storm_seconds: float = 0.0
    compress: float = 10.0
    busy_loops: int = 0
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)
    pager_process: bool = False  # WARROOM_PAGER_PROCESS=on (--pager-process)
    stages: list[str] = field(default_factory=list)  # --trace
    # --alert-only: the pages of the action: page route, alone and during the storm.
    alert_only: bool = False
    alert_alone: list[float] = field(default_factory=list)
    alert_storm: list[float] = field(default_factory=list)
    # The same run's baseline: bench.bare_pager's pages, alone and during the storm.
    bare_alone: list[float] = field(default_factory=list)
    bare_storm: list[float] = field(default_factory=list)
    # --replicas 2 --kill-mid-storm: when the second replica was killed (seconds into the
    # storm), and the page alerts answered 2xx that reached Carol's phone never or twice.
    replicas: int = 1
    killed_at: float | None = None
    lost: list[str] = field(default_factory=list)
    doubled: list[str] = field(default_factory=list)


@dataclass
class Replicas:
    """The servers alerts are POSTed to, in turn, as a load balancer sends them: a replica
    that does not answer (refused, or gone mid-request) is skipped for the next one."""

    roots: list[str]
    turn: Iterator[int] = field(default_factory=itertools.count)

    async def post(self, body: bytes, session: aiohttp.ClientSession) -> int:
        first = next(self.turn)
        for offset in range(len(self.roots)):
            root = self.roots[(first + offset) % len(self.roots)]
            try:
                status, _ = await post_alert(root, "alertmanager", body, session=session)
            except aiohttp.ClientConnectionError:
                continue
            return status
        raise RuntimeError("no replica answered")


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def files(workdir: Path, alerts_channel: str | None = None) -> dict[str, str]:
    """The routes, policy and contacts files; with ``alerts_channel`` (``--alert-only``) an
    ``action: page`` route to it as well, and the policy's first level an on-call schedule."""
    routes = yaml.safe_load(STORM_ROUTES)
    routes["routes"].insert(
        0,
        {"name": "page", "match_re": {"alertname": "Page[0-9]+"}, "severity": "SEV1",
         "policy": "primary", "title": "{{ labels.alertname }}", "channel_prefix": "page"},
    )  # fmt: skip
    target: dict[str, str] = {"user": CAROL}
    documents: dict[str, dict[str, object]] = {}
    if alerts_channel is not None:
        routes["routes"].insert(
            0,
            # The route's settings a team gets by default: every alert its own page (grouping
            # is opt-in), so the page's path is what is timed.
            {"name": "alert", "match_re": {"alertname": "Alert[0-9]+"}, "severity": "SEV1",
             "action": "page", "policy": "primary", "title": "{{ labels.alertname }}",
             "channel": alerts_channel},
        )  # fmt: skip
        target = {"schedule": SCHEDULE}
        layer = {"name": "all", "start": "2026-01-05 00:00", "rotation": "weekly",
                 "members": [CAROL]}  # fmt: skip
        documents["WARROOM_ONCALL_SCHEDULES"] = {
            "schedules": {SCHEDULE: {"timezone": "UTC", "layers": [layer]}}
        }
    levels = [{"targets": [target]}]
    documents |= {
        "WARROOM_ALERT_ROUTES": routes,
        "WARROOM_ESCALATION_POLICIES": {"policies": {"primary": {"levels": levels}}},
        "WARROOM_CONTACTS": {
            "people": {
                CAROL: {
                    "contacts": {"push": {"ntfy": TOPIC}},
                    "rules": [{"after": "0s", "notify": ["slack", "push"]}],
                }
            }
        },
    }
    return settings_files(workdir, documents)


@contextlib.contextmanager
def busy_loops(wanted: bool) -> Iterator[int]:
    """A busy loop pinned to each of the machine's cores while the block runs (none unless
    ``wanted``); how many."""
    cpus = range(os.cpu_count() or 1) if wanted else range(0)
    loops = [
        subprocess.Popen([python(), "-c", "while True: pass"], preexec_fn=_pinned_to(cpu))
        for cpu in cpus
    ]
    try:
        yield len(loops)
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


def _pinned_to(cpu: int) -> Callable[[], None] | None:
    if not hasattr(os, "sched_setaffinity"):
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


async def page(
    to: Replicas,
    ntfy: FakeNtfy,
    number: int,
    session: aiohttp.ClientSession,
    kind: str = "Page",
    topic: str = TOPIC,
) -> float | None:
    """POST one page alert (``kind`` Page: the incident path's, Alert: the alert-only path's);
    seconds until its push reached ntfy on ``topic`` (None: not within 120 s)."""
    name = f"{kind}{number}"
    body = alertmanager(name, [alert(name, "checkout-1", "2026-11-26T03:00:00Z")])
    before = len(ntfy.phone(topic))
    sent = time.monotonic()
    status = await to.post(json.dumps(body).encode(), session)
    assert status < 300, status
    deadline = sent + 120
    while time.monotonic() < deadline:
        pushes = ntfy.phone(topic)[before:]
        mine = [push for push in pushes if name in (push.title or "").split()]
        if mine:
            return mine[0].at - sent
        await asyncio.sleep(0.005)
    return None


async def benchmark(args: argparse.Namespace, workdir: Path, cores: Cores) -> Outcome:
    outcome = Outcome(
        compress=args.compress,
        load=os.getloadavg(),
        pager_process=args.pager_process == "on"
        or (args.pager_process == "auto" and (args.database_url or "").startswith("postgres")),
        alert_only=args.alert_only,
        replicas=args.replicas,
    )
    window = 60.0 / args.compress
    async with SlackEmulator() as slack, FakeNtfy() as ntfy:
        slack.add_user(ALICE, "alice", "Alice Moreau")
        slack.add_user(CAROL, "carol", "Carol Tanaka")
        slack.create_channel("general", creator=ALICE, members=[ALICE])
        alerts_channel = None
        if args.alert_only:
            members = [ALICE, slack.bot_user_id]
            alerts_channel = slack.create_channel("alerts", creator=ALICE, members=members).id
        slack.rate_window = window
        slack.rate_limits.update({m: count for m, (count, _) in SLACK_LIMITS.items()})
        servers: list[Server] = []
        try:
            roots = []
            for replica in range(1, args.replicas + 1):
                server, root = serve(args, workdir, cores, slack, ntfy, alerts_channel, replica)
                servers.append(server)
                # Ready as a load balancer reads it (/readyz: its pager process runs too), not
                # merely alive: pages sent before were measured against the pager's start.
                await server.wait_ready(f"{root}/readyz")
                roots.append(root)
            bare, bare_root = bare_pager(workdir, cores, ntfy)
            servers.append(bare)
            await bare.wait_ready(f"{bare_root}/healthz")
            slack.events_url = f"{roots[0]}/slack/events"
            targets = (Replicas(roots), Replicas([bare_root]))
            kill = servers[args.replicas - 1].kill if args.kill_mid_storm else None
            async with aiohttp.ClientSession(trust_env=False) as session:
                with busy_loops(args.background_load) as outcome.busy_loops:
                    await _measure(args, targets, (slack, ntfy), session, outcome, kill)
                await _count_pushes(args, ntfy, outcome)
        except BaseException:
            for server in servers:
                print(f"--- {server.name} log:\n{server.log_tail()}", file=sys.stderr)
            raise
        finally:
            await slack.drain()
            for server in servers:
                server.stop()
    if args.trace:
        outcome.stages = stages_of(workdir / "warroom-1.log", args.pages, args.alert_only)
    return outcome


def serve(
    args: argparse.Namespace,
    workdir: Path,
    cores: Cores,
    slack: SlackEmulator,
    ntfy: FakeNtfy,
    alerts_channel: str | None,
    replica: int,
) -> tuple[Server, str]:
    """One ``warroom serve`` replica with the settings a team gets by default (the pager
    process as ``WARROOM_PAGER_PROCESS`` defaults, unless ``--pager-process`` says), and its
    address."""
    port = free_port()
    database_url = args.database_url or f"sqlite:///{workdir / 'warroom.db'}"
    chosen = {} if args.pager_process == "auto" else {"WARROOM_PAGER_PROCESS": args.pager_process}
    server = Server(
        f"warroom serve {replica}",
        [python(), "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
        slack_env(
            slack,
            DATABASE_URL=database_url,
            WARROOM_WEB_AUTH="none",
            WARROOM_LOG_LEVEL="DEBUG" if args.trace else "WARNING",
            WARROOM_ALERT_TOKEN=TOKEN,
            WARROOM_NTFY_URL=ntfy.root,
            WARROOM_PUBLIC_URL="https://warroom.example.com",
            WARROOM_SLACK_RATE_WINDOW=str(60.0 / args.compress),
            WARROOM_METRICS_PORT=str(free_port()),
            WARROOM_PAGER_METRICS_PORT=str(free_port()),
            **chosen,
            **files(workdir, alerts_channel),
        ),
        workdir / f"warroom-{replica}.log",
        cores,
    )
    return server, f"http://127.0.0.1:{port}"


def bare_pager(workdir: Path, cores: Cores, ntfy: FakeNtfy) -> tuple[Server, str]:
    """The same run's baseline (bench.bare_pager), on the cores serve has, and its address."""
    port = free_port()
    argv = [python(), "-m", "bench.bare_pager", "--port", str(port), "--ntfy", ntfy.root,
            "--topic", BARE_TOPIC, "--token", TOKEN]  # fmt: skip
    server = Server("bare pager", argv, dict(os.environ), workdir / "bare-pager.log", cores)
    return server, f"http://127.0.0.1:{port}"


async def _count_pushes(args: argparse.Namespace, ntfy: FakeNtfy, outcome: Outcome) -> None:
    """Every page alert sent to warroom, by the pushes on Carol's phone that name it: none
    is lost, none doubled (a replica killed mid-storm whose alerts another pages once)."""
    await asyncio.sleep(args.settle)
    kinds = ("Page", "Alert") if args.alert_only else ("Page",)
    titles = [(push.title or "").split() for push in ntfy.phone(TOPIC)]
    for kind, number in itertools.product(kinds, range(2 * args.pages)):
        name = f"{kind}{number}"
        pushes = sum(name in title for title in titles)
        if pushes == 0:
            outcome.lost.append(name)
        elif pushes > 1:
            outcome.doubled.append(name)


_STAGE = re.compile(r"page path (\w+) (?:.*? )?t=([0-9.]+) cpu=([0-9.]+)")


def stages_of(log: Path, pages: int, alert_only: bool) -> list[str]:
    """The alone pages' path read from serve's ``page_stage`` lines: one page's lines run
    from its ``arrived`` to its first ``push`` (the alone pages are sent one at a time, the
    incident path's first); each stage's median wall and CPU ms since the stage before."""
    pages_alone: list[list[tuple[str, float, float]]] = []
    current: list[tuple[str, float, float]] | None = None
    for line in log.read_text(errors="replace").splitlines():
        found = _STAGE.search(line)
        if found is None:
            continue
        stage, at, cpu = found[1], float(found[2]), float(found[3])
        if stage == "arrived":
            current = [(stage, at, cpu)]
        elif current is not None and stage not in {s for s, _, _ in current}:
            current.append((stage, at, cpu))
            if stage == "push":
                pages_alone.append(current)
                current = None
        if len(pages_alone) == pages * (2 if alert_only else 1):
            break
    lines = []
    paths = {"incident path": pages_alone[0::2], "alert-only": pages_alone[1::2]}
    for path, runs in (paths if alert_only else {"incident path": pages_alone}).items():
        steps: dict[str, list[tuple[float, float]]] = {}
        for run in runs:
            for (_, at0, cpu0), (stage, at1, cpu1) in itertools.pairwise(run):
                steps.setdefault(stage, []).append((at1 - at0, cpu1 - cpu0))
            steps.setdefault("total", []).append((run[-1][1] - run[0][1], run[-1][2] - run[0][2]))
        shown = ", ".join(
            f"{stage} {statistics.median(w for w, _ in got) * 1e3:.1f}"
            f"/{statistics.median(c for _, c in got) * 1e3:.1f}"
            for stage, got in steps.items()
        )
        lines.append(f"  {path} stages, wall/CPU ms (median of {len(runs)}): {shown}")
    return lines


async def _measure(
    args: argparse.Namespace,
    targets: tuple[Replicas, Replicas],
    fakes: tuple[SlackEmulator, FakeNtfy],
    session: aiohttp.ClientSession,
    outcome: Outcome,
    kill: Callable[[], None] | None,
) -> None:
    """Pages alone, then during the storm (with slash commands typed), each beside the bare
    pager's; with ``kill``, the last replica is killed once half the storm's pages are sent."""
    (warroom, bare), (slack, ntfy) = targets, fakes
    for number in range(args.pages):
        _keep(outcome.alone, outcome, await page(warroom, ntfy, number, session))
        if args.alert_only:
            _keep(outcome.alert_alone, outcome, await page(warroom, ntfy, number, session, "Alert"))
        _keep(
            outcome.bare_alone,
            outcome,
            await page(bare, ntfy, number, session, "Alert", BARE_TOPIC),
        )
    bodies = [json.dumps(b).encode() for b in storm(*args.storm)]
    began = time.monotonic()
    storming = asyncio.create_task(_send_all(warroom, bodies))
    pages: dict[str, list[asyncio.Task[float | None]]] = {"storm": [], "alert": [], "bare": []}
    typing = asyncio.create_task(_type_commands(slack, args, outcome))
    for number in range(args.pages, 2 * args.pages):
        if kill is not None and number == args.pages + args.pages // 2:
            kill()
            outcome.killed_at = time.monotonic() - began
        pages["storm"].append(asyncio.create_task(page(warroom, ntfy, number, session)))
        if args.alert_only:
            sent = page(warroom, ntfy, number, session, "Alert")
            pages["alert"].append(asyncio.create_task(sent))
        sent = page(bare, ntfy, number, session, "Alert", BARE_TOPIC)
        pages["bare"].append(asyncio.create_task(sent))
        await asyncio.sleep(args.every)
    await typing
    for series, tasks in (
        (outcome.storm, pages["storm"]),
        (outcome.alert_storm, pages["alert"]),
        (outcome.bare_storm, pages["bare"]),
    ):
        for took in await asyncio.gather(*tasks):
            _keep(series, outcome, took)
    await storming
    outcome.storm_seconds = time.monotonic() - began


def _keep(series: list[float], outcome: Outcome, took: float | None) -> None:
    """A page's time in its series, or one more page missing."""
    if took is None:
        outcome.missing += 1
    else:
        series.append(took)


async def _type_commands(slack: SlackEmulator, args: argparse.Namespace, outcome: Outcome) -> None:
    """Slash commands into the incidents' channels while the pages of the storm are sent;
    the time of each HTTP answer (not of its reply, which comes later by response_url)."""
    channels = [c.id for c in slack.channels.values() if c.name != "general"]
    if not channels:
        return
    sent = []
    for number in range(2 * args.pages):
        channel = channels[number % len(channels)]
        text = f"impact Checkout slow for some users, note {number}"
        sent.append(asyncio.create_task(slack.send_command(text, user=ALICE, channel=channel)))
        await asyncio.sleep(args.every / 2)
    for response in await asyncio.gather(*sent):
        outcome.commands.append(response.elapsed)
        outcome.commands_refused += response.status != HTTPStatus.OK


async def _send_all(to: Replicas, bodies: Sequence[bytes]) -> None:
    connector = aiohttp.TCPConnector(limit=64)
    async with aiohttp.ClientSession(connector=connector, trust_env=False) as session:
        await asyncio.gather(*(to.post(body, session) for body in bodies))


def report(outcome: Outcome) -> list[str]:
    lines = [
        "paging: alert arrival to the first notification leaving (ntfy), Slack's limits at "
        f"{outcome.compress:g}x, "
        + ("paging in a pager process" if outcome.pager_process else "no pager process")
        + (f", {outcome.replicas} replicas" if outcome.replicas > 1 else "")
    ]
    for name, values, target in _series(outcome):
        if not values:
            lines.append(f"  {name}: no page arrived")
            continue
        p99 = percentile(values, 0.99)
        met = "MET" if p99 <= target else "NOT MET"
        lines.append(
            f"  {name}: {len(values)} pages, median {statistics.median(values) * 1e3:.0f} ms, "
            f"p99 {p99 * 1e3:.0f} ms, max {max(values) * 1e3:.0f} ms "
            f"(target p99 <= {target * 1e3:.0f} ms: {met}){_beside_bare(outcome, name, p99)}"
        )
        # In the order sent: whether the slowest are the server's first (its warm-up) or not.
        lines.append("    in order, ms: " + " ".join(f"{v * 1e3:.0f}" for v in values))
    for name, values in (("alone", outcome.bare_alone), ("during the storm", outcome.bare_storm)):
        if values:
            lines.append(
                f"  baseline, the bare pager {name}: {len(values)} pages, median "
                f"{statistics.median(values) * 1e3:.0f} ms, "
                f"p99 {percentile(values, 0.99) * 1e3:.0f} ms"
            )
    lines += _commands_line(outcome)
    lines.append("  load average before: " + " ".join(f"{v:.2f}" for v in outcome.load))
    if outcome.busy_loops:
        lines.append(f"  background load: a busy loop on each of {outcome.busy_loops} cores")
    lines.append(
        f"  storm POSTed in {outcome.storm_seconds:.1f} s; "
        f"pages missing after 120 s: {outcome.missing}"
    )
    if outcome.killed_at is not None:
        lines.append(
            f"  replica {outcome.replicas} SIGKILLed {outcome.killed_at:.1f} s into the storm"
        )
    lines.append(
        f"  page alerts answered 2xx never pushed: {len(outcome.lost)}"
        + (f" ({', '.join(outcome.lost[:10])})" if outcome.lost else "")
        + f"; pushed twice or more: {len(outcome.doubled)}"
        + (f" ({', '.join(outcome.doubled[:10])})" if outcome.doubled else "")
    )
    return lines + outcome.stages


def _beside_bare(outcome: Outcome, name: str, p99: float) -> str:
    """The series' p99 as a ratio to the bare pager's in the same run and phase."""
    bare = outcome.bare_storm if "storm" in name else outcome.bare_alone
    if not bare:
        return ""
    floor = percentile(bare, 0.99)
    return f"; {p99 / floor:.1f}x the bare pager's p99 {floor * 1e3:.0f} ms"


def _commands_line(outcome: Outcome) -> list[str]:
    if not outcome.commands:
        return []
    p99, worst = percentile(outcome.commands, 0.99), max(outcome.commands)
    answered = p99 <= ANSWER_TARGET_SECONDS and worst <= SLACK_DEADLINE_SECONDS
    return [
        f"  slash commands answered during the storm: {len(outcome.commands)}, median "
        f"{statistics.median(outcome.commands) * 1e3:.0f} ms, p99 {p99 * 1e3:.0f} ms, "
        f"max {worst * 1e3:.0f} ms, not 200: {outcome.commands_refused} (target p99 <= 1 s, "
        f"none over 3 s: {'MET' if answered else 'NOT MET'})"
    ]


def _series(outcome: Outcome) -> list[tuple[str, list[float], float]]:
    """(name, seconds, target p99) of each series a run measured."""
    if not outcome.alert_only:
        return [("alone", outcome.alone, TARGET_SECONDS),
                ("during the storm", outcome.storm, TARGET_SECONDS)]  # fmt: skip
    return [
        ("alert-only, alone", outcome.alert_alone, ALERT_TARGETS["alone"]),
        ("alert-only, during the storm", outcome.alert_storm, ALERT_TARGETS["storm"]),
        ("incident path, alone", outcome.alone, TARGET_SECONDS),
        ("incident path, during the storm", outcome.storm, TARGET_SECONDS),
    ]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pages", type=int, default=20, help="page alerts alone, and again in the storm"
    )
    parser.add_argument(
        "--every", type=float, default=0.5, help="seconds between page alerts in the storm"
    )
    parser.add_argument("--compress", type=float, default=10.0)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--quick", action="store_true", help="5 pages, a 500-alert storm")
    parser.add_argument(
        "--background-load",
        action="store_true",
        help="a busy loop on every core while measuring (a host other work keeps busy)",
    )
    parser.add_argument(
        "--runs", type=int, default=1, help="runs in a row; prints the median of their p99s"
    )
    parser.add_argument(
        "--pager-process",
        nargs="?",
        const="on",
        default="auto",
        choices=("auto", "on", "off"),
        help="WARROOM_PAGER_PROCESS: its default (auto: on with PostgreSQL) unless given; "
        "bare --pager-process is on (PostgreSQL only)",
    )
    parser.add_argument(
        "--replicas", type=int, default=1, help="PostgreSQL: serve replicas sharing the database"
    )
    parser.add_argument(
        "--kill-mid-storm",
        action="store_true",
        help="with --replicas 2: SIGKILL the last replica (and its pager) halfway through",
    )
    parser.add_argument(
        "--settle", type=float, default=5.0, help="seconds to wait before counting pushes"
    )
    parser.add_argument(
        "--alert-only",
        action="store_true",
        help="also page an action: page route (no incident), the policy's first level a "
        "schedule; both paths reported",
    )
    parser.add_argument(
        "--trace", action="store_true", help="serve at DEBUG; the alone pages' stages printed"
    )
    args = parser.parse_args(argv)
    postgres = (args.database_url or "").startswith("postgres")
    if args.pager_process == "on" and not postgres:
        parser.error("--pager-process needs --database-url postgresql://... (one writer on SQLite)")
    if args.replicas > 1 and not postgres:
        parser.error("--replicas needs --database-url postgresql://... (one writer on SQLite)")
    if args.kill_mid_storm and args.replicas < 2:
        parser.error("--kill-mid-storm needs --replicas 2 or more (one must survive)")
    args.storm = (10, 5, 10) if args.quick else (100, 5, 10)  # groups, notifications, alerts each
    if args.quick:
        args.pages = 5
    return args


def main(argv: Sequence[str] | None = None) -> Outcome:
    args = parse_args(argv)
    cores = plan_cores()
    outcomes = []
    for run in range(1, args.runs + 1):
        with (
            run_database(args.database_url, run) as database_url,
            tempfile.TemporaryDirectory(prefix="warroom-bench-paging-") as tmp,
        ):
            run_args = argparse.Namespace(**{**vars(args), "database_url": database_url})
            outcomes.append(asyncio.run(benchmark(run_args, Path(tmp), cores)))
        if args.runs > 1 or database_url:
            made = (
                f" (database {make_url(database_url).database}, dropped after)"
                if database_url
                else ""
            )
            print(f"run {run} of {args.runs}{made}")
        for line in report(outcomes[-1]):
            print(line, flush=True)
    if args.runs > 1:
        for line in medians(outcomes):
            print(line)
    return outcomes[-1]


def medians(outcomes: Sequence[Outcome]) -> list[str]:
    """The median of the runs' p99s (and of their medians), alone and in the storm."""
    pager = "paging in a pager process" if outcomes[0].pager_process else "no pager process"
    lines = [f"median of {len(outcomes)} runs ({pager}):"]
    for index, (name, _, target) in enumerate(_series(outcomes[0])):
        runs = [values for outcome in outcomes if (values := _series(outcome)[index][1])]
        if not runs:
            lines.append(f"  {name}: no page arrived")
            continue
        p99s = [percentile(values, 0.99) for values in runs]
        middles = [statistics.median(values) for values in runs]
        p99 = statistics.median(p99s)
        bare = "bare_storm" if "storm" in name else "bare_alone"
        ratios = [
            percentile(values, 0.99) / percentile(getattr(outcome, bare), 0.99)
            for outcome in outcomes
            if (values := _series(outcome)[index][1]) and getattr(outcome, bare)
        ]
        beside = f"; {statistics.median(ratios):.1f}x the bare pager's p99" if ratios else ""
        lines.append(
            f"  {name}: p99 {p99 * 1e3:.0f} ms (runs: "
            + ", ".join(f"{v * 1e3:.0f}" for v in p99s)
            + f" ms), median {statistics.median(middles) * 1e3:.0f} ms "
            f"(target p99 <= {target * 1e3:.0f} ms: {'MET' if p99 <= target else 'NOT MET'})"
            + beside
        )
    for phase in ("alone", "storm"):
        bares = [percentile(v, 0.99) for o in outcomes if (v := getattr(o, f"bare_{phase}"))]
        if bares:
            lines.append(
                f"  the bare pager {phase}: p99 {statistics.median(bares) * 1e3:.0f} ms (runs: "
                + ", ".join(f"{v * 1e3:.0f}" for v in bares)
                + " ms)"
            )
    lost, doubled = sum(len(o.lost) for o in outcomes), sum(len(o.doubled) for o in outcomes)
    lines.append(f"  page alerts never pushed: {lost}; pushed twice or more: {doubled}")
    commands = [percentile(o.commands, 0.99) for o in outcomes if o.commands]
    if commands:
        lines.append(
            f"  slash commands during the storm: p99 {statistics.median(commands) * 1e3:.0f} ms "
            "(runs: " + ", ".join(f"{v * 1e3:.0f}" for v in commands) + " ms)"
        )
    lines.append(
        "  load averages before: " + ", ".join(f"{outcome.load[0]:.2f}" for outcome in outcomes)
    )
    return lines


@contextlib.contextmanager
def run_database(database_url: str | None, run: int) -> Iterator[str | None]:
    """The database run ``run`` uses: with ``--database-url``, a new, empty one on its server
    (``<name>_run<run>_<hex>``), dropped when the run ends; without, None (SQLite in the run's
    directory). SystemExit, saying why, when the server will not make one."""
    if database_url is None:
        yield None
        return
    server = make_url(database_url)
    prefix = f"{server.database or 'warroom_bench'}_run{run}"
    try:
        url = asyncio.run(new_database(database_url, prefix))
    except (OSError, SQLAlchemyError) as error:
        shown = server.render_as_string(hide_password=True)
        raise SystemExit(
            f"{PROG}: cannot make a new database for run {run} on {shown}'s server: {error}\n"
            "Each run needs one of its own: give --database-url a PostgreSQL server this role "
            "may CREATE DATABASE on (the database it names need not exist)."
        ) from error
    try:
        yield url
    finally:
        asyncio.run(drop_database(database_url, url))


if __name__ == "__main__":
    main()
