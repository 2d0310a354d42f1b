"""Issue 61's "Done when" for providers, in one story over the wire: Twilio answers 500 for ten
minutes during a page. Carol's first rule (an SMS) fails on Twilio's first answer and her next
rule (push and mail) fires at once, said in the channel; the paging drill run during the
outage opens an incident naming Twilio through the normal alert path; when Twilio is back her
call keeps its own offset and goes through. Twilio is the fake Twilio (emulator/twilio.py),
push the fake ntfy, mail a real SMTP server (aiosmtpd) on 127.0.0.1; time moves with the test
clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.flows.alerting.drill_alerts import run_drill
from emulator import FakeNtfy, FakeTwilio
from tests.conftest import CAROL, Clock, Warroom
from tests.helpers.alerts import incidents_of, routes
from tests.helpers.mail import Mailbox
from tests.paging.scenario import NOW, declare_sev1, notifications, paging_settings, phone_environ
from tests.paging.test_fallback import ADDRESS, PHONE, PUBLIC_URL, TOPIC
from tests.paging.test_fallback import CONTACTS as FALLBACK_CONTACTS

# Carol as in the fallback tests (sms, then push and mail at 10m, a call at 20m), in drills.
CONTACTS: dict[str, Any] = {
    "people": {CAROL: {**FALLBACK_CONTACTS["people"][CAROL], "drill": True}}
}


@pytest.fixture
async def providers() -> AsyncIterator[tuple[FakeTwilio, FakeNtfy]]:
    async with FakeTwilio() as twilio, FakeNtfy() as ntfy:
        yield twilio, ntfy


@pytest.fixture
def warroom_settings(
    database_url: str,
    tmp_path: Path,
    providers: tuple[FakeTwilio, FakeNtfy],
    mailbox: tuple[Mailbox, int],
) -> dict[str, object]:
    twilio, ntfy = providers
    settings = paging_settings(
        tmp_path,
        CONTACTS,
        **phone_environ(twilio, ntfy, PUBLIC_URL),
        WARROOM_SMTP_URL=f"smtp://127.0.0.1:{mailbox[1]}",
        WARROOM_SMTP_PLAINTEXT="true",
        WARROOM_SMTP_FROM="warroom@example.com",
        WARROOM_PAGING_DRILL="mon 10:00 Europe/Paris",
        WARROOM_PAGING_DRILL_WAIT="10s",
    )

    async def ready(running: Warroom) -> None:
        twilio.reach = (PUBLIC_URL, running.url)

    return {
        "database_url": database_url,
        "clock": Clock(NOW),
        "alerting__routes": routes(
            {"routes": [], "default": {"action": "open", "severity": "SEV3"}}
        ),
        **settings,
        "ready": ready,
    }


async def test_a_ten_minute_twilio_outage_during_a_page(
    warroom: Warroom, providers: tuple[FakeTwilio, FakeNtfy], mailbox: tuple[Mailbox, int]
) -> None:
    twilio, ntfy = providers
    twilio.fail(500, times=10_000)  # down until recover(), ten minutes later
    channel = await declare_sev1(warroom)
    await warroom.run_jobs()

    # The next rule fires at once: Carol is reached by push and mail, not in ten minutes.
    assert twilio.messages == []
    assert len(ntfy.phone(TOPIC)) == 1
    assert [m["To"] for m in mailbox[0].messages] == [ADDRESS]
    assert [m.text for m in channel.messages if "instead of at its offset" in m.text] == [
        f":rotating_light: SMS (sms) to <@{CAROL}> failed: Twilio answered HTTP 500. "
        "Their rule 2 (email, push) fires now instead of at its offset."
    ]

    for wait in (5, 15, 45):  # the SMS tried again, then given up: the call is not hurried
        await warroom.advance(seconds=wait)
    assert twilio.refused and [c for c in twilio.refused if c["status"] != 500] == []
    assert {n.method: n.state for n in await notifications(warroom)}["voice"] == "pending"

    # The drill, run while Twilio is still down, opens an incident naming Twilio.
    await warroom.advance(minutes=3, seconds=55)
    checks = await run_drill(warroom.services)
    states = {(c.provider, c.method): c.state for c in checks}
    assert states == {
        ("ntfy", "ntfy"): "ok",
        ("twilio", "sms"): "failed",
        ("twilio", "voice"): "failed",
        ("smtp", "email"): "ok",
    }
    await warroom.run_jobs()
    titles = [i.title for i in await incidents_of(warroom)]
    assert "Paging drill: Twilio failed" in titles

    # Twilio is back after ten minutes: push and mail are not sent again at their offset,
    # and the call keeps its own (20 minutes from the page's start) and goes through Twilio.
    await warroom.advance(minutes=5)
    twilio.recover()
    await warroom.advance(minutes=5)
    assert len(ntfy.phone(TOPIC)) == 2  # the page's push and the drill's, nothing more
    await warroom.advance(minutes=5)
    (call,) = twilio.phone(PHONE).calls
    states_now = {n.method: n.state for n in await notifications(warroom)}
    assert states_now == {"sms": "failed", "ntfy": "sent", "email": "sent", "voice": "sent"}
    assert PHONE not in warroom.slack.transcript(channel.id)
    assert call.sid and len(twilio.messages) == 0
