"""SMS and calls through Twilio, over the wire: the fake Twilio (emulator/twilio.py) follows
Twilio's REST API (form fields, Basic auth, documented error bodies) and sends warroom what
Twilio would (status callbacks, a call's keypress, an SMS reply), signed as Twilio signs.
Slack is the emulator, push the fake ntfy; time moves with the test clock."""

from __future__ import annotations

import logging
from pathlib import Path

import aiohttp
import pytest

from bot.config import Secret
from bot.flows.postmortem.posting import write_draft
from emulator import FakeNtfy, FakeTwilio
from emulator.twilio import twilio_signature
from tests.conftest import CAROL, Clock, Warroom
from tests.helpers.alerts import TOKEN, alert, alertmanager, post_alert, routes
from tests.helpers.incidents import command, open_incident
from tests.paging.scenario import (
    NOW,
    declare_sev1,
    entries,
    notifications,
    paging_settings,
    person_pages,
    phone_environ,
)

PHONE = "+15555550123"
TOPIC = "carol-7f3a9c"
PUBLIC_URL = "https://warroom.example.com"
CONTACTS = {
    "people": {
        CAROL: {
            "contacts": {"push": {"ntfy": TOPIC}, "sms": {"sms": PHONE}, "call": {"voice": PHONE}},
            "rules": [
                {"after": "0s", "notify": ["slack", "push"]},
                {"after": "2m", "notify": ["sms"]},
                {"after": "5m", "notify": ["call"]},
            ],
        }
    }
}


@pytest.fixture
def warroom_settings(tmp_path: Path, phones: tuple[FakeTwilio, FakeNtfy]) -> dict[str, object]:
    twilio, ntfy = phones
    settings = paging_settings(
        tmp_path,
        CONTACTS,
        **phone_environ(twilio, ntfy, PUBLIC_URL),
    )

    async def ready(running: Warroom) -> None:
        twilio.reach = (PUBLIC_URL, running.url)

    return {
        "clock": Clock(NOW),
        "alerting__token": Secret(TOKEN),
        "alerting__routes": routes(
            {"routes": [], "default": {"action": "open", "severity": "SEV1"}}
        ),
        **settings,
        "ready": ready,
    }


async def sent_anything(warroom: Warroom, twilio: FakeTwilio, ntfy: FakeNtfy) -> tuple[int, ...]:
    return (
        len(warroom.slack.direct_messages(CAROL)),
        len(ntfy.phone(TOPIC)),
        len(twilio.phone(PHONE).messages),
        len(twilio.phone(PHONE).calls),
    )


async def test_slack_and_push_at_once_sms_at_2_minutes_a_call_at_5_and_a_keypress_acks(
    warroom: Warroom, phones: tuple[FakeTwilio, FakeNtfy]
) -> None:
    twilio, ntfy = phones
    channel = await declare_sev1(warroom)
    assert await sent_anything(warroom, twilio, ntfy) == (1, 1, 0, 0)

    await warroom.advance(minutes=1, seconds=59)
    assert await sent_anything(warroom, twilio, ntfy) == (1, 1, 0, 0)
    await warroom.advance(seconds=1)
    (sms,) = twilio.messages
    assert sms.body == (
        "INC-1 SEV1 Checkout API returns 500s. Paged by escalation policy primary, level 1. "
        "Reply 1 to acknowledge, 2 to escalate."
    )
    assert sms.status_callback == f"{PUBLIC_URL}/twilio/status"
    assert await twilio.deliver(sms) == 200

    await warroom.advance(minutes=3)
    (call,) = twilio.phone(PHONE).calls
    assert "Press 1 to acknowledge, 2 to escalate." in call.twiml
    assert call.events == ["initiated", "ringing", "answered", "completed"]
    assert await twilio.answer(call) == 200
    said = await twilio.press(call, "1")
    assert said == (
        "Acknowledged INC-1 SEV1 Checkout API returns 500s. Nothing more will be sent for it."
    )
    await warroom.run_jobs()

    await warroom.advance(minutes=60)
    assert await sent_anything(warroom, twilio, ntfy) == (1, 1, 1, 1)
    (page,) = await person_pages(warroom)
    assert (page.state, page.acknowledged_via) == ("acknowledged", "voice")
    assert [(n.method, n.state) for n in await notifications(warroom)] == [
        ("slack", "sent"),
        ("ntfy", "sent"),
        ("sms", "delivered"),
        ("voice", "answered"),
    ]
    outcomes = [(e["method"], e["outcome"]) for e in await entries(warroom, "notification")]
    assert outcomes == [
        ("slack", "sent"),
        ("ntfy", "sent"),
        ("sms", "sent"),
        ("sms", "delivered"),
        ("voice", "sent"),
        ("voice", "answered"),
    ]
    draft = (await write_draft(warroom.services, 1)).markdown
    # Said on the escalation's line and in its table, not as lines of their own.
    assert "_notification_" not in draft
    assert " — paged Carol Tanaka by Slack message, push, SMS, call\n" in draft
    assert "from the push notification" not in draft and "by keypress (Carol Tanaka)" in draft
    assert (
        "| Carol Tanaka: Slack message 2:00 AM sent, push 2:00 AM sent, SMS 2:02 AM delivered, "
        "call 2:05 AM answered, acknowledged by keypress 2:05 AM |"
    ) in draft
    assert PHONE not in draft and TOPIC not in draft
    assert PHONE not in "".join(m.text for m in channel.messages)


