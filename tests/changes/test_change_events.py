"""Change events at the protocol boundary: PagerDuty's documented change
event (``tests/payloads/vendors/pagerduty_change_events.json``, with the page it comes from)
sent to ``/v2/change/enqueue`` with an integration's key is kept for its service and answered
as PagerDuty answers; GitHub's documented webhook deliveries
(``tests/payloads/vendors/github_webhooks.json``) signed with the integration's secret are
kept for the service that lists the repository, a bad signature refused 401 with nothing
kept; ``POST /api/changes`` with a ``changes`` key validates its JSON, naming the field; a
resent event is kept once; and ``/changes``, a service's page, ``GET /api/changes``, the
agents' ``list_changes`` and ``warroom changes list`` read them, newest first.

The answers' shapes: PagerDuty's Events API v2 overview ("Response Codes & Retry Logic",
https://developer.pagerduty.com/docs/events-api-v2/overview/) and "Send a Change Event"
(https://developer.pagerduty.com/docs/events-api-v2/send-change-events/); GitHub's
"Validating webhook deliveries"
(https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries).
"""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import idna
import pytest
from multidict import CIMultiDict
from sqlmodel import col, select

from bot.record.alerting import integrations
from bot.record.alerting.services import parse_services
from bot.record.alerting.sources.source import Delivery, hmac_sha256
from bot.record.changes.events import changes_before
from bot.record.changes.sources.github import GITHUB
from bot.store.db import create_engine, session_scope
from bot.store.migrate import upgrade_database
from bot.store.models import ChangeEvent
from emulator import SlackEmulator
from tests.agents.test_mcp_http import agent, call, warroom_token
from tests.conftest import BOB, Clock, Warroom
from tests.helpers.alerts import PAYLOADS
from tests.helpers.processes import run_warroom
from tests.helpers.web_view import API_TOKEN, browser, sign_in, visible_text, web_settings

NOW = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
LIMIT = 64 * 1024
VENDORS = PAYLOADS / "vendors"
REPOSITORY = "Codertocat/Hello-World"
SERVICES = {
    "services": [
        {"name": "checkout", "repositories": [REPOSITORY]},
        {"name": "payments-api"},
    ]
}


def documented(name: str, example: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((VENDORS / name).read_text())[example]
    return copy.deepcopy(document)


@pytest.fixture
def warroom_settings(slack: SlackEmulator, database_url: str) -> dict[str, object]:
    return {
        "database_url": database_url,
        "clock": Clock(NOW),
        "alerting__catalog": parse_services(SERVICES),
        "alerting__max_body_bytes": LIMIT,
        **web_settings(slack),
    }


async def integration(warroom: Warroom, kind: str, service: str, name: str | None = None) -> str:
    """An integration made as ``warroom integrations create`` makes it; its key."""
    async with session_scope(warroom.engine) as session:
        _, key = await integrations.create(
            session, kind=kind, service=service, name=name, now=warroom.clock()
        )
        await session.commit()
    return key


async def post(
    warroom: Warroom, path: str, body: dict[str, Any] | bytes, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{warroom.url}{path}",
            data=data,
            headers={"Content-Type": "application/json", **(headers or {})},
        ) as answer,
    ):
        return answer.status, await answer.json()


async def kept(warroom: Warroom) -> list[ChangeEvent]:
    async with session_scope(warroom.engine) as session:
        rows = await session.exec(select(ChangeEvent).order_by(col(ChangeEvent.id)))
        return list(rows.all())


# PagerDuty's change events ----------------------------------------------------------------


async def test_pagerdutys_documented_change_event_is_kept_once_for_its_keys_service(
    warroom: Warroom,
) -> None:
    key = await integration(warroom, "pagerduty", "payments-api")
    event = {**documented("pagerduty_change_events.json", "change"), "routing_key": key}
    status, answer = await post(warroom, "/v2/change/enqueue", event)
    assert (status, answer) == (202, {"status": "success", "message": "Event processed"})
    (change,) = await kept(warroom)
    assert change.service == "payments-api"
    assert change.summary == "Build Success: Increase snapshot create timeout to 30 seconds"
    assert change.at == datetime(2020, 7, 17, 8, 42, 58, 315000, tzinfo=UTC)
    assert change.link == "https://acme.pagerduty.dev/build/2"
    assert (change.source, change.origin) == (
        "pagerduty",
        "acme-build-pipeline-tool-default-i-9999",
    )
    assert change.kind == "other" and change.who is None  # PagerDuty says neither
    # The sender's words, kept as they came but for the key: the integration's id stands there.
    assert json.loads(change.body) == {
        **event,
        "routing_key": f"integration-{change.integration_id}",
    }
    assert key not in change.body

    # Sent again (a retry): answered the same, kept once.
    assert await post(warroom, "/v2/change/enqueue", event) == (status, answer)
    assert len(await kept(warroom)) == 1
    # custom_details may say the kind and who.
    event["payload"]["custom_details"] |= {"change_type": "deploy", "author": "erin"}
    assert (await post(warroom, "/v2/change/enqueue", event))[0] == 202
    latest = (await kept(warroom))[-1]
    assert (latest.kind, latest.who) == ("deploy", "erin")


