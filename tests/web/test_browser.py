"""The web view in a real browser: headless Chromium, driven by Playwright, against the bot on
127.0.0.1. Sign in with Slack through the emulator's page, filter the list, edit a postmortem
section, and screenshot the pages on a laptop and on a phone.

Skipped (with the reason in the summary) when the ``playwright`` package or Chromium is missing.
Chromium is Debian's /usr/bin/chromium (``WARROOM_TEST_CHROMIUM`` names another); Playwright
never downloads a browser here. Screenshots land in the test's tmp_path.
"""

from __future__ import annotations

import os
import struct
import urllib.parse
import zlib
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from emulator import SlackEmulator
from tests.conftest import ALICE, Clock, Warroom
from tests.flows.test_status_page import SMALLEST_TEXT_PX, at
from tests.flows.test_status_page_replay import TITLES, replay
from tests.helpers.incidents import declare_incident, open_incident
from tests.helpers.web_view import web_warroom

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page

try:
    from playwright.async_api import async_playwright
except ImportError:  # pragma: no cover - depends on the environment
    async_playwright = None

CHROMIUM = Path(os.environ.get("WARROOM_TEST_CHROMIUM", "/usr/bin/chromium"))
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# The narrowest phone a status page is commonly read on (an iPhone SE or mini).
SMALL_PHONE = {"width": 375, "height": 667}
# Where `scripts/status-screenshots` has the status page's screenshots kept (the README's).
KEEP_SCREENSHOTS = os.environ.get("WARROOM_KEEP_SCREENSHOTS", "")
# Two days apart, so a date filter can tell the incidents apart.
FIRST_DECLARED = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
SECOND_DECLARED = FIRST_DECLARED + timedelta(days=2)
# Everything is local; a step slower than this is stuck, even on a machine busy with other work.
TIMEOUT_MS = 30_000
WRITTEN = "Rolled back deploy 4812 and drained the checkout queue by hand."


@pytest.fixture
async def chromium() -> AsyncIterator[Browser]:
    """Headless Chromium, in the test's event loop; skipped, loudly, when it cannot run here."""
    if async_playwright is None:
        pytest.skip(
            "browser tests skipped: the playwright package is missing: pip install playwright"
        )
    if not CHROMIUM.is_file():
        pytest.skip(f"browser tests skipped: {CHROMIUM} not found: apt-get install chromium")
    # Chromium's sandbox refuses to start as root (in containers, typically).
    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=args
        )
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class Watch:
    """What a browser context did that it should not: console errors, page errors, requests
    to anywhere but 127.0.0.1."""

    emulator: str  # the Slack emulator's origin
    problems: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def attach(self, context: BrowserContext) -> None:
        context.on("request", lambda request: self._request(request.url))
        context.on("requestfailed", lambda request: self.problems.append(f"failed: {request.url}"))
        context.on("console", self._console)
        context.on("weberror", lambda error: self.problems.append(f"page error: {error.error}"))

    def _request(self, url: str) -> None:
        self.requests.append(url)
        if urllib.parse.urlsplit(url).hostname != "127.0.0.1":
            self.problems.append(f"request off 127.0.0.1: {url}")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type not in ("error", "assert"):
            return
        url = message.location.get("url", "")
        if url == f"{self.emulator}/favicon.ico":
            return  # the emulator's page (Slack's, in real life) has no icon: not ours to fix
        self.problems.append(f"console {message.type}: {message.text} ({url})")


@asynccontextmanager
async def watched_page(browser: Browser, warroom: Warroom, **options: Any) -> AsyncIterator[Page]:
    """A page in a fresh context; at the end, no console error, no page error, no failed
    request and no request to another host than 127.0.0.1 happened in it."""
    authorize = urllib.parse.urlsplit(warroom.slack.authorize_url)
    watch = Watch(emulator=f"{authorize.scheme}://{authorize.netloc}")
    context = await browser.new_context(**options)
    context.set_default_timeout(TIMEOUT_MS)
    watch.attach(context)
    try:
        yield await context.new_page()
        assert not watch.problems, "\n".join(watch.problems)
        assert watch.requests, "the browser made no requests at all"
    finally:
        await context.close()


