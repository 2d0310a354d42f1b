"""An alert's Slack message in Chromium at 1280 px, as the Slack emulator's preview lays out its
Block Kit (``/preview/<channel>``, emulator/preview.py; Slack itself is not reachable from a
test): the manual's picture (docs/alert-message-1280.png, kept with
``WARROOM_KEEP_SCREENSHOTS=docs``). Two alerts of the route paged Carol; she acknowledged the
first: it says so and keeps Snooze, Resolve and Declare incident; the second, still paging,
shows its title, severity, urgency, who is paged, its count and the five controls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from emulator import FakeNtfy, SlackEmulator
from tests.alerting.test_own_alerts import STARTED, alert_warroom, deliver, queue_lag
from tests.conftest import ALICE, CAROL
from tests.helpers.alerts import alert, alertmanager
from tests.helpers.incidents import settle
from tests.web.test_browser import KEEP_SCREENSHOTS, LAPTOP, kept_small, screenshot, watched_page

PICTURE = "alert-message-1280.png"
FIVE = ["Acknowledge", "Escalate", "Snooze", "Resolve", "Declare incident"]


async def test_the_alert_message_as_slack_shows_it(
    slack: SlackEmulator, sqlite_url: str, tmp_path: Path, chromium: Any
) -> None:
    ops = slack.create_channel("ops-alerts", creator=ALICE, members=[slack.bot_user_id, ALICE])
    async with FakeNtfy() as ntfy, alert_warroom(slack, sqlite_url, tmp_path, ops, ntfy) as warroom:
        await deliver(warroom, queue_lag())
        await deliver(warroom, queue_lag())  # Alertmanager's repeat: counted, not paged
        first = ops.messages[0]
        value = next(
            e["value"]
            for b in first.blocks or []
            if b.get("type") == "actions"
            for e in b["elements"]
            if e.get("action_id") == "acknowledge_alert"
        )
        await slack.click_button(
            ops.id, first.ts, "acknowledge_alert", user=CAROL, value=value, block_id="alert"
        )
        await settle(warroom)
        # Past the route's grouping window, the queue lags on another worker.
        await warroom.advance(minutes=5)
        other = alert("QueueLag", "worker-2", STARTED)
        other["annotations"]["description"] = "Orders wait more than 3 minutes for a worker."
        second = alertmanager("QueueLag", [other])
        # Alertmanager grouping by alertname and instance: a group of its own.
        second["groupKey"] = '{}:{alertname="QueueLag", instance="worker-2"}'
        second["groupLabels"] = {"alertname": "QueueLag", "instance": "worker-2"}
        await deliver(warroom, second)
        assert len(ops.messages) == 2

        async with watched_page(chromium, warroom, viewport=LAPTOP) as page:
            await page.goto(f"{slack.root_url}/preview/{ops.id}")
            assert "not Slack" in await page.get_by_role("note").inner_text()
            messages = page.get_by_role("article")
            assert await messages.count() == 2
            acknowledged = await messages.nth(0).inner_text()
            assert "SEV3 Alert: QueueLag is firing" in acknowledged
            assert "Acknowledged by @Carol Tanaka" in acknowledged
            assert "fired 2 times" in acknowledged
            shown = messages.nth(0).get_by_role("button")
            assert await shown.all_inner_texts() == ["Snooze ▾", "Resolve", "Declare incident", "⋯"]
            paging = messages.nth(1)
            text = await paging.inner_text()
            # Its title (bold, as Slack shows *…*), severity, urgency, count, who is paged.
            title = paging.locator("strong", has_text="SEV3 Alert: QueueLag is firing")
            assert await title.count() == 1
            assert "high urgency · fired 1 time" in text
            assert "Triggered: paging escalation policy queues (@Carol Tanaka)" in text
            assert "Paged: @Carol Tanaka by push, Slack DM" in text
            assert "description: Orders wait more than 3 minutes for a worker." in text
            assert await paging.locator("code", has_text="instance=worker-2").count() == 1
            labels = [
                t.removesuffix(" ▾") for t in await paging.get_by_role("button").all_inner_texts()
            ]
            assert labels == [*FIVE, "⋯"]  # the menu of acts on all mine
            assert (
                await paging.get_by_role("button", name="Acknowledge", exact=True).evaluate(
                    "b => getComputedStyle(b).backgroundColor"
                )
                == "rgb(0, 122, 90)"
            )  # primary: Slack's green
            keep = Path(KEEP_SCREENSHOTS) if KEEP_SCREENSHOTS else tmp_path
            await screenshot(page, keep / PICTURE)
            kept_small(keep / PICTURE)
