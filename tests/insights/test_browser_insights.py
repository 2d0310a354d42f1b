"""The insights charts in Chromium, as a person reads them: on a 375 px
screen every chart fits the width and its text is drawn at 12 CSS px or more; on a laptop the
wide drawing shows; on both, no text of a chart is cut off at its edges. Skipped, loudly,
where Chromium cannot run (tests/web/test_browser.py says how it is found). Whether the whole
page scrolls sideways (the navigation, the tables) is test_browser.py's to check."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from bot.record.oncall.schedules import parse_schedules
from emulator import SlackEmulator
from tests.conftest import ALICE, BOB, Clock
from tests.helpers.web_view import web_warroom
from tests.insights.test_insights_page import NOW, seed
from tests.oncall.test_browser_overrides_history import checked, refusals_page, refused_at
from tests.web.test_browser import (
    LAPTOP,
    SMALL_PHONE,
    WIDTHS,
    sign_in_with_slack,
    watched_page,
)

# Each visible chart text's size on screen (its font size times the SVG's scale), and
# whether it starts left of its SVG's box (cut off).
_TEXTS = """
() => [...document.querySelectorAll("figure.insight-chart svg")]
  .filter((svg) => svg.getBoundingClientRect().width > 0)
  .flatMap((svg) => {
    const box = svg.getBoundingClientRect();
    if (box.right > window.innerWidth + 0.5) {
      return [{text: "(the chart itself)", svg: svg.getAttribute("class"), px: 99, cut: true}];
    }
    const scale = svg.getScreenCTM().a;
    return [...svg.querySelectorAll("text")].map((text) => {
      const drawn = text.getBoundingClientRect();
      return {
        text: text.textContent,
        svg: svg.getAttribute("class"),
        px: parseFloat(getComputedStyle(text).fontSize) * scale,
        cut: drawn.left < box.left - 0.5 || drawn.right > box.right + 0.5,
      };
    });
  })
"""


async def chart_texts(page: Page) -> list[dict[str, object]]:
    texts: list[dict[str, object]] = await page.evaluate(_TEXTS)
    assert texts, "no chart text is shown"
    return texts


async def test_chart_text_is_readable_on_a_phone_and_never_cut_off(
    slack: SlackEmulator,
    sqlite_url: str,
    chromium: Browser,
    tmp_path: Path,
) -> None:
    # A rota too, for the hours on call that the page charts below the incidents.
    layer = {"name": "weekly", "start": "2025-12-01 09:00", "rotation": "weekly"}
    rota = {"timezone": "UTC", "layers": [{**layer, "members": [ALICE, BOB]}]}
    schedules = parse_schedules({"schedules": {"payments": rota}}, now=NOW)
    async with web_warroom(slack, sqlite_url, Clock(NOW), oncall__schedules=schedules) as warroom:
        await seed(warroom)
        for viewport, drawing, smallest in ((SMALL_PHONE, "narrow", 12.0), (LAPTOP, "wide", 11.0)):
            # Not zoomed out as a phone would a page wider than it: sizes as drawn.
            async with watched_page(chromium, warroom, viewport=viewport) as page:
                await sign_in_with_slack(page, warroom)
                await page.goto(f"{warroom.url}/insights?period=365")
                texts = await chart_texts(page)
                assert await page.locator("figure.insight-chart[id^=oncall-hours] svg").count()
                assert {text["svg"] for text in texts} == {drawing}
                small = [t for t in texts if float(str(t["px"])) < smallest]
                assert not small, small[:5]
                cut = [t for t in texts if t["cut"]]
                assert not cut, cut[:5]
                shot = tmp_path / f"insights-{drawing}.png"
                await page.screenshot(path=str(shot), full_page=True)


@pytest.mark.parametrize("width", list(WIDTHS))
async def test_a_refused_filter_is_said_at_its_field_in_a_browser(
    slack: SlackEmulator, sqlite_url: str, chromium: Browser, width: str
) -> None:
    """Dates picked the wrong way round: the page again, its form as picked, the words under
    "to" (which is marked invalid); axe-core finds nothing serious, no sideways scrolling,
    no text under 12 px. (A context of its own: the watched one counts the browser's note of
    a 400 as a console error.)"""
    async with web_warroom(slack, sqlite_url, Clock(NOW)) as warroom:
        await seed(warroom)
        async with refusals_page(chromium, warroom, WIDTHS[width]) as page:
            await page.goto(f"{warroom.url}/insights")
            await page.locator("#from").fill("2026-03-10")
            await page.locator("#to").fill("2026-03-01")
            await refused_at(page, "Show", "to", "is before the from date")
            assert await page.locator("#from").input_value() == "2026-03-10"
            assert await page.locator("#headline").count() == 1
            await checked(page, f"the refused insights at {width} px")
