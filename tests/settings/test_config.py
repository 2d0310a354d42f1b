"""bot/config/: what a missing or bad variable is told, and secrets kept out of its repr."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config import ConfigError, Settings


def test_settings_name_every_missing_variable() -> None:
    settings = Settings.from_env({})
    with pytest.raises(ConfigError) as raised:
        settings.require("slack_token", "signing_secret")
    assert "SLACK_BOT_TOKEN" in str(raised.value) and "SLACK_SIGNING_SECRET" in str(raised.value)


def test_settings_reject_bad_values_and_hide_secrets() -> None:
    with pytest.raises(ConfigError, match="WARROOM_TIMEZONE"):
        Settings.from_env({"WARROOM_TIMEZONE": "Mars/Olympus"})
    with pytest.raises(ConfigError, match="PORT"):
        Settings.from_env({"PORT": "eighty"})
    settings = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-very-secret"})
    assert "xoxb-very-secret" not in repr(settings)


def test_the_pager_process_is_on_by_default_on_postgresql_and_refused_on_sqlite() -> None:
    postgresql = {"DATABASE_URL": "postgresql://warroom@db/warroom"}
    # What a team gets without setting it: the pager on PostgreSQL, none on SQLite.
    assert Settings.from_env(postgresql).runtime.pager_on
    assert not Settings.from_env({"DATABASE_URL": "sqlite:///w.db"}).runtime.pager_on
    assert not Settings.from_env({}).runtime.pager_on
    assert not Settings.from_env({**postgresql, "WARROOM_PAGER_PROCESS": "off"}).runtime.pager_on
    assert Settings.from_env({**postgresql, "WARROOM_PAGER_PROCESS": "on"}).runtime.pager_on
    with pytest.raises(ConfigError, match="WARROOM_PAGER_PROCESS: on needs PostgreSQL"):
        Settings.from_env({"DATABASE_URL": "sqlite:///w.db", "WARROOM_PAGER_PROCESS": "on"})
    with pytest.raises(ConfigError, match="WARROOM_PAGER_PROCESS: must be auto, off or on"):
        Settings.from_env({**postgresql, "WARROOM_PAGER_PROCESS": "yes"})


def test_settings_name_every_unreadable_value_at_once() -> None:
    """Bad values of several features are named together, each as its variable and why."""
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(
            {"PORT": "eighty", "WARROOM_PUBLIC_GRACE": "1h", "WARROOM_TRACKER": "trello"}
        )
    said = str(raised.value).splitlines()
    assert said[0] == "invalid configuration:"
    assert "  PORT: expected an integer, got 'eighty'" in said
    assert "  WARROOM_PUBLIC_GRACE: at most 30m" in said
    assert any(line.startswith("  WARROOM_TRACKER: 'trello'") for line in said)


def test_maintenance_settings_name_people_and_one_group_and_bound_the_length() -> None:
    settings = Settings.from_env(
        {"WARROOM_MAINTENANCE_ALLOWED": "U024BE7LH, @sre-leads", "WARROOM_MAINTENANCE_MAX": "12h"}
    )
    assert settings.maintenance.people == {"U024BE7LH"}
    assert settings.maintenance.group == "@sre-leads"
    assert settings.maintenance.longest == timedelta(hours=12)
    assert Settings.from_env({}).maintenance.longest == timedelta(days=7)
    for raw, said in (
        ("U024BE7LH,@sre,@ops", "one user group at most"),
        ("Bob Smith", "expected Slack user ids"),
    ):
        with pytest.raises(ConfigError, match=said):
            Settings.from_env({"WARROOM_MAINTENANCE_ALLOWED": raw})
    with pytest.raises(ConfigError, match="WARROOM_MAINTENANCE_MAX: at most 744h"):
        Settings.from_env({"WARROOM_MAINTENANCE_MAX": "800h"})
