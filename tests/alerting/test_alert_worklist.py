"""Alerts seen and measured, over HTTP against a running warroom: the
Alerts worklist (open first, then resolved; each alert's urgency and, attached, its incident;
by route, state, urgency and "mine"; its list alone for
the page's script; an "as of" time), one alert's page with its history (each page and
notification, who acknowledged), the JSON API's ``/api/alerts`` and ``/api/alerts/{id}``,
the MCP tools ``list_alerts`` and ``get_alert``, and Insights' on-call load. A guest of the
workspace sees none of it. Alerts arrive as Alertmanager sends them, Carol acknowledges from
Slack (the emulator's signed press) and her push goes through the fake ntfy, whose topic (her
phone's address) is never shown."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from sqlmodel import select

from bot.config import Secret
from bot.record.alerting.load import after_hours
from bot.store.db import session_scope
from bot.store.models import AlertGroup
from emulator import FakeNtfy, SlackEmulator
from tests.agents.test_mcp_http import agent, call, refused, warroom_token
from tests.alerting.test_alert_declare import declare_form, submit
from tests.alerting.test_alert_escalate_to_person import choose_a_person, page_them
from tests.alerting.test_own_alerts import RUNBOOK, page_route
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom, WarroomFactory, running_warroom
from tests.helpers.alerts import TOKEN, alert, alertmanager, post_alert, routes
from tests.helpers.incidents import command, open_incident, settle
from tests.helpers.web_view import API_TOKEN, browser, sign_in, visible_text, web_settings
from tests.paging.scenario import SCHEDULES, paging_settings

# Tuesday 3 March 2026, 03:00 in Paris: Carol's night on call.
NOW = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
STARTED = "2026-03-03T01:58:00Z"
TOPIC = "carol-7f3a9c"
GUEST = "U0GUEST"
PARIS = "?tz=Europe/Paris"
BEARER = {"Authorization": f"Bearer {API_TOKEN}"}
POLICIES = {
    "policies": {
        "queues": {
            "levels": [
                {"timeout": "5m", "targets": [{"schedule": "night"}]},
                {"targets": [{"user": BOB}]},
            ]
        },
        "disks": {"levels": [{"targets": [{"user": BOB}]}]},
    }
}
CONTACTS = {
    "people": {
        CAROL: {
            "contacts": {"push": {"ntfy": TOPIC}},
            "rules": [{"after": "0s", "notify": ["push"]}],
        },
        BOB: {"rules": [{"after": "0s", "notify": ["slack"]}]},
    }
}


def page_routes(channel: str) -> dict[str, Any]:
    """test_own_alerts' queues route (high urgency), and a disks route paging Bob at low
    urgency."""
    (queues,) = page_route(channel)["routes"]
    disks = {
        "name": "disks",
        "match": {"alertname": "DiskFull"},
        "policy": "disks",
        "urgency": "low",
    }
    return {"routes": [queues, {**queues, **disks, "severity": "SEV2", "runbook": None}]}


@asynccontextmanager
async def alerts_warroom(
    slack: SlackEmulator, database_url: str, tmp_path: Path
) -> AsyncIterator[Warroom]:
    """warroom with the two page routes posting to #ops-alerts, Carol's push through the
    fake ntfy, the web view and its API token."""
    async with FakeNtfy() as ntfy, paging_warroom(slack, database_url, tmp_path, ntfy) as running:
        yield running


def worklist_settings(
    slack: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    ntfy: FakeNtfy,
    document: Callable[[str], dict[str, Any]] = page_routes,
    policies: dict[str, Any] = POLICIES,
    more: Callable[[str], dict[str, Any]] = lambda _: {},
) -> dict[str, object]:
    """``warroom_settings`` with the routes ``document`` makes for #ops-alerts' id, the
    ``policies``, Carol's push through ``ntfy``, the web view and its API token (and the
    settings ``more`` makes for #ops-alerts' id)."""
    ops = slack.create_channel("ops-alerts", creator=ALICE, members=[slack.bot_user_id, ALICE])
    paging = paging_settings(
        tmp_path,
        CONTACTS,
        policies,
        SCHEDULES,
        WARROOM_NTFY_URL=ntfy.root,
        WARROOM_PUBLIC_URL="https://warroom.example.com",
    )
    # Signing in returns to the address the browser used (the test's), not a public one.
    paging["web__public_url"] = ""
    return {
        "database_url": database_url,
        "clock": Clock(NOW),
        "alerting__token": Secret(TOKEN),
        "alerting__routes": routes(document(ops.id)),
        **paging,
        **web_settings(slack),
        **more(ops.id),
    }


