"""What the benchmarks share: server subprocesses pinned to a core, /proc readings, figures.

The servers under test run as separate processes (``warroom serve``, the bare Bolt app), as
in production; the Slack emulator and the load run in the benchmark's own process, on the
other cores when there are any, so that the load is not taken from the server's core.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import json
import math
import os
import platform
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import yaml

from emulator import SlackEmulator

REPO = Path(__file__).resolve().parent.parent
# slack_sdk copies HTTP(S)_PROXY into its clients and ignores NO_PROXY: loopback must not proxy.
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# -- cores -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cores:
    """Which CPUs the servers and the load get; ``pinned`` False when affinity is unavailable."""

    server: frozenset[int]
    load: frozenset[int]
    pinned: bool

    def describe(self) -> str:
        if not self.pinned:
            return "servers not pinned (os.sched_setaffinity unavailable): figures are not per core"
        shared = " (shared with the load: only one CPU)" if self.server & self.load else ""
        return (
            f"each server pinned to CPU {_cpus(self.server)}{shared}; "
            f"emulator and load on CPU {_cpus(self.load)}"
        )


def _cpus(cpus: frozenset[int]) -> str:
    return ",".join(str(c) for c in sorted(cpus))


@functools.cache
def plan_cores() -> Cores:
    """One core for the server under test, the others for this process (pinned at once;
    the same plan for every benchmark of the process)."""
    if not hasattr(os, "sched_setaffinity"):
        return Cores(frozenset(), frozenset(), pinned=False)
    try:
        available = sorted(os.sched_getaffinity(0))
        server = frozenset(available[:1])
        load = frozenset(available[1:]) or server
        os.sched_setaffinity(0, load)
    except OSError:
        return Cores(frozenset(), frozenset(), pinned=False)
    return Cores(server, load, pinned=True)


# -- the load's own pauses ----------------------------------------------------------------
@dataclass
class LoadPauses:
    """How late this process's event loop woke from 1 ms sleeps during a measured run: a
    pause here delays every request due meanwhile, and counts as the server's latency."""

    longest: float = 0.0


@contextlib.asynccontextmanager
async def steady_load() -> AsyncIterator[LoadPauses]:
    """A measured run without this process's garbage collector, its pauses watched.

    The load process holds every pre-built request, and a full collection of its heap paused
    its event loop for 80 to 120 ms in the middle of runs (seen in bench.ingestion's fixed-rate
    runs, against warroom and bare Bolt alike): the requests due meanwhile went out late, and
    that wait was the p99 either server was charged with. A run's garbage is collected after
    it.
    """
    pauses = LoadPauses()
    gc.collect()
    gc.disable()

    async def watch() -> None:
        while True:
            began = time.perf_counter()
            await asyncio.sleep(0.001)
            pauses.longest = max(pauses.longest, time.perf_counter() - began - 0.001)

    watcher = asyncio.create_task(watch())
    try:
        yield pauses
    finally:
        watcher.cancel()
        gc.enable()


