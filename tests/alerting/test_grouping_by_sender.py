"""Grouping with the vendors' semantics: a page is never swallowed. Each new PagerDuty
``dedup_key``, Opsgenie ``alias`` or integration is an alert of its own that pages, as those
vendors do (a route groups only when it asks: ``group_window``, 0 by default, and never
across senders); where a route groups, an alert that joins one of lower urgency raises it and
pages at its urgency, one that joins an acknowledged alert pages whoever acknowledged it, each
joined alert is listed as its own (the alert's page, ``/api/alerts/{id}``, MCP's
``get_alert``, the worklist's count), and a sender's close of its own key closes its own
alert, as the vendor's read of that key says.

Over the wire: PagerDuty's Events API v2 and Opsgenie's Alert API posted to a running
warroom with an integration's key each (their documented examples, tests/payloads/vendors/),
the Slack emulator (the alert's message, its Acknowledge button), the fake ntfy (pushes) and
the fake Twilio (SMS, calls); the web view signed in as Alice, the API with its token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from emulator import Channel, FakeNtfy, FakeTwilio, SlackEmulator
from tests.agents.test_mcp_http import agent, call, warroom_token
from tests.alerting.test_alert_worklist import BEARER, page, worklist_settings
from tests.alerting.test_own_alerts import press
from tests.alerting.test_urgency import BOB_PHONE, PHONE, texts, urgency_settings
from tests.alerting.test_vendor_apis import (
    OpsgenieClient,
    documented,
    groups,
    integration,
    pd_event,
    post,
)
from tests.conftest import ALICE, BOB, CAROL, Warroom, WarroomFactory
from tests.helpers.web_view import browser, sign_in, visible_text

# Carol's phone's push topic (the worklist's and the urgency tests' people alike).
TOPIC = "carol-7f3a9c"
# PagerDuty's documented example trigger's summary (tests/payloads/vendors/).
EXAMPLE = "Example alert on host1.example.com"


def checkout_routes(channel: str, **more: Any) -> dict[str, Any]:
    """Every alert of checkout (an integration's service) pages the queues policy."""
    route = {
        "name": "checkout",
        "match": {"service": "checkout"},
        "action": "page",
        "policy": "queues",
        "channel": channel,
        "severity": "SEV3",
    }
    return {"routes": [route | more]}


def grouping(channel: str) -> dict[str, Any]:
    """checkout's route, grouping its alerts within 5 minutes."""
    return checkout_routes(channel, group_window="5m")


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio() as fake:
        yield fake


async def phones_warroom(
    warroom_with: WarroomFactory,
    database_url: str,
    tmp_path: Path,
    phones: tuple[FakeNtfy, FakeTwilio],
    document: dict[str, Any],
) -> Warroom:
    """Carol and Bob on the queues policy's level, SMS and calls for high urgency, a push
    for low (test_urgency's people)."""
    return await warroom_with(**urgency_settings(database_url, tmp_path, phones, document))


async def web_warroom(
    warroom_with: WarroomFactory,
    slack: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    ntfy: FakeNtfy,
    document: Callable[[str], dict[str, Any]] = checkout_routes,
) -> tuple[Warroom, Channel]:
    """Carol on call (a push at once, whatever the urgency), Bob after 5 minutes, the web
    view and its API token (test_alert_worklist's); the route's channel."""
    running = await warroom_with(**worklist_settings(slack, database_url, tmp_path, ntfy, document))
    ops = slack.channel_by_name("ops-alerts")
    assert ops is not None
    return running, ops


async def create(warroom: Warroom, key: str, message: str, priority: str, alias: str) -> None:
    """An Opsgenie "Create Alert" request, processed."""
    body = {"message": message, "priority": priority, "alias": alias}
    await OpsgenieClient(warroom.url, key).call("/v2/alerts", body)
    await warroom.run_jobs()


async def close(warroom: Warroom, key: str, alias: str) -> None:
    """An Opsgenie "Close Alert" request by alias, processed."""
    path = f"/v2/alerts/{alias}/close?identifierType=alias"
    await OpsgenieClient(warroom.url, key).call(path, {"source": "probe"})
    await warroom.run_jobs()


async def read(warroom: Warroom, key: str, alias: str) -> dict[str, Any]:
    """Opsgenie's "Get Alert" by alias: the alert as Opsgenie shows it."""
    path = f"/v2/alerts/{alias}?identifierType=alias"
    status, answer = await OpsgenieClient(warroom.url, key).read(path)
    assert status == 200, answer
    shown: dict[str, Any] = answer["data"]
    return shown


async def trigger(warroom: Warroom, key: str, **payload: Any) -> None:
    """PagerDuty's documented example trigger (``payload`` changed), processed."""
    event = pd_event("trigger", key)
    event["payload"] |= payload
    status, answer = await post(warroom, "/v2/enqueue", event)
    assert status == 202, answer
    await warroom.run_jobs()


async def api(warroom: Warroom, path: str) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"{warroom.url}{path}", headers=BEARER) as answer,
    ):
        assert answer.status == 200, await answer.text()
        found: dict[str, Any] = await answer.json()
        return found


