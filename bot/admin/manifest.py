"""`warroom manifest --validate / --create`: what the verb prints and writes.

The calls to Slack's App Manifest API are ``bot.clients.slack.apps``. Configuration tokens
(``xoxe.xoxp-…``) are generated at https://api.slack.com/apps ("Your App Configuration
Tokens").
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

from bot.clients.slack.apps import CreatedApp, ManifestWarning
from bot.clients.slack.errors import SlackFailure, SlackNotAllowed, SlackRefused, SlackUnavailable

CONFIG_TOKENS_URL = "https://api.slack.com/apps"  # "Your App Configuration Tokens"
_PLAIN_VALUE = re.compile(r"^[A-Za-z0-9._-]+$")


def explain(failure: SlackFailure, api_url: str) -> list[str]:
    """Lines for a person: what went wrong and what to do."""
    if isinstance(failure, SlackRefused):  # the token was fine: the manifest was not
        lines = [f"Slack refused the manifest ({failure.code}):"]
        for problem in failure.details or ({"pointer": "/", "message": "(no details given)"},):
            lines.append(f"  {problem.get('pointer') or '/'}: {problem.get('message')}")
        return lines
    if isinstance(failure, SlackNotAllowed):
        return [
            f"Slack refused SLACK_APP_CONFIG_TOKEN ({failure.code}).",
            "It needs an app configuration token (xoxe.xoxp-…), not the bot token (xoxb-)"
            " or an app-level token (xapp-):",
            f'generate one at {CONFIG_TOKENS_URL} ("Your App Configuration Tokens");'
            " they expire after 12 hours.",
        ]
    if isinstance(failure, SlackUnavailable):
        return [f"Could not reach Slack: {api_url}: {failure.code}"]
    return [f"Slack answered {failure.code}."]


def accepted(warnings: list[ManifestWarning]) -> list[str]:
    """What ``--validate`` prints when Slack takes the manifest: its warnings too."""
    if not warnings:
        return ["Slack accepts the manifest (apps.manifest.validate)."]
    lines = ["Slack accepts the manifest (apps.manifest.validate), and warns:"]
    for warning in warnings:
        where = f"{warning.pointer}: " if warning.pointer else ""
        code = f" ({warning.code})" if warning.code and warning.code != warning.message else ""
        lines.append(f"  {where}{warning.message}{code}")
    return lines


class CredentialsFile:
    """The file the new app's secrets go to, made empty (0600) before Slack is asked to create
    the app: a path that cannot be made (it exists, a dangling link, no such directory, no
    permission) is found while there is no app yet whose secrets would be shown nowhere."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # O_EXCL: never an existing file, nor a symbolic link (even a dangling one) followed.
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        os.fchmod(self._fd, 0o600)  # whatever the umask

    @classmethod
    def make(cls, path: Path) -> CredentialsFile | str:
        """The file, or why it cannot be made (for a person)."""
        try:
            return cls(path)
        except FileExistsError:
            return f"{path} already exists; choose a new file (it will hold secrets)"
        except OSError as error:
            return f"{path} cannot be created: {error.strerror}"

    def write(self, app: CreatedApp) -> None:
        """Write the app's secrets as environment assignments; OSError if the disk refuses.

        The names are warroom's variables, so ``set -a; . FILE; set +a`` or ``docker run
        --env-file FILE`` configures it.
        """
        lines = [
            f"# Slack app {app.app_id}, created by `warroom manifest --create`."
            " Secrets: keep private.",
            f"# Settings: {app.settings_url}. The deprecated verification token is left out.",
            f"SLACK_SIGNING_SECRET={_env_value(app.signing_secret)}",
            f"SLACK_CLIENT_ID={_env_value(app.client_id)}",
            f"SLACK_CLIENT_SECRET={_env_value(app.client_secret)}",
        ]
        data = ("\n".join(lines) + "\n").encode()
        try:
            while data:
                data = data[os.write(self._fd, data) :]
        finally:
            self.close()

    def discard(self) -> None:
        """No app was created: the empty file goes again."""
        self.close()
        self.path.unlink(missing_ok=True)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def unwritten_credentials(path: Path, error: OSError, app: CreatedApp) -> list[str]:
    """What to do when the app exists but its secrets could not be written: where Slack shows
    them again (they are never printed, so no terminal or log keeps them)."""
    return [
        f"warroom: the app was created, but could not write {path}: {error.strerror}.",
        f'The signing secret and client secret are under "App Credentials" at'
        f" {app.settings_url}/general (regenerate the client secret there if {path} may hold"
        " part of it); they are not printed here.",
    ]


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
