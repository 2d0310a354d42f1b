"""An alert's episodes: a resolved alert that fires again is a new episode, paged afresh
(nobody has acknowledged, snoozed or escalated it yet), and the episode before stays
readable: who acknowledged and escalated it, when it resolved, on the alert's page and in
``/api/alerts/{id}``. Over the wire: Alertmanager's webhook to a running warroom, the Slack
emulator (the alert message's buttons), the fake ntfy (Carol's phone), the web view signed
in and the API with its token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from emulator import FakeNtfy, SlackEmulator
from tests.alerting.test_alert_escalations import api_alert
from tests.alerting.test_alert_worklist import PARIS, group_named, page, worklist_settings
from tests.alerting.test_own_alerts import TOPIC, deliver
from tests.conftest import ALICE, CAROL, Warroom
from tests.helpers.alerts import alert, alertmanager
from tests.helpers.incidents import settle
from tests.helpers.web_view import browser, sign_in, visible_text

FIRST_START = "2026-03-03T02:00:00Z"
FIRST_END = "2026-03-03T02:05:00Z"
SECOND_START = "2026-03-03T02:20:00Z"


@pytest.fixture
async def ntfy() -> AsyncIterator[FakeNtfy]:
    """ntfy, faked on 127.0.0.1: the pushes Carol's phone got."""
    async with FakeNtfy() as fake:
        yield fake


@pytest.fixture
def warroom_settings(
    slack: SlackEmulator, database_url: str, tmp_path: Path, ntfy: FakeNtfy
) -> dict[str, object]:
    """QueueLag's page route posting to #ops-alerts, Carol's push, the web view, the API."""
    return worklist_settings(slack, database_url, tmp_path, ntfy)


def queue_lag(starts: str, ends: str | None = None) -> dict[str, Any]:
    ended = {"ends_at": ends} if ends else {}
    return alertmanager("QueueLag", [alert("QueueLag", "worker-1", starts, **ended)])


async def press(warroom: Warroom, action: str, user: str, option: str | None = None) -> None:
    """``user`` presses the alert message's button (or picks ``option`` in its menu)."""
    ops = warroom.slack.channel_by_name("ops-alerts")
    assert ops is not None
    (message,) = [m for m in ops.messages if "QueueLag" in m.text and not m.is_reply]
    group = await group_named(warroom, "QueueLag")
    if option is not None:
        await warroom.slack.choose_in_message(
            ops.id, message.ts, action, user=user, option_text=option
        )
    else:
        await warroom.slack.click_button(
            ops.id, message.ts, action, user=user, value=str(group.id), block_id="alert"
        )
    await settle(warroom)


async def a_first_episode_then_a_second(warroom: Warroom, ntfy: FakeNtfy) -> int:
    """QueueLag fires at 02:00 (Carol's phone); Alice escalates it at 02:01 (Bob), Carol
    acknowledges it at 02:02, its source resolves it at 02:05; it fires again at 02:20.
    Its id."""
    await deliver(warroom, queue_lag(FIRST_START))
    assert len(ntfy.phone(TOPIC)) == 1
    await warroom.advance(minutes=1)
    await press(warroom, "escalate_alert", ALICE, option="Next level")
    await warroom.advance(minutes=1)
    await press(warroom, "acknowledge_alert", CAROL)
    await warroom.advance(minutes=3)
    await deliver(warroom, queue_lag(FIRST_START, FIRST_END))
    assert (await group_named(warroom, "QueueLag")).state == "resolved"
    await warroom.advance(minutes=15)
    await deliver(warroom, queue_lag(SECOND_START))
    group = await group_named(warroom, "QueueLag")
    assert group.id is not None
    return group.id


async def test_firing_again_once_resolved_is_a_fresh_episode_and_the_last_stays_readable(
    warroom: Warroom, ntfy: FakeNtfy
) -> None:
    alert_id = await a_first_episode_then_a_second(warroom, ntfy)

    # Paged afresh: Carol's phone again, nobody's acknowledgement, snooze or escalation.
    assert len(ntfy.phone(TOPIC)) == 2
    now = await api_alert(warroom, alert_id)
    assert now["state"] == "triggered"
    assert now["fired_count"] == 1
    assert (now["acknowledged_at"], now["acknowledged_by"]) == (None, None)
    assert (now["snoozed_until"], now["snoozed_by"]) == (None, None)
    assert (now["escalated_at"], now["escalated_by"], now["escalated_level"]) == (None, None, None)
    assert (now["resolved_at"], now["resolved_by"]) == (None, None)
    assert now["escalations"] == []

    # The first episode as it ended: Alice's escalation, Carol's acknowledgement, its source's
    # resolution at 02:05 (the notification's arrival).
    (before,) = now["past_episodes"]
    assert before["episode"] == 1
    assert before["state"] == "resolved"
    assert before["acknowledged_by"]["id"] == CAROL
    assert before["acknowledged_at"].startswith("2026-03-03T02:02:00")
    assert before["escalated_by"]["id"] == ALICE
    assert before["escalated_at"].startswith("2026-03-03T02:01:00")
    assert before["resolved_at"].startswith("2026-03-03T02:05:00")
    assert before["resolved_by"] is None
    assert before["triggered_at"].startswith("2026-03-03T02:00:00")


async def test_the_alert_s_page_lists_its_earlier_episodes(
    warroom: Warroom, ntfy: FakeNtfy
) -> None:
    alert_id = await a_first_episode_then_a_second(warroom, ntfy)
    async with browser() as alice:
        await sign_in(alice, warroom, ALICE)
        status, html = await page(alice, f"{warroom.url}/alerts/{alert_id}{PARIS}")
    assert status == 200
    text = " ".join(visible_text(html.replace("<", " <")).split())
    earlier = text.split("Earlier episodes", 1)[1]
    row = r"#1 .*QueueLag.* 03:00:00 CET .*by (carol tanaka|U0CAROL) at .*03:02:00 CET"
    assert re.search(row, earlier, re.I), earlier
    assert re.search(r"by (alice moreau|U0ALICE) at .*03:01:00 CET", earlier, re.I), earlier
    assert re.search(r"by its source at .*03:05:00 CET", earlier, re.I), earlier
    # The header is the new episode's: triggered, nobody's acknowledgement.
    assert re.search(r"\btriggered\b", text.split("Earlier episodes", 1)[0])
