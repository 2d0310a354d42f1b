"""``warroom config check``: it reads the environment with serve's own
code and exits 1 exactly when ``warroom serve`` refuses to start, over a table of good and bad
set-ups, saying each problem, and never printing a value (some are secrets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator import SlackEmulator
from tests.helpers.processes import bot_env, run_warroom, serve

BAD = {
    "no database named": ({"DATABASE_URL": ""}, "DATABASE_URL is not set"),
    "no signing secret": ({"SLACK_SIGNING_SECRET": ""}, "SLACK_SIGNING_SECRET"),
    "a contacts file missing": ({"WARROOM_CONTACTS": "/nonexistent/contacts.yaml"}, "cannot read"),
    "a bad log level's cousin, a bad number": (
        {"WARROOM_SCHEDULER_INTERVAL": "soon"},
        "WARROOM_SCHEDULER_INTERVAL",
    ),
    "a pager process on SQLite": ({"WARROOM_PAGER_PROCESS": "on"}, "needs PostgreSQL"),
    "sms contacts without Twilio": ("sms", "TWILIO_ACCOUNT_SID"),
    # Its path is a check's key: named by its variable, never shown (asserted below).
    "a watchdog address that is not one": (
        {"WARROOM_WATCHDOG_URL": "hc-ping.com/0f2c5d6e-8b1a-4c3e-9d7f-2a4b6c8d0e1f"},
        "WARROOM_WATCHDOG_URL: expected an https:// address",
    ),
}


def _setup(slack: SlackEmulator, tmp_path: Path, change: object) -> dict[str, str]:
    env = bot_env(slack, f"sqlite:///{tmp_path / 'warroom.db'}")
    if change == "sms":
        contacts = tmp_path / "contacts.yaml"
        contacts.write_text(
            "people:\n  U0CAROL:\n    contacts:\n      sms: {sms: '+15555550123'}\n"
            "    rules:\n      - {after: 0s, notify: [sms]}\n"
        )
        env["WARROOM_CONTACTS"] = str(contacts)
        env["WARROOM_PUBLIC_URL"] = "https://warroom.example.com"
    else:
        assert isinstance(change, dict)
        env.update(change)
    return env


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_set_up_serve_refuses_is_refused_by_config_check_with_its_problem(
    slack: SlackEmulator, tmp_path: Path, case: str
) -> None:
    change, said = BAD[case]
    env = _setup(slack, tmp_path, change)
    served = run_warroom("serve", "--port", "0", env=env, clean=True)
    assert served.returncode != 0, "serve refuses this set-up"
    checked = run_warroom("config", "check", env=env, clean=True)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "warroom serve would refuse to start" in checked.stdout
    assert said in checked.stdout
    assert slack.signing_secret not in checked.stdout and slack.bot_token not in checked.stdout
    assert "0f2c5d6e" not in checked.stdout + checked.stderr


async def test_a_set_up_serve_starts_with_passes_config_check(
    slack: SlackEmulator, tmp_path: Path
) -> None:
    env = bot_env(slack, f"sqlite:///{tmp_path / 'warroom.db'}")
    checked = run_warroom("config", "check", env=env, clean=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Slack: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL" in checked.stdout
    assert "warroom serve would start with this configuration" in checked.stdout
    assert slack.bot_token not in checked.stdout and slack.signing_secret not in checked.stdout
    async with serve(env, tmp_path / "serve.log") as served:
        assert served.process.returncode is None  # healthy: it started


# `warroom paging check` is config check for the contacts file: the same code, so a file serve
# refuses for what its methods need of the environment is refused by paging check too.
SMS = "people:\n  U0CAROL:\n    contacts:\n      sms: {sms: '+15555550123'}\n"
MAIL = "people:\n  U0CAROL:\n    contacts:\n      mail: {email: carol@example.com}\n"
VONAGE = "people:\n  U0CAROL:\n    contacts:\n      sms: {sms: '+15555550123', provider: vonage}\n"
HOOK = "people:\n  U0CAROL:\n    contacts:\n      hook: {webhook: ops-bridge}\n"
TWILIO = {
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "t" * 32,
    "TWILIO_FROM": "+15005550006",
}
PUBLIC = {"WARROOM_PUBLIC_URL": "https://warroom.example.com"}
CONTACTS = {
    "sms without Twilio": (SMS, PUBLIC, "sms contacts need TWILIO_ACCOUNT_SID"),
    "sms without the public address": (SMS, TWILIO, "sms contacts need WARROOM_PUBLIC_URL"),
    "mail without a mail server": (MAIL, PUBLIC, "email contacts need WARROOM_SMTP_URL"),
    "a Vonage contact without Vonage": (VONAGE, {**PUBLIC, **TWILIO}, "name Vonage: set"),
    "a webhook nobody declared": (HOOK, {}, "no destination of that kind"),
    "sms with Twilio and the public address": (SMS, {**PUBLIC, **TWILIO}, ""),
}


@pytest.mark.parametrize("case", sorted(CONTACTS))
def test_paging_check_refuses_exactly_the_contacts_serve_refuses(
    slack: SlackEmulator, tmp_path: Path, case: str
) -> None:
    text, settings, said = CONTACTS[case]
    contacts = tmp_path / "contacts.yaml"
    contacts.write_text(text)
    env = {**bot_env(slack, f"sqlite:///{tmp_path / 'warroom.db'}"), **settings}
    env["WARROOM_CONTACTS"] = str(contacts)
    # serve's verdict: refused (it exits at once), or config check's "would start" (tested above
    # to agree with serve starting).
    if said:
        verdict = run_warroom("serve", "--port", "0", env=env, clean=True)
        assert verdict.returncode != 0 and said in verdict.stderr, verdict.stderr
    else:
        verdict = run_warroom("config", "check", env=env, clean=True)
        assert verdict.returncode == 0, verdict.stdout
    # With the file named on the command line, and without DATABASE_URL: it opens no database.
    alone = {k: v for k, v in env.items() if k not in ("WARROOM_CONTACTS", "DATABASE_URL")}
    checked = run_warroom("paging", "check", str(contacts), env=alone, clean=True)
    if said:
        assert checked.returncode == 1, checked.stdout + checked.stderr
        assert said in checked.stderr and "serve would refuse it" in checked.stderr
    else:
        assert checked.returncode == 0, checked.stderr
        assert checked.stdout == f"{contacts}: fine: 1 person, 1 contact method\n"
    # The file WARROOM_CONTACTS names, when none is given.
    named = run_warroom("paging", "check", env=env, clean=True)
    assert named.returncode == checked.returncode


def test_paging_check_says_when_other_settings_kept_it_from_checking(tmp_path: Path) -> None:
    contacts = tmp_path / "contacts.yaml"
    contacts.write_text(SMS)
    env = {**TWILIO, **PUBLIC, "WARROOM_SCHEDULER_INTERVAL": "soon"}
    checked = run_warroom("paging", "check", str(contacts), env=env, clean=True)
    assert checked.returncode == 1
    assert "was not checked: 1 other problem(s)" in checked.stderr


def test_config_check_says_every_problem_at_once_in_the_manual_s_words(
    slack: SlackEmulator, tmp_path: Path
) -> None:
    """A value that does not read (an on/off setting given ``maybe``) and a check across
    settings (a route naming a policy the policies file lacks): both said, on/off as the
    manual writes it."""
    routes = tmp_path / "routes.yaml"
    routes.write_text("routes:\n  - name: db\n    policy: dba\n")
    env = _setup(slack, tmp_path, {"WARROOM_SHADOW": "maybe", "WARROOM_ALERT_ROUTES": str(routes)})
    checked = run_warroom("config", "check", env=env, clean=True)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "2 problem(s)" in checked.stdout
    assert "WARROOM_SHADOW: on or off, not 'maybe'" in checked.stdout
    assert "WARROOM_ALERT_ROUTES: no escalation policy named dba" in checked.stdout
    assert "true or false" not in checked.stdout
    manual = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text()
    assert "| `WARROOM_SHADOW` | `on`:" in manual, "the manual says on/off for it"
