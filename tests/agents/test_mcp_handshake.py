"""``warroom mcp`` answers ``initialize`` before it imports the SDK, the settings and the tools
(within 1 s; bot/web/agents/handshake.py), and answers it as the SDK would.

The time itself is measured by ``python -m bench.mcp_start`` (speed is measured in
benchmarks, not timed tests); here, what is imported by then: the command runs in a process
whose import system stops it at the first heavy module and says whether the answer had been
written by then (the answer is read from a pipe, so "before" is an order, not a race).
The SDK's own answer comes from the server ``build_server`` makes, fed the same request over
memory streams, for every protocol version the SDK negotiates and for versions it does not.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any, cast

import anyio
import mcp_types
import pytest
from mcp.shared.message import SessionMessage
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, LATEST_PROTOCOL_VERSION

from bot.record.agents.tokens import OPERATOR
from bot.web.agents.handshake import HANDSHAKE_VERSIONS, answer_initialize, initialize_result
from bot.web.agents.server import RateLimit, build_server
from bot.web.agents.tools import Tools
from tests.helpers.processes import REPO

# What must not be imported before the answer: the SDK and its types, asyncio, the database
# layer, the HTTP stack, the settings, and warroom's features, tools and pages.
HEAVY = (
    "mcp",
    "mcp_types",
    "pydantic",
    "anyio",
    "asyncio",
    "sqlalchemy",
    "sqlmodel",
    "aiohttp",
    "slack_sdk",
    "bot.config",
    "bot.store",
    "bot.record",
    "bot.clients",
    "bot.flows",
    "bot.app",
    "bot.web.routes",
    "bot.web.agents.server",
    "bot.web.agents.tools",
)


def initialize(version: str = "2025-11-25", ident: int | str = 1) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": ident,
        "method": "initialize",
        "params": {
            "protocolVersion": version,
            "capabilities": {},
            "clientInfo": {"name": "test", "version": "1"},
        },
    }


PROBE = """
import json, os, sys
heavy, request = json.loads(sys.argv[1]), sys.argv[2]
report = os.dup(1)
answers, command_out = os.pipe()
command_in, asks = os.pipe()
os.write(asks, request.encode() + b"\\n")
os.dup2(command_in, 0)
os.dup2(command_out, 1)
os.set_blocking(answers, False)

class FirstHeavy:
    def find_spec(self, name, path=None, target=None):
        if any(name == h or name.startswith(h + ".") for h in heavy):
            try:
                answered = os.read(answers, 1 << 20).decode()
            except BlockingIOError:
                answered = ""
            os.write(report, json.dumps({"first": name, "answered": answered}).encode())
            os._exit(0)
        return None