async def test_a_change_event_pagerduty_would_refuse_is_refused_in_its_words_and_not_kept(
    warroom: Warroom,
) -> None:
    key = await integration(warroom, "pagerduty", "checkout")
    event = {**documented("pagerduty_change_events.json", "change"), "routing_key": "wrong"}
    status, answer = await post(warroom, "/v2/change/enqueue", event)
    assert (status, answer) == (
        400,
        {
            "status": "invalid event",
            "message": "Event object is invalid",
            "errors": ["Invalid routing key"],
        },
    )
    # An Opsgenie integration's key is no PagerDuty key.
    other = await integration(warroom, "opsgenie", "checkout")
    assert (await post(warroom, "/v2/change/enqueue", {**event, "routing_key": other}))[0] == 400

    event["routing_key"] = key
    del event["payload"]["summary"]
    event["links"] = [{"text": "no href"}]
    status, answer = await post(warroom, "/v2/change/enqueue", event)
    assert status == 400
    assert answer["errors"] == [
        "'payload.summary' is missing or blank",
        "'links[0].href' is missing",
    ]
    status, _ = await post(warroom, "/v2/change/enqueue", b"{" + b" " * LIMIT + b"}")
    assert status == 413
    assert await kept(warroom) == []


# GitHub's webhooks ----------------------------------------------------------------------


def signed(body: bytes, secret: str, event: str) -> dict[str, str]:
    return {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        "X-Hub-Signature-256": "sha256=" + hmac_sha256(secret, body),
    }


def test_githubs_documented_signature_is_the_one_checked() -> None:
    example = json.loads((VENDORS / "github_webhooks.json").read_text())["signature_example"]
    headers = CIMultiDict({"X-Hub-Signature-256": example["signature"]})
    delivery = Delivery(path="/changes/github/x", params={}, headers=headers, query={})
    body = example["payload"].encode()
    assert GITHUB.signed(delivery, body, example["secret"])
    assert not GITHUB.signed(delivery, body, example["secret"] + "!")


async def test_githubs_signed_deliveries_are_kept_for_the_service_listing_the_repository(
    warroom: Warroom,
) -> None:
    # An organisation's webhook, made for payments-api: the repository is checkout's.
    secret = await integration(warroom, "github", "payments-api", name="acme-github")
    path = "/changes/github/acme-github"
    deployed = json.dumps(documented("github_webhooks.json", "deployment_status")).encode()

    # A wrong secret, none, or another integration's name: 401, nothing kept.
    for headers in (signed(deployed, "not-the-secret", "deployment_status"), {}):
        status, answer = await post(warroom, path, deployed, headers)
        assert (status, answer["error"]) == (401, "missing or wrong signature")
    wrong_name = "/changes/github/someone-else"
    assert (await post(warroom, wrong_name, deployed, signed(deployed, secret, "x")))[0] == 401
    assert await kept(warroom) == []

    status, answer = await post(
        warroom, path, deployed, signed(deployed, secret, "deployment_status")
    )
    assert status == 202 and answer["status"] == "accepted"
    # Redelivered: the same change.
    again = await post(warroom, path, deployed, signed(deployed, secret, "deployment_status"))
    assert again == (status, answer)
    (deploy,) = await kept(warroom)
    assert deploy.id == answer["id"]
    assert (deploy.service, deploy.kind, deploy.who) == ("checkout", "deploy", "Codertocat")
    assert deploy.summary == f"{REPOSITORY}: master deployed to production"
    assert deploy.at == datetime(2019, 5, 15, 15, 20, 55, tzinfo=UTC)
    assert deploy.link == "https://github.com/Codertocat/Hello-World"
    assert (deploy.source, deploy.origin) == ("github", REPOSITORY)

    release = json.dumps(documented("github_webhooks.json", "release")).encode()
    assert (await post(warroom, path, release, signed(release, secret, "release")))[0] == 202
    pushed = json.dumps(documented("github_webhooks.json", "push_default")).encode()
    assert (await post(warroom, path, pushed, signed(pushed, secret, "push")))[0] == 202
    # A tag deleted, and GitHub's ping when the webhook is made: answered, not kept.
    deleted = json.dumps(documented("github_webhooks.json", "push_tag_deleted")).encode()
    status, answer = await post(warroom, path, deleted, signed(deleted, secret, "push"))
    assert (status, answer["status"]) == (200, "ignored")
    ping = b'{"zen": "Keep it logically awesome.", "hook_id": 1}'
    assert (await post(warroom, path, ping, signed(ping, secret, "ping")))[0] == 200

    _, published, push = await kept(warroom)
    assert (published.kind, published.summary) == (
        "deploy",
        f"{REPOSITORY}: release 0.0.1 published",
    )
    assert published.link == "https://github.com/Codertocat/Hello-World/releases/tag/0.0.1"
    assert push.summary == (
        f"{REPOSITORY}: 1 commit to master: Raise the gateway's connection pool to 200"
    )
    assert push.body.startswith("X-GitHub-Event: push\n\n")  # the delivery, kept as it came

    # Revoked: its next delivery is refused.
    async with session_scope(warroom.engine) as session:
        await integrations.revoke(session, "acme-github", now=warroom.clock())
        await session.commit()
    release = release.replace(b"11248810", b"11248811")
    assert (await post(warroom, path, release, signed(release, secret, "release")))[0] == 401
    assert len(await kept(warroom)) == 3


