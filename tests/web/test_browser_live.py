"""Live pages in Chromium: a list left open shows an incident declared in
Slack and its "as of" time moving, keeping what is typed in its search box; an incident's
page shows its new severity and age; all without a reload; a page without JavaScript says
when it was read. Honest about it: the server stopped under an open page,
the page says "not updated since" the last time it read, and once the server is back, that
it is current again; an incident's timeline follows Slack too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from aiohttp import web

from emulator import SlackEmulator
from tests.conftest import Clock, Warroom, start_warroom
from tests.helpers.incidents import command, open_incident, settle
from tests.helpers.web_view import web_settings, web_warroom
from tests.web.test_browser import TIMEOUT_MS, WIDTHS, sign_in_with_slack, watched_page

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

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
            # Its timeline follows too: an update posted in Slack is in it, no reload.
            await command(warroom, search, "update Rolled back the search index")
            timeline = page.locator("#timeline-section")
            await timeline.get_by_text("Rolled back the search index").wait_for(
                timeout=SHOWN_WITHIN_MS
            )

        async with watched_page(chromium, warroom, java_script_enabled=False) as page:
            await sign_in_with_slack(page, warroom)
            await page.goto(f"{warroom.url}/")
            assert "As of 10:03:00" in await page.locator("#list-counts .as-of").inner_text()


@asynccontextmanager
async def stoppable(
    slack: SlackEmulator, database_url: str, clock: Clock
) -> AsyncIterator[tuple[web.AppRunner, Warroom]]:
    """The bot serving the web view, with its runner: a test can stop it listening (and close
    every connection a browser holds open) and start it again on the same port."""
    runner, running = await start_warroom(slack, database_url, clock, **web_settings(slack))
    try:
        yield runner, running
    finally:
        await slack.drain()
        await runner.cleanup()


async def stop_serving(runner: web.AppRunner) -> None:
    for site in list(runner.sites):
        await site.stop()
    assert runner.server is not None
    await runner.server.shutdown(1.0)


@pytest.mark.parametrize("width", list(WIDTHS))
async def test_a_live_page_says_when_it_is_not_updated_and_when_it_is_again(
    slack: SlackEmulator, sqlite_url: str, chromium: Browser, width: str
) -> None:
    # Not watched_page: with the server gone the page's reads fail, as the test wants.
    async with stoppable(slack, sqlite_url, Clock(NOW)) as (runner, warroom):
        await open_incident(warroom, "Search is slow")
        context = await chromium.new_context(**WIDTHS[width])
        context.set_default_timeout(TIMEOUT_MS)
        try:
            page = await context.new_page()
            await sign_in_with_slack(page, warroom)
            for path, read_at in (("/", "09:00:00"), ("/incidents/INC-1", "09:01:00")):
                await page.goto(f"{warroom.url}{path}")
                state = page.locator("#live-state")
                assert await state.is_hidden()
                await stop_serving(runner)
                stale = page.get_by_role("status").filter(has_text="not updated since")
                await stale.wait_for(timeout=SHOWN_WITHIN_MS * 2)
                said = await stale.inner_text()
                assert f"Not updated since {read_at} UTC — retrying" in said, said
                # Each "as of" line says so too, never "read again" while nothing is read.
                for line in await page.locator(".as-of").all_inner_texts():
                    assert line.startswith(f"Not updated since {read_at} UTC"), line
                await warroom.advance(minutes=1)
                port = int(warroom.url.rsplit(":", 1)[1])
                await web.TCPSite(runner, "127.0.0.1", port).start()
                again = page.get_by_role("status").filter(has_text="Current again")
                await again.wait_for(timeout=SHOWN_WITHIN_MS)
                assert f"as of {read_at[:3]}" in await again.inner_text()
                await page.locator(".as-of", has_text="As of").first.wait_for()
        finally:
            await context.close()


def live_answers(page: Page) -> list[int]:
    """The statuses of the page's live reads from now on, as they come."""
    answers: list[int] = []
    page.on(
        "response",
        lambda answer: answers.append(answer.status) if "part=live" in answer.url else None,
    )
    return answers


async def test_an_unchanged_page_is_answered_304_and_still_says_its_time(
    slack: SlackEmulator, sqlite_url: str, chromium: Browser
) -> None:
    """Its script sends back its version: nothing changed, the server answers 304 with no body
    and the page moves its "as of" time to the answer's; a change is shown at the next read."""
    async with web_warroom(slack, sqlite_url, Clock(NOW)) as warroom:
        await open_incident(warroom, "Search is slow")
        async with watched_page(chromium, warroom, **WIDTHS["1280"]) as page:
            await sign_in_with_slack(page, warroom)
            await page.goto(f"{warroom.url}/")
            answers = live_answers(page)
            await warroom.advance(seconds=20)
            await page.get_by_text("As of 09:00:20").wait_for(timeout=SHOWN_WITHIN_MS)
            await warroom.advance(seconds=5)
            await page.get_by_text("As of 09:00:25").wait_for(timeout=SHOWN_WITHIN_MS)
            assert 304 in answers, answers
            await open_incident(warroom, "Checkout is down for card payments")
            await (
                page.locator("#active-section")
                .get_by_text("Checkout is down for card payments")
                .wait_for(timeout=SHOWN_WITHIN_MS)
            )
            assert "As of 09:00:25" in await page.locator("#list-counts .as-of").inner_text()


@pytest.mark.parametrize("width", list(WIDTHS))
async def test_ages_move_with_the_clock_while_the_server_answers_304(
    slack: SlackEmulator, sqlite_url: str, chromium: Browser, width: str
) -> None:
    """Nothing written, only time gone by: the server answers 304 and the page words the ages
    again itself, by the server's clock ("open for 3 minutes", "2 minutes ago")."""
    async with web_warroom(slack, sqlite_url, Clock(NOW)) as warroom:
        search = await open_incident(warroom, "Search is slow")
        await command(warroom, search, "update Rolled back the search index")
        await settle(warroom)
        async with watched_page(chromium, warroom, **WIDTHS[width]) as page:
            await sign_in_with_slack(page, warroom)
            await page.goto(f"{warroom.url}/")
            card = page.locator("#active-section .active-incident")
            assert "less than a minute ago" in await card.inner_text()
            answers = live_answers(page)
            # Its first read gets the part's version (the page itself carries none).
            await warroom.advance(seconds=5)
            await page.get_by_text("As of 09:00:05").wait_for(timeout=SHOWN_WITHIN_MS)
            answers.clear()
            await warroom.advance(minutes=3)
            await page.get_by_text("As of 09:03:05").wait_for(timeout=SHOWN_WITHIN_MS)
            await card.get_by_text("3 minutes ago").wait_for(timeout=SHOWN_WITHIN_MS)
            words = "open for 3 minutes" if width == "1280" else "3m"
            await card.get_by_text(words, exact=True).wait_for(timeout=SHOWN_WITHIN_MS)
            assert answers and set(answers) == {304}, answers
