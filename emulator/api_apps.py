"""The App Manifest API methods: apps.manifest.validate and apps.manifest.create.

As documented at https://docs.slack.dev/reference/methods/apps.manifest.validate and
https://docs.slack.dev/reference/methods/apps.manifest.create:

- they take an app configuration token (``xoxe.xoxp-…``, generated at api.slack.com/apps under
  "Your App Configuration Tokens"; https://api.slack.com/authentication/config-tokens), never a
  bot or app-level token: the server's ``_auth_error`` enforces that;
- ``manifest`` is the manifest as a JSON-encoded string;
- a manifest that breaks the schema is answered ``invalid_manifest`` with an ``errors`` array of
  ``{"message", "pointer"}`` (``emulator.manifest_rules``);
- create answers ``app_id``, ``credentials`` (``client_id``, ``client_secret``,
  ``verification_token``, ``signing_secret``) and ``oauth_authorize_url``, the page that
  installs the new app: here the emulator's own ``/oauth/v2/authorize``.

That install page is OAuth v2's first step (https://api.slack.com/authentication/oauth-v2):
``client_id``, the bot scopes in ``scope`` and the user scopes in ``user_scope``, both
comma-separated. It refuses to ask for Sign in with Slack's scopes beside others in that one
flow, the "scope conflict" of https://api.slack.com/authentication/sign-in-with-slack, with an
error page (400). Otherwise it shows what the app asks of the workspace; the emulator's
workspace has the app installed already (its bot token), so there is nothing to allow.
"""

from __future__ import annotations

import html
import json
import secrets
import urllib.parse
from typing import Any

from aiohttp import web

from emulator.api import ApiError, Args, Result, method
from emulator.manifest_rules import (
    SCOPE_CONFLICT,
    ManifestProblem,
    invalid_manifest,
    scope_conflict,
    validate_manifest,
)
from emulator.oidc import AuthorizeError, error_page, html_document, html_page
from emulator.state import EmulatorState

INSTALL_PATH = "/oauth/v2/authorize"  # slack.com/oauth/v2/authorize


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
    return dict(manifest)


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
        "oauth_authorize_url": install_url(emu, client_id, manifest),
    }


def install_url(emu: EmulatorState, client_id: str, manifest: dict[str, Any]) -> str:
    """The install page of a new app: its client id and the scopes its manifest asks for."""
    scopes = (manifest.get("oauth_config") or {}).get("scopes") or {}
    query = [("client_id", client_id), ("scope", ",".join(scopes.get("bot") or []))]
    if scopes.get("user"):
        query.append(("user_scope", ",".join(scopes["user"])))
    return emu.root_url + INSTALL_PATH + "?" + urllib.parse.urlencode(query, safe=",:.")


def handle_install(emu: EmulatorState, query: dict[str, str]) -> web.Response:
    """GET /oauth/v2/authorize: what a created app asks for, or why Slack will not ask it."""
    try:
        name, bot, user = _install_request(emu, query)
    except AuthorizeError as error:
        return html_page(400, error_page(emu, error))
    items = "".join(f"<li><code>{html.escape(s)}</code></li>" for s in [*bot, *user])
    body = (
        f"<h1>{html.escape(name)} is requesting permission to access the "
        f"{html.escape(emu.team_name)} Slack workspace</h1>\n<ul>{items}</ul>"
    )
    return html_page(200, html_document(f"Install {name} | Slack", body))


def _install_request(emu: EmulatorState, query: dict[str, str]) -> tuple[str, list[str], list[str]]:
    client_id = query.get("client_id") or ""
    app = next(
        (a for a in emu.created_apps.values() if a["credentials"]["client_id"] == client_id), None
    )
    if app is None:
        raise AuthorizeError("invalid_client_id", f"No app has the client_id {client_id!r}.")
    bot, user = (_scopes(query.get(name)) for name in ("scope", "user_scope"))
    if scope_conflict([*bot, *user]):
        raise AuthorizeError("invalid_scope", SCOPE_CONFLICT + ".")
    return str(app["manifest"]["display_information"]["name"]), bot, user


def _scopes(raw: str | None) -> list[str]:
    return [scope for scope in (raw or "").split(",") if scope]
