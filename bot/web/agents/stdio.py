"""``warroom mcp``'s transport: the SDK's own stdio transport (it claims standard input and
output, so stray prints go to standard error), with the frames the handshake read
(handshake.py) replayed ahead of the rest, and the SDK's answer to the ``initialize`` the
handshake already answered compared with that answer and dropped: the client gets one answer
per request, and the SDK's session is set up from the client's own ``initialize``."""

from __future__ import annotations

import logging
from typing import Any

import anyio
import mcp_types
from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage

from bot.web.agents.handshake import Opening

log = logging.getLogger(__name__)


async def serve_stdio(server: MCPServer, opening: Opening) -> None:
    """Serve ``server`` on standard input and output until the client closes them."""
    lowlevel = server._lowlevel_server  # what MCPServer.run_stdio_async serves
    async with stdio_server() as (stdin, stdout):
        to_server, server_reads = anyio.create_memory_object_stream[SessionMessage | Exception](0)
        server_writes, from_server = anyio.create_memory_object_stream[SessionMessage](0)

        async def replay_then_relay() -> None:
            async with to_server:
                for line in opening.lines():
                    try:
                        message = mcp_types.jsonrpc_message_adapter.validate_json(
                            line, by_name=False
                        )
                    except Exception as error:  # as the SDK's stdin reader passes it on
                        await to_server.send(error)
                        continue
                    await to_server.send(SessionMessage(message))
                async for item in stdin:
                    await to_server.send(item)

        async def answer() -> None:
            pending = opening.answered
            async with stdout, from_server:
                async for sent in from_server:
                    said = sent.message
                    if pending is not None and getattr(said, "id", None) == pending:
                        pending = None
                        _compare(opening, said.model_dump(by_alias=True, mode="json"))
                        continue
                    await stdout.send(sent)

        async with anyio.create_task_group() as answering:
            # Ends when the server closes its end (it does when it stops): every answer out.
            answering.start_soon(answer)
            async with anyio.create_task_group() as reading:
                reading.start_soon(replay_then_relay)
                options = lowlevel.create_initialization_options()
                await lowlevel.run(server_reads, server_writes, options)
                reading.cancel_scope.cancel()
            await server_writes.aclose()


def _compare(opening: Opening, sdk: dict[str, Any]) -> None:
    """Say so when the SDK answered ``initialize`` otherwise than the handshake did (a newer
    SDK: handshake.py's constants are to be brought up to date)."""
    if sdk.get("result") != opening.result:
        log.warning(
            "mcp: the SDK answers initialize otherwise than handshake.py did: %s, not %s",
            sdk.get("result", sdk.get("error")),
            opening.result,
        )
