"""``warroom mcp``'s answer to ``initialize``, given before anything heavy is imported.

The MCP SDK alone takes about 1.7 s of CPU to import (its protocol types are pydantic models
built at import), and warroom's settings, database layer and tools as much again: a client
waiting for the handshake waited all of it (docs/agents.md: 1 s at most). So the command reads the
client's opening frames from standard input itself, with the standard library alone, and when
the first request is ``initialize`` answers it here, as the SDK would: the server's name, its
instructions, its capabilities and the protocol version negotiated the SDK's way (the version
asked for if the SDK speaks it through the handshake, else its newest). Then it imports the
rest, and every frame read here is replayed to the SDK's server, ``initialize`` included, so
the SDK's session is set up exactly as if it had read them itself; its own answer to that
``initialize`` is compared with this one and dropped (bot/admin/agents/agents.py).

Anything else as the first request (the 2026-07-28 protocol's enveloped requests, a malformed
``initialize``, garbage) is left for the SDK to answer. tests/agents/test_mcp_stdio.py holds
these answers equal to the SDK's, for every protocol version, and this module free of heavy
imports.

Standard library only: importing it must stay cheap (``bot.web`` and ``bot.web.agents``
import nothing on their own).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

SERVER_NAME = "warroom"
INSTRUCTIONS = (
    "warroom keeps the record of incidents: what was said and decided, when, by whom, who is "
    "on call. Read with list_incidents, get_incident, get_timeline (entries cite as E42), "
    "get_postmortem, who_is_on_call, get_schedule, list_follow_ups, related_incidents, and "
    "list_alerts and get_alert (alerts that page without an incident), list_services, "
    "list_changes (deploys, flags, configuration: what changed on a service, newest first). "
    "propose_finding offers sentences for a section of the postmortem draft, each citing the "
    "entries it rests on, and propose_timeline_note a timeline entry at a time: warroom checks "
    "each one as it checks its model's, and a person accepts what is kept. Nothing here "
    "changes an incident's status, severity, roles or escalations, its postmortem's review "
    "state, nor on call."
)
# What the SDK's MCPServer declares in its `initialize` answer: it registers the prompts',
# resources' and tools' handlers, none of them announcing changes.
CAPABILITIES: dict[str, Any] = {
    "prompts": {"listChanged": False},
    "resources": {"listChanged": False, "subscribe": False},
    "tools": {"listChanged": False},
}
# The versions the SDK negotiates through `initialize`, oldest first
# (mcp_types.version.HANDSHAKE_PROTOCOL_VERSIONS, which cannot be imported without the SDK's
# types: the tests compare them).
HANDSHAKE_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
# Frames read ahead of the first request at most (the SDK keeps as many for its replay).
AHEAD_MAX = 8
CHUNK = 65536


@dataclass(frozen=True)
class Opening:
    """What was read from standard input before the SDK: ``read``, every byte of it (whole
    lines), for the SDK to read first; the id of the ``initialize`` answered here and the
    result given, or None when it was left to the SDK."""

    read: bytes
    answered: int | str | None = None
    result: dict[str, Any] | None = None

    def lines(self) -> list[bytes]:
        return [line for line in self.read.splitlines() if line.strip()]


def initialize_result(params: dict[str, Any]) -> dict[str, Any]:
    """The result of ``initialize`` with these params, as the SDK answers it."""
    asked = params["protocolVersion"]
    return {
        "capabilities": CAPABILITIES,
        "instructions": INSTRUCTIONS,
        "protocolVersion": asked if asked in HANDSHAKE_VERSIONS else HANDSHAKE_VERSIONS[-1],
        "serverInfo": {"name": SERVER_NAME, "version": ""},
    }


def _answerable(frame: Any) -> bool:
    """Whether ``frame`` is an ``initialize`` request whose params the SDK accepts as they
    are checked here (their required fields and kinds); any doubt leaves it to the SDK."""
    if not isinstance(frame, dict) or frame.get("jsonrpc") != "2.0":
        return False
    ident = frame.get("id")
    if frame.get("method") != "initialize" or isinstance(ident, bool):
        return False
    params = frame.get("params")
    if not isinstance(ident, int | str) or not isinstance(params, dict):
        return False
    client = params.get("clientInfo")
    return (
        isinstance(params.get("protocolVersion"), str)
        and isinstance(params.get("capabilities"), dict)
        and isinstance(client, dict)
        and isinstance(client.get("name"), str)
        and isinstance(client.get("version"), str)
    )


def _is_request(frame: Any) -> bool:
    return isinstance(frame, dict) and "method" in frame and "id" in frame


def answer_initialize(stdin: int = 0, stdout: int = 1) -> Opening:
    """Read the client's frames up to its first request; answer it on ``stdout`` when it is
    ``initialize`` (see the module's docstring). Reads whole lines only: what follows them is
    left on ``stdin`` for the SDK."""
    read = b""
    frames = 0
    while True:
        chunk = os.read(stdin, CHUNK)
        if not chunk:  # the client left: the SDK reads the end of the stream too
            return Opening(read)
        read += chunk
        *whole, _partial = read.split(b"\n")
        for line in whole[frames:]:
            frames += 1
            if not line.strip():
                continue
            try:
                frame = json.loads(line)
            except ValueError:
                return Opening(_to_line_end(read, stdin))
            if _answerable(frame):
                result = initialize_result(frame["params"])
                answer = {"jsonrpc": "2.0", "id": frame["id"], "result": result}
                _write(stdout, json.dumps(answer, separators=(",", ":")).encode() + b"\n")
                return Opening(_to_line_end(read, stdin), frame["id"], result)
            if _is_request(frame) or frames >= AHEAD_MAX:
                return Opening(_to_line_end(read, stdin))


def _to_line_end(read: bytes, stdin: int) -> bytes:
    """``read`` with the rest of its last line (a client writes a frame whole, so the rest is
    on its way): the SDK reads lines, and half of one would be two frames to it."""
    while read and not read.endswith(b"\n"):
        chunk = os.read(stdin, CHUNK)
        if not chunk:
            break
        read += chunk
    return read


def _write(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data) :]
