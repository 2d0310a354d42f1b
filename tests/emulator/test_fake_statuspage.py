"""The fake Statuspage refuses what Statuspage refuses, driven over real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from emulator.statuspage import FakeStatuspage


@pytest.fixture
async def fake() -> AsyncIterator[FakeStatuspage]:
    async with FakeStatuspage() as statuspage:
        yield statuspage


async def call(
    fake: FakeStatuspage, method: str, path: str, body: Any, key: str | None = None
) -> tuple[int, dict[str, Any], aiohttp.ClientResponse]:
    headers = {"Authorization": f"OAuth {key or fake.api_key}"}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, fake.api_url + path, json=body, headers=headers) as response,
    ):
        return response.status, await response.json(), response


def incident(**fields: Any) -> dict[str, Any]:
    return {
        "incident": {
            "name": "INC-7: incident affecting Checkout",
            "status": "investigating",
            "body": "Looking into it",
            **fields,
        }
    }


async def test_create_then_update_then_edit(fake: FakeStatuspage) -> None:
    checkout = fake.add_component("Checkout")
    status, created, _ = await call(
        fake,
        "POST",
        f"/pages/{fake.page_id}/incidents",
        incident(component_ids=[checkout], components={checkout: "partial_outage"}),
    )
    assert status == 201
    assert created["name"] == "INC-7: incident affecting Checkout"
    assert created["incident_updates"][0]["body"] == "Looking into it"
    path = f"/pages/{fake.page_id}/incidents/{created['id']}"
    status, patched, _ = await call(
        fake, "PATCH", path, {"incident": {"status": "resolved", "body": "Fixed"}}
    )
    assert status == 200 and patched["status"] == "resolved" and patched["resolved_at"]
    newest = patched["incident_updates"][0]
    assert newest["body"] == "Fixed"
    status, edited, _ = await call(
        fake,
        "PATCH",
        f"{path}/incident_updates/{newest['id']}",
        {"incident_update": {"body": "Fixed, sorry"}},
    )
    assert status == 200 and edited["body"] == "Fixed, sorry"


async def test_refusals(fake: FakeStatuspage) -> None:
    page = f"/pages/{fake.page_id}/incidents"
    status, body, _ = await call(fake, "POST", page, incident(), key="wrong")
    assert (status, body) == (401, {"message": "Could not authenticate"})
    status, _, _ = await call(fake, "POST", "/pages/otherpage000/incidents", incident())
    assert status == 404
    status, _, _ = await call(fake, "PATCH", f"{page}/nosuchincid", {"incident": {"body": "x"}})
    assert status == 404
    status, body, _ = await call(fake, "POST", page, incident(status="postmortem"))
    assert status == 422 and "realtime" in body["message"]
    status, body, _ = await call(fake, "POST", page, incident(name=" "))
    assert status == 422 and "Name can't be blank" in body["message"]
    status, _, _ = await call(fake, "POST", page, incident(component_ids=["unknown12345"]))
    assert status == 422
    assert fake.incidents == {}


async def test_injected_rate_limit_says_when_to_come_back(fake: FakeStatuspage) -> None:
    fake.fail(429, retry_after=7)
    status, _, response = await call(fake, "POST", f"/pages/{fake.page_id}/incidents", incident())
    assert status == 429 and response.headers["Retry-After"] == "7"
    status, _, _ = await call(fake, "POST", f"/pages/{fake.page_id}/incidents", incident())
    assert status == 201


async def test_unresolved_lists_open_incidents_newest_first(fake: FakeStatuspage) -> None:
    path = f"/pages/{fake.page_id}/incidents"
    _, first, _ = await call(fake, "POST", path, incident(name="first"))
    _, second, _ = await call(fake, "POST", path, incident(name="second"))
    _, third, _ = await call(fake, "POST", path, incident(name="third", status="resolved"))

    status, listed, _ = await call(fake, "GET", f"{path}/unresolved", None)

    assert status == 200 and isinstance(listed, list)
    assert [i["id"] for i in listed] == [second["id"], first["id"]]
    assert third["id"] not in {i["id"] for i in listed}
    assert all(i["incident_updates"] for i in listed)
    status, _, _ = await call(fake, "GET", f"{path}/unresolved", None, key="wrong")
    assert status == 401
