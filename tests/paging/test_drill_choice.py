"""Taking part in paging drills from Slack: ``/oncall contact drill on|off`` over the
Slack emulator, the drill over the fake Twilio and ntfy (their REST APIs and Twilio's signed
status callbacks) and a real SMTP server. Carol's contacts file says ``drill: true``, Bob's
says nothing: Bob opting in is reached, Carol opting out never is, and the App Home says which
holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.flows.alerting.drill_alerts import run_drill
from bot.flows.paging.drills import DrillRefused
from emulator import FakeNtfy, FakeTwilio
from tests.conftest import BOB, CAROL, Warroom
from tests.helpers.mail import Mailbox
from tests.home.test_app_home import open_home
from tests.oncall.test_oncall_command import oncall
from tests.paging.conftest import Phones, phone_paging
from tests.paging.test_drill import BOB_MAIL, BOB_TOPIC, CAROL_MAIL, CAROL_TOPIC, DRILL_ENVIRON

PUBLIC_URL = "https://warroom.example.com"
CONTACTS = {
    "people": {
        CAROL: {
            "contacts": {"push": {"ntfy": CAROL_TOPIC}, "mail": {"email": CAROL_MAIL}},
            "drill": True,
        },
        BOB: {"contacts": {"push": {"ntfy": BOB_TOPIC}, "mail": {"email": BOB_MAIL}}},
    }
}


@pytest.fixture
def warroom_settings(
    database_url: str,
    tmp_path: Path,
    phones: Phones,
    mailbox: tuple[Mailbox, int],
) -> dict[str, object]:
    return phone_paging(
        database_url, tmp_path, phones, CONTACTS, mailbox=mailbox, environ=DRILL_ENVIRON
    )


def drill_line(home: dict[str, list[str]]) -> str:
    (methods, _) = home["How pages reach you"]
    (line,) = [line for line in methods.splitlines() if line.startswith("*Paging drills*")]
    return line


async def test_bob_opts_in_from_slack_and_carol_opts_out(
    warroom: Warroom, phones: tuple[FakeTwilio, FakeNtfy], mailbox: tuple[Mailbox, int]
) -> None:
    _, ntfy = phones
    assert drill_line(await open_home(warroom, BOB)) == (
        "*Paging drills*: you do not take part: no drill reaches you; `/oncall contact drill "
        "on` lets it try your methods."
    )
    assert await oncall(warroom, "contact drill", user=BOB) == (
        ":no_bell: You are not in the paging drill: no drill ever reaches you. `/oncall contact "
        "drill on` lets it try your methods (weekly, mon 10:00 Europe/Paris), so a broken SMS or "
        "call account is found then, not at 3 a.m."
    )
    assert await oncall(warroom, "contact drill on", user=BOB) == (
        ":white_check_mark: You are in the paging drill now: a drill may text, call, push and "
        "mail your methods (weekly, mon 10:00 Europe/Paris), each saying it is a drill. "
        "`/oncall contact drill off` leaves it."
    )
    assert drill_line(await open_home(warroom, BOB)) == (
        "*Paging drills*: you take part (your choice): a drill may try your methods, each saying "
        "it is a drill; `/oncall contact drill off` leaves it."
    )
    listed = await oncall(warroom, "contact", user=BOB)
    assert "*Paging drills:* you take part (`/oncall contact drill off` leaves it)" in listed
    assert drill_line(await open_home(warroom, CAROL)).startswith(
        "*Paging drills*: you take part (the contacts file's)"
    )
    said = await oncall(warroom, "contact drill OFF", user=CAROL)
    assert said.startswith(":no_bell: You left the paging drill: no drill ever reaches you.")
    assert drill_line(await open_home(warroom, CAROL)) == (
        "*Paging drills*: you do not take part (your choice): no drill reaches you; `/oncall "
        "contact drill on` lets it try your methods."
    )

    checks = await run_drill(warroom.services, everyone=True)
    assert sorted((c.method, c.user_id, c.state) for c in checks) == [
        ("email", BOB, "ok"),
        ("ntfy", BOB, "ok"),
        ("sms", None, "skipped"),  # nobody in the drill has a number
        ("voice", None, "skipped"),
    ]
    assert len(ntfy.phone(BOB_TOPIC)) == 1 and mailbox[0].to == [BOB_MAIL]
    assert ntfy.phone(CAROL_TOPIC) == []  # the file says yes; her own word says no
    with pytest.raises(DrillRefused, match="has not opted in"):
        await run_drill(warroom.services, person=CAROL)
    assert ntfy.phone(CAROL_TOPIC) == [] and CAROL_MAIL not in mailbox[0].to


async def test_a_word_other_than_on_or_off_is_refused_and_changes_nothing(
    warroom: Warroom, phones: tuple[FakeTwilio, FakeNtfy]
) -> None:
    _, ntfy = phones
    said = await oncall(warroom, "contact drill maybe", user=BOB)
    assert "`drill on|off`" in said
    with pytest.raises(DrillRefused):
        await run_drill(warroom.services, person=BOB)
    assert ntfy.phone(BOB_TOPIC) == []