async def fire_sev1_alert(warroom: Warroom) -> None:
    """Alertmanager's webhook for a checkout outage, which the route opens as a SEV1."""
    one = alert("CheckoutErrors", "api-1", "2026-03-03T01:59:00Z")
    status, answer = await post_alert(warroom.url, "alertmanager", alertmanager("Checkout", [one]))
    assert status == 202, answer
    await warroom.run_jobs()


async def test_a_sev1_alert_reaches_her_by_her_rules_and_pressing_1_ends_it(
    warroom: Warroom, phones: tuple[FakeTwilio, FakeNtfy], caplog: pytest.LogCaptureFixture
) -> None:
    """From the alert's arrival: its incident's policy reaches the schedule's person on call.
    Her number and her push topic are in no log line above DEBUG, the channel nor the draft."""
    caplog.set_level(logging.DEBUG)
    twilio, ntfy = phones
    await fire_sev1_alert(warroom)
    (room,) = [c for c in warroom.slack.channels.values() if c.name.startswith("inc-")]
    assert await sent_anything(warroom, twilio, ntfy) == (1, 1, 0, 0)
    (push,) = ntfy.phone(TOPIC)
    assert push.title is not None and push.title.startswith("INC-1 SEV1 ")
    await warroom.advance(minutes=2)
    assert await sent_anything(warroom, twilio, ntfy) == (1, 1, 1, 0)
    await warroom.advance(minutes=3)
    (call,) = twilio.phone(PHONE).calls
    await twilio.answer(call)
    assert (await twilio.press(call, "1")).startswith("Acknowledged INC-1 SEV1 ")
    await warroom.advance(minutes=60)
    assert await sent_anything(warroom, twilio, ntfy) == (1, 1, 1, 1)
    (page,) = await person_pages(warroom)
    assert (page.state, page.acknowledged_via) == ("acknowledged", "voice")
    draft = (await write_draft(warroom.services, 1)).markdown
    assert "acknowledged by keypress 2:05 AM" in draft
    for said in (draft, warroom.slack.transcript(room.id), _logged_above_debug(caplog)):
        assert PHONE not in said and TOPIC not in said


def _logged_above_debug(caplog: pytest.LogCaptureFixture) -> str:
    """What warroom logged at INFO and above (the fakes' own lines are the phones' side)."""
    return "\n".join(
        record.getMessage()
        for record in caplog.records
        if record.levelno > logging.DEBUG and not record.name.startswith("emulator")
    )


@pytest.mark.parametrize(
    ("how", "via", "sent"),
    [
        ("ntfy", "from the push 2:00 AM", (1, 1, 0, 0)),
        ("slack", "in Slack 2:00 AM", (1, 1, 0, 0)),
        ("sms", "by SMS reply 2:02 AM", (1, 1, 2, 0)),  # the SMS, and the answer to the reply
    ],
)
async def test_a_sev1_alert_acknowledged_from_the_push_slack_or_an_sms_sends_nothing_more(
    warroom: Warroom,
    phones: tuple[FakeTwilio, FakeNtfy],
    how: str,
    via: str,
    sent: tuple[int, ...],
) -> None:
    twilio, ntfy = phones
    await fire_sev1_alert(warroom)
    (room,) = [c for c in warroom.slack.channels.values() if c.name.startswith("inc-")]
    if how == "ntfy":
        (push,) = ntfy.phone(TOPIC)
        assert await ntfy.tap(push, "Acknowledge", reach=(PUBLIC_URL, warroom.url)) == 200
    elif how == "slack":
        (message,) = [m for m in room.messages if "escalated to" in m.text]
        await warroom.slack.click_button(room.id, message.ts, "acknowledge_escalation", user=CAROL)
    else:
        await warroom.advance(minutes=2)
        assert (await twilio.reply(PHONE, "1"))[1] == (
            "Acknowledged INC-1 SEV1 Checkout is firing. Nothing more will be sent for it."
        )
    await warroom.run_jobs()
    await warroom.advance(minutes=60)
    assert await sent_anything(warroom, twilio, ntfy) == sent
    (page,) = await person_pages(warroom)
    assert (page.state, page.acknowledged_via) == ("acknowledged", how)
    assert {n.state for n in await notifications(warroom)} <= {"sent", "delivered", "cancelled"}
    draft = (await write_draft(warroom.services, 1)).markdown
    assert f"acknowledged {via} |" in draft


