"""The Slack app manifest: Slack's schema limits, `warroom manifest`, and the App Manifest API.

The rules are emulator/manifest_rules.py (from slackapi/manifest-schema,
schemas/manifest.schema.1.0.0.json); these tests show that each limit refuses a value one over
it, with the pointer Slack would give, so the check of the printed manifest can fail.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import logging
import os
import stat
import string
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.basics.slack_ids import Shortcut
from bot.cli import main
from bot.slack.manifest import BOT_SCOPES, build_manifest, manifest_yaml
from emulator import SlackEmulator
from emulator.manifest_rules import SCOPE_CONFLICT, validate_manifest
from emulator.server import OAUTH_SCOPES

REPO = Path(__file__).resolve().parents[2]
BASE = "https://warroom.example.com"
CONFIG_TOKEN = "xoxe.xoxp-1-test-config-token"
OLD_SHORTCUT_NAME = "Declare incident from this message"  # what warroom printed before: 34 long


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A clean environment for `warroom manifest`, and the root logger as it was after it."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    for name in ("WARROOM_PUBLIC_URL", "SLACK_APP_CONFIG_TOKEN", "SLACK_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WARROOM_LOG_LEVEL", "WARNING")
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:], root.level = handlers, level


def pointers(manifest: object, *, strict: bool = True) -> list[str]:
    return [problem.pointer for problem in validate_manifest(manifest, strict=strict)]


def run_manifest(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["manifest", *args])
    out, err = capsys.readouterr()
    return code, out, err


# -- (a) what `warroom manifest` prints passes Slack's rules --------------------------------------
@pytest.mark.parametrize("args", [["--url", BASE], []], ids=["http", "socket-mode"])
def test_printed_manifest_passes_slack_rules(
    capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    code, out, _ = run_manifest(capsys, *args)
    assert code == 0
    manifest = yaml.safe_load(out)
    assert pointers(manifest) == []  # Slack's rules and warroom's stricter ones
    shortcuts = {s["callback_id"]: s["name"] for s in manifest["features"]["shortcuts"]}
    assert shortcuts == {
        Shortcut.ADD_TO_TIMELINE: "Add to incident timeline",
        Shortcut.DECLARE_FROM_MESSAGE: "Declare incident",
    }
    assert all(len(name) <= 24 for name in shortcuts.values())
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is (not args)


def test_bot_scopes_are_the_ones_the_code_uses() -> None:
    assert "channels:join" not in BOT_SCOPES
    # `warroom import` matches a vendor's users by email (bot/clients/slack/web_api.py).
    assert "users:read.email" in BOT_SCOPES
    # Workflows add links to an incident channel's bookmarks (bot/flows/workflows/actions.py).
    assert "bookmarks:write" in BOT_SCOPES
    # The emulator's auth.test reports the manifest's scopes as the bot token's.
    assert OAUTH_SCOPES.split(",") == BOT_SCOPES
    bot = REPO / "bot"
    code = "\n".join(path.read_text() for path in bot.rglob("*.py"))  # the emulator is beside
    assert "bookmarks_add" in code
    assert "users_lookupByEmail" in code
    assert "conversations_join" not in code


def test_redirect_urls_for_sign_in(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Socket Mode, nothing given: no redirect URL, and a note says what Sign in needs.
    _, out, err = run_manifest(capsys)
    assert "redirect_urls" not in yaml.safe_load(out)["oauth_config"]
    assert "--redirect-url" in err and "WARROOM_PUBLIC_URL" in err
    # Socket Mode with --redirect-url, or WARROOM_PUBLIC_URL (what `warroom serve` sends).
    callback = "https://warroom.internal.example.com/auth/slack/callback"
    _, out, err = run_manifest(capsys, "--redirect-url", callback)
    assert yaml.safe_load(out)["oauth_config"]["redirect_urls"] == [callback]
    assert err == ""
    monkeypatch.setenv("WARROOM_PUBLIC_URL", "https://warroom.internal.example.com/")
    _, out, _ = run_manifest(capsys)
    assert yaml.safe_load(out)["oauth_config"]["redirect_urls"] == [callback]
    # HTTP mode at the same address: listed once (Slack wants them unique).
    monkeypatch.setenv("WARROOM_PUBLIC_URL", BASE)
    _, out, _ = run_manifest(capsys, "--url", BASE, "--redirect-url", callback)
    manifest = yaml.safe_load(out)
    assert manifest["oauth_config"]["redirect_urls"] == [callback, f"{BASE}/auth/slack/callback"]
    assert pointers(manifest) == []


@pytest.mark.parametrize(
    "args",
    [
        ["--url", "warroom.example.com"],
        ["--redirect-url", "warroom.example.com/auth/slack/callback"],
        ["--credentials-file", "creds.env"],
    ],
)
def test_bad_manifest_arguments(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    code, out, err = run_manifest(capsys, *args)
    assert code == 2 and out == ""
    assert err.startswith("warroom: ")


# -- (b) every limit: at it passes, one over is refused at the right place -------------------------
def valid() -> dict[str, Any]:
    """warroom's manifest, with a user scope so that the limits of those lists show too."""
    return put(build_manifest(BASE), "/oauth_config/scopes/user", ["users:read"])


