"""``warroom config check`` (issue 74, item 1): it reads the environment with serve's own
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
