"""SMS and calls through Vonage, over the wire: the fake Vonage (emulator/vonage.py) follows
Vonage's Messages and Voice APIs (JSON, a JWT signed RS256 with the application's key,
numbers without their +, RFC 7807 errors) and sends warroom what Vonage would (the message
status webhook, a call's events, the DTMF input event), signed as Vonage signs webhooks
(HS256 JWT with the body's hash). Twilio is the fake Twilio; time moves with the test clock.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from bot.app import create_app
from bot.clients.phone.vonage import application_token, signed_by_vonage
from bot.config import ConfigError, Settings
from bot.config.vonage import read_private_key
from bot.flows.alerting.drill_alerts import run_drill
from emulator import FakeTwilio, FakeVonage, SlackEmulator
from emulator.vonage import application_key, webhook_token
from tests.conftest import CAROL, Clock, Warroom, running_warroom
from tests.helpers.metrics import scrape
from tests.paging.scenario import (
    NOW,
    declare_sev1,
    notifications,
    paging_settings,
    person_pages,
)

PHONE = "+15555550123"
PUBLIC_URL = "https://warroom.example.com"


def contacts(sms: dict[str, str], call: dict[str, str]) -> dict[str, Any]:
    return {
        "people": {
            CAROL: {
                "contacts": {"sms": {"sms": PHONE, **sms}, "call": {"voice": PHONE, **call}},
                "rules": [
                    {"after": "0s", "notify": ["sms"]},
                    {"after": "5m", "notify": ["call"]},
                ],
                "drill": True,
            }
        }
    }


# Carol's SMS and calls through Vonage; another team's through Twilio, Vonage if it fails.
THROUGH_VONAGE = contacts({"provider": "vonage"}, {"provider": "vonage"})
TWILIO_THEN_VONAGE = contacts({"fallback": "vonage"}, {"fallback": "vonage"})


@pytest.fixture
async def providers(tmp_path: Path) -> AsyncIterator[tuple[FakeVonage, FakeTwilio, Path]]:
    key_file, public_key = application_key(tmp_path)
    async with FakeVonage(public_key=public_key) as vonage, FakeTwilio() as twilio:
        vonage.status_url = f"{PUBLIC_URL}/vonage/status"
        vonage.inbound_url = f"{PUBLIC_URL}/vonage/inbound"
        yield vonage, twilio, key_file


def start(
    slack: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    providers: tuple[FakeVonage, FakeTwilio, Path],
    contacts_file: dict[str, Any],
) -> AbstractAsyncContextManager[Warroom]:
    vonage, twilio, key_file = providers
    settings = paging_settings(
        tmp_path,
        contacts_file,
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
        WARROOM_PAGING_DRILL_WAIT="20s",
    )
    return running_warroom(slack, database_url, Clock(NOW), **settings)


@pytest.fixture
async def through_vonage(
    slack: SlackEmulator,
    sqlite_url: str,
    tmp_path: Path,
    providers: tuple[FakeVonage, FakeTwilio, Path],
) -> AsyncIterator[Warroom]:
    async with serving(slack, sqlite_url, tmp_path, providers, THROUGH_VONAGE) as running:
        yield running


@pytest.fixture
async def through_vonage_on_each(
    slack: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    providers: tuple[FakeVonage, FakeTwilio, Path],
) -> AsyncIterator[Warroom]:
    """Through Vonage, on SQLite and PostgreSQL: a claim is a row every replica reads."""
    async with serving(slack, database_url, tmp_path, providers, THROUGH_VONAGE) as running:
        yield running


@pytest.fixture
async def with_fallback(
    slack: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    providers: tuple[FakeVonage, FakeTwilio, Path],
) -> AsyncIterator[Warroom]:
    """On SQLite and PostgreSQL: who carried each notification is a column of its row."""
    async with serving(slack, database_url, tmp_path, providers, TWILIO_THEN_VONAGE) as running:
        yield running


@asynccontextmanager
async def serving(
    slack: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    providers: tuple[FakeVonage, FakeTwilio, Path],
    contacts_file: dict[str, Any],
) -> AsyncIterator[Warroom]:
    """warroom with these contacts, both fakes' callbacks reaching it."""
    async with start(slack, database_url, tmp_path, providers, contacts_file) as running:
        providers[0].reach = providers[1].reach = (PUBLIC_URL, running.url)
        yield running