@asynccontextmanager
async def paging_warroom(
    slack: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    ntfy: FakeNtfy,
    document: Callable[[str], dict[str, Any]] = page_routes,
    policies: dict[str, Any] = POLICIES,
    more: Callable[[str], dict[str, Any]] = lambda _: {},
) -> AsyncIterator[Warroom]:
    """The bot of ``worklist_settings`` until the block ends."""
    options = worklist_settings(slack, database_url, tmp_path, ntfy, document, policies, more)
    async with running_warroom(slack, **options) as running:
        yield running


@pytest.fixture
def warroom_settings(
    slack: SlackEmulator, database_url: str, tmp_path: Path, ntfy: FakeNtfy
) -> dict[str, object]:
    return worklist_settings(slack, database_url, tmp_path, ntfy)


async def deliver(warroom: Warroom, body: dict[str, Any]) -> None:
    status, answer = await post_alert(warroom.url, "alertmanager", body)
    assert status == 202, answer
    await warroom.run_jobs()


async def group_named(warroom: Warroom, title_part: str) -> AlertGroup:
    async with session_scope(warroom.engine) as session:
        groups = (await session.exec(select(AlertGroup))).all()
    (found,) = [group for group in groups if title_part in group.title]
    return found


async def a_night_of_alerts(warroom: Warroom) -> tuple[int, int]:
    """QueueLag fires twice and Carol acknowledges it from Slack three minutes later;
    DiskFull pages Bob and its source resolves it. Their ids."""
    ops = warroom.slack.channel_by_name("ops-alerts")
    assert ops is not None
    queue = alertmanager("QueueLag", [alert("QueueLag", "worker-1", STARTED)])
    await deliver(warroom, queue)
    await deliver(warroom, queue)
    disk = [alert("DiskFull", "db-1", STARTED)]
    await deliver(warroom, alertmanager("DiskFull", disk))
    await warroom.advance(minutes=3)
    lag = await group_named(warroom, "QueueLag")
    (message,) = [m for m in ops.messages if "QueueLag" in m.text]
    await warroom.slack.click_button(
        ops.id, message.ts, "acknowledge_alert", user=CAROL, value=str(lag.id), block_id="alert"
    )
    await settle(warroom)
    ended = [alert("DiskFull", "db-1", STARTED, ends_at="2026-03-03T02:04:00Z")]
    await deliver(warroom, alertmanager("DiskFull", ended))
    full = await group_named(warroom, "DiskFull")
    assert (lag.id, full.id) != (None, None)
    return lag.id or 0, full.id or 0


