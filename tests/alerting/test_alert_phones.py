"""An alert's page (no incident) by SMS and by call, over the wire: the fake Twilio and the
fake Vonage (emulator/) take the SMS and the calls and send warroom what the vendors would,
signed as they sign (Twilio's status callback, an SMS reply and a keypress; Vonage's message
status, call events and DTMF input). Slack is the emulator: the alert's one message in
#ops-alerts; time moves with the test clock."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import Secret
from emulator import Channel, FakeTwilio, FakeVonage, SlackEmulator
from emulator.vonage import application_key
from tests.alerting.test_own_alerts import (
    NOW,
    POLICIES,
    buttons,
    deliver,
    only_message,
    page_route,
    queue_lag,
    the_alert,
)
from tests.conftest import BOB, CAROL, Clock, Warroom, running_warroom
from tests.helpers.alerts import TOKEN, incidents_of, routes
from tests.helpers.incidents import settle
from tests.paging.scenario import SCHEDULES, notifications, paging_settings, person_pages

PHONE = "+15555550123"
PUBLIC_URL = "https://warroom.example.com"
SMS_TEXT = (
    "SEV3 Alert: QueueLag is firing (high urgency). Paged by escalation policy queues (route "
    "queues). "
    "No incident is open for it. Reply 1 to acknowledge, 2 to escalate, 3 to snooze 1h (or 3 "
    "and a length: 3 30m, 3 4h), 6 to resolve."
)
PROMPT = (
    "This is warroom. Alert, SEV3, high urgency: QueueLag is firing. Paged by escalation "
    "policy queues. "
    "No incident is open for it. Press 1 to acknowledge, 2 to escalate, 3 to snooze for 1 "
    "hour, 6 to resolve."
)
ACKNOWLEDGED = "Acknowledged the alert QueueLag is firing. Nothing more will be sent for it."
USAGE = (
    "Reply 1 to acknowledge, 2 to escalate, 3 to snooze 1h (or 3 and a length: 3 30m, 3 4h), "
    "6 to resolve."
)
SNOOZED = (
    "Snoozed the alert QueueLag is firing for 1h: nobody is paged for it until then. If it "
    "still fires then, it is paged again."
)
RESOLVED = "Resolved the alert QueueLag is firing. Nothing more will be sent for it."


def contacts(**provider: str) -> dict[str, Any]:
    """Carol: an SMS at once, a call at 5 minutes, a Slack DM at 10; Bob (the policy's
    second level, after 15 minutes unacknowledged): a Slack DM."""
    return {
        "people": {
            CAROL: {
                "contacts": {
                    "sms": {"sms": PHONE, **provider},
                    "call": {"voice": PHONE, **provider},
                },
                "rules": [
                    {"after": "0s", "notify": ["sms"]},
                    {"after": "5m", "notify": ["call"]},
                    {"after": "10m", "notify": ["slack"]},
                ],
            },
            BOB: {"rules": [{"after": "0s", "notify": ["slack"]}]},
        }
    }


# The policy's first level waits 15 minutes for Carol's three rules before Bob.
SLOW_POLICY = {
    "policies": {
        "queues": {
            "levels": [
                {"timeout": "15m", "targets": [{"schedule": "night"}]},
                *POLICIES["policies"]["queues"]["levels"][1:],
            ]
        }
    }
}
Providers = tuple[FakeTwilio, FakeVonage, Path]


@pytest.fixture
async def ops(slack: SlackEmulator) -> Channel:
    return slack.create_channel("ops-alerts", creator=BOB, members=[slack.bot_user_id, BOB])


@pytest.fixture
async def providers(tmp_path: Path) -> AsyncIterator[Providers]:
    key_file, public_key = application_key(tmp_path)
    async with FakeTwilio() as twilio, FakeVonage(public_key=public_key) as vonage:
        twilio.sms_webhook = f"{PUBLIC_URL}/twilio/sms"
        vonage.status_url = f"{PUBLIC_URL}/vonage/status"
        vonage.inbound_url = f"{PUBLIC_URL}/vonage/inbound"
        yield twilio, vonage, key_file


async def serve(
    slack: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    ops: Channel,
    providers: Providers,
    people: dict[str, Any],
    routes_document: dict[str, Any] | None = None,
    **route: str,
) -> AsyncIterator[Warroom]:
    """Warroom paging Carol through ``providers`` as ``people`` say (``route``: what differs
    on the page route, e.g. its ``max_snooze``; ``routes_document``: other routes instead)."""
    twilio, vonage, key_file = providers
    document = routes_document or page_route(ops.id)
    document["routes"][0].update(route)
    settings = paging_settings(
        tmp_path,
        people,
        SLOW_POLICY,
        SCHEDULES,
        TWILIO_ACCOUNT_SID=twilio.account_sid,
        TWILIO_AUTH_TOKEN=twilio.auth_token,
        TWILIO_FROM=twilio.numbers[0],
        TWILIO_API_URL=twilio.root,
        WARROOM_PUBLIC_URL=PUBLIC_URL,
        WARROOM_VONAGE_APPLICATION_ID=vonage.application_id,
        WARROOM_VONAGE_PRIVATE_KEY_FILE=str(key_file),
        WARROOM_VONAGE_API_KEY=vonage.api_key,
        WARROOM_VONAGE_SIGNATURE_SECRET=vonage.signature_secret,
        WARROOM_VONAGE_FROM="+" + vonage.numbers[0],
        WARROOM_VONAGE_API_URL=vonage.root,
    )
    async with running_warroom(
        slack,
        database_url,
        Clock(NOW),
        alerting__token=Secret(TOKEN),
        alerting__routes=routes(document),
        **settings,
    ) as running:
        twilio.reach = vonage.reach = (PUBLIC_URL, running.url)
        yield running


@pytest.fixture
async def through_twilio(
    slack: SlackEmulator, database_url: str, tmp_path: Path, ops: Channel, providers: Providers
) -> AsyncIterator[Warroom]:
    async for running in serve(slack, database_url, tmp_path, ops, providers, contacts()):
        yield running


@pytest.fixture
async def through_vonage(
    slack: SlackEmulator, database_url: str, tmp_path: Path, ops: Channel, providers: Providers
) -> AsyncIterator[Warroom]:
    people = contacts(provider="vonage")
    async for running in serve(slack, database_url, tmp_path, ops, providers, people):
        yield running


async def nobody_else_paged(warroom: Warroom, twilio: FakeTwilio, vonage: FakeVonage) -> None:
    """Past the policy's next level: no more SMS, call or DM to Carol, nothing to Bob."""
    sent = (len(twilio.messages), len(twilio.calls), len(vonage.messages), len(vonage.calls))
    await warroom.advance(minutes=30)
    assert (len(twilio.messages), len(twilio.calls)) == sent[:2]
    assert (len(vonage.messages), len(vonage.calls)) == sent[2:]
    assert warroom.slack.direct_messages(CAROL) == []
    assert warroom.slack.direct_messages(BOB) == []


