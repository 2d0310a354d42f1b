"""An alert's phone console in Chromium, at 375 px and 1280 px: axe-core
finds nothing (targets of 24 px at least, WCAG 2.2), nothing scrolls sideways, and its buttons
(Snooze, Acknowledge, Resolve) work as a phone's browser sends them (the form's CSRF token,
the session cookie)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from emulator import FakeNtfy, SlackEmulator
from tests.alerting.test_alert_console_home import console_of
from tests.alerting.test_own_alerts import alert_warroom, deliver, only_message, queue_lag
from tests.conftest import ALICE, CAROL
from tests.oncall.test_browser_overrides_history import checked
from tests.web.test_browser import KEEP_SCREENSHOTS, WIDTHS, kept_small, screenshot, watched_page


@pytest.mark.parametrize("width", ["375", "1280"])
async def test_the_console_reads_acknowledges_and_resolves_at_each_width(
    slack: SlackEmulator, sqlite_url: str, tmp_path: Path, chromium: Any, width: str
) -> None:
    ops = slack.create_channel("ops-alerts", creator=ALICE, members=[slack.bot_user_id, ALICE])
    slack.users[CAROL].tz = "Europe/Paris"
    async with FakeNtfy() as ntfy, alert_warroom(slack, sqlite_url, tmp_path, ops, ntfy) as warroom:
        await deliver(warroom, queue_lag())
        url = console_of(warroom, ntfy)
        # Chromium keeps the Secure session cookie on 127.0.0.1 (a secure context).
        async with watched_page(chromium, warroom, **WIDTHS[width]) as page:
            await page.goto(url)
            assert await page.get_by_role("heading", level=1).inner_text() == (
                "Alert SEV3 QueueLag is firing"
            )
            assert await page.get_by_role("link", name="Open in Slack").count() == 1
            await checked(page, f"the console at {width} px")
            if width == "375":  # the manual's picture (WARROOM_KEEP_SCREENSHOTS)
                keep = Path(KEEP_SCREENSHOTS) if KEEP_SCREENSHOTS else tmp_path
                await screenshot(page, keep / "alert-console-375.png")
                kept_small(keep / "alert-console-375.png")
            await page.get_by_label("Snooze for").select_option("8h")
            async with page.expect_navigation():
                await page.get_by_role("button", name="Snooze", exact=True).click()
            refused = await page.get_by_role("status").inner_text()
            assert refused.startswith("Not snoozed: this alert's route (queues) allows")
            async with page.expect_navigation():
                await page.get_by_role("button", name="Acknowledge").click()
            assert await page.get_by_role("status").inner_text() == (
                "Acknowledged: the paging has stopped."
            )
            assert "You acknowledged at 03:00 CET" in await page.locator("main").inner_text()
            await checked(page, f"the console acknowledged at {width} px")
            await warroom.run_jobs()
            assert f"*Acknowledged* by <@{CAROL}>" in only_message(ops).text
            async with page.expect_navigation():
                await page.get_by_role("button", name="Resolve").click()
            assert await page.get_by_role("status").inner_text() == (
                "Resolved: nobody is paged for it any more."
            )
            said = await page.locator("main").inner_text()
            assert "The alert resolved at 03:00 CET, by you." in said
            assert await page.get_by_role("button", name="Resolve").count() == 0
            await checked(page, f"the console resolved at {width} px")
        await warroom.run_jobs()
        assert f"*Resolved* by <@{CAROL}>" in only_message(ops).text
