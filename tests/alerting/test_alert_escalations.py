"""Every escalation of an alert by hand is kept (issue 72): who escalated it, to which level
or person, and when, a row each. The alert's page lists each in its history, the JSON API's
and MCP's ``get_alert`` answer them all (``escalations``), and the incident declared from it
starts its timeline with each. Over the wire: Alertmanager's webhook to a running warroom,
the Slack emulator (Escalate ▾ on the alert's message: "Next level", then "A person…" and its
form), a browser signed in to the web view, the API with its token, an agent on /mcp, the
fake ntfy (Carol's push)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from emulator import SlackEmulator
from tests.agents.test_mcp_http import agent, call, warroom_token
from tests.alerting.test_alert_declare import api_incident, declare_form, press_declare, submit
from tests.alerting.test_alert_escalate_to_person import choose_a_person, page_them
from tests.alerting.test_alert_worklist import (
    BEARER,
    PARIS,
    STARTED,
    alerts_warroom,
    deliver,
    group_named,
    page,
)
from tests.conftest import ALICE, BOB, CAROL, Warroom
from tests.helpers.alerts import alert, alertmanager
from tests.helpers.incidents import settle
from tests.helpers.web_view import browser, sign_in, visible_text


@pytest.fixture
async def warroom(
    slack: SlackEmulator, database_url: str, tmp_path: Path
) -> AsyncIterator[Warroom]:
    """The worklist's warroom: #ops-alerts, Carol's push, the web view and its API token."""
    async with alerts_warroom(slack, database_url, tmp_path) as running:
        yield running


async def escalated_twice(warroom: Warroom) -> int:
    """QueueLag fires at 02:00 (Carol, level 1); at 02:01 Alice escalates it to the policy's
    level 2 (Bob); at 02:03 Carol escalates it to Alice, chosen by hand. Its id."""
    ops = warroom.slack.channel_by_name("ops-alerts")
    assert ops is not None
    await deliver(warroom, alertmanager("QueueLag", [alert("QueueLag", "worker-1", STARTED)]))
    lag = await group_named(warroom, "QueueLag")
    (message,) = [m for m in ops.messages if "QueueLag" in m.text]
    await warroom.advance(minutes=1)
    await warroom.slack.choose_in_message(
        ops.id, message.ts, "escalate_alert", user=ALICE, option_text="Next level"
    )
    await settle(warroom)
    await warroom.advance(minutes=2)
    view_id = await choose_a_person(warroom, ops, CAROL)
    assert view_id is not None
    await page_them(warroom, view_id, ALICE, CAROL)
    assert lag.id is not None
    return lag.id


async def api_alert(warroom: Warroom, alert_id: int) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"{warroom.url}/api/alerts/{alert_id}", headers=BEARER) as answer,
    ):
        assert answer.status == 200, await answer.text()
        found: dict[str, Any] = await answer.json()
        return found


async def test_each_escalation_by_hand_is_on_the_page_in_the_api_and_over_mcp(
    warroom: Warroom,
) -> None:
    lag = await escalated_twice(warroom)
    async with browser() as alice:
        await sign_in(alice, warroom, ALICE)
        status, html = await page(alice, f"{warroom.url}/alerts/{lag}{PARIS}")
    assert status == 200
    history = " ".join(visible_text(html.replace("<", " <")).split()).split("History", 1)[1]
    lines = (
        r"03:01:00 CET Escalated by hand to level 2 alice moreau",
        r"03:01:00 CET Paged by level 2 (bob okafor|U0BOB)",
        r"03:03:00 CET Escalated by hand to alice moreau carol tanaka",
        r"03:03:00 CET Paged, escalated to by hand alice moreau",
    )
    found = [re.search(line, history, re.I) for line in lines]
    assert all(found), history
    starts = [match.start() for match in found if match]
    assert starts == sorted(starts), history  # in time order
    # The API: every one, in order; the latest also as the escalated_* fields.
    detail = await api_alert(warroom, lag)
    said = [
        (e["escalated_at"], e["escalated_by"]["id"], e["policy"], e["level"], e["to"])
        for e in detail["escalations"]
    ]
    assert said[0] == ("2026-03-03T02:01:00Z", ALICE, "queues", 2, None)
    assert said[1][:4] == ("2026-03-03T02:03:00Z", CAROL, None, None)
    assert said[1][4]["id"] == ALICE and len(said) == 2
    assert (detail["escalated_by"]["id"], detail["escalated_to"]["id"]) == (CAROL, ALICE)
    # MCP's get_alert: the same, whom the alert was escalated to.
    token = await warroom_token(warroom, "triage-bot", "read")
    async with agent(warroom.url, token) as session:
        got = await call(session, "get_alert", alert=lag)
    assert [(e["level"], (e["to"] or {}).get("id")) for e in got["escalations"]] == [
        (2, None),
        (None, ALICE),
    ]
    assert got["escalations"][1]["to"]["name"] == "Alice Moreau"


async def test_the_incident_declared_from_it_names_each_escalation(warroom: Warroom) -> None:
    lag = await escalated_twice(warroom)
    ops = warroom.slack.channel_by_name("ops-alerts")
    assert ops is not None
    await warroom.advance(minutes=1)
    await press_declare(warroom, ops, BOB)
    form_id, form = declare_form(warroom.slack, BOB)
    await submit(warroom.slack, form_id, form, BOB)
    await settle(warroom)
    record = await api_incident(warroom)
    escalations = [line["text"] for line in record["timeline"] if line["kind"] == "escalation"]
    by_hand = [text for text in escalations if "escalated by hand" in text]
    assert len(by_hand) == 2, escalations
    assert "level 2" in by_hand[0] and "by @Alice Moreau" in by_hand[0], by_hand
    assert re.search(r"to @Alice Moreau by @Carol Tanaka", by_hand[1]), by_hand
    # The alert's page still lists both, its incident named.
    detail = await api_alert(warroom, lag)
    assert detail["incident"] == "INC-1" and len(detail["escalations"]) == 2
