"""/mcp, end to end: warroom runs on 127.0.0.1 against the Slack emulator, and an agent talks to
it with the MCP SDK's own streamable HTTP client (the protocol's transport as the SDK's
maintainers implement it, https://modelcontextprotocol.io/specification, "Transports"). The
incident is the replayed payments outage of tests/postmortem/test_suggestions.py; its tokens
are made as an operator makes them (``warroom tokens create``'s record functions)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from bot.basics.slack_ids import SuggestionMessage
from bot.record.agents import tokens
from bot.store.db import session_scope
from emulator import SlackEmulator
from emulator.openai_chat import FakeChatModel
from tests.agents.test_agents_manual import schemas_in_manual
from tests.conftest import CAROL, Clock, Warroom, running_warroom
from tests.helpers.incidents import settle
from tests.helpers.web_view import web_warroom
from tests.postmortem.test_suggestions import Played, _section, _suggestion_id, play


@pytest.fixture
async def played(
    people: SlackEmulator, sqlite_url: str, model: FakeChatModel
) -> AsyncIterator[Played]:
    """The payments outage, declared and its moments marked; no model configured (the
    proposals get the mechanical checks alone)."""
    from bot.config.ai import AISettings

    async for each in play(people, sqlite_url, model, ai=AISettings()):
        yield each


async def make_token(
    played: Played, name: str, scope: str = "propose", *, private: bool = False
) -> str:
    return await warroom_token(played.warroom, name, scope, private=private)


async def warroom_token(
    warroom: Warroom, name: str, scope: str = "propose", *, private: bool = False
) -> str:
    """A token made as ``warroom tokens create`` makes it; its value."""
    async with session_scope(warroom.engine) as session:
        _, value = await tokens.create(
            session,
            name=name,
            scope=scope,
            private=private,
            expires_days=None,
            now=warroom.clock(),
        )
        await session.commit()
    return value


@asynccontextmanager
async def agent(url: str, token: str) -> AsyncIterator[ClientSession]:
    """The SDK's client on /mcp with the token, initialized."""
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with http, streamable_http_client(f"{url}/mcp", http_client=http) as streams:
        read, write = streams
        async with ClientSession(read, write) as session:
            await session.initialize()
            yield session