async def page(client: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with client.get(url) as answer:
        return answer.status, await answer.text()


async def test_the_alerts_worklist_its_filters_and_an_alerts_history(warroom: Warroom) -> None:
    lag, full = await a_night_of_alerts(warroom)
    async with browser() as alice:
        await sign_in(alice, warroom, ALICE)
        async with alice.get(f"{warroom.url}/alerts{PARIS}") as answer:
            assert answer.status == 200
            policy = answer.headers["Content-Security-Policy"]
            html = await answer.text()
        # The page's own script may run and fetch from this site only.
        assert "script-src 'nonce-" in policy and "connect-src 'self'" in policy
        assert 'href="/alerts"' in html  # in the navigation
        text = " ".join(visible_text(html).split())
        assert "As of 03:03:00 CET: 1 open, 1 recently resolved." in text
        opened, resolved = text.split("Recently resolved", 1)
        assert "QueueLag" in opened and "DiskFull" not in opened
        assert "DiskFull" in resolved
        row = re.search(r"SEV3 QueueLag is firing.*?queues", opened)
        assert row, opened
        assert "acknowledged" in row[0] and "Tue 3 Mar 03:00 CET" in row[0]
        assert "2 times" in row[0] and "acknowledged by carol tanaka (slack)" in row[0].lower()
        assert re.search(r"QueueLag is firing high urgency acknowledged", opened), opened
        assert re.search(r"DiskFull is firing low urgency resolved", resolved), resolved
        # The filter form offers each urgency, and the state 'attached'.
        assert '<select id="urgency" name="urgency">' in html
        assert '<option value="low">low</option>' in html
        assert '<option value="attached">attached</option>' in html

        # Filters: by state, by route; "mine" for Alice (never paged) keeps nothing.
        status, html = await page(alice, f"{warroom.url}/alerts?state=resolved")
        assert status == 200 and "DiskFull" in html and "QueueLag" not in html
        status, html = await page(alice, f"{warroom.url}/alerts?route=queues")
        assert "QueueLag" in html and "DiskFull" not in html
        status, html = await page(alice, f"{warroom.url}/alerts?mine=1")
        assert "QueueLag" not in html and "DiskFull" not in html
        status, html = await page(alice, f"{warroom.url}/alerts?urgency=low")
        assert status == 200 and "DiskFull" in html and "QueueLag" not in html
        assert '<option value="low" selected>low</option>' in html
        status, html = await page(alice, f"{warroom.url}/alerts?urgency=high&state=acknowledged")
        assert status == 200 and "QueueLag" in html and "DiskFull" not in html
        status, html = await page(alice, f"{warroom.url}/alerts?state=asleep")
        assert status == 400 and "Unknown state" in html
        status, html = await page(alice, f"{warroom.url}/alerts?urgency=urgent")
        assert status == 400 and "Unknown urgency &#39;urgent&#39;: use one of high, low" in html
        # What the page's script fetches: the list alone, with its "as of" time.
        status, html = await page(alice, f"{warroom.url}/alerts?part=list")
        assert status == 200 and html.lstrip().startswith(
            '<div id="alert-list" data-live data-live-part="list">'
        )
        assert "<html" not in html and "As of" in html

        # One alert's page: its header and its history; Carol's phone's topic nowhere.
        status, html = await page(alice, f"{warroom.url}/alerts/{lag}{PARIS}")
        assert status == 200
        text = " ".join(visible_text(html.replace("<", " <")).split())
        assert "Urgency high Route queues" in text and "Fired 2 times" in text
        assert f'href="{RUNBOOK}"' in html
        history = text.split("History", 1)[1]
        for line in (
            r"03:00:00 CET Paged by level 1 \(page acknowledged 03:03 CET by slack\) carol",
            r"Notification to push carol tanaka push ntfy accepted",
            r"03:03:00 CET Acknowledged \(slack\) carol tanaka",
        ):
            assert re.search(line, history, re.I), history
        assert TOPIC not in html
        status, html = await page(alice, f"{warroom.url}/alerts/{full}{PARIS}")
        text = " ".join(visible_text(html.replace("<", " <")).split())
        assert "Resolved its source" in text and "Notification Bob" in text
        assert "Urgency low Route disks" in text and "Attached to" not in text
        status, _ = await page(alice, f"{warroom.url}/alerts/99999")
        assert status == 404
        # The other worklists say when they were read too, in Alice's zone.
        for other in ("/", "/follow-ups"):
            status, html = await page(alice, f"{warroom.url}{other}")
            assert "As of 02:03:00 UTC." in " ".join(visible_text(html).split()), other

    async with browser() as carol:
        await sign_in(carol, warroom, CAROL)
        status, html = await page(carol, f"{warroom.url}/alerts?mine=1")
        assert "QueueLag" in html and "DiskFull" not in html


async def test_an_escalation_by_hand_and_a_snooze_are_on_the_alerts_page(
    warroom: Warroom,
) -> None:
    ops = warroom.slack.channel_by_name("ops-alerts")
    assert ops is not None
    await deliver(warroom, alertmanager("QueueLag", [alert("QueueLag", "worker-1", STARTED)]))
    lag = await group_named(warroom, "QueueLag")
    (message,) = ops.messages
    await warroom.advance(minutes=1)
    await warroom.slack.choose_in_message(
        ops.id, message.ts, "escalate_alert", user=ALICE, option_text="Next level"
    )
    await settle(warroom)
    await warroom.advance(minutes=1)
    await warroom.slack.choose_in_message(
        ops.id, message.ts, "snooze_alert", user=CAROL, option_text="1h"
    )
    await settle(warroom)
    async with browser() as alice:
        await sign_in(alice, warroom, ALICE)
        status, html = await page(alice, f"{warroom.url}/alerts/{lag.id}{PARIS}")
        assert status == 200
        text = " ".join(visible_text(html.replace("<", " <")).split())
        assert "snoozed snoozed by Carol Tanaka until Tue 3 Mar 04:02:00 CET" in text, text
        history = text.split("History", 1)[1]
        for line in (
            # Snoozed: paging stopped, her page ended.
            r"03:00:00 CET Paged by level 1 carol tanaka ended",
            r"03:01:00 CET Escalated by hand to level 2 alice moreau",
            # Bob, by the name the record keeps, else his id.
            r"03:01:00 CET Paged by level 2 (bob okafor|U0BOB) ended",
        ):
            assert re.search(line, history, re.I), history
        status, html = await page(alice, f"{warroom.url}/alerts?state=snoozed")
        assert "QueueLag" in html and "until 04:02 CET" not in html  # in Alice's zone: UTC
        assert "until 03:02 UTC" in html
    # The API's list and MCP's say who escalated it, to which level, and when.
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"{warroom.url}/api/alerts", headers=BEARER) as answer,
    ):
        (item,) = (await answer.json())["open"]
    assert (item["escalated_at"], item["escalated_by"]["id"]) == ("2026-03-03T02:01:00Z", ALICE)
    assert (item["escalated_level"], item["escalated_to"]) == (2, None)
    token = await warroom_token(warroom, "triage-bot", "read")
    async with agent(warroom.url, token) as session:
        (listed,) = (await call(session, "list_alerts", state="snoozed"))["open"]
    assert (listed["escalated_by"]["id"], listed["escalated_level"]) == (ALICE, 2)


