"""What became of each notification, named as its provider names it, on the alert's page
(its history) and in the API (``/api/alerts/{id}``): Pushover's acknowledged, beside the
Slack DM warroom cancelled. The web view answers the test's own address: no public one, so
Pushover's callback is sent there by the test, as Pushover would send it to a public one."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator import Channel, FakeNtfy, FakePushover, SlackEmulator
from tests.alerting.test_alert_escalations import api_alert
from tests.alerting.test_alert_worklist import page
from tests.alerting.test_own_alerts import deliver, queue_lag, the_alert
from tests.alerting.test_pushover_alerts import pushover_settings
from tests.conftest import ALICE, CAROL_PUSHOVER_KEY, Warroom
from tests.helpers.web_view import browser, sign_in, visible_text, web_settings


@pytest.fixture
def warroom_settings(
    database_url: str,
    tmp_path: Path,
    slack: SlackEmulator,
    ops: Channel,
    ntfy: FakeNtfy,
    pushover: FakePushover,
) -> dict[str, object]:
    settings = pushover_settings(database_url, tmp_path, ops, ntfy, pushover, public_url="")
    return settings | web_settings(slack)


async def test_each_notifications_state_is_shown_as_its_provider_names_it(
    warroom: Warroom, ops: Channel, pushover: FakePushover
) -> None:
    await deliver(warroom, queue_lag())
    (push,) = pushover.phone(CAROL_PUSHOVER_KEY)
    assert push.receipt is not None and push.callback is None
    await pushover.acknowledge(push.receipt)
    form = {"receipt": push.receipt, "acknowledged": "1", "acknowledged_by": CAROL_PUSHOVER_KEY}
    assert await pushover.call_back(f"{warroom.url}/pushover/receipt", form) == 200
    await warroom.run_jobs()
    alert_id = (await the_alert(warroom)).id
    assert alert_id is not None

    detail = await api_alert(warroom, alert_id)
    (paged,) = detail["pages"]
    said = [(n["method"], n["state"], n["reported"]) for n in paged["notifications"]]
    assert said == [("pushover", "answered", "acknowledged"), ("slack", "cancelled", None)]
    async with browser() as alice:
        await sign_in(alice, warroom, ALICE)
        status, html = await page(alice, f"{warroom.url}/alerts/{alert_id}")
    assert status == 200
    history = " ".join(visible_text(html.replace("<", " <")).split()).split("History", 1)[1]
    assert "Notification to ring Carol Tanaka Pushover push pushover acknowledged" in history