# POST /api/changes ------------------------------------------------------------------------


async def test_the_apis_changes_are_validated_named_by_field_and_kept_once(
    warroom: Warroom,
) -> None:
    key = await integration(warroom, "changes", "checkout")
    bearer = {"Authorization": f"Bearer {key}"}
    change = {
        "kind": "configuration",
        "summary": "Gateway timeout lowered to 2 s",
        "who": "erin",
        "at": "2026-03-03T01:30:00+01:00",
        "link": "https://ci.example.com/run/42",
        "source": "jenkins",
        "idempotency_key": "run-42",
    }
    status, answer = await post(warroom, "/api/changes", change, bearer)
    assert (status, answer["status"]) == (202, "accepted")
    assert await post(warroom, "/api/changes", change, bearer) == (status, answer)
    (row,) = await kept(warroom)
    assert (row.service, row.kind, row.who, row.origin) == (
        "checkout",
        "configuration",
        "erin",
        "jenkins",
    )
    assert row.at == datetime(2026, 3, 3, 0, 30, tzinfo=UTC)  # kept in UTC

    wrong = {**change, "kind": "rollout", "link": "javascript:alert(1)", "colour": "red"}
    status, answer = await post(warroom, "/api/changes", wrong, bearer)
    assert status == 400 and answer["error"] == "invalid"
    for field in ("'colour'", "'kind' must be one of deploy", "'link' must be an http(s)"):
        assert field in answer["message"]
    status, answer = await post(
        warroom, "/api/changes", {**change, "service": "payments-api"}, bearer
    )
    assert status == 400 and "'service'" in answer["message"]
    status, answer = await post(warroom, "/api/changes", {"kind": "deploy"}, bearer)
    assert (status, answer["message"]) == (400, "'summary' is missing or blank")

    # No key, the JSON API's token, or a key of another kind: 401.
    other = await integration(warroom, "pagerduty", "checkout")
    for headers in (
        {},
        {"Authorization": f"Bearer {API_TOKEN}"},
        {"Authorization": f"Bearer {other}"},
    ):
        status, answer = await post(warroom, "/api/changes", change, headers)
        assert (status, answer["error"]) == (401, "unauthorized")
    status, answer = await post(warroom, "/api/changes", b" " * (LIMIT + 1), bearer)
    assert (status, answer["error"]) == (413, "too_large")
    assert len(await kept(warroom)) == 1


# Reading them ---------------------------------------------------------------------------


