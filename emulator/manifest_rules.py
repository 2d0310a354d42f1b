"""Slack's app manifest rules, checked the way ``apps.manifest.validate`` answers.

Where the rules come from (read there; nothing of the schema file is copied here, the rules are
written out in our own terms):

- Slack's JSON schema for manifests, version 1.0.0: repository ``slackapi/manifest-schema``,
  path ``schemas/manifest.schema.1.0.0.json``
  (https://github.com/slackapi/manifest-schema/blob/main/schemas/manifest.schema.1.0.0.json):
  the properties each object allows (most are closed: ``additionalProperties: false``), the
  required ones, string lengths, patterns, enums and array sizes.
- The manifest reference, https://docs.slack.dev/reference/app-manifest (formerly
  https://api.slack.com/reference/manifests): what each field means, and the bot user's
  display name characters (a-z, 0-9, ``-``, ``_``, ``.``), which the schema does not encode.
- https://docs.slack.dev/reference/methods/apps.manifest.validate and
  https://docs.slack.dev/reference/methods/apps.manifest.create: a refused manifest is answered
  ``{"ok": false, "error": "invalid_manifest", "errors": [{"message": …, "pointer": …}]}``
  where ``pointer`` is a JSON pointer (RFC 6901) into the manifest; their example errors
  ("Event Subscription requires either Request URL or Socket Mode Enabled", "Interactivity
  requires a Request URL") are checks across fields that no schema expresses.
- Sign in with Slack, https://api.slack.com/authentication/sign-in-with-slack (now
  https://docs.slack.dev/authentication/sign-in-with-slack): its scopes (``openid``,
  ``profile``, ``email``) "must be requested in separate OAuth flows"; "A scope conflict occurs
  when attempting to combine Sign in with Slack user scopes with non-Sign in with Slack scopes
  in the same OAuth flow". A manifest's scopes are what its install flow asks for, so a
  manifest that lists both is refused (``scope_conflict``).

Two levels:

- ``validate_manifest(manifest)``: Slack's schema plus the documented checks across fields.
- ``validate_manifest(manifest, strict=True)`` adds the rules the reference documents and the
  schema does not hold: the documented display-name characters (the schema has no pattern, and
  Slack's own example manifest uses spaces), scope and event names shaped like Slack's
  (``chat:write``, ``users:read.email``, ``message.channels``) and redirect URLs that are
  http(s) URLs (the schema takes any string there). The emulator's ``apps.manifest.validate``
  and ``apps.manifest.create`` use these too: where two of Slack's sources disagree, the
  emulator refuses, so a manifest it takes is one Slack takes.

Where the schema and the prose disagree the schema wins: ``long_description`` needs at least
175 characters in the schema (the reference says 174), and ``background_color`` is checked
against ``^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$`` (the schema states it under a non-standard
``regex`` keyword, which generic JSON-schema validators skip, but the reference documents the
same 3- or 6-digit rule). Parts of a manifest warroom never writes (functions, workflows,
datastores, types, app_directory, assistant_view…) are only checked to have the right JSON type.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# -- our own rule vocabulary ------------------------------------------------------------------
HTTP_URL = re.compile(r"^https?://")
HTTPS_URL = re.compile(r"^https://")
HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$")
SLASH = re.compile(r"^/")
UNFURL_DOMAIN = re.compile(r"^(?![.-])[-a-z0-9.]+[a-z0-9]$")
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
IPV4_RANGE = re.compile(rf"^({_OCTET}\.){{3}}{_OCTET}(/(3[0-2]|[12]?[0-9]))?$")
# warroom's stricter rules (strict=True).
BOT_DISPLAY_NAME = re.compile(r"^[a-z0-9._-]+$")
SCOPE = re.compile(r"^[a-z][a-z_]*(\.[a-z_]+)*(:[a-z_]+(\.[a-z_]+)*)?$")
EVENT = re.compile(r"^[a-z][a-z_]*(\.[a-z_]+)*$")
# Sign in with Slack's scopes, which no other scope may accompany in one OAuth flow.
SIGN_IN_SCOPES = frozenset({"openid", "profile", "email"})
SCOPE_CONFLICT = (
    "Sign in with Slack's scopes (openid, profile, email) cannot be requested with other"
    " scopes in the same OAuth flow (scope conflict): ask for them in a flow of their own"
)


@dataclass(frozen=True)
class Text:
    """A JSON string: lengths in characters (code points, as JSON Schema counts them)."""

    min_length: int = 0
    max_length: int | None = None
    pattern: re.Pattern[str] | None = None
    pattern_says: str = ""  # how the message explains the pattern
    choices: tuple[str, ...] = ()
    strict_pattern: re.Pattern[str] | None = None  # warroom's own rule, strict mode only
    strict_says: str = ""


@dataclass(frozen=True)
class Flag:
    """A JSON boolean."""


@dataclass(frozen=True)
class Whole:
    """A JSON integer."""


@dataclass(frozen=True)
class Opaque:
    """A part warroom does not write: only its JSON type is checked ("object" or "array")."""

    kind: str = "object"


@dataclass(frozen=True)
class Items:
    """A JSON array of ``item``."""

    item: Rule
    min_items: int = 0
    max_items: int | None = None
    unique: bool = False


@dataclass(frozen=True)
class Fields:
    """A JSON object; ``closed`` refuses properties not listed (additionalProperties false)."""

    fields: Mapping[str, Rule]
    required: tuple[str, ...] = ()
    closed: bool = True


Rule = Text | Flag | Whole | Opaque | Items | Fields


def _url(max_length: int, pattern: re.Pattern[str] = HTTP_URL) -> Text:
    says = "an https:// URL" if pattern is HTTPS_URL else "an http:// or https:// URL"
    return Text(max_length=max_length, pattern=pattern, pattern_says=says)


_SCOPE_LIST = Items(
    Text(max_length=50, strict_pattern=SCOPE, strict_says="a scope name like chat:write"),
    max_items=255,
)
_EVENT_LIST = Items(
    Text(max_length=50, strict_pattern=EVENT, strict_says="an event name like reaction_added"),
    max_items=100,
    unique=True,
)

# -- the 1.0.0 manifest, property by property --------------------------------------------------
METADATA = Fields(
    {
        "schema_version": Whole(),
        "min_version": Whole(),
        "major_version": Whole(),
        "minor_version": Whole(),
    }
)
DISPLAY_INFORMATION = Fields(
    {
        "name": Text(1, 35),
        "description": Text(1, 140),
        "background_color": Text(
            4, 7, HEX_COLOR, "a hex colour with its #, 3 or 6 digits (#1d1c1d)"
        ),
        "long_description": Text(175, 4000),
    },
    required=("name",),
)
APP_HOME = Fields(
    {
        "home_tab_enabled": Flag(),
        "messages_tab_enabled": Flag(),
        "messages_tab_read_only_enabled": Flag(),
    }
)
BOT_USER = Fields(
    {
        "display_name": Text(
            1,
            80,
            strict_pattern=BOT_DISPLAY_NAME,
            strict_says="a-z, 0-9, -, _ and . only (the manifest reference's characters)",
        ),
        "always_online": Flag(),
    },
    required=("display_name",),
)
SHORTCUT = Fields(
    {
        "name": Text(1, 24),
        "type": Text(choices=("message", "global")),
        "callback_id": Text(1, 255),
        "description": Text(1, 150),
    },
    required=("name", "type", "callback_id", "description"),
)
SLASH_COMMAND = Fields(
    {
        "command": Text(2, 32, SLASH, "a command starting with /"),
        "url": _url(3000),
        "description": Text(1, 2000),
        "usage_hint": Text(1, 1000),
        "should_escape": Flag(),
    },
    required=("command", "description"),
)
WORKFLOW_STEP = Fields(
    {"name": Text(1, 50), "callback_id": Text(1, 50)}, required=("name", "callback_id")
)
FEATURES = Fields(
    {
        "app_home": APP_HOME,
        "bot_user": BOT_USER,
        "functions": Opaque("array"),
        "shortcuts": Items(SHORTCUT, min_items=1, max_items=10),
        "slash_commands": Items(SLASH_COMMAND, min_items=1, max_items=50),
        "workflow_steps": Items(WORKFLOW_STEP, min_items=1, max_items=10),
        "unfurl_domains": Items(
            Text(max_length=255, pattern=UNFURL_DOMAIN, pattern_says="a lowercase domain name"),
            min_items=1,
            max_items=5,
            unique=True,
        ),
        "assistant_view": Opaque(),
    }
)
OAUTH_CONFIG = Fields(
    {
        # No pattern in Slack's schema ("we accept anything like '://asdf'"); strict wants http(s).
        "redirect_urls": Items(
            Text(max_length=2500, strict_pattern=HTTP_URL, strict_says="an http(s) URL"),
            max_items=1000,
            unique=True,
        ),
        "scopes": Fields(
            {
                "bot": _SCOPE_LIST,
                "user": _SCOPE_LIST,
                "bot_optional": _SCOPE_LIST,
                "user_optional": _SCOPE_LIST,
            }
        ),
        "token_management_enabled": Flag(),
        "pkce_enabled": Flag(),
    }
)
EVENT_SUBSCRIPTIONS = Fields(
    {
        "request_url": _url(3500),
        "bot_events": _EVENT_LIST,
        "user_events": _EVENT_LIST,
        "metadata_subscriptions": Items(
            Fields(
                {"app_id": Text(), "event_type": Text(max_length=50)},
                required=("app_id", "event_type"),
            ),
            min_items=1,
            max_items=20,
            unique=True,
        ),
    }
)
INTERACTIVITY = Fields(
    {"is_enabled": Flag(), "request_url": _url(3500), "message_menu_options_url": _url(3500)},
    required=("is_enabled",),
)
SETTINGS = Fields(
    {
        "allowed_ip_address_ranges": Items(
            Text(pattern=IPV4_RANGE, pattern_says="an IPv4 address or CIDR range"),
            min_items=1,
            max_items=50,
            unique=True,
        ),
        "event_subscriptions": EVENT_SUBSCRIPTIONS,
        "incoming_webhooks": Fields({"incoming_webhooks_enabled": Flag()}),
        "interactivity": INTERACTIVITY,
        "org_deploy_enabled": Flag(),
        "socket_mode_enabled": Flag(),
        "is_hosted": Flag(),
        "token_rotation_enabled": Flag(),
        "siws_links": Fields({"initiate_uri": _url(3500, HTTPS_URL)}),
        "hermes_app_type": Text(),
        "function_runtime": Text(),
        "is_mcp_enabled": Flag(),
    }
)
MANIFEST = Fields(
    {
        "$schema": Text(),
        "_metadata": METADATA,
        "app_directory": Opaque(),
        "display_information": DISPLAY_INFORMATION,
        "features": FEATURES,
        "oauth_config": OAUTH_CONFIG,
        "settings": SETTINGS,
        "functions": Opaque(),
        "workflows": Opaque(),
        "datastores": Opaque(),
        "outgoing_domains": Opaque("array"),
        "types": Opaque(),
        "external_auth_providers": Opaque(),
    },
    required=("display_information",),
)


# -- checking ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ManifestProblem:
    """One entry of ``errors`` in Slack's ``invalid_manifest`` answer."""

    message: str
    pointer: str

    def to_api(self) -> dict[str, str]:
        return {"message": self.message, "pointer": self.pointer}


