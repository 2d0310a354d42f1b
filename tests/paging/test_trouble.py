"""Provider trouble said to people: Twilio says Carol's number unsubscribed (21610) or
invalid, her mail server bounces her address, her ntfy topic answers 403. She and the owner
of her schedule (Alice) get a DM once, not on every page; her App Home shows the method as
failing; ``/oncall contact test`` says why. Fakes over HTTP and a real SMTP server."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from emulator import FakeNtfy, FakeTwilio, SlackEmulator
from tests.conftest import ALICE, CAROL, Clock, Warroom, running_warroom
from tests.helpers.incidents import command, open_incident
from tests.oncall.test_oncall_command import oncall
from tests.paging.scenario import (
    NOW,
    SCHEDULES,
    declare_sev1,
    paging_settings,
    phone_environ,
)
from tests.paging.test_email import REFUSED, Mailbox, free_port
from tests.slack.test_app_home import open_home

PHONE = "+15555550123"
TOPIC = "carol-7f3a9c"
PUBLIC_URL = "https://warroom.example.com"
CONTACTS = {
    "people": {
        CAROL: {
            "contacts": {
                "sms": {"sms": PHONE},
                "push": {"ntfy": TOPIC},
                "mail": {"email": REFUSED},
            },
            "rules": [{"after": "0s", "notify": ["sms"]}, {"after": "10m", "notify": ["push"]}],
        }
    }
}


def owned_schedules() -> dict[str, object]:
    schedules = copy.deepcopy(SCHEDULES)
    schedules["schedules"]["night"]["owners"] = [ALICE]  # type: ignore[index]
    return schedules


@pytest.fixture
def mailbox() -> Iterator[int]:
    port = free_port()
    controller = Controller(Mailbox(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
async def providers() -> AsyncIterator[tuple[FakeTwilio, FakeNtfy]]:
    async with FakeTwilio() as twilio, FakeNtfy() as ntfy:
        yield twilio, ntfy


@pytest.fixture
async def warroom(
    slack: SlackEmulator,
    sqlite_url: str,
    tmp_path: Path,
    providers: tuple[FakeTwilio, FakeNtfy],
    mailbox: int,
) -> AsyncIterator[Warroom]:
    twilio, ntfy = providers
    settings = paging_settings(
        tmp_path,
        CONTACTS,
        schedules_file=owned_schedules(),
        **phone_environ(twilio, ntfy, PUBLIC_URL),
        WARROOM_SMTP_URL=f"smtp://127.0.0.1:{mailbox}",
        # A relay on 127.0.0.1 without credentials or STARTTLS, as the operator allows.
        WARROOM_SMTP_PLAINTEXT="true",
        WARROOM_SMTP_FROM="warroom@example.com",
    )
    async with running_warroom(slack, sqlite_url, Clock(NOW), **settings) as running:
        twilio.reach = (PUBLIC_URL, running.url)
        yield running


def trouble(warroom: Warroom, user: str) -> list[str]:
    return [m.text for m in warroom.slack.direct_messages(user) if "does not work" in m.text]


async def test_an_unsubscribed_number_is_said_to_her_and_the_owner_once(
    warroom: Warroom, providers: tuple[FakeTwilio, FakeNtfy]
) -> None:
    twilio, ntfy = providers
    twilio.unsubscribed.add(PHONE)
    await declare_sev1(warroom)
    assert trouble(warroom, CAROL) == [
        ":warning: Your SMS contact *sms* does not work: the person has unsubscribed from this "
        "number's SMS (error 21610). Pages will not reach you that way until it is fixed: change "
        "it in the contacts file or with `/oncall contact`, then check it with `/oncall contact "
        "test sms`."
    ]
    assert trouble(warroom, ALICE) == [
        f":warning: <@{CAROL}>'s SMS contact *sms* does not work: the person has unsubscribed "
        "from this number's SMS (error 21610). Pages will not reach them that way until it is "
        "fixed (you own a schedule they are on)."
    ]
    assert len(ntfy.phone(TOPIC)) == 1  # and the next rule went at once
    second = await open_incident(warroom, "Search is slow")
    await command(warroom, second, "sev 1")
    await warroom.run_jobs()
    assert len(trouble(warroom, CAROL)) == 1 and len(trouble(warroom, ALICE)) == 1
    for said in (*trouble(warroom, CAROL), *trouble(warroom, ALICE)):
        assert PHONE not in said

    (methods, _) = (await open_home(warroom, CAROL))["How pages reach you"]
    assert (
        "• `sms` SMS +1 •••• 0123 through Twilio (the contacts file's) :warning: *failing*: the "
        "person has unsubscribed from this number's SMS (error 21610) (`/oncall contact test "
        "sms`)"
    ) in methods
    said = await oncall(warroom, "contact test sms", user=CAROL)
    assert "unsubscribed from this number's SMS (error 21610)" in said


async def test_a_bouncing_address_and_a_forbidden_topic_are_said(
    warroom: Warroom, providers: tuple[FakeTwilio, FakeNtfy]
) -> None:
    twilio, ntfy = providers
    said = await oncall(warroom, "contact test mail", user=CAROL)
    assert "refused the address (reply 550)" in said
    ntfy.fail(403, times=1)
    twilio.fail(500, times=50)
    await declare_sev1(warroom)  # the SMS fails (5xx: not the number's fault), push 403
    texts = trouble(warroom, CAROL)
    assert (
        len(texts) == 1
        and "push contact *push* does not work: ntfy answered HTTP 403" in (texts[0])
    )