async def test_an_sms_and_a_call_through_vonage_and_a_keypress_acknowledges(
    through_vonage: Warroom, providers: tuple[FakeVonage, FakeTwilio, Path]
) -> None:
    warroom, (vonage, twilio, _) = through_vonage, providers
    await declare_sev1(warroom)
    await warroom.run_jobs()
    (sms,) = vonage.messages
    assert (sms.to, sms.from_) == ("15555550123", "15005550007")  # E.164 without its +
    assert sms.text == (
        "INC-1 SEV1 Checkout API returns 500s. Paged by escalation policy primary, level 1. "
        "Reply 1 to acknowledge, 2 to escalate."
    )
    assert await vonage.deliver(sms) == 204

    await warroom.advance(minutes=5)
    (call,) = vonage.calls
    assert call.event_url == f"{PUBLIC_URL}/vonage/event"
    assert [action["action"] for action in call.ncco] == ["talk", "input"]
    assert "Press 1 to acknowledge, 2 to escalate." in call.ncco[0]["text"]
    assert await vonage.answer(call) == 204
    said = await vonage.press(call, "1")
    assert said == (
        "Acknowledged INC-1 SEV1 Checkout API returns 500s. Nothing more will be sent for it."
    )
    assert await vonage.hang_up(call) == 204
    await warroom.run_jobs()

    assert twilio.messages == [] and twilio.calls == []
    (page,) = await person_pages(warroom)
    assert (page.state, page.acknowledged_via) == ("acknowledged", "voice")
    found = [(n.method, n.state, n.provider) for n in await notifications(warroom)]
    assert found == [("sms", "delivered", "vonage"), ("voice", "answered", "vonage")]
    counted = {
        (labels["provider"], labels["method"], labels["outcome"])
        for name, labels, value in await scrape(warroom)
        if name == "warroom_notifications_total" and value
    }
    assert counted == {
        ("vonage", "sms", "sent"),
        ("vonage", "sms", "delivered"),
        ("vonage", "voice", "sent"),
        ("vonage", "voice", "answered"),
    }


async def test_an_sms_reply_to_the_vonage_number_acknowledges_once_and_is_answered(
    through_vonage: Warroom, providers: tuple[FakeVonage, FakeTwilio, Path]
) -> None:
    warroom, vonage = through_vonage, providers[0]
    await declare_sev1(warroom)
    await warroom.run_jobs()
    assert await vonage.reply(PHONE, "1", message_uuid="inbound-1") == 204
    texts, _ = vonage.phone(PHONE)
    assert texts[-1] == (
        "Acknowledged INC-1 SEV1 Checkout API returns 500s. Nothing more will be sent for it."
    )
    assert await vonage.reply(PHONE, "1", message_uuid="inbound-1") == 204  # Vonage's retry
    assert len(vonage.phone(PHONE)[0]) == 2  # the page and one answer: the retry is not paid
    (page,) = await person_pages(warroom)
    assert (page.state, page.acknowledged_via) == ("acknowledged", "sms")
    assert await vonage.reply("+15555550999", "1") == 204  # nobody's number: acts on nothing
    assert vonage.phone("+15555550999")[0] == ["This number is not on call here."]


async def test_a_captured_sms_reply_replayed_is_answered_by_one_paid_sms_only(
    through_vonage_on_each: Warroom, providers: tuple[FakeVonage, FakeTwilio, Path]
) -> None:
    """Issue 70, finding 7: the same signed request again (its token and body kept by whoever
    saw it pass) acts on nothing more and makes warroom send no further SMS through Vonage,
    for a number on call as for one that is nobody's."""
    warroom, vonage = through_vonage_on_each, providers[0]
    await declare_sev1(warroom)
    await warroom.run_jobs()
    assert await vonage.reply(PHONE, "1") == 204
    assert await vonage.reply("+15555550999", "1") == 204
    captured = vonage.sent[-2:]
    paid = len(vonage.messages)
    assert paid == 3  # the page, the answer to Carol, the answer to the stranger
    for _ in range(3):
        for request in captured:
            status, _ = await vonage.replay(request)
            assert status == 204
    assert len(vonage.messages) == paid
    (page,) = await person_pages(warroom)
    assert (page.state, page.acknowledged_via) == ("acknowledged", "sms")