async def seeded(warroom: Warroom) -> None:
    """INC-1 (SEV3) on the first day, INC-2 (SEV1) two days later, both declared from Slack."""
    slack = warroom.slack
    await open_incident(warroom, "Checkout returns 500s")
    warroom.clock.now = SECOND_DECLARED
    await declare_incident(slack, "sev1 Payments queue stalled", pinned=True)
    await slack.drain()


async def sign_in_with_slack(page: Page, warroom: Warroom) -> None:
    """From the bot's front page, through /login and the emulator's chooser, back signed in."""
    await page.goto(f"{warroom.url}/")
    assert page.url.startswith(f"{warroom.url}/login?next=/"), page.url
    await page.get_by_role("link", name="Sign in with Slack").click()
    await page.wait_for_url(lambda url: url.startswith(warroom.slack.authorize_url))
    chooser = page.locator("form#sign-in")
    await chooser.locator(f'button[data-user-id="{ALICE}"]').wait_for()
    await chooser.get_by_role("button", name="Alice Moreau").click()
    await page.wait_for_url(f"{warroom.url}/")
    assert "Alice Moreau" in await page.locator("header.top").inner_text()


async def listed(page: Page) -> list[str]:
    """The references in the incident list, top to bottom."""
    # "Active now" (the open ones, worst first), then the resolved ones' table.
    links = page.locator("#active a.incident-ref, #incidents tbody tr td:first-child a")
    return await links.all_inner_texts()


# -- screenshots -----------------------------------------------------------------------------
def png_colours(png: bytes) -> tuple[int, int, Counter[tuple[int, ...]]]:
    """Width, height and how many pixels have each colour, of an 8-bit RGB or RGBA PNG that is
    not interlaced, which is what Chromium writes."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    offset, header, compressed = 8, b"", bytearray()
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind, body = png[offset + 4 : offset + 8], png[offset + 8 : offset + 8 + length]
        offset += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            compressed += body
        elif kind == b"IEND":
            break
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    bpp = 3 if colour == 2 else 4
    stride = width * bpp
    raw = zlib.decompress(bytes(compressed))
    assert len(raw) == height * (stride + 1), "the image data has the wrong size"
    image, previous = bytearray(), bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, row = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        _unfilter(kind, row, previous, bpp)
        image += row
        previous = row
    channels = (image[channel::bpp] for channel in range(bpp))
    return width, height, Counter(zip(*channels, strict=True))


def _unfilter(kind: int, row: bytearray, up: bytearray, bpp: int) -> None:
    """Undo one row's PNG filter in place (https://www.w3.org/TR/png/#9Filters)."""
    size = len(row)
    if kind == 0:
        return
    if kind == 1:  # Sub: a running sum along each channel
        for channel in range(bpp):
            row[channel::bpp] = bytes(map((0xFF).__and__, accumulate(row[channel::bpp])))
    elif kind == 2:  # Up, for all bytes at once: add without carries between the bytes.
        low, high = int.from_bytes(b"\x7f" * size, "big"), int.from_bytes(b"\x80" * size, "big")
        a, b = int.from_bytes(row, "big"), int.from_bytes(up, "big")
        row[:] = (((a & low) + (b & low)) ^ ((a ^ b) & high)).to_bytes(size, "big")
    elif kind == 3:  # Average
        for i in range(size):
            left = row[i - bpp] if i >= bpp else 0
            row[i] = (row[i] + ((left + up[i]) >> 1)) & 0xFF
    elif kind == 4:  # Paeth
        for i in range(bpp):
            row[i] = (row[i] + up[i]) & 0xFF
        for i in range(bpp, size):
            left, above, corner = row[i - bpp], up[i], up[i - bpp]
            pa, pb, pc = abs(above - corner), abs(left - corner), abs(left + above - 2 * corner)
            if pa <= pb and pa <= pc:
                row[i] = (row[i] + left) & 0xFF
            elif pb <= pc:
                row[i] = (row[i] + above) & 0xFF
            else:
                row[i] = (row[i] + corner) & 0xFF
    else:
        raise AssertionError(f"unknown PNG filter {kind}")


