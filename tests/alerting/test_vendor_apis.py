"""The PagerDuty Events API v2 and the Opsgenie Alert API, answered as those vendors answer
them, behind integrations with a key each: each vendor's documented examples
(``tests/payloads/vendors/``, with the page each comes from) sent over HTTP to a running
warroom page, deduplicate, acknowledge and resolve as the vendor's semantics say; scripted
clients of each API are repointed at warroom by the URL and key ``warroom integrations
create`` prints, nothing else; a wrong, revoked or missing key gets the vendor's own answer,
stores nothing and names no service; one integration's alerts never page another's service.

The answers' shapes: PagerDuty's Events API v2 overview and reference
(https://developer.pagerduty.com/docs/events-api-v2/overview/, "Response Codes & Retry
Logic"; 202 ``{"status": "success", "message": "Event processed", "dedup_key": …}``, 400
``{"status": "invalid event", "message": "Event object is invalid", "errors": […]}``) and
Opsgenie's response page (https://docs.opsgenie.com/docs/response: 202 "Request will be
processed", 401 for an invalid key, 400 for a body that is not JSON, 422 for semantic errors).
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlmodel import col, select

from bot.record.alerting import integrations
from bot.store.db import session_scope
from bot.store.models import AlertGroup, AlertPayload, Integration
from emulator import Channel, FakeNtfy
from tests.alerting.conftest import NIGHT as NOW
from tests.alerting.conftest import TOPIC, night_paging
from tests.conftest import CAROL, Warroom
from tests.helpers.alerts import PAYLOADS, TOKEN, count
from tests.helpers.processes import run_warroom
from tests.paging.scenario import person_pages

MIB = 1024 * 1024
VENDORS = PAYLOADS / "vendors"


def documented(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((VENDORS / name).read_text())
    return document


def opsgenie_says(answer: str) -> str:
    """The text of Opsgenie's answer ``answer`` (``accepted``, ``unauthenticated``,
    ``unprocessable``, ``not_processed_yet``), as opsgenie_alert_api.json keeps it beside
    where it comes from."""
    body = documented("opsgenie_alert_api.json")["answers"][answer]["body"]
    return str(body.get("result") or body["message"])


# Opsgenie's answer to a request's status asked before the request is processed.
NOT_PROCESSED = opsgenie_says("not_processed_yet")


def checkout_routes(ops: Channel) -> dict[str, Any]:
    """A routes file: checkout's alerts page the queues policy (Carol, on call), each alert
    its own; payments' are posted only."""
    checkout = {
        "name": "checkout",
        "match": {"service": "checkout"},
        "action": "page",
        "policy": "queues",
        "channel": ops.id,
        "severity": "SEV3",
        # Each alert its own (not joined to one paged a moment before).
        "group_window": "0",
    }
    payments = {"name": "payments", "match": {"service": "payments"}, "action": "post"}
    return {
        "routes": [checkout, {**payments, "channel": ops.id}],
        "default": {"action": "post", "channel": ops.id},
    }


@pytest.fixture
def warroom_settings(
    database_url: str, tmp_path: Path, ops: Channel, ntfy: FakeNtfy
) -> dict[str, object]:
    """Checkout's alerts page the queues policy (Carol, on call); payments' are posted only."""
    return night_paging(
        database_url, tmp_path, ntfy, checkout_routes(ops), alerting__max_body_bytes=MIB
    )


async def integration(
    warroom: Warroom, kind: str, service: str, name: str | None = None, topic: str | None = None
) -> str:
    """An integration made as ``warroom integrations create`` makes it; its key."""
    async with session_scope(warroom.engine) as session:
        _, key = await integrations.create(
            session, kind=kind, service=service, name=name, now=warroom.clock(), topic=topic
        )
        await session.commit()
    return key


