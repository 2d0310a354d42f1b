"""The postmortem's review state for agents, over /mcp with the MCP SDK's own client: moved
on the draft's web page, it is in ``get_postmortem``'s and ``get_incident``'s answers (who,
when in the incident's zone) and ``list_incidents`` filters on it; a value that is none is
refused naming the argument, a private incident's state stays with tokens that see private
incidents, and no tool moves it (a review is a person's act)."""

from __future__ import annotations

from datetime import datetime

import aiohttp

from emulator import SlackEmulator
from tests.agents.test_mcp_http import agent, call, refused, warroom_token
from tests.conftest import ALICE
from tests.helpers.drafts import post_draft_form
from tests.helpers.incidents import declare_incident, open_incident, settle
from tests.helpers.web_view import browser, sign_in, web_warroom


async def test_agents_read_and_filter_the_review_moved_on_the_web_and_cannot_move_it(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom:
        await open_incident(warroom, "Checkout returns 500s")
        await declare_incident(slack, "--private sev2 Payroll export", pinned=True)
        await settle(warroom)
        async with browser() as alice:
            await sign_in(alice, warroom, ALICE)
            for reference in ("INC-1", "INC-2"):
                status, _ = await post_draft_form(
                    alice, warroom, "/review", {"to": "in_review"}, reference=reference
                )
                assert status == 200
        moved_at = warroom.clock.now
        reader = await warroom_token(warroom, "dashboards", "read")
        proposer = await warroom_token(warroom, "triage-bot", "propose", private=True)

        async with agent(warroom.url, reader) as session:
            postmortem = await call(session, "get_postmortem", reference="INC-1")
            review = postmortem["review"]
            assert review["state"] == "in_review"
            assert review["by"] == {"id": ALICE, "name": "Alice Moreau"}
            assert datetime.fromisoformat(review["at"]) == moved_at
            incident = await call(session, "get_incident", reference="INC-1")
            assert incident["postmortem_review"] == review
            listed = await call(session, "list_incidents", review=["in_review"])
            # The private one is not this token's to see, nor its review.
            assert [i["reference"] for i in listed["items"]] == ["INC-1"]
            listed = await call(session, "list_incidents", review=["draft", "published"])
            assert listed["items"] == []
            said = await refused(session, "list_incidents", review=["done"])
            assert "review" in said and "in_review" in said
            said = await refused(session, "get_postmortem", reference="INC-2")
            assert "no incident INC-2 that this token may see" in said

        async with agent(warroom.url, proposer) as session:
            listed = await call(session, "list_incidents", review=["in_review"])
            assert [i["reference"] for i in listed["items"]] == ["INC-2", "INC-1"]
            # Not even a proposing token has a tool that moves the review.
            names = {tool.name for tool in (await session.list_tools()).tools}
            assert not any("review" in name or "publish" in name for name in names)

        # Without a token, /mcp answers nothing at all.
        async with (
            aiohttp.ClientSession() as client,
            client.post(f"{warroom.url}/mcp", json={}) as answer,
        ):
            assert answer.status == 401