async def screenshot(page: Page, path: Path) -> bytes:
    """Save the page as ``path`` and check the picture is not blank."""
    png = await page.screenshot(path=path, full_page=True)
    width, height, colours = png_colours(png)
    viewport = page.viewport_size
    assert viewport is not None and width == viewport["width"] and height >= viewport["height"]
    _, background = colours.most_common(1)[0]
    drawn = 1 - background / (width * height)
    assert drawn > 0.02, f"{path.name}: only {drawn:.1%} of the pixels are not the background"
    assert len(colours) > 64, f"{path.name}: only {len(colours)} colours"
    return png


async def smallest_text(page: Page) -> float:
    """The smallest computed font size, in CSS pixels, of an element showing text itself."""
    smallest: float = await page.evaluate(
        """() => Math.min(...Array.from(document.body.querySelectorAll('*'))
            .filter(e => Array.from(e.childNodes).some(
                n => n.nodeType === Node.TEXT_NODE && n.textContent.trim()))
            .filter(e => e.getClientRects().length > 0)
            .map(e => parseFloat(getComputedStyle(e).fontSize)))"""
    )
    return smallest


async def no_sideways_scroll(page: Page) -> None:
    """The page fits the phone's width: nothing pushes the body sideways."""
    widths = await page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth,"
        " body: document.body.scrollWidth})"
    )
    # A phone zooms out to fit a page that is too wide: the window then grows with it.
    viewport = page.viewport_size
    assert viewport is not None
    assert widths["inner"] == viewport["width"], f"{page.url} overflows (zoomed out): {widths}"
    assert widths["scroll"] <= widths["inner"] + 1, f"{page.url} overflows: {widths}"
    assert widths["body"] <= widths["inner"] + 1, f"{page.url} overflows: {widths}"


# -- the tests -------------------------------------------------------------------------------
async def test_sign_in_filter_edit_and_screenshots(
    slack: SlackEmulator, sqlite_url: str, chromium: Browser, tmp_path: Path
) -> None:
    async with (
        web_warroom(slack, sqlite_url, Clock(FIRST_DECLARED)) as warroom,
        watched_page(chromium, warroom, viewport=LAPTOP) as page,
    ):
        await seeded(warroom)
        await sign_in_with_slack(page, warroom)

        # The list, newest first; then only SEV1; then by declaration date, either end.
        assert await listed(page) == ["INC-2", "INC-1"]
        await screenshot(page, tmp_path / "list.png")
        await page.locator("details.filters-box > summary").click()  # folded away at first
        filters = page.locator("form.filters")
        sev1 = filters.get_by_role("checkbox", name="SEV1")
        await sev1.check()
        await filters.get_by_role("button", name="Filter").click()
        await page.wait_for_url(lambda url: "severity=SEV1" in url)
        assert await listed(page) == ["INC-2"]
        assert await sev1.is_checked()
        await sev1.uncheck()
        await filters.locator("#to").fill(FIRST_DECLARED.date().isoformat())
        await filters.get_by_role("button", name="Filter").click()
        await page.wait_for_url(lambda url: "to=2026-03-10" in url and "severity" not in url)
        assert await listed(page) == ["INC-1"]
        assert "1 incident match the filters" in await page.locator("main").inner_text()
        await filters.locator("#to").fill("")
        await filters.locator("#from").fill(SECOND_DECLARED.date().isoformat())
        await filters.get_by_role("button", name="Filter").click()
        await page.wait_for_url(lambda url: "from=2026-03-12" in url)
        assert await listed(page) == ["INC-2"]

        # An incident's page, from its link; write a section of the postmortem and keep it.
        await page.get_by_role("link", name="INC-2", exact=True).click()
        await page.wait_for_url(f"{warroom.url}/incidents/INC-2")
        assert await page.locator("h1").first.inner_text() == "INC-2: Payments queue stalled"
        await screenshot(page, tmp_path / "incident.png")
        await page.get_by_role("link", name="Read the draft and write its sections").click()
        await page.wait_for_url(f"{warroom.url}/incidents/INC-2/postmortem")
        editor = page.locator("form.section-editor").first
        section = (await editor.get_attribute("id") or "").removeprefix("section-")
        assert section, "the postmortem has no section to write"
        assert WRITTEN not in await page.locator("#draft").inner_text()
        await editor.locator("textarea").fill(WRITTEN)
        await editor.get_by_role("button", name="Save").click()
        await page.wait_for_url(lambda url: f"/incidents/INC-2/postmortem?saved={section}" in url)
        notice = page.get_by_role("status")
        assert await notice.is_visible()
        assert (await notice.inner_text()).startswith("Saved.")
        assert WRITTEN in await page.locator("#draft").inner_text()
        await page.goto(f"{warroom.url}/incidents/INC-2/postmortem")
        assert await page.get_by_role("status").count() == 0
        assert WRITTEN in await page.locator("#draft").inner_text()
        assert await page.locator(f"#section-{section} textarea").input_value() == WRITTEN
        await screenshot(page, tmp_path / "postmortem.png")

        await page.get_by_role("link", name="Insights").click()
        await page.wait_for_url(f"{warroom.url}/insights")
        assert await page.locator("main svg").count() >= 1
        await screenshot(page, tmp_path / "insights.png")