def pushed(ntfy: FakeNtfy, topic: str = TOPIC) -> list[str]:
    return [push.title for push in ntfy.phone(topic)]


# The three pages seen swallowed -------------------------------------------------------------


async def test_a_pagerduty_critical_trigger_after_a_low_urgency_opsgenie_alert_rings_the_phones(
    warroom_with: WarroomFactory,
    database_url: str,
    tmp_path: Path,
    ops: Channel,
    ntfy: FakeNtfy,
    twilio: FakeTwilio,
) -> None:
    warroom = await phones_warroom(
        warroom_with, database_url, tmp_path, (ntfy, twilio), checkout_routes(ops.id)
    )
    genie = await integration(warroom, "opsgenie", "checkout")
    pagerduty = await integration(warroom, "pagerduty", "checkout")
    await create(warroom, genie, "Queue depth above 10k", "P3", "queue-depth")
    assert texts(twilio, PHONE) == []  # low urgency: Carol's push only
    assert len(ntfy.phone(TOPIC)) == 1

    await trigger(warroom, pagerduty, severity="critical")
    # An alert of its own, at high urgency: Carol's and Bob's SMS at once, Carol's call at 5m.
    (sms,) = texts(twilio, PHONE)
    assert EXAMPLE in sms and "(high urgency)" in sms
    assert len(texts(twilio, BOB_PHONE)) == 1
    await warroom.advance(minutes=5)
    (call_,) = twilio.calls
    assert f"high urgency: {EXAMPLE}" in call_.twiml
    opened = {group.title: group for group in await groups(warroom)}
    assert (opened[EXAMPLE].state, opened[EXAMPLE].urgency) == ("triggered", "high")
    assert opened["Queue depth above 10k"].urgency == "low"


async def test_pagerdutys_example_trigger_after_an_acknowledged_alert_pages(
    warroom_with: WarroomFactory,
    slack: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    ntfy: FakeNtfy,
) -> None:
    warroom, ops = await web_warroom(warroom_with, slack, database_url, tmp_path, ntfy)
    genie = await integration(warroom, "opsgenie", "checkout")
    pagerduty = await integration(warroom, "pagerduty", "checkout")
    example = documented("opsgenie_alert_api.json")["create"]
    await OpsgenieClient(warroom.url, genie).call(example["path"], example["body"])
    await warroom.run_jobs()
    await press(warroom, ops, "acknowledge_alert", CAROL)
    assert pushed(ntfy) == ["SEV3 Alert: An example alert message"]

    await trigger(warroom, pagerduty)  # as documented: "info", low urgency
    assert len(pushed(ntfy)) == 2 and EXAMPLE in pushed(ntfy)[1]
    states = {group.title: group.state for group in await groups(warroom)}
    assert states == {"An example alert message": "acknowledged", EXAMPLE: "triggered"}
    assert len(ops.messages) == 2


