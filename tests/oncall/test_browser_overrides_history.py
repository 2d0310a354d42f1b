"""Overrides and the channel history in Chromium, at 1280 and 375 px: an override is filled with
the native date and time fields, previewed in words where the person is, confirmed (a long one
only once its length is ticked: the browser itself holds the form until then), its notice in
view; Cancel asks first; a bad end is refused at its field with the form kept. The channel
history shows Slack's formatting and nothing a hostile message says runs. Every state: axe-core
finds nothing serious or critical, no sideways scrolling, no text under 12 px."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import pytest

from emulator import SlackEmulator
from tests.conftest import ALICE, BOB, Clock, Warroom
from tests.helpers.incidents import open_incident
from tests.helpers.web_view import web_warroom
from tests.incident.test_channel_history import FORMATTED, HOSTILE
from tests.status_page.test_status_page import SMALLEST_TEXT_PX
from tests.web.test_browser import (
    FIRST_DECLARED,
    WIDTHS,
    axe_violations,
    described,
    every_page_warroom,
    scrolls_sideways,
    sign_in_with_slack,
    smallest_text,
    watched_page,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page


async def checked(page: Page, where: str) -> None:
    """axe-core, the width and the text size of the page as it is now."""
    assert not (found := await axe_violations(page)), f"{where}:\n{described(found)}"
    assert not (overflow := await scrolls_sideways(page)), f"{where} scrolls sideways: {overflow}"
    assert (size := await smallest_text(page)) >= SMALLEST_TEXT_PX, f"{where}: text at {size} px"


async def chart_text_on_screen(page: Page) -> float:
    """The schedule chart's smallest text as shown: its font size times the drawing's scale."""
    size: float = await page.evaluate(
        """() => { const svg = document.querySelector("figure.oncall-timeline svg");
            const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
            return Math.min(...[...svg.querySelectorAll("text")].map(
                t => parseFloat(getComputedStyle(t).fontSize) * scale)); }"""
    )
    return size


async def in_view(page: Page, selector: str) -> bool:
    """Whether the element's top is within the window (the person sees it without scrolling)."""
    seen: bool = await page.locator(selector).evaluate(
        "e => { const r = e.getBoundingClientRect();"
        " return r.top >= 0 && r.top < window.innerHeight && r.height > 0; }"
    )
    return seen


@asynccontextmanager
async def refusals_page(
    chromium: Browser, warroom: Warroom, options: dict[str, Any]
) -> AsyncIterator[Page]:
    """A page signed in, in a context of its own: the watched one counts the browser's note
    of a 400 as a console error."""
    context = await chromium.new_context(**options)
    try:
        page = await context.new_page()
        await sign_in_with_slack(page, warroom)
        yield page
    finally:
        await context.close()


async def refused_at(page: Page, button: str, field: str, words: str) -> None:
    """Press ``button``: the page shown is a GET answering 400 (a refused POST is sent back
    to its form's page with a 303, so a reload never posts again; a GET form is answered
    at once) with ``words`` beside its field ``#field``, which is marked invalid."""
    async with page.expect_navigation() as navigation:
        await page.get_by_role("button", name=button).click()
    answer = await navigation.value
    assert answer is not None and (answer.request.method, answer.status) == ("GET", 400)
    assert words in await page.locator(f"#{field}-problem").inner_text()
    assert await page.locator(f"#{field}").get_attribute("aria-invalid") == "true"