def put(manifest: dict[str, Any], pointer: str, value: object) -> dict[str, Any]:
    *parents, last = pointer.strip("/").split("/")
    node: Any = manifest
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return manifest


def _url(n: int) -> str:
    return "https://" + "x" * (n - len("https://"))


# (pointer, longest allowed, a value of length n)
LENGTHS: list[tuple[str, int, Callable[[int], str]]] = [
    ("/display_information/name", 35, lambda n: "w" * n),
    ("/display_information/description", 140, lambda n: "d" * n),
    ("/display_information/long_description", 4000, lambda n: "l" * n),
    ("/features/bot_user/display_name", 80, lambda n: "b" * n),
    ("/features/slash_commands/0/command", 32, lambda n: "/" + "c" * (n - 1)),
    ("/features/slash_commands/0/description", 2000, lambda n: "d" * n),
    ("/features/slash_commands/0/usage_hint", 1000, lambda n: "u" * n),
    ("/features/slash_commands/0/url", 3000, _url),
    ("/features/shortcuts/1/name", 24, lambda n: "s" * n),
    ("/features/shortcuts/1/callback_id", 255, lambda n: "c" * n),
    ("/features/shortcuts/1/description", 150, lambda n: "d" * n),
    ("/oauth_config/redirect_urls/0", 2500, _url),
    ("/oauth_config/scopes/bot/0", 50, lambda n: "a" * n),
    ("/oauth_config/scopes/user/0", 50, lambda n: "a" * n),
    ("/settings/event_subscriptions/request_url", 3500, _url),
    ("/settings/event_subscriptions/bot_events/0", 50, lambda n: "e" * n),
    ("/settings/interactivity/request_url", 3500, _url),
]


@pytest.mark.parametrize(("pointer", "limit", "value"), LENGTHS, ids=[p for p, _, _ in LENGTHS])
def test_length_limits(pointer: str, limit: int, value: Callable[[int], str]) -> None:
    assert pointers(put(valid(), pointer, value(limit))) == []
    over = validate_manifest(put(valid(), pointer, value(limit + 1)), strict=True)
    assert [(p.pointer, p.message) for p in over] == [
        (pointer, f"Must be at most {limit} characters long (is {limit + 1})")
    ]


def test_the_old_shortcut_name_is_refused() -> None:
    old = put(valid(), "/features/shortcuts/1/name", OLD_SHORTCUT_NAME)
    assert [p.to_api() for p in validate_manifest(old)] == [
        {
            "message": "Must be at most 24 characters long (is 34)",
            "pointer": "/features/shortcuts/1/name",
        }
    ]


def _names(n: int) -> list[str]:
    """n distinct lowercase names (event names may not repeat)."""
    pairs = itertools.product(string.ascii_lowercase, repeat=2)
    return ["event_" + "".join(pair) for pair in itertools.islice(pairs, n)]


# (pointer of the array, most items allowed, the array with n items)
COUNTS: list[tuple[str, int, Callable[[dict[str, Any], int], list[Any]]]] = [
    ("/features/shortcuts", 10, lambda m, n: [m["features"]["shortcuts"][0]] * n),
    ("/features/slash_commands", 50, lambda m, n: [m["features"]["slash_commands"][0]] * n),
    ("/oauth_config/scopes/bot", 255, lambda _m, n: ["chat:write"] * n),
    ("/oauth_config/redirect_urls", 1000, lambda _m, n: [f"{BASE}/{i}" for i in range(n)]),
    ("/settings/event_subscriptions/bot_events", 100, lambda _m, n: _names(n)),
]


