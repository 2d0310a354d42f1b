"""An alert paged through Pushover, over the wire: Alertmanager's webhook to a running
warroom, the fake Pushover (what Carol's phone shows, her tap on Acknowledge and its
callback), the Slack emulator (the alert's message, her Slack DM rule)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from emulator import Channel, FakeNtfy, FakePushover
from emulator.pushover import new_key
from tests.alerting.test_own_alerts import (
    PUBLIC_URL,
    alert_settings,
    deliver,
    only_message,
    press,
    queue_lag,
    the_alert,
)
from tests.conftest import ALICE, CAROL, CAROL_PUSHOVER_KEY, Warroom, WarroomFactory
from tests.helpers.web_view import API_TOKEN
from tests.paging.scenario import PUSHOVER_CONTACTS, notifications, person_pages


def pushover_settings(
    database_url: str,
    tmp_path: Path,
    ops: Channel,
    ntfy: FakeNtfy,
    pushover: FakePushover,
    token: str | None = None,
    public_url: str = PUBLIC_URL,
) -> dict[str, object]:
    settings = alert_settings(
        database_url,
        tmp_path,
        ops,
        ntfy,
        PUSHOVER_CONTACTS,
        WARROOM_PUSHOVER_TOKEN=token or pushover.token,
        WARROOM_PUSHOVER_API_URL=pushover.root,
    )
    return settings | {"web__api_token": API_TOKEN, "web__public_url": public_url}


@pytest.fixture
def warroom_settings(
    database_url: str, tmp_path: Path, ops: Channel, ntfy: FakeNtfy, pushover: FakePushover
) -> dict[str, object]:
    return pushover_settings(database_url, tmp_path, ops, ntfy, pushover)


@pytest.fixture
def reached(warroom: Warroom, pushover: FakePushover) -> FakePushover:
    """The fake Pushover, its callbacks reaching the running bot."""
    pushover.reach = (PUBLIC_URL, warroom.url)
    return pushover


async def test_a_high_urgency_alert_rings_until_carol_acknowledges_it_on_her_phone(
    warroom: Warroom, ops: Channel, reached: FakePushover
) -> None:
    await deliver(warroom, queue_lag())

    (push,) = reached.phone(CAROL_PUSHOVER_KEY)
    assert (push.priority, push.retry, push.expire) == (2, 60, 10800)
    assert push.title == "SEV3 Alert: QueueLag is firing"
    assert push.callback == f"{PUBLIC_URL}/pushover/receipt"
    assert push.url is not None and push.url.startswith(f"{PUBLIC_URL}/ack/")
    assert push.receipt is not None

    assert await reached.acknowledge(push.receipt) == 200
    await warroom.run_jobs()
    message = only_message(ops)
    assert re.search(rf"\*Acknowledged\* by <@{CAROL}> \(pushover\)", message.text)
    (page,) = await person_pages(warroom)
    assert (page.acknowledged_by, page.acknowledged_via) == (CAROL, "pushover")
    (rung, dm) = await notifications(warroom)
    assert (rung.state, rung.reported, dm.state) == ("answered", "acknowledged", "cancelled")
    await warroom.advance(minutes=10)  # her 2-minute Slack DM never comes
    assert warroom.slack.direct_messages(CAROL) == []


async def test_acknowledged_in_slack_the_phone_stops_ringing(
    warroom: Warroom, ops: Channel, reached: FakePushover
) -> None:
    await deliver(warroom, queue_lag())
    (push,) = reached.phone(CAROL_PUSHOVER_KEY)
    assert not push.cancelled

    await press(warroom, ops, "acknowledge_alert", ALICE)
    await warroom.run_jobs()
    assert push.cancelled  # its receipt's cancel.json, with the application's token
    assert reached.refused == []


async def test_a_forged_callback_for_a_receipt_not_acknowledged_changes_nothing(
    warroom: Warroom, ops: Channel, reached: FakePushover
) -> None:
    await deliver(warroom, queue_lag())
    (push,) = reached.phone(CAROL_PUSHOVER_KEY)
    assert push.receipt is not None
    forged = {"receipt": push.receipt, "acknowledged": "1", "acknowledged_by": CAROL_PUSHOVER_KEY}

    assert await reached.call_back(f"{PUBLIC_URL}/pushover/receipt", forged) == 200
    await warroom.run_jobs()
    assert (await the_alert(warroom)).state == "triggered"
    (rung, dm) = await notifications(warroom)
    assert (rung.state, dm.state) == ("sent", "pending")
    await warroom.advance(minutes=2)  # still paged: her Slack DM comes
    assert len(warroom.slack.direct_messages(CAROL)) == 1


async def test_a_callback_for_a_receipt_warroom_never_sent_is_404(
    warroom: Warroom, ops: Channel, reached: FakePushover
) -> None:
    await deliver(warroom, queue_lag())
    url = f"{PUBLIC_URL}/pushover/receipt"
    assert await reached.call_back(url, {"receipt": new_key(), "acknowledged": "1"}) == 404
    assert await reached.call_back(url, {"receipt": "../../etc", "acknowledged": "1"}) == 404
    assert await reached.call_back(url, {"acknowledged": "1"}) == 400
    assert (await the_alert(warroom)).state == "triggered"
    (rung, dm) = await notifications(warroom)
    assert (rung.state, dm.state) == ("sent", "pending")


async def test_a_token_pushover_refuses_falls_to_her_next_rule_at_once(
    database_url: str,
    tmp_path: Path,
    ops: Channel,
    ntfy: FakeNtfy,
    pushover: FakePushover,
    warroom_with: WarroomFactory,
) -> None:
    settings: dict[str, Any] = pushover_settings(
        database_url, tmp_path, ops, ntfy, pushover, token=new_key()
    )
    warroom = await warroom_with(**settings)
    await deliver(warroom, queue_lag())

    assert pushover.sent == []
    ((status, said),) = pushover.refused
    assert (status, said["status"], said["errors"]) == (400, 0, ["application token is invalid"])
    (rung, dm) = await notifications(warroom)
    assert (rung.state, dm.state) == ("failed", "sent")
    assert rung.detail == "Pushover answered HTTP 400: application token is invalid"
    # Not 2 minutes later: now.
    assert len(warroom.slack.direct_messages(CAROL)) == 1


async def test_an_acknowledgement_whose_callback_was_lost_is_read_once_it_expires(
    warroom: Warroom, ops: Channel, pushover: FakePushover
) -> None:
    await deliver(warroom, queue_lag())
    (push,) = pushover.phone(CAROL_PUSHOVER_KEY)
    assert push.receipt is not None
    await pushover.acknowledge(push.receipt, call_back=False)
    await warroom.advance(hours=3)
    assert (await the_alert(warroom)).state == "triggered"

    await warroom.advance(minutes=1)  # its repeats expired a minute ago: the receipt is read
    group = await the_alert(warroom)
    assert (group.state, group.acknowledged_by, group.acknowledged_via) == (
        "acknowledged",
        CAROL,
        "pushover",
    )


async def test_a_push_nobody_acknowledged_is_kept_as_expired(
    warroom: Warroom, ops: Channel, pushover: FakePushover
) -> None:
    await deliver(warroom, queue_lag())
    (push,) = pushover.phone(CAROL_PUSHOVER_KEY)
    assert push.receipt is not None
    pushover.lapse(push.receipt)
    await warroom.advance(hours=3, minutes=1)
    rung = (await notifications(warroom))[0]
    assert (rung.method, rung.state, rung.reported) == ("pushover", "sent", "expired")
    assert (await the_alert(warroom)).state == "triggered"
