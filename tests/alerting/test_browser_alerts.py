"""The alerts' worklist and an alert's page in Chromium at 1280 and 375 px (several
selected and acknowledged with the keyboard): axe-core finds
nothing serious or critical, nothing scrolls sideways, no text under 12 px; at 375 px each
alert is a card (its title on a line of its own, then its facts); an alert that fires while
the list is open shows within the page's 15-second refresh, with no reload, and its "as of"
time moves on; with JavaScript off the page is whole and its filters work."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from emulator import SlackEmulator
from tests.alerting.test_alert_many import fire
from tests.alerting.test_alert_worklist import a_night_of_alerts, alerts_warroom, deliver
from tests.conftest import Warroom
from tests.helpers.alerts import alert, alertmanager
from tests.oncall.test_browser_overrides_history import checked
from tests.web.test_browser import (
    KEEP_SCREENSHOTS,
    WIDTHS,
    kept_small,
    screenshot,
    sign_in_with_slack,
    watched_page,
)
from tests.web.test_browser_worklists import card_lines

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page


async def test_the_alerts_in_a_browser(
    slack: SlackEmulator, sqlite_url: str, chromium: Browser, tmp_path: Path
) -> None:
    async with alerts_warroom(slack, sqlite_url, tmp_path) as warroom:
        lag, _ = await a_night_of_alerts(warroom)
        for width, options in WIDTHS.items():
            async with watched_page(chromium, warroom, **options) as page:
                await sign_in_with_slack(page, warroom)
                await the_worklist(page, warroom, width)
                await the_alert(page, warroom, lag, width)
        async with watched_page(chromium, warroom) as page:
            await sign_in_with_slack(page, warroom)
            await refreshed(page, warroom)
        async with watched_page(chromium, warroom, java_script_enabled=False) as page:
            await sign_in_with_slack(page, warroom)
            await without_java_script(page, warroom)


async def test_several_alerts_acknowledged_with_the_keyboard_at_375_px(
    slack: SlackEmulator, sqlite_url: str, chromium: Browser, tmp_path: Path
) -> None:
    """Issue 87, item 7: each open alert's box is named by its title, checked with Space (the
    list's refresh waits while one is checked); the form is sent with Enter on "Acknowledge
    selected"; the list comes back saying what was done in a status line; axe-core finds
    nothing serious, nothing scrolls sideways."""
    async with alerts_warroom(slack, sqlite_url, tmp_path) as warroom:
        for instance in ("worker-1", "worker-2", "worker-3"):
            await fire(warroom, "QueueLag", instance)
        async with watched_page(chromium, warroom, **WIDTHS["375"]) as page:
            await sign_in_with_slack(page, warroom)
            await page.goto(f"{warroom.url}/alerts")
            await checked(page, "the alerts' boxes at 375 px")
            for instance in ("worker-1", "worker-3"):
                box = page.get_by_role("checkbox", name=f"Select QueueLag on {instance}")
                await box.focus()
                await page.keyboard.press("Space")
                assert await box.is_checked()
            # The list's refresh (every 15 s) waits while a box is checked, the keyboard's
            # focus elsewhere: an alert that fires meanwhile shows once the form is sent.
            await fire(warroom, "QueueLag", "worker-4")
            await page.get_by_role("button", name="Show").focus()
            await page.wait_for_timeout(17_000)
            rows = page.locator("#alert-list tbody tr")
            assert await rows.filter(has_text="worker-4").count() == 0
            assert await page.get_by_role("checkbox", checked=True).count() == 2
            await page.get_by_role("button", name="Acknowledge selected").focus()
            await page.keyboard.press("Enter")
            said = page.get_by_role("status").filter(has_text="2 acknowledged.")
            await said.wait_for()
            assert "acknowledged" in await rows.filter(has_text="worker-3").inner_text()
            assert "triggered" in await rows.filter(has_text="worker-4").inner_text()
            assert "triggered" in await rows.filter(has_text="worker-2").inner_text()
            await checked(page, "the alerts acknowledged at 375 px")


async def the_worklist(page: Page, warroom: Warroom, width: str) -> None:
    await page.goto(f"{warroom.url}/alerts")
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Alerts").wait_for()
    row = page.locator("#alert-list table.alerts tbody tr", has_text="QueueLag")
    # A card at 375 px: the title on a line of its own, its facts below it (on two lines:
    # state and since, then the count and who acknowledged).
    # By their labels: an open alert's row begins with the box that selects it.
    title_top, *fact_tops = await card_lines(row, "td.card-title", ["td[data-label=Urgency]"])
    fact_tops += (await card_lines(row, "td[data-label=Fired]", []))[:1]
    shown_as_card = all(top > title_top + 8 for top in fact_tops)
    assert shown_as_card == (width == "375"), f"an alert's row at {width} px"
    await checked(page, f"the alerts at {width} px")
    if width == "1280":  # the manual's picture (WARROOM_KEEP_SCREENSHOTS)
        await kept_picture(page, "alerts-1280.png")


async def the_alert(page: Page, warroom: Warroom, lag: int, width: str) -> None:
    await page.locator("#alert-list").get_by_role("link", name="QueueLag is firing").click()
    await page.wait_for_url(f"{warroom.url}/alerts/{lag}")
    history = page.locator("#alert-history tbody")
    assert await history.locator("tr.moment-acknowledged").count() == 1
    assert await history.locator("tr.moment-notification", has_text="ntfy").count() == 1
    await checked(page, f"an alert's page at {width} px")
    if width == "1280":
        await kept_picture(page, "alert-1280.png")


async def kept_picture(page: Page, name: str) -> None:
    """A page kept for the manual when WARROOM_KEEP_SCREENSHOTS names where (else checked
    not blank and dropped)."""
    if KEEP_SCREENSHOTS:
        await screenshot(page, Path(KEEP_SCREENSHOTS) / name, tallest=1400)
        kept_small(Path(KEEP_SCREENSHOTS) / name)


async def refreshed(page: Page, warroom: Warroom) -> None:
    await page.goto(f"{warroom.url}/alerts")
    as_of = await page.locator(".as-of time").get_attribute("datetime")
    firing = page.locator("#alert-list tbody tr", has_text="DiskFull").filter(has_text="triggered")
    assert await firing.count() == 0  # resolved
    await warroom.advance(minutes=1)
    fired = [alert("DiskFull", "db-1", "2026-03-03T02:05:00Z")]
    await deliver(warroom, alertmanager("DiskFull", fired))
    # Within the script's 15 s (and a margin), without a reload.
    await firing.wait_for(timeout=25_000)
    assert await page.locator(".as-of time").get_attribute("datetime") != as_of
    assert await page.evaluate("performance.getEntriesByType('navigation').length") == 1


async def without_java_script(page: Page, warroom: Warroom) -> None:
    await page.goto(f"{warroom.url}/alerts")
    assert await page.locator("#alert-list tbody tr").count() >= 2
    await page.get_by_label("State").select_option("triggered")
    await page.get_by_role("button", name="Show").click()
    await page.wait_for_url(lambda url: "state=triggered" in url)
    rows = page.locator("#alert-list tbody tr")
    assert await rows.count() == 1
    assert "DiskFull" in await rows.inner_text()