async def test_pages_fit_a_phone(
    slack: SlackEmulator, sqlite_url: str, chromium: Browser, tmp_path: Path
) -> None:
    async with (
        web_warroom(slack, sqlite_url, Clock(FIRST_DECLARED)) as warroom,
        watched_page(chromium, warroom, viewport=PHONE, is_mobile=True, has_touch=True) as page,
    ):
        await seeded(warroom)
        await page.goto(f"{warroom.url}/login")
        await no_sideways_scroll(page)
        await sign_in_with_slack(page, warroom)
        await no_sideways_scroll(page)
        await screenshot(page, tmp_path / "phone-list.png")
        await page.get_by_role("link", name="INC-2", exact=True).click()
        await page.wait_for_url(f"{warroom.url}/incidents/INC-2")
        await no_sideways_scroll(page)
        await screenshot(page, tmp_path / "phone-incident.png")
        await page.get_by_role("link", name="Every message said in the channel").click()
        await page.wait_for_url(f"{warroom.url}/incidents/INC-2/history")
        await no_sideways_scroll(page)
        await page.get_by_role("link", name="Insights").click()
        await page.wait_for_url(f"{warroom.url}/insights")
        await no_sideways_scroll(page)
        await screenshot(page, tmp_path / "phone-insights.png")


async def test_the_status_page_as_customers_see_it_on_a_laptop_and_a_phone(
    slack: SlackEmulator, sqlite_url: str, chromium: Browser, tmp_path: Path
) -> None:
    """PayPlug's TSR-1532 replayed (tests/flows/test_status_page_replay.py), then /status read
    in French at 1280 px and at 375 px: the picture the README shows."""
    keep = Path(KEEP_SCREENSHOTS) if KEEP_SCREENSHOTS else tmp_path
    async with web_warroom(
        slack,
        sqlite_url,
        Clock(at(15, 15)),
        incidents__language="fr",
        status_page__languages=("fr", "en", "it"),
        runtime__scheduler_interval=3600.0,
    ) as warroom:
        await replay(warroom)
        for name, options in [
            ("status-1280.png", {"viewport": LAPTOP}),
            ("status-375.png", {"viewport": SMALL_PHONE, "is_mobile": True, "has_touch": True}),
        ]:
            # A French reader's browser: the page's frame follows its Accept-Language.
            async with watched_page(chromium, warroom, locale="fr-FR", **options) as page:
                await page.goto(f"{warroom.url}/status?tz=Europe/Paris")
                await page.get_by_role("heading", name=TITLES["fr"]).wait_for()
                assert await page.locator("svg.days").count() == 2
                await no_sideways_scroll(page)
                assert await smallest_text(page) >= SMALLEST_TEXT_PX
                await screenshot(page, keep / name)
