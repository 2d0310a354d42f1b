"""The status page's subscription form in Chromium, at 1280 and 375 px, as a customer uses it:
the status page links it; an address that is not one is refused at its field (a 303 back to
the form, kept as typed, the problem said beside the field once: a reload posts nothing); a
good one is answered without being shown back. axe-core (WCAG 2.2 AA) finds nothing serious
on either page, nothing scrolls sideways, no text is under 12 px."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from bot.config import Secret
from emulator import SlackEmulator
from tests.conftest import Warroom
from tests.helpers.incidents import command, open_incident
from tests.helpers.mail import Mailbox, smtp_server
from tests.helpers.web_view import web_settings
from tests.status_page.test_status_page import SMALLEST_TEXT_PX
from tests.web.test_browser import (
    TIMEOUT_MS,
    WIDTHS,
    axe_violations,
    described,
    scrolls_sideways,
    smallest_text,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

ADDRESS = "dana.customer@example.com"


@pytest.fixture
def warroom_settings(slack: SlackEmulator) -> Iterator[dict[str, object]]:
    # E-mail is offered only when warroom can send it (tests/status_page/test_subscriptions.py).
    with smtp_server(Mailbox()) as port:
        mail = {
            "paging__smtp_url": Secret(f"smtp://127.0.0.1:{port}"),
            "paging__smtp_from": "status@example.com",
            "paging__smtp_plaintext": True,
            "web__public_url": "http://status.example.com",
        }
        yield {**web_settings(slack, **mail), "ready": published}


async def published(warroom: Warroom) -> None:
    """An incident shown on the status page, with an update in public words."""
    channel = await open_incident(warroom, "Checkout returns 500s")
    await command(warroom, channel, "public Payments, Card terminals")
    await command(warroom, channel, "update --public Card payments fail for some customers.")


async def checked(page: Page, where: str) -> list[str]:
    problems = []
    if violations := await axe_violations(page):
        problems.append(f"{where}:\n{described(violations)}")
    if overflow := await scrolls_sideways(page):
        problems.append(f"{where} scrolls sideways: {overflow}")
    if (smallest := await smallest_text(page)) < SMALLEST_TEXT_PX:
        problems.append(f"{where}: text of {smallest} px")
    return problems


@pytest.mark.parametrize("width", list(WIDTHS))
async def test_a_customer_subscribes_from_the_status_page(
    warroom: Warroom, chromium: Browser, width: str
) -> None:
    context = await chromium.new_context(**WIDTHS[width])
    context.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []
    try:
        page = await context.new_page()
        await page.goto(f"{warroom.url}/status")
        await page.get_by_role("link", name="Subscribe to updates").click()
        await page.get_by_role("heading", name="Subscribe to updates").wait_for()
        problems += await checked(page, f"the form at {width} px")
        # The components public incidents named, to choose from.
        await page.get_by_label("Payments").check()
        await page.get_by_label("E-mail address or webhook URL").fill("dana at example")
        async with page.expect_response(lambda r: r.request.method == "POST") as answer:
            await page.get_by_role("button", name="Subscribe").click()
        assert (await answer.value).status == 303
        problem = page.get_by_role("alert")
        assert "That is not an e-mail address" in await problem.inner_text()
        field = page.get_by_label("E-mail address or webhook URL")
        assert await field.input_value() == "dana at example"
        assert await page.get_by_label("Payments").is_checked()
        problems += await checked(page, f"the refused form at {width} px")

        await field.fill(ADDRESS)
        await page.get_by_role("button", name="Subscribe").click()
        await page.get_by_role("heading", name="Check your inbox").wait_for()
        assert ADDRESS not in await page.content()
        problems += await checked(page, f"the answer at {width} px")
    finally:
        await context.close()
    assert not problems, "\n".join(problems)
