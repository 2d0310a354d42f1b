"""The draft page's forms sent twice: each answers its post with a redirect
(303) to the page (those that edit or remove a line too), so a reload reads the page and never
posts again; the impact form sent twice (a double press: both at once; a resend a moment
later) records its lines once and says so, while the same words a few minutes later are a new
line; the follow-up form sent twice notes its follow-up once."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from emulator import SlackEmulator
from tests.conftest import ALICE
from tests.helpers.drafts import DRAFT, draft_page, draft_text, post_draft_form
from tests.helpers.incidents import command, open_incident, settle
from tests.helpers.web_view import browser, sign_in, visible_text, web_warroom

IMPACT = {"what": "Checkout failed for EU customers", "cause": "A connection pool of 5"}


async def test_every_form_of_the_draft_answers_with_a_redirect(
    slack: SlackEmulator, database_url: str
) -> None:
    async with web_warroom(slack, database_url) as warroom, browser() as session:
        channel = await open_incident(warroom)
        await command(warroom, channel, "resolve")
        await sign_in(session, warroom, ALICE)
        page, token = await draft_page(session, warroom)
        section = page.split('class="section-editor" id="section-', 1)[1].split('"', 1)[0]
        for path, data in (
            (f"/sections/{section}", {"body": "Checkout was down for an hour."}),
            ("/impact", {"what": "Checkout slow"}),
            ("/follow-ups", {"task": "Raise the pool to 50"}),
            ("/brought-in", {"choice": "nobody"}),
            ("/mitigation", {"words": "Rolled back the release"}),
            ("/review", {"to": "in_review"}),
        ):
            async with session.post(
                f"{warroom.url}{DRAFT}{path}", data={**data, "csrf": token}, allow_redirects=False
            ) as answer:
                assert answer.status == 303, (path, await answer.text())
                assert answer.headers["Location"].startswith(f"{DRAFT}?saved="), path
            await settle(warroom)
        # The lines those forms added, edited and removed on the page (their own forms).
        page, token = await draft_page(session, warroom)
        [line] = re.findall(r'id="line-(\d+)-form"', page)
        [item] = re.findall(r'id="follow-up-line-(\d+)-form"', page)
        for path, data in (
            (f"/lines/{line}", {"text": "Checkout slow for an hour", "act": "save"}),
            (f"/follow-ups/{item}", {"text": "", "act": "remove"}),
        ):
            async with session.post(
                f"{warroom.url}{DRAFT}{path}", data={**data, "csrf": token}, allow_redirects=False
            ) as answer:
                assert answer.status == 303, (path, await answer.text())
                assert answer.headers["Location"].startswith(f"{DRAFT}?saved="), path
            await settle(warroom)


async def test_the_impact_form_sent_twice_records_its_lines_once(
    slack: SlackEmulator, database_url: str
) -> None:
    async with web_warroom(slack, database_url) as warroom, browser() as session:
        channel = await open_incident(warroom)
        await command(warroom, channel, "resolve")
        await sign_in(session, warroom, ALICE)
        # A double press: both posts at once.
        sent = await asyncio.gather(
            post_draft_form(session, warroom, "/impact", IMPACT),
            post_draft_form(session, warroom, "/impact", IMPACT),
        )
        assert [status for status, _ in sent] == [200, 200]
        assert any("Sent twice" in visible_text(page) for _, page in sent)
        # A resend a moment later, as a browser's "send again" would.
        warroom.clock.now += timedelta(seconds=20)
        status, page = await post_draft_form(session, warroom, "/impact", IMPACT)
        assert status == 200 and "in the record once" in visible_text(page)
        await settle(warroom)
        page, _ = await draft_page(session, warroom)
        # The impact statement is one line of the draft (the cause is quoted in several), and
        # quoted once by the summary written from the record.
        assert draft_text(page).count(IMPACT["what"]) == 2
        assert len(re.findall(r'id="line-\d+-form"', page)) == 2  # its impact and cause
        for words in IMPACT.values():
            said = [m.text for m in channel.messages if words in m.text]
            assert len(said) == 1, said
        # The same words minutes later are a new line: said again on purpose.
        warroom.clock.now += timedelta(minutes=5)
        status, page = await post_draft_form(session, warroom, "/impact", {"what": IMPACT["what"]})
        assert status == 200 and "Sent twice" not in visible_text(page)
        await settle(warroom)
        said = [m.text for m in channel.messages if IMPACT["what"] in m.text]
        assert len(said) == 2, said


async def test_the_follow_up_form_sent_twice_notes_it_once(
    slack: SlackEmulator, database_url: str
) -> None:
    async with web_warroom(slack, database_url) as warroom, browser() as session:
        channel = await open_incident(warroom)
        await sign_in(session, warroom, ALICE)
        task = {"task": "Raise the pool to 50"}
        sent = await asyncio.gather(
            post_draft_form(session, warroom, "/follow-ups", task),
            post_draft_form(session, warroom, "/follow-ups", task),
        )
        assert [status for status, _ in sent] == [200, 200]
        assert any("noted the same follow-up a moment ago" in visible_text(p) for _, p in sent)
        await settle(warroom)
        page, _ = await draft_page(session, warroom)
        listed = page.split('id="follow-up-list"', 1)[1].split("</ul>", 1)[0]
        assert listed.count('<span class="task">Raise the pool to 50</span>') == 1
        said = [m.text for m in channel.messages if "Raise the pool to 50" in m.text]
        assert len(said) == 1, said
