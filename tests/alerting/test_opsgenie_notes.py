"""Opsgenie's "Add Note to Alert" (https://docs.opsgenie.com/docs/alert-api#add-note-to-alert):
``POST /v2/alerts/{identifier}/notes?identifierType=id|alias|tiny`` with ``note`` (required,
at most 25000 characters), ``user`` and ``source``, answered 202 as Opsgenie answers, its
request read back with "Get Request Status" (action ``AddNote``). The note is the alert's:
its page's history and ``/api/alerts/{id}`` say it, by whom and from where; on an alert in
an incident, the incident's timeline says it too. A key notes its own alerts only.

Over the wire: the Alert API posted to a running warroom with an integration's
``Authorization: GenieKey``, the web view signed in as Alice, the JSON API with its token."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from emulator import FakeNtfy, SlackEmulator
from tests.alerting.test_alert_worklist import page
from tests.alerting.test_grouping_by_sender import api, create, web_warroom
from tests.alerting.test_vendor_apis import (
    MIB,
    OpsgenieClient,
    genie,
    groups,
    integration,
    opsgenie_says,
    post,
)
from tests.conftest import ALICE, Warroom, WarroomFactory
from tests.helpers.web_view import browser, sign_in, visible_text

BY_ALIAS = "/v2/alerts/checkout-5xx/notes?identifierType=alias"
# Opsgenie's documented example's user and source (as its Close and Acknowledge examples').
NOTE = {"user": "Monitoring Script", "source": "AWS Lambda", "note": "Rolled back build 412"}


async def status_of(client: OpsgenieClient, request_id: str) -> dict[str, Any]:
    """ "Get Request Status" of a request processed: its ``data``."""
    status, answer = await client.read(f"/v2/alerts/requests/{request_id}")
    assert status == 200, answer
    data: dict[str, Any] = answer["data"]
    return data


async def test_a_note_lands_in_the_alerts_history_for_its_own_key_only(
    warroom_with: WarroomFactory,
    slack: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    ntfy: FakeNtfy,
) -> None:
    warroom, _ = await web_warroom(warroom_with, slack, database_url, tmp_path, ntfy)
    key = await integration(warroom, "opsgenie", "checkout")
    client = OpsgenieClient(warroom.url, key)
    other = OpsgenieClient(warroom.url, await integration(warroom, "opsgenie", "payments"))
    await create(warroom, key, "Checkout 5xx above 5%", "P2", "checkout-5xx")
    (alert,) = await groups(warroom)

    noted = await client.call(BY_ALIAS, NOTE)
    assert noted["result"] == opsgenie_says("accepted") and isinstance(noted["took"], float)
    # No user: the integration's own name, as Opsgenie names the key's owner.
    by_tiny = await client.call(
        f"/v2/alerts/{alert.id}/notes?identifierType=tiny", {"note": "Error rate back to 0.1%"}
    )
    # Another integration's key naming the alert: accepted as Opsgenie accepts it, and its
    # request fails; the alert is not its.
    foreign = await other.call(BY_ALIAS, {"note": "Not yours", "user": "Mallory"})
    foreign_tiny = await other.call(
        f"/v2/alerts/{alert.id}/notes?identifierType=tiny", {"note": "Not yours either"}
    )
    await warroom.run_jobs()

    data = await status_of(client, noted["requestId"])
    assert (data["action"], data["isSuccess"], data["success"]) == ("AddNote", True, True)
    assert data["status"] == "Added note" and data["alias"] == "checkout-5xx"
    status, shown = await client.read("/v2/alerts/checkout-5xx?identifierType=alias")
    assert status == 200 and data["alertId"] == shown["data"]["id"]
    # Named by its id, as the request's status gave it.
    by_id = await client.call(
        f"/v2/alerts/{data['alertId']}/notes?identifierType=id", {"note": "Watching it"}
    )
    await warroom.run_jobs()
    assert (await status_of(client, by_id["requestId"]))["isSuccess"] is True
    integration_name = (await status_of(client, by_tiny["requestId"]))["integrationId"]
    for request in (foreign, foreign_tiny):
        failed = await status_of(other, request["requestId"])
        assert (failed["action"], failed["isSuccess"]) == ("AddNote", False)
        assert "alertId" not in failed
    # The other key does not read this key's note request either.
    assert (await other.read(f"/v2/alerts/requests/{noted['requestId']}"))[0] == 404

    detail = await api(warroom, f"/api/alerts/{alert.id}")
    assert [(n["note"], n["noted_by"], n["source"], n["via"]) for n in detail["notes"]] == [
        ("Rolled back build 412", "Monitoring Script", "AWS Lambda", "opsgenie"),
        ("Error rate back to 0.1%", integration_name, None, "opsgenie"),
        ("Watching it", integration_name, None, "opsgenie"),
    ]
    async with browser() as alice:
        await sign_in(alice, warroom, ALICE)
        status, html = await page(alice, f"{warroom.url}/alerts/{alert.id}")
    text = visible_text(html)
    assert status == 200
    assert "Rolled back build 412" in text and "Monitoring Script" in text
    assert "AWS Lambda" in text and "Error rate back to 0.1%" in text
    assert "Not yours" not in text and "Mallory" not in text


async def test_a_note_missing_empty_or_too_long_is_refused_as_opsgenie_refuses_it(
    warroom: Warroom,
) -> None:
    key = await integration(warroom, "opsgenie", "checkout")
    for body in ({"user": "Monitoring Script"}, {"note": "   "}, {"note": "x" * 25_001}):
        status, answer = await post(warroom, BY_ALIAS, body, genie(key))
        assert status == 422, body
        assert answer["message"] == opsgenie_says("unprocessable")
        assert list(answer["errors"]) == ["note"]
    status, answer = await post(warroom, BY_ALIAS, {"note": "ok", "user": 7}, genie(key))
    assert (status, list(answer["errors"])) == (422, ["user"])
    path = "/v2/alerts/checkout-5xx/notes?identifierType=uuid"
    status, answer = await post(warroom, path, {"note": "ok"}, genie(key))
    assert (status, list(answer["errors"])) == (422, ["identifierType"])
    status, answer = await post(warroom, BY_ALIAS, {"note": "ok"}, genie("wrong"))
    assert (status, answer["message"]) == (401, opsgenie_says("unauthenticated"))
    status, _ = await post(warroom, BY_ALIAS, b" " * (MIB + 1), genie(key))
    assert status == 413
    # The longest note Opsgenie takes is taken, whole.
    status, answer = await post(warroom, BY_ALIAS, {"note": "x" * 25_000}, genie(key))
    assert status == 202, answer
    # A request id nobody was given: not found, as Opsgenie answers it.
    status, answer = await OpsgenieClient(warroom.url, key).read(
        f"/v2/alerts/requests/{uuid.uuid4()}"
    )
    assert status == 404


def incident_routes(_channel: str) -> dict[str, Any]:
    """checkout's alerts open an incident (its own channel, not the alerts')."""
    route = {"name": "checkout", "match": {"service": "checkout"}, "action": "open"}
    return {"routes": [{**route, "severity": "SEV2"}]}


async def test_a_note_on_an_alert_in_an_incident_is_said_on_the_incidents_timeline(
    warroom_with: WarroomFactory,
    slack: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    ntfy: FakeNtfy,
) -> None:
    warroom, _ = await web_warroom(
        warroom_with, slack, database_url, tmp_path, ntfy, incident_routes
    )
    key = await integration(warroom, "opsgenie", "checkout")
    await create(warroom, key, "Checkout 5xx above 5%", "P1", "checkout-5xx")
    (listed,) = (await api(warroom, "/api/incidents"))["items"]
    client = OpsgenieClient(warroom.url, key)
    noted = await client.call(BY_ALIAS, NOTE)
    await warroom.run_jobs()
    assert (await status_of(client, noted["requestId"]))["isSuccess"] is True

    incident = await api(warroom, f"/api/incidents/{listed['reference']}")
    (line,) = [x for x in incident["timeline"] if "Rolled back build 412" in x["text"]]
    assert "Monitoring Script" in line["text"] and "AWS Lambda" in line["text"]
    assert "Checkout 5xx above 5%" in line["text"]


async def notes_page(client: OpsgenieClient, query: str) -> dict[str, Any]:
    """ "List Alert Notes" of checkout-5xx by alias, ``query`` added: the answer."""
    status, answer = await client.read(f"/v2/alerts/checkout-5xx/notes?identifierType=alias{query}")
    assert status == 200, answer
    return answer


def said(answer: dict[str, Any]) -> list[tuple[str, str]]:
    return [(note["note"], note["owner"]) for note in answer["data"]]


async def test_a_script_lists_an_alerts_notes_as_opsgenie_answers_them_page_by_page(
    warroom_with: WarroomFactory,
    slack: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    ntfy: FakeNtfy,
) -> None:
    warroom, ops = await web_warroom(warroom_with, slack, database_url, tmp_path, ntfy)
    key = await integration(warroom, "opsgenie", "checkout")
    client = OpsgenieClient(warroom.url, key)
    await create(warroom, key, "Checkout 5xx above 5%", "P2", "checkout-5xx")
    await client.call(BY_ALIAS, NOTE)
    await warroom.advance(minutes=1)
    await client.call(BY_ALIAS, {"note": "Error rate back to 0.1%", "user": "Dana"})
    await warroom.advance(minutes=1)
    # Opsgenie's documented Acknowledge and Close examples carry a note: kept as one.
    ack = {
        "user": "Monitoring Script",
        "source": "AWS Lambda",
        "note": "Action executed via Alert API",
    }
    await client.call("/v2/alerts/checkout-5xx/acknowledge?identifierType=alias", ack)
    await warroom.run_jobs()
    # The alert's message in the route's channel shows how many notes and the latest.
    (message,) = [m for m in ops.messages if "Checkout 5xx above 5%" in m.text]
    assert "3 notes" in message.text and "Action executed via Alert API" in message.text
    assert "Acknowledged" in message.text
    await warroom.advance(minutes=1)
    await client.call(
        "/v2/alerts/checkout-5xx/close?identifierType=alias", {"note": "Fixed by rollback"}
    )
    await warroom.run_jobs()

    newest = await notes_page(client, "&limit=2")
    assert said(newest)[0][0] == "Fixed by rollback"
    assert said(newest)[1] == ("Action executed via Alert API", "Monitoring Script")
    assert isinstance(newest["took"], float) and newest["requestId"]
    assert all(note["createdAt"].endswith("Z") for note in newest["data"])
    # The next page, from the link Opsgenie gives, holds the two earlier ones, and no more.
    status, rest = await client.read(newest["paging"]["next"].removeprefix(warroom.url))
    assert status == 200
    assert said(rest) == [
        ("Error rate back to 0.1%", "Dana"),
        ("Rolled back build 412", "Monitoring Script"),
    ]
    assert "next" not in rest["paging"]
    # Oldest first, and back from a note's offset.
    oldest = await notes_page(client, "&order=asc")
    assert [n for n, _ in said(oldest)] == [
        "Rolled back build 412",
        "Error rate back to 0.1%",
        "Action executed via Alert API",
        "Fixed by rollback",
    ]
    third = oldest["data"][2]["offset"]
    before = await notes_page(client, f"&order=asc&direction=prev&limit=1&offset={third}")
    assert said(before) == [("Error rate back to 0.1%", "Dana")]


async def test_listing_notes_refuses_what_opsgenie_refuses_and_another_keys_alert(
    warroom: Warroom,
) -> None:
    key = await integration(warroom, "opsgenie", "checkout")
    client = OpsgenieClient(warroom.url, key)
    await client.call("/v2/alerts", {"message": "Checkout 5xx above 5%", "alias": "checkout-5xx"})
    await client.call(BY_ALIAS, NOTE)
    await warroom.run_jobs()
    for query, field in (
        ("&limit=0", "limit"),
        ("&limit=101", "limit"),
        ("&order=sideways", "order"),
        ("&direction=up", "direction"),
        ("&offset=1_1", "offset"),
    ):
        status, answer = await client.read(
            f"/v2/alerts/checkout-5xx/notes?identifierType=alias{query}"
        )
        assert (status, list(answer["errors"])) == (422, [field]), query
        assert answer["message"] == opsgenie_says("unprocessable")
    other = OpsgenieClient(warroom.url, await integration(warroom, "opsgenie", "payments"))
    status, answer = await other.read("/v2/alerts/checkout-5xx/notes?identifierType=alias")
    assert (status, answer["message"]) == (404, "Alert does not exist")
    status, answer = await OpsgenieClient(warroom.url, "wrong").read(
        "/v2/alerts/checkout-5xx/notes?identifierType=alias"
    )
    assert (status, answer["message"]) == (401, opsgenie_says("unauthenticated"))
    # A close whose note is not text is refused whole, as Add Note's is.
    status, answer = await post(
        warroom, "/v2/alerts/checkout-5xx/close?identifierType=alias", {"note": 7}, genie(key)
    )
    assert (status, list(answer["errors"])) == (422, ["note"])