async def test_changes_are_read_newest_first_on_the_pages_the_api_the_agents_and_the_cli(
    warroom: Warroom, database_url: str
) -> None:
    checkout = {"Authorization": f"Bearer {await integration(warroom, 'changes', 'checkout')}"}
    payments = {"Authorization": f"Bearer {await integration(warroom, 'changes', 'payments-api')}"}

    def at(hours: float) -> str:
        return (NOW - timedelta(hours=hours)).isoformat()

    for headers, hours, summary in (
        (checkout, 30, "checkout-gateway 2023.11.06-3"),
        (checkout, 1, "checkout-gateway 2023.11.07-1"),
        (payments, 2, "payments-api flag new-ledger on"),
    ):
        body = {"kind": "deploy", "summary": summary, "at": at(hours), "who": "erin"}
        assert (await post(warroom, "/api/changes", body, headers))[0] == 202

    api = {"Authorization": f"Bearer {API_TOKEN}"}
    async with aiohttp.ClientSession(headers=api) as client:
        async with client.get(f"{warroom.url}/api/changes") as answer:
            listed = await answer.json()
        assert [c["summary"] for c in listed["changes"]] == [
            "checkout-gateway 2023.11.07-1",
            "payments-api flag new-ledger on",
        ]
        async with client.get(f"{warroom.url}/api/changes?service=checkout&since=2d") as answer:
            listed = await answer.json()
        assert [c["summary"] for c in listed["changes"]] == [
            "checkout-gateway 2023.11.07-1",
            "checkout-gateway 2023.11.06-3",
        ]
        assert listed["changes"][0]["who"] == "erin" and listed["services"] == ["checkout"]
        async with client.get(f"{warroom.url}/api/changes?since=forever") as answer:
            assert answer.status == 400
            assert "since" in (await answer.json())["message"]
        async with client.get(f"{warroom.url}/api/services/checkout") as answer:
            detail = await answer.json()
        assert [c["summary"] for c in detail["changes"]] == ["checkout-gateway 2023.11.07-1"]
        async with client.get(f"{warroom.url}/api/openapi.json") as answer:
            described = await answer.json()
        assert set(described["paths"]["/api/changes"]) == {"get", "post"}

    async with browser() as bob:
        await sign_in(bob, warroom, BOB)
        async with bob.get(f"{warroom.url}/changes?service=payments-api") as answer:
            assert answer.status == 200
            shown = " ".join(visible_text(await answer.text()).split())
        assert "deploy on payments-api: payments-api flag new-ledger on by erin, from api" in shown
        assert "checkout-gateway" not in shown
        async with bob.get(f"{warroom.url}/services/checkout") as answer:
            shown = " ".join(visible_text(await answer.text()).split())
        assert "What changed" in shown and "checkout-gateway 2023.11.07-1" in shown
        assert "2023.11.06-3" not in shown  # older than a day

    token = await warroom_token(warroom, "triage-bot", "read")
    async with agent(warroom.url, token) as session:
        answer = await call(session, "list_changes", service="checkout", since="48h")
    assert [c["summary"] for c in answer["changes"]] == [
        "checkout-gateway 2023.11.07-1",
        "checkout-gateway 2023.11.06-3",
    ]

    # The CLI reads the same record, back from the machine's own clock.
    recent = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    body = {"kind": "database", "summary": "orders index rebuilt", "at": recent}
    assert (await post(warroom, "/api/changes", body, checkout))[0] == 202
    env = {"DATABASE_URL": database_url}
    await warroom.finish_background()
    # Each in a thread: serve runs in this event loop, and a process waiting on SQLite's lock
    # would otherwise wait on the loop it blocks.
    listed_cli = await asyncio.to_thread(
        run_warroom, "changes", "list", "--service", "checkout", "--json", env=env, clean=True
    )
    assert listed_cli.returncode == 0, listed_cli.stderr
    (only,) = json.loads(listed_cli.stdout)
    assert (only["summary"], only["kind"], only["service"]) == (
        "orders index rebuilt",
        "database",
        "checkout",
    )
    table = await asyncio.to_thread(run_warroom, "changes", "list", env=env, clean=True)
    assert table.stdout.splitlines()[0].split() == [
        "WHEN",
        "SERVICE",
        "KIND",
        "WHO",
        "WHAT",
        "FROM",
    ]
    assert "orders index rebuilt" in table.stdout
    refused = await asyncio.to_thread(
        run_warroom, "changes", "list", "--since", "1y", env=env, clean=True
    )
    assert refused.returncode == 2 and "--since" in refused.stderr


