"""The end of ``warroom demo``: an agent, the MCP SDK's own client on the demo's ``/mcp`` with a
token the demo makes as an operator would (``warroom tokens create --name triage-bot --scope
propose``), reads the new incident, asks for related ones, and proposes a finding: one
sentence citing the entry it rests on. Carol accepts it in the channel (bot/admin/demo/demo.py: only
it imports the emulator).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.record.agents import tokens
from bot.store.db import session_scope

AGENT = "triage-bot"
# The sentence the agent proposes for the draft's lessons, and the words of the entry it cites
# (found in the timeline the agent reads).
PROPOSED = "Every supported card type needs an integration test."
CITED = "add an integration test for every supported card type"


async def agent_proposes(
    engine: AsyncEngine, now: Callable[[], datetime], url: str
) -> dict[str, Any]:
    """The agent's session: what it read and what its proposal became."""
    async with session_scope(engine) as session:
        _, token = await tokens.create(
            session, name=AGENT, scope="propose", private=False, expires_days=1, now=now()
        )
        await session.commit()
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with (
        http,
        streamable_http_client(f"{url}/mcp", http_client=http) as (read, write, *_),
        ClientSession(read, write) as mcp,
    ):
        await mcp.initialize()
        tools = [tool.name for tool in (await mcp.list_tools()).tools]
        newest = (await _call(mcp, "list_incidents", per_page=1))["items"][0]["reference"]
        incident = await _call(mcp, "get_incident", reference=newest)
        related = await _call(mcp, "related_incidents", reference=newest)
        timeline = await _call(mcp, "get_timeline", reference=newest, per_page=200)
        cite = next(e["ref"] for e in timeline["entries"] if CITED in (e.get("text") or ""))
        proposed = await _call(
            mcp,
            "propose_finding",
            reference=newest,
            section="lessons",
            sentences=[{"text": PROPOSED, "cites": [cite]}],
        )
    return {
        "tools": tools,
        "incident": incident,
        "related": related,
        "entries": len(timeline["entries"]),
        "cite": cite,
        "proposed": proposed,
    }


async def _call(mcp: ClientSession, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await mcp.call_tool(tool, arguments)
    said = " ".join(getattr(each, "text", "") for each in result.content)
    if result.is_error or not isinstance(result.structured_content, dict):
        raise RuntimeError(f"the demo's agent was refused {tool}: {said}")
    return result.structured_content
