"""Sign in with Slack (OpenID Connect) against the emulator, over real HTTP on 127.0.0.1.

The browser leg is played with aiohttp (the chooser page is parsed and its form posted), the
API leg with slack_sdk's own openid_connect_token / openid_connect_userInfo.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from emulator import SlackEmulator

ALICE, BOB, CAROL = "U0ALICE", "U0BOB", "U0CAROL"
SLACK = "https://slack.com/"

# slack_sdk 3.47's openid_connect_token sends client_id/client_secret with aiohttp.BasicAuth,
# which aiohttp 3.14 deprecates; that warning (only that one) is slack_sdk's business, not ours.
pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")


@pytest.fixture
async def emu() -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator() as slack:
        slack.team_name = "Warroom Demo"
        slack.add_user(ALICE, "alice", "Alice Moreau", tz="Europe/Paris")
        slack.add_user(BOB, "bob", "Bob Okafor", email="bob.okafor@corp.example")
        slack.add_user(CAROL, "carol", "Carol Tanaka").deleted = True
        yield slack


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(trust_env=False) as session:
        yield session


@dataclass
class RelyingParty:
    """The app's side: a callback URL on 127.0.0.1 that records what Slack sent back."""

    url: str = ""
    received: list[dict[str, str]] = field(default_factory=list)

    async def callback(self, request: web.Request) -> web.Response:
        self.received.append(dict(request.query))
        return web.Response(text="signed in")


@pytest.fixture
async def app() -> AsyncIterator[RelyingParty]:
    party = RelyingParty()
    web_app = web.Application()
    web_app.router.add_get("/auth/callback", party.callback)
    runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    party.url = f"http://127.0.0.1:{runner.addresses[0][1]}/auth/callback"
    yield party
    await runner.cleanup()


class ChooserPage(HTMLParser):
    """The parts of the sign-in page a person (or Playwright) uses."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.title = ""
        self.form: dict[str, str] = {}
        self.hidden: dict[str, str] = {}
        self.buttons: list[dict[str, str]] = []  # attributes plus "text"
        self._in: str | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.form = values
        elif tag == "input" and values.get("type") == "hidden":
            self.hidden[values["name"]] = values["value"]
        elif tag == "button":
            self.buttons.append({**values, "text": ""})
        if tag in ("button", "title"):
            self._in = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "button":
            self.buttons[-1]["text"] += data
        elif self._in == "title":
            self.title += data


def authorize_query(emu: SlackEmulator, redirect_uri: str | None, **extra: str) -> dict[str, str]:
    query = {
        "response_type": "code",
        "scope": "openid profile email",
        "client_id": emu.oidc_client_id,
        "state": "st-123/ä",
        "nonce": "n-456",
        "team": emu.team_id,
        **extra,
    }
    if redirect_uri is not None:
        query["redirect_uri"] = redirect_uri
    return query


async def get_page(
    http: aiohttp.ClientSession, emu: SlackEmulator, query: dict[str, str]
) -> tuple[int, str, dict[str, str]]:
    async with http.get(emu.authorize_url, params=query, allow_redirects=False) as resp:
        return resp.status, await resp.text(), dict(resp.headers)


async def choose(
    http: aiohttp.ClientSession, emu: SlackEmulator, form: dict[str, str]
) -> tuple[int, dict[str, str]]:
    """POST the chooser form without following the redirect: (status, Location query)."""
    async with http.post(emu.authorize_url, data=form, allow_redirects=False) as resp:
        location = resp.headers.get("Location", "")
        return resp.status, dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


async def signed_in_code(
    http: aiohttp.ClientSession, emu: SlackEmulator, redirect_uri: str, user: str = ALICE
) -> str:
    """A code the short way (login_hint), for the token tests."""
    query = authorize_query(emu, redirect_uri, login_hint=user)
    async with http.get(emu.authorize_url, params=query, allow_redirects=False) as resp:
        assert resp.status == 302, await resp.text()
        location = urllib.parse.urlsplit(resp.headers["Location"])
    return dict(urllib.parse.parse_qsl(location.query))["code"]


def exchange(emu: SlackEmulator, code: str, redirect_uri: str | None, **kwargs: Any) -> Any:
    kwargs.setdefault("client_id", emu.oidc_client_id)
    kwargs.setdefault("client_secret", emu.oidc_client_secret)
    client = AsyncWebClient(base_url=emu.base_url)
    return client.openid_connect_token(code=code, redirect_uri=redirect_uri, **kwargs)


async def api_error(call: Awaitable[AsyncSlackResponse]) -> str:
    with pytest.raises(SlackApiError) as caught:
        await call
    return str(caught.value.response["error"])


def b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verify_hs256(token: str, secret: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) of a compact JWT after checking its HMAC-SHA256 signature."""
    header_b64, claims_b64, signature_b64 = token.split(".")
    expected = hmac.new(
        secret.encode(), f"{header_b64}.{claims_b64}".encode(), hashlib.sha256
    ).digest()
    assert hmac.compare_digest(expected, b64url_decode(signature_b64)), "bad JWT signature"
    return json.loads(b64url_decode(header_b64)), json.loads(b64url_decode(claims_b64))