@pytest.mark.parametrize(("pointer", "limit", "items"), COUNTS, ids=[p for p, _, _ in COUNTS])
def test_item_limits(
    pointer: str, limit: int, items: Callable[[dict[str, Any], int], list[Any]]
) -> None:
    manifest = valid()
    assert pointers(put(copy.deepcopy(manifest), pointer, items(manifest, limit))) == []
    over = validate_manifest(put(manifest, pointer, items(manifest, limit + 1)), strict=True)
    assert [(p.pointer, p.message) for p in over] == [
        (pointer, f"Must have at most {limit} items (has {limit + 1})")
    ]


# (what is wrong, the change, the pointers Slack would name)
BREAKS: list[tuple[str, Callable[[dict[str, Any]], object], list[str]]] = [
    (
        "long description under 175",
        lambda m: put(m, "/display_information/long_description", "l" * 174),
        ["/display_information/long_description"],
    ),
    (
        "background colour",
        lambda m: put(m, "/display_information/background_color", "#1d1c1"),
        ["/display_information/background_color"],
    ),
    (
        "empty app name",
        lambda m: put(m, "/display_information/name", ""),
        ["/display_information/name"],
    ),
    (
        "no display_information",
        lambda m: m.pop("display_information"),
        ["/display_information"],
    ),
    (
        "no app name",
        lambda m: m["display_information"].pop("name"),
        ["/display_information/name"],
    ),
    (
        "command without its slash",
        lambda m: put(m, "/features/slash_commands/0/command", "incident"),
        ["/features/slash_commands/0/command"],
    ),
    (
        "command URL not http(s)",
        lambda m: put(m, "/features/slash_commands/0/url", "ftp://warroom.example.com"),
        ["/features/slash_commands/0/url"],
    ),
    (
        "events URL without scheme",
        lambda m: put(m, "/settings/event_subscriptions/request_url", "warroom.example.com"),
        ["/settings/event_subscriptions/request_url"],
    ),
    (
        "interactivity URL without scheme",
        lambda m: put(m, "/settings/interactivity/request_url", "//warroom.example.com"),
        ["/settings/interactivity/request_url"],
    ),
    (
        "shortcut type",
        lambda m: put(m, "/features/shortcuts/0/type", "menu"),
        ["/features/shortcuts/0/type"],
    ),
    (
        "shortcut without description",
        lambda m: m["features"]["shortcuts"][0].pop("description"),
        ["/features/shortcuts/0/description"],
    ),
    (
        "empty shortcut callback_id",
        lambda m: put(m, "/features/shortcuts/0/callback_id", ""),
        ["/features/shortcuts/0/callback_id"],
    ),
    ("no shortcuts", lambda m: put(m, "/features/shortcuts", []), ["/features/shortcuts"]),
    (
        "unknown settings property",
        lambda m: put(m, "/settings/bad_param", False),
        ["/settings/bad_param"],
    ),
    ("unknown top-level property", lambda m: put(m, "/bot", {}), ["/bot"]),
    (
        "unknown shortcut property",
        lambda m: put(m, "/features/shortcuts/0/url", BASE),
        ["/features/shortcuts/0/url"],
    ),
    (
        "unknown _metadata property",
        lambda m: put(m, "/_metadata/version", 1),
        ["/_metadata/version"],
    ),
    (
        "major_version as a string",
        lambda m: put(m, "/_metadata/major_version", "1"),
        ["/_metadata/major_version"],
    ),
    (
        "socket_mode_enabled as a string",
        lambda m: put(m, "/settings/socket_mode_enabled", "true"),
        ["/settings/socket_mode_enabled"],
    ),
    (
        "bot scopes not an array",
        lambda m: put(m, "/oauth_config/scopes/bot", "commands,chat:write"),
        ["/oauth_config/scopes/bot"],
    ),
    (
        "a scope that is not a string",
        lambda m: put(m, "/oauth_config/scopes/bot/0", 7),
        ["/oauth_config/scopes/bot/0"],
    ),
    (
        "repeated event",
        lambda m: put(m, "/settings/event_subscriptions/bot_events/1", "message.channels"),
        ["/settings/event_subscriptions/bot_events/1"],
    ),
    (
        "repeated redirect URL",
        lambda m: put(m, "/oauth_config/redirect_urls", [BASE, BASE]),
        ["/oauth_config/redirect_urls/1"],
    ),
    (
        "interactivity without is_enabled",
        lambda m: m["settings"]["interactivity"].pop("is_enabled"),
        ["/settings/interactivity/is_enabled"],
    ),
    (
        "HTTP mode without request URLs",
        lambda m: (
            m["settings"]["event_subscriptions"].pop("request_url"),
            m["settings"]["interactivity"].pop("request_url"),
        ),
        ["/settings/event_subscriptions", "/settings/interactivity"],
    ),
]