async def test_an_escalation_to_a_person_is_on_the_alerts_page(warroom: Warroom) -> None:
    ops = warroom.slack.channel_by_name("ops-alerts")
    assert ops is not None
    await deliver(warroom, alertmanager("QueueLag", [alert("QueueLag", "worker-1", STARTED)]))
    lag = await group_named(warroom, "QueueLag")
    await warroom.advance(minutes=1)
    view_id = await choose_a_person(warroom, ops, ALICE)
    assert view_id is not None
    await page_them(warroom, view_id, BOB, ALICE)
    async with browser() as alice:
        await sign_in(alice, warroom, ALICE)
        status, html = await page(alice, f"{warroom.url}/alerts/{lag.id}{PARIS}")
        assert status == 200
        history = " ".join(visible_text(html.replace("<", " <")).split()).split("History", 1)[1]
        for line in (
            r"03:01:00 CET Escalated by hand to (bob okafor|U0BOB) alice moreau",
            r"03:01:00 CET Paged, escalated to by hand (bob okafor|U0BOB) open",
        ):
            assert re.search(line, history, re.I), history
    # The API and MCP say to whom it was escalated by hand, by whom and when.
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"{warroom.url}/api/alerts/{lag.id}", headers=BEARER) as answer,
    ):
        detail = await answer.json()
    assert (detail["escalated_to"]["id"], detail["escalated_by"]["id"]) == (BOB, ALICE)
    assert (detail["escalated_at"], detail["escalated_level"]) == ("2026-03-03T02:01:00Z", None)
    token = await warroom_token(warroom, "triage-bot", "read")
    async with agent(warroom.url, token) as session:
        got = await call(session, "get_alert", alert=lag.id)
        (listed,) = (await call(session, "list_alerts"))["open"]
    assert got["escalated_to"]["id"] == listed["escalated_to"]["id"] == BOB
    assert got["escalated_by"]["id"] == ALICE and got["escalated_level"] is None


