"""Not delivered within WARROOM_PAGING_DELIVERY_WAIT, and carriers' error codes: an SMS or
a call Twilio took but never reported delivered or answered brings the person's next rule
forward when the wait runs out; a status callback whose ErrorCode says the number itself will
not work (30005 unknown, 30006 landline, 21610 unsubscribed) also tells Carol and her
schedule's owner. Twilio is the fake Twilio (emulator/twilio.py: its REST API and signed
status callbacks), push the fake ntfy; time moves with the test clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ALICE, CAROL, Warroom
from tests.helpers.incidents import command
from tests.helpers.metrics import scrape, value
from tests.paging.conftest import Phones, owned_schedules, phone_paging, trouble
from tests.paging.scenario import (
    declare_sev1,
    notifications,
)

PHONE = "+15555550123"
TOPIC = "carol-7f3a9c"
PUBLIC_URL = "https://warroom.example.com"
CONTACTS = {
    "people": {
        CAROL: {
            "contacts": {"sms": {"sms": PHONE}, "call": {"voice": PHONE}, "push": {"ntfy": TOPIC}},
            "rules": [
                {"after": "0s", "notify": ["sms"]},
                {"after": "10m", "notify": ["push"]},
                {"after": "20m", "notify": ["call"]},
            ],
        }
    }
}


@pytest.fixture
def warroom_settings(database_url: str, tmp_path: Path, phones: Phones) -> dict[str, object]:
    return phone_paging(database_url, tmp_path, phones, CONTACTS, schedules_file=owned_schedules())


def said(warroom: Warroom, channel_id: str) -> list[str]:
    texts = [m.text for m in warroom.slack.channels[channel_id].messages]
    return [text for text in texts if "instead of at its offset" in text]


async def test_an_sms_never_reported_delivered_brings_the_push_forward_after_two_minutes(
    warroom: Warroom, phones: Phones
) -> None:
    twilio, ntfy = phones
    channel = await declare_sev1(warroom)
    assert len(twilio.phone(PHONE).messages) == 1  # sent; Twilio reports nothing
    await warroom.advance(minutes=1, seconds=59)
    assert ntfy.phone(TOPIC) == [] and said(warroom, channel.id) == []
    await warroom.advance(seconds=1)
    assert len(ntfy.phone(TOPIC)) == 1  # at 2 minutes, not at 10
    assert said(warroom, channel.id) == [
        f":rotating_light: SMS (sms) to <@{CAROL}> not confirmed in time: Twilio did not "
        "report it delivered within 2 min. Their rule 2 (push) fires now instead of at its "
        "offset."
    ]
    await warroom.advance(minutes=10)
    assert len(ntfy.phone(TOPIC)) == 1 and len(said(warroom, channel.id)) == 1
    assert twilio.phone(PHONE).calls == []  # the call keeps its own offset (20 minutes)
    assert trouble(warroom, CAROL) == []  # a late report is no bad number
    assert PHONE not in warroom.slack.transcript(channel.id)
    samples = await scrape(warroom)
    counted = "warroom_notifications_total"
    assert value(samples, counted, provider="twilio", method="sms", outcome="unconfirmed") == 1


async def test_an_sms_delivered_in_time_leaves_the_next_rule_at_its_offset(
    warroom: Warroom, phones: Phones
) -> None:
    twilio, ntfy = phones
    channel = await declare_sev1(warroom)
    (sms,) = twilio.messages
    await warroom.advance(seconds=40)
    assert await twilio.deliver(sms) == 200
    await warroom.advance(minutes=9, seconds=19)
    assert ntfy.phone(TOPIC) == [] and said(warroom, channel.id) == []
    await warroom.advance(seconds=1)
    assert len(ntfy.phone(TOPIC)) == 1 and said(warroom, channel.id) == []


async def test_an_acknowledged_page_brings_nothing_forward(
    warroom: Warroom, phones: Phones
) -> None:
    _, ntfy = phones
    channel = await declare_sev1(warroom)
    await command(warroom, channel, "ack", user=CAROL)
    await warroom.advance(minutes=3)
    assert ntfy.phone(TOPIC) == [] and said(warroom, channel.id) == []


async def test_a_call_never_answered_nor_reported_brings_nothing_twice(
    warroom: Warroom, phones: Phones
) -> None:
    """The last rule's call, unreported: there is no rule after it to bring forward, and
    the rule before it is not sent again."""
    twilio, ntfy = phones
    channel = await declare_sev1(warroom)
    (sms,) = twilio.messages
    await twilio.deliver(sms)
    await warroom.advance(minutes=20)
    (call,) = twilio.phone(PHONE).calls
    await warroom.advance(minutes=3)
    assert len(ntfy.phone(TOPIC)) == 1 and said(warroom, channel.id) == []
    states = {n.method: n.state for n in await notifications(warroom)}
    assert states == {"sms": "delivered", "ntfy": "sent", "voice": "sent"}
    assert call.status == "queued"


@pytest.mark.parametrize(
    ("code", "words", "told"),
    [
        (30003, "the carrier could not reach the phone: off, out of coverage or roaming", False),
        (30005, "the carrier does not know the number: inactive or no longer in service", True),
        (30006, "the number is a landline or its carrier cannot be reached", True),
        (30007, "the carrier filtered the message as unwanted", False),
        (21610, "the person has unsubscribed from this number's SMS", True),
    ],
)
async def test_a_carrier_error_fires_the_next_rule_and_a_bad_number_is_told_once(
    warroom: Warroom,
    phones: Phones,
    code: int,
    words: str,
    told: bool,
) -> None:
    twilio, ntfy = phones
    channel = await declare_sev1(warroom)
    (sms,) = twilio.messages
    assert await twilio.deliver(sms, "undelivered", error_code=code) == 200
    await warroom.run_jobs()
    assert len(ntfy.phone(TOPIC)) == 1  # at once
    assert said(warroom, channel.id) == [
        f":rotating_light: SMS (sms) to <@{CAROL}> failed: {words} (error {code}). "
        "Their rule 2 (push) fires now instead of at its offset."
    ]
    if told:
        assert trouble(warroom, CAROL) == [
            f":warning: Your SMS contact *sms* does not work: {words} (error {code}). Pages "
            "will not reach you that way until it is fixed: change it in the contacts file or "
            "with `/oncall contact`, then check it with `/oncall contact test sms`."
        ]
        assert len(trouble(warroom, ALICE)) == 1
    else:
        assert trouble(warroom, CAROL) == [] and trouble(warroom, ALICE) == []
    assert await twilio.deliver(sms, "undelivered", error_code=code) == 200  # a retried callback
    await warroom.run_jobs()
    assert len(trouble(warroom, CAROL)) == int(told) and len(said(warroom, channel.id)) == 1
    await warroom.advance(minutes=3)  # a failed SMS waits for no report
    assert len(ntfy.phone(TOPIC)) == 1 and len(said(warroom, channel.id)) == 1