@dataclass
class _Check:
    strict: bool
    problems: list[ManifestProblem] = field(default_factory=list)

    def add(self, pointer: str, message: str) -> None:
        self.problems.append(ManifestProblem(message, pointer or "/"))


def validate_manifest(manifest: object, *, strict: bool = False) -> list[ManifestProblem]:
    """Every rule ``manifest`` (parsed JSON/YAML) breaks; an empty list when Slack takes it."""
    check = _Check(strict)
    _rule(check, MANIFEST, manifest, "")
    if isinstance(manifest, dict):
        _across_fields(check, manifest)
    return check.problems


def invalid_manifest(problems: list[ManifestProblem]) -> dict[str, Any]:
    """The body Slack answers for a refused manifest (HTTP 200)."""
    return {
        "ok": False,
        "error": "invalid_manifest",
        "errors": [problem.to_api() for problem in problems],
    }


def pointer_to(*parts: str | int) -> str:
    """A JSON pointer (RFC 6901): ``~`` and ``/`` inside a key are escaped."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def _rule(check: _Check, rule: Rule, value: object, at: str) -> None:
    if isinstance(rule, Text):
        _text(check, rule, value, at)
    elif isinstance(rule, Flag):
        if not isinstance(value, bool):
            check.add(at, "Must be a boolean (true or false)")
    elif isinstance(rule, Whole):
        if isinstance(value, bool) or not isinstance(value, int):
            check.add(at, "Must be an integer")
    elif isinstance(rule, Opaque):
        wanted = list if rule.kind == "array" else dict
        if not isinstance(value, wanted):
            check.add(at, f"Must be an {rule.kind}")
    elif isinstance(rule, Items):
        _items(check, rule, value, at)
    else:
        _fields(check, rule, value, at)


def _text(check: _Check, rule: Text, value: object, at: str) -> None:
    if not isinstance(value, str):
        check.add(at, "Must be a string")
        return
    if len(value) < rule.min_length:
        least = "1 character" if rule.min_length == 1 else f"{rule.min_length} characters"
        check.add(at, f"Must be at least {least} long (is {len(value)})")
    if rule.max_length is not None and len(value) > rule.max_length:
        check.add(at, f"Must be at most {rule.max_length} characters long (is {len(value)})")
    if rule.pattern is not None and not rule.pattern.search(value):
        check.add(at, f"Must be {rule.pattern_says} (pattern {rule.pattern.pattern})")
    if rule.choices and value not in rule.choices:
        check.add(at, "Must be one of: " + ", ".join(rule.choices))
    strict = rule.strict_pattern
    if check.strict and strict is not None and value and not strict.search(value):
        check.add(at, f"Should be {rule.strict_says} (warroom's rule)")


def _items(check: _Check, rule: Items, value: object, at: str) -> None:
    if not isinstance(value, list):
        check.add(at, "Must be an array")
        return
    if len(value) < rule.min_items:
        least = "1 item" if rule.min_items == 1 else f"{rule.min_items} items"
        check.add(at, f"Must have at least {least} (has {len(value)})")
    if rule.max_items is not None and len(value) > rule.max_items:
        check.add(at, f"Must have at most {rule.max_items} items (has {len(value)})")
    seen: list[object] = []
    for index, item in enumerate(value):
        if rule.unique and item in seen:
            check.add(f"{at}/{index}", "Repeats an earlier item; items must be unique")
        seen.append(item)
        _rule(check, rule.item, item, f"{at}/{index}")


def _fields(check: _Check, rule: Fields, value: object, at: str) -> None:
    if not isinstance(value, dict):
        check.add(at, "Must be an object")
        return
    for name in rule.required:
        if name not in value:
            check.add(at + pointer_to(name), f'Missing required property "{name}"')
    for name, item in value.items():
        where = at + pointer_to(str(name))
        sub = rule.fields.get(name)
        if sub is None:
            if rule.closed:
                check.add(where, f'Unknown property "{name}" is not allowed here')
            continue
        _rule(check, sub, item, where)


def scope_conflict(scopes: list[str]) -> bool:
    """Whether one OAuth flow asks for Sign in with Slack's scopes beside any other."""
    asked = set(scopes)
    return bool(asked & SIGN_IN_SCOPES) and bool(asked - SIGN_IN_SCOPES)