@pytest.mark.parametrize("age", [30 * 24 * 3600, 301])
async def test_a_token_vonage_signed_too_long_ago_is_refused_401(
    through_vonage: Warroom, providers: tuple[FakeVonage, FakeTwilio, Path], age: int
) -> None:
    """Issue 70, finding 7: a token signed 30 days ago (or just past the 5 minutes) is refused
    whatever it carries, and nothing is acted on or answered."""
    warroom, vonage = through_vonage, providers[0]
    await declare_sev1(warroom)
    await warroom.run_jobs()
    reply = {"channel": "sms", "message_uuid": "old-1", "from": PHONE[1:], "text": "1"}
    status, _ = await vonage.post(
        f"{warroom.url}/vonage/inbound", reply, issued_at=int(time.time()) - age
    )
    assert status == 401
    assert len(vonage.messages) == 1  # the page alone
    (page,) = await person_pages(warroom)
    assert page.state == "open"


async def test_no_key_says_the_prompt_once_more_then_goodbye_and_a_second_press_acts_once(
    through_vonage: Warroom, providers: tuple[FakeVonage, FakeTwilio, Path]
) -> None:
    warroom, vonage = through_vonage, providers[0]
    await declare_sev1(warroom)
    await warroom.advance(minutes=5)
    (call,) = vonage.calls
    assert await vonage.silence(call) == "Incident INC-1. Press 1 to acknowledge, 2 to escalate."
    assert call.ncco[-1]["eventUrl"] == [f"{PUBLIC_URL}/vonage/input?try=2"]
    assert await vonage.silence(call) == (
        "No key was pressed. Your next notification follows. Goodbye."
    )
    (page,) = await person_pages(warroom)
    assert page.state == "open"


async def test_a_call_vonage_reports_unanswered_brings_the_next_rule_forward(
    through_vonage: Warroom, providers: tuple[FakeVonage, FakeTwilio, Path]
) -> None:
    warroom, vonage = through_vonage, providers[0]
    channel = await declare_sev1(warroom)
    await warroom.advance(minutes=5)
    (call,) = vonage.calls
    assert await vonage.hang_up(call, "unanswered") == 204
    states = [(n.method, n.state) for n in await notifications(warroom)]
    assert states == [("sms", "sent"), ("voice", "no-answer")]
    assert PHONE not in warroom.slack.transcript(channel.id)


async def test_twilio_answering_500_sends_through_vonage_at_once_and_says_so(
    with_fallback: Warroom, providers: tuple[FakeVonage, FakeTwilio, Path]
) -> None:
    """Twilio down during a page: the SMS goes through Vonage as Twilio's first answer
    fails, not after Twilio's retries; the channel says which provider carried it."""
    warroom, (vonage, twilio, _) = with_fallback, providers
    twilio.fail(500, times=1000)
    channel = await declare_sev1(warroom)
    await warroom.run_jobs()
    assert twilio.messages == []
    (sms,) = vonage.messages
    assert sms.to == "15555550123"
    fallback = [m.text for m in channel.messages if "instead" in m.text]
    assert fallback == [
        f":repeat: SMS (sms) to <@{CAROL}>: Twilio failed (Twilio answered HTTP 500), "
        "sent through Vonage at once instead."
    ]
    assert await vonage.deliver(sms) == 204
    notification = (await notifications(warroom))[0]
    assert (notification.state, notification.provider) == ("delivered", "vonage")
    await warroom.advance(minutes=5)  # the call too: Twilio still down, Vonage rings
    assert twilio.calls == [] and len(vonage.calls) == 1
    assert PHONE not in warroom.slack.transcript(channel.id)


async def test_an_sms_twilio_reports_undelivered_goes_through_vonage_at_once(
    with_fallback: Warroom, providers: tuple[FakeVonage, FakeTwilio, Path]
) -> None:
    warroom, (vonage, twilio, _) = with_fallback, providers
    channel = await declare_sev1(warroom)
    await warroom.run_jobs()
    (taken,) = twilio.messages
    assert vonage.messages == []
    assert await twilio.deliver(taken, "undelivered") == 200
    (sms,) = vonage.messages
    assert sms.text == taken.body
    assert [m.text for m in channel.messages if "instead" in m.text and ":repeat:" in m.text] == [
        f":repeat: SMS (sms) to <@{CAROL}>: Twilio failed (the carrier could not reach the phone: "
        "off, out of coverage or roaming (error 30003)), "
        "sent through Vonage at once instead."
    ]
    assert await twilio.deliver(taken, "undelivered") == 200  # Twilio repeats its report
    assert len(vonage.messages) == 1
    assert await vonage.deliver(sms) == 204
    notification = (await notifications(warroom))[0]
    assert (notification.state, notification.provider) == ("delivered", "vonage")


