"""``warroom serve`` as a real process of its own, for tests that stop, kill or race it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from bench.harness import free_port

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
            env={**os.environ, **env},
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


async def until_healthy(url: str, process: asyncio.subprocess.Process, log: Path) -> None:
    async with aiohttp.ClientSession() as client:
        for _attempt in range(300):
            if process.returncode is not None:
                pytest.fail(f"warroom serve exited: {log.read_text()}")
            try:
                async with client.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    pytest.fail(f"warroom serve never became healthy: {log.read_text()}")
