"""What the providers report after taking an SMS or a call, read over the wire: the fake
Twilio's status callbacks (a call's ``ErrorCode`` and ``SipResponseCode``) and the fake
Vonage's status and event webhooks (an SMS's error, a call's ``detail``), each signed as the
vendor signs them. A report that says the person was not reached brings their next rule
forward, said in the channel in words without the number; one that blames the number tells
Carol and her schedule's owner (Alice) once, and her Home shows the method failing. A Vonage
SMS or call never reported in time brings the next rule forward as Twilio's does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import pytest

from emulator import Channel, FakeNtfy, FakeTwilio, FakeVonage, SlackEmulator
from emulator.vonage import application_key
from tests.conftest import ALICE, CAROL, Warroom
from tests.home.test_app_home import open_home
from tests.paging.conftest import PUBLIC_URL, owned_schedules, paging_warroom, trouble
from tests.paging.scenario import declare_sev1, notifications

PHONE = "+15555550123"
TOPIC = "carol-7f3a9c"


class Fakes(NamedTuple):
    twilio: FakeTwilio
    vonage: FakeVonage
    ntfy: FakeNtfy
    key_file: Path  # the Vonage application's private key


def carol(first: str, provider: str) -> dict[str, Any]:
    """Carol's contacts: ``first`` (sms or call) at once through ``provider``, push at 10
    minutes."""
    through = {"provider": provider} if provider == "vonage" else {}
    kind = "sms" if first == "sms" else "voice"
    return {
        "people": {
            CAROL: {
                "contacts": {first: {kind: PHONE, **through}, "push": {"ntfy": TOPIC}},
                "rules": [
                    {"after": "0s", "notify": [first]},
                    {"after": "10m", "notify": ["push"]},
                ],
            }
        }
    }


@pytest.fixture
async def fakes(tmp_path: Path) -> AsyncIterator[Fakes]:
    key_file, public_key = application_key(tmp_path)
    async with (
        FakeTwilio() as twilio,
        FakeVonage(public_key=public_key) as vonage,
        FakeNtfy() as ntfy,
    ):
        vonage.status_url = f"{PUBLIC_URL}/vonage/status"
        yield Fakes(twilio, vonage, ntfy, key_file)


class PageCarol(Protocol):
    async def __call__(
        self, first: str, provider: str, database_url: str | None = None
    ) -> tuple[Warroom, Channel]: ...


@pytest.fixture
async def page_carol(
    slack: SlackEmulator, sqlite_url: str, tmp_path: Path, fakes: Fakes
) -> AsyncIterator[PageCarol]:
    """Serve warroom with Carol reached first by ``first`` through ``provider`` (``carol``),
    Alice the owner of her schedule, Twilio and Vonage both set up, until the test ends; and
    declare the SEV1 that pages her: warroom and the incident's channel. On SQLite unless
    given ``database_url``."""
    vonage = fakes.vonage
    environ = {
        "WARROOM_VONAGE_APPLICATION_ID": vonage.application_id,
        "WARROOM_VONAGE_PRIVATE_KEY_FILE": str(fakes.key_file),
        "WARROOM_VONAGE_API_KEY": vonage.api_key,
        "WARROOM_VONAGE_SIGNATURE_SECRET": vonage.signature_secret,
        "WARROOM_VONAGE_FROM": "+" + vonage.numbers[0],
        "WARROOM_VONAGE_API_URL": vonage.root,
    }
    async with AsyncExitStack() as serving:

        async def page(
            first: str, provider: str, database_url: str | None = None
        ) -> tuple[Warroom, Channel]:
            warroom = await serving.enter_async_context(
                paging_warroom(
                    slack,
                    database_url or sqlite_url,
                    tmp_path,
                    (fakes.twilio, fakes.ntfy),
                    carol(first, provider),
                    schedules_file=owned_schedules(),
                    environ=environ,
                )
            )
            vonage.reach = (PUBLIC_URL, warroom.url)
            return warroom, await declare_sev1(warroom)

        yield page


def said(warroom: Warroom, channel_id: str) -> list[str]:
    texts = [m.text for m in warroom.slack.channels[channel_id].messages]
    return [text for text in texts if "instead of at its offset" in text]


def fired(method: str, contact: str, words: str, *, unconfirmed: bool = False) -> str:
    how = "not confirmed in time" if unconfirmed else "failed"
    return (
        f":rotating_light: {method} ({contact}) to <@{CAROL}> {how}: {words}. Their rule 2 "
        "(push) fires now instead of at its offset."
    )


@pytest.mark.parametrize(
    ("status", "sip", "error", "words", "blames"),
    [
        ("failed", None, 13224, "Twilio cannot call this number: it is invalid or not "
         "supported (error 13224)", True),
        ("failed", 404, None, "the network does not know the number (SIP 404)", True),
        ("failed", None, 13227, "the Twilio account may not call this country: its "
         "geographic permissions (error 13227)", False),
        ("busy", 486, None, "the phone was busy (SIP 486)", False),
        ("no-answer", 480, None, "the phone was unavailable: off or out of coverage (SIP 480)",
         False),
    ],
)  # fmt: skip
async def test_a_twilio_call_s_error_code_and_sip_response_are_said_in_words(
    page_carol: PageCarol,
    fakes: Fakes,
    status: str,
    sip: int | None,
    error: int | None,
    words: str,
    blames: bool,
) -> None:
    twilio, ntfy = fakes.twilio, fakes.ntfy
    warroom, channel = await page_carol("call", "twilio")
    (call,) = twilio.calls
    assert await twilio.hang_up(call, status, error_code=error, sip_code=sip) == 200
    await warroom.run_jobs()
    assert len(ntfy.phone(TOPIC)) == 1  # at once, not at 10 minutes
    assert said(warroom, channel.id) == [fired("call", "call", words)]
    assert PHONE not in warroom.slack.transcript(channel.id)
    if blames:
        assert trouble(warroom, CAROL) == [
            f":warning: Your call contact *call* does not work: {words}. Pages will not "
            "reach you that way until it is fixed: change it in the contacts file or with "
            "`/oncall contact`, then check it with `/oncall contact test call`."
        ]
        assert len(trouble(warroom, ALICE)) == 1
        (methods, _) = (await open_home(warroom, CAROL))["How pages reach you"]
        assert f":warning: *failing*: {words}" in methods
    else:
        assert trouble(warroom, CAROL) == [] and trouble(warroom, ALICE) == []
    # Twilio repeats its callback: nothing is said or told twice.
    assert await twilio.hang_up(call, status, error_code=error, sip_code=sip) == 200
    await warroom.run_jobs()
    assert len(said(warroom, channel.id)) == 1 and len(trouble(warroom, CAROL)) == int(blames)


async def test_a_twilio_call_answered_and_completed_says_nothing_of_its_sip_200(
    page_carol: PageCarol, fakes: Fakes
) -> None:
    twilio, ntfy = fakes.twilio, fakes.ntfy
    warroom, channel = await page_carol("call", "twilio")
    (call,) = twilio.calls
    await twilio.answer(call)
    assert await twilio.hang_up(call) == 200
    await warroom.run_jobs()
    assert ntfy.phone(TOPIC) == [] and said(warroom, channel.id) == []


@pytest.mark.parametrize(
    ("status", "detail", "words", "blames"),
    [
        ("failed", "invalid_number", "Vonage says the number is not a valid phone number", True),
        ("failed", "number_out_of_service", "the number is out of service", True),
        ("rejected", "restricted", "the carrier refused the call", False),
        ("rejected", "declined", "the person declined the call", False),
        ("busy", None, "the phone was busy", False),
        ("timeout", None, "nobody answered before the ringing stopped", False),
        ("unanswered", None, "nobody answered", False),
        ("failed", "cannot_route", "Vonage could not route the call to the number's network",
         False),
    ],
)  # fmt: skip
async def test_a_vonage_call_that_did_not_reach_carol_fires_her_next_rule_with_why(
    page_carol: PageCarol,
    fakes: Fakes,
    status: str,
    detail: str | None,
    words: str,
    blames: bool,
) -> None:
    twilio, vonage, ntfy = fakes.twilio, fakes.vonage, fakes.ntfy
    warroom, channel = await page_carol("call", "vonage")
    (call,) = vonage.calls
    assert await vonage.hang_up(call, status, detail=detail) == 204
    await warroom.run_jobs()
    assert len(ntfy.phone(TOPIC)) == 1
    assert said(warroom, channel.id) == [fired("call", "call", words)]
    assert len(trouble(warroom, CAROL)) == len(trouble(warroom, ALICE)) == int(blames)
    assert twilio.calls == [] and PHONE[1:] not in warroom.slack.transcript(channel.id)


@pytest.mark.parametrize(
    ("status", "words"),
    [
        ("rejected", "Vonage or the carrier rejected the SMS (error 1320)"),
        ("undeliverable", "Vonage could not reach the carrier to deliver the SMS (error 1320)"),
    ],
)
async def test_a_vonage_sms_rejected_or_undeliverable_fires_the_next_rule_at_once(
    page_carol: PageCarol, fakes: Fakes, status: str, words: str
) -> None:
    vonage, ntfy = fakes.vonage, fakes.ntfy
    warroom, channel = await page_carol("sms", "vonage")
    (sms,) = vonage.messages
    assert await vonage.deliver(sms, status) == 204
    await warroom.run_jobs()
    assert len(ntfy.phone(TOPIC)) == 1
    assert said(warroom, channel.id) == [fired("SMS", "sms", words)]
    assert trouble(warroom, CAROL) == []


@pytest.mark.parametrize(("first", "words"), [
    ("sms", "Vonage did not report it delivered within 2 min"),
    ("call", "Vonage did not report the call answered within 2 min"),
])  # fmt: skip
async def test_a_vonage_sms_or_call_never_reported_brings_the_push_forward_after_the_wait(
    page_carol: PageCarol, database_url: str, fakes: Fakes, first: str, words: str
) -> None:
    vonage, ntfy = fakes.vonage, fakes.ntfy
    warroom, channel = await page_carol(first, "vonage", database_url)
    assert len(vonage.messages) + len(vonage.calls) == 1  # taken; Vonage reports nothing
    await warroom.advance(minutes=1, seconds=59)
    assert ntfy.phone(TOPIC) == [] and said(warroom, channel.id) == []
    await warroom.advance(seconds=1)
    assert len(ntfy.phone(TOPIC)) == 1  # at 2 minutes, not at 10
    method = "SMS" if first == "sms" else "call"
    assert said(warroom, channel.id) == [fired(method, first, words, unconfirmed=True)]


async def test_a_vonage_sms_delivered_in_time_leaves_the_push_at_its_offset(
    page_carol: PageCarol, fakes: Fakes
) -> None:
    vonage, ntfy = fakes.vonage, fakes.ntfy
    warroom, channel = await page_carol("sms", "vonage")
    (sms,) = vonage.messages
    await warroom.advance(seconds=30)
    assert await vonage.deliver(sms) == 204
    await warroom.advance(minutes=9, seconds=29)
    assert ntfy.phone(TOPIC) == [] and said(warroom, channel.id) == []
    await warroom.advance(seconds=1)
    assert len(ntfy.phone(TOPIC)) == 1 and said(warroom, channel.id) == []


async def test_a_report_on_an_sms_warroom_never_sent_is_answered_404_and_changes_nothing(
    page_carol: PageCarol, database_url: str, fakes: Fakes
) -> None:
    """A status callback signed as Twilio signs it, on a message id no notification ever had
    (a stranger's account sharing the URL, a report meant for another deployment): 404, and
    Carol's page stands as it was."""
    twilio, ntfy = fakes.twilio, fakes.ntfy
    warroom, channel = await page_carol("sms", "twilio", database_url)
    (sms,) = twilio.messages
    stranger = replace(sms, sid="SM" + "0" * 32)
    assert await twilio.deliver(stranger, "undelivered") == 404
    await warroom.run_jobs()
    states = [(n.method, n.state) for n in await notifications(warroom)]
    assert states == [("sms", "sent"), ("ntfy", "pending")]  # the push still at 10 minutes
    assert ntfy.phone(TOPIC) == [] and said(warroom, channel.id) == []
    assert await twilio.deliver(sms) == 200  # its own report is kept as before
    assert (await notifications(warroom))[0].state == "delivered"
