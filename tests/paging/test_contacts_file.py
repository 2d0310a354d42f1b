"""The contacts file (WARROOM_CONTACTS): read, checked at start-up, and by
``warroom paging check`` run as people run it."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings
from bot.record.paging.contacts import SLACK, Rule
from tests.helpers.processes import run_warroom

ISSUE_FILE = """\
people:
  U0ERIN0001:
    contacts:
      push: {ntfy: erin-7f3a9c}
      sms: {sms: "+15555550123"}
      call: {voice: "+15555550123"}
      mail: {email: erin@example.com}
    rules:
      - {after: 5m, notify: [call]}
      - {after: 0s, notify: [slack, push]}
      - {after: 2m, notify: [sms]}
default_rules:
  - {after: 0s, notify: [slack]}
"""
SERVICES = {
    "WARROOM_NTFY_URL": "http://127.0.0.1:9/",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "t" * 32,
    "TWILIO_FROM": "+15005550006",
    "WARROOM_SMTP_URL": "smtp://warroom:secret@127.0.0.1:2525",
    "WARROOM_SMTP_FROM": "warroom@example.com",
    "WARROOM_PUBLIC_URL": "https://warroom.example.com",
}


def warroom_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_warroom(*args, env=env, clean=True)


@pytest.fixture
def contacts_file(tmp_path: Path) -> Path:
    path = tmp_path / "contacts.yaml"
    path.write_text(ISSUE_FILE)
    return path


def test_the_issues_file_reads_as_each_persons_rules_in_time_order(contacts_file: Path) -> None:
    settings = Settings.from_env({"WARROOM_CONTACTS": str(contacts_file), **SERVICES})
    contacts = settings.paging.contacts
    assert contacts.rules_of("U0ERIN0001") == (
        Rule(after=timedelta(0), notify=(SLACK, "push")),
        Rule(after=timedelta(minutes=2), notify=("sms",)),
        Rule(after=timedelta(minutes=5), notify=("call",)),
    )
    assert contacts.person("U0ERIN0001").contacts["call"].kind == "voice"
    # Someone the file does not name gets the default rules, Slack only.
    assert contacts.rules_of("U0BOB00001") == (Rule(after=timedelta(0), notify=(SLACK,)),)
    assert settings.paging.ntfy_url == "http://127.0.0.1:9"


def test_check_says_a_good_file_is_fine(contacts_file: Path) -> None:
    done = warroom_cli("paging", "check", str(contacts_file), env=SERVICES)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{contacts_file}: fine: 1 person, 4 contact methods\n"


def test_check_names_each_problem_with_the_person_the_field_and_the_value(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    people, default_rules = ISSUE_FILE.split("default_rules:\n")
    bad.write_text(
        people.replace('"+15555550123"}\n      call', '"0555 555 0123"}\n      call')
        .replace("notify: [call]", "notify: [call, pager]")
        .replace("after: 2m", "after: 2 minutes")
        + "  bob: {contacts: {mail: {fax: '+15555550199'}}, rules: [{notify: [mail]}]}\n"
        + "default_rules:\n"
        + default_rules
        + "  - {after: 1m, notify: [push]}\n"
    )
    done = warroom_cli("paging", "check", str(bad))
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [
        f"{bad}: 6 problems:",
        "  person U0ERIN0001: contacts: sms: sms: '0555 555 0123' is not an E.164 number (like"
        " +15555550123)",
        "  person U0ERIN0001: rules: rule 1: notify: 'pager' is neither slack nor a contact "
        "here (contacts: slack, push, call, mail)",
        "  person U0ERIN0001: rules: rule 3: after: expected a duration like 90s, 15m, 1h30m "
        "or 2h, got '2 minutes'",
        "  person bob: not a Slack user id (U… or W…)",
        "  person bob: contacts: mail: unknown method 'fax' (methods: ntfy, sms, voice, email, "
        "pushover, webhook, teams)",
        "  default_rules: rule 2: notify: 'push' is neither slack nor a contact here (contacts:"
        " slack)",
    ]


def test_serve_refuses_a_contacts_file_whose_methods_have_no_service(contacts_file: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"WARROOM_CONTACTS": str(contacts_file)})
    said = str(refused.value)
    assert "WARROOM_CONTACTS: email contacts need WARROOM_SMTP_URL and WARROOM_SMTP_FROM" in said
    assert "WARROOM_CONTACTS: ntfy contacts need WARROOM_NTFY_URL" in said
    assert "WARROOM_CONTACTS: sms contacts need TWILIO_ACCOUNT_SID" in said
    assert "need WARROOM_PUBLIC_URL" in said


def test_serve_names_bad_service_settings_without_showing_the_password() -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env(
            {
                "WARROOM_SMTP_URL": "http://warroom:hunter2@mail.example.com",
                "TWILIO_FROM": "555-0123",
                "TWILIO_ACCOUNT_SID": "AC1",
            }
        )
    said = str(refused.value)
    assert "WARROOM_SMTP_URL: expected smtp://user:pass@host:587" in said
    assert "TWILIO_FROM: expected an E.164 number like +15555550123" in said
    assert "hunter2" not in said
