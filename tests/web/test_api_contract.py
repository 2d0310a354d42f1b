"""The JSON API against its own OpenAPI document: every answer schemathesis provokes, with
generated and hand-picked inputs, must match /api/openapi.json, and never be a 5xx. The
on-call operations answer from two configured schedules; the alerts' from an alert that pages
without an incident (alert 2)."""

from __future__ import annotations

import asyncio
from itertools import zip_longest
from pathlib import Path

import aiohttp
import requests
import schemathesis

# Imported at collection, not lazily inside a running test: parsing it there, deep in the stack
# under pytest's assertion rewriting, raised CPython 3.11's "AST constructor recursion depth
# mismatch" SystemError (python/cpython#106905) on a busy run.
import schemathesis.specs.openapi.schemas
from hypothesis import HealthCheck, given, settings

from bot.config.reading import Secret
from emulator import SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Warroom
from tests.helpers.alerts import TOKEN, alert, alertmanager, payload, post_alert, routes
from tests.helpers.incidents import declare_incident, open_incident
from tests.helpers.web_view import API_TOKEN, browser, sign_in, web_warroom
from tests.oncall.samples import two_schedules
from tests.paging.scenario import paging_settings

BEARER = {"Authorization": f"Bearer {API_TOKEN}"}
REFERENCES = ("INC-1", "INC-2", "INC-3", "INC-4", "INC-99", "inc-1", "INC-0", "INC-1x", "..%2f")
SCHEDULES = ("payments", "PAYMENTS", "support", "nope", "payments.ics", "..%2f")
OVERRIDES = ("1", "2", "999", "0", "x", "99999999999999999999", "..%2f")
ALERTS = ("1", "2", "999", "0", "x", "99999999999999999999", "..%2f")
SERVICES = ("checkout", "CHECKOUT", "nope", "..%2f", "x" * 300)
# Hand-picked values of each path parameter, beside the generated ones.
PATH_VALUES = {
    "reference": REFERENCES,
    "schedule": SCHEDULES,
    "override": OVERRIDES,
    "alert": ALERTS,
    "name": SERVICES,
}


async def _seed(warroom: Warroom, slack: SlackEmulator) -> None:
    """A public incident with a full record, a private one Carol is not in, a resolved one."""
    channel = await open_incident(warroom, "Checkout returns 500s")
    said = await slack.post_message(channel.id, "Orders DB is slow?", user=BOB)
    await slack.add_reaction(channel.id, said.ts, "x", user=ALICE)
    for command in (
        "sev 1",
        "impact 20% of checkouts fail",
        "escalate @bob owns orders",
        "action @bob Alert on card errors",
    ):
        await slack.send_command(command, user=ALICE, channel=channel.id)
    await slack.drain()
    await declare_incident(slack, "--private sev2 Payroll export", pinned=True)
    third = await declare_incident(slack, "sev4 Docs typo", pinned=True)
    await slack.send_command("resolve fixed", user=ALICE, channel=third.id)
    await slack.drain()
    await warroom.run_jobs()


async def _seed_alert(warroom: Warroom) -> None:
    """An incident Alertmanager opened (the documented payload: labels and annotations)."""
    status, answer = await post_alert(
        warroom.url, "alertmanager", payload("alertmanager_firing.json")
    )
    assert status == 202, answer
    await warroom.run_jobs()
    await warroom.slack.drain()


def _conform(base_url: str, cookies: dict[str, str]) -> int:
    """Run schemathesis over every operation; return how many calls were checked."""
    document = requests.get(f"{base_url}/api/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(document)
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=40,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def generated(case: schemathesis.Case) -> None:
            nonlocal checked
            case.call_and_validate(base_url=base_url, headers=BEARER)
            checked += 1

        generated()
        names = [name for name in PATH_VALUES if "{" + name + "}" in operation.path]
        for values in zip_longest(*(PATH_VALUES[name] for name in names)) if names else [()]:
            chosen = {
                name: value or PATH_VALUES[name][0]
                for name, value in zip(names, values, strict=True)
            }
            case = operation.Case(path_parameters=chosen)
            for headers, jar in ((BEARER, {}), ({}, cookies), ({}, {})):
                response = case.call(base_url=base_url, headers=headers, cookies=jar)
                case.validate_response(response)
                assert response.status_code < 500
                checked += 1
    return checked


async def _seed_own_alert(warroom: Warroom) -> None:
    """An alert of a route that pages without an incident (alert 2), Bob paged for it."""
    fired = alertmanager("DiskFull", [alert("DiskFull", "db-1", "2026-03-03T01:58:00Z")])
    status, answer = await post_alert(warroom.url, "alertmanager", fired)
    assert status == 202, answer
    await warroom.run_jobs()
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"{warroom.url}/api/alerts/2", headers=BEARER) as got,
    ):
        assert (got.status, (await got.json())["pages"][0]["person"]["id"]) == (200, BOB)


