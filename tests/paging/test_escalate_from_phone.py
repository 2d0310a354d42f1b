"""Escalating from a phone, end to end: a policy of three levels, Carol on call at level 1,
Bob at level 2 and Alice at level 3; Carol and Bob have a phone on the fake Twilio. Carol's
reply of ``esc`` to the SMS, or her pressing 2 in the call, moves the policy to level 2 now:
Bob is paged (his Slack DM and his SMS), Carol's own page ends (no call follows), and the
channel says who escalated, from where. A replayed keypress acts no more: level 3 is never
reached."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from emulator import Channel, FakeNtfy, FakeTwilio
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom
from tests.helpers.incidents import command
from tests.paging.scenario import NOW, declare_sev1, paging_settings, person_pages, phone_environ

CAROL_PHONE = "+15555550123"
BOB_PHONE = "+447700900123"
PUBLIC_URL = "https://warroom.example.com"
POLICIES = {
    "policies": {
        "primary": {
            "levels": [
                {"targets": [{"schedule": "night"}], "timeout": "30m"},
                {"targets": [{"user": BOB}], "timeout": "2h"},
                {"targets": [{"user": ALICE}]},
            ]
        },
    },
    "severities": {"SEV1": "primary"},
}
CONTACTS = {
    "people": {
        CAROL: {
            "contacts": {"sms": {"sms": CAROL_PHONE}, "call": {"voice": CAROL_PHONE}},
            "rules": [
                {"after": "0s", "notify": ["slack"]},
                {"after": "2m", "notify": ["sms"]},
                {"after": "5m", "notify": ["call"]},
            ],
        },
        BOB: {
            "contacts": {"sms": {"sms": BOB_PHONE}},
            "rules": [{"after": "0s", "notify": ["slack", "sms"]}],
        },
    }
}


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio() as fake:
        fake.sms_webhook = f"{PUBLIC_URL}/twilio/sms"
        yield fake


@pytest.fixture
async def warroom_settings(
    database_url: str, tmp_path: Path, twilio: FakeTwilio
) -> dict[str, object]:
    """On SQLite and on PostgreSQL: which of two identical answers acts is the database's."""
    async with FakeNtfy() as ntfy:  # named, as operators set it; nobody here has a topic
        environ = phone_environ(twilio, ntfy, PUBLIC_URL)
    settings = paging_settings(tmp_path, CONTACTS, POLICIES, **environ)

    async def ready(running: Warroom) -> None:
        twilio.reach = (PUBLIC_URL, running.url)

    return {
        "database_url": database_url,
        "clock": Clock(NOW),
        **settings,
        "ready": ready,
    }


def said_in(channel: Channel, words: str) -> list[str]:
    return [m.text for m in channel.messages if words in m.text]


async def bob_is_paged_and_carols_page_ends(
    warroom: Warroom, twilio: FakeTwilio, channel: Channel, how: str
) -> None:
    await warroom.run_jobs()
    assert len(warroom.slack.direct_messages(BOB)) == 1
    (bob_sms,) = twilio.phone(BOB_PHONE).messages
    assert bob_sms.startswith("INC-1 SEV1 Checkout API returns 500s. Paged by")
    (escalated,) = said_in(channel, "escalated to* *primary level 2* by")
    assert f"by <@{CAROL}>" in escalated
    assert f"escalated from their phone: {how} of level 1" in escalated
    assert f"<@{BOB}>" in escalated
    pages = {page.user_id: page.state for page in await person_pages(warroom)}
    assert pages == {CAROL: "escalated", BOB: "open"}
    await warroom.advance(minutes=60)  # past level 1's timeout: level 2 is not paged again
    assert len(twilio.phone(BOB_PHONE).messages) == 1
    assert CAROL_PHONE not in escalated and BOB_PHONE not in escalated


async def test_a_reply_of_esc_pages_level_2_now_and_the_channel_says_who_from_where(
    warroom: Warroom, twilio: FakeTwilio
) -> None:
    channel = await declare_sev1(warroom)
    await warroom.advance(minutes=2)
    assert twilio.phone(BOB_PHONE).messages == []
    status, reply = await twilio.reply(CAROL_PHONE, "esc")
    assert (status, reply) == (200, "Escalated INC-1 to the next level of primary.")
    await bob_is_paged_and_carols_page_ends(warroom, twilio, channel, "replied 2 to the SMS")
    assert twilio.phone(CAROL_PHONE).calls == []  # her page ended: the call at 5m never came


