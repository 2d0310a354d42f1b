"""``warroom serve`` as a real process of its own, for tests that stop, kill or race it (and the
environment it is given); ``warroom`` commands and the benchmarks, each run as its own process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from bench.harness import free_port
from bot import server
from emulator import SlackEmulator

REPO = Path(__file__).resolve().parents[2]


def run_warroom(
    *args: str, env: dict[str, str] | None = None, cwd: Path = REPO, clean: bool = False
) -> subprocess.CompletedProcess[str]:
    """``python -m bot ARGS`` to its end; ``clean``: none of the caller's warroom settings."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not (clean and key.startswith(("SLACK_", "WARROOM_", "DATABASE_URL")))
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**inherited, **(env or {})},
    )


@dataclass
class ServedBot:
    process: asyncio.subprocess.Process
    url: str
    log: Path

    @property
    def events_url(self) -> str:
        return f"{self.url}/slack/events"

    def output(self) -> str:
        return self.log.read_text()[-4000:]


@asynccontextmanager
async def serve(
    env: dict[str, str],
    log: Path,
    *,
    stop: signal.Signals = signal.SIGKILL,
    port: int | None = None,
) -> AsyncIterator[ServedBot]:
    """``warroom serve`` until the block ends (then sent ``stop``, if the test did not stop it).

    ``port`` is for a test whose configuration names the address first (WARROOM_PUBLIC_URL).
    """
    port = port or free_port()
    with log.open("w") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            # Its pager's /metrics on a port of its own: tests running side by side each start
            # one (PostgreSQL), and a port taken is an ERROR in the log a test reads.
            env={**os.environ, "WARROOM_PAGER_METRICS_PORT": str(free_port()), **env},
            stdout=output,
            stderr=output,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        await until_healthy(url, process, log)
        yield ServedBot(process, url, log)
    finally:
        if process.returncode is None:
            process.send_signal(stop)
            await asyncio.wait_for(process.wait(), timeout=15)


# What a SIGTERM'd process may take: its shutdown is designed to end within 10 s (7 s of
# grace for work in flight, then the database closed), and whatever it waits on, its watchdog
# ends it at bot.server.HARD_STOP_SECONDS (a second more here for this test's own measure, on
# a loaded machine). A shutdown that needed the watchdog leaves every thread's stack in the log.
EXIT_LIMIT = server.HARD_STOP_SECONDS + 1.0


async def terminate(bot: ServedBot) -> float:
    """SIGTERM; how long the process took to exit (it must, with status 0)."""
    started = time.monotonic()
    bot.process.send_signal(signal.SIGTERM)
    try:
        code = await asyncio.wait_for(bot.process.wait(), timeout=EXIT_LIMIT + 5)
    except TimeoutError:
        pytest.fail(f"still running {EXIT_LIMIT + 5:.0f} s after SIGTERM: {bot.output()}")
    took = time.monotonic() - started
    assert code == 0, bot.output()
    assert took < EXIT_LIMIT, f"exited {took:.1f} s after SIGTERM"
    return took


# Generous: it costs nothing when the process is up sooner, and on a machine the suite's
# workers keep busy, starting Python and migrating a fresh PostgreSQL database took over 30 s.
HEALTHY_WITHIN = 90.0


async def until_healthy(url: str, process: asyncio.subprocess.Process, log: Path) -> None:
    deadline = time.monotonic() + HEALTHY_WITHIN
    async with aiohttp.ClientSession() as client:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                pytest.fail(f"warroom serve exited: {log.read_text()}")
            try:
                async with client.get(f"{url}/livez") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    pytest.fail(f"warroom serve never became healthy: {log.read_text()}")


def bot_env(slack: SlackEmulator, database_url: str, slack_api_url: str = "") -> dict[str, str]:
    """The environment of a ``warroom serve`` talking to ``slack`` (or ``slack_api_url``)."""
    return {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": slack.signing_secret,
        "SLACK_API_URL": slack_api_url or slack.base_url,
        "DATABASE_URL": database_url,
        "WARROOM_SCHEDULER_INTERVAL": "0.2",
        "PYTHONUNBUFFERED": "1",
    }


# slack_sdk and aiohttp in a benchmark's process would send loopback through them.
PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY")


def run_bench(
    module: str, *args: str, timeout: float = 120, quick: bool = True
) -> subprocess.CompletedProcess[str]:
    """``python -m MODULE [--quick] ARGS`` from the repository, to its end within ``timeout``."""
    env = {k: v for k, v in os.environ.items() if k not in PROXIES}
    return subprocess.run(
        [sys.executable, "-m", module, *(["--quick"] if quick else []), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# What a benchmark's ``--quick`` run may take: most of it is starting ``warroom serve`` (and
# its pager, migrations, a bare server beside it), which took over 60 s on the shared 2-core
# machine at a load of 10 and more (bench/RESULTS.md), and a benchmark waits up to 240 s
# for a server to be ready (``bench.harness.Server.wait_ready``) before it says so.
QUICK_SECONDS = 600.0


def run_quick(module: str) -> str:
    """A benchmark's ``--quick`` run, which must succeed; what it printed."""
    done = run_bench(module, timeout=QUICK_SECONDS)
    assert done.returncode == 0, f"{module} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout
