"""A person's on-call page, an escalation policy's page and the follow-ups worklist in
Chromium, at 1280 and 375 px: the warning that no method rings a
phone and the shifts to come are on the first screen; the policy's levels and whom each
reaches now are read as a list; follow-ups are marked done from the list. Every page:
axe-core finds nothing serious or critical, no sideways scrolling, no text under 12 px."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.record.escalation.policies import parse_policies
from emulator import SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom
from tests.follow_ups.test_follow_ups import MORNING, paris_incident
from tests.helpers.incidents import command
from tests.helpers.web_view import web_warroom
from tests.oncall.test_browser_overrides_history import checked, in_view
from tests.oncall.test_oncall_web import oncall_warroom
from tests.oncall.test_people_and_policies_web import people_warroom
from tests.web.test_browser import WIDTHS, sign_in_with_slack, watched_page

if TYPE_CHECKING:
    from playwright.async_api import Browser


async def test_people_and_policies_in_a_browser(
    slack: SlackEmulator, sqlite_url: str, chromium: Browser
) -> None:
    async with people_warroom(slack, sqlite_url) as warroom:
        for width, options in WIDTHS.items():
            await people_and_policy_pages(chromium, warroom, width, options)


async def people_and_policy_pages(
    chromium: Browser, warroom: Warroom, width: str, options: dict[str, Any]
) -> None:
    """Alice's page, Bob's, and the policy reached from the schedule, at one width."""
    async with watched_page(chromium, warroom, **options) as page:
        await sign_in_with_slack(page, warroom)
        await page.goto(f"{warroom.url}/oncall/people/{ALICE}")
        warning = page.locator("#no-ringing")
        assert "no method of theirs rings a phone" in await warning.inner_text()
        assert await in_view(page, "#no-ringing"), "the warning is out of view"
        assert await page.locator("#shifts li").count() == 2
        assert await page.get_by_role("button", name="Get payments's calendar link").count() == 1
        await checked(page, f"Alice's page at {width} px")
        await page.goto(f"{warroom.url}/oncall/people/{BOB}")
        assert await page.locator("#no-ringing").count() == 0
        await checked(page, f"Bob's page at {width} px")
        await page.goto(f"{warroom.url}/oncall/payments")
        await page.locator("#policies a").click()
        await page.wait_for_url(f"{warroom.url}/oncall/policies/payments")
        assert await page.locator("#levels > li").count() == 2
        assert "whoever payments names: now" in await page.locator("#level-1").inner_text()
        await checked(page, f"the policy's page at {width} px")


# A level of two people: their links one under the other (44 px targets, WCAG 2.5.8).
TWO_PEOPLE = parse_policies(
    {
        "policies": {
            "payments": {
                "levels": [{"timeout": "10m", "targets": [{"user": BOB}, {"user": CAROL}]}]
            }
        }
    }
)


async def test_a_levels_people_are_targets_far_enough_apart(
    slack: SlackEmulator, sqlite_url: str, chromium: Browser
) -> None:
    async with oncall_warroom(slack, sqlite_url, escalation__policies=TWO_PEOPLE) as warroom:
        for width, options in WIDTHS.items():
            async with watched_page(chromium, warroom, **options) as page:
                await sign_in_with_slack(page, warroom)
                await page.goto(f"{warroom.url}/oncall/policies/payments")
                assert await page.locator("#level-1 li a").count() == 2
                await checked(page, f"a level of two people at {width} px")


async def test_the_follow_ups_worklist_in_a_browser(
    slack: SlackEmulator, sqlite_url: str, chromium: Browser
) -> None:
    """The follow-ups list at both widths: the overdue pill, due dates in words, the owner
    filter, and Mark done from the list (the row goes)."""
    async with web_warroom(slack, sqlite_url, Clock(MORNING)) as warroom:
        channel = await paris_incident(warroom)
        await command(warroom, channel, "action @bob --due fri write the runbook")
        await command(warroom, channel, 'action @carol --due "today 12:00" roll back the flag')
        await command(warroom, channel, "action @bob --due mon check the dashboards")
        await warroom.advance(hours=3)
        for width, options in WIDTHS.items():
            async with watched_page(chromium, warroom, **options) as page:
                await sign_in_with_slack(page, warroom)
                await page.goto(f"{warroom.url}/follow-ups")
                rows = page.locator("#follow-ups tbody tr")
                first = " ".join((await rows.first.inner_text()).split())
                assert first.startswith("1 hour overdue"), first
                await checked(page, f"the follow-ups at {width} px")
                await page.locator("#owner").select_option(CAROL)
                await page.get_by_role("button", name="Show").click()
                await page.wait_for_url(lambda url: f"owner={CAROL}" in url)
                assert await rows.count() == 1
                await page.goto(f"{warroom.url}/follow-ups")
                before = await rows.count()
                await rows.last.get_by_role("button", name="Mark done").click()
                await page.wait_for_url(f"{warroom.url}/follow-ups")
                assert await rows.count() == before - 1
                await checked(page, f"the follow-ups after Mark done at {width} px")
