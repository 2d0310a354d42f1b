"""Live call routing, end to end: checkout has a Twilio number (the services file's
``phone``); the fake Twilio places a call to it as a caller would, follows the TwiML warroom
answers (strictly, as Twilio's reference gives it) and posts the recording's and the
transcription's callbacks, each signed as Twilio signs. Carol is on call at the queues
policy's level 1 (the night schedule), Bob at level 2; both have a voice contact and take
their pages by SMS. Carol picks up: nobody else is rung, and the call is an alert
acknowledged by her, paging nobody. Nobody answers level 1: Bob is rung, and the alert is
his. Nobody at all: the caller leaves a voicemail, which becomes an alert on checkout, its
recording and transcription linked and each leg said, paged to the policy
(Carol's SMS names it). Search's number, whose policy reaches nobody with a phone now: the
caller is told and the alert is paged at once. A request not signed by Twilio: 403, nothing
kept. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlmodel import col, select

from bot.cli import main
from bot.record.alerting.services import ServiceError, load_services, parse_services
from bot.store.db import session_scope
from bot.store.models import Alert, AlertGroup, RoutedCall
from emulator import FakeNtfy, FakeTwilio, SlackEmulator
from emulator.twilio_calls import Caller
from tests.alerting.test_services_file import files
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom
from tests.helpers.web_view import visible_text, web_settings
from tests.paging.scenario import NOW, SCHEDULES, paging_settings, phone_environ

PUBLIC_URL = "https://warroom.example.com"
SENDING_NUMBER = "+15005550006"  # TWILIO_FROM: pages go out from it
CHECKOUT_LINE = "+15005550010"  # checkout's on-call line
SEARCH_LINE = "+15005550011"
CAROL_PHONE = "+15555550123"
BOB_PHONE = "+447700900123"
CUSTOMER = "+33612345678"
POLICIES = {
    "policies": {
        "queues": {
            "levels": [
                {"timeout": "5m", "targets": [{"schedule": "night"}]},
                {"targets": [{"user": BOB}]},
            ]
        },
        # Alice has no phone: a call finds nobody to ring; the alert pages her in Slack.
        "search": {"levels": [{"targets": [{"user": ALICE}]}]},
    }
}
CONTACTS = {
    "people": {
        CAROL: {
            "contacts": {"sms": {"sms": CAROL_PHONE}, "call": {"voice": CAROL_PHONE}},
            "rules": [{"after": "0s", "notify": ["sms"]}],
        },
        BOB: {
            "contacts": {"sms": {"sms": BOB_PHONE}, "call": {"voice": BOB_PHONE}},
            "rules": [{"after": "0s", "notify": ["sms"]}],
        },
    }
}
SERVICES_FILE = f"""\
services:
  - name: checkout
    policy: queues
    phone: {{number: "{CHECKOUT_LINE}", ring: 15s}}
  - name: search
    policy: search
    phone: "{SEARCH_LINE}"