@pytest.mark.parametrize("width", list(WIDTHS))
async def test_an_override_previewed_confirmed_and_cancelled_in_a_browser(
    slack: SlackEmulator, sqlite_url: str, chromium: Browser, width: str
) -> None:
    options: dict[str, Any] = WIDTHS[width]
    async with (
        every_page_warroom(slack, sqlite_url) as warroom,
        watched_page(chromium, warroom, **options) as page,
    ):
        await sign_in_with_slack(page, warroom)
        await page.goto(f"{warroom.url}/oncall/payments")
        # The chart's text is readable on a phone too (it scrolls in its own box instead).
        assert (chart := await chart_text_on_screen(page)) >= SMALLEST_TEXT_PX, chart
        await checked(page, f"the schedule at {width} px")
        # Nobody is chosen until someone is.
        assert await page.locator("#override-user").input_value() == ""
        await page.locator("#override-user").select_option(BOB)
        assert await page.locator("#override-start").get_attribute("type") == "datetime-local"
        await page.locator("#override-start").fill("2026-03-14T09:00")
        await page.locator("#override-end").fill("2026-03-20T09:00")
        await page.get_by_role("button", name="Preview the override").click()
        await page.locator("#preview").wait_for()
        words = " ".join((await page.locator("#preview .preview-words").inner_text()).split())
        assert "covers Sat 14 Mar 09:00 to Fri 20 Mar 09:00 CET (6 days), instead of" in words
        assert await in_view(page, "#preview"), "the preview is out of view"
        await checked(page, f"the preview at {width} px")
        # Six days: Confirm is held by the browser until the length is ticked.
        confirm = page.get_by_role("button", name="Confirm: add the override")
        await confirm.click()
        assert await page.locator("#confirm-long").evaluate("e => e.validity.valueMissing")
        assert "added=" not in page.url
        await page.locator("#confirm-long").check()
        await confirm.click()
        await page.wait_for_url(lambda url: "added=2" in url)
        notice = page.locator("#notice")
        assert "Override 2 added" in await notice.inner_text()
        assert await in_view(page, "#notice"), "the notice is out of view"
        await checked(page, f"the notice at {width} px")
        # Cancel asks first.
        await page.locator('form[action$="/overrides/2/cancel"] button').click()
        await page.locator("#cancel-question").wait_for()
        assert await in_view(page, "#cancel-question")
        await checked(page, f"the cancel question at {width} px")
        await page.get_by_role("button", name="Yes, cancel override 2").click()
        await page.wait_for_url(lambda url: "cancelled=2" in url)
        assert "is cancelled" in await page.locator("#notice").inner_text()
        assert await in_view(page, "#notice")
        # An end before its start: refused at the field, what was chosen kept.
        async with refusals_page(chromium, warroom, options) as page:
            await page.goto(f"{warroom.url}/oncall/payments")
            await page.locator("#override-user").select_option(BOB)
            await page.locator("#override-start").fill("2026-03-14T09:00")
            await page.locator("#override-end").fill("2026-03-13T09:00")
            await refused_at(page, "Preview the override", "override-end", "is not after its start")
            assert await page.locator("#override-start").input_value() == "2026-03-14T09:00"
            assert await page.locator("#override-user").input_value() == BOB
            await checked(page, f"the refusal at {width} px")


@pytest.mark.parametrize("width", list(WIDTHS))
async def test_the_channel_history_as_slack_shows_it_in_a_browser(
    slack: SlackEmulator, sqlite_url: str, chromium: Browser, width: str
) -> None:
    async with web_warroom(slack, sqlite_url, Clock(FIRST_DECLARED)) as warroom:
        channel = await open_incident(warroom, "Checkout returns 500s")
        await slack.post_message(channel.id, "", user=BOB, slack_text=FORMATTED)
        await slack.post_as_app(channel.id, HOSTILE, name="Grafana")
        await warroom.finish_background()
        async with watched_page(chromium, warroom, **WIDTHS[width]) as page:
            dialogs: list[str] = []
            page.on("dialog", lambda dialog: dialogs.append(dialog.message))
            await sign_in_with_slack(page, warroom)
            await page.goto(f"{warroom.url}/incidents/INC-1/history")
            await page.locator("#history").wait_for()
            await page.mouse.move(200, 300)
            history = page.locator("#history")
            assert await history.locator("strong", has_text="Rolled back").count() == 1
            assert await history.locator("blockquote").count() == 1
            assert await history.locator("pre code").count() == 1
            link = history.get_by_role("link", name="the dashboard")
            assert await link.get_attribute("href") == "https://grafana.example/d/1?a=1&b=2"
            text = await history.inner_text()
            assert "🚨" in text and "@Alice Moreau" in text
            assert "<img src=x onerror=alert(2)>" in text
            # Nothing the hostile message says became an element or ran.
            injected = await page.evaluate(
                "() => document.querySelectorAll('#history img, #history script,"
                " #history [onmouseover], #history a[href^=javascript]').length"
            )
            assert injected == 0 and not dialogs
            # On a phone a message is a card, as in Slack: when and who on one line, the
            # message under them; on a laptop, a row of the table.
            row = history.locator("tbody tr", has_text="Rolled back")
            tops = []
            for n in (1, 2, 3):
                box = await row.locator(f"td:nth-child({n})").bounding_box()
                assert box is not None
                tops.append(box["y"])
            assert abs(tops[0] - tops[1]) < 8, (width, tops)
            assert (tops[2] > tops[0] + 8) == (width == "375"), (width, tops)
            await checked(page, f"the history at {width} px")