async def test_a_twilio_sms_that_works_leaves_vonage_alone(
    with_fallback: Warroom, providers: tuple[FakeVonage, FakeTwilio, Path]
) -> None:
    warroom, (vonage, twilio, _) = with_fallback, providers
    await declare_sev1(warroom)
    await warroom.run_jobs()
    assert len(twilio.messages) == 1 and vonage.messages == []
    notification = (await notifications(warroom))[0]
    assert (notification.state, notification.provider) == ("sent", "twilio")


@pytest.mark.parametrize("how", ["another secret", "unsigned", "another body"])
async def test_a_webhook_not_signed_by_vonage_is_refused_and_changes_nothing(
    through_vonage: Warroom, providers: tuple[FakeVonage, FakeTwilio, Path], how: str
) -> None:
    warroom, vonage = through_vonage, providers[0]
    await declare_sev1(warroom)
    await warroom.run_jobs()
    (sms,) = vonage.messages
    document = {"message_uuid": sms.uuid, "status": "rejected", "channel": "sms"}
    url = f"{warroom.url}/vonage/status"
    if how == "another secret":
        status, _ = await vonage.post(url, document, secret="not-the-secret")
    else:
        headers: dict[str, str] = {}
        if how == "another body":  # a token lifted from one delivered report, put on this
            token = webhook_token(vonage.signature_secret, vonage.api_key, b'{"other": 1}')
            headers["Authorization"] = f"Bearer {token}"
        async with (
            aiohttp.ClientSession() as client,
            client.post(url, json=document, headers=headers) as answer,
        ):
            status = answer.status
    assert status == 401
    notification = (await notifications(warroom))[0]
    assert notification.state == "sent"
    (call_status, _) = await vonage.post(
        f"{warroom.url}/vonage/input",
        {"uuid": "nope", "dtmf": {"digits": "1", "timed_out": False}},
        secret="not-the-secret",
    )
    assert call_status == 401
    reply = {"channel": "sms", "message_uuid": "m1", "from": PHONE[1:], "text": "1"}
    (reply_status, _) = await vonage.post(
        f"{warroom.url}/vonage/inbound", reply, secret="not-the-secret"
    )
    assert reply_status == 401 and len(vonage.messages) == 1  # nothing answered either
    (page,) = await person_pages(warroom)
    assert page.state == "open"


async def test_the_drill_exercises_vonage(
    through_vonage: Warroom, providers: tuple[FakeVonage, FakeTwilio, Path]
) -> None:
    warroom, (vonage, twilio, _) = through_vonage, providers

    async def report() -> None:
        await vonage.wait_for(lambda: len(vonage.messages) == 1 and len(vonage.calls) == 1)
        await vonage.deliver(vonage.messages[0])
        await vonage.hang_up(vonage.calls[0])
        await twilio.wait_for(lambda: len(twilio.messages) == 1 and len(twilio.calls) == 1)
        await twilio.deliver(twilio.messages[0])
        await twilio.hang_up(twilio.calls[0])

    reporting = asyncio.create_task(report())
    checks = await run_drill(warroom.services)
    await reporting
    found = {(c.provider, c.method): c.state for c in checks}
    assert found[("vonage", "sms")] == "ok" and found[("vonage", "voice")] == "ok"


