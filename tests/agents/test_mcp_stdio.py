"""``warroom mcp``: the same tools on stdio, as the operator, driven by the MCP SDK's own stdio
client (it starts ``python -m bot mcp`` and speaks JSON-RPC on its standard input and output,
https://modelcontextprotocol.io/specification, "Transports", stdio). The process reads the
database of a warroom running against the Slack emulator; a proposal it keeps is posted to
the channel, accepted there by Carol, and is in the draft."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from bot.basics.slack_ids import SuggestionMessage
from bot.config.ai import AISettings
from emulator import SlackEmulator
from emulator.openai_chat import FakeChatModel
from tests.agents.test_agents_manual import schemas_in_manual
from tests.conftest import CAROL
from tests.helpers.incidents import settle
from tests.helpers.processes import REPO
from tests.postmortem.test_suggestions import Played, _suggestion_id, play


@pytest.fixture
async def played(
    people: SlackEmulator, sqlite_url: str, model: FakeChatModel
) -> AsyncIterator[Played]:
    async for each in play(people, sqlite_url, model, private=True, ai=AISettings()):
        yield each


def operator(played: Played, database_url: str) -> StdioServerParameters:
    """``warroom mcp`` with the running warroom's database and Slack."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "WARROOM_"))}
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "bot", "mcp"],
        cwd=REPO,
        env={
            **kept,
            "DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": played.slack.bot_token,
            "SLACK_API_URL": played.slack.base_url,
        },
    )


async def call(session: ClientSession, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await session.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict)
    return result.structured_content


async def test_the_operator_reads_a_private_incident_and_proposes_on_stdio(
    played: Played, sqlite_url: str
) -> None:
    async with (
        stdio_client(operator(played, sqlite_url)) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        listed = (await session.list_tools()).tools
        # The same tools and schemas as over HTTP, as the manual shows them.
        manual = schemas_in_manual()
        assert {tool.name for tool in listed} == set(manual)
        for tool in listed:
            assert (tool.input_schema, tool.output_schema) == manual[tool.name], tool.name
        # The operator sees private incidents.
        incident = await call(session, "get_incident", reference="INC-1")
        assert incident["private"] is True
        timeline = await call(session, "get_timeline", reference="INC-1", kind=["root_cause"])
        assert timeline["entries"], timeline
        bulb = next(e["ref"] for e in timeline["entries"] if "gw-2.14.1 at 03:20" in e["text"])
        proposed = await call(
            session,
            "propose_finding",
            reference="INC-1",
            section="underlying_issue",
            sentences=[
                {"text": "The 03:20 release broke card validation.", "cites": [bulb]},
                {"text": "About 40% of payments failed.", "cites": [bulb]},
            ],
        )
        assert [s["text"] for s in proposed["kept"]] == ["The 03:20 release broke card validation."]
        assert [r["why"][0]["rule"] for r in proposed["refused"]] == ["percentage"]

        await played.slack.drain()
        message = next(m for m in played.channel.messages if "Proposed by operator" in m.text)
        suggestion = _suggestion_id(message, "Underlying issue")
        await played.press(message, SuggestionMessage.ACCEPT, suggestion, CAROL)
        await settle(played.warroom)

        draft = await call(session, "get_postmortem", reference="INC-1")
        # A timeline note too, on stdio: shown in the channel for a person to accept.
        note = await call(
            session,
            "propose_timeline_note",
            reference="INC-1",
            text="The 03:20 release broke card validation.",
            at=timeline["entries"][0]["at"],
            cites=[bulb],
        )
        assert note["state"] == "proposed"
        await played.slack.drain()
        assert any(
            "Proposed by operator" in m.text and "a timeline entry for INC-1" in m.text
            for m in played.channel.messages
        )
    section = next(s for s in draft["sections"] if s["key"] == "underlying_issue")
    assert section["state"] == "written"
    assert "The 03:20 release broke card validation." in draft["markdown"]
