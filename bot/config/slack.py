"""Slack: the app's tokens, where its Web API is, and how its rate limits are counted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.config.reading import NO_SECRET, ConfigError, Feature, Secret, seconds, setting

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
Need = Literal["slack_token", "signing_secret", "app_token", "app_config_token"]


def serve_needs(socket_mode: bool) -> tuple[Need, ...]:
    """What ``warroom serve`` refuses to start without (``config check`` asks the same)."""
    return ("slack_token", "app_token") if socket_mode else ("slack_token", "signing_secret")


@dataclass(frozen=True)
class SlackSettings(Feature):
    """The Slack app warroom answers as."""

    bot_token: Secret = setting(
        env="SLACK_BOT_TOKEN",
        default=NO_SECRET,
        parse=Secret,
        doc="bot token (`xoxb-…`)",
        shown="required for `serve`",
    )
    signing_secret: Secret = setting(
        env="SLACK_SIGNING_SECRET",
        default=NO_SECRET,
        parse=Secret,
        doc="request signing secret",
        shown="required in HTTP mode",
    )
    app_token: Secret = setting(
        env="SLACK_APP_TOKEN",
        default=NO_SECRET,
        parse=Secret,
        doc="app-level token, Socket Mode only",
    )
    # `warroom manifest --validate / --create` only.
    app_config_token: Secret = setting(
        env="SLACK_APP_CONFIG_TOKEN",
        default=NO_SECRET,
        parse=Secret,
        doc="app configuration token (`xoxe.xoxp-…`, from <https://api.slack.com/apps>, "
        '"Your App Configuration Tokens"), for `warroom manifest --validate` / `--create` only',
    )
    api_url: str = setting(
        env="SLACK_API_URL", default=DEFAULT_SLACK_API_URL, doc="base URL of the Slack Web API"
    )
    # 60, as Slack counts; shorter only against the emulator with its windows compressed the
    # same way (tests, benchmarks).
    rate_window: float = setting(
        env="WARROOM_SLACK_RATE_WINDOW",
        default=60.0,
        parse=seconds,
        doc="Slack's rate-limit window in seconds; shorter only against the emulator with its "
        "windows compressed the same way (benchmarks)",
        shown="`60`",
    )

    def problems(self) -> list[str]:
        if not 0 < self.rate_window <= 3600:
            return ["WARROOM_SLACK_RATE_WINDOW: must be more than 0 and at most 3600 s"]
        return []

    def require(self, *needs: Need) -> None:
        """Raise ConfigError naming every missing variable the chosen mode needs."""
        wanted = {
            "slack_token": ("SLACK_BOT_TOKEN", self.bot_token),
            "signing_secret": ("SLACK_SIGNING_SECRET", self.signing_secret),
            "app_token": ("SLACK_APP_TOKEN", self.app_token),
            "app_config_token": ("SLACK_APP_CONFIG_TOKEN", self.app_config_token),
        }
        missing = [wanted[need][0] for need in needs if not wanted[need][1]]
        if missing:
            raise ConfigError("missing required environment variable(s): " + ", ".join(missing))