async def test_pressing_2_in_the_call_pages_level_2_now(
    warroom: Warroom, twilio: FakeTwilio
) -> None:
    channel = await declare_sev1(warroom)
    await warroom.advance(minutes=5)
    (call,) = twilio.phone(CAROL_PHONE).calls
    assert await twilio.answer(call) == 200
    said = await twilio.press(call, "2")
    assert said == "Escalated INC-1 to the next level of primary."
    await bob_is_paged_and_carols_page_ends(warroom, twilio, channel, "pressed 2 in the call")
    assert len(twilio.phone(CAROL_PHONE).calls) == 1  # no other call to her


async def test_a_replayed_keypress_answers_twilio_and_escalates_nothing_more(
    warroom: Warroom, twilio: FakeTwilio
) -> None:
    channel = await declare_sev1(warroom)
    await warroom.advance(minutes=5)
    (call,) = twilio.phone(CAROL_PHONE).calls
    assert await twilio.answer(call) == 200
    assert await twilio.press(call, "2") == "Escalated INC-1 to the next level of primary."
    # The same signed request again (a captured one replayed, or Twilio's retry): answered
    # 200 with TwiML (press checks both), and it acts no more.
    assert await twilio.press(call, "2") == "You have no open page right now."
    await bob_is_paged_and_carols_page_ends(warroom, twilio, channel, "pressed 2 in the call")
    await warroom.run_jobs()
    assert said_in(channel, "primary level 3") == []
    assert warroom.slack.direct_messages(ALICE) == []


async def test_the_same_keypress_arriving_twice_at_once_escalates_once(
    warroom: Warroom, twilio: FakeTwilio
) -> None:
    """Twilio's retry racing the first delivery, or a replay sent alongside it: both find her
    page open, and the call's id (claimed in the database) lets one of them act."""
    channel = await declare_sev1(warroom)
    await warroom.advance(minutes=5)
    (call,) = twilio.phone(CAROL_PHONE).calls
    assert await twilio.answer(call) == 200
    said = await asyncio.gather(*(twilio.press(call, "2") for _ in range(3)))
    assert sorted(said) == [
        "Escalated INC-1 to the next level of primary.",
        "You have no open page right now.",
        "You have no open page right now.",
    ]
    await bob_is_paged_and_carols_page_ends(warroom, twilio, channel, "pressed 2 in the call")
    assert said_in(channel, "primary level 3") == []
    assert warroom.slack.direct_messages(ALICE) == []


async def test_the_same_sms_reply_arriving_twice_at_once_escalates_once(
    warroom: Warroom, twilio: FakeTwilio
) -> None:
    channel = await declare_sev1(warroom)
    await warroom.advance(minutes=2)
    answers = await asyncio.gather(
        *(twilio.reply(CAROL_PHONE, "esc", message_sid="SM" + "0" * 32) for _ in range(3))
    )
    assert sorted(reply or "" for _, reply in answers) == [
        "",  # the same MessageSid again: answered once, by one SMS
        "",
        "Escalated INC-1 to the next level of primary.",
    ]
    await bob_is_paged_and_carols_page_ends(warroom, twilio, channel, "replied 2 to the SMS")
    assert said_in(channel, "primary level 3") == []


async def test_a_keypress_after_her_page_ended_escalates_nothing(
    warroom: Warroom, twilio: FakeTwilio
) -> None:
    channel = await declare_sev1(warroom)
    await warroom.advance(minutes=5)
    (call,) = twilio.phone(CAROL_PHONE).calls
    assert await twilio.answer(call) == 200
    await command(warroom, channel, "ack", user=CAROL)  # from Slack while the call rings
    assert await twilio.press(call, "2") == "You have no open page right now."
    await warroom.run_jobs()
    assert said_in(channel, "primary level 2") == []
    assert warroom.slack.direct_messages(BOB) == []
