"""An incident's page through Pushover, over the wire: a SEV1 pages Carol's phone at
emergency priority (repeated until acknowledged, a critical alert on iOS); her Acknowledge on
the phone, confirmed by Pushover's Receipts API, acknowledges the incident's escalation as
her, "from the Pushover notification", and the incident's record says what Pushover
reported."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from bot.clients.pushover import Message, send
from bot.config import Secret
from emulator import FakePushover
from tests.conftest import CAROL, CAROL_PUSHOVER_KEY, Clock, Warroom
from tests.paging.scenario import (
    NOW,
    PUSHOVER_CONTACTS,
    declare_sev1,
    entries,
    notifications,
    paging_settings,
    person_pages,
)

PUBLIC_URL = "https://warroom.example.com"


@pytest.fixture
def warroom_settings(tmp_path: Path, pushover: FakePushover) -> dict[str, object]:
    settings = paging_settings(
        tmp_path,
        PUSHOVER_CONTACTS,
        WARROOM_PUSHOVER_TOKEN=pushover.token,
        WARROOM_PUSHOVER_API_URL=pushover.root,
        WARROOM_PUBLIC_URL=PUBLIC_URL,
    )
    return {"clock": Clock(NOW), **settings}


async def test_a_sev1_rings_carols_phone_until_she_acknowledges_it_there(
    warroom: Warroom, pushover: FakePushover
) -> None:
    pushover.reach = (PUBLIC_URL, warroom.url)
    channel = await declare_sev1(warroom)

    (push,) = pushover.phone(CAROL_PUSHOVER_KEY)
    assert (push.priority, push.retry, push.expire) == (2, 60, 10800)
    assert push.title == "INC-1 SEV1 Checkout API returns 500s"
    assert push.message.startswith("Paged by escalation policy primary, level 1.")
    assert (push.url, push.url_title) == (f"{PUBLIC_URL}/incidents/INC-1", "Open in warroom")
    assert push.receipt is not None

    assert await pushover.acknowledge(push.receipt) == 200
    await warroom.run_jobs()
    (page,) = await person_pages(warroom)
    assert (page.state, page.acknowledged_by, page.acknowledged_via) == (
        "acknowledged",
        CAROL,
        "pushover",
    )
    assert any("acknowledged" in m.text.lower() for m in channel.messages)
    await warroom.advance(minutes=30)
    assert warroom.slack.direct_messages(CAROL) == []  # the 2-minute rule never fired
    assert [(n.state, n.reported) for n in await notifications(warroom)] == [
        ("answered", "acknowledged"),
        ("cancelled", None),
    ]
    sent = await entries(warroom, "notification")
    assert [(f["method"], f["outcome"]) for f in sent] == [("pushover", "sent")]


async def test_a_title_or_message_longer_than_pushover_takes_is_cut_not_refused(
    pushover: FakePushover,
) -> None:
    message = Message(
        user=CAROL_PUSHOVER_KEY,
        title="Checkout API returns 500s " * 20,
        message="Paged by escalation policy primary. " * 40,
        priority=2,
        url="https://warroom.example.com/incidents/" + "x" * 500,
        url_title="Open in warroom",
    )
    async with aiohttp.ClientSession() as http:
        receipt = await send(http, pushover.root, Secret(pushover.token), message)
    assert pushover.refused == []
    sent = pushover.with_receipt(receipt)
    assert (len(sent.title or ""), len(sent.message)) == (250, 1024)
    assert sent.url is None  # too long to be a link: left out, the page still goes
