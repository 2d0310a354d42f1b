"""``/oncall contact add sms +33… via vonage`` end to end: signed slash commands into the real
server; the code goes out through the fake Vonage (emulator/vonage.py: Messages API, numbers
without their +), with the same country, number and code limits as Twilio's; once verified
the number pages Erin through Vonage, and her list, her Home and the web view say which
provider carries it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from emulator import FakeNtfy, FakeTwilio, FakeVonage, SlackEmulator
from emulator.vonage import application_key
from tests.conftest import CAROL, Clock, Warroom, running_warroom
from tests.home.test_app_home import open_home
from tests.oncall.test_oncall_command import oncall
from tests.paging.scenario import NOW, declare_sev1, notifications, paging_settings, phone_environ

NUMBER = "+33612345678"
PUBLIC_URL = "https://warroom.example.com"
CONTACTS: dict[str, Any] = {"people": {}}


@pytest.fixture
async def fakes(tmp_path: Path) -> AsyncIterator[tuple[FakeTwilio, FakeVonage, Path]]:
    key_file, public_key = application_key(tmp_path)
    async with FakeTwilio() as twilio, FakeVonage(public_key=public_key) as vonage:
        yield twilio, vonage, key_file


def vonage_settings(
    tmp_path: Path,
    fakes: tuple[FakeTwilio, FakeVonage, Path],
    ntfy: FakeNtfy,
    *,
    with_vonage: bool = True,
) -> dict[str, object]:
    twilio, vonage, key_file = fakes
    environ = {**phone_environ(twilio, ntfy, PUBLIC_URL), "WARROOM_PHONE_COUNTRIES": "FR"}
    if with_vonage:
        environ |= {
            "WARROOM_VONAGE_APPLICATION_ID": vonage.application_id,
            "WARROOM_VONAGE_PRIVATE_KEY_FILE": str(key_file),
            "WARROOM_VONAGE_API_KEY": vonage.api_key,
            "WARROOM_VONAGE_SIGNATURE_SECRET": vonage.signature_secret,
            "WARROOM_VONAGE_FROM": "+" + vonage.numbers[0],
            "WARROOM_VONAGE_API_URL": vonage.root,
        }
    return {"clock": Clock(NOW), **paging_settings(tmp_path, CONTACTS, **environ)}


@pytest.fixture
async def warroom_settings(
    tmp_path: Path, fakes: tuple[FakeTwilio, FakeVonage, Path]
) -> AsyncIterator[dict[str, object]]:
    async def ready(running: Warroom) -> None:
        fakes[1].reach = fakes[0].reach = (PUBLIC_URL, running.url)

    async with FakeNtfy() as ntfy:
        yield {**vonage_settings(tmp_path, fakes, ntfy), "ready": ready}


async def test_a_number_added_via_vonage_gets_its_code_and_its_pages_through_vonage(
    warroom: Warroom, fakes: tuple[FakeTwilio, FakeVonage, Path]
) -> None:
    twilio, vonage, _ = fakes
    said = await oncall(warroom, f"contact add sms {NUMBER} via vonage", user=CAROL)
    assert "A code went to your sms +33 •••• 5678 through Vonage" in said
    assert NUMBER not in said
    (code_sms,) = vonage.phone(NUMBER)[0]
    assert twilio.messages == []
    assert vonage.messages[0].to == NUMBER[1:]  # E.164 without its +, as Vonage takes it
    (code,) = re.findall(r"code is (\d{6})", code_sms)
    said = await oncall(warroom, f"contact verify sms {code}", user=CAROL)
    assert "is verified" in said

    said = await oncall(warroom, "contact", user=CAROL)
    assert "• `sms` sms +33 •••• 5678 through Vonage" in said
    (methods, _) = (await open_home(warroom, CAROL))["How pages reach you"]
    assert "• `sms` SMS +33 •••• 5678 through Vonage (yours)" in methods

    said = await oncall(warroom, "contact test sms", user=CAROL)
    assert ":white_check_mark: sms (SMS +33 •••• 5678): sent" in said
    assert vonage.phone(NUMBER)[0][-1].startswith("This is a test from warroom")

    await oncall(warroom, "rules 0s slack, 1m sms", user=CAROL)
    await declare_sev1(warroom)
    await warroom.advance(minutes=1)
    assert vonage.phone(NUMBER)[0][-1].startswith("INC-1 SEV1 Checkout API returns 500s.")
    assert twilio.messages == []
    (_, sms) = await notifications(warroom)
    assert (sms.method, sms.provider) == ("sms", "vonage")

    # Added again without `via`: Twilio carries it from now on (a new code, through Twilio).
    said = await oncall(warroom, f"contact add sms {NUMBER}", user=CAROL)
    assert "A code went to your sms +33 •••• 5678." in said
    assert len(twilio.phone(NUMBER).messages) == 1


async def test_vonage_numbers_have_twilio_s_checks_and_limits(
    warroom: Warroom, fakes: tuple[FakeTwilio, FakeVonage, Path]
) -> None:
    _, vonage, _ = fakes
    said = await oncall(warroom, "contact add sms +14155550199 via vonage", user=CAROL)
    assert "Not added: numbers of US are not allowed here (allowed: FR)" in said
    said = await oncall(warroom, "contact add sms 0612345678 via vonage", user=CAROL)
    assert "is not an E.164 number" in said
    for _ in range(3):
        said = await oncall(warroom, f"contact add voice {NUMBER} via vonage", user=CAROL)
        assert "A code went to your voice +33 •••• 5678 through Vonage" in said
    said = await oncall(warroom, f"contact add voice {NUMBER} via vonage", user=CAROL)
    assert "No code sent: you have asked for 3 codes in the last hour" in said
    assert len(vonage.calls) == 3 and vonage.messages == []
    said = await oncall(warroom, f"contact add sms {NUMBER} via plivo", user=CAROL)
    assert "`plivo` is not a provider warroom knows" in said
    said = await oncall(warroom, "contact add email erin@example.com via vonage", user=CAROL)
    assert "only an SMS or a call goes through a provider" in said
    said = await oncall(warroom, f"contact add sms {NUMBER} through vonage", user=CAROL)
    assert "Use `/oncall contact`" in said
    assert len(vonage.calls) == 3 and vonage.messages == []


async def test_via_vonage_is_refused_when_vonage_is_not_set_up(
    slack: SlackEmulator,
    sqlite_url: str,
    tmp_path: Path,
    fakes: tuple[FakeTwilio, FakeVonage, Path],
) -> None:
    async with (
        FakeNtfy() as ntfy,
        running_warroom(
            slack, sqlite_url, **vonage_settings(tmp_path, fakes, ntfy, with_vonage=False)
        ) as warroom,
    ):
        said = await oncall(warroom, f"contact add sms {NUMBER} via vonage", user=CAROL)
        assert "Not added: Vonage is not set up here" in said
        said = await oncall(warroom, "contact", user=CAROL)
        assert "None yet" in said  # nothing kept, no code counted
