"""A published postmortem stays published: publishing with gaps left lists
them and asks to confirm (the same form again with ``confirm=1``); once published, the page
refuses every edit (409, nothing kept) until it is reopened with a reason, which is kept in
the timeline and said in the channel; the Markdown download is named after the state and
opens with it (who published it, when); accepting the model's suggestion, in Slack or on the
page, waits for a reopening too."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp

from bot.basics.slack_ids import SuggestionMessage
from emulator import Channel, SlackEmulator
from emulator.openai_chat import FakeChatModel
from tests.conftest import ALICE, CAROL, Warroom
from tests.helpers.drafts import DRAFT, draft_page, post_draft_form
from tests.helpers.incidents import command, open_incident, settle
from tests.helpers.web_view import browser, sign_in, visible_text, web_settings, web_warroom
from tests.postmortem.test_suggestions import _suggestion_id as suggestion_id
from tests.postmortem.test_suggestions import good, play

REASON = "The timeline missed a deploy"


@asynccontextmanager
async def resolved(
    slack: SlackEmulator, database_url: str, **overrides: object
) -> AsyncIterator[tuple[Warroom, Channel, aiohttp.ClientSession]]:
    """An incident Alice declared and resolved, and her browser signed in to the web view."""
    async with web_warroom(slack, database_url, **overrides) as warroom, browser() as alice:
        channel = await open_incident(warroom)
        await command(warroom, channel, "resolve")
        await sign_in(alice, warroom, ALICE)
        yield warroom, channel, alice


async def _publish(session: aiohttp.ClientSession, warroom: Warroom) -> str:
    """Ask for review, then publish with the gaps confirmed: the page it ends on."""
    status, page = await post_draft_form(session, warroom, "/review", {"to": "in_review"})
    assert status == 200, page
    status, page = await post_draft_form(
        session, warroom, "/review", {"to": "published", "confirm": "1"}
    )
    assert status == 200 and ">Published</span>" in page, page
    return page


async def _download(session: aiohttp.ClientSession, warroom: Warroom) -> tuple[str, str]:
    """The Markdown download's file name and text."""
    async with session.get(f"{warroom.url}{DRAFT}.md") as answer:
        assert answer.status == 200
        disposition = answer.headers["Content-Disposition"]
        text = await answer.text()
    named = re.search(r'filename="([^"]+)"', disposition)
    assert named, disposition
    return named[1], text


async def test_publishing_with_gaps_lists_them_and_asks_to_confirm(
    slack: SlackEmulator, database_url: str
) -> None:
    async with resolved(slack, database_url) as (warroom, channel, alice):
        await post_draft_form(alice, warroom, "/review", {"to": "in_review"})
        page, _ = await draft_page(alice, warroom)
        left = re.search(r"(\d+) gaps? still need", visible_text(page))
        assert left, "the page says how many gaps are left"
        status, page = await post_draft_form(alice, warroom, "/review", {"to": "published"})
        assert status == 200
        # Not published: asked, with each gap listed and the form to confirm it.
        assert ">In review</span>" in page and ">Published</span>" not in page
        form = page.split('id="publish-confirm"', 1)[1].split("</form>", 1)[0]
        assert f"{left[1]} gaps are still open" in visible_text(form)
        listed = re.findall(r"<li>(.*?)</li>", form.split('id="gaps-to-confirm"', 1)[1], re.S)
        assert len(listed) == int(left[1])
        assert any("who and what was affected" in visible_text(item) for item in listed)
        assert 'name="confirm" value="1"' in form and 'name="csrf"' in form
        # Confirmed without the form's token: refused, still in review.
        status, _ = await post_draft_form(
            alice, warroom, "/review", {"to": "published", "confirm": "1"}, csrf=False
        )
        assert status == 403
        page, _ = await draft_page(alice, warroom)
        assert ">In review</span>" in page
        # Confirmed: published, by Alice, and said in the channel.
        status, page = await post_draft_form(
            alice, warroom, "/review", {"to": "published", "confirm": "1"}
        )
        assert status == 200 and ">Published</span>" in page
        await settle(warroom)
        said = [message.text for message in channel.messages]
        assert any("published INC-1's postmortem" in text for text in said), said