def _across_fields(check: _Check, manifest: dict[str, Any]) -> None:
    """The checks Slack documents that span several fields."""
    _sign_in_scopes(check, manifest)
    settings = manifest.get("settings")
    if not isinstance(settings, dict):
        return
    socket_mode = settings.get("socket_mode_enabled") is True
    events = settings.get("event_subscriptions")
    if (
        isinstance(events, dict)
        and (events.get("bot_events") or events.get("user_events"))
        and not events.get("request_url")
        and not socket_mode
    ):
        check.add(
            "/settings/event_subscriptions",
            "Event Subscription requires either Request URL or Socket Mode Enabled",
        )
    interactivity = settings.get("interactivity")
    if (
        isinstance(interactivity, dict)
        and interactivity.get("is_enabled") is True
        and not interactivity.get("request_url")
        and not socket_mode
    ):
        check.add("/settings/interactivity", "Interactivity requires a Request URL")


def _sign_in_scopes(check: _Check, manifest: dict[str, Any]) -> None:
    """Each Sign in with Slack scope listed beside the install's other scopes, refused."""
    config = manifest.get("oauth_config")
    scopes = config.get("scopes") if isinstance(config, dict) else None
    if not isinstance(scopes, dict):
        return
    listed = [
        (kind, index, scope)
        for kind, names in scopes.items()
        if isinstance(names, list)
        for index, scope in enumerate(names)
        if isinstance(scope, str)
    ]
    if not scope_conflict([scope for _, _, scope in listed]):
        return
    for kind, index, scope in listed:
        if scope in SIGN_IN_SCOPES:
            check.add(pointer_to("oauth_config", "scopes", kind, index), SCOPE_CONFLICT)
