"""The worklists in Chromium at 1280 and 375 px: the incident list
with its flags and latest update lines, searched; an incident's timeline filtered by kind
(escalations folded, shown through a link, with JavaScript off too); the follow-ups. At 375
px each row is a card: its title on a line of its own, then one line of its facts (status,
severity, age, commander). Every page: axe-core finds nothing serious or critical, no
sideways scrolling, no text under 12 px."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from emulator import SlackEmulator
from tests.conftest import Clock, Warroom
from tests.helpers.alerts import alert, alertmanager, post_alert
from tests.helpers.incidents import command, open_incident, settle
from tests.helpers.web_view import web_warroom
from tests.oncall.test_browser_overrides_history import checked
from tests.web.test_browser import WIDTHS, sign_in_with_slack, watched_page
from tests.web.test_worklists import alerts_open_incidents

if TYPE_CHECKING:
    from playwright.async_api import Browser, Locator, Page

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


async def worklists(warroom: Warroom) -> None:
    """Two open incidents declared, one opened by an alert (nobody leads it), one resolved;
    an update, an escalation and follow-ups due before and after now."""
    down = await open_incident(warroom, "Checkout is down for card payments in every region")
    await open_incident(warroom, "Search is slow")
    fired = alertmanager("DiskFull", [alert("DiskFull", "db-1", "2026-03-10T08:58:00Z")])
    await post_alert(warroom.url, "alertmanager", fired)
    blip = await open_incident(warroom, "A blip in billing")
    await command(warroom, blip, "resolve it passed")
    await command(warroom, down, "update Rolled back the deploy; the error rate is falling")
    await command(warroom, down, "escalate @bob the database refuses connections")
    await command(warroom, down, 'action @alice --due "today 10:00" roll back the flag')
    await command(warroom, down, "action @bob --due fri write the runbook")
    await settle(warroom)
    await warroom.advance(hours=2)


async def card_lines(row: Locator, title: str, facts: list[str]) -> list[float]:
    """The tops of the row's title cell and of its facts' cells (selectors in the row)."""
    tops = []
    for selector in [title, *facts]:
        box = await row.locator(selector).first.bounding_box()
        assert box is not None, selector
        tops.append(box["y"])
    return tops


async def is_card(row: Locator, title: str, facts: list[str]) -> bool:
    """The title on a line of its own above the facts, the facts on one line."""
    title_top, *fact_tops = await card_lines(row, title, facts)
    one_line = max(fact_tops) - min(fact_tops) < 8
    return one_line and all(top > title_top + 8 for top in fact_tops)


async def test_the_worklists_in_a_browser(
    slack: SlackEmulator, sqlite_url: str, chromium: Browser
) -> None:
    async with web_warroom(slack, sqlite_url, Clock(NOW), **alerts_open_incidents()) as warroom:
        await worklists(warroom)
        for width, options in WIDTHS.items():
            async with watched_page(chromium, warroom, **options) as page:
                await sign_in_with_slack(page, warroom)
                await the_list(page, warroom, width)
                await the_timeline(page, warroom, width)
                await the_follow_ups(page, warroom, width)
        async with watched_page(chromium, warroom, java_script_enabled=False) as page:
            await sign_in_with_slack(page, warroom)
            await folded_and_shown(page, warroom)


async def the_list(page: Page, warroom: Warroom, width: str) -> None:
    await page.goto(f"{warroom.url}/")
    down = page.locator("li.active-incident", has_text="Checkout is down")
    text = " ".join((await down.inner_text()).split())
    assert "Rolled back the deploy; the error rate is falling" in text, text
    assert "update overdue" in text
    disk = page.locator("li.active-incident", has_text="DiskFull")
    assert "no commander" in await disk.inner_text()
    facts = [".status-badge", ".sev", ".card-line > span:nth-of-type(3)"]
    assert await is_card(down, ".active-title", facts), f"the open card at {width} px"
    await checked(page, f"the list at {width} px")
    resolved = page.locator("#incidents tbody tr").first
    row_facts = [f"td:nth-child({n})" for n in (2, 3, 4, 5)]
    shown_as_card = await is_card(resolved, "td:nth-child(1)", row_facts)
    assert shown_as_card == (width == "375"), f"the resolved row at {width} px"
    await page.get_by_label("Search by words").fill("blip")
    await page.get_by_role("button", name="Search").click()
    await page.wait_for_url(lambda url: "q=blip" in url)
    assert await page.locator("li.active-incident").count() == 0
    assert await page.locator("#incidents tbody tr").count() == 1
    await checked(page, f"the list searched at {width} px")


async def the_timeline(page: Page, warroom: Warroom, width: str) -> None:
    await page.goto(f"{warroom.url}/incidents/INC-1")
    table = page.locator("#timeline-table")
    assert await table.locator("tr.kind-escalation").count() == 0
    await page.locator("#paging-folded a").click()
    await page.wait_for_url(lambda url: "show=paging" in url)
    escalation = table.locator("tr.kind-escalation")
    assert await escalation.count() == 1
    shown_as_card = await is_card(
        escalation, "td:nth-child(3)", ["td:nth-child(1)", "td:nth-child(2)"]
    )
    assert shown_as_card == (width == "375"), f"a timeline row at {width} px"
    # The latest update is whole, not cut to a few lines.
    latest = page.locator("#latest-update")
    clamp = await latest.evaluate("e => getComputedStyle(e).webkitLineClamp")
    assert clamp in ("none", ""), clamp
    await checked(page, f"the incident page at {width} px")
    # Only the updates, with the form.
    for box in await page.locator("#timeline-kinds input[type=checkbox]").all():
        await box.set_checked(await box.get_attribute("value") == "updates")
    await page.locator("#timeline-kinds").get_by_role("button", name="Show").click()
    await page.wait_for_url(lambda url: "show=updates" in url)
    assert await table.locator("tbody tr").count() == await table.locator("tr.kind-update").count()
    assert await table.locator("tr.kind-update").count() >= 1


async def the_follow_ups(page: Page, warroom: Warroom, width: str) -> None:
    await page.goto(f"{warroom.url}/follow-ups")
    rows = page.locator("#follow-ups tbody tr")
    overdue = rows.filter(has_text="roll back the flag")
    assert "overdue" in await overdue.inner_text()
    later = rows.filter(has_text="write the runbook")
    assert "due in " in await later.inner_text()
    # On a phone: the task, then when it is due (in words), its owner and its incident.
    facts = [f"td:nth-child({n})" for n in (1, 3, 4)]
    shown_as_card = await is_card(later, "td:nth-child(2)", facts)
    assert shown_as_card == (width == "375"), f"a follow-up at {width} px"
    await checked(page, f"the follow-ups at {width} px")
    await page.get_by_role("link", name="Only mine").click()
    await page.wait_for_url(lambda url: "mine=1" in url)
    assert await rows.count() == 1 and "roll back the flag" in await rows.first.inner_text()


async def folded_and_shown(page: Page, warroom: Warroom) -> None:
    """With JavaScript off, the fold's link and the form still work."""
    await page.goto(f"{warroom.url}/incidents/INC-1")
    assert await page.locator("tr.kind-escalation").count() == 0
    await page.locator("#paging-folded a").click()
    await page.wait_for_url(lambda url: "show=paging" in url)
    assert await page.locator("tr.kind-escalation").count() == 1
