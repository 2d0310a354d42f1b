"""How long ``warroom mcp`` takes to answer ``initialize`` (issue 74: within 1 s), and its
first ``tools/list`` after it.

Each run spawns ``python -m bot mcp`` on a migrated SQLite database, writes ``initialize`` at
once and times the answer from the spawn (wall-clock, as the agent waiting for it sees it),
then ``notifications/initialized`` and ``tools/list``, timed from the spawn too; the process's
CPU time to the end comes from its rusage. Beside it, the same spawn to answer of the SDK's
bare server (an ``MCPServer`` with no tool, on the SDK's own stdio: what any server written
with the SDK pays before it can answer) and of ``python -c pass``. The figure is the median of
``--runs`` runs; the machine's load average before is printed, as other work on a shared
machine stretches wall-clock time, and so is the process's CPU time when its answer was read
(/proc), which that work does not inflate.

Run: ``python -m bench.mcp_start`` (``--runs N``, ``--quick``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.harness import REPO, verdict
from bot.store.db import create_engine
from bot.store.migrate import upgrade_database

TARGET_S = 1.0
BARE_SERVER = (
    "import anyio\n"
    "from mcp.server.mcpserver import MCPServer\n"
    "anyio.run(MCPServer(name='bare').run_stdio_async)\n"
)
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "bench", "version": "1"},
    },
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}
TOOLS = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}


@dataclass(frozen=True)
class Run:
    initialize: float  # seconds from the spawn to the answer
    cpu_at_answer: float  # the process's CPU seconds when the answer was read
    tools: float | None  # seconds from the spawn to tools/list's answer
    cpu: float  # the process's CPU seconds, start to end


def _send(process: subprocess.Popen[bytes], frame: dict[str, object]) -> None:
    assert process.stdin is not None
    process.stdin.write(json.dumps(frame).encode() + b"\n")
    process.stdin.flush()


def _answer(process: subprocess.Popen[bytes], ident: int) -> dict[str, object]:
    assert process.stdout is not None
    while True:
        line = process.stdout.readline()
        if not line:
            raise SystemExit(f"the server closed its output before answering {ident}")
        frame = json.loads(line)
        if frame.get("id") == ident:
            return dict(frame)


def one_run(argv: Sequence[str], env: dict[str, str], *, list_tools: bool) -> Run:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        list(argv),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
        env=env,
    )
    _send(process, INITIALIZE)
    answer = _answer(process, 1)
    answered = time.perf_counter() - started
    cpu_at_answer = cpu_of(process.pid)
    assert "result" in answer, answer
    tools = None
    if list_tools:
        _send(process, INITIALIZED)
        _send(process, TOOLS)
        _answer(process, 2)
        tools = time.perf_counter() - started
    assert process.stdin is not None
    process.stdin.close()
    process.wait(timeout=120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(answered, cpu_at_answer, tools, cpu)


def cpu_of(pid: int) -> float:
    """A running process's CPU seconds (user and system), from /proc (NaN without it)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def spawn_to_exit(argv: Sequence[str]) -> float:
    started = time.perf_counter()
    subprocess.run(list(argv), check=True, cwd=REPO)
    return time.perf_counter() - started


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade_database(engine)
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mcp_start")
    parser.add_argument("--runs", type=int, default=5, help="runs of each (default 5)")
    parser.add_argument("--quick", action="store_true", help="one run of each")
    args = parser.parse_args(argv)
    runs = 1 if args.quick else args.runs
    print(f"load average before: {load_average()} ({os.cpu_count()} CPUs)", flush=True)
    with tempfile.TemporaryDirectory(prefix="warroom-mcp-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'warroom.db'}"
        asyncio.run(_migrate(url))
        kept = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "WARROOM_"))}
        env = {**kept, "DATABASE_URL": url, "SLACK_BOT_TOKEN": "xoxb-bench-never-used"}
        warroom = [one_run([sys.executable, "-m", "bot", "mcp"], env, list_tools=True)]
        warroom += [
            one_run([sys.executable, "-m", "bot", "mcp"], env, list_tools=True)
            for _ in range(runs - 1)
        ]
        bare = [
            one_run([sys.executable, "-c", BARE_SERVER], env, list_tools=False) for _ in range(runs)
        ]
    python = [spawn_to_exit([sys.executable, "-c", "pass"]) for _ in range(runs)]
    print(f"load average after: {load_average()}")

    def median(values: Sequence[float]) -> float:
        return statistics.median(values)

    answered = median([r.initialize for r in warroom])
    listed = median([r.tools or 0.0 for r in warroom])
    print(
        f"warroom mcp: initialize answered {answered:.3f} s after the spawn (median of {runs}: "
        f"{', '.join(f'{r.initialize:.3f}' for r in warroom)}), its CPU by then "
        f"{median([r.cpu_at_answer for r in warroom]):.2f} s; tools/list {listed:.2f} s; "
        f"CPU {median([r.cpu for r in warroom]):.2f} s to the end"
    )
    print(
        f"the SDK's bare server (no tool): initialize answered "
        f"{median([r.initialize for r in bare]):.3f} s after the spawn, its CPU by then "
        f"{median([r.cpu_at_answer for r in bare]):.2f} s"
    )
    print(f"python -c pass: {median(python):.3f} s spawn to exit")
    print(
        f"initialize answered within {TARGET_S:.0f} s of the spawn: {verdict(answered <= TARGET_S)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