@pytest.mark.parametrize(("change", "wanted"), [b[1:] for b in BREAKS], ids=[b[0] for b in BREAKS])
def test_rules_name_what_breaks_them(
    change: Callable[[dict[str, Any]], object], wanted: list[str]
) -> None:
    manifest = valid()
    change(manifest)
    assert pointers(manifest, strict=False) == wanted


def test_strict_rules_are_warroom_s_own() -> None:
    # Slack's schema takes a display name with spaces (its own examples have them); the manifest
    # reference lists a-z, 0-9, -, _ and . only: warroom keeps to the stricter one.
    spaced = put(valid(), "/features/bot_user/display_name", "War Room")
    assert pointers(spaced, strict=False) == []
    assert pointers(spaced) == ["/features/bot_user/display_name"]
    odd_scope = put(valid(), "/oauth_config/scopes/bot/1", "Chat Write")
    assert pointers(odd_scope, strict=False) == []
    assert pointers(odd_scope) == ["/oauth_config/scopes/bot/1"]
    odd_redirect = put(valid(), "/oauth_config/redirect_urls", ["://asdf"])
    assert pointers(odd_redirect, strict=False) == []  # the schema takes anything there
    assert pointers(odd_redirect) == ["/oauth_config/redirect_urls/0"]


def test_a_minimal_manifest_and_pointer_escaping() -> None:
    assert pointers({"display_information": {"name": "x"}}) == []
    assert pointers([]) == ["/"]
    assert pointers({"display_information": {"name": "x"}, "a/b~c": 1}) == ["/a~1b~0c"]


