"""WARROOM_AI_*: the team's own model, off unless configured, checked at startup."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, Settings


def test_the_model_is_off_unless_url_and_model_are_set() -> None:
    ai = Settings.from_env({}).ai
    assert not ai.enabled and not ai.private and ai.timeout == 60.0


def test_the_model_settings_are_read_and_the_key_hidden() -> None:
    settings = Settings.from_env(
        {
            "WARROOM_AI_URL": "http://127.0.0.1:11434/v1/",
            "WARROOM_AI_MODEL": "llama3.1:8b",
            "WARROOM_AI_KEY": "sk-very-secret",
            "WARROOM_AI_PRIVATE": "on",
            "WARROOM_AI_TIMEOUT": "90",
        }
    )
    ai = settings.ai
    assert ai.enabled and ai.private and ai.timeout == 90.0
    assert ai.url == "http://127.0.0.1:11434/v1"  # the path is added to it
    assert str(ai.key) == "sk-very-secret"
    assert "sk-very-secret" not in repr(settings)


@pytest.mark.parametrize(
    ("environ", "said"),
    [
        ({"WARROOM_AI_URL": "ftp://models"}, "WARROOM_AI_URL: must start with https://"),
        ({"WARROOM_AI_URL": "https://models.example.com/v1"}, "set both, or neither"),
        ({"WARROOM_AI_MODEL": "llama3.1:8b"}, "set both, or neither"),
        ({"WARROOM_AI_TIMEOUT": "0"}, "WARROOM_AI_TIMEOUT: more than 0"),
        ({"WARROOM_AI_TIMEOUT": "600"}, "at most 240 seconds"),
        ({"WARROOM_AI_TIMEOUT": "soon"}, "WARROOM_AI_TIMEOUT: expected a number of seconds"),
        ({"WARROOM_AI_PRIVATE": "maybe"}, "WARROOM_AI_PRIVATE: on or off"),
    ],
)
def test_malformed_model_settings_are_named(environ: dict[str, str], said: str) -> None:
    with pytest.raises(ConfigError, match=said):
        Settings.from_env(environ)
