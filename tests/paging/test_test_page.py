"""``/oncall test-page`` end to end: a signed slash command into the real server; the test
goes out through Slack (the emulator), push (the fake ntfy), SMS and a call (the fake Twilio)
and email (aiosmtpd on 127.0.0.1), each saying it is a test; the reply says what went out and
what failed; it is kept as a test page of the person's, in no incident."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from bot.store.db import session_scope
from bot.store.models import Notification, PageTest, TimelineEntry
from emulator import FakeNtfy, FakeTwilio
from tests.conftest import BOB, CAROL, Warroom
from tests.helpers.mail import Mailbox
from tests.home.test_app_home import open_home
from tests.oncall.test_oncall_command import oncall
from tests.paging.conftest import Phones, phone_paging
from tests.paging.scenario import NOW

PHONE = "+15555550123"
TOPIC = "carol-7f3a9c"
ADDRESS = "carol@example.com"
PUBLIC_URL = "https://warroom.example.com"
TEST_WORDS = "This is a test from warroom"
CONTACTS = {
    "people": {
        CAROL: {
            "contacts": {
                "push": {"ntfy": TOPIC},
                "sms": {"sms": PHONE},
                "call": {"voice": PHONE},
                "mail": {"email": ADDRESS},
            },
        }
    }
}


@pytest.fixture
def warroom_settings(
    sqlite_url: str,
    tmp_path: Path,
    phones: Phones,
    mailbox: tuple[Mailbox, int],
) -> dict[str, object]:
    return phone_paging(sqlite_url, tmp_path, phones, CONTACTS, mailbox=mailbox)


async def test_a_test_page_goes_out_through_every_method_and_says_what_failed(
    warroom: Warroom, phones: tuple[FakeTwilio, FakeNtfy], mailbox: tuple[Mailbox, int]
) -> None:
    twilio, ntfy = phones
    twilio.landlines.add(PHONE)  # SMS refused for good (21614); the call still rings
    said = await oncall(warroom, "test-page", user=CAROL)

    (dm,) = warroom.slack.direct_messages(CAROL)
    assert dm.text.startswith(TEST_WORDS)
    (push,) = ntfy.phone(TOPIC)
    assert push.title == "warroom: a test page" and push.message.startswith(TEST_WORDS)
    (call,) = twilio.phone(PHONE).calls
    assert TEST_WORDS in call.twiml
    assert twilio.phone(PHONE).messages == []
    (mail,) = mailbox[0].messages
    assert mail["Subject"] == "warroom: a test page" and mail["To"] == ADDRESS

    assert ":test_tube: Test page sent Tue 03 Mar 02:00 UTC, each saying it is a test: 4 " in said
    assert "went out, 1 failed." in said
    assert ":white_check_mark: slack (Slack direct message): sent" in said
    assert ":white_check_mark: push (push ••••••): sent" in said
    assert ":white_check_mark: call (call +1 •••• 0123): sent" in said
    assert ":white_check_mark: mail (email c•••@example.com): sent" in said
    assert ":x: sms (SMS +1 •••• 0123): Twilio says the number cannot receive SMS" in said
    assert PHONE not in said and ADDRESS not in said

    async with session_scope(warroom.engine) as session:
        (kept,) = (await session.exec(select(PageTest))).all()
        # In no incident: no page, no notification, nothing in any record.
        assert (await session.exec(select(Notification))).all() == []
        assert (await session.exec(select(TimelineEntry))).all() == []
    assert (kept.user_id, kept.tested_at) == (CAROL, NOW)
    assert {r["contact"]: r["failure"] is None for r in kept.results} == {
        "slack": True,
        "push": True,
        "sms": False,
        "call": True,
        "mail": True,
    }


async def test_without_a_verified_method_nothing_is_sent_and_it_says_why(
    warroom: Warroom, phones: tuple[FakeTwilio, FakeNtfy]
) -> None:
    twilio, _ = phones
    await oncall(warroom, "contact add sms +14155550199", user=BOB)  # a code, not verified
    said = await oncall(warroom, "test-page", user=BOB)
    assert ":no_entry: Nothing was sent: you have no verified contact method to test" in said
    assert "or verify `sms` with the code sent to it" in said
    assert warroom.slack.direct_messages(BOB) == []
    assert len(twilio.messages) == 1  # the code only
    async with session_scope(warroom.engine) as session:
        assert (await session.exec(select(PageTest))).all() == []
    said = await oncall(warroom, "test-page now", user=BOB)
    assert "`/oncall test-page` takes nothing more" in said


async def test_the_home_shows_her_methods_masked_her_rules_and_her_last_test(
    warroom: Warroom, phones: tuple[FakeTwilio, FakeNtfy]
) -> None:
    twilio, _ = phones
    home = await open_home(warroom, CAROL)
    (methods, last) = home["How pages reach you"]
    assert "• `call` call +1 •••• 0123 through Twilio (the contacts file's)" in methods
    assert "• `mail` email c•••@example.com (the contacts file's)" in methods
    assert "*Your rules* (the defaults): after 0s: slack" in methods
    assert last == "*No test page yet*: `/oncall test-page` tries every verified method."

    twilio.landlines.add(PHONE)
    await oncall(warroom, "test-page", user=CAROL)
    await oncall(warroom, "rules 0s slack push, 2m call", user=CAROL)
    (methods, last) = (await open_home(warroom, CAROL))["How pages reach you"]
    assert "*Your rules* (your own): after 0s: slack, push; after 2m: call" in methods
    assert last.startswith("*Your last test page*: Tue 03 Mar 02:00 UTC: went out through slack,")
    assert last.endswith("; failed through sms")
    assert PHONE not in methods + last and ADDRESS not in methods

    # Bob: no contacts file entry, nothing of his own: the file's default rules still page
    # him, and the Home says so.
    (methods, _) = (await open_home(warroom, BOB))["How pages reach you"]
    assert "None: only Slack reaches you." in methods