async def post(
    warroom: Warroom,
    path: str,
    body: dict[str, Any] | bytes,
    headers: dict[str, str] | None = None,
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


async def groups(warroom: Warroom) -> list[AlertGroup]:
    async with session_scope(warroom.engine) as session:
        return list((await session.exec(select(AlertGroup).order_by(col(AlertGroup.id)))).all())


def pd_event(example: str, key: str, dedup_key: str | None = "samplekeyhere") -> dict[str, Any]:
    """PagerDuty's documented example ``example``, with the integration's key (and the
    trigger's dedup key for an acknowledge or resolve)."""
    event = copy.deepcopy(documented("pagerduty_events_v2.json")[example])
    event["routing_key"] = key
    if dedup_key is None:
        event.pop("dedup_key", None)
    else:
        event["dedup_key"] = dedup_key
    return event


# PagerDuty -------------------------------------------------------------------------------


async def test_pagerdutys_documented_events_page_dedup_acknowledge_and_resolve(
    warroom: Warroom, ntfy: FakeNtfy, ops: Channel
) -> None:
    key = await integration(warroom, "pagerduty", "checkout")
    status, answer = await post(warroom, "/v2/enqueue", pd_event("trigger", key))
    assert (status, answer) == (
        202,
        {"status": "success", "message": "Event processed", "dedup_key": "samplekeyhere"},
    )
    await warroom.run_jobs()
    # The alert carries the integration's service, so checkout's route pages Carol.
    (push,) = ntfy.phone(TOPIC)
    assert "Example alert on host1.example.com" in push.title
    (page,) = await person_pages(warroom)
    assert page.user_id == CAROL
    (group,) = await groups(warroom)
    # "info" is a low-urgency severity.
    assert (group.state, group.urgency) == ("triggered", "low")

    # The same trigger again: deduplicated by its dedup_key, nobody paged twice.
    status, _ = await post(warroom, "/v2/enqueue", pd_event("trigger", key))
    assert status == 202
    await warroom.run_jobs()
    assert len(ntfy.phone(TOPIC)) == 1
    assert len(await groups(warroom)) == 1

    # Acknowledged by its dedup_key: paging stops, by the integration.
    status, answer = await post(warroom, "/v2/enqueue", pd_event("acknowledge", key))
    assert (status, answer["dedup_key"]) == (202, "samplekeyhere")
    await warroom.run_jobs()
    (group,) = await groups(warroom)
    assert (group.state, group.acknowledged_by) == ("acknowledged", "checkout-pagerduty")
    assert "Acknowledged" in ops.messages[0].text

    # Resolved by its dedup_key.
    status, _ = await post(warroom, "/v2/enqueue", pd_event("resolve", key))
    assert status == 202
    await warroom.run_jobs()
    (group,) = await groups(warroom)
    assert group.state == "resolved"
    assert "Resolved" in ops.messages[0].text
    # Counted on its integration.
    async with session_scope(warroom.engine) as session:
        (row,) = (await session.exec(select(Integration))).all()
    assert (row.alerts, row.last_alert_at) == (4, NOW)


async def test_a_pagerduty_trigger_without_a_dedup_key_is_a_new_alert_each_time(
    warroom: Warroom,
) -> None:
    key = await integration(warroom, "pagerduty", "checkout")
    keys = []
    for _ in range(2):
        status, answer = await post(warroom, "/v2/enqueue", pd_event("trigger", key, None))
        assert status == 202
        keys.append(answer["dedup_key"])
    assert keys[0] != keys[1]
    await warroom.run_jobs()
    assert len(await groups(warroom)) == 2


# The Events API v1 (PagerDuty/API_Python_Examples, EVENTS_API_V1: what a Nagios or Zabbix
# script posts; PagerDuty/go-pagerduty's event.go, EventResponse: what it reads back).
V1 = "/generic/2010-04-15/create_event.json"


async def test_pagerdutys_events_api_v1_triggers_acknowledges_and_resolves(
    warroom: Warroom, ntfy: FakeNtfy
) -> None:
    key = await integration(warroom, "pagerduty", "checkout")
    assert re.fullmatch(r"[0-9a-f]{32}", key), "PagerDuty's key length, which senders check"
    trigger = {
        "service_key": key,
        "event_type": "trigger",
        "incident_key": "srv01/HTTP",
        "description": "FAILURE for production/HTTP on machine srv01.acme.com",
        "client": "Sample Monitoring Service",
        "details": {"ping time": "1500ms", "load avg": 0.75},
    }
    status, answer = await post(warroom, V1, trigger)
    assert (status, answer) == (
        200,
        {"status": "success", "message": "Event processed", "incident_key": "srv01/HTTP"},
    )
    await warroom.run_jobs()
    (push,) = ntfy.phone(TOPIC)
    assert "FAILURE for production/HTTP" in push.title
    (group,) = await groups(warroom)
    assert (group.state, group.urgency) == ("triggered", "high")
    for event_type, state in (("acknowledge", "acknowledged"), ("resolve", "resolved")):
        event = {"service_key": key, "event_type": event_type, "incident_key": "srv01/HTTP"}
        status, answer = await post(warroom, V1, event)
        assert (status, answer["incident_key"]) == (200, "srv01/HTTP")
        await warroom.run_jobs()
        (group,) = await groups(warroom)
        assert group.state == state
    # A trigger without an incident_key is a new alert, its key made and returned.
    status, answer = await post(warroom, V1, {**trigger, "incident_key": None})
    assert status == 200 and answer["incident_key"] not in ("", None, "srv01/HTTP")
    # A key nobody has is PagerDuty's invalid event; nothing stored.
    status, answer = await post(warroom, V1, {**trigger, "service_key": "0" * 32})
    assert (status, answer["status"], answer["errors"]) == (
        400,
        "invalid event",
        ["Invalid routing key"],
    )
    assert len(await groups(warroom)) == 2


async def test_pagerduty_refuses_a_wrong_revoked_or_missing_key_as_pagerduty_does(
    warroom: Warroom,
) -> None:
    key = await integration(warroom, "pagerduty", "checkout")
    opsgenie_key = await integration(warroom, "opsgenie", "checkout")
    async with session_scope(warroom.engine) as session:
        await integrations.revoke(session, "checkout-pagerduty", now=NOW)
        await session.commit()
    invalid = {"status": "invalid event", "message": "Event object is invalid"}
    # Revoked at once; a key of another kind or nobody's: PagerDuty's 400, the field named.
    for wrong in (key, opsgenie_key, "R0UT1NGKEY0000000000000000000000"):
        status, answer = await post(warroom, "/v2/enqueue", pd_event("trigger", wrong))
        assert (status, answer) == (400, {**invalid, "errors": ["Invalid routing key"]})
        assert "checkout" not in json.dumps(answer)
    event = pd_event("trigger", "")
    status, answer = await post(warroom, "/v2/enqueue", event)
    assert (status, answer) == (400, {**invalid, "errors": ["'routing_key' is missing or blank"]})
    assert await count(warroom, AlertPayload) == 0


async def test_pagerduty_names_each_field_wrong_and_refuses_a_body_over_the_limit(
    warroom: Warroom,
) -> None:
    key = await integration(warroom, "pagerduty", "checkout")
    event = pd_event("trigger", key)
    event["event_action"] = "page"
    del event["payload"]["summary"]
    event["payload"]["severity"] = "sev1"
    status, answer = await post(warroom, "/v2/enqueue", event)
    assert status == 400
    assert answer["errors"] == [
        "'event_action' must be one of trigger, acknowledge, resolve",
    ]
    event["event_action"] = "trigger"
    status, answer = await post(warroom, "/v2/enqueue", event)
    assert answer["errors"] == [
        "'payload.summary' is missing or blank",
        "'payload.severity' must be one of critical, error, warning, info",
    ]
    status, answer = await post(warroom, "/v2/enqueue", pd_event("resolve", key, None))
    assert answer["errors"] == ["'dedup_key' is required for resolve events"]
    status, answer = await post(warroom, "/v2/enqueue", b"{not json")
    assert status == 400 and answer["errors"][0].startswith("body is not JSON")
    status, answer = await post(warroom, "/v2/enqueue", b'{"pad": "' + b"x" * MIB + b'"}')
    assert (status, answer["status"]) == (413, "invalid event")
    assert await count(warroom, AlertPayload) == 0


# Opsgenie --------------------------------------------------------------------------------


def genie(key: str) -> dict[str, str]:
    return {"Authorization": f"GenieKey {key}"}


async def test_opsgenies_documented_requests_page_dedup_acknowledge_and_close(
    warroom: Warroom, ntfy: FakeNtfy, ops: Channel
) -> None:
    key = await integration(warroom, "opsgenie", "checkout")
    examples = documented("opsgenie_alert_api.json")
    create = examples["create"]
    status, answer = await post(warroom, create["path"], create["body"], genie(key))
    assert status == 202
    assert answer["result"] == opsgenie_says("accepted")
    assert isinstance(answer["took"], float) and re.fullmatch(r"[0-9a-f-]{36}", answer["requestId"])
    await warroom.run_jobs()
    (push,) = ntfy.phone(TOPIC)
    assert "An example alert message" in push.title
    (group,) = await groups(warroom)
    assert (group.state, group.urgency) == ("triggered", "high")  # P1

    # Created again with its alias: deduplicated.
    status, _ = await post(warroom, create["path"], create["body"], genie(key))
    assert status == 202
    await warroom.run_jobs()
    assert len(ntfy.phone(TOPIC)) == 1 and len(await groups(warroom)) == 1

    for action, state in (("acknowledge", "acknowledged"), ("close", "resolved")):
        request = examples[action]
        status, answer = await post(warroom, request["path"], request["body"], genie(key))
        assert (status, answer["result"]) == (202, opsgenie_says("accepted"))
        await warroom.run_jobs()
        (group,) = await groups(warroom)
        assert group.state == state, action
    assert "Resolved" in ops.messages[0].text


async def test_opsgenie_refuses_keys_and_fields_as_opsgenie_does(warroom: Warroom) -> None:
    key = await integration(warroom, "opsgenie", "checkout")
    pagerduty_key = await integration(warroom, "pagerduty", "checkout")
    body = {"message": "Disk full on db-1"}
    for headers in (genie("wrong"), genie(pagerduty_key), {}, {"Authorization": f"Bearer {key}"}):
        status, answer = await post(warroom, "/v2/alerts", body, headers)
        assert (status, answer["message"]) == (401, opsgenie_says("unauthenticated"))
        assert "checkout" not in json.dumps(answer)
    status, answer = await post(warroom, "/v2/alerts", {"priority": "P9"}, genie(key))
    assert status == 422
    assert answer["message"] == opsgenie_says("unprocessable")
    assert set(answer["errors"]) == {"message", "priority"}
    status, answer = await post(warroom, "/v2/alerts", b"{not json", genie(key))
    assert status == 400
    path = "/v2/alerts/3/close?identifierType=uuid"
    status, answer = await post(warroom, path, {}, genie(key))
    assert (status, list(answer["errors"])) == (422, ["identifierType"])
    status, answer = await post(warroom, "/v2/alerts", b" " * (MIB + 1), genie(key))
    assert status == 413
    assert await count(warroom, AlertPayload) == 0


# Integrations ----------------------------------------------------------------------------


async def test_one_integrations_alerts_never_page_or_resolve_another_services(
    warroom: Warroom, ntfy: FakeNtfy
) -> None:
    checkout = await integration(warroom, "pagerduty", "checkout")
    payments = await integration(warroom, "pagerduty", "payments")
    generic = await integration(warroom, "generic", "payments")
    # Payments' generic integration says its alert is checkout's: it stays payments'.
    alert = {"title": "Card declines", "dedup_key": "declines", "labels": {"service": "checkout"}}
    status, _ = await post(
        warroom, "/alerts/generic", alert, {"Authorization": f"Bearer {generic}"}
    )
    assert status == 202
    await warroom.run_jobs()
    assert ntfy.phone(TOPIC) == []
    # The same dedup key from two integrations: two alerts; payments' resolve leaves
    # checkout's firing.
    await post(warroom, "/v2/enqueue", pd_event("trigger", checkout))
    await post(warroom, "/v2/enqueue", pd_event("trigger", payments))
    await post(warroom, "/v2/enqueue", pd_event("resolve", payments))
    await warroom.run_jobs()
    assert len(ntfy.phone(TOPIC)) == 1
    pagerduty = [group for group in await groups(warroom) if group.source == "pagerduty"]
    assert len(pagerduty) == 2
    (paged,) = [group for group in pagerduty if group.route == "checkout"]
    assert paged.state == "triggered"
    # The default key still works, for every kind.
    status, _ = await post(warroom, "/v2/enqueue", pd_event("trigger", TOKEN, "default"))
    assert status == 202


async def _create(database_url: str, public_url: str, kind: str) -> tuple[str, str]:
    env = {"DATABASE_URL": database_url, "WARROOM_PUBLIC_URL": public_url}
    return await create_by_cli(env, kind)


async def create_by_cli(
    env: dict[str, str], kind: str, service: str = "checkout"
) -> tuple[str, str]:
    """``warroom integrations create`` as an operator types it, in the environment ``env``
    (the operator's, nothing else): the URL and key it prints."""
    made = await asyncio.to_thread(
        run_warroom,
        "integrations",
        "create",
        "--service",
        service,
        "--kind",
        kind,
        env=env,
        clean=True,
    )
    assert made.returncode == 0, made.stderr
    url = re.search(r"^URL: (\S+)", made.stdout, re.M)
    key = re.search(r"^key: (\S+)", made.stdout, re.M)
    assert url and key, made.stdout
    assert "shown this once" in made.stdout
    return url[1], key[1]


class PagerDutyEventsClient:
    """A script that sends PagerDuty events as PagerDuty's docs show it
    (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/): a JSON body to the
    events URL with the integration key as ``routing_key``."""

    def __init__(self, events_url: str, routing_key: str) -> None:
        self.events_url, self.routing_key = events_url, routing_key

    async def send(self, action: str, dedup_key: str, **payload: str) -> dict[str, Any]:
        event: dict[str, Any] = {
            "routing_key": self.routing_key,
            "event_action": action,
            "dedup_key": dedup_key,
        }
        if payload:
            event["payload"] = payload
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.events_url, json=event) as response,
        ):
            assert response.status == 202, await response.text()
            answer: dict[str, Any] = await response.json()
            return answer


