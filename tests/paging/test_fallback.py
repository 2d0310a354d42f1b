"""No single provider: a method that fails brings the person's next rule forward, over the
wire. Twilio is the fake Twilio (emulator/twilio.py, its REST API and status callbacks), push
the fake ntfy, mail a real SMTP server (aiosmtpd on 127.0.0.1); time moves with the test
clock, and nothing but the failure moves the next rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CAROL, Warroom
from tests.helpers.mail import Mailbox
from tests.paging.conftest import Phones, phone_paging
from tests.paging.scenario import declare_sev1, notifications

PHONE = "+15555550123"
TOPIC = "carol-7f3a9c"
ADDRESS = "carol@example.com"
PUBLIC_URL = "https://warroom.example.com"
CONTACTS = {
    "people": {
        CAROL: {
            "contacts": {
                "sms": {"sms": PHONE},
                "call": {"voice": PHONE},
                "push": {"ntfy": TOPIC},
                "mail": {"email": ADDRESS},
            },
            "rules": [
                {"after": "0s", "notify": ["sms"]},
                {"after": "10m", "notify": ["push", "mail"]},
                {"after": "20m", "notify": ["call"]},
            ],
        }
    }
}


@pytest.fixture
def warroom_settings(
    database_url: str,
    tmp_path: Path,
    phones: Phones,
    mailbox: tuple[Mailbox, int],
) -> dict[str, object]:
    return phone_paging(database_url, tmp_path, phones, CONTACTS, mailbox=mailbox)


def said(channel_messages: list[str]) -> list[str]:
    return [text for text in channel_messages if "instead of at its offset" in text]


async def test_twilio_answering_500_sends_push_and_mail_at_once_and_says_so(
    warroom: Warroom, phones: Phones, mailbox: tuple[Mailbox, int]
) -> None:
    """Twilio down for ten minutes during a page: the person is reached by push and mail
    as the first SMS fails, not ten minutes later; the channel says it once."""
    twilio, ntfy = phones
    twilio.fail(500, times=1000)
    channel = await declare_sev1(warroom)
    await warroom.run_jobs()
    assert twilio.messages == []
    assert len(ntfy.phone(TOPIC)) == 1
    assert [m["To"] for m in mailbox[0].messages] == [ADDRESS]
    texts = [m.text for m in channel.messages]
    assert said(texts) == [
        f":rotating_light: SMS (sms) to <@{CAROL}> failed: Twilio answered HTTP 500. "
        "Their rule 2 (email, push) fires now instead of at its offset."
    ]
    for wait in (5, 15, 45):  # the SMS tried again, then given up: nothing said twice
        await warroom.advance(seconds=wait)
    assert len(said([m.text for m in channel.messages])) == 1
    states = {n.method: n.state for n in await notifications(warroom)}
    assert states == {"sms": "failed", "ntfy": "sent", "email": "sent", "voice": "pending"}
    await warroom.advance(minutes=19)  # the call keeps its own offset from the page's start
    assert twilio.phone(PHONE).calls == []
    assert PHONE not in warroom.slack.transcript(channel.id)
    assert ADDRESS not in warroom.slack.transcript(channel.id)


@pytest.mark.parametrize("status", ["undelivered", "failed"])
async def test_an_sms_twilio_reports_not_delivered_brings_the_next_rule_forward(
    warroom: Warroom,
    phones: Phones,
    mailbox: tuple[Mailbox, int],
    status: str,
) -> None:
    twilio, ntfy = phones
    channel = await declare_sev1(warroom)
    (sms,) = twilio.messages
    assert ntfy.phone(TOPIC) == []
    assert await twilio.deliver(sms, status) == 200
    await warroom.run_jobs()
    assert len(ntfy.phone(TOPIC)) == 1 and len(mailbox[0].messages) == 1
    assert said([m.text for m in channel.messages]) == [
        f":rotating_light: SMS (sms) to <@{CAROL}> failed: the carrier could not reach the "
        "phone: off, out of coverage or roaming (error 30003). Their rule 2 (email, push) fires "
        "now instead of at its offset."
    ]
    assert await twilio.deliver(sms, status) == 200  # Twilio retries its callback: once
    await warroom.run_jobs()
    assert len(ntfy.phone(TOPIC)) == 1
    assert len(said([m.text for m in channel.messages])) == 1


async def test_a_delivered_sms_leaves_the_next_rule_at_its_offset(
    warroom: Warroom, phones: Phones
) -> None:
    twilio, ntfy = phones
    await declare_sev1(warroom)
    (sms,) = twilio.messages
    await twilio.deliver(sms)
    await warroom.advance(minutes=9, seconds=59)
    assert ntfy.phone(TOPIC) == []
    await warroom.advance(seconds=1)
    assert len(ntfy.phone(TOPIC)) == 1


async def test_a_call_not_answered_brings_the_next_rule_forward(
    warroom: Warroom, phones: Phones, tmp_path: Path
) -> None:
    """The call is rule 3 here: push and mail (rule 2) went at 10 minutes; unanswered, the
    call has no rule after it, and nothing more is said."""
    twilio, ntfy = phones
    channel = await declare_sev1(warroom)
    await twilio.deliver(twilio.messages[0])
    await warroom.advance(minutes=20)
    (call,) = twilio.phone(PHONE).calls
    assert await twilio.hang_up(call, "no-answer") == 200
    await warroom.run_jobs()
    assert said([m.text for m in channel.messages]) == []
    assert len(ntfy.phone(TOPIC)) == 1