async def test_the_api_answers_the_alerts_and_their_pages(warroom: Warroom) -> None:
    lag, full = await a_night_of_alerts(warroom)
    async with aiohttp.ClientSession() as client:
        async with client.get(f"{warroom.url}/api/alerts") as answer:
            assert answer.status == 401
        async with client.get(f"{warroom.url}/api/alerts", headers=BEARER) as answer:
            listed = await answer.json()
        assert [a["title"] for a in listed["open"]] == ["QueueLag is firing"]
        (item,) = listed["open"]
        assert (item["state"], item["fired_count"], item["acknowledged_by"]["id"]) == (
            "acknowledged",
            2,
            CAROL,
        )
        assert (item["urgency"], item["incident"], item["incident_declared"]) == (
            "high",
            None,
            None,
        )
        assert [(a["id"], a["urgency"]) for a in listed["resolved"]] == [(full, "low")]
        async with client.get(f"{warroom.url}/api/alerts?urgency=low", headers=BEARER) as answer:
            low = await answer.json()
        assert (low["open"], [a["id"] for a in low["resolved"]]) == ([], [full])
        async with client.get(f"{warroom.url}/api/alerts?urgency=urgent", headers=BEARER) as no:
            assert no.status == 400
            assert (await no.json())["message"].startswith("urgency: Unknown urgency 'urgent'")
        async with client.get(f"{warroom.url}/api/alerts?paged={BOB}", headers=BEARER) as answer:
            paged = await answer.json()
        assert (paged["open"], [a["id"] for a in paged["resolved"]]) == ([], [full])
        async with client.get(f"{warroom.url}/api/alerts?paged=nobody", headers=BEARER) as answer:
            assert answer.status == 400
        async with client.get(f"{warroom.url}/api/alerts/{lag}", headers=BEARER) as answer:
            detail = await answer.json()
        assert detail["runbook"] == RUNBOOK
        (carols,) = detail["pages"]
        assert (carols["person"]["id"], carols["level"], carols["state"]) == (
            CAROL,
            1,
            "acknowledged",
        )
        (push,) = carols["notifications"]
        assert (push["method"], push["provider"], push["contact"]) == ("ntfy", "ntfy", "push")
        assert TOPIC not in str(detail)
        async with client.get(f"{warroom.url}/api/alerts/0", headers=BEARER) as answer:
            assert answer.status == 404


async def test_an_attached_alert_links_its_incident(warroom: Warroom) -> None:
    """Attached with ``/incident alert attach``: the worklist's 'attached' filter keeps it,
    its row and its page link the incident, the API and MCP name it."""
    channel = await open_incident(warroom, "Mail is slow")  # INC-1
    await deliver(warroom, alertmanager("QueueLag", [alert("QueueLag", "worker-1", STARTED)]))
    lag = await group_named(warroom, "QueueLag")
    await warroom.advance(minutes=2)
    await command(warroom, channel, f"alert attach {lag.id}")
    async with browser() as alice:
        await sign_in(alice, warroom, ALICE)
        status, html = await page(alice, f"{warroom.url}/alerts?state=attached")
        assert status == 200
        text = " ".join(visible_text(html).split())
        assert "QueueLag is firing high urgency attached attached to INC-1" in text, text
        assert '<a href="/incidents/INC-1">INC-1</a>' in html
        status, html = await page(alice, f"{warroom.url}/alerts?state=triggered")
        assert "QueueLag" not in html
        status, html = await page(alice, f"{warroom.url}/alerts/{lag.id}{PARIS}")
        head = " ".join(visible_text(html.replace("<", " <")).split()).split("History", 1)[0]
        assert "Incident Attached to INC-1 by Alice Moreau at Tue 3 Mar 03:02:00 CET" in head
        assert 'Attached to <a href="/incidents/INC-1">INC-1</a>' in html
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"{warroom.url}/api/alerts/{lag.id}", headers=BEARER) as answer,
    ):
        detail = await answer.json()
    assert (detail["state"], detail["incident"], detail["incident_declared"]) == (
        "attached",
        "INC-1",
        False,
    )
    token = await warroom_token(warroom, "triage-bot", "read")
    async with agent(warroom.url, token) as session:
        listed = await call(session, "list_alerts", state="attached")
        assert [(a["id"], a["incident"]) for a in listed["open"]] == [(lag.id, "INC-1")]