class OpsgenieClient:
    """A script that calls Opsgenie's Alert API as its docs show it
    (https://docs.opsgenie.com/docs/alert-api): the API's base URL, ``GenieKey``."""

    def __init__(self, api_url: str, key: str) -> None:
        self.api_url, self.key = api_url, key

    async def call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        headers = {"Authorization": f"GenieKey {self.key}"}
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{self.api_url}{path}", json=body, headers=headers) as response,
        ):
            assert response.status == 202, await response.text()
            answer: dict[str, Any] = await response.json()
            return answer

    async def read(self, path: str) -> tuple[int, dict[str, Any]]:
        """A GET of the API (a request's status, an alert): its status and body."""
        headers = {"Authorization": f"GenieKey {self.key}"}
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{self.api_url}{path}", headers=headers) as response,
        ):
            answer: dict[str, Any] = await response.json()
            return response.status, answer


async def test_scripted_clients_are_repointed_by_url_and_key_alone(
    warroom: Warroom, database_url: str
) -> None:
    events_url, routing_key = await _create(database_url, warroom.url, "pagerduty")
    assert events_url == f"{warroom.url}/v2/enqueue"
    api_url, genie_key = await _create(database_url, warroom.url, "opsgenie")
    pagerduty = PagerDutyEventsClient(events_url, routing_key)
    answer = await pagerduty.send(
        "trigger", "db-1-disk", summary="Disk full on db-1", source="db-1", severity="critical"
    )
    assert answer["dedup_key"] == "db-1-disk"
    opsgenie = OpsgenieClient(api_url, genie_key)
    await opsgenie.call("/v2/alerts", {"message": "Checkout 5xx", "alias": "checkout-5xx"})
    await warroom.run_jobs()
    paged = await groups(warroom)
    assert sorted(group.title for group in paged) == ["Checkout 5xx", "Disk full on db-1"]
    assert {group.state for group in paged} == {"triggered"}
    assert len(await person_pages(warroom)) == 2
    await pagerduty.send("resolve", "db-1-disk")
    await opsgenie.call("/v2/alerts/checkout-5xx/close?identifierType=alias", {})
    await warroom.run_jobs()
    assert {group.state for group in await groups(warroom)} == {"resolved"}
    listed = await asyncio.to_thread(
        run_warroom,
        "integrations",
        "list",
        "--json",
        env={"DATABASE_URL": database_url},
        clean=True,
    )
    assert listed.returncode == 0, listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert rows["checkout-pagerduty"]["alerts"] == 2
    assert rows["checkout-opsgenie"]["alerts"] == 2
    assert routing_key not in listed.stdout and genie_key not in listed.stdout