async def test_insight_tiles_keep_each_value_on_one_line_on_a_phone(
    slack: SlackEmulator, sqlite_url: str, chromium: Browser
) -> None:
    """At 375 px the insights' headline tiles stand one to a row and no value wraps."""
    async with (
        every_page_warroom(slack, sqlite_url) as warroom,
        watched_page(chromium, warroom, **WIDTHS["375"]) as page,
    ):
        await sign_in_with_slack(page, warroom)
        await page.goto(f"{warroom.url}/insights")
        lines: list[float] = await page.evaluate(
            """() => [...document.querySelectorAll("#headline .figure")].map(e =>
                e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight
                    === "normal" ? 1.2 * parseFloat(getComputedStyle(e).fontSize)
                    : getComputedStyle(e).lineHeight))"""
        )
        assert lines and all(count < 1.5 for count in lines), lines
        await checked(page, "insights at 375 px")


@pytest.mark.parametrize("width", list(WIDTHS))
async def test_a_refused_maintenance_window_is_said_at_its_field_in_a_browser(
    slack: SlackEmulator, sqlite_url: str, chromium: Browser, width: str
) -> None:
    """A window whose end comes before its start: the words under "To", that field marked
    invalid, what was typed kept; axe-core, the width and the text size hold."""
    async with (
        web_warroom(
            slack, sqlite_url, Clock(FIRST_DECLARED), maintenance__allowed=(ALICE,)
        ) as warroom,
        refusals_page(chromium, warroom, WIDTHS[width]) as page,
    ):
        await page.goto(f"{warroom.url}/maintenance")
        await page.locator("#window-labels").fill("service=checkout")
        await page.locator("#window-start").fill("2026-03-12 12:00")
        await page.locator("#window-end").fill("2026-03-12 11:00")
        await page.locator("#window-public").fill("Checkout may be slow.")
        await refused_at(page, "Add the window", "window-end", "before it starts")
        assert await page.locator("#window-public").input_value() == "Checkout may be slow."
        await checked(page, f"the refused window at {width} px")


@pytest.mark.parametrize("width", list(WIDTHS))
async def test_a_zone_that_does_not_exist_is_said_at_its_field_in_a_browser(
    slack: SlackEmulator, sqlite_url: str, chromium: Browser, width: str
) -> None:
    """The status page, the follow-ups, on call and a schedule asked for in a zone that does
    not exist: 400, the zone kept in its field, marked invalid, the words beside it; axe-core,
    the width and the text size hold."""
    async with (
        every_page_warroom(slack, sqlite_url) as warroom,
        refusals_page(chromium, warroom, WIDTHS[width]) as page,
    ):
        for where in ("/status", "/follow-ups", "/oncall", "/oncall/payments"):
            answer = await page.goto(f"{warroom.url}{where}?tz=Mars/Olympus")
            assert answer is not None and answer.status == 400, where
            assert await page.locator("#tz").input_value() == "Mars/Olympus"
            assert await page.locator("#tz").get_attribute("aria-invalid") == "true"
            said = await page.locator("#tz-problem").inner_text()
            assert "There is no time zone called “Mars/Olympus”" in said, where
            await checked(page, f"{where} in an unknown zone at {width} px")