async def test_an_alert_attached_to_a_private_incident_does_not_name_it(
    warroom: Warroom,
) -> None:
    """A private incident is answered to those outside its channel as a missing one: the
    alert attached to it shows as attached, naming no incident, on the list, its page, the
    API and MCP (every member reads alerts)."""
    channel = await open_incident(warroom, "--private Payroll export leaked")  # INC-1
    await deliver(warroom, alertmanager("QueueLag", [alert("QueueLag", "worker-1", STARTED)]))
    lag = await group_named(warroom, "QueueLag")
    await command(warroom, channel, f"alert attach {lag.id}")
    async with browser() as bob:
        await sign_in(bob, warroom, BOB)
        for address in ("/alerts?state=attached", f"/alerts/{lag.id}"):
            status, html = await page(bob, f"{warroom.url}{address}")
            assert status == 200 and "QueueLag" in html
            assert "INC-1" not in html and "Payroll" not in html
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"{warroom.url}/api/alerts/{lag.id}", headers=BEARER) as answer,
    ):
        detail = await answer.json()
    assert (detail["state"], detail["incident"]) == ("attached", None)
    token = await warroom_token(warroom, "triage-bot", "read")
    async with agent(warroom.url, token) as session:
        listed = await call(session, "list_alerts", state="attached")
        assert [(a["id"], a["incident"]) for a in listed["open"]] == [(lag.id, None)]


async def test_an_alert_declared_as_an_incident_says_so_on_its_page(warroom: Warroom) -> None:
    ops = warroom.slack.channel_by_name("ops-alerts")
    assert ops is not None
    await deliver(warroom, alertmanager("QueueLag", [alert("QueueLag", "worker-1", STARTED)]))
    lag = await group_named(warroom, "QueueLag")
    (message,) = ops.messages
    await warroom.slack.click_button(
        ops.id, message.ts, "declare_from_alert", user=ALICE, value=str(lag.id), block_id="alert"
    )
    await settle(warroom)
    await submit(warroom.slack, *declare_form(warroom.slack, ALICE), ALICE)
    await settle(warroom)
    async with browser() as alice:
        await sign_in(alice, warroom, ALICE)
        status, html = await page(alice, f"{warroom.url}/alerts/{lag.id}")
        assert status == 200
        assert 'Declared as <a href="/incidents/INC-1">INC-1</a> by Alice Moreau' in html
        status, html = await page(alice, f"{warroom.url}/alerts")
        assert 'declared as</span> <a href="/incidents/INC-1">INC-1</a>' in html
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"{warroom.url}/api/alerts", headers=BEARER) as answer,
    ):
        (item,) = (await answer.json())["open"]
    assert (item["incident"], item["incident_declared"]) == ("INC-1", True)


async def test_guests_see_no_alerts(warroom: Warroom) -> None:
    lag, _ = await a_night_of_alerts(warroom)
    warroom.slack.add_user(GUEST, "gus")
    warroom.slack.users[GUEST].is_restricted = True
    async with browser() as guest:
        await sign_in(guest, warroom, GUEST)
        for path in ("/alerts", f"/alerts/{lag}", "/alerts?part=list"):
            status, html = await page(guest, f"{warroom.url}{path}")
            assert status == 403, path
            assert "Alerts are for the workspace's members" in html
            assert "QueueLag" not in html
        # The API refuses them alike, never a 200 with an empty list.
        for path in ("/api/alerts", f"/api/alerts/{lag}"):
            status, html = await page(guest, f"{warroom.url}{path}")
            assert status == 403 and "QueueLag" not in html, path
            assert "guests_refused" in html
        status, html = await page(guest, f"{warroom.url}/insights")
        assert status == 200 and "On-call load" not in html
        status, html = await page(guest, f"{warroom.url}/")
        assert 'href="/alerts"' not in html