# -- the whole flow ----------------------------------------------------------------------------
async def test_sign_in_with_slack_end_to_end(
    emu: SlackEmulator, http: aiohttp.ClientSession, app: RelyingParty
) -> None:
    status, text, headers = await get_page(http, emu, authorize_query(emu, app.url))
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    page = ChooserPage(text)
    assert page.title.startswith("Sign in to Warroom Demo")
    assert "<h1>Sign in to Warroom Demo</h1>" in text
    assert page.form["method"] == "post"
    people = {b["data-user-id"]: b["text"] for b in page.buttons if "data-user-id" in b}
    # The bot and deactivated Carol cannot sign in.
    assert people == {ALICE: "Alice Moreau", BOB: "Bob Okafor"}
    assert [b["text"] for b in page.buttons if b.get("data-action") == "cancel"] == ["Cancel"]
    assert page.hidden["state"] == "st-123/ä" and page.hidden["redirect_uri"] == app.url

    # Click "Alice Moreau": the form's action, its hidden fields and the button's name=value.
    alice = next(b for b in page.buttons if b.get("data-user-id") == ALICE)
    action = urllib.parse.urljoin(emu.authorize_url, page.form["action"])
    async with http.post(action, data={**page.hidden, alice["name"]: alice["value"]}) as resp:
        assert resp.status == 200 and await resp.text() == "signed in"
        assert resp.history[0].status == 302
    [back] = app.received
    assert back["state"] == "st-123/ä" and set(back) == {"code", "state"}
    assert emu.oidc_codes[back["code"]].user == ALICE

    token = await exchange(emu, back["code"], app.url)
    assert token["ok"] is True and token["token_type"] == "Bearer"
    access_token = token["access_token"]
    assert access_token.startswith("xoxp-") and access_token in emu.oidc_tokens

    header, claims = verify_hs256(token["id_token"], emu.oidc_client_secret)
    assert header == {"alg": "HS256", "typ": "JWT"}
    now = time.time()
    assert claims["iss"] == "https://slack.com" and claims["aud"] == emu.oidc_client_id
    assert claims["sub"] == ALICE and claims[SLACK + "user_id"] == ALICE
    assert claims[SLACK + "team_id"] == emu.team_id and claims["nonce"] == "n-456"
    assert claims["iat"] <= now < claims["exp"] and claims["exp"] - claims["iat"] == 300
    assert claims["auth_time"] <= claims["iat"]
    assert claims["email"] == "alice@example.com" and claims["email_verified"] is True
    assert (claims["name"], claims["given_name"], claims["family_name"]) == (
        "Alice Moreau",
        "Alice",
        "Moreau",
    )
    left_half = hashlib.sha256(access_token.encode()).digest()[:16]
    assert claims["at_hash"] == base64.urlsafe_b64encode(left_half).rstrip(b"=").decode()

    info = await AsyncWebClient(token=access_token, base_url=emu.base_url).openid_connect_userInfo()
    assert info["ok"] is True
    assert {k: info[k] for k in ("sub", SLACK + "user_id", SLACK + "team_id")} == {
        "sub": ALICE,
        SLACK + "user_id": ALICE,
        SLACK + "team_id": emu.team_id,
    }
    assert info[SLACK + "team_name"] == "Warroom Demo"
    assert info[SLACK + "team_domain"] == emu.team_domain
    assert (info["email"], info["email_verified"], info["name"]) == (
        "alice@example.com",
        True,
        "Alice Moreau",
    )
    assert (info["given_name"], info["family_name"], info["locale"]) == ("Alice", "Moreau", "en-US")
    # The picture is served by the emulator itself: a headless browser loads nothing external.
    async with http.get(info["picture"]) as resp:
        assert resp.status == 200 and resp.content_type == "image/svg+xml"
        assert ">AM</text>" in await resp.text()
    assert [c.ok for c in emu.calls_to("openid.connect.token")] == [True]