async def test_an_opsgenie_p2_after_an_acknowledged_alert_pages_and_is_listed(
    warroom_with: WarroomFactory,
    slack: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    ntfy: FakeNtfy,
) -> None:
    warroom, _ = await web_warroom(warroom_with, slack, database_url, tmp_path, ntfy)
    genie = await integration(warroom, "opsgenie", "checkout")
    pagerduty = await integration(warroom, "pagerduty", "checkout")
    await trigger(warroom, pagerduty)
    status, _ = await post(warroom, "/v2/enqueue", pd_event("acknowledge", pagerduty))
    assert status == 202
    await warroom.run_jobs()
    title = "Checkout p99 latency above 2s"
    await create(warroom, genie, title, "P2", "checkout-latency")

    assert len(pushed(ntfy)) == 2 and title in pushed(ntfy)[1]
    (own,) = [group for group in await groups(warroom) if group.title == title]
    assert (own.state, own.urgency) == ("triggered", "high")
    async with browser() as alice:
        await sign_in(alice, warroom, ALICE)
        status, html = await page(alice, f"{warroom.url}/alerts")
        assert status == 200 and title in html and EXAMPLE in html
        status, html = await page(alice, f"{warroom.url}/alerts/{own.id}")
        assert status == 200 and title in visible_text(html)
    listed = await api(warroom, "/api/alerts")
    assert {item["title"]: item["state"] for item in listed["open"]} == {
        EXAMPLE: "acknowledged",
        title: "triggered",
    }


# Where a route groups -----------------------------------------------------------------------


async def test_an_alert_joining_a_low_urgency_one_raises_it_and_rings_the_phones(
    warroom_with: WarroomFactory,
    database_url: str,
    tmp_path: Path,
    ops: Channel,
    ntfy: FakeNtfy,
    twilio: FakeTwilio,
) -> None:
    warroom = await phones_warroom(
        warroom_with, database_url, tmp_path, (ntfy, twilio), grouping(ops.id)
    )
    genie = await integration(warroom, "opsgenie", "checkout")
    pagerduty = await integration(warroom, "pagerduty", "checkout")
    await create(warroom, genie, "Queue depth above 10k", "P3", "queue-depth")
    await warroom.advance(minutes=1)
    await create(warroom, genie, "Checkout down", "P1", "checkout-down")

    # One alert, raised to high urgency: the phones ring.
    (alert,) = [group for group in await groups(warroom) if group.state is not None]
    assert (alert.title, alert.urgency) == ("Queue depth above 10k", "high")
    assert alert.state == "triggered"
    (sms,) = texts(twilio, PHONE)
    assert "Queue depth above 10k" in sms and "(high urgency)" in sms
    assert len(texts(twilio, BOB_PHONE)) == 1
    assert "· high urgency ·" in ops.messages[-1].text and "Checkout down" in ops.messages[-1].text

    # Another integration's alert within the window is an alert of its own.
    await trigger(warroom, pagerduty, severity="critical")
    assert len(texts(twilio, PHONE)) == 2 and EXAMPLE in texts(twilio, PHONE)[1]
    assert len([group for group in await groups(warroom) if group.state is not None]) == 2


