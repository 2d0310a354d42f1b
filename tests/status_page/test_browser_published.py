"""Publishing, and a published postmortem, in Chromium: publishing with
gaps lists them and asks; confirmed, the page says who published it and offers no form to
edit it; reopened with a reason, the forms are back and the channel is told."""

from __future__ import annotations

from typing import Any

from emulator import SlackEmulator
from tests.helpers.incidents import command, open_incident, settle
from tests.helpers.web_view import web_warroom
from tests.oncall.test_browser_overrides_history import checked
from tests.web.test_browser import WIDTHS, sign_in_with_slack, watched_page


async def test_publish_then_edit_refused_then_reopen(
    slack: SlackEmulator, sqlite_url: str, chromium: Any
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom:
        channel = await open_incident(warroom)
        await command(warroom, channel, "resolve")
        async with watched_page(chromium, warroom, **WIDTHS["375"]) as page:
            await sign_in_with_slack(page, warroom)
            await page.goto(f"{warroom.url}/incidents/INC-1/postmortem")
            await page.get_by_role("button", name="Ask for review").click()
            await page.wait_for_url(lambda url: "saved=review" in url)
            # Publish: not yet, the gaps listed and a question asked.
            async with page.expect_navigation():
                await page.get_by_role("button", name="Publish", exact=True).click()
            assert await page.locator("#review-state").inner_text() == "In review"
            gaps = page.locator("#gaps-to-confirm li")
            assert await gaps.count() >= 1
            await checked(page, "publishing with gaps")
            await page.get_by_role("button", name="Publish with these gaps").click()
            await page.wait_for_url(lambda url: "saved=review" in url)
            assert await page.locator("#review-state").inner_text() == "Published"
            note = await page.locator("#published-note").inner_text()
            assert note.startswith("Published by Alice Moreau on"), note
            # Nothing to edit it with: the forms wait for a reopening.
            assert await page.locator("#impact-form").count() == 0
            assert await page.locator("form[action*='/postmortem/sections/']").count() == 0
            await checked(page, "published")
            await page.locator("#review-reason").fill("The timeline missed a deploy")
            await page.get_by_role("button", name="Reopen as a draft").click()
            await page.wait_for_url(lambda url: "saved=review" in url)
            assert await page.locator("#review-state").inner_text() == "Draft"
            assert await page.locator("#impact-form").count() == 1
        await settle(warroom)
        said = " ".join(message.text for message in channel.messages)
        assert "reopened INC-1's published postmortem as a draft" in said
        assert "The timeline missed a deploy" in said