# -- server processes --------------------------------------------------------------------
def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on, for a server started next.

    Picked at random below the kernel's ephemeral range and bound once to check it is free.
    A port the kernel handed out for ``bind(0)`` would be handed out again: the Slack emulator
    of a test running beside this one (it binds port 0) could take it before the server
    starts, and answer the server's health check with its own 404.
    """
    low = _lowest_ephemeral_port()
    for _attempt in range(100):
        port = random.randrange(max(1024, low - 20000), low)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise OSError("no free port below the ephemeral range")


def _lowest_ephemeral_port() -> int:
    """Where the kernel's range for ``bind(0)`` and outgoing connections starts (Linux's
    default if unread)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def slack_env(slack: SlackEmulator, **extra: str) -> dict[str, str]:
    """The environment of a server that talks to ``slack``: tokens, signing secret, API URL."""
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
    env.update(
        SLACK_BOT_TOKEN=slack.bot_token,
        SLACK_SIGNING_SECRET=slack.signing_secret,
        SLACK_API_URL=slack.base_url,
        SKIP_SLACK_SDK_WARNING="1",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def settings_files(workdir: Path, documents: Mapping[str, object]) -> dict[str, str]:
    """Each settings file a server reads (``WARROOM_ALERT_ROUTES``: its document) written as
    YAML in ``workdir``; the environment naming them."""
    env = {}
    for variable, document in documents.items():
        path = workdir / f"{variable.lower()}.yaml"
        path.write_text(yaml.safe_dump(document))
        env[variable] = str(path)
    return env


class Server:
    """A server subprocess (pinned to ``cores`` when it can be) whose /proc entry we read."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        env: Mapping[str, str],
        log_path: Path,
        cores: Cores,
        cwd: Path = REPO,
    ) -> None:
        """``cwd``: the checkout it runs from (another one's, for an A/B)."""
        self.name = name
        self.log_path = log_path
        self._log = log_path.open("wb")
        pin = sorted(cores.server) if cores.pinned else None

        def pin_child() -> None:  # in the child, before exec: every thread it starts inherits it
            if pin is not None:
                os.sched_setaffinity(0, pin)

        self.process = subprocess.Popen(
            list(argv),
            env=dict(env),
            cwd=cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=pin_child,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    async def wait_ready(self, url: str, timeout: float = 240.0) -> None:
        """Poll ``url`` (a /healthz) until it answers 200: any other answer may be another
        server's on the same port (a 404 once passed for ready, bench/RESULTS.md). Up to 4
        minutes: on a shared machine at a load of 10 and more, serve and its pager process took
        over 60 s to import and start (bench/RESULTS.md, 28 November)."""
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession(trust_env=False) as session:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited at start:\n{self.log_tail()}")
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    async with session.get(url) as answer:
                        if answer.status == 200:
                            return
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.name} not ready after {timeout:.0f} s")
                await asyncio.sleep(0.1)

    def status(self) -> dict[str, int]:
        """VmRSS, VmHWM… of /proc/<pid>/status in KiB."""
        values: dict[str, int] = {}
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                key, _, rest = line.partition(":")
                if rest.strip().endswith("kB"):
                    values[key] = int(rest.split()[0])
        return values

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process, all threads."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return math.nan
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def log_tail(self, lines: int = 30) -> str:
        self._log.flush()
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def log_problems(self) -> str:
        """How many warnings and errors the server logged, and the distinct messages."""
        self._log.flush()
        counts: Counter[str] = Counter()
        seen: Counter[str] = Counter()
        with contextlib.suppress(OSError):
            for line in self.log_path.read_text(errors="replace").splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    continue  # not one of warroom's JSON lines (a traceback's continuation)
                level = record.get("level") if isinstance(record, dict) else None
                if level in ("WARNING", "ERROR", "CRITICAL"):
                    counts[level] += 1
                    message = re.sub(r"\d+", "N", str(record.get("message")))[:120]
                    seen[f"{level} {record.get('logger')}: {message}"] += 1
        if not counts:
            return f"{self.name} log: no warnings or errors"
        tally = ", ".join(
            f"{n} {level.lower()}{'' if n == 1 else 's'}" for level, n in sorted(counts.items())
        )
        kinds = "; ".join(f"{n} x {text}" for text, n in seen.most_common(4))
        return f"{self.name} log: {tally} ({kinds})"

    def kill(self) -> None:
        """SIGKILL the server and every process it started (serve's pager process): a
        machine lost mid-storm, nothing given a chance to finish."""
        for pid in [*_descendants(self.pid), self.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait()

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout``; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode


def _descendants(pid: int) -> list[int]:
    """The processes ``pid`` started, and theirs (/proc's ``children`` of each thread)."""
    found: list[int] = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            for child in children.read_text().split():
                found += [*_descendants(int(child)), int(child)]
    return found


class MemorySampler:
    """Samples a server's VmRSS in the background; ``peak_kib`` is the largest seen."""

    def __init__(self, server: Server, interval: float = 0.1) -> None:
        self.server = server
        self.interval = interval
        self.samples: list[int] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            rss = self.server.status().get("VmRSS")
            if rss is not None:
                self.samples.append(rss)
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @property
    def peak_kib(self) -> int:
        return max(self.samples, default=0)


# -- figures -----------------------------------------------------------------------------
def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` 0.99 = p99); NaN when there are no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def verdict(met: bool) -> str:
    return "MET" if met else "NOT MET"


@dataclass
class Machine:
    """Where the figures come from."""

    cpu: str
    cores: int
    ram_gib: float
    python: str
    sqlite: str
    system: str
    extra: dict[str, str] = field(default_factory=dict)

    def lines(self) -> Iterator[str]:
        yield f"CPU: {self.cpu}, {self.cores} cores"
        yield f"RAM: {self.ram_gib:.1f} GiB"
        yield f"Python {self.python}, SQLite {self.sqlite}, {self.system}"
        for key, value in self.extra.items():
            yield f"{key}: {value}"


def machine() -> Machine:
    cpu = platform.processor() or "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = math.nan
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) / 1024 / 1024
    return Machine(
        cpu=cpu,
        cores=os.cpu_count() or 0,
        ram_gib=ram,
        python=platform.python_version(),
        sqlite=sqlite3.sqlite_version,
        system=f"{platform.system()} {platform.release()}",
    )


def python() -> str:
    """The interpreter the servers run under: this one."""
    return sys.executable