sys.meta_path.insert(0, FirstHeavy())
from bot.cli import main
main(["mcp"])
"""


def test_warroom_mcp_answers_initialize_before_importing_anything_heavy() -> None:
    request = initialize("2025-06-18", ident="first")
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(HEAVY), json.dumps(request)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={**os.environ, "DATABASE_URL": "sqlite:///never-opened.db"},
        timeout=120,
    )
    seen = json.loads(done.stdout)
    assert seen["answered"], f"{seen['first']} was imported before initialize was answered"
    answer = json.loads(seen["answered"])
    assert answer["id"] == "first" and answer["result"]["protocolVersion"] == "2025-06-18"
    assert answer["result"]["serverInfo"]["name"] == "warroom"


async def sdk_answer(request: dict[str, Any]) -> dict[str, Any]:
    """What the SDK's server (every tool of build_server's) answers to ``request``."""
    server = build_server(
        Tools(cast(Any, None)), caller_of=lambda _ctx: OPERATOR, limit=RateLimit(1, None)
    )
    lowlevel = server._lowlevel_server
    to_server, reads = anyio.create_memory_object_stream[SessionMessage | Exception](1)
    writes, from_server = anyio.create_memory_object_stream[SessionMessage](1)
    message = mcp_types.jsonrpc_message_adapter.validate_python(request)
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(lowlevel.run, reads, writes, lowlevel.create_initialization_options())
        await to_server.send(SessionMessage(message))
        answer = await from_server.receive()
        await to_server.aclose()
    return answer.message.model_dump(by_alias=True, mode="json", exclude_none=True)


def test_the_handshake_speaks_the_versions_the_sdk_negotiates() -> None:
    assert HANDSHAKE_VERSIONS == HANDSHAKE_PROTOCOL_VERSIONS


@pytest.mark.parametrize(
    "version", [*HANDSHAKE_PROTOCOL_VERSIONS, LATEST_PROTOCOL_VERSION, "2099-01-01", "1.0"]
)
async def test_the_handshake_answers_initialize_as_the_sdk_does(version: str) -> None:
    request = initialize(version, ident=7)
    sdk = await sdk_answer(request)
    assert sdk == {"jsonrpc": "2.0", "id": 7, "result": initialize_result(request["params"])}


def _answered(frames: list[Any], tmp_path: Any) -> tuple[Any, bytes, bytes]:
    """``answer_initialize`` on ``frames`` written ahead: what it kept and what it wrote."""
    stdin = tmp_path / "in"
    raw = [f if isinstance(f, bytes) else json.dumps(f).encode() for f in frames]
    stdin.write_bytes(b"".join(line + b"\n" for line in raw))
    stdout = tmp_path / "out"
    with stdin.open("rb") as reading, stdout.open("wb") as writing:
        opening = answer_initialize(reading.fileno(), writing.fileno())
    return opening, stdout.read_bytes(), stdin.read_bytes()


def test_frames_before_and_after_initialize_are_kept_for_the_sdk(tmp_path: Any) -> None:
    ping = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 0}}
    listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
    opening, written, sent = _answered([ping, initialize(ident=1), listing], tmp_path)
    assert opening.read == sent and len(opening.lines()) == 3
    assert opening.answered == 1
    assert json.loads(written) == {"jsonrpc": "2.0", "id": 1, "result": opening.result}


@pytest.mark.parametrize(
    "first",
    [
        {"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}},
        {"jsonrpc": "2.0", "id": True, "method": "initialize", "params": initialize()["params"]},
        b"not JSON",
    ],
    ids=["another request", "no version", "a boolean id", "garbage"],
)
def test_anything_else_is_left_to_the_sdk(first: Any, tmp_path: Any) -> None:
    opening, written, sent = _answered([first, initialize(ident=2)], tmp_path)
    assert written == b"" and opening.answered is None and opening.result is None
    assert opening.read == sent


def test_pipelined_frames_get_one_answer_each_from_the_running_command(sqlite_url: str) -> None:
    """initialize, initialized and tools/list written at once, before any answer is read:
    the handshake answers the first, the SDK (replayed all three) the last, and its own answer
    to initialize is dropped, equal to the handshake's (else it says so on stderr)."""
    frames = [
        initialize(ident=1),
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ]
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "WARROOM_"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "mcp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**kept, "DATABASE_URL": sqlite_url, "SLACK_BOT_TOKEN": "xoxb-never-used"},
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("".join(json.dumps(f) + "\n" for f in frames))
    process.stdin.flush()
    # Both answers read before standard input closes (the SDK stops at its end, as on any
    # transport, and may drop a request still running then).
    answers = [json.loads(process.stdout.readline()) for _ in range(2)]
    rest, errors = process.communicate(timeout=180)  # closes standard input
    assert process.returncode == 0, errors
    assert rest == ""
    assert [a["id"] for a in answers] == [1, 2], answers
    assert answers[0]["result"]["instructions"].startswith("warroom keeps the record")
    assert len(answers[1]["result"]["tools"]) >= 10
    assert "otherwise than handshake.py" not in errors, errors


def test_without_database_url_warroom_mcp_says_so_before_answering_initialize() -> None:
    """The client is not answered ``initialize`` by a server that then exits: the command
    says what is missing and exits before reading a frame."""
    kept = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "WARROOM_", "DATABASE_URL"))
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "mcp"],
        input=json.dumps(initialize(ident=1)) + "\n",
        capture_output=True,
        text=True,
        cwd=REPO,
        env=kept,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stdout == "", "no initialize answered"
    assert "DATABASE_URL is not set, and `warroom mcp` reads warroom's database" in done.stderr
