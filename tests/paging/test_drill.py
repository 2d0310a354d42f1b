"""The paging drill over the wire: the fake Twilio (Twilio's REST API and its signed status
callbacks, emulator/twilio.py), the fake ntfy (emulator/ntfy.py) and a real SMTP server
(aiosmtpd on 127.0.0.1). Carol opted in to drills; Bob has contacts too but did not: he is
never reached, whatever the drill is asked."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import main
from bot.flows.alerting.drill_alerts import run_drill
from bot.flows.paging.drills import DrillRefused
from bot.record.paging.service import paging_figures
from bot.store.db import session_scope
from bot.store.models import DrillCheck
from emulator import FakeNtfy, FakeTwilio
from tests.conftest import BOB, CAROL, Warroom
from tests.helpers.alerts import incidents_of, routes
from tests.helpers.mail import Mailbox
from tests.helpers.metrics import scrape, value
from tests.paging.conftest import Phones, phone_paging

PUBLIC_URL = "https://warroom.example.com"
CAROL_PHONE, BOB_PHONE = "+15555550123", "+15555550199"
CAROL_TOPIC, BOB_TOPIC = "carol-7f3a9c", "bob-91be02"
CAROL_MAIL, BOB_MAIL = "carol@example.com", "bob@example.com"


def person(phone: str, topic: str, mail: str, *, drill: bool) -> dict[str, Any]:
    return {
        "contacts": {
            "push": {"ntfy": topic},
            "sms": {"sms": phone},
            "call": {"voice": phone},
            "mail": {"email": mail},
        },
        "drill": drill,
    }


DRILL_ENVIRON = {
    "WARROOM_PAGING_DRILL": "mon 10:00 Europe/Paris",
    "WARROOM_PAGING_DRILL_WAIT": "10s",
}
CONTACTS = {
    "people": {
        CAROL: person(CAROL_PHONE, CAROL_TOPIC, CAROL_MAIL, drill=True),
        BOB: person(BOB_PHONE, BOB_TOPIC, BOB_MAIL, drill=False),
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
        database_url,
        tmp_path,
        phones,
        CONTACTS,
        mailbox=mailbox,
        environ=DRILL_ENVIRON,
        alerting__routes=routes({"routes": [], "default": {"action": "open", "severity": "SEV3"}}),
    )


async def phone_answers(twilio: FakeTwilio, *, sms: str = "delivered") -> None:
    """Carol's phone: the drill's SMS reported ``sms``, its call rung and answered."""
    while not (twilio.messages and twilio.calls):
        await asyncio.sleep(0.05)
    assert await twilio.deliver(twilio.messages[0], sms) == 200
    assert await twilio.hang_up(twilio.calls[0], "completed") == 200


def outcomes(checks: list[DrillCheck]) -> list[tuple[str, str, str, str | None]]:
    return [(c.provider, c.method, c.state, c.user_id) for c in checks]


async def test_a_drill_with_every_provider_healthy_records_success_and_reaches_only_carol(
    warroom: Warroom, phones: tuple[FakeTwilio, FakeNtfy], mailbox: tuple[Mailbox, int]
) -> None:
    twilio, ntfy = phones
    answering = asyncio.create_task(phone_answers(twilio))
    checks = await run_drill(warroom.services, everyone=True)
    await answering
    assert outcomes(checks) == [
        ("ntfy", "ntfy", "ok", CAROL),
        ("twilio", "sms", "ok", CAROL),
        ("twilio", "voice", "ok", CAROL),
        ("smtp", "email", "ok", CAROL),
    ]
    assert [m.to for m in twilio.messages] == [CAROL_PHONE]
    assert [c.to for c in twilio.calls] == [CAROL_PHONE]
    assert len(ntfy.phone(CAROL_TOPIC)) == 1 and ntfy.phone(BOB_TOPIC) == []
    assert mailbox[0].to == [CAROL_MAIL]
    await warroom.run_jobs()
    assert await incidents_of(warroom) == []
    samples = await scrape(warroom)
    for provider in ("ntfy", "twilio", "smtp"):
        assert value(samples, "warroom_paging_drill_last_ok", provider=provider) == 1
    assert value(samples, "warroom_paging_drill_checks_total", provider="twilio", outcome="ok") == 2


async def test_twilio_answering_500_opens_an_incident_naming_twilio(
    warroom: Warroom, phones: tuple[FakeTwilio, FakeNtfy]
) -> None:
    twilio, _ = phones
    twilio.fail(500, times=20)
    checks = await run_drill(warroom.services)
    states = {(c.provider, c.method): c.state for c in checks}
    assert states == {
        ("ntfy", "ntfy"): "ok",
        ("twilio", "sms"): "failed",
        ("twilio", "voice"): "failed",
        ("smtp", "email"): "ok",
    }
    await warroom.run_jobs()
    (incident,) = await incidents_of(warroom)
    assert incident.title == "Paging drill: Twilio failed"
    samples = await scrape(warroom)
    assert value(samples, "warroom_paging_drill_last_ok", provider="twilio") == 0
    assert value(samples, "warroom_paging_drill_last_ok", provider="ntfy") == 1
    # The insights' Paging panel shows the drill, from the record.
    async with session_scope(warroom.engine) as session:
        figures = await paging_figures(session, now=warroom.clock())
    panel = warroom.services.renderer.render("web/paging_panel.html.j2", paging=figures)
    said = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", panel))
    assert "twilio sms: failed : Twilio answered HTTP 500" in said, said
    assert "ntfy ntfy: ok" in said


async def test_two_providers_failing_raise_one_alert_each_kept_together(
    warroom: Warroom, phones: tuple[FakeTwilio, FakeNtfy]
) -> None:
    twilio, ntfy = phones
    twilio.fail(500, times=20)
    ntfy.fail(503, times=20)
    checks = await run_drill(warroom.services)
    assert {c.provider for c in checks if c.state == "failed"} == {"ntfy", "twilio"}
    await warroom.run_jobs()
    titles = sorted(incident.title for incident in await incidents_of(warroom))
    assert titles == ["Paging drill: Twilio failed", "Paging drill: ntfy failed"]


async def test_a_delivery_report_of_undelivered_fails_the_drill(
    warroom: Warroom, phones: tuple[FakeTwilio, FakeNtfy]
) -> None:
    twilio, _ = phones
    answering = asyncio.create_task(phone_answers(twilio, sms="undelivered"))
    checks = await run_drill(warroom.services)
    await answering
    (sms,) = [c for c in checks if c.method == "sms"]
    assert (sms.state, sms.detail) == (
        "failed",
        "Twilio reported it undelivered: the carrier could not reach the phone: off, out of "
        "coverage or roaming (error 30003)",
    )
    await warroom.run_jobs()
    (incident,) = await incidents_of(warroom)
    assert incident.title == "Paging drill: Twilio failed"


async def test_a_person_who_did_not_opt_in_is_never_drilled(
    warroom: Warroom, phones: tuple[FakeTwilio, FakeNtfy], mailbox: tuple[Mailbox, int]
) -> None:
    twilio, ntfy = phones
    with pytest.raises(DrillRefused, match="has not opted in"):
        await run_drill(warroom.services, person=BOB)
    assert (twilio.messages, twilio.calls, ntfy.phone(BOB_TOPIC), mailbox[0].to) == ([], [], [], [])


def test_the_command_drills_carol_by_mail_and_refuses_bob(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    mailbox: tuple[Mailbox, int],
) -> None:
    """``warroom paging drill``, as an operator types it, against a SQLite file."""
    contacts = {
        "people": {
            CAROL: {"contacts": {"mail": {"email": CAROL_MAIL}}, "drill": True},
            BOB: {"contacts": {"mail": {"email": BOB_MAIL}}},
        }
    }
    (tmp_path / "contacts.yaml").write_text(yaml.safe_dump(contacts))
    for name, setting in {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'warroom.db'}",
        "WARROOM_CONTACTS": str(tmp_path / "contacts.yaml"),
        "WARROOM_SMTP_URL": f"smtp://127.0.0.1:{mailbox[1]}",
        "WARROOM_SMTP_PLAINTEXT": "true",
        "WARROOM_SMTP_FROM": "warroom@example.com",
        "WARROOM_PUBLIC_URL": PUBLIC_URL,
    }.items():
        monkeypatch.setenv(name, setting)
    assert main(["paging", "drill", "--person", BOB]) == 2
    assert "U0BOB has not opted in to drills" in capsys.readouterr().err
    assert main(["paging", "drill", "--all"]) == 0
    assert "  smtp email: ok (through U0CAROL)\n" in capsys.readouterr().out
    assert mailbox[0].to == [CAROL_MAIL]


def test_a_drill_with_nothing_to_test_fails_saying_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No provider set: "Nothing to drill" is a failure (exit 1), not a pass."""
    for name in [n for n in os.environ if n.startswith(("WARROOM_", "TWILIO_", "VONAGE_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'warroom.db'}")
    assert main(["paging", "drill"]) == 1
    captured = capsys.readouterr()
    assert "Nothing to drill: no provider is set" in captured.err and captured.out == ""