async def test_a_published_postmortem_refuses_edits_until_reopened_with_a_reason(
    slack: SlackEmulator, database_url: str
) -> None:
    async with resolved(slack, database_url) as (warroom, channel, alice):
        page, _ = await draft_page(alice, warroom)
        section = re.search(r'action="/incidents/INC-1/postmortem/sections/([a-z_]+)"', page)
        assert section, "a section's form"
        page = await _publish(alice, warroom)
        shown = visible_text(page)
        assert "Published by Alice Moreau on" in shown and "stays as published" in shown
        # Its forms give way: no section's, no record's, only the review's (to reopen).
        assert 'id="impact-form"' not in page and "/postmortem/sections/" not in page
        assert 'value="draft">Reopen as a draft</button>' in page
        # A form posted anyway (an old tab): refused, said at the review form, nothing kept.
        before = len(channel.messages)
        status, page = await post_draft_form(
            alice, warroom, f"/sections/{section[1]}", {"body": "Rewritten after publishing"}
        )
        assert status == 409
        assert "The postmortem is published" in visible_text(page)
        assert 'id="review-to-problem"' in page
        status, page = await post_draft_form(
            alice, warroom, "/impact", {"what": "Checkout failed for EU customers"}
        )
        assert status == 409 and "Reopen it as a draft" in visible_text(page)
        await settle(warroom)
        assert len(channel.messages) == before
        page, _ = await draft_page(alice, warroom)
        assert "Rewritten after publishing" not in page
        assert "Checkout failed for EU customers" not in page
        # Reopened without a reason: refused; with one: kept, shown and said in the channel.
        status, page = await post_draft_form(alice, warroom, "/review", {"to": "draft"})
        assert status == 400 and ">Published</span>" in page
        status, page = await post_draft_form(
            alice, warroom, "/review", {"to": "draft", "reason": REASON}
        )
        assert status == 200 and ">Draft</span>" in page
        assert "by Alice Moreau" in visible_text(page)
        await settle(warroom)
        said = [html.unescape(message.text) for message in channel.messages[before:]]
        assert any(
            "reopened INC-1's published postmortem as a draft" in text and REASON in text
            for text in said
        ), said
        async with alice.get(f"{warroom.url}/incidents/INC-1") as answer:
            timeline = visible_text(await answer.text())
        assert f"Postmortem moved to draft (was published): {REASON}" in timeline
        # Reopened, it is edited again.
        status, page = await post_draft_form(
            alice, warroom, f"/sections/{section[1]}", {"body": "Rewritten after reopening"}
        )
        assert status == 200 and "Rewritten after reopening" in page


async def test_the_download_is_named_after_its_state_and_opens_with_it(
    slack: SlackEmulator, database_url: str
) -> None:
    async with resolved(slack, database_url) as (warroom, _, alice):
        name, text = await _download(alice, warroom)
        assert name == "INC-1-postmortem-draft.md"
        opening = text.split("\n## ", 1)[0]
        assert "_Draft written by warroom" in opening and "Published" not in opening
        await post_draft_form(alice, warroom, "/review", {"to": "in_review"})
        name, text = await _download(alice, warroom)
        assert name == "INC-1-postmortem-draft.md"
        opening = text.split("\n## ", 1)[0]
        assert "**In review** since Alice Moreau asked on" in opening
        assert "not published yet" in opening and "_Draft written by warroom" in opening
        status, _ = await post_draft_form(
            alice, warroom, "/review", {"to": "published", "confirm": "1"}
        )
        assert status == 200
        name, text = await _download(alice, warroom)
        assert name == "INC-1-postmortem.md"
        lines = [line for line in text.splitlines() if line.strip()]
        assert lines[0] == "# Postmortem: INC-1 Checkout down"
        assert re.match(r"\*\*Published\*\* by Alice Moreau on \w+ \d+, \d{4}, ", lines[1])
        assert "Draft written" not in text.split("\n## ", 1)[0]
        # The printed page (Print / Save as PDF) is the draft's article: it opens the same way.
        page, _ = await draft_page(alice, warroom)
        article = page.split('<article class="draft" id="draft">', 1)[1]
        assert "Published by Alice Moreau on" in visible_text(article)[:200]
        # Reopened, it is a draft again, in its name and its first lines.
        await post_draft_form(alice, warroom, "/review", {"to": "draft", "reason": REASON})
        name, text = await _download(alice, warroom)
        assert name == "INC-1-postmortem-draft.md"
        assert "_Draft written by warroom" in text.split("\n## ", 1)[0]


async def test_accepting_a_suggestion_in_slack_waits_for_a_reopening(
    people: SlackEmulator, database_url: str, model: FakeChatModel
) -> None:
    async for played in play(people, database_url, model, **web_settings(people)):
        played.model.reply(good)
        await played.resolve("Rolled back the gateway release")
        message = played.suggestions_message()
        summary_id = suggestion_id(message, "Summary")
        async with browser() as alice:
            await sign_in(alice, played.warroom, ALICE)
            await _publish(alice, played.warroom)
            # On the page too: its Accept, posted from an old tab, is refused in words.
            _, token = await draft_page(alice, played.warroom)
            accept = f"{played.warroom.url}{DRAFT}/suggestions/{summary_id}/accept"
            async with alice.post(
                accept, data={"csrf": token, "section": "summary"}, allow_redirects=False
            ) as answer:
                assert answer.status == 409
                assert "The postmortem is published" in visible_text(await answer.text())
        await settle(played.warroom)
        await played.press(message, SuggestionMessage.ACCEPT, summary_id, CAROL)
        await settle(played.warroom)
        said = [m.text for m in played.slack.ephemeral_for(CAROL)]
        assert any("postmortem is published" in text and "Reopen it" in text for text in said)
        assert "accepted by Carol Tanaka" not in played.canvas()
        assert played.canvas().lstrip().split("\n\n", 2)[1].startswith("**Published** by")


async def test_a_french_postmortem_says_its_state_in_french(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with resolved(slack, sqlite_url, incidents__language="fr") as (warroom, _, alice):
        _, text = await _download(alice, warroom)
        assert "_Brouillon rédigé par warroom" in text.split("\n## ", 1)[0]
        await _publish(alice, warroom)
        name, text = await _download(alice, warroom)
        assert name == "INC-1-postmortem.md"
        opening = text.split("\n## ", 1)[0]
        assert re.search(r"\*\*Publié\*\* par Alice Moreau le ", opening), opening
        assert "Brouillon" not in opening