async def test_a_replayed_sms_reply_acts_once_not_on_her_next_page(
    warroom: Warroom, phones: tuple[FakeTwilio, FakeNtfy]
) -> None:
    """Twilio sends a webhook again when it got no answer, and anyone who captured a signed
    request can send it again: the same MessageSid acts once and is answered once (the
    second time with no message, so Twilio sends no second SMS)."""
    twilio, _ = phones
    await declare_sev1(warroom)
    await warroom.advance(minutes=2)
    _, reply = await twilio.reply(PHONE, "1", message_sid="SM" + "5" * 32)
    assert reply is not None and reply.startswith("Acknowledged INC-1 ")
    second = await open_incident(warroom, "Search is slow")
    await command(warroom, second, "sev 1")
    status, again = await twilio.reply(PHONE, "1", message_sid="SM" + "5" * 32)
    assert (status, again) == (200, None)
    assert [p.state for p in await person_pages(warroom)] == ["acknowledged", "open"]


async def test_a_notification_failed_before_the_war_room_existed_is_said_once_it_does(
    warroom: Warroom, phones: tuple[FakeTwilio, FakeNtfy]
) -> None:
    _, ntfy = phones
    warroom.slack.fail("conversations.create", status=500, times=50)
    ntfy.fail(503, times=4)
    await fire_sev1_alert(warroom)
    for wait in (5, 15, 45):  # the push retried 5 s, 15 s and 45 s later, then given up
        await warroom.advance(seconds=wait)
    assert [n.state for n in await notifications(warroom) if n.method == "ntfy"] == ["failed"]
    assert not [c for c in warroom.slack.channels.values() if c.name.startswith("inc-")]

    warroom.slack.recover("conversations.create")
    for _ in range(30):  # the war room's job tries again on its own time
        await warroom.advance(minutes=1)
        rooms = [c for c in warroom.slack.channels.values() if c.name.startswith("inc-")]
        if rooms:
            break
    (room,) = rooms
    said = [m.text for m in room.messages if "Could not reach" in m.text]
    assert said == [
        f":warning: Could not reach <@{CAROL}> by push (push): ntfy answered HTTP 503: "
        "injected failure, after 4 attempts. Their next notification rule still fires."
    ]
    await warroom.advance(minutes=30)  # said once, however often its jobs run
    assert len([m for m in room.messages if "Could not reach" in m.text]) == 1


async def test_an_sms_reply_acknowledges_and_says_which_incident(
    warroom: Warroom, phones: tuple[FakeTwilio, FakeNtfy]
) -> None:
    twilio, ntfy = phones
    await declare_sev1(warroom)
    await warroom.advance(minutes=2)
    status, reply = await twilio.reply(PHONE, " ACK ")
    assert status == 200
    assert reply == (
        "Acknowledged INC-1 SEV1 Checkout API returns 500s. Nothing more will be sent for it."
    )
    await warroom.advance(minutes=60)
    assert await sent_anything(warroom, twilio, ntfy) == (1, 1, 2, 0)  # the reply is the 2nd
    (page,) = await person_pages(warroom)
    assert page.acknowledged_via == "sms"
    status, reply = await twilio.reply(PHONE, "1")
    assert reply == "You have no open page right now."


async def test_a_reply_of_2_escalates_to_the_next_level_and_ends_her_page(
    warroom: Warroom, phones: tuple[FakeTwilio, FakeNtfy]
) -> None:
    twilio, _ = phones
    await declare_sev1(warroom)
    await warroom.advance(minutes=2)
    _, reply = await twilio.reply(PHONE, "2")
    # The policy has one level only: there is nothing to escalate to, and it says so.
    assert reply == "INC-1: every level of primary was escalated to."
    (page,) = await person_pages(warroom)
    assert page.state == "open"
    _, reply = await twilio.reply(PHONE, "what?")
    assert reply == "Reply 1 to acknowledge INC-1, 2 to escalate."