async def call(session: ClientSession, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await session.call_tool(tool, arguments)
    assert not result.is_error, result.content
    answer = result.structured_content
    assert isinstance(answer, dict), result
    return answer


async def refused(session: ClientSession, tool: str, **arguments: Any) -> str:
    result = await session.call_tool(tool, arguments)
    assert result.is_error, result
    return " ".join(getattr(each, "text", "") for each in result.content)


async def test_an_agent_reads_proposes_and_carol_accepts_in_slack(played: Played) -> None:
    token = await make_token(played, "triage-bot")
    async with agent(played.warroom.url, token) as session:
        listed = await session.list_tools()
        assert {tool.name for tool in listed.tools} >= {
            "list_incidents",
            "get_incident",
            "get_timeline",
            "get_postmortem",
            "who_is_on_call",
            "get_schedule",
            "list_follow_ups",
            "related_incidents",
            "propose_finding",
            "propose_timeline_note",
        }
        # What tools/list gives an agent is what the manual shows: each tool's input and
        # output schema, typed from the code (no output is a bare object).
        manual = schemas_in_manual()
        assert {tool.name for tool in listed.tools} == set(manual)
        for tool in listed.tools:
            assert (tool.input_schema, tool.output_schema) == manual[tool.name], tool.name
            assert tool.output_schema is not None and tool.output_schema.get("properties")
        incidents = await call(session, "list_incidents")
        assert [i["reference"] for i in incidents["items"]] == ["INC-1"]
        incident = await call(session, "get_incident", reference="INC-1")
        assert incident["title"] == "Card payments fail"
        assert incident["commander"]["name"] == "Alice Moreau"
        # Times in the incident's zone (UTC here), ISO 8601; links to the page and the channel.
        assert incident["declared_at"].startswith("2025-03-14T03:00:00")
        assert incident["web_url"].endswith("/incidents/INC-1")
        assert incident["slack_url"] == (
            f"slack://channel?team={played.slack.team_id}&id={played.channel.id}"
        )

        # The first incident of this workspace: nothing earlier is related, and it says why.
        related = await call(session, "related_incidents", reference="INC-1")
        assert related["items"] == []
        assert related["reference"] == "INC-1"

        timeline = await call(session, "get_timeline", reference="INC-1", per_page=200)
        by_words = {entry["text"]: entry["ref"] for entry in timeline["entries"]}
        bulb = next(ref for text, ref in by_words.items() if "gw-2.14.1 at 03:20" in text)
        fix = next(ref for text, ref in by_words.items() if "Rolling back" in text)

        proposed = await call(
            session,
            "propose_finding",
            reference="INC-1",
            section="summary",
            sentences=[
                {"text": "Gateway release gw-2.14.1 broke card validation.", "cites": [bulb]},
                {"text": "The rollback finished at 4:25.", "cites": [fix]},
            ],
        )
    assert [s["text"] for s in proposed["kept"]] == [
        "Gateway release gw-2.14.1 broke card validation."
    ]
    [left] = proposed["refused"]
    assert left["text"] == "The rollback finished at 4:25."
    assert left["why"][0]["rule"] == "time"
    # In the words the draft lists it with.
    assert left["why"][0]["because"] == "it states 4:25, a time none of the entries it cites holds"
    assert proposed["shown_in_channel"] is True

    await settle(played.warroom)
    message = next(m for m in played.channel.messages if "Proposed by triage-bot" in m.text)
    summary_id = _suggestion_id(message, "Summary")
    await played.press(message, SuggestionMessage.ACCEPT, summary_id, CAROL)
    await settle(played.warroom)

    async with agent(played.warroom.url, token) as session:
        draft = await call(session, "get_postmortem", reference="INC-1")
    summary = next(s for s in draft["sections"] if s["key"] == "summary")
    assert summary["state"] == "written"
    assert summary["author"] == "Carol Tanaka"
    assert "Gateway release gw-2.14.1 broke card validation." in summary["text"]
    written = _section(draft["markdown"], "## Issue summary")
    assert "Gateway release gw-2.14.1 broke card validation." in written
    assert r"_Suggested by triage-bot \(agent\), accepted by Carol Tanaka" in written


async def test_a_read_token_cannot_propose(played: Played) -> None:
    token = await make_token(played, "reader", scope="read")
    async with agent(played.warroom.url, token) as session:
        said = await refused(
            session,
            "propose_finding",
            reference="INC-1",
            section="summary",
            sentences=[{"text": "Anything.", "cites": ["E1"]}],
        )
    assert "scope is read" in said
    assert not any("Proposed by" in m.text for m in played.channel.messages)


async def test_a_bad_argument_is_named(played: Played) -> None:
    token = await make_token(played, "reader", scope="read")
    async with agent(played.warroom.url, token) as session:
        assert "severity" in await refused(session, "list_incidents", severity=["SEV9"])
        assert "reference" in await refused(session, "get_incident", reference="INC-99")
        assert "schedule" in await refused(session, "get_schedule", schedule="nobody")


async def test_without_the_private_scope_a_private_incident_is_as_if_absent(
    people: SlackEmulator, sqlite_url: str, model: FakeChatModel
) -> None:
    from bot.config.ai import AISettings

    async for played in play(people, sqlite_url, model, private=True, ai=AISettings()):
        public_only = await make_token(played, "public-only", scope="read")
        everything = await make_token(played, "all-seeing", scope="read", private=True)
        async with agent(played.warroom.url, public_only) as session:
            assert (await call(session, "list_incidents"))["items"] == []
            hidden = await refused(session, "get_incident", reference="INC-1")
            absent = await refused(session, "get_incident", reference="INC-2")
            # The same words for an incident hidden and one that does not exist.
            assert hidden.replace("INC-1", "INC-?") == absent.replace("INC-2", "INC-?")
            assert "may see" in hidden
            assert "may see" in await refused(session, "get_timeline", reference="INC-1")
        async with agent(played.warroom.url, everything) as session:
            incident = await call(session, "get_incident", reference="INC-1")
            assert incident["private"] is True


async def test_a_revoked_token_is_refused_at_once_and_no_token_says_nothing(
    played: Played,
) -> None:
    token = await make_token(played, "soon-gone", scope="read")
    url = f"{played.warroom.url}/mcp"
    async with agent(played.warroom.url, token) as session:
        await call(session, "get_incident", reference="INC-1")
        async with session_scope(played.warroom.engine) as db:
            await tokens.revoke(db, "soon-gone", now=played.warroom.clock())
            await db.commit()
        # The very next request of the same client is refused.
        with pytest.raises(Exception):  # noqa: B017 (the SDK's error for an HTTP 401)
            await session.call_tool("get_incident", {"reference": "INC-1"})
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    async with aiohttp.ClientSession() as http:
        for sent in ({}, {"Authorization": f"Bearer {token}"}, {"Authorization": "Bearer nope"}):
            async with http.post(url, data=body, headers={**headers, **sent}) as answer:
                assert answer.status == 401
                assert answer.headers["WWW-Authenticate"] == 'Bearer realm="warroom"'
                said = await answer.json()
                assert said["error"] == "unauthorized"


async def test_calls_past_the_limit_are_refused_and_logged_by_name(
    people: SlackEmulator, sqlite_url: str, model: FakeChatModel, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.config.ai import AISettings

    async for played in play(
        people, sqlite_url, model, ai=AISettings(), agents__calls_per_minute=3
    ):
        token = await make_token(played, "chatty", scope="read")
        with caplog.at_level("INFO", logger="bot.web.agents"):
            async with agent(played.warroom.url, token) as session:
                for _ in range(3):
                    await call(session, "list_incidents")
                assert "rate limit" in await refused(session, "list_incidents")
        logged = "\n".join(r.getMessage() for r in caplog.records)
        assert "mcp list_incidents by chatty" in logged
        assert token not in logged


async def test_on_call_and_follow_ups_read_as_the_api_reads_them(
    people: SlackEmulator, sqlite_url: str, model: FakeChatModel
) -> None:
    from bot.config.ai import AISettings
    from tests.oncall.samples import two_schedules

    schedules = two_schedules(datetime(2025, 3, 1, tzinfo=UTC))
    async for played in play(
        people, sqlite_url, model, ai=AISettings(), oncall__schedules=schedules
    ):
        token = await make_token(played, "pager", scope="read")
        async with agent(played.warroom.url, token) as session:
            board = await call(
                session, "who_is_on_call", schedule="payments", at="2026-03-04T12:00:00+01:00"
            )
            [payments] = board["items"]
            assert payments["current"]["user"]["name"] == "Alice Moreau"
            # In the schedule's zone.
            assert payments["current"]["start"] == "2026-03-02T09:00:00+01:00"
            shifts = await call(
                session,
                "get_schedule",
                schedule="payments",
                start="2026-03-02T00:00:00+01:00",
                end="2026-03-16T00:00:00+01:00",
            )
            names = [shift["user"]["name"] for shift in shifts["shifts"] if shift["user"]]
            assert names[:2] == ["Alice Moreau", "Bob Okafor"]
            assert "at:" in await refused(session, "who_is_on_call", at="yesterday")
            follow_ups = await call(session, "list_follow_ups")
            assert follow_ups["items"] == []


async def test_a_database_that_fails_during_the_token_lookup_is_503_with_retry_after(
    played: Played,
) -> None:
    """The tokens' table gone (as a database that refuses the query): /mcp asks the agent to
    come back, never a 500, and says nothing about the token."""
    from sqlalchemy import text

    token = await make_token(played, "patient", scope="read")
    async with played.warroom.engine.begin() as connection:
        await connection.execute(text("DROP TABLE agent_token"))
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "Authorization": f"Bearer {token}",
    }
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{played.warroom.url}/mcp", data=body, headers=headers) as answer,
    ):
        assert answer.status == 503
        assert answer.headers["Retry-After"] == "5"
        said = await answer.json()
    assert said["error"] == "unavailable"
    assert token not in json.dumps(said)


