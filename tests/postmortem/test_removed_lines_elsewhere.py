"""A line removed on the draft's page is out of every reader, not
only the draft: the list's search by words no longer finds the incident by its words (SQLite's
FTS5 and PostgreSQL's full-text search alike), and the JSON API's incident, the incident's page
and the agents' ``get_timeline`` and ``get_incident`` leave it out, as the draft does. The
record keeps it (the change's row says who removed it)."""

from __future__ import annotations

import json

import aiohttp
from sqlmodel import select

from bot.store.db import session_scope
from bot.store.models import ActionItem, TimelineEntry
from emulator import SlackEmulator
from tests.agents.test_mcp_http import agent, call, warroom_token
from tests.conftest import ALICE, Warroom
from tests.helpers.drafts import draft_page, post_draft_form
from tests.helpers.incidents import command, open_incident, settle
from tests.helpers.web_view import API_TOKEN, browser, sign_in, visible_text, web_warroom

IMPACT = "Checkout failed for EU customers"
CAUSE = "Quarantined kafkabroker misrouted orders"
TASK = "Replace the zookeeperish failover"


async def _found(session: aiohttp.ClientSession, warroom: Warroom, words: str) -> bool:
    """The list searched by ``words`` shows the incident."""
    async with session.get(f"{warroom.url}/", params={"q": words}) as answer:
        assert answer.status == 200
        page = visible_text(await answer.text())
    return "INC-1" in page


async def _api(warroom: Warroom) -> dict[str, object]:
    async with (
        aiohttp.ClientSession(headers={"Authorization": f"Bearer {API_TOKEN}"}) as http,
        http.get(f"{warroom.url}/api/incidents/INC-1") as answer,
    ):
        assert answer.status == 200, await answer.text()
        return dict(await answer.json())


async def test_removed_lines_leave_search_api_page_and_agents(
    slack: SlackEmulator, database_url: str
) -> None:
    async with web_warroom(slack, database_url) as warroom, browser() as session:
        channel = await open_incident(warroom)
        await command(warroom, channel, "resolve")
        await sign_in(session, warroom, ALICE)
        await post_draft_form(session, warroom, "/impact", {"what": IMPACT, "cause": CAUSE})
        await post_draft_form(session, warroom, "/follow-ups", {"task": TASK})
        await settle(warroom)
        await draft_page(session, warroom)
        assert await _found(session, warroom, "KAFKABROKER misrouted")
        assert await _found(session, warroom, "zookeeperish")
        before = json.dumps(await _api(warroom))
        assert CAUSE in before and TASK in before

        async with session_scope(warroom.engine) as db:
            cause = (
                await db.exec(select(TimelineEntry).where(TimelineEntry.kind == "root_cause"))
            ).one()
            item = (await db.exec(select(ActionItem))).one()
        status, _ = await post_draft_form(
            session, warroom, f"/lines/{cause.id}", {"text": CAUSE, "act": "remove"}
        )
        assert status == 200
        status, _ = await post_draft_form(
            session, warroom, f"/follow-ups/{item.id}", {"text": "", "act": "remove"}
        )
        assert status == 200
        await settle(warroom)

        # The search: the removed lines' words find nothing; the kept line's still do.
        assert not await _found(session, warroom, "kafkabroker")
        assert not await _found(session, warroom, "misrouted orders")
        assert not await _found(session, warroom, "zookeeperish")
        assert await _found(session, warroom, "EU customers")

        # The JSON API: neither in the timeline nor in the follow-ups.
        after = await _api(warroom)
        said = json.dumps(after)
        assert CAUSE not in said and TASK not in said

        # The incident's page: not in its timeline.
        async with session.get(f"{warroom.url}/incidents/INC-1") as answer:
            shown = visible_text(await answer.text())
        assert CAUSE not in shown and TASK not in shown, shown
        assert IMPACT in shown

        # The agents' tools read the same.
        token = await warroom_token(warroom, "reader", "read")
        async with agent(warroom.url, token) as mcp:
            timeline = await call(mcp, "get_timeline", reference="INC-1", per_page=200)
            incident = await call(mcp, "get_incident", reference="INC-1")
        texts = [entry["text"] for entry in timeline["entries"]]
        assert not any("kafkabroker" in text for text in texts), texts
        assert any(IMPACT in text for text in texts), texts
        assert CAUSE not in json.dumps(incident) and TASK not in json.dumps(incident)