"""
VOICEMAIL = "Hi, this is the payments partner: every checkout since ten fails with a 502."


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio(numbers=(SENDING_NUMBER, CHECKOUT_LINE, SEARCH_LINE)) as fake:
        fake.sms_webhook = f"{PUBLIC_URL}/twilio/sms"
        # The numbers' "A call comes in" webhook, as the manual says to set it.
        fake.voice_webhook = f"{PUBLIC_URL}/twilio/route/voice"
        yield fake


@pytest.fixture
async def warroom_settings(
    slack: SlackEmulator, database_url: str, tmp_path: Path, twilio: FakeTwilio
) -> dict[str, object]:
    async with FakeNtfy() as ntfy:
        environ = phone_environ(twilio, ntfy, PUBLIC_URL)
    settings = paging_settings(tmp_path, CONTACTS, POLICIES, SCHEDULES, **environ)
    services = tmp_path / "services.yaml"
    services.write_text(SERVICES_FILE)

    async def ready(running: Warroom) -> None:
        twilio.reach = (PUBLIC_URL, running.url)

    return {
        "database_url": database_url,
        "clock": Clock(NOW),
        **settings,
        "alerting__catalog": load_services(services),
        **web_settings(slack),
        "ready": ready,
    }


async def calls(warroom: Warroom) -> list[RoutedCall]:
    async with session_scope(warroom.engine) as session:
        return list((await session.exec(select(RoutedCall).order_by(col(RoutedCall.id)))).all())


async def alerts(warroom: Warroom) -> list[tuple[AlertGroup, Alert]]:
    async with session_scope(warroom.engine) as session:
        rows = await session.exec(
            select(AlertGroup, Alert)
            .where(col(Alert.group_id) == col(AlertGroup.id))
            .order_by(col(Alert.id))
        )
        return list(rows.all())


async def page_behind_public_address(warroom: Warroom, user: str, path: str) -> str:
    """The page at ``path`` as ``user`` sees it, signed in with Slack where
    WARROOM_PUBLIC_URL is Twilio's address of the bot (https, behind a proxy): Slack sends
    the browser back there, and its Secure cookies go with each request, as they would over
    https."""
    callback = f"{PUBLIC_URL}/auth/slack/callback"
    warroom.slack.oidc_redirect_uris.add(callback)

    def cookie(answer: aiohttp.ClientResponse) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={m.value}" for k, m in answer.cookies.items())}

    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        start = f"{warroom.url}/auth/slack?next=/"
        async with session.get(start, allow_redirects=False) as answer:
            authorize, signing_in = answer.headers["Location"], cookie(answer)
        hinted = f"{authorize}&{urllib.parse.urlencode({'login_hint': user})}"
        async with session.get(hinted, allow_redirects=False) as answer:
            back = answer.headers["Location"].replace(PUBLIC_URL, warroom.url, 1)
        async with session.get(back, headers=signing_in, allow_redirects=False) as answer:
            assert answer.status == 303, await answer.text()
            signed_in = cookie(answer)
        async with session.get(f"{warroom.url}{path}", headers=signed_in) as answer:
            assert answer.status == 200
            return await answer.text()


def page_sms(twilio: FakeTwilio, number: str) -> list[str]:
    return [text for text in twilio.phone(number).messages if text.startswith("Alert:")]


async def test_the_person_on_call_picks_up_and_the_call_is_their_acknowledged_alert(
    warroom: Warroom, twilio: FakeTwilio
) -> None:
    call = await twilio.incoming_call(CUSTOMER, Caller(picks_up={CAROL_PHONE}), to=CHECKOUT_LINE)
    assert call.said == [
        "You have reached the on-call line of checkout. Connecting you to the person on call."
    ]
    assert [(leg.numbers, leg.timeout, leg.status) for leg in call.legs] == [
        ([CAROL_PHONE], 15, "completed")
    ]
    assert call.hung_up_by_twiml
    await warroom.run_jobs()
    (kept,) = await calls(warroom)
    assert (kept.service, kept.outcome) == ("checkout", "answered")
    assert [(leg["level"], leg["user"], leg["status"]) for leg in kept.legs] == [
        (1, CAROL, "dialled"),
        (1, CAROL, "completed"),
    ]
    # Kept in the alerts' history as Carol's, acknowledged on the phone: nobody is paged.
    ((group, alert),) = await alerts(warroom)
    assert group.title == "Call to checkout answered by Carol Tanaka"
    assert (group.state, group.acknowledged_by, group.acknowledged_via) == (
        "acknowledged",
        CAROL,
        "voice",
    )
    assert json.loads(alert.annotations)["description"] == (
        "A call to the on-call line of checkout: Carol Tanaka (level 1): answered."
    )
    assert json.loads(alert.labels)["service"] == "checkout"
    await warroom.advance(minutes=10)  # past the policy's level timeout: still nobody paged
    assert page_sms(twilio, CAROL_PHONE) == [] and page_sms(twilio, BOB_PHONE) == []
    page = await page_behind_public_address(warroom, ALICE, f"/alerts/{group.id}")
    assert "Called checkout’s on-call line" in visible_text(page)


async def test_nobody_answers_level_1_so_level_2_is_rung(
    warroom: Warroom, twilio: FakeTwilio
) -> None:
    call = await twilio.incoming_call(CUSTOMER, Caller(picks_up={BOB_PHONE}), to=CHECKOUT_LINE)
    assert [(leg.numbers, leg.status) for leg in call.legs] == [
        ([CAROL_PHONE], "no-answer"),
        ([BOB_PHONE], "completed"),
    ]
    (kept,) = await calls(warroom)
    assert kept.outcome == "answered"
    ended = [(leg["level"], leg["user"], leg["status"]) for leg in kept.legs]
    assert ended == [
        (1, CAROL, "dialled"),
        (1, CAROL, "no-answer"),
        (2, BOB, "dialled"),
        (2, BOB, "completed"),
    ]
    await warroom.run_jobs()
    ((group, alert),) = await alerts(warroom)
    assert (group.title, group.state, group.acknowledged_by) == (
        "Call to checkout answered by Bob Okafor",
        "acknowledged",
        BOB,
    )
    assert json.loads(alert.annotations)["description"] == (
        "A call to the on-call line of checkout: Carol Tanaka (level 1): no answer; "
        "Bob Okafor (level 2): answered."
    )
    assert page_sms(twilio, CAROL_PHONE) == [] and page_sms(twilio, BOB_PHONE) == []


async def test_nobody_answers_the_voicemail_becomes_an_alert_paged_to_the_policy(
    warroom: Warroom, twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    caller = Caller(busy={BOB_PHONE}, voicemail=VOICEMAIL, seconds=14)
    call = await twilio.incoming_call(CUSTOMER, caller, to=CHECKOUT_LINE)
    assert [(leg.numbers, leg.status) for leg in call.legs] == [
        ([CAROL_PHONE], "no-answer"),
        ([BOB_PHONE], "busy"),
    ]
    assert call.said[1:] == [
        "Nobody could answer for checkout. Please leave a message after the tone, then hang "
        "up or press the hash key.",
        "Thank you. Your message has been passed to the team of checkout. Goodbye.",
    ]
    assert all(status == 200 for _, status in call.requests), call.requests
    await warroom.run_jobs()
    ((group, alert),) = await alerts(warroom)
    assert group.title.startswith("Voicemail for checkout: “Hi, this is the payments partner")
    description = json.loads(alert.annotations)["description"]
    assert description == (
        "A call to the on-call line of checkout: Carol Tanaka (level 1): no answer; "
        f"Bob Okafor (level 2): busy. Voicemail (14 s): “{VOICEMAIL}”"
    )
    links = {link["text"]: link["url"] for link in json.loads(alert.links)}
    assert links["Voicemail recording"] == call.recording_url
    assert "/Transcriptions/TR" in links["Transcription"]
    assert json.loads(alert.labels)["service"] == "checkout"
    # Paged to checkout's policy, level 1 first: Carol's SMS names the voicemail.
    (sms,) = page_sms(twilio, CAROL_PHONE)
    assert "Voicemail for checkout: “Hi, this is the payments partner" in sms
    assert "escalation policy queues" in sms
    # Numbers stay out of what people read about the call.
    for number in (CUSTOMER, CAROL_PHONE, BOB_PHONE):
        assert number not in description and number not in sms
    (kept,) = await calls(warroom)
    assert kept.outcome == "voicemail" and kept.alerted_at is not None
    # The alert's page tells the call's story before its pages.
    page = await page_behind_public_address(warroom, ALICE, f"/alerts/{group.id}")
    text = visible_text(page)
    assert "Called checkout’s on-call line" in text
    history = text[text.index("Called checkout’s on-call line") :]
    assert history.index("Carol Tanaka") < history.index("Bob Okafor") < history.index("Fired")
    assert "no answer" in history and "busy" in history
    assert f"Voicemail (14 s): the recording “{VOICEMAIL}”" in history
    assert call.recording_url is not None and call.recording_url in page
    for number in (CUSTOMER, CAROL_PHONE, BOB_PHONE, CHECKOUT_LINE):
        assert number not in page
        assert number not in caplog.text  # numbers are logged at DEBUG only
    assert "a call to checkout's number: 2 people to ring" in caplog.text


async def test_a_transcription_that_fails_still_raises_the_alert_with_its_recording(
    warroom: Warroom, twilio: FakeTwilio
) -> None:
    # Twilio transcribes 2 to 120 seconds: a shorter message's transcription fails.
    caller = Caller(voicemail="Hel-", seconds=1)
    call = await twilio.incoming_call(CUSTOMER, caller, to=CHECKOUT_LINE)
    await warroom.run_jobs()
    ((group, alert),) = await alerts(warroom)
    assert group.title == "Voicemail for checkout"
    assert (
        "no transcription (listen to the recording)" in json.loads(alert.annotations)["description"]
    )
    links = {link["text"]: link["url"] for link in json.loads(alert.links)}
    assert links["Voicemail recording"] == call.recording_url


async def test_a_transcription_that_never_comes_raises_the_alert_five_minutes_on(
    warroom: Warroom, twilio: FakeTwilio
) -> None:
    caller = Caller(voicemail=VOICEMAIL, lose_transcription=True)
    call = await twilio.incoming_call(CUSTOMER, caller, to=CHECKOUT_LINE)
    assert not [url for url, _ in call.requests if url.endswith("/transcription")]
    await warroom.advance(minutes=4)
    assert await alerts(warroom) == []
    await warroom.advance(minutes=1)
    ((group, alert),) = await alerts(warroom)
    assert group.title == "Voicemail for checkout"
    links = {link["text"]: link["url"] for link in json.loads(alert.links)}
    assert links == {"Voicemail recording": call.recording_url}
    (sms,) = page_sms(twilio, CAROL_PHONE)
    assert "Voicemail for checkout" in sms


async def test_no_message_at_the_tone_raises_a_missed_call(
    warroom: Warroom, twilio: FakeTwilio
) -> None:
    call = await twilio.incoming_call(CUSTOMER, Caller(voicemail=None), to=CHECKOUT_LINE)
    assert (
        call.said[-1] == "No message was recorded. The team of checkout has been alerted. Goodbye."
    )
    await warroom.run_jobs()
    ((group, alert),) = await alerts(warroom)
    assert group.title == "Missed call to checkout: nobody answered, no message left"
    assert json.loads(alert.annotations)["description"] == (
        "A call to the on-call line of checkout: Carol Tanaka (level 1): no answer; "
        "Bob Okafor (level 2): no answer. No message was left."
    )
    (sms,) = page_sms(twilio, CAROL_PHONE)
    assert "Missed call to checkout" in sms


async def test_nobody_on_call_the_caller_is_told_and_the_alert_is_paged(
    warroom: Warroom, twilio: FakeTwilio
) -> None:
    call = await twilio.incoming_call(CUSTOMER, Caller(voicemail=VOICEMAIL), to=SEARCH_LINE)
    assert call.legs == []
    assert call.said == [
        "Nobody on call for search can take a call right now. The team has been alerted. Goodbye."
    ]
    assert call.hung_up_by_twiml
    await warroom.run_jobs()
    ((group, alert),) = await alerts(warroom)
    assert group.title == "Call to search: nobody on call"
    assert json.loads(alert.annotations)["description"] == (
        "A call to the on-call line of search found nobody on call at any level of "
        "escalation policy search; the caller was told."
    )
    # The search policy's level 1 is Alice: paged in Slack (her default rules).
    (dm,) = warroom.slack.direct_messages(ALICE)
    assert "Call to search: nobody on call" in dm.text


async def test_a_call_to_a_number_of_no_service_is_told_it_is_not_in_service(
    warroom: Warroom, twilio: FakeTwilio
) -> None:
    call = await twilio.incoming_call(CUSTOMER, Caller(), to=SENDING_NUMBER)
    assert call.said == ["This number is not in service. Goodbye."]
    assert await calls(warroom) == []


@pytest.mark.parametrize("signature", [None, "bm90IFR3aWxpbydz"])
async def test_a_request_not_signed_by_twilio_is_refused_and_changes_nothing(
    warroom: Warroom, twilio: FakeTwilio, signature: str | None
) -> None:
    assert await twilio.forged_call(CUSTOMER, signature=signature, to=CHECKOUT_LINE) == 403
    await warroom.run_jobs()
    assert await calls(warroom) == []
    assert await alerts(warroom) == []
    assert twilio.phone(CAROL_PHONE).messages == []


@pytest.mark.parametrize(
    ("phones", "problem"),
    [
        (["0612345678"], "phone: number must be in E.164, like +15005550006"),
        ([{"number": CHECKOUT_LINE, "ring": "2s"}], "phone: ring must be between 5s and 10m"),
        ([{"number": CHECKOUT_LINE, "voice": "alice"}], "phone: unknown key(s) voice"),
        (
            [CHECKOUT_LINE, CHECKOUT_LINE],
            "service 'search': phone: the number is checkout's already",
        ),
    ],
)
def test_a_bad_phone_is_refused_in_words_without_its_number(
    phones: list[object], problem: str
) -> None:
    services = [
        {"name": name, "phone": phone}
        for name, phone in zip(("checkout", "search"), phones, strict=False)
    ]
    with pytest.raises(ServiceError) as refused:
        parse_services({"services": services})
    assert problem in str(refused.value)
    assert "0612345678" not in str(refused.value) and CHECKOUT_LINE not in str(refused.value)


def test_a_phone_without_twilio_set_is_refused_at_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    services = {"services": [{"name": "checkout", "policy": "queues", "phone": CHECKOUT_LINE}]}
    files(tmp_path, monkeypatch, services=services, policies=POLICIES, schedules=SCHEDULES)
    assert main(["services", "list"]) == 2
    said = capsys.readouterr().err
    assert (
        "WARROOM_SERVICES: service 'checkout': phone: live call routing is Twilio's: set "
        "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM and WARROOM_PUBLIC_URL"
    ) in said