async def test_insights_measure_the_on_call_load(
    slack: SlackEmulator, warroom_with: WarroomFactory, warroom_settings: dict[str, Any]
) -> None:
    # Bob works from Tokyo (02:00 UTC is 11:00 there); Slack gives no zone for Carol (said
    # before warroom starts: it asks about the people on call as it starts).
    slack.users[BOB].tz = "Asia/Tokyo"
    slack.users[CAROL].tz = ""
    warroom = await warroom_with(**warroom_settings)
    await a_night_of_alerts(warroom)
    async with browser() as alice:
        await sign_in(alice, warroom, ALICE)
        status, html = await page(alice, f"{warroom.url}/insights?period=30")
    assert status == 200
    load = html.split('<h2 id="oncall-load">', 1)[1].split("</section>", 1)[0]
    load = " ".join(visible_text(load.replace("<", " <")).split())
    # Two alerts, one acknowledged 3 minutes after it fired; both ended with no incident.
    assert "Alerts 2" in load
    assert re.search(r"Median time to acknowledge 3 ?m\w* over 1 acknowledged", load), load
    assert "Noise 100% 2 of 2 acknowledged or resolved with no incident" in load
    # By urgency: QueueLag (high) acknowledged in 3 minutes; DiskFull (low) never was.
    by_urgency = load.split("Median time to acknowledge, by urgency", 1)[1]
    assert re.search(r"^ Urgency Median time to acknowledge Acknowledged high 3 ?m\w* 1 low "
                     r"none acknowledged 0 ", by_urgency), by_urgency  # fmt: skip
    # Alerts per route per week: the week of Monday 2 March.
    assert "Week of disks queues" in load and "Mon 23 Feb 2026 0 0 Mon 2 Mar 2026 1 1" in load
    # Both pages came at 02:00 UTC: after hours for Carol in the team's zone (UTC), not for
    # Bob in his own.
    assert "Carol Tanaka 1 1 UTC (the team's) Bob Okafor 0 1 Asia/Tokyo (theirs)" in load


async def test_an_agent_lists_the_alerts_and_reads_one_over_mcp(warroom: Warroom) -> None:
    lag, full = await a_night_of_alerts(warroom)
    token = await warroom_token(warroom, "triage-bot", "read")
    async with agent(warroom.url, token) as session:
        listed = await call(session, "list_alerts")
        assert [a["id"] for a in listed["open"]] == [lag]
        assert [a["id"] for a in listed["resolved"]] == [full]
        # Times in the team's zone, each alert linked to its page.
        assert listed["open"][0]["first_seen_at"] == "2026-03-03T02:00:00Z"
        assert listed["open"][0]["web_url"].endswith(f"/alerts/{lag}")
        paged = await call(session, "list_alerts", paged=BOB)
        assert ([a["id"] for a in paged["open"]], [a["id"] for a in paged["resolved"]]) == (
            [],
            [full],
        )
        resolved = await call(session, "list_alerts", state="resolved", route="disks")
        assert [a["id"] for a in resolved["resolved"]] == [full] and resolved["open"] == []
        high = await call(session, "list_alerts", urgency="high")
        assert [a["id"] for a in high["open"]] == [lag] and high["resolved"] == []
        assert (high["open"][0]["urgency"], high["open"][0]["incident"]) == ("high", None)
        one = await call(session, "get_alert", alert=lag)
        (carols,) = one["pages"]
        assert (carols["person"]["name"], carols["notifications"][0]["method"]) == (
            "Carol Tanaka",
            "ntfy",
        )
        assert TOPIC not in str(one)
        assert "no alert" in await refused(session, "get_alert", alert=999)
        assert "state" in await refused(session, "list_alerts", state="asleep")
        assert "urgency" in await refused(session, "list_alerts", urgency="urgent")
        assert "route" in await refused(session, "list_alerts", route="x" * 201)


@pytest.mark.parametrize(
    ("local", "after"),
    [
        ("2026-03-06T17:59:59", False),  # Friday, a second before six
        ("2026-03-06T18:00:00", True),
        ("2026-03-07T12:00:00", True),  # Saturday noon
        ("2026-03-09T08:59:59", True),  # Monday, before nine
        ("2026-03-09T09:00:00", False),
    ],
)
def test_after_hours_is_outside_nine_to_six_on_weekdays_in_the_zone_given(
    local: str, after: bool
) -> None:
    paris = ZoneInfo("Europe/Paris")
    moment = datetime.fromisoformat(local).replace(tzinfo=paris).astimezone(UTC)
    assert after_hours(moment, paris) is after
    # The zone decides: Friday 17:59 in Paris is Saturday 01:59 in Tokyo.
    if local == "2026-03-06T17:59:59":
        assert after_hours(moment, ZoneInfo("Asia/Tokyo"))
