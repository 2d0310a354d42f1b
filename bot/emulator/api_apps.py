"""The App Manifest API methods: apps.manifest.validate and apps.manifest.create.

As documented at https://docs.slack.dev/reference/methods/apps.manifest.validate and
https://docs.slack.dev/reference/methods/apps.manifest.create:

- they take an app configuration token (``xoxe.xoxp-…``, generated at api.slack.com/apps under
  "Your App Configuration Tokens"; https://api.slack.com/authentication/config-tokens), never a
  bot or app-level token: the server's ``_auth_error`` enforces that;
- ``manifest`` is the manifest as a JSON-encoded string;
- a manifest that breaks the schema is answered ``invalid_manifest`` with an ``errors`` array of
  ``{"message", "pointer"}`` (``bot.emulator.manifest_rules``);
- create answers ``app_id``, ``credentials`` (``client_id``, ``client_secret``,
  ``verification_token``, ``signing_secret``) and ``oauth_authorize_url``, the page that
  installs the new app.
"""

from __future__ import annotations

import json
import secrets
import urllib.parse
from typing import Any

from bot.emulator.api import ApiError, Args, Result, method
from bot.emulator.manifest_rules import ManifestProblem, invalid_manifest, validate_manifest
from bot.emulator.state import EmulatorState

OAUTH_AUTHORIZE_URL = "https://slack.com/oauth/v2/authorize"


def _manifest(args: Args) -> dict[str, Any]:
    """The ``manifest`` argument, parsed and checked (``invalid_manifest`` if Slack refuses it)."""
    raw = args.data.get("manifest")
    if raw is None or raw == "":
        raise ApiError("invalid_arguments")
    manifest: Any = raw
    if isinstance(raw, str):
        try:
            manifest = json.loads(raw)
        except json.JSONDecodeError as error:
            problem = ManifestProblem(f"The manifest is not valid JSON: {error.msg}", "/")
            raise ApiError("invalid_manifest", _errors([problem])) from error
    # In doubt, refuse: the documented rules no schema holds apply here too.
    problems = validate_manifest(manifest, strict=True)
    if problems:
        raise ApiError("invalid_manifest", _errors(problems))
    return manifest


def _errors(problems: list[ManifestProblem]) -> dict[str, Any]:
    """What Slack adds beside ``"error": "invalid_manifest"``."""
    return {"errors": invalid_manifest(problems)["errors"]}


@method("apps.manifest.validate")
def apps_manifest_validate(emu: EmulatorState, args: Args) -> Result:
    app_id = args.text("app_id")
    if app_id and app_id != emu.app_id and app_id not in emu.created_apps:
        raise ApiError("invalid_app_id")
    _manifest(args)
    return {}


@method("apps.manifest.create")
def apps_manifest_create(emu: EmulatorState, args: Args) -> Result:
    manifest = _manifest(args)
    app_id = emu.new_id("A")
    client_id = f"{secrets.randbelow(9 * 10**9) + 10**9}.{secrets.randbelow(10**13):013d}"
    credentials = {
        "client_id": client_id,
        "client_secret": secrets.token_hex(16),
        "verification_token": secrets.token_urlsafe(18)[:24],
        "signing_secret": secrets.token_hex(16),
    }
    emu.created_apps[app_id] = {"manifest": manifest, "credentials": dict(credentials)}
    return {
        "app_id": app_id,
        "credentials": credentials,
        "oauth_authorize_url": authorize_url(client_id, manifest),
    }


def authorize_url(client_id: str, manifest: dict[str, Any]) -> str:
    """The install page of a new app: its client id and the scopes its manifest asks for."""
    scopes = (manifest.get("oauth_config") or {}).get("scopes") or {}
    query = [("client_id", client_id), ("scope", ",".join(scopes.get("bot") or []))]
    if scopes.get("user"):
        query.append(("user_scope", ",".join(scopes["user"])))
    return OAUTH_AUTHORIZE_URL + "?" + urllib.parse.urlencode(query, safe=",:.")
