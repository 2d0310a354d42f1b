"""Slack's App Manifest API, with an app configuration token: validate and create the app.

- https://docs.slack.dev/reference/methods/apps.manifest.validate
- https://docs.slack.dev/reference/methods/apps.manifest.create
- https://api.slack.com/authentication/config-tokens: app configuration tokens (``xoxe.xoxp-…``)
  belong to a person and a workspace, and expire after 12 hours.

The answers of ``apps.manifest.create`` hold the new app's secrets: they are handed back to the
caller, never logged (the Slack client here logs nothing below WARNING, whatever
``WARROOM_LOG_LEVEL`` says: the SDK logs whole response bodies at DEBUG). Failures leave as
``bot.clients.slack.errors`` failures; an invalid manifest's problems are in ``details``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.clients.slack.errors import translated
from bot.config import Settings

APP_SETTINGS_URL = "https://api.slack.com/apps/{app_id}"

_quiet = logging.getLogger("warroom.manifest.slack")
_quiet.setLevel(logging.WARNING)


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
        token=settings.slack.app_config_token or None,
        base_url=settings.slack.api_url,
        logger=_quiet,
    )


async def _call(settings: Settings, method: str, manifest: dict[str, Any]) -> dict[str, Any]:
    client = _client(settings)
    body = json.dumps(manifest)
    with translated(f"apps.manifest.{method}"):
        if method == "create":
            response = await client.apps_manifest_create(manifest=body)
        else:
            response = await client.apps_manifest_validate(manifest=body)
    return dict(response.data) if isinstance(response.data, dict) else {}


@dataclass(frozen=True)
class ManifestWarning:
    """Something Slack says of a manifest it takes."""

    message: str
    pointer: str = ""
    code: str = ""


def warnings_in(data: dict[str, Any]) -> list[ManifestWarning]:
    """Slack's warnings in an answer that is ``ok``.

    Two shapes: the App Manifest API's own ``warnings``, ``{code, message, pointer}`` like its
    ``errors`` (what slackapi/slack-cli's client reads from apps.manifest.validate), and the
    Web API's warning codes (``warning``, ``warnings``, ``response_metadata.warnings``) with
    their wording in ``response_metadata.messages``
    (https://api.slack.com/changelog/2016-09-28-response-metadata-is-on-the-way).
    """
    items = data.get("warnings") or []
    found = [
        ManifestWarning(
            message=str(item.get("message") or item.get("code") or ""),
            pointer=str(item.get("pointer") or ""),
            code=str(item.get("code") or ""),
        )
        for item in items
        if isinstance(item, dict)
    ]
    meta = data.get("response_metadata")
    meta = meta if isinstance(meta, dict) else {}
    codes = [
        *(item for item in items if isinstance(item, str)),
        *str(data.get("warning") or "").split(","),
        *(str(code) for code in meta.get("warnings") or []),
    ]
    messages = [ManifestWarning(message=str(m)) for m in meta.get("messages") or []]
    return found + (messages or [ManifestWarning(c, code=c) for c in dict.fromkeys(codes) if c])


async def validate_with_slack(
    settings: Settings, manifest: dict[str, Any]
) -> list[ManifestWarning]:
    """Ask Slack whether it takes ``manifest``: its warnings if it does, a ``SlackFailure``
    when not."""
    return warnings_in(await _call(settings, "validate", manifest))


async def create_with_slack(settings: Settings, manifest: dict[str, Any]) -> CreatedApp:
    """Create the app from ``manifest``; raise a ``SlackFailure`` when Slack will not."""
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
