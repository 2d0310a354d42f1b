"""`warroom manifest --validate / --create`: Slack's App Manifest API, with a config token.

- https://docs.slack.dev/reference/methods/apps.manifest.validate
- https://docs.slack.dev/reference/methods/apps.manifest.create
- https://api.slack.com/authentication/config-tokens: app configuration tokens (``xoxe.xoxp-…``)
  are generated at https://api.slack.com/apps ("Your App Configuration Tokens"), belong to a
  person and a workspace, and expire after 12 hours.

The answers of ``apps.manifest.create`` hold the new app's secrets: they are handed back to the
caller, never logged (the Slack client here logs nothing below WARNING, whatever
``WARROOM_LOG_LEVEL`` says: slack_sdk logs whole response bodies at DEBUG).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings

APP_SETTINGS_URL = "https://api.slack.com/apps/{app_id}"
CONFIG_TOKENS_URL = "https://api.slack.com/apps"  # "Your App Configuration Tokens"
# Errors that mean the token, not the manifest, is the problem.
TOKEN_ERRORS = frozenset(
    {"not_authed", "invalid_auth", "token_expired", "token_revoked", "not_allowed_token_type"}
)
_PLAIN_VALUE = re.compile(r"^[A-Za-z0-9._-]+$")

_quiet = logging.getLogger("warroom.manifest.slack")
_quiet.setLevel(logging.WARNING)


class Refusal(Exception):
    """Slack answered ``ok: false`` (or could not be reached: ``error`` is then ``unreachable``)."""

    def __init__(
        self, error: str, problems: list[dict[str, str]] | None = None, detail: str = ""
    ) -> None:
        super().__init__(error)
        self.error = error
        self.problems = list(problems or [])
        self.detail = detail

    def explain(self) -> list[str]:
        """Lines for a person: what went wrong and what to do."""
        if self.error == "invalid_manifest":
            lines = ["Slack refused the manifest (invalid_manifest):"]
            for problem in self.problems or [{"pointer": "/", "message": "(no details given)"}]:
                lines.append(f"  {problem.get('pointer') or '/'}: {problem.get('message')}")
            return lines
        if self.error in TOKEN_ERRORS:
            return [
                f"Slack refused SLACK_APP_CONFIG_TOKEN ({self.error}).",
                "It needs an app configuration token (xoxe.xoxp-…), not the bot token (xoxb-)"
                " or an app-level token (xapp-):",
                f'generate one at {CONFIG_TOKENS_URL} ("Your App Configuration Tokens");'
                " they expire after 12 hours.",
            ]
        if self.error == "unreachable":
            return [f"Could not reach Slack: {self.detail}"]
        return [f"Slack answered {self.error}." + (f" {self.detail}" if self.detail else "")]


@dataclass(frozen=True)
class CreatedApp:
    app_id: str
    client_id: str
    client_secret: str
    signing_secret: str
    verification_token: str
    oauth_authorize_url: str

    def __repr__(self) -> str:  # never the secrets, even in a traceback
        return f"CreatedApp(app_id={self.app_id!r}, client_id={self.client_id!r})"

    @property
    def settings_url(self) -> str:
        return APP_SETTINGS_URL.format(app_id=self.app_id)


def _client(settings: Settings) -> AsyncWebClient:
    return AsyncWebClient(
        token=settings.slack_app_config_token or None,
        base_url=settings.slack_api_url,
        logger=_quiet,
    )


async def _call(settings: Settings, method: str, manifest: dict[str, Any]) -> dict[str, Any]:
    client = _client(settings)
    body = json.dumps(manifest)
    try:
        if method == "create":
            response = await client.apps_manifest_create(manifest=body)
        else:
            response = await client.apps_manifest_validate(manifest=body)
    except SlackApiError as error:
        data = error.response.data if isinstance(error.response.data, dict) else {}
        problems = [p for p in data.get("errors") or [] if isinstance(p, dict)]
        raise Refusal(str(data.get("error") or "unknown_error"), problems) from None
    except (aiohttp.ClientError, OSError) as error:  # TimeoutError is an OSError
        detail = f"{settings.slack_api_url}: {error or type(error).__name__}"
        raise Refusal("unreachable", detail=detail) from None
    return dict(response.data) if isinstance(response.data, dict) else {}


async def validate_with_slack(settings: Settings, manifest: dict[str, Any]) -> None:
    """Ask Slack whether it takes ``manifest``; raise ``Refusal`` when not."""
    await _call(settings, "validate", manifest)


async def create_with_slack(settings: Settings, manifest: dict[str, Any]) -> CreatedApp:
    """Create the app from ``manifest``; raise ``Refusal`` when Slack will not."""
    data = await _call(settings, "create", manifest)
    credentials = data.get("credentials") or {}
    return CreatedApp(
        app_id=str(data.get("app_id", "")),
        client_id=str(credentials.get("client_id", "")),
        client_secret=str(credentials.get("client_secret", "")),
        signing_secret=str(credentials.get("signing_secret", "")),
        verification_token=str(credentials.get("verification_token", "")),
        oauth_authorize_url=str(data.get("oauth_authorize_url", "")),
    )


def check_credentials_path(path: Path) -> str | None:
    """Why ``path`` cannot take the credentials (asked before the app is created), or None."""
    if path.exists():
        return f"{path} already exists; choose a new file (it will hold secrets)"
    if not path.parent.is_dir():
        return f"{path.parent} is not a directory"
    return None


def write_credentials(path: Path, app: CreatedApp) -> None:
    """Write the app's secrets as environment assignments, readable by its owner only (0600).

    The names are warroom's variables, so ``set -a; . FILE; set +a`` or ``docker run --env-file
    FILE`` configures it. The file must not exist: it is created with O_EXCL, never replaced.
    """
    lines = [
        f"# Slack app {app.app_id}, created by `warroom manifest --create`. Secrets: keep private.",
        f"# Settings: {app.settings_url}. The deprecated verification token is left out.",
        f"SLACK_SIGNING_SECRET={_env_value(app.signing_secret)}",
        f"SLACK_CLIENT_ID={_env_value(app.client_id)}",
        f"SLACK_CLIENT_SECRET={_env_value(app.client_secret)}",
    ]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        os.write(fd, ("\n".join(lines) + "\n").encode())
    finally:
        os.close(fd)


def _env_value(value: str) -> str:
    return value if _PLAIN_VALUE.match(value) else shlex.quote(value)


def next_steps(app: CreatedApp, *, socket_mode: bool, credentials_file: Path | None) -> list[str]:
    """What to do once the app exists, for a person (no secret in it)."""
    settings = app.settings_url
    lines = [
        f"Created Slack app {app.app_id} (client id {app.client_id}).",
        "Next steps:",
        f"  1. Install it to the workspace: {app.oauth_authorize_url}",
        f'  2. Copy the "Bot User OAuth Token" (xoxb-…) from {settings}/oauth into'
        " SLACK_BOT_TOKEN.",
    ]
    if credentials_file is not None:
        lines.append(
            f"  3. The signing secret and the client id and secret are in {credentials_file}"
            f" (mode 0600): `set -a; . {shlex.quote(str(credentials_file))}; set +a`."
        )
    else:
        lines.append(
            f'  3. The signing secret and client secret are under "App Credentials" at {settings}'
            "/general (not printed here; --credentials-file FILE writes them to a 0600 file)."
        )
    if socket_mode:
        lines.append(
            f'  4. Socket Mode: under "App-Level Tokens" at {settings}/general, make a token with'
            " the connections:write scope (xapp-…) for SLACK_APP_TOKEN; then"
            " `warroom serve --socket-mode`."
        )
    else:
        lines.append(
            "  4. Run `warroom serve` where --url points, then have Slack verify the events"
            f" Request URL at {settings}/event-subscriptions (it sends a signed challenge)."
        )
    return lines
