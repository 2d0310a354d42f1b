"""The wrap-up's impact in numbers corrected on the draft's page: the figures a
person gave (the wrap-up form, the page's impact form) are an estimate, listed under "The
impact in numbers said so far" with *Correct or remove*. A correction is the person's change,
kept as a row of its own with the figures it replaces; it answers with a redirect, and
afterwards the draft, the incident's page and the JSON API show the new figures only (one
figure per number). A figure that is no number is refused at its field; removed, the figures
leave the draft and stay in the record. The metrics (times to detect, acknowledge, mitigate,
resolve) are measured from the milestones, never typed: the page says so."""

from __future__ import annotations

import json
import re

import aiohttp
from sqlmodel import select

from bot.store.db import session_scope
from bot.store.models import LineChange, TimelineEntry
from emulator import SlackEmulator
from tests.conftest import ALICE, CAROL, Warroom
from tests.helpers.drafts import DRAFT, draft_page, draft_text, post_draft_form, problem_at
from tests.helpers.incidents import command, open_incident, settle
from tests.helpers.web_view import API_TOKEN, browser, sign_in, visible_text, web_warroom


async def _api(warroom: Warroom) -> str:
    """The JSON API's incident and its postmortem (the draft's Markdown), as one text."""
    said = []
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {API_TOKEN}"}) as http:
        for path in ("/api/incidents/INC-1", "/api/incidents/INC-1/postmortem"):
            async with http.get(f"{warroom.url}{path}") as answer:
                assert answer.status == 200, await answer.text()
                said.append(await answer.text())
    return "\n".join(said)


async def _figures(warroom: Warroom) -> TimelineEntry:
    async with session_scope(warroom.engine) as session:
        rows = await session.exec(select(TimelineEntry).where(TimelineEntry.kind == "impact"))
        return next(row for row in rows.all() if row.facts)


async def test_the_wrap_ups_figures_corrected_and_removed_as_the_persons_change(
    slack: SlackEmulator, database_url: str
) -> None:
    async with web_warroom(slack, database_url) as warroom, browser() as session:
        channel = await open_incident(warroom)
        await command(warroom, channel, "resolve")
        await sign_in(session, warroom, ALICE)
        status, _ = await post_draft_form(
            session,
            warroom,
            "/impact",
            {"customers": "1200", "orders": "340", "services": "checkout"},
        )
        assert status == 200
        await settle(warroom)
        page, _ = await draft_page(session, warroom)
        entry = await _figures(warroom)
        listed = visible_text(page.split('id="figures"', 1)[1].split("</ul>", 1)[0])
        assert "Impact in numbers: 1200 customers, 340 orders; affected services: checkout" in (
            " ".join(listed.split())
        )
        assert "measured from the milestones" in listed
        assert "1200 customers" in draft_text(page)

        # Not a whole number: refused at its field, what was typed kept, nothing changed.
        status, page = await post_draft_form(
            session, warroom, f"/figures/{entry.id}", {"customers": "12.5", "orders": "340"}
        )
        assert status == 400
        assert problem_at(page, f"figures-{entry.id}-customers") == "A whole number, like 1200."
        assert re.search(rf'id="figures-{entry.id}-customers"[^>]*value="12.5"', page)

        # Corrected by Carol? Not one of the incident's people: refused.
        await sign_in(session, warroom, CAROL)
        _, token = await draft_page(session, warroom)
        async with session.post(
            f"{warroom.url}{DRAFT}/figures/{entry.id}",
            data={"customers": "1", "csrf": token},
            allow_redirects=False,
        ) as answer:
            assert answer.status == 403

        # Alice corrects them: a redirect, the page says so, every reader the new figures.
        await sign_in(session, warroom, ALICE)
        _, token = await draft_page(session, warroom)
        async with session.post(
            f"{warroom.url}{DRAFT}/figures/{entry.id}",
            data={
                "customers": "1450",
                "orders": "",
                "money": "980.50",
                "services": "checkout, Payments",
                "act": "save",
                "csrf": token,
            },
            allow_redirects=False,
        ) as answer:
            assert answer.status == 303, await answer.text()
            assert answer.headers["Location"] == f"{DRAFT}?saved=figures&line=edited#figures"
        await settle(warroom)
        page, _ = await draft_page(session, warroom, f"{DRAFT}?saved=figures&line=edited")
        assert "Changed, as your change" in visible_text(page)
        said = draft_text(page)
        assert "1450 customers" in said and "980.50 in money" in said
        assert "1200 customers" not in said and "340 orders" not in said
        assert "checkout, Payments" in said
        api = await _api(warroom)
        assert "1450 customers" in api and "1200 customers" not in api
        async with session.get(f"{warroom.url}/incidents/INC-1") as answer:
            shown = visible_text(await answer.text())
        assert "1450 customers" in shown and "1200 customers" not in shown
        async with session_scope(warroom.engine) as db:
            changes = (await db.exec(select(LineChange))).all()
        assert [(c.line, c.kind, c.changed_by) for c in changes] == [
            (f"timeline_entry:{entry.id}", "figures", ALICE)
        ]
        assert json.loads(changes[0].previous) == {
            "numbers": {"customers": "1200", "orders": "340"},
            "services": ["checkout"],
        }

        # The same figures again: refused in words, nothing recorded.
        status, page = await post_draft_form(
            session,
            warroom,
            f"/figures/{entry.id}",
            {"customers": "1450", "money": "980.50", "services": "checkout, Payments"},
        )
        assert status == 400 and "It has these figures already" in visible_text(page)

        # Removed: out of the draft and the API, kept in the record.
        status, page = await post_draft_form(
            session, warroom, f"/figures/{entry.id}", {"act": "remove"}
        )
        assert status == 200 and "the draft above leaves them out" in visible_text(page)
        await settle(warroom)
        page, _ = await draft_page(session, warroom)
        assert "1450 customers" not in draft_text(page)
        assert 'id="figures-heading"' not in page
        assert "1450 customers" not in await _api(warroom)
        kept = await _figures(warroom)
        assert kept.facts == {
            "numbers": {"customers": "1450", "money": "980.50"},
            "services": ["checkout", "Payments"],
        }