async def test_an_opsgenie_client_polls_its_request_reads_the_alert_and_closes_it_by_id(
    warroom: Warroom,
) -> None:
    """Opsgenie's own round trip (https://docs.opsgenie.com/docs/alert-api: "Get Request
    Status", "Get Alert", "Close Alert"; shapes as emulator/fixtures/opsgenie_openapi.json's
    ``BaseResponse`` and opsgenie-oas's ``GetRequestStatusResponse`` and ``Alert``): the alert's
    id is learnt only from the request's status, then names the alert."""
    api_url = warroom.url
    client = OpsgenieClient(api_url, await integration(warroom, "opsgenie", "checkout"))
    other = OpsgenieClient(api_url, await integration(warroom, "opsgenie", "payments"))
    created = await client.call(
        "/v2/alerts",
        {
            "message": "Checkout 5xx",
            "priority": "P2",
            "tags": ["web", "eu"],
            "entity": "checkout-api",
            "source": "probe",
            "details": {"region": "eu-1"},
        },
    )
    status_path = f"/v2/alerts/requests/{created['requestId']}"
    # A request id nobody was given reads as one not processed yet: Opsgenie's 404.
    status, answer = await client.read(f"/v2/alerts/requests/{uuid.uuid4()}")
    assert (status, answer.get("message")) == (404, NOT_PROCESSED), answer
    assert set(answer) == {"message", "took", "requestId"}
    await warroom.run_jobs()
    status, answer = await client.read(status_path)
    assert status == 200, answer
    data = answer["data"]
    assert (data["success"], data["isSuccess"], data["action"]) == (True, True, "Create")
    assert data["status"] == "Created alert" and data["processedAt"].endswith("Z")
    alert_id = data["alertId"]
    assert re.fullmatch(r"[0-9a-f-]{36}", alert_id)
    # Another integration's key finds neither the request nor the alert; a wrong key: 401.
    assert (await other.read(status_path))[0] == 404
    status, answer = await other.read(f"/v2/alerts/{alert_id}")
    assert (status, answer["message"]) == (404, "Alert does not exist")
    wrong = OpsgenieClient(api_url, "not-a-key")
    assert (await wrong.read(status_path))[0] == 401
    # The default key (WARROOM_ALERT_TOKEN) reads what it sent, not an integration's.
    default = OpsgenieClient(api_url, TOKEN)
    assert (await default.read(f"/v2/alerts/{alert_id}"))[0] == 404
    assert (await default.read(status_path))[0] == 404
    status, answer = await wrong.read(f"/v2/alerts/{alert_id}")
    assert (status, answer["message"]) == (401, opsgenie_says("unauthenticated"))

    status, answer = await client.read(f"/v2/alerts/{alert_id}")
    assert status == 200, answer
    shown = answer["data"]
    (group,) = await groups(warroom)
    assert (shown["id"], shown["tinyId"], shown["alias"]) == (
        alert_id,
        str(group.id),
        data["alias"],
    )
    assert (shown["message"], shown["status"], shown["acknowledged"]) == (
        "Checkout 5xx",
        "open",
        False,
    )
    assert (shown["priority"], shown["tags"], shown["entity"]) == (
        "P2",
        ["web", "eu"],
        "checkout-api",
    )
    assert (shown["source"], shown["details"], shown["count"]) == ("probe", {"region": "eu-1"}, 1)
    by_tiny = await client.read(f"/v2/alerts/{group.id}?identifierType=tiny")
    assert by_tiny == (200, {**by_tiny[1], "data": shown})

    closed = await client.call(f"/v2/alerts/{alert_id}/close?identifierType=id", {"note": "fixed"})
    await warroom.run_jobs()
    (group,) = await groups(warroom)
    assert group.state == "resolved"
    status, answer = await client.read(f"/v2/alerts/requests/{closed['requestId']}")
    assert (status, answer["data"]["action"], answer["data"]["alertId"]) == (200, "Close", alert_id)
    status, answer = await client.read(f"/v2/alerts/{alert_id}?identifierType=id")
    assert (status, answer["data"]["status"]) == (200, "closed")
    # An id warroom never gave: accepted, as Opsgenie accepts it, and its request fails.
    unknown = await client.call(f"/v2/alerts/{uuid.uuid4()}/acknowledge?identifierType=id", {})
    await warroom.run_jobs()
    status, answer = await client.read(f"/v2/alerts/requests/{unknown['requestId']}")
    assert (status, answer["data"]["isSuccess"], answer["data"]["action"]) == (
        200,
        False,
        "Acknowledge",
    )
    assert "alertId" not in answer["data"]