# -- (c) the App Manifest API in the emulator, and `warroom manifest --validate / --create` -------
@pytest.fixture
async def slack(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator(app_config_token=CONFIG_TOKEN) as emulator:
        monkeypatch.setenv("SLACK_API_URL", emulator.base_url)
        monkeypatch.setenv("SLACK_APP_CONFIG_TOKEN", CONFIG_TOKEN)
        yield emulator


async def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`warroom manifest …` in a thread (it runs its own event loop), the emulator in ours."""
    code = await asyncio.to_thread(main, ["manifest", *args])
    out, err = capsys.readouterr()
    return code, out, err


async def test_emulator_validates_manifests_with_the_config_token_only(
    slack: SlackEmulator,
) -> None:
    config = AsyncWebClient(token=CONFIG_TOKEN, base_url=slack.base_url)
    assert (await config.apps_manifest_validate(manifest=build_manifest(BASE)))["ok"] is True
    old = put(build_manifest(BASE), "/features/shortcuts/1/name", OLD_SHORTCUT_NAME)
    with pytest.raises(SlackApiError) as refused:
        await config.apps_manifest_validate(manifest=json.dumps(old))
    assert refused.value.response.data == {
        "ok": False,
        "error": "invalid_manifest",
        "errors": [
            {
                "message": "Must be at most 24 characters long (is 34)",
                "pointer": "/features/shortcuts/1/name",
            }
        ],
    }
    with pytest.raises(SlackApiError) as not_json:
        await config.apps_manifest_validate(manifest="{display_information")
    assert not_json.value.response["error"] == "invalid_manifest"
    assert not_json.value.response["errors"][0]["pointer"] == "/"
    # The bot token (or the app-level one) is the wrong kind; any other token is unknown.
    for token, error in [
        (slack.bot_token, "not_allowed_token_type"),
        (slack.app_token, "not_allowed_token_type"),
        ("xoxe.xoxp-1-someone-else", "invalid_auth"),
    ]:
        client = AsyncWebClient(token=token, base_url=slack.base_url)
        with pytest.raises(SlackApiError) as wrong:
            await client.apps_manifest_validate(manifest=build_manifest(BASE))
        assert wrong.value.response["error"] == error
    # …and the config token opens nothing else.
    with pytest.raises(SlackApiError) as elsewhere:
        await config.auth_test()
    assert elsewhere.value.response["error"] == "not_allowed_token_type"
    assert slack.created_apps == {}


async def test_emulator_creates_an_app(slack: SlackEmulator) -> None:
    config = AsyncWebClient(token=CONFIG_TOKEN, base_url=slack.base_url)
    created = await config.apps_manifest_create(manifest=build_manifest(None))
    app_id = created["app_id"]
    assert set(created["credentials"]) == {
        "client_id",
        "client_secret",
        "verification_token",
        "signing_secret",
    }
    install = created["oauth_authorize_url"]
    assert install.startswith(f"{slack.root_url}/oauth/v2/authorize?")  # slack.com's, emulated
    assert f"client_id={created['credentials']['client_id']}" in install
    assert "scope=commands,chat:write," in install
    assert "user_scope" not in install  # Sign in with Slack asks in its own flow
    assert slack.created_apps[app_id]["manifest"] == build_manifest(None)
    ok = await config.apps_manifest_validate(manifest=build_manifest(None), app_id=app_id)
    assert ok["ok"] is True
    with pytest.raises(SlackApiError) as unknown:
        await config.apps_manifest_validate(manifest=build_manifest(None), app_id="A0NOSUCH")
    assert unknown.value.response["error"] == "invalid_app_id"


async def test_cli_validate(slack: SlackEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = await run_cli(capsys, "--url", BASE, "--validate")
    assert (code, err) == (0, "")
    assert "Slack accepts the manifest" in out
    code, out, _ = await run_cli(capsys, "--validate")  # Socket Mode
    assert code == 0 and "Slack accepts" in out
    sent = json.loads(slack.calls_to("apps.manifest.validate")[0].args["manifest"])
    assert sent == build_manifest(BASE)
    assert slack.created_apps == {}


def mixed_scopes(manifest: dict[str, Any]) -> dict[str, Any]:
    """``manifest`` with Sign in with Slack's scopes beside the bot's, as warroom had them."""
    return put(manifest, "/oauth_config/scopes/user", ["openid", "profile", "email"])


def test_sign_in_scopes_stay_out_of_the_install() -> None:
    for base in (BASE, None):
        manifest = build_manifest(base, redirect_urls=[f"{BASE}/auth/slack/callback"])
        assert manifest["oauth_config"]["scopes"] == {"bot": BOT_SCOPES}
        assert manifest["oauth_config"]["redirect_urls"] == [f"{BASE}/auth/slack/callback"]
    refused = [f"/oauth_config/scopes/user/{index}" for index in range(3)]
    for strict in (False, True):
        problems = validate_manifest(mixed_scopes(build_manifest(BASE)), strict=strict)
        assert [(p.pointer, p.message) for p in problems] == [(p, SCOPE_CONFLICT) for p in refused]
    # Sign in with Slack's scopes alone are one flow: nothing conflicts.
    alone = put(build_manifest(BASE), "/oauth_config/scopes", {"user": ["openid", "email"]})
    assert pointers(alone) == []


async def test_emulator_refuses_to_install_sign_in_scopes_beside_the_bot_scopes(
    slack: SlackEmulator,
) -> None:
    config = AsyncWebClient(token=CONFIG_TOKEN, base_url=slack.base_url)
    for call in (config.apps_manifest_validate, config.apps_manifest_create):
        with pytest.raises(SlackApiError) as refused:
            await call(manifest=json.dumps(mixed_scopes(build_manifest(BASE))))
        assert refused.value.response["error"] == "invalid_manifest"
        assert {e["message"] for e in refused.value.response["errors"]} == {SCOPE_CONFLICT}
    assert slack.created_apps == {}
    # The install page of an app created without them refuses them added by hand.
    created = await config.apps_manifest_create(manifest=json.dumps(build_manifest(BASE)))
    async with aiohttp.ClientSession() as browser:
        async with browser.get(created["oauth_authorize_url"]) as page:
            assert page.status == 200
            assert "chat:write" in await page.text()
        mixed = created["oauth_authorize_url"] + "&user_scope=openid,profile"
        async with browser.get(mixed) as page:
            assert page.status == 400
            assert 'data-error="invalid_scope"' in await page.text()
            assert "scope conflict" in await page.text()


async def test_cli_validate_prints_slacks_warnings(
    slack: SlackEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    # What Slack's own CLI reads from apps.manifest.validate (slackapi/slack-cli,
    # internal/api/app.go): an accepted manifest with warnings beside an empty errors list.
    warning = {"code": "breaking_change", "message": "Removes a scope", "pointer": "/oauth_config"}
    slack.answer("apps.manifest.validate", {"ok": True, "errors": [], "warnings": [warning]})
    code, out, err = await run_cli(capsys, "--url", BASE, "--validate")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "Slack accepts the manifest (apps.manifest.validate), and warns:",
        "  /oauth_config: Removes a scope (breaking_change)",
    ]
    # The Web API's own warning codes, each said once (the shape of
    # https://api.slack.com/changelog/2016-09-28-response-metadata-is-on-the-way).
    generic = {"ok": True, "warnings": ["missing_charset"], "warning": "missing_charset"}
    slack.answer(
        "apps.manifest.validate",
        {**generic, "response_metadata": {"warnings": ["missing_charset"]}},
    )
    code, out, _ = await run_cli(capsys, "--validate")
    assert code == 0 and out.splitlines()[1:] == ["  missing_charset"]


async def test_cli_explains_a_refused_manifest(
    slack: SlackEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The manifest warroom printed before: its second shortcut's name had 34 characters.
    def old_manifest(base_url: str | None, **kwargs: Any) -> dict[str, Any]:
        manifest = build_manifest(base_url, **kwargs)
        return put(manifest, "/features/shortcuts/1/name", OLD_SHORTCUT_NAME)

    monkeypatch.setattr("bot.slack.manifest.build_manifest", old_manifest)
    for option in ("--validate", "--create"):
        code, out, err = await run_cli(capsys, "--url", BASE, option)
        assert code == 1 and out == ""
        assert err.splitlines() == [
            "Slack refused the manifest (invalid_manifest):",
            "  /features/shortcuts/1/name: Must be at most 24 characters long (is 34)",
        ]
    assert slack.created_apps == {}


async def test_cli_refuses_a_wrong_token_clearly(
    slack: SlackEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_APP_CONFIG_TOKEN", slack.bot_token)
    code, out, err = await run_cli(capsys, "--validate")
    assert code == 1 and out == ""
    assert "Slack refused SLACK_APP_CONFIG_TOKEN (not_allowed_token_type)" in err
    assert "xoxe.xoxp-" in err and "Your App Configuration Tokens" in err
    assert slack.bot_token not in err
    monkeypatch.setenv("SLACK_APP_CONFIG_TOKEN", "xoxe.xoxp-1-expired")
    code, _, err = await run_cli(capsys, "--create")
    assert code == 1 and "(invalid_auth)" in err and "expire after 12 hours" in err
    monkeypatch.delenv("SLACK_APP_CONFIG_TOKEN")
    code, _, err = await run_cli(capsys, "--validate")
    assert code == 2 and "SLACK_APP_CONFIG_TOKEN" in err
    assert slack.created_apps == {}


async def test_cli_create_writes_credentials_to_a_private_file(
    slack: SlackEmulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    credentials = tmp_path / "warroom-slack.env"
    code, out, err = await run_cli(
        capsys, "--url", BASE, "--create", "--credentials-file", str(credentials)
    )
    assert (code, err) == (0, "")
    [(app_id, app)] = slack.created_apps.items()
    secrets = app["credentials"]
    assert f"Created Slack app {app_id}" in out
    assert f"{slack.root_url}/oauth/v2/authorize?client_id=" in out  # the install URL
    assert f"https://api.slack.com/apps/{app_id}/oauth" in out  # where the bot token is
    for name in ("client_secret", "signing_secret", "verification_token"):
        assert secrets[name] not in out
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    lines = [line for line in credentials.read_text().splitlines() if not line.startswith("#")]
    assert lines == [
        f"SLACK_SIGNING_SECRET={secrets['signing_secret']}",
        f"SLACK_CLIENT_ID={secrets['client_id']}",
        f"SLACK_CLIENT_SECRET={secrets['client_secret']}",
    ]
    # An existing file is never overwritten, and then no app is created.
    code, out, err = await run_cli(capsys, "--create", "--credentials-file", str(credentials))
    assert code == 2 and "already exists" in err
    assert len(slack.created_apps) == 1


async def warroom_process(
    slack: SlackEmulator, *args: str, python: tuple[str, ...] = ("-m", "bot")
) -> tuple[int | None, str]:
    """`python -m bot …` with DEBUG logs against the emulator: its exit code and all it wrote."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "WARROOM_"))},
        "SLACK_API_URL": slack.base_url,
        "SLACK_APP_CONFIG_TOKEN": CONFIG_TOKEN,
        "WARROOM_LOG_LEVEL": "DEBUG",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *python,
        *args,
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode, stdout.decode() + stderr.decode()


async def test_create_as_a_process_never_shows_secrets(slack: SlackEmulator) -> None:
    """`python -m bot manifest --create` with DEBUG logs: slack_sdk's body logging stays off."""
    code, output = await warroom_process(slack, "manifest", "--create")
    assert code == 0, output
    [app] = slack.created_apps.values()
    assert "Socket Mode" in output and "connections:write" in output
    for name in ("client_secret", "signing_secret", "verification_token"):
        assert app["credentials"][name] not in output
    assert CONFIG_TOKEN not in output


async def test_create_refuses_a_credentials_path_it_cannot_write_before_slack_creates_the_app(
    slack: SlackEmulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Issue 24, item 17: a dangling symbolic link (or any path that cannot be created) is
    refused while no app exists yet, whose secrets would then be written nowhere."""
    dangling = tmp_path / "slack.env"
    dangling.symlink_to(tmp_path / "gone" / "slack.env")
    for path in (dangling, tmp_path / "no-such-dir" / "slack.env"):
        code, out, err = await run_cli(capsys, "--create", "--credentials-file", str(path))
        assert (code, out) == (2, ""), (path, err)
        assert f"warroom: --credentials-file: {path}" in err
    assert slack.created_apps == {}
    assert dangling.is_symlink() and not dangling.exists()


async def test_a_refused_create_leaves_no_credentials_file_behind(
    slack: SlackEmulator,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    credentials = tmp_path / "slack.env"
    monkeypatch.setenv("SLACK_APP_CONFIG_TOKEN", "xoxe.xoxp-1-expired")
    code, _, err = await run_cli(capsys, "--create", "--credentials-file", str(credentials))
    assert code == 1 and "(invalid_auth)" in err
    assert not credentials.exists(), "the file made for the secrets is removed again"


async def test_when_the_credentials_cannot_be_written_after_all_it_says_where_to_find_them(
    slack: SlackEmulator, tmp_path: Path
) -> None:
    """The file is made before the app; its write can still fail (a full disk): here the
    process may not write a byte to any file (RLIMIT_FSIZE 0). The operator is told where the
    secrets are, and they are in no output."""
    credentials = tmp_path / "slack.env"
    limited = (
        "import resource, runpy, signal, sys;"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN);"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0));"
        "sys.argv = ['warroom', *sys.argv[1:]];"
        "runpy.run_module('bot', run_name='__main__')"
    )
    args = ("manifest", "--create", "--credentials-file", str(credentials))
    code, output = await warroom_process(slack, *args, python=("-c", limited))
    assert code == 1, output
    [(app_id, app)] = slack.created_apps.items()
    for name in ("client_secret", "signing_secret", "verification_token"):
        assert app["credentials"][name] not in output
    assert f"could not write {credentials}" in output
    assert f"https://api.slack.com/apps/{app_id}/general" in output
    assert "App Credentials" in output
    assert credentials.read_text() == ""


def test_manifest_declares_what_the_bot_uses() -> None:
    http = yaml.safe_load(manifest_yaml("https://warroom.example.com"))
    command = http["features"]["slash_commands"][0]
    assert command["command"] == "/incident" and command["should_escape"] is True
    assert command["url"] == "https://warroom.example.com/slack/events"
    assert http["settings"]["event_subscriptions"]["request_url"] == command["url"]
    assert http["settings"]["interactivity"]["request_url"] == command["url"]
    assert http["settings"]["socket_mode_enabled"] is False
    scopes = set(http["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "channels:manage", "pins:write", "channels:history"} <= scopes
    events = set(http["settings"]["event_subscriptions"]["bot_events"])
    assert {"message.channels", "reaction_added", "reaction_removed"} <= events
    socket = build_manifest(None)
    assert socket["settings"]["socket_mode_enabled"] is True
    assert "url" not in socket["features"]["slash_commands"][0]
