"""The postmortem's review state in the JSON API: moved on the draft's web page, it is in the
incident's answer and each list item (``postmortem_review``: state, who as the API names
people, when in UTC), as /api/openapi.json describes it; the list filters on it (``review``,
repeatable; a value that is none is a 400 saying which are), and an incident's state is
seen only by those who see the incident (not by someone outside a private one, nor by a
guest outside its channel). The API moves nothing: it has no change on an incident or its
draft."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import requests
import schemathesis

from emulator import SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Warroom
from tests.helpers.drafts import post_draft_form
from tests.helpers.incidents import command, declare_incident, open_incident, settle
from tests.helpers.web_view import (
    API_TOKEN,
    browser,
    sign_in,
    visible_text,
    web_warroom,
)

BEARER = {"Authorization": f"Bearer {API_TOKEN}"}


async def _checked(warroom: Warroom, method_path: str, **parameters: Any) -> Any:
    """GET the document's operation at ``method_path`` with the API token and ``parameters``,
    its answer validated against the served document by schemathesis; the answer's JSON."""

    def call() -> Any:
        document = requests.get(f"{warroom.url}/api/openapi.json", timeout=10).json()
        operation = schemathesis.openapi.from_dict(document)[method_path]["GET"]
        case = operation.Case(**parameters)
        response = case.call(base_url=warroom.url, headers=BEARER)
        case.validate_response(response)
        assert response.status_code == 200, response.text
        return response.json()

    return await asyncio.to_thread(call)


async def _listed(client: aiohttp.ClientSession, warroom: Warroom, query: str) -> list[str]:
    async with client.get(f"{warroom.url}/api/incidents?{query}", headers=BEARER) as answer:
        assert answer.status == 200, await answer.text()
        return [item["reference"] for item in (await answer.json())["items"]]


async def test_the_review_moved_on_the_web_is_answered_filtered_and_described(
    slack: SlackEmulator, database_url: str
) -> None:
    slack.add_user("U0GUEST", "gus", "Gus Guest").is_restricted = True
    async with web_warroom(slack, database_url) as warroom:
        channel = await open_incident(warroom, "Checkout returns 500s")
        await command(warroom, channel, "escalate @bob the database")
        await declare_incident(slack, "--private sev2 Payroll export", pinned=True)
        await declare_incident(slack, "sev4 Docs typo", pinned=True)
        await settle(warroom)
        async with browser() as bob, browser() as alice:
            await sign_in(bob, warroom, BOB)
            await sign_in(alice, warroom, ALICE)
            status, _ = await post_draft_form(bob, warroom, "/review", {"to": "in_review"})
            assert status == 200
            moved_at = warroom.clock.now
            status, _ = await post_draft_form(
                alice, warroom, "/review", {"to": "in_review"}, reference="INC-2"
            )
            assert status == 200

        # The incident's answer, as the document describes it (schemathesis validates it).
        detail = await _checked(
            warroom,
            "/api/incidents/{reference}",
            path_parameters={"reference": "INC-1"},
        )
        assert detail["postmortem_review"] == {
            "state": "in_review",
            "by": {"id": BOB, "name": "Bob Okafor"},
            "at": moved_at.isoformat().replace("+00:00", "Z"),
        }
        untouched = await _checked(
            warroom,
            "/api/incidents/{reference}",
            path_parameters={"reference": "INC-3"},
        )
        assert untouched["postmortem_review"] == {"state": "draft", "by": None, "at": None}
        listing = await _checked(warroom, "/api/incidents", query={"review": ["in_review"]})
        assert [i["reference"] for i in listing["items"]] == ["INC-2", "INC-1"]
        assert listing["items"][1]["postmortem_review"] == detail["postmortem_review"]

        async with aiohttp.ClientSession() as client:
            assert await _listed(client, warroom, "review=draft") == ["INC-3"]
            assert await _listed(client, warroom, "review=published") == []
            assert await _listed(client, warroom, "review=draft&review=in_review") == [
                "INC-3",
                "INC-2",
                "INC-1",
            ]
            # With the other filters: a SEV2 in review is the private one alone.
            assert await _listed(client, warroom, "review=in_review&severity=SEV2") == ["INC-2"]
            for wrong in ("done", "In review", "IN_REVIEW"):
                async with client.get(
                    f"{warroom.url}/api/incidents", params={"review": wrong}, headers=BEARER
                ) as answer:
                    assert answer.status == 400
                    assert await answer.json() == {
                        "error": "bad_filter",
                        "message": f"Unknown review {wrong!r}: use one of draft, in_review,"
                        " published.",
                    }
            # Nobody: 401, filter or not.
            async with client.get(f"{warroom.url}/api/incidents?review=in_review") as answer:
                assert answer.status == 401
                assert (await answer.json())["error"] == "unauthorized"

        # Carol is not in the private incident: neither it nor its review state for her.
        async with browser() as carol:
            await sign_in(carol, warroom, CAROL)
            async with carol.get(f"{warroom.url}/api/incidents?review=in_review") as answer:
                mine = [item["reference"] for item in (await answer.json())["items"]]
            assert mine == ["INC-1"]
            async with carol.get(f"{warroom.url}/api/incidents/INC-2") as answer:
                assert answer.status == 404
            # The list page takes the same filter, shown checked in its form.
            async with carol.get(f"{warroom.url}/?review=in_review") as answer:
                page = await answer.text()
            shown = visible_text(page)
            assert "INC-1" in shown and "INC-3" not in shown and "INC-2" not in shown
            assert 'name="review" value="in_review" checked' in page
            async with carol.get(f"{warroom.url}/?review=done") as answer:
                assert answer.status == 400
                assert "Unknown review 'done'" in visible_text(await answer.text())
        # A guest of the workspace sees only the incidents whose channel they are in: none.
        async with browser() as gus:
            await sign_in(gus, warroom, "U0GUEST")
            async with gus.get(f"{warroom.url}/api/incidents?review=in_review") as answer:
                assert answer.status == 200
                assert (await answer.json())["items"] == []
            async with gus.get(f"{warroom.url}/api/incidents/INC-1") as answer:
                assert answer.status == 404