async def test_an_opsgenie_script_lists_its_alerts_as_opsgenie_answers(warroom: Warroom) -> None:
    """ "List Alerts" (https://docs.opsgenie.com/docs/alert-api, the OpenAPI's listAlerts and
    ListAlertsResponse in opsgenie/opsgenie-python-sdk's opsgenie-oas.json): JSON, a page at a
    time (limit, offset, paging.next), sorted, filtered by status, its own key's alerts only."""
    client = OpsgenieClient(warroom.url, await integration(warroom, "opsgenie", "checkout"))
    other = OpsgenieClient(warroom.url, await integration(warroom, "opsgenie", "payments"))
    for number in range(3):
        await client.call(
            "/v2/alerts", {"message": f"Checkout 5xx #{number}", "alias": f"c{number}"}
        )
        await warroom.run_jobs()
        await warroom.advance(minutes=1)
    await other.call("/v2/alerts", {"message": "Payments down", "alias": "p"})
    await client.call("/v2/alerts/c0/close?identifierType=alias", {})
    await warroom.run_jobs()

    status, answer = await client.read("/v2/alerts?limit=2&sort=createdAt&order=asc")
    assert status == 200, answer
    assert [a["alias"] for a in answer["data"]] == ["c0", "c1"]
    assert set(answer) == {"data", "paging", "took", "requestId"}
    assert "offset=2" in answer["paging"]["next"]
    status, answer = await client.read("/v2/alerts?limit=2&offset=2&sort=createdAt&order=asc")
    assert [a["alias"] for a in answer["data"]] == ["c2"] and "next" not in answer["paging"]
    status, answer = await client.read("/v2/alerts?query=status%3Aopen")
    assert [a["alias"] for a in answer["data"]] == ["c2", "c1"], "newest first by default"
    assert {a["status"] for a in answer["data"]} == {"open"}
    status, answer = await client.read("/v2/alerts?query=owner%3Aalice&limit=500")
    assert status == 422 and set(answer["errors"]) == {"query", "limit"}, answer
    status, answer = await other.read("/v2/alerts")
    assert [a["message"] for a in answer["data"]] == ["Payments down"]
    assert (await OpsgenieClient(warroom.url, "not-a-key").read("/v2/alerts"))[0] == 401
