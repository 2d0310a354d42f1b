"""Push notifications through ntfy and acknowledgement links, over the wire: the fake ntfy
(emulator/ntfy.py) follows ntfy's documented JSON publishing and refuses what it does not
allow; Carol's phone is what the fake keeps for her topic; her tap on "Acknowledge" is the
request the ntfy app makes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.flows.postmortem.posting import write_draft
from emulator import FakeNtfy
from tests.conftest import CAROL, Clock, Warroom
from tests.paging.scenario import (
    NOW,
    declare_sev1,
    entries,
    notifications,
    paging_settings,
    person_pages,
)

TOPIC = "carol-7f3a9c"
TOKEN = "tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2"
PUBLIC_URL = "https://warroom.example.com"
CONTACTS = {
    "people": {
        CAROL: {
            "contacts": {"push": {"ntfy": TOPIC}},
            "rules": [
                {"after": "0s", "notify": ["slack", "push"]},
                {"after": "2m", "notify": ["slack"]},
            ],
        }
    }
}


@pytest.fixture
async def ntfy() -> AsyncIterator[FakeNtfy]:
    async with FakeNtfy(token=TOKEN) as fake:
        yield fake


@pytest.fixture
def warroom_settings(tmp_path: Path, ntfy: FakeNtfy) -> dict[str, object]:
    settings = paging_settings(
        tmp_path,
        CONTACTS,
        WARROOM_NTFY_URL=ntfy.root,
        WARROOM_NTFY_TOKEN=TOKEN,
        WARROOM_PUBLIC_URL=PUBLIC_URL,
    )
    return {
        "clock": Clock(NOW),
        **settings,
    }


async def test_carols_phone_gets_the_push_at_once_and_her_tap_acknowledges(
    warroom: Warroom, ntfy: FakeNtfy
) -> None:
    channel = await declare_sev1(warroom)

    (push,) = ntfy.phone(TOPIC)
    assert push.title == "INC-1 SEV1 Checkout API returns 500s"
    assert push.message.startswith("Paged by escalation policy primary, level 1.")
    assert push.priority == 5  # SEV1: rings through Do Not Disturb
    assert push.click == f"{PUBLIC_URL}/incidents/INC-1"
    button = push.action("Acknowledge")
    assert (button["action"], button["method"]) == ("http", "POST")
    assert button["url"].startswith(f"{PUBLIC_URL}/ack/")
    assert len(warroom.slack.direct_messages(CAROL)) == 1  # Slack and push at once

    reach = (PUBLIC_URL, warroom.url)
    assert await ntfy.tap(push, "Acknowledge", reach=reach) == 200
    await warroom.run_jobs()

    await warroom.advance(minutes=30)
    assert len(warroom.slack.direct_messages(CAROL)) == 1  # the 2-minute rule never fired
    assert len(ntfy.phone(TOPIC)) == 1
    (page,) = await person_pages(warroom)
    assert (page.state, page.acknowledged_via) == ("acknowledged", "ntfy")
    assert [n.state for n in await notifications(warroom)] == ["sent", "sent", "cancelled"]
    assert any("acknowledged" in m.text.lower() for m in channel.messages)
    draft = (await write_draft(warroom.services, 1)).markdown
    assert "night \\(on call: @Carol Tanaka\\) from the push notification (Carol" in draft
    # The same link again: used, the same answer as a link that never was.
    assert await ntfy.tap(push, "Acknowledge", reach=reach) == 404


async def test_the_link_shows_a_button_and_only_a_post_acknowledges(
    warroom: Warroom, ntfy: FakeNtfy
) -> None:
    await declare_sev1(warroom)
    (push,) = ntfy.phone(TOPIC)
    link = push.action("Acknowledge")["url"].replace(PUBLIC_URL, warroom.url)
    async with aiohttp.ClientSession() as browser:
        async with browser.get(link) as shown:  # a mail client's link scanner does this
            page = await shown.text()
            assert shown.status == 200 and "<button" in page and "INC-1" in page
            assert shown.headers["Referrer-Policy"] == "no-referrer"
        (open_page,) = await person_pages(warroom)
        assert open_page.state == "open"
        async with browser.get(f"{warroom.url}/ack/not-a-token") as wrong:
            assert wrong.status == 404 and "No such link" in await wrong.text()
        async with browser.post(link) as pressed:
            assert pressed.status == 200 and "Acknowledged" in await pressed.text()
        async with browser.post(link) as again:
            assert again.status == 404


async def test_an_ntfy_server_down_is_said_and_the_next_rule_fires_at_once(
    warroom: Warroom, ntfy: FakeNtfy
) -> None:
    ntfy.fail(503, times=4)
    channel = await declare_sev1(warroom)
    # ntfy down: the 2-minute rule does not wait for its offset (bot/flows/paging/fallback.py).
    assert len(warroom.slack.direct_messages(CAROL)) == 2
    for wait in (5, 15, 45):  # retried 5 s, 15 s and 45 s later
        await warroom.advance(seconds=wait)
    assert ntfy.phone(TOPIC) == []
    said = [m.text for m in channel.messages if "Could not reach" in m.text]
    assert said == [
        f":warning: Could not reach <@{CAROL}> by push (push): ntfy answered HTTP 503: "
        "injected failure, after 4 attempts. Their next notification rule still fires."
    ]
    await warroom.advance(minutes=2)
    assert len(warroom.slack.direct_messages(CAROL)) == 2  # the 2-minute rule fired once
    assert [e["outcome"] for e in await entries(warroom, "notification")] == [
        "sent",
        "sent",
        "failed",
    ]


async def test_a_wrong_ntfy_token_is_not_retried(warroom: Warroom, ntfy: FakeNtfy) -> None:
    ntfy.token = "tk_another"
    channel = await declare_sev1(warroom)
    said = [m.text for m in channel.messages if "Could not reach" in m.text]
    assert len(said) == 1 and "HTTP 401: unauthorized" in said[0]
    assert "after" not in said[0].split("unauthorized")[1].split(".")[0]
