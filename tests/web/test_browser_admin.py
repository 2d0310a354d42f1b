"""Admin on the web in Chromium, at 1280 and 375 px: an admin makes a
token (its value shown once) and revokes it while a member cannot; a person adds a number on
their own page and verifies it with the code the fake Twilio received. Every page: axe-core
finds nothing serious or critical, no sideways scrolling, no text under 12 px."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import pytest

from bot.config import Settings
from emulator import FakeTwilio, SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom
from tests.helpers.web_view import web_warroom
from tests.oncall.samples import two_schedules
from tests.oncall.test_browser_overrides_history import checked
from tests.oncall.test_oncall_web import NOW
from tests.web.test_browser import WIDTHS, watched_page

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

NUMBERS = {"1280": "+14155550101", "375": "+14155550102"}


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio() as fake:
        yield fake


@asynccontextmanager
async def admin_warroom(
    slack: SlackEmulator, sqlite_url: str, twilio: FakeTwilio
) -> AsyncIterator[Warroom]:
    """Alice is one of warroom's admins (WARROOM_ADMINS); SMS through the fake Twilio."""
    settings = Settings.from_env(
        {
            "TWILIO_ACCOUNT_SID": twilio.account_sid,
            "TWILIO_AUTH_TOKEN": twilio.auth_token,
            "TWILIO_FROM": twilio.numbers[0],
            "TWILIO_API_URL": twilio.root,
        }
    )
    async with web_warroom(
        slack,
        sqlite_url,
        Clock(NOW),
        paging=settings.paging,
        oncall__schedules=two_schedules(NOW),
        web__admins=(ALICE,),
        runtime__scheduler_interval=3600.0,
    ) as warroom:
        yield warroom


async def signed_in_as(page: Page, warroom: Warroom, user: str, name: str) -> None:
    """Through /login and the emulator's chooser, back signed in as ``user``."""
    await page.goto(f"{warroom.url}/")
    await page.get_by_role("link", name="Sign in with Slack").click()
    await page.wait_for_url(lambda url: url.startswith(warroom.slack.authorize_url))
    chooser = page.locator("form#sign-in")
    await chooser.locator(f'button[data-user-id="{user}"]').wait_for()
    await chooser.get_by_role("button", name=name).click()
    await page.wait_for_url(f"{warroom.url}/")


async def test_an_admin_makes_and_revokes_a_token_and_a_member_cannot(
    slack: SlackEmulator, sqlite_url: str, twilio: FakeTwilio, chromium: Browser
) -> None:
    async with admin_warroom(slack, sqlite_url, twilio) as warroom:
        for width, options in WIDTHS.items():
            await token_made_and_revoked(chromium, warroom, width, options)


async def token_made_and_revoked(
    chromium: Browser, warroom: Warroom, width: str, options: dict[str, Any]
) -> None:
    name = f"triage-{width}"
    async with watched_page(chromium, warroom, **options) as page:
        await signed_in_as(page, warroom, ALICE, "Alice Moreau")
        await page.goto(f"{warroom.url}/agents")
        await checked(page, f"/agents for an admin at {width} px")
        form = page.locator("#make-token")
        await form.get_by_label("Name").fill(name)
        await form.get_by_label("Why").fill("the triage agent reads open incidents")
        await form.get_by_role("button", name="Make the token").click()
        await page.wait_for_url(f"{warroom.url}/agents")
        value = await page.locator("#token-value").input_value()
        assert re.fullmatch(r"wr_agent_[A-Za-z0-9_-]{43}", value), value
        # A Copy button beside the value shown once; 127.0.0.1 is a secure
        # context, so the Clipboard API copies it.
        await page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        await page.get_by_role("button", name="Copy the token").click()
        await page.locator(".copied", has_text="Copied.").wait_for()
        assert await page.evaluate("() => navigator.clipboard.readText()") == value
        await checked(page, f"a token just made at {width} px")
        await page.reload()
        assert await page.locator("#token-value").count() == 0, "shown twice"
        assert value not in await page.content()
        row = page.locator(f"#token-{name}")
        await row.get_by_label(f"Why revoke {name}").fill("the agent is retired")
        await row.get_by_role("button", name=f"Revoke {name}").click()
        await page.wait_for_url(f"{warroom.url}/agents")
        assert "revoked" in await page.locator("#revoked-token").inner_text()
        assert "revoked" in await row.locator("td[data-label=State]").inner_text()
        await checked(page, f"a token just revoked at {width} px")
        await page.goto(f"{warroom.url}/admin/audit")
        record = " ".join((await page.locator("#changes").inner_text()).split())
        assert "the agent is retired" in record and name in record
        await checked(page, f"the admin record at {width} px")
    async with watched_page(chromium, warroom, **options) as page:
        await signed_in_as(page, warroom, BOB, "Bob Okafor")
        await page.goto(f"{warroom.url}/agents")
        assert await page.locator("#make-token").count() == 0
        assert await page.locator(f"#token-{name}").count() == 0
        assert "You have made no token" in await page.locator("main").inner_text()
        await checked(page, f"/agents for a member at {width} px")
        # The admin record and the form refuse him, in words (read without navigating).
        answer = await page.request.get(f"{warroom.url}/admin/audit")
        assert answer.status == 403 and "Only warroom's admins" in await answer.text()


async def test_a_person_adds_and_verifies_a_contact(
    slack: SlackEmulator, sqlite_url: str, twilio: FakeTwilio, chromium: Browser
) -> None:
    async with admin_warroom(slack, sqlite_url, twilio) as warroom:
        for width, options in WIDTHS.items():
            async with watched_page(chromium, warroom, **options) as page:
                await signed_in_as(page, warroom, CAROL, "Carol Tanaka")
                await page.goto(f"{warroom.url}/oncall/people/{CAROL}")
                await checked(page, f"Carol's own page at {width} px")
                form = page.locator("#add-contact")
                await form.get_by_label("Method").select_option("sms")
                await form.get_by_label("Number or address").fill(NUMBERS[width])
                await form.get_by_role("button", name="Add and send a code").click()
                await page.wait_for_url(f"{warroom.url}/oncall/people/{CAROL}#contacts")
                answer = page.locator("#contact-answer")
                assert "A code went to your sms +1 ••••" in await answer.inner_text()
                assert NUMBERS[width] not in await page.content()
                await checked(page, f"a code sent at {width} px")
                (code,) = re.findall(r"code is (\d{6})", twilio.phone(NUMBERS[width]).messages[0])
                await page.get_by_label("Code sent to your sms").fill(code)
                await page.get_by_role("button", name="Verify sms").click()
                await page.wait_for_url(f"{warroom.url}/oncall/people/{CAROL}#contacts")
                assert "is verified" in await answer.inner_text()
                assert "verified" in await page.locator("#own-sms").inner_text()
                await checked(page, f"a number verified at {width} px")
                # Removed, so the next width adds one again.
                await page.get_by_role("button", name="Remove sms").click()
                await page.wait_for_url(f"{warroom.url}/oncall/people/{CAROL}#contacts")
                assert "removed" in await answer.inner_text()
