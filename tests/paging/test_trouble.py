"""Provider trouble said to people: Twilio says Carol's number unsubscribed (21610) or
invalid, her mail server bounces her address, her ntfy topic answers 403. She and the owner
of her schedule (Alice) get a DM once, not on every page; her App Home shows the method as
failing; ``/oncall contact test`` says why. Fakes over HTTP and a real SMTP server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ALICE, CAROL, Warroom
from tests.helpers.incidents import command, open_incident
from tests.helpers.mail import Mailbox
from tests.home.test_app_home import open_home
from tests.oncall.test_oncall_command import oncall
from tests.paging.conftest import Phones, owned_schedules, phone_paging, trouble
from tests.paging.scenario import (
    declare_sev1,
)
from tests.paging.test_email import REFUSED

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


@pytest.fixture
def warroom_settings(
    sqlite_url: str,
    tmp_path: Path,
    phones: Phones,
    mailbox: tuple[Mailbox, int],
) -> dict[str, object]:
    return phone_paging(
        sqlite_url,
        tmp_path,
        phones,
        CONTACTS,
        mailbox=mailbox,
        schedules_file=owned_schedules(),
    )


async def test_an_unsubscribed_number_is_said_to_her_and_the_owner_once(
    warroom: Warroom, phones: Phones
) -> None:
    twilio, ntfy = phones
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
    warroom: Warroom, phones: Phones
) -> None:
    twilio, ntfy = phones
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
