"""Every escalation of an alert by hand is kept: who escalated it, to which level
or person, and when, a row each. The alert's page lists each in its history, the JSON API's
and MCP's ``get_alert`` answer them all (``escalations``), and the incident declared from it
starts its timeline with each; one made from the phone console is among them. Over the wire:
Alertmanager's webhook to a running warroom, the Slack emulator (Escalate ▾ on the alert's
message: "Next level", then "A person…" and its form), a browser signed in to the web view,
the API with its token, an agent on /mcp, the fake ntfy (Carol's push, whose tap opens the
console) and a phone's browser."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.config import Secret
from bot.record.people import remember_names
from bot.store.db import session_scope
from emulator import Channel, FakeNtfy, SlackEmulator
from tests.agents.test_mcp_http import agent, call, warroom_token
from tests.alerting.test_alert_declare import api_incident, declare_form, press_declare, submit
from tests.alerting.test_alert_escalate_to_person import choose_a_person, page_them
from tests.alerting.test_alert_worklist import (
    BEARER,
    PARIS,
    STARTED,
    deliver,
    group_named,
    page,
    worklist_settings,
)
from tests.alerting.test_own_alerts import (
    CONTACTS,
    NOW,
    POLICIES,
    PUBLIC_URL,
    TOPIC,
    page_route,
    queue_lag,
    the_alert,
)
from tests.alerting.test_own_alerts import deliver as deliver_own
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom, running_warroom
from tests.helpers.alerts import TOKEN, alert, alertmanager, routes
from tests.helpers.incidents import settle
from tests.helpers.web_view import API_TOKEN, browser, csrf_of, sign_in, visible_text
from tests.paging.scenario import SCHEDULES, paging_settings


@pytest.fixture
def warroom_settings(
    slack: SlackEmulator, database_url: str, tmp_path: Path, ntfy: FakeNtfy
) -> dict[str, object]:
    """The worklist's warroom: #ops-alerts, Carol's push, the web view and its API token."""
    return worklist_settings(slack, database_url, tmp_path, ntfy)


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


@pytest.fixture
async def console_warroom(
    slack: SlackEmulator, database_url: str, tmp_path: Path, ops: Channel, ntfy: FakeNtfy
) -> AsyncIterator[Warroom]:
    """test_own_alerts' warroom (its public address https, Carol's push) with the API's
    token, and the people warroom has met by name (the console offers them)."""
    slack.users[CAROL].tz = "Europe/Paris"
    settings = paging_settings(
        tmp_path,
        CONTACTS,
        POLICIES,
        SCHEDULES,
        WARROOM_NTFY_URL=ntfy.root,
        WARROOM_PUBLIC_URL=PUBLIC_URL,
    )
    async with running_warroom(
        slack,
        database_url,
        Clock(NOW),
        alerting__token=Secret(TOKEN),
        alerting__routes=routes(page_route(ops.id)),
        web__api_token=API_TOKEN,
        **settings,
    ) as running:
        names = {ALICE: "Alice Moreau", BOB: "Bob Okafor", CAROL: "Carol Tanaka"}
        async with session_scope(running.engine) as session:
            await remember_names(session, names, NOW)
            await session.commit()
        yield running


async def test_an_escalation_from_the_phone_console_is_in_the_alerts_record(
    console_warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    warroom = console_warroom
    await deliver_own(warroom, queue_lag())  # 02:00: Carol's push
    (push,) = ntfy.phone(TOPIC)
    assert push.click is not None
    url = push.click.replace(PUBLIC_URL, warroom.url, 1)
    warroom.clock.now = NOW.replace(minute=2)
    jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[warroom.url])
    async with aiohttp.ClientSession(cookie_jar=jar) as phone:
        async with phone.get(url) as answer:
            page_ = await answer.text()
        form = {"csrf": csrf_of(page_), "do": "escalate_to", "person": BOB}
        async with phone.post(url, data=form) as answer:
            assert answer.status == 200
            assert "Escalated: @Bob Okafor is paged now" in " ".join(
                visible_text(await answer.text()).split()
            )
    await warroom.run_jobs()
    detail = await api_alert(warroom, (await the_alert(warroom)).id or 0)
    (escalated,) = detail["escalations"]
    assert (escalated["escalated_at"], escalated["escalated_by"]["id"]) == (
        "2026-03-03T02:02:00Z",
        CAROL,
    )
    assert (escalated["to"]["id"], escalated["level"]) == (BOB, None)