async def test_an_undelivered_sms_rings_at_once_and_a_keypress_acknowledges_the_alert(
    through_twilio: Warroom, ops: Channel, providers: Providers
) -> None:
    warroom, (twilio, vonage, _) = through_twilio, providers
    await deliver(warroom, queue_lag())

    # The SMS in the alert's words, at once; no incident, no channel made.
    (sms,) = twilio.messages
    assert (sms.to, sms.body) == (PHONE, SMS_TEXT)
    assert sms.status_callback == f"{PUBLIC_URL}/twilio/status"
    assert await incidents_of(warroom) == []
    assert warroom.slack.calls_to("conversations.create") == []
    assert twilio.calls == []

    # The carrier could not reach her phone: her next rule (the call) rings now, not at 5 m.
    assert await twilio.deliver(sms, "undelivered") == 200
    await warroom.run_jobs()
    (call,) = twilio.calls
    assert PROMPT in call.twiml
    assert call.status_callback == f"{PUBLIC_URL}/twilio/status"
    assert await twilio.answer(call) == 200
    assert await twilio.press(call, "1") == ACKNOWLEDGED
    assert await twilio.hang_up(call) == 200
    await warroom.run_jobs()

    assert f"*Acknowledged* by <@{CAROL}> (voice)" in only_message(ops).text
    (page,) = await person_pages(warroom)
    assert (page.state, page.acknowledged_via) == ("acknowledged", "voice")
    found = [(n.method, n.state, n.detail) for n in await notifications(warroom)]
    assert found[:2] == [
        (
            "sms",
            "failed",
            "the carrier could not reach the phone: off, out of coverage or roaming (error 30003)",
        ),
        ("voice", "answered", None),
    ]
    assert found[2][:2] == ("slack", "cancelled")
    await nobody_else_paged(warroom, twilio, vonage)