def _page_route(tmp_path: Path) -> dict[str, object]:
    """A page route for DiskFull (its channel made by the test), paging Bob."""
    paging = paging_settings(
        tmp_path,
        {"people": {BOB: {"rules": [{"after": "0s", "notify": ["slack"]}]}}},
        {"policies": {"disks": {"levels": [{"targets": [{"user": BOB}]}]}}},
    )
    del paging["oncall__schedules"], paging["web__public_url"]
    return paging


async def test_every_answer_matches_the_openapi_document(
    slack: SlackEmulator, sqlite_url: str, tmp_path: Path
) -> None:
    ops = slack.create_channel("ops-alerts", creator=ALICE, members=[slack.bot_user_id, ALICE])
    page_route = {"name": "disks", "match": {"alertname": "DiskFull"}, "action": "page"}
    async with web_warroom(
        slack,
        sqlite_url,
        oncall__schedules=two_schedules(),
        alerting__token=Secret(TOKEN),
        alerting__routes=routes({"routes": [{**page_route, "policy": "disks", "channel": ops.id}]}),
        **_page_route(tmp_path),
    ) as warroom:
        await _seed(warroom, slack)
        await _seed_alert(warroom)
        await _seed_own_alert(warroom)
        async with browser() as carol:
            await sign_in(carol, warroom, CAROL)
            cookies = {c.key: c.value for c in carol.cookie_jar}
        checked = await asyncio.to_thread(_conform, warroom.url, cookies)
    assert checked > 100


async def test_outside_a_private_channel_the_api_answers_404(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom:
        await _seed(warroom, slack)
        async with browser() as carol, browser() as alice:
            await sign_in(carol, warroom, CAROL)
            await sign_in(alice, warroom, ALICE)
            for path in ("/api/incidents/INC-2", "/api/incidents/INC-2/postmortem"):
                async with carol.get(warroom.url + path) as answer:
                    assert answer.status == 404
                    assert (await answer.json())["error"] == "not_found"
                async with alice.get(warroom.url + path) as answer:
                    assert answer.status == 200
            async with carol.get(f"{warroom.url}/api/incidents") as answer:
                listed = [item["reference"] for item in (await answer.json())["items"]]
            assert listed == ["INC-3", "INC-1"]
            async with alice.get(f"{warroom.url}/api/incidents") as answer:
                listed = [item["reference"] for item in (await answer.json())["items"]]
            assert listed == ["INC-3", "INC-2", "INC-1"]
        async with aiohttp.ClientSession() as client:
            async with client.get(f"{warroom.url}/api/incidents/INC-2", headers=BEARER) as answer:
                detail = await answer.json()
            assert answer.status == 200 and detail["private"] is True


async def test_an_incident_answers_its_alerts_with_their_labels_and_annotations(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """The alerts behind an incident, as Alertmanager sent them, and as the document says."""
    async with web_warroom(slack, sqlite_url, alerting__token=Secret(TOKEN)) as warroom:
        await _seed_alert(warroom)
        document = await asyncio.to_thread(
            lambda: requests.get(f"{warroom.url}/api/openapi.json", timeout=10).json()
        )
        operation = schemathesis.openapi.from_dict(document)["/api/incidents/{reference}"]["GET"]
        case = operation.Case(path_parameters={"reference": "INC-1"})
        response = await asyncio.to_thread(case.call, base_url=warroom.url, headers=BEARER)
        # Its checks call the API again: from a thread, while the bot answers.
        await asyncio.to_thread(case.validate_response, response)
    (alert,) = response.json()["alerts"]
    assert alert == {
        "name": "HighLatency",
        "fingerprint": "c6eadffa33fcdf37",
        "status": "firing",
        "starts_at": "2026-08-01T10:00:00Z",
        "ends_at": None,
        "summary": "p99 latency of the orders database above 2s",
        "labels": {
            "alertname": "HighLatency",
            "severity": "critical",
            "team": "db",
            "instance": "db-1:9187",
        },
        "annotations": {
            "summary": "p99 latency of the orders database above 2s",
            "runbook_url": "https://runbooks.example.com/db/high-latency",
        },
        "links": alert["links"],
    }
    assert {"text": "Runbook", "url": "https://runbooks.example.com/db/high-latency"} in (
        alert["links"]
    )
    schema = document["components"]["schemas"]["IncidentPublic"]
    assert "alerts" in schema["required"], "the document says every incident has its alerts"
