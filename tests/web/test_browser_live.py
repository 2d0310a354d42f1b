"""Live pages in Chromium (issue 75, item 1): a list left open shows an incident declared in
Slack and its "as of" time moving, keeping what is typed in its search box; an incident's
page shows its new severity and age; all without a reload; a page without JavaScript says
when it was read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from emulator import SlackEmulator
from tests.conftest import Clock
from tests.helpers.incidents import command, open_incident
from tests.helpers.web_view import web_warroom
from tests.web.test_browser import WIDTHS, sign_in_with_slack, watched_page

if TYPE_CHECKING:
    from playwright.async_api import Browser

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
# The pages read their live parts again every 5 s (bot/web/pages_common.py LIVE_SECONDS): a
# change is shown within one turn, given a few seconds more for a loaded machine.
SHOWN_WITHIN_MS = 12_000


async def test_an_open_list_and_incident_page_follow_slack_without_a_reload(
    slack: SlackEmulator, sqlite_url: str, chromium: Browser
) -> None:
    async with web_warroom(slack, sqlite_url, Clock(NOW)) as warroom:
        search = await open_incident(warroom, "Search is slow")
        async with watched_page(chromium, warroom, **WIDTHS["1280"]) as page:
            await sign_in_with_slack(page, warroom)
            await page.goto(f"{warroom.url}/")
            as_of = page.locator("#list-counts .as-of")
            assert "As of 09:00:00" in await as_of.inner_text()
            # Declared in Slack two minutes later: on the list, as of then, no reload.
            await warroom.advance(minutes=2)
            await open_incident(warroom, "Checkout is down for card payments")
            active = page.locator("#active-section")
            await active.get_by_text("Checkout is down for card payments").wait_for(
                timeout=SHOWN_WITHIN_MS
            )
            await page.get_by_text("As of 09:02:00").wait_for(timeout=SHOWN_WITHIN_MS)
            # The search box keeps what is typed while the list is read again.
            await page.locator("#q").fill("checkout")
            await warroom.advance(minutes=1)
            await page.get_by_text("As of 09:03:00").wait_for(timeout=SHOWN_WITHIN_MS)
            assert await page.locator("#q").input_value() == "checkout"

            # An incident's page: its severity changed in Slack, its age moving with the clock.
            await page.goto(f"{warroom.url}/incidents/INC-1")
            head = page.locator("#incident-head")
            assert "SEV1" not in await head.inner_text()
            await command(warroom, search, "sev 1")
            await warroom.advance(hours=1)
            await head.locator(".sev-SEV1").wait_for(timeout=SHOWN_WITHIN_MS)
            await head.get_by_text("open for 1 hour").wait_for(timeout=SHOWN_WITHIN_MS)

        async with watched_page(chromium, warroom, java_script_enabled=False) as page:
            await sign_in_with_slack(page, warroom)
            await page.goto(f"{warroom.url}/")
            assert "As of 10:03:00" in await page.locator("#list-counts .as-of").inner_text()