async def test_a_reply_1_to_the_alerts_sms_acknowledges_it(
    through_twilio: Warroom, ops: Channel, providers: Providers
) -> None:
    warroom, (twilio, vonage, _) = through_twilio, providers
    await deliver(warroom, queue_lag())
    (sms,) = twilio.messages
    assert await twilio.deliver(sms) == 200
    assert next(n.state for n in await notifications(warroom)) == "delivered"

    status, answer = await twilio.reply(PHONE, "what?")
    assert (status, answer) == (200, USAGE)
    status, answer = await twilio.reply(PHONE, "1")
    assert (status, answer) == (200, ACKNOWLEDGED)
    await warroom.run_jobs()
    assert f"*Acknowledged* by <@{CAROL}> (sms)" in only_message(ops).text
    (page,) = await person_pages(warroom)
    assert (page.state, page.acknowledged_via) == ("acknowledged", "sms")
    await nobody_else_paged(warroom, twilio, vonage)  # no call at 5 m, no Bob at 15 m


async def test_through_vonage_an_unanswered_call_fires_the_next_rule_and_a_key_acknowledges(
    through_vonage: Warroom, ops: Channel, providers: Providers
) -> None:
    warroom, (twilio, vonage, _) = through_vonage, providers
    await deliver(warroom, queue_lag())
    (sms,) = vonage.messages
    assert (sms.to, sms.text) == (PHONE[1:], SMS_TEXT)
    assert await vonage.deliver(sms) == 204

    await warroom.advance(minutes=5)
    (call,) = vonage.calls
    assert call.event_url == f"{PUBLIC_URL}/vonage/event"
    assert call.ncco[0]["text"] == PROMPT
    assert await vonage.answer(call) == 204
    # No key: the call says the alert once more, in its words.
    assert (
        await vonage.silence(call)
        == "Alert: QueueLag is firing. Press 1 to acknowledge, 2 to escalate, 3 to snooze for 1 "
        "hour, 6 to resolve."
    )
    assert await vonage.press(call, "1") == ACKNOWLEDGED
    await warroom.run_jobs()
    assert f"*Acknowledged* by <@{CAROL}> (voice)" in only_message(ops).text
    found = [(n.method, n.state, n.provider) for n in await notifications(warroom)]
    assert found[:2] == [("sms", "delivered", "vonage"), ("voice", "answered", "vonage")]
    assert twilio.messages == [] and twilio.calls == []
    await nobody_else_paged(warroom, twilio, vonage)


async def test_a_call_vonage_reports_unanswered_brings_the_slack_dm_forward(
    through_vonage: Warroom, ops: Channel, providers: Providers
) -> None:
    warroom, vonage = through_vonage, providers[1]
    await deliver(warroom, queue_lag())
    await warroom.advance(minutes=5)
    (call,) = vonage.calls
    assert warroom.slack.direct_messages(CAROL) == []
    assert await vonage.hang_up(call, "unanswered") == 204
    await warroom.run_jobs()
    # Her 10-minute rule (a Slack DM) now, at 5 minutes.
    (dm,) = warroom.slack.direct_messages(CAROL)
    assert "QueueLag is firing" in dm.text
    states = [(n.method, n.state) for n in await notifications(warroom)]
    assert states == [("sms", "sent"), ("voice", "no-answer"), ("slack", "sent")]
    assert PHONE not in warroom.slack.transcript(ops.id)
    assert (await person_pages(warroom))[0].state == "open"  # still paging: not acknowledged