async def test_stored_email_and_form_credentials(
    emu: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    """client_id/client_secret as form fields (not HTTP Basic), and the token as a form field."""
    redirect = "http://localhost:8123/cb"
    code = await signed_in_code(http, emu, redirect, user=BOB)
    form = {
        "client_id": emu.oidc_client_id,
        "client_secret": emu.oidc_client_secret,
        "code": code,
        "redirect_uri": redirect,
        "grant_type": "authorization_code",
    }
    async with http.post(emu.base_url + "openid.connect.token", data=form) as resp:
        token = await resp.json()
    assert token["ok"] is True, token
    _, claims = verify_hs256(token["id_token"], emu.oidc_client_secret)
    assert claims["email"] == "bob.okafor@corp.example" and claims["sub"] == BOB
    async with http.post(
        emu.base_url + "openid.connect.userInfo", data={"token": token["access_token"]}
    ) as resp:
        info = await resp.json()
    assert info["ok"] is True and info["email"] == "bob.okafor@corp.example"


async def test_openid_scope_alone_shares_no_profile(
    emu: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    redirect = "http://127.0.0.1:8123/cb"
    query = authorize_query(emu, redirect, scope="openid", login_hint=ALICE)
    del query["nonce"]
    status, _, headers = await get_page(http, emu, query)
    assert status == 302
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(headers["Location"]).query))["code"]
    token = await exchange(emu, code, redirect)
    _, claims = verify_hs256(token["id_token"], emu.oidc_client_secret)
    assert "nonce" not in claims and "email" not in claims and "name" not in claims
    assert claims[SLACK + "user_id"] == ALICE
    info = await AsyncWebClient(
        token=token["access_token"], base_url=emu.base_url
    ).openid_connect_userInfo()
    assert info["sub"] == ALICE and "email" not in info and "name" not in info


# -- openid.connect.token errors -----------------------------------------------------------------
async def test_a_code_works_once(emu: SlackEmulator, http: aiohttp.ClientSession) -> None:
    redirect = "http://127.0.0.1:8123/cb"
    code = await signed_in_code(http, emu, redirect)
    assert (await exchange(emu, code, redirect))["ok"] is True
    assert await api_error(exchange(emu, code, redirect)) == "invalid_code"
    assert await api_error(exchange(emu, "123.456.nonsense", redirect)) == "invalid_code"
    assert await api_error(exchange(emu, "", redirect)) == "invalid_code"


async def test_a_code_expires_after_ten_minutes(
    emu: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    assert emu.oidc_code_ttl == 600
    redirect = "http://127.0.0.1:8123/cb"
    code = await signed_in_code(http, emu, redirect)
    emu.oidc_code_ttl = 0.0
    assert await api_error(exchange(emu, code, redirect)) == "invalid_code"


async def test_client_credentials_are_checked(
    emu: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    redirect = "http://127.0.0.1:8123/cb"
    code = await signed_in_code(http, emu, redirect)
    wrong_secret = exchange(emu, code, redirect, client_secret="not-the-secret")
    assert await api_error(wrong_secret) == "bad_client_secret"
    wrong_id = exchange(emu, code, redirect, client_id="111.222")
    assert await api_error(wrong_id) == "invalid_client_id"
    bad_grant = exchange(emu, code, redirect, grant_type="client_credentials")
    assert await api_error(bad_grant) == "invalid_grant_type"
    # None of these used the code up.
    assert (await exchange(emu, code, redirect))["ok"] is True


async def test_redirect_uri_must_match_the_one_the_code_was_issued_for(
    emu: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    redirect = "http://127.0.0.1:8123/cb"
    code = await signed_in_code(http, emu, redirect)
    other = exchange(emu, code, "http://127.0.0.1:8123/other")
    assert await api_error(other) == "bad_redirect_uri"
    # Optional in the exchange, but required once the authorize request named one.
    assert await api_error(exchange(emu, code, None)) == "bad_redirect_uri"
    assert (await exchange(emu, code, redirect))["ok"] is True


async def test_the_single_registered_redirect_uri_is_the_default(
    emu: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    registered = "https://warroom.example/auth/callback?from=slack"
    emu.oidc_redirect_uris = {registered}
    status, _, headers = await get_page(
        http, emu, authorize_query(emu, None, login_hint="alice@example.com")
    )
    assert status == 302
    location = urllib.parse.urlsplit(headers["Location"])
    assert location.netloc == "warroom.example" and location.path == "/auth/callback"
    query = dict(urllib.parse.parse_qsl(location.query))
    assert query["from"] == "slack" and query["state"] == "st-123/ä"
    assert (await exchange(emu, query["code"], None))["ok"] is True


# -- the authorize page: validation, login_hint and Cancel --------------------------------------
async def test_an_unregistered_redirect_uri_gets_an_error_page_and_no_redirect(
    emu: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    emu.oidc_redirect_uris = {"http://127.0.0.1:8123/cb"}
    evil = "http://127.0.0.1:8123/elsewhere"
    for method in ("GET", "POST"):
        query = authorize_query(emu, evil, login_hint=ALICE)
        async with http.request(
            method,
            emu.authorize_url,
            params=query if method == "GET" else None,
            data={**query, "user_id": ALICE} if method == "POST" else None,
            allow_redirects=False,
        ) as resp:
            assert resp.status == 400 and "Location" not in resp.headers
            assert 'data-error="bad_redirect_uri"' in await resp.text()
    emu.oidc_redirect_uris = set()  # then any loopback URL is fine, but nothing else
    for outside in ("https://attacker.example/cb", "http://127.0.0.1.evil.example/cb", "x"):
        status, text, headers = await get_page(http, emu, authorize_query(emu, outside))
        assert status == 400 and "Location" not in headers, outside
        assert 'data-error="bad_redirect_uri"' in text
    assert emu.oidc_codes == {}


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"client_id": "999.888"}, "invalid_client_id"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "profile email"}, "invalid_scope"),
        ({"scope": "openid,channels:read"}, "invalid_scope"),
        ({"team": "T0OTHER"}, "invalid_team"),
        ({"login_hint": "U0NOBODY"}, "invalid_user"),
        ({"login_hint": CAROL}, "invalid_user"),
    ],
)
async def test_bad_authorize_requests_get_an_error_page(
    emu: SlackEmulator, http: aiohttp.ClientSession, change: dict[str, str], error: str
) -> None:
    query = {**authorize_query(emu, "http://127.0.0.1:8123/cb"), **change}
    status, text, headers = await get_page(http, emu, query)
    assert status == 400 and "Location" not in headers
    assert headers["Content-Type"].startswith("text/html")
    assert f'data-error="{error}"' in text