async def test_forged_and_unsigned_twilio_requests_are_refused_403(
    warroom: Warroom, phones: tuple[FakeTwilio, FakeNtfy]
) -> None:
    twilio, _ = phones
    await declare_sev1(warroom)
    await warroom.advance(minutes=2)
    form = {"MessageSid": "SM1", "From": PHONE, "To": twilio.numbers[0], "Body": "1"}
    async with aiohttp.ClientSession() as session:
        for headers in ({}, {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}):
            for path in ("/twilio/sms", "/twilio/voice", "/twilio/status"):
                async with session.post(warroom.url + path, data=form, headers=headers) as got:
                    assert got.status == 403, path
    (page,) = await person_pages(warroom)
    assert page.state == "open"  # nothing acknowledged


async def test_twilio_refusing_the_number_is_said_and_the_call_still_comes(
    warroom: Warroom, phones: tuple[FakeTwilio, FakeNtfy]
) -> None:
    twilio, _ = phones
    twilio.landlines.add(PHONE)
    channel = await declare_sev1(warroom)
    await warroom.advance(minutes=2)
    said = [m.text for m in channel.messages if "Could not reach" in m.text]
    assert said == [
        f":warning: Could not reach <@{CAROL}> by SMS (sms): Twilio says the number cannot "
        "receive SMS (error 21614). Their next notification rule still fires."
    ]
    await warroom.advance(minutes=3)
    assert len(twilio.phone(PHONE).calls) == 1


async def test_too_many_requests_waits_and_tries_again(
    warroom: Warroom, phones: tuple[FakeTwilio, FakeNtfy]
) -> None:
    twilio, _ = phones
    twilio.fail(429, retry_after=3)
    channel = await declare_sev1(warroom)
    await warroom.advance(minutes=2)
    assert twilio.messages == []
    assert twilio.refused[0]["code"] == 20429
    await warroom.advance(seconds=5)
    assert len(twilio.messages) == 1
    assert not [m for m in channel.messages if "Could not reach" in m.text]


async def test_a_call_not_answered_is_recorded_and_a_replayed_report_once(
    warroom: Warroom, phones: tuple[FakeTwilio, FakeNtfy]
) -> None:
    twilio, _ = phones
    await declare_sev1(warroom)
    await warroom.advance(minutes=5)
    (call,) = twilio.calls
    await twilio.hang_up(call, "no-answer")
    await twilio.hang_up(call, "no-answer")  # Twilio retries a callback: kept once
    outcomes = [
        e["outcome"] for e in await entries(warroom, "notification") if e["method"] == "voice"
    ]
    assert outcomes == ["sent", "no-answer"]


@pytest.mark.parametrize(
    ("path", "fields", "answer"),
    [
        ("/twilio/sms", {"Body": "1"}, (400, "From and MessageSid are required")),
        ("/twilio/voice", {"Digits": "1"}, (400, "CallSid is required")),
        ("/twilio/status", {"MessageSid": "SM1"}, (400, "a SID and a status are required")),
        # Signed, well formed, about nothing warroom sent: a status report on it is 404 (no
        # notification has its id); a keypress or an SMS is answered; nothing changes.
        (
            "/twilio/status",
            {"MessageSid": "SM404", "MessageStatus": "failed"},
            (404, "no notification has this id"),
        ),
        ("/twilio/voice", {"CallSid": "CA404", "Digits": "1"}, (200, None)),
        ("/twilio/sms", {"MessageSid": "SM9", "From": "+15555550999", "Body": "1"}, (200, None)),
    ],
)
async def test_signed_requests_missing_what_twilio_sends_are_answered_4xx_and_change_nothing(
    warroom: Warroom,
    phones: tuple[FakeTwilio, FakeNtfy],
    path: str,
    fields: dict[str, str],
    answer: tuple[int, str | None],
) -> None:
    twilio, _ = phones
    await declare_sev1(warroom)
    await warroom.advance(minutes=2)
    signature = twilio_signature(twilio.auth_token, PUBLIC_URL + path, fields)
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            warroom.url + path, data=fields, headers={"X-Twilio-Signature": signature}
        ) as got,
    ):
        status, text = got.status, await got.text()
    assert status == answer[0], text
    if answer[1] is not None:
        assert text == answer[1]
    (page,) = await person_pages(warroom)
    assert page.state == "open"
    assert [n.state for n in await notifications(warroom)] == ["sent", "sent", "sent", "pending"]