async def test_an_sms_never_reported_delivered_rings_her_phone_after_the_delivery_wait(
    through_twilio: Warroom, ops: Channel, providers: Providers
) -> None:
    warroom, twilio = through_twilio, providers[0]
    await deliver(warroom, queue_lag())
    assert len(twilio.messages) == 1
    wait = warroom.services.settings.paging.delivery_wait
    assert wait < timedelta(minutes=5)
    await warroom.advance(seconds=int(wait.total_seconds()))
    (call,) = twilio.calls  # her 5-minute rule, brought forward: Twilio said nothing
    assert PROMPT in call.twiml
    assert [(n.method, n.state) for n in await notifications(warroom)][:2] == [
        ("sms", "sent"),
        ("voice", "sent"),
    ]


async def test_a_reply_2_escalates_the_alert_to_the_next_level_as_the_slack_button(
    through_twilio: Warroom, ops: Channel, providers: Providers
) -> None:
    warroom, twilio = through_twilio, providers[0]
    await deliver(warroom, queue_lag())
    assert warroom.slack.direct_messages(BOB) == []

    status, answer = await twilio.reply(PHONE, "2")
    assert (status, answer) == (
        200,
        "Escalated the alert QueueLag is firing to level 2 of escalation policy queues. "
        "Nothing more will be sent to you for it.",
    )
    await warroom.run_jobs()
    # Bob (level 2) is paged now, not at 15 minutes; the message says who escalated.
    (to_bob,) = warroom.slack.direct_messages(BOB)
    assert "you are paged by its escalation policy queues" in to_bob.text
    assert re.search(rf"Escalated by hand to level 2 by <@{CAROL}> at ", only_message(ops).text)
    # Her own page ends: no call at 5 minutes, no Slack DM at 10.
    await warroom.advance(minutes=30)
    assert twilio.calls == []
    assert warroom.slack.direct_messages(CAROL) == []
    assert len(warroom.slack.direct_messages(BOB)) == 1
    # A second reply: nothing of hers is open any more.
    assert await twilio.reply(PHONE, "2") == (200, "You have no open page right now.")


async def test_through_vonage_a_key_2_escalates_and_on_the_last_level_it_says_so(
    through_vonage: Warroom, ops: Channel, providers: Providers
) -> None:
    warroom, vonage = through_vonage, providers[1]
    await deliver(warroom, queue_lag())
    # Bob presses Escalate in Slack first: level 2 (Bob, the last) is paged.
    await warroom.slack.choose_in_message(
        ops.id, only_message(ops).ts, "escalate_alert", user=BOB, option_text="Next level"
    )
    await settle(warroom)
    await warroom.advance(minutes=5)
    (call,) = vonage.calls
    assert await vonage.answer(call) == 204
    assert await vonage.press(call, "2") == (
        "QueueLag is firing: level 2 is the last level of escalation policy queues, and it is "
        "paged already. Reply 1 to acknowledge."
    )
    assert len(warroom.slack.direct_messages(BOB)) == 1
    assert (await the_alert(warroom)).state == "triggered"


async def answer_by(
    providers: Providers, warroom: Warroom, provider: str, way: str, key: str
) -> str:
    """Carol answers her latest page with ``key``: a reply to its SMS, or a key in its call
    (her 5-minute rule, rung now), through ``provider`` (twilio or vonage); what she is told."""
    twilio, vonage, _ = providers
    if way == "sms":
        if provider == "twilio":
            status, answer = await twilio.reply(PHONE, key)
            assert status == 200
            return answer or ""
        assert await vonage.reply(PHONE, key) == 204
        return vonage.phone(PHONE)[0][-1]
    await warroom.advance(minutes=5)
    fake = twilio if provider == "twilio" else vonage
    call = fake.calls[-1]
    assert await fake.answer(call) in (200, 204)
    return await fake.press(call, key)