async def test_secrets_and_numbers_stay_out_of_the_logs(
    with_fallback: Warroom,
    providers: tuple[FakeVonage, FakeTwilio, Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    warroom, (vonage, twilio, key_file) = with_fallback, providers
    caplog.set_level(logging.DEBUG)
    twilio.fail(500, times=1000)
    await declare_sev1(warroom)
    await warroom.run_jobs()
    await vonage.deliver(vonage.messages[0])
    await vonage.post(f"{warroom.url}/vonage/status", {"status": "x"}, secret="wrong")
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG)
    key_body = key_file.read_text().splitlines()[1]
    for secret in (vonage.signature_secret, key_body, PHONE, "15555550123", "Bearer"):
        assert secret not in logged
    assert "Twilio failed" not in logged or "trying Vonage at once" in logged


def test_the_tokens_warroom_signs_are_rs256_as_openssl_verifies_them(tmp_path: Path) -> None:
    """The JWT of each request, signed in Python, verified by openssl with the public key
    (RFC 7518 RS256: RSASSA-PKCS1-v1_5 with SHA-256 over ``header.claims``)."""
    key_file, public_key = application_key(tmp_path)
    token = application_token("app-id", read_private_key(key_file), now=1_700_000_000)
    header, claims, signature = token.split(".")
    (tmp_path / "public.pem").write_text(public_key)
    (tmp_path / "signed").write_bytes(f"{header}.{claims}".encode())
    (tmp_path / "signature").write_bytes(base64.urlsafe_b64decode(signature + "=="))
    verified = subprocess.run(
        ["openssl", "dgst", "-sha256", "-verify", str(tmp_path / "public.pem"),
         "-signature", str(tmp_path / "signature"), str(tmp_path / "signed")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert verified.stdout.strip() == "Verified OK", verified.stderr
    said = json.loads(base64.urlsafe_b64decode(claims + "=="))
    assert said["application_id"] == "app-id" and said["exp"] - said["iat"] == 300
    assert json.loads(base64.urlsafe_b64decode(header + "=="))["alg"] == "RS256"
    assert repr(read_private_key(key_file)) == "PrivateKey(2048 bits)"


@pytest.mark.parametrize(
    ("contact", "problem"),
    [
        ({"sms": PHONE, "provider": "plivo"}, "provider: 'plivo' is not a provider"),
        ({"voice": PHONE, "fallback": "twilio"}, "fallback: the same provider"),
        ({"email": "erin@example.com", "fallback": "vonage"}, "only for sms and voice"),
    ],
)
def test_the_contacts_file_refuses_a_provider_it_cannot_use(
    tmp_path: Path, contact: dict[str, str], problem: str
) -> None:
    """Refused before serving: the file's shape by the settings, the providers it names by
    the phone registry as the application is made."""
    path = tmp_path / "contacts.yaml"
    path.write_text(yaml.safe_dump({"people": {CAROL: {"contacts": {"phone": contact}}}}))
    with pytest.raises(ConfigError, match=problem):
        create_app(Settings.from_env({"WARROOM_CONTACTS": str(path), **TWILIO_SET}))


TWILIO_SET = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "t" * 32,
              "TWILIO_FROM": "+15005550006", "WARROOM_PUBLIC_URL": PUBLIC_URL}  # fmt: skip


def test_a_contact_naming_vonage_needs_vonage_set(tmp_path: Path) -> None:
    path = tmp_path / "contacts.yaml"
    path.write_text(yaml.safe_dump(TWILIO_THEN_VONAGE))
    with pytest.raises(ConfigError, match="call, sms contacts name Vonage"):
        create_app(Settings.from_env({"WARROOM_CONTACTS": str(path), **TWILIO_SET}))
    (tmp_path / "bad.key").write_text("not a key")
    with pytest.raises(ConfigError, match="expected a PEM RSA private key"):
        Settings.from_env({"WARROOM_VONAGE_PRIVATE_KEY_FILE": str(tmp_path / "bad.key")})


# The HS512 forgery below uses a key short for SHA-512, which PyJWT warns of when signing.
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_a_webhook_token_is_refused_unless_hs256_fresh_unexpired_and_for_this_body() -> None:
    """What PyJWT and the freshness window refuse: "none" and any algorithm but HS256 (no
    key chosen by the sender), a token past its exp, issued too long ago or too far ahead."""
    import jwt  # the tests forge tokens with the library Vonage's docs name (jwt.io)

    secret, body = "s" * 32, b'{"status": "delivered"}'
    now = int(time.time())
    claims = {"api_key": "key", "jti": "j", "payload_hash": hashlib.sha256(body).hexdigest()}

    def bearer(algorithm: str = "HS256", key: str = secret, **changed: int) -> str:
        token = jwt.encode({**claims, "iat": now, **changed}, key, algorithm=algorithm)
        return f"Bearer {token}"

    def unsigned() -> str:
        header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=")
        payload = json.dumps({**claims, "iat": now}).encode()
        return f"Bearer {header.decode()}.{base64.urlsafe_b64encode(payload).decode().rstrip('=')}."

    assert signed_by_vonage(secret, bearer(), body, api_key="key") is not None
    assert signed_by_vonage(secret, bearer(iat=now + 200), body) is not None  # clocks differ
    for refused in (
        unsigned(),
        bearer("HS512"),
        bearer(key="t" * 32),
        bearer(exp=now - 1),
        bearer(iat=now - 400),
        bearer(iat=now + 400),
        bearer().replace("Bearer", "Basic"),
    ):
        assert signed_by_vonage(secret, refused, body) is None, refused
    assert signed_by_vonage(secret, bearer(), b"{}") is None  # another body
    assert signed_by_vonage(secret, bearer(), body, api_key="another") is None