# -- the limit shared by replicas, and lists bounded ------------------------------------
async def test_two_replicas_sharing_a_database_share_a_token_s_limit(
    slack: SlackEmulator, database_url: str
) -> None:
    """Two warroom instances on one database (SQLite and PostgreSQL), the agent alternating
    between them: the token's 3 calls a minute are 3 in all, not 3 on each; a minute later
    it may call again, on either."""
    clock = Clock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    async with (
        running_warroom(slack, database_url, clock, agents__calls_per_minute=3) as one,
        running_warroom(slack, database_url, clock, agents__calls_per_minute=3) as two,
    ):
        token = await warroom_token(one, "chatty", scope="read")
        async with agent(one.url, token) as first, agent(two.url, token) as second:
            await call(first, "list_incidents")
            await call(second, "list_incidents")
            await call(first, "list_incidents")
            assert "rate limit" in await refused(second, "list_incidents")
            assert "rate limit" in await refused(first, "list_incidents")
            clock.now += timedelta(seconds=61)
            await call(second, "list_incidents")
            await call(first, "list_incidents")


async def test_a_list_argument_longer_than_its_maximum_is_refused_naming_it(
    played: Played,
) -> None:
    """``related_incidents`` (and every tool's list arguments) take at most 20 items: more is
    refused as a tool error naming the argument, which the agent reads (MCP, "Tool Execution
    Errors"), and nothing is looked up; 20 are answered."""
    token = await make_token(played, "curious", scope="read")
    many = [f"service-{n}" for n in range(21)]
    async with agent(played.warroom.url, token) as session:
        said = await refused(session, "related_incidents", services=many)
        assert "services" in said and "20" in said
        said = await refused(session, "related_incidents", alert_names=many)
        assert "alert_names" in said
        labels = {f"label{n}": "x" for n in range(21)}
        assert "labels" in await refused(session, "related_incidents", labels=labels)
        assert "status" in await refused(session, "list_incidents", status=["open"] * 21)
        answered = await call(session, "related_incidents", services=many[:20])
        assert answered["items"] == []


async def test_with_no_schedules_configured_on_call_tools_say_so_rather_than_nobody(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """An empty answer would read as "nobody is on call": an agent is told what is missing."""
    async with web_warroom(slack, sqlite_url) as warroom:
        token = await warroom_token(warroom, "pager", "read")
        async with agent(warroom.url, token) as session:
            said = await refused(session, "who_is_on_call")
            assert "no schedules are configured: WARROOM_ONCALL_SCHEDULES" in said
            said = await refused(session, "get_schedule", schedule="payments")
            assert "WARROOM_ONCALL_SCHEDULES" in said