async def test_an_alert_joining_an_acknowledged_one_pages_who_acknowledged_it_and_is_listed(
    warroom_with: WarroomFactory,
    slack: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    ntfy: FakeNtfy,
) -> None:
    warroom, ops = await web_warroom(warroom_with, slack, database_url, tmp_path, ntfy, grouping)
    genie = await integration(warroom, "opsgenie", "checkout")
    await create(warroom, genie, "Checkout 5xx above 1%", "P1", "checkout-5xx")
    await press(warroom, ops, "acknowledge_alert", CAROL)
    await warroom.advance(minutes=1)
    await create(warroom, genie, "Card payments failing", "P2", "card-payments")

    # Carol, who acknowledged it, is paged again; the alert is triggered until she answers.
    assert len(pushed(ntfy)) == 2
    (alert,) = [group for group in await groups(warroom) if group.state is not None]
    assert (alert.state, alert.fired_count) == ("triggered", 2)
    assert slack.direct_messages(BOB) == []
    await warroom.advance(minutes=4)
    assert slack.direct_messages(BOB) == []  # her page first
    await warroom.advance(minutes=2)
    # Unanswered for her level's 5 minutes: the policy's next level, as any page nobody takes.
    assert slack.direct_messages(BOB) != []

    # The joined alert is listed as its own: the alert's page, the API, MCP, the worklist.
    async with browser() as alice:
        await sign_in(alice, warroom, ALICE)
        status, html = await page(alice, f"{warroom.url}/alerts/{alert.id}")
        text = " ".join(visible_text(html).split())
        assert status == 200
        assert re.search(r"Alerts that joined it .* Card payments failing opsgenie triggered", text)
        status, html = await page(alice, f"{warroom.url}/alerts")
        assert "1 alert joined" in " ".join(visible_text(html).split())
    detail = await api(warroom, f"/api/alerts/{alert.id}")
    (joined,) = detail["joined"]
    assert (joined["title"], joined["source"], joined["state"]) == (
        "Card payments failing",
        "opsgenie",
        "triggered",
    )
    assert detail["joined_count"] == 1
    assert (await api(warroom, "/api/alerts"))["open"][0]["joined_count"] == 1
    token = await warroom_token(warroom, "triage-bot", "read")
    async with agent(warroom.url, token) as session:
        answer = await call(session, "get_alert", alert=alert.id)
    assert [each["title"] for each in answer["joined"]] == ["Card payments failing"]

    # Each sender's close closes its own alert, as its read says; the one it joined
    # resolves once none of its alerts fires.
    await close(warroom, genie, "checkout-5xx")
    assert (await read(warroom, genie, "checkout-5xx"))["status"] == "closed"
    shown = await read(warroom, genie, "card-payments")
    assert (shown["status"], shown["message"]) == ("open", "Card payments failing")
    (alert,) = [group for group in await groups(warroom) if group.state is not None]
    assert alert.state == "triggered"
    await close(warroom, genie, "card-payments")
    assert (await read(warroom, genie, "card-payments"))["status"] == "closed"
    (alert,) = [group for group in await groups(warroom) if group.state is not None]
    assert alert.state == "resolved"


async def test_a_joined_alerts_close_resolves_its_own_and_leaves_the_one_it_joined(
    warroom_with: WarroomFactory,
    slack: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    ntfy: FakeNtfy,
) -> None:
    warroom, _ = await web_warroom(warroom_with, slack, database_url, tmp_path, ntfy, grouping)
    genie = await integration(warroom, "opsgenie", "checkout")
    await create(warroom, genie, "Checkout 5xx above 1%", "P1", "checkout-5xx")
    await create(warroom, genie, "Card payments failing", "P1", "card-payments")
    assert len(pushed(ntfy)) == 1  # joined, same urgency: paged once

    await close(warroom, genie, "card-payments")
    shown = await read(warroom, genie, "card-payments")
    assert (shown["status"], shown["message"]) == ("closed", "Card payments failing")
    assert (await read(warroom, genie, "checkout-5xx"))["status"] == "open"
    (alert,) = [group for group in await groups(warroom) if group.state is not None]
    detail = await api(warroom, f"/api/alerts/{alert.id}")
    assert detail["state"] == "triggered"
    assert [(each["title"], each["state"]) for each in detail["joined"]] == [
        ("Card payments failing", "resolved")
    ]