async def test_a_change_links_look_alike_of_the_workspaces_host_is_refused_on_pages_and_to_agents(
    warroom: Warroom,
) -> None:
    """Issue 85, item 3: a change's link goes where its sender chose, so a service's page and
    the agents' ``list_changes`` name the host it goes to, and refuse one whose host passes
    for the workspace's own Slack address (``slаck`` with a Cyrillic a, sent as punycode) in
    the words Slack says it with."""
    await warroom.services.slack.team_id()  # auth.test: the workspace's address
    workspace = warroom.services.slack.known_workspace_url or ""
    team = workspace.split("//", 1)[1].split("/", 1)[0]
    fake = idna.encode(team.replace("slack", "sl\u0430ck")).decode()
    assert fake.startswith(team.split(".")[0]) and "xn--" in fake
    checkout = {"Authorization": f"Bearer {await integration(warroom, 'changes', 'checkout')}"}
    pull = "https://github.com/acme/checkout/pull/42"
    for summary, link in (("checkout v42", pull), ("sign-in moved", f"https://{fake}/login")):
        body = {"kind": "deploy", "summary": summary, "at": NOW.isoformat(), "link": link}
        assert (await post(warroom, "/api/changes", body, checkout))[0] == 202

    async with browser() as bob:
        await sign_in(bob, warroom, BOB)
        async with bob.get(f"{warroom.url}/services/checkout") as answer:
            html = await answer.text()
    shown = " ".join(visible_text(html).split())
    assert "checkout v42 (link to github.com)" in shown and f'href="{pull}"' in html
    assert f"sign-in moved (its link refused: {fake} passes for {team})" in shown
    assert fake not in html.split("(its link refused")[0]

    token = await warroom_token(warroom, "triage-bot", "read")
    async with agent(warroom.url, token) as session:
        answer = await call(session, "list_changes", service="checkout")
    links = {
        c["summary"]: (c["link"], c["link_host"], c["link_refused"]) for c in answer["changes"]
    }
    assert links == {
        "checkout v42": (pull, "github.com", None),
        "sign-in moved": (None, fake, f"{fake} passes for {team}"),
    }


async def test_a_guest_sees_no_changes(warroom: Warroom) -> None:
    warroom.slack.add_user("U0GUEST", "gus")
    warroom.slack.users["U0GUEST"].is_restricted = True
    async with browser() as guest:
        await sign_in(guest, warroom, "U0GUEST")
        async with guest.get(f"{warroom.url}/changes") as answer:
            assert answer.status == 403


async def test_what_changed_before_a_moment_is_its_services_window_newest_first(
    warroom: Warroom,
) -> None:
    """The question an alert or an incident will ask: what changed on these services in the
    hours before it, and nothing after it."""
    for service, hours in (
        ("checkout", 3),
        ("checkout", 0.5),
        ("payments-api", 1),
        ("checkout", -1),
    ):
        body = {
            "kind": "deploy",
            "summary": f"{service} {hours}",
            "at": (NOW - timedelta(hours=hours)).isoformat(),
        }
        key = await integration(warroom, "changes", service, name=f"{service}-{hours}")
        assert (await post(warroom, "/api/changes", body, {"Authorization": f"Bearer {key}"}))[
            0
        ] == 202
    async with session_scope(warroom.engine) as session:
        found = await changes_before(session, ["checkout", "payments-api"], NOW, hours=2)
        assert [c.summary for c in found] == ["checkout 0.5", "payments-api 1"]
        only = await changes_before(session, ["checkout"], NOW, hours=4)
        assert [c.summary for c in only] == ["checkout 0.5", "checkout 3"]
        assert await changes_before(session, [], NOW, hours=4) == []


async def test_integrations_create_prints_where_each_change_sender_posts(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade_database(engine)
    finally:
        await engine.dispose()
    env = {"DATABASE_URL": database_url, "WARROOM_PUBLIC_URL": "https://warroom.example.com"}
    made = run_warroom(
        "integrations", "create", "--service", "checkout", "--kind", "github", env=env, clean=True
    )
    assert made.returncode == 0, made.stderr
    assert "URL: https://warroom.example.com/changes/github/checkout-github" in made.stdout
    assert "webhook's secret" in made.stdout
    made = run_warroom(
        "integrations", "create", "--service", "checkout", "--kind", "changes", env=env, clean=True
    )
    assert "URL: https://warroom.example.com/api/changes" in made.stdout
    assert "Authorization: Bearer" in made.stdout
    key = next(line for line in made.stdout.splitlines() if line.startswith("key: "))[5:]
    listed = run_warroom("integrations", "list", env=env, clean=True)
    assert "checkout-github" in listed.stdout and key not in listed.stdout
