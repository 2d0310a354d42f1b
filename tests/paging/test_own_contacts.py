"""``/oncall contact`` and ``/oncall rules`` end to end: signed slash commands into the real
server; the code arrives by SMS on the fake Twilio, and once verified the number pages its
owner by her own rules. No contacts file: the methods are her own."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from bot.config import Settings
from emulator import FakeTwilio
from tests.conftest import CAROL, Clock, Warroom
from tests.oncall.test_oncall_command import oncall
from tests.paging.scenario import NOW, POLICIES, SCHEDULES, declare_sev1

NUMBER = "+14155550199"
PUBLIC_URL = "https://warroom.example.com"


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def warroom_settings(tmp_path: Path, twilio: FakeTwilio) -> dict[str, object]:
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(POLICIES))
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(SCHEDULES))
    settings = Settings.from_env(
        {
            "WARROOM_ESCALATION_POLICIES": str(tmp_path / "p.yaml"),
            "WARROOM_ONCALL_SCHEDULES": str(tmp_path / "s.yaml"),
            "TWILIO_ACCOUNT_SID": twilio.account_sid,
            "TWILIO_AUTH_TOKEN": twilio.auth_token,
            "TWILIO_FROM": twilio.numbers[0],
            "TWILIO_API_URL": twilio.root,
            "WARROOM_PUBLIC_URL": PUBLIC_URL,
        }
    )

    async def ready(running: Warroom) -> None:
        twilio.reach = (PUBLIC_URL, running.url)

    return {
        "clock": Clock(NOW),
        "escalation__policies": settings.escalation.policies,
        "oncall__schedules": settings.oncall.schedules,
        "paging": settings.paging,
        "web__public_url": PUBLIC_URL,
        "runtime__scheduler_interval": 3600.0,
        "ready": ready,
    }


async def test_a_number_added_and_verified_pages_its_owner_by_her_rules(
    warroom: Warroom, twilio: FakeTwilio
) -> None:
    said = await oncall(warroom, f"contact add sms {NUMBER}", user=CAROL)
    assert "A code went to your sms +1 •••• 0199" in said and NUMBER not in said
    (code_sms,) = twilio.phone(NUMBER).messages
    (code,) = re.findall(r"code is (\d{6})", code_sms)

    # Not verified yet: no rule may use it, and nothing pages there.
    said = await oncall(warroom, "rules 0s slack, 1m sms", user=CAROL)
    assert "Not one of your methods: sms (yours: slack)." in said
    said = await oncall(warroom, "contact verify sms 000000", user=CAROL)
    assert "That is not the code" in said
    said = await oncall(warroom, f"contact verify sms {code}", user=CAROL)
    assert "is verified" in said

    said = await oncall(warroom, "rules 0s slack, 1m sms", user=CAROL)
    assert "From now on a page reaches you after 0s: slack; after 1m: sms." in said
    said = await oncall(warroom, "contact", user=CAROL)
    assert (
        "`sms` sms +1 •••• 0199" in said and "*Your rules:* after 0s: slack; after 1m: sms" in said
    )

    said = await oncall(warroom, "contact test sms", user=CAROL)
    assert ":white_check_mark: sms (SMS +1 •••• 0199): sent" in said
    assert twilio.phone(NUMBER).messages[-1].startswith("This is a test from warroom")

    await declare_sev1(warroom)
    assert len(warroom.slack.direct_messages(CAROL)) == 1  # the page's DM, no other
    await warroom.advance(minutes=1)
    assert twilio.phone(NUMBER).messages[-1].startswith("INC-1 SEV1 Checkout API returns 500s.")

    said = await oncall(warroom, "contact remove sms", user=CAROL)
    assert "nothing pages you there any more" in said


async def test_bad_contact_commands_say_how_to_use_them(warroom: Warroom) -> None:
    said = await oncall(warroom, "contact add sms 0555 555 0199", user=CAROL)
    assert "Usage" in said or "Use `/oncall contact`" in said
    said = await oncall(warroom, "contact add sms 0555", user=CAROL)
    assert "'0555' is not an E.164 number" in said
    said = await oncall(warroom, "contact add fax +14155550199", user=CAROL)
    assert "unknown method 'fax'" in said
    said = await oncall(warroom, "contact add sms", user=CAROL)
    assert "`/oncall contact add sms` needs the number or address to add." in said
    said = await oncall(warroom, "contact verify sms 123456", user=CAROL)
    assert "no contact method called `sms`" in said
    said = await oncall(warroom, "rules soon slack", user=CAROL)
    assert "expected a duration like 90s" in said
