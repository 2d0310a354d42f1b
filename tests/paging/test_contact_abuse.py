"""``/oncall contact`` and ``/oncall test-page`` used as an attacker would, over the wire: signed
slash commands into the real server, codes and tests reaching the fake Twilio
(emulator/twilio.py, Twilio's REST API) and the fake ntfy (emulator/ntfy.py, ntfy's publishing
API), SMS replies signed as Twilio signs them.

- codes are limited per person and per destination, in the database (a restart, or another
  replica, counts the same), and test pages to one a minute; each refusal says when next;
- numbers are classified (libphonenumber): premium-rate, shared-cost, unknown and other
  countries' numbers are refused before anything is sent;
- the code's message names who asked, the workspace, and says to ignore it otherwise;
- a code is void after 5 wrong tries;
- a number or address the contacts file or another person holds cannot be claimed, and an
  SMS reply acts for the number's owner only;
- an ntfy topic is warroom's, random, shown once to its owner and never again.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.config.reading import ConfigError
from bot.store.db import session_scope
from bot.store.models import ContactMethod
from emulator import FakeNtfy, FakeTwilio, SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom, running_warroom
from tests.helpers.incidents import settle
from tests.helpers.web_view import browser, sign_in, web_settings
from tests.home.test_app_home import open_home
from tests.oncall.test_oncall_command import general, oncall
from tests.oncall.test_oncall_web import page, text_of
from tests.paging.scenario import NOW, declare_sev1, paging_settings, person_pages, phone_environ

PUBLIC_URL = "https://warroom.example.com"
# Carol's, given by the operator's contacts file.
CAROL_PHONE = "+14155550123"
CONTACTS = {
    "people": {
        CAROL: {
            "contacts": {"sms": {"sms": CAROL_PHONE}, "mail": {"email": "carol@example.com"}},
            "rules": [{"after": "0s", "notify": ["slack", "sms"]}],
        }
    }
}
# Valid United States numbers (libphonenumber's data), nobody's in the file.
MINE = "+14155550199"
THEIRS = "+14155550188"


def abuse_settings(
    slack: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    phones: tuple[FakeTwilio, FakeNtfy],
    clock: Clock,
    **overrides: object,
) -> dict[str, object]:
    twilio, ntfy = phones
    settings: dict[str, Any] = paging_settings(
        tmp_path,
        CONTACTS,
        **phone_environ(twilio, ntfy, PUBLIC_URL),
        WARROOM_PHONE_COUNTRIES="US,CA",
        # The file's address needs a mail server; no test here sends mail.
        WARROOM_SMTP_URL="smtp://127.0.0.1:9",
        WARROOM_SMTP_FROM="warroom@example.com",
    )

    async def ready(running: Warroom) -> None:
        twilio.reach = (PUBLIC_URL, running.url)

    return {
        "database_url": database_url,
        "clock": clock,
        **web_settings(slack, **{**settings, **overrides}),
        "ready": ready,
    }


@asynccontextmanager
async def started(
    slack: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    phones: tuple[FakeTwilio, FakeNtfy],
    clock: Clock,
    **overrides: object,
) -> AsyncIterator[Warroom]:
    """The bot of ``abuse_settings`` until the block ends."""
    options = abuse_settings(slack, database_url, tmp_path, phones, clock, **overrides)
    ready = options.pop("ready")
    async with running_warroom(slack, **options) as running:
        await ready(running)
        yield running


@pytest.fixture
def warroom_settings(
    slack: SlackEmulator, database_url: str, tmp_path: Path, phones: tuple[FakeTwilio, FakeNtfy]
) -> dict[str, object]:
    """On SQLite and on PostgreSQL: the limits' locks and counts are the database's."""
    return abuse_settings(slack, database_url, tmp_path, phones, Clock(NOW))


def codes(twilio: FakeTwilio, number: str) -> list[str]:
    return [
        code
        for body in twilio.phone(number).messages
        for code in re.findall(r"verification code is (\d{6})", body)
    ]


async def test_codes_are_limited_per_person_and_per_destination_across_restarts(
    slack: SlackEmulator, database_url: str, tmp_path: Path, phones: tuple[FakeTwilio, FakeNtfy]
) -> None:
    """On SQLite and on PostgreSQL (the counts and their times are the database's)."""
    twilio, _ = phones
    clock = Clock(NOW)
    async with started(slack, database_url, tmp_path, phones, clock) as warroom:
        for _ in range(3):
            said = await oncall(warroom, f"contact add sms {MINE}", user=ALICE)
            assert "A code went to your sms +1 •••• 0199" in said
        said = await oncall(warroom, f"contact add voice {MINE}", user=ALICE)
    assert said == (
        ":hourglass: No code sent: you have asked for 3 codes in the last hour, the most "
        "allowed. The next one may be asked Tue 03 Mar 03:00 UTC."
    )
    assert len(codes(twilio, MINE)) == 3 and twilio.phone(MINE).calls == []

    # Counted in the database: warroom started again (or another replica) counts the same.
    async with started(slack, database_url, tmp_path, phones, clock) as warroom:
        said = await oncall(warroom, f"contact add sms {THEIRS}", user=ALICE)
        assert said.startswith(":hourglass: No code sent: you have asked for 3 codes")
        # Another person asking for the same number: it had 3 codes this hour, whoever asked.
        said = await oncall(warroom, f"contact add sms {MINE}", user=BOB)
        assert said.startswith(":hourglass: No code sent: this number has been sent 3 codes")
        assert len(codes(twilio, MINE)) == 3 and codes(twilio, THEIRS) == []

        await warroom.advance(minutes=60)
        said = await oncall(warroom, f"contact add sms {THEIRS}", user=ALICE)
        assert "A code went to your sms +1 •••• 0188" in said
        # Six in a day at most, per person: three more hours, three more codes.
        for _ in range(2):
            await warroom.advance(minutes=60)
            await oncall(warroom, f"contact add sms {THEIRS}", user=ALICE)
        await warroom.advance(minutes=60)
        await oncall(warroom, f"contact add sms {THEIRS}", user=ALICE)
        assert len(codes(twilio, THEIRS)) == 3
        said = await oncall(warroom, f"contact add sms {THEIRS}", user=ALICE)
        assert said == (
            ":hourglass: No code sent: you have asked for 6 codes in the last day, the most "
            "allowed. The next one may be asked Wed 04 Mar 02:00 UTC."
        )


async def test_premium_shared_cost_unknown_and_other_countries_numbers_are_refused(
    warroom: Warroom, phones: tuple[FakeTwilio, FakeNtfy]
) -> None:
    twilio, _ = phones
    refused = {
        "+19005550123": "that is a premium-rate number, which warroom never texts or calls",
        "+33810123456": "that is a shared-cost number, which warroom never texts or calls",
        "+15555550199": "that is not a number in use in any country's numbering plan",
        "+33612345678": "numbers of FR are not allowed here (allowed: CA, US)",
    }
    for number, problem in refused.items():
        for method in ("sms", "voice"):
            said = await oncall(warroom, f"contact add {method} {number}", user=ALICE)
            assert said == (
                f":no_entry: Not added: {problem}. Add a mobile or landline number (your "
                "operator may allow only some countries)."
            )
    assert twilio.messages == [] and twilio.calls == []
    said = await oncall(warroom, "contact", user=ALICE)
    assert "None yet" in said


async def test_the_code_names_who_asked_and_where_and_says_to_ignore_it_otherwise(
    warroom: Warroom, phones: tuple[FakeTwilio, FakeNtfy]
) -> None:
    twilio, _ = phones
    await oncall(warroom, f"contact add sms {MINE}", user=ALICE)
    (body,) = twilio.phone(MINE).messages
    name = warroom.slack.users[ALICE].real_name
    assert f"{name} asked for it in the Slack workspace warroom-demo.slack.com" in body
    assert "If it was not you, ignore this message" in body


async def test_a_code_is_void_after_five_wrong_tries(
    warroom: Warroom, phones: tuple[FakeTwilio, FakeNtfy], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    twilio, _ = phones
    await oncall(warroom, f"contact add sms {MINE}", user=ALICE)
    (code,) = codes(twilio, MINE)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for left in (4, 3, 2, 1):
        said = await oncall(warroom, f"contact verify sms {wrong}", user=ALICE)
        assert said.startswith(f":x: That is not the code sent to your sms: {left} tr")
    said = await oncall(warroom, f"contact verify sms {wrong}", user=ALICE)
    assert said == (
        ":x: The code sent to your sms is void after 5 wrong tries. Add the sms again for a "
        "new one."
    )
    said = await oncall(warroom, f"contact verify sms {code}", user=ALICE)
    assert said.startswith(":x: The code sent to your sms is void")
    said = await oncall(warroom, "contact test sms", user=ALICE)
    assert "no contact method called `sms`" in said  # it never became one that pages
    assert MINE not in caplog.text and MINE[-4:] + " " not in caplog.text
    assert code not in caplog.text and wrong not in caplog.text


def logged_above_debug(caplog: pytest.LogCaptureFixture) -> str:
    """Every record above DEBUG, as written (its message and its exception)."""
    return "\n".join(
        f"{record.getMessage()} {record.exc_text or ''}"
        for record in caplog.records
        if record.levelno > logging.DEBUG
    )


async def test_a_number_or_address_the_file_or_someone_else_holds_cannot_be_claimed(
    warroom: Warroom, phones: tuple[FakeTwilio, FakeNtfy], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    twilio, _ = phones
    for command in (f"contact add voice {CAROL_PHONE}", "contact add email Carol@Example.com"):
        said = await oncall(warroom, command, user=ALICE)
        assert "the contacts file gives this" in said and "and the file wins" in said, said
    assert twilio.phone(CAROL_PHONE).messages == []

    # Alice verifies a number; Bob then cannot claim it, by SMS or by voice.
    await oncall(warroom, f"contact add sms {MINE}", user=ALICE)
    (code,) = codes(twilio, MINE)
    assert "is verified" in await oncall(warroom, f"contact verify sms {code}", user=ALICE)
    said = await oncall(warroom, f"contact add voice {MINE}", user=BOB)
    assert said == (
        ":no_entry: Not added: someone else has verified this number already. A number or "
        "address pages one person; ask your operator if it should be yours."
    )
    assert len(twilio.phone(MINE).messages) == 1 and twilio.phone(MINE).calls == []
    logged = logged_above_debug(caplog)
    for secret in (CAROL_PHONE, "carol@example.com", MINE, MINE[-4:] + " ", code):
        assert secret.lower() not in logged.lower(), secret


async def test_an_sms_reply_acts_for_the_person_the_file_gives_the_number_to(
    warroom: Warroom, phones: tuple[FakeTwilio, FakeNtfy], caplog: pytest.LogCaptureFixture
) -> None:
    """Alice verified Carol's number before this release refused it (kept as it was then):
    Carol's "1" still acknowledges Carol's page, and Alice is never paged there."""
    caplog.set_level(logging.DEBUG)
    twilio, _ = phones
    async with session_scope(warroom.engine) as session:
        session.add(
            ContactMethod(
                user_id=ALICE,
                name="sms",
                kind="sms",
                address=CAROL_PHONE,
                created_at=NOW,
                verified_at=NOW,
            )
        )
        await session.commit()
    await declare_sev1(warroom)
    _, reply = await twilio.reply(CAROL_PHONE, "1")
    assert reply is not None and reply.startswith("Acknowledged INC-1 SEV1"), reply
    (page,) = await person_pages(warroom)
    assert (page.user_id, page.state, page.acknowledged_via) == (CAROL, "acknowledged", "sms")
    said = await oncall(warroom, "contact test sms", user=ALICE)
    assert "no contact method called `sms`" in said  # the file wins: Alice's is not used
    # A reply from a number nobody holds is answered, and its number is not logged either.
    _, unknown = await twilio.reply(THEIRS, "1")
    assert unknown is not None
    logged = logged_above_debug(caplog)
    assert CAROL_PHONE not in logged and THEIRS not in logged and THEIRS[-4:] + " " not in logged


async def test_an_ntfy_topic_is_warrooms_random_and_shown_once(
    slack: SlackEmulator,
    sqlite_url: str,
    tmp_path: Path,
    phones: tuple[FakeTwilio, FakeNtfy],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    # Signed in at the server's own address (the emulator's sign-in returns there).
    async with started(
        slack, sqlite_url, tmp_path, phones, Clock(NOW), web__public_url=""
    ) as warroom:
        topic, code = await _topic_shown_once(warroom, phones[1])
    assert topic not in caplog.text and code not in caplog.text


async def _topic_shown_once(warroom: Warroom, ntfy: FakeNtfy) -> tuple[str, str]:
    said = await oncall(warroom, "contact add ntfy alice-pages", user=ALICE)
    assert said.startswith(":no_entry: warroom makes your ntfy topic")
    assert ntfy.published == []

    said = await oncall(warroom, "contact add ntfy", user=ALICE)
    (topic,) = re.findall(r"Your ntfy topic is `([-_A-Za-z0-9]+)`", said)
    assert len(topic) >= 22  # 128 bits at least, 6 bits a character
    assert f"{ntfy.root}/{topic}" in said
    (pushed,) = ntfy.phone(topic)
    (code,) = re.findall(r"verification code is (\d{6})", pushed.message)
    said = await oncall(warroom, f"contact verify ntfy {code}", user=ALICE)
    assert "Your ntfy •••••• is verified" in said and topic not in said

    for seen in (
        await oncall(warroom, "contact", user=ALICE),
        "\n".join(line for lines in (await open_home(warroom, ALICE)).values() for line in lines),
    ):
        assert "••••••" in seen and topic[:4] not in seen
    async with browser() as bob:
        await sign_in(bob, warroom, BOB)
        status, html = await page(bob, f"{warroom.url}/oncall/people/{ALICE}")
        assert status == 200 and "••••••" in text_of(html)
        assert topic not in html and topic[:4] not in html
    return topic, code


async def test_test_pages_are_one_a_minute(
    warroom: Warroom, phones: tuple[FakeTwilio, FakeNtfy]
) -> None:
    twilio, _ = phones
    said = await oncall(warroom, "test-page", user=CAROL)
    assert said.startswith(":test_tube: Test page sent")
    for command in ("test-page", "contact test sms"):
        said = await oncall(warroom, command, user=CAROL)
        assert said == (
            ":hourglass: No test sent: one test page every 1m at most. The next one may be "
            "sent 02:01:00 UTC."
        )
    assert len(twilio.phone(CAROL_PHONE).messages) == 1
    await warroom.advance(minutes=1)
    said = await oncall(warroom, "contact test sms", user=CAROL)
    assert ":white_check_mark: sms (SMS +1 •••• 0123): sent" in said
    assert len(twilio.phone(CAROL_PHONE).messages) == 2


def test_a_country_list_that_names_no_country_is_refused_at_start() -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"WARROOM_PHONE_COUNTRIES": "US, xx", "WARROOM_CODES_PER_HOUR": "0"})
    assert "WARROOM_PHONE_COUNTRIES" in str(refused.value)
    assert "not ISO 3166-1 alpha-2 country codes: XX" in str(refused.value)
    assert "WARROOM_CODES_PER_HOUR" in str(refused.value) and "at least 1, got 0" in str(
        refused.value
    )


async def test_requests_typed_at_once_pass_a_limit_no_more_often_than_one_after_another(
    warroom: Warroom, phones: tuple[FakeTwilio, FakeNtfy]
) -> None:
    """Six code requests and three test pages arriving together (several replicas, or a
    script): three codes, one test."""
    twilio, _ = phones
    slack = warroom.slack

    async def typed(text: str, user: str) -> None:
        answer = await slack.send_command(
            text, user=user, channel=general(slack), command="/oncall"
        )
        assert answer.status == 200

    await asyncio.gather(*(typed(f"contact add sms {MINE}", ALICE) for _ in range(6)))
    await asyncio.gather(*(typed("test-page", CAROL) for _ in range(3)))
    await settle(warroom)
    assert len(codes(twilio, MINE)) == 3
    assert len(twilio.phone(CAROL_PHONE).messages) == 1
    said = "\n".join(m.text for m in slack.ephemeral_for(ALICE))
    assert said.count(":hourglass: No code sent") == 3