PHONE_WAYS = [
    pytest.param("twilio", "sms", id="twilio-sms"),
    pytest.param("twilio", "voice", id="twilio-voice"),
    pytest.param("vonage", "sms", id="vonage-sms"),
    pytest.param("vonage", "voice", id="vonage-voice"),
]


@pytest.mark.parametrize(("provider", "way"), PHONE_WAYS)
async def test_a_3_snoozes_the_alert_for_an_hour_and_a_6_resolves_it(
    slack: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    ops: Channel,
    providers: Providers,
    provider: str,
    way: str,
) -> None:
    """PagerDuty's pattern: a digit per act, by SMS or in the call. 3 snoozes the alert for
    an hour (nobody paged, the message says until when); when it ends the alert, still
    firing, is paged again; 6 then resolves it, and a 6 after that acts on nothing."""
    people = contacts() if provider == "twilio" else contacts(provider="vonage")
    async for warroom in serve(slack, database_url, tmp_path, ops, providers, people):
        twilio, vonage, _ = providers
        await deliver(warroom, queue_lag())

        assert await answer_by(providers, warroom, provider, way, "3") == SNOOZED
        await warroom.run_jobs()
        group = await the_alert(warroom)
        assert (group.state, group.snoozed_by) == ("snoozed", CAROL)
        assert group.snoozed_until == warroom.services.clock() + timedelta(hours=1)
        assert re.search(rf"\*Snoozed\* by <@{CAROL}> until ", only_message(ops).text)
        sent = len(twilio.messages + vonage.messages), len(twilio.calls + vonage.calls)
        await warroom.advance(minutes=50)  # snoozed: no call, no Slack DM, no Bob
        assert (len(twilio.messages + vonage.messages), len(twilio.calls + vonage.calls)) == sent
        assert warroom.slack.direct_messages(BOB) == []

        await warroom.advance(minutes=10)  # the snooze ends; it still fires: paged again
        assert (await the_alert(warroom)).state == "triggered"
        assert len(twilio.messages + vonage.messages) == sent[0] + 1
        assert await answer_by(providers, warroom, provider, way, "6") == RESOLVED
        await warroom.run_jobs()
        group = await the_alert(warroom)
        assert (group.state, group.resolved_by) == ("resolved", CAROL)
        assert re.search(rf"\*Resolved\* by <@{CAROL}>", only_message(ops).text)
        assert buttons(only_message(ops)) == []
        assert await incidents_of(warroom) == []
        await nobody_else_paged(warroom, twilio, vonage)


async def test_a_3_past_the_routes_max_snooze_is_refused_in_words(
    slack: SlackEmulator, database_url: str, tmp_path: Path, ops: Channel, providers: Providers
) -> None:
    people = contacts()
    async for warroom in serve(
        slack, database_url, tmp_path, ops, providers, people, max_snooze="30m"
    ):
        twilio = providers[0]
        await deliver(warroom, queue_lag())
        status, answer = await twilio.reply(PHONE, "snooze")
        assert (status, answer) == (
            200,
            "Not snoozed: route queues allows a snooze of at most 30m, and 3 snoozes 1h. Snooze "
            "it shorter in Slack or on the page's link, or reply 1 to acknowledge. Nothing "
            "changed.",
        )
        assert (await the_alert(warroom)).state == "triggered"
        assert (await person_pages(warroom))[0].state == "open"  # still paging her