async def test_login_hint_skips_the_page(emu: SlackEmulator, http: aiohttp.ClientSession) -> None:
    redirect = "http://localhost:8123/cb?next=%2Fincidents%2F7"
    status, _, headers = await get_page(http, emu, authorize_query(emu, redirect, login_hint=BOB))
    assert status == 302
    location = urllib.parse.urlsplit(headers["Location"])
    query = dict(urllib.parse.parse_qsl(location.query))
    assert f"{location.scheme}://{location.netloc}{location.path}" == "http://localhost:8123/cb"
    assert query["next"] == "/incidents/7" and query["state"] == "st-123/ä"
    assert emu.oidc_codes[query["code"]].user == BOB


async def test_cancel_redirects_with_access_denied(
    emu: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    redirect = "http://127.0.0.1:8123/cb"
    status, text, _ = await get_page(http, emu, authorize_query(emu, redirect))
    page = ChooserPage(text)
    cancel = next(b for b in page.buttons if b.get("data-action") == "cancel")
    status, query = await choose(http, emu, {**page.hidden, cancel["name"]: cancel["value"]})
    assert status == 302 and query == {"error": "access_denied", "state": "st-123/ä"}
    assert emu.oidc_codes == {}


async def test_choosing_nobody_or_a_bot_is_refused(
    emu: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    form = authorize_query(emu, "http://127.0.0.1:8123/cb")
    for user in ("", emu.bot_user_id, CAROL):
        async with http.post(
            emu.authorize_url, data={**form, "user_id": user}, allow_redirects=False
        ) as resp:
            assert resp.status == 400 and "Location" not in resp.headers
    status, query = await choose(http, emu, {**form, "user_id": ALICE})
    assert status == 302 and set(query) == {"code", "state"}


# -- openid.connect.userInfo auth ----------------------------------------------------------------
async def test_user_info_takes_only_a_sign_in_token(
    emu: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    bot = AsyncWebClient(token=emu.bot_token, base_url=emu.base_url)
    assert await api_error(bot.openid_connect_userInfo()) == "invalid_auth"
    app_token = AsyncWebClient(token=emu.app_token, base_url=emu.base_url)
    assert await api_error(app_token.openid_connect_userInfo()) == "invalid_auth"
    unknown = AsyncWebClient(token="xoxp-1-2-3-abc", base_url=emu.base_url)
    assert await api_error(unknown.openid_connect_userInfo()) == "invalid_auth"
    anonymous = AsyncWebClient(base_url=emu.base_url)
    assert await api_error(anonymous.openid_connect_userInfo()) == "not_authed"
    # The token exchange needs no token at all, and the user token opens no bot methods.
    redirect = "http://127.0.0.1:8123/cb"
    token = await exchange(emu, await signed_in_code(http, emu, redirect), redirect)
    user_client = AsyncWebClient(token=token["access_token"], base_url=emu.base_url)
    assert await api_error(user_client.auth_test()) == "invalid_auth"
    assert (await user_client.openid_connect_userInfo())["sub"] == ALICE
    # A deactivated account's token stops working.
    emu.users[ALICE].deleted = True
    assert await api_error(user_client.openid_connect_userInfo()) == "account_inactive"