@pytest.mark.parametrize("provider", ["twilio", "vonage"])
async def test_a_3_with_a_length_snoozes_that_long_within_the_route_s_max_snooze(
    slack: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    ops: Channel,
    providers: Providers,
    provider: str,
) -> None:
    """An SMS reply ``3 <length>`` (the lengths configuration takes: 30m, 4h, 1h30m) snoozes
    the alert that long; past the route's ``max_snooze`` it is refused in words, and a length
    not understood is said so, both changing nothing. The SMS's own text says so."""
    people = contacts() if provider == "twilio" else contacts(provider="vonage")
    async for warroom in serve(
        slack, database_url, tmp_path, ops, providers, people, max_snooze="2h"
    ):
        twilio, vonage, _ = providers
        await deliver(warroom, queue_lag())
        texts = [m.body for m in twilio.messages] + [m.text for m in vonage.messages]
        assert texts == [SMS_TEXT]

        assert await answer_by(providers, warroom, provider, "sms", "3 4h") == (
            "Not snoozed: route queues allows a snooze of at most 2h, and you asked for 4h. "
            "Reply 3 and a length of at most 2h (3 2h), or 1 to acknowledge. Nothing changed."
        )
        assert await answer_by(providers, warroom, provider, "sms", "3 soon") == (
            "Not snoozed: reply 3 and a length in minutes or hours, such as 3 30m, 3 4h or 3 "
            "1h30m (route queues allows at most 2h); 3 alone snoozes 1h. Nothing changed."
        )
        assert await answer_by(providers, warroom, provider, "sms", "3 30") == (
            "Not snoozed: reply 3 and a length in minutes or hours, such as 3 30m, 3 4h or 3 "
            "1h30m (route queues allows at most 2h); 3 alone snoozes 1h. Nothing changed."
        )
        assert (await the_alert(warroom)).state == "triggered"
        assert (await person_pages(warroom))[0].state == "open"  # still paging her

        assert await answer_by(providers, warroom, provider, "sms", " Snooze 1H30M ") == (
            "Snoozed the alert QueueLag is firing for 1h30m: nobody is paged for it until then. "
            "If it still fires then, it is paged again."
        )
        await warroom.run_jobs()
        group = await the_alert(warroom)
        assert (group.state, group.snoozed_by) == ("snoozed", CAROL)
        assert group.snoozed_until == warroom.services.clock() + timedelta(minutes=90)
        sent = len(twilio.messages + vonage.messages)
        await warroom.advance(minutes=80)  # snoozed: nothing sent
        assert len(twilio.messages + vonage.messages) == sent
        await warroom.advance(minutes=10)  # it ends; still firing: paged again
        assert (await the_alert(warroom)).state == "triggered"
        assert len(twilio.messages + vonage.messages) == sent + 1


async def test_a_6_on_an_alert_someone_acknowledged_meanwhile_says_so_and_changes_nothing(
    through_vonage: Warroom, ops: Channel, providers: Providers
) -> None:
    warroom, vonage = through_vonage, providers[1]
    await deliver(warroom, queue_lag())
    await warroom.advance(minutes=5)
    (call,) = vonage.calls
    assert await vonage.answer(call) == 204
    # Bob acknowledges in Slack while her phone rings: her key 6 then changes nothing.
    group = await the_alert(warroom)
    await warroom.slack.click_button(
        ops.id, only_message(ops).ts, "acknowledge_alert", user=BOB, value=str(group.id)
    )
    await settle(warroom)
    said = await vonage.press(call, "6")
    assert re.fullmatch(
        "The alert QueueLag is firing was already acknowledged by (Bob Okafor|U0BOB).", said
    ), said
    assert (await the_alert(warroom)).state == "acknowledged"


async def test_two_replies_at_once_resolve_once_and_the_other_is_told(
    through_twilio: Warroom, ops: Channel, providers: Providers
) -> None:
    """Her SMS 6 and her key 6 in the call at the same moment: one resolves it, the other
    is told it was resolved already (or that nothing of hers is open any more)."""
    warroom, twilio = through_twilio, providers[0]
    await deliver(warroom, queue_lag())
    await warroom.advance(minutes=5)
    (call,) = twilio.calls
    assert await twilio.answer(call) == 200
    answers = await asyncio.gather(twilio.reply(PHONE, "6"), twilio.press(call, "6"))
    said = [answers[0][1], answers[1]]
    assert said.count(RESOLVED) == 1, said
    other = next(words for words in said if words != RESOLVED)
    assert other in (
        "The alert QueueLag is firing was already resolved by Carol Tanaka.",
        "You have no open page right now.",
    ), other
    await warroom.run_jobs()
    assert len(re.findall(r"\*Resolved\*", only_message(ops).text)) == 1
