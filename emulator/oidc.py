"""Sign in with Slack (OpenID Connect): the authorize page, openid.connect.token and userInfo.

Browser leg, as on slack.com: GET /openid/connect/authorize checks client_id, redirect_uri,
response_type and scope (any problem: an HTML error page with status 400, never a redirect),
then shows "Sign in to <workspace>" with one button per person. Choosing one (a POST of the same
parameters plus user_id) issues a one-time code and answers 302 to redirect_uri?code=…&state=…;
Cancel answers 302 to redirect_uri?error=access_denied&state=…. `login_hint=<user id or email>`
skips the page, for tests without a browser.

The id_token is a real compact JWT. Slack signs it RS256 with keys published at
https://slack.com/openid/connect/keys; the emulator signs HS256 with the app's client secret
instead, so a test can verify it with hmac alone and without a key server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from emulator.api import ApiError, Args, Result, method
from emulator.models import User
from emulator.state import EmulatorState, OidcCode, OidcToken

AUTHORIZE_PATH = "/openid/connect/authorize"
AVATAR_PATH = "/avatars"  # extension: /avatars/<user id> is an SVG, the `picture` claim
ISSUER = "https://slack.com"
SCOPES = ("openid", "profile", "email")  # the only scopes the OpenID authorize URL takes
ID_TOKEN_TTL = 300  # exp - iat in Slack's sample id_token
CLAIM = "https://slack.com/"  # prefix of Slack's own claims: CLAIM + "user_id", …
_IMAGE_SIZES = (24, 32, 48, 72, 192, 512, 1024)
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
# Parameters the chooser form carries from the GET to the POST.
_CARRIED = ("response_type", "scope", "client_id", "redirect_uri", "state", "nonce", "team")


class AuthorizeError(Exception):
    """A bad authorize request: shown on an HTML error page (400), never sent to redirect_uri."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class AuthorizeRequest:
    """A validated authorize request."""

    client_id: str
    redirect_uri: str  # where the browser goes back to
    requested_redirect_uri: str | None  # None when the request named none (one registered URL)
    scopes: tuple[str, ...]
    state: str | None
    nonce: str | None
    params: dict[str, str]  # the carried parameters, for the chooser form's hidden fields


# -- validation ------------------------------------------------------------------------------
def parse_scopes(raw: str) -> tuple[str, ...]:
    """Slack documents space-separated OpenID scopes; commas (its OAuth v2 style) work too."""
    return tuple(dict.fromkeys(raw.replace(",", " ").split()))


def redirect_allowed(emu: EmulatorState, uri: str) -> bool:
    """Registered redirect URLs match exactly; with none registered, any loopback URL does."""
    if emu.oidc_redirect_uris:
        return uri in emu.oidc_redirect_uris
    try:
        parts = urllib.parse.urlsplit(uri)
        _port = parts.port  # raises ValueError for a malformed port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and parts.hostname in _LOOPBACK and not parts.fragment


def validate(emu: EmulatorState, params: Mapping[str, str]) -> AuthorizeRequest:
    """Check an authorize request in Slack's order: the app, where to go back, then the rest."""
    client_id = params.get("client_id") or ""
    if client_id != emu.oidc_client_id:
        raise AuthorizeError("invalid_client_id", f"No app has the client_id {client_id!r}.")
    requested = params.get("redirect_uri") or None
    if requested is None:
        if len(emu.oidc_redirect_uris) != 1:
            raise AuthorizeError(
                "bad_redirect_uri",
                "redirect_uri is missing, and the app has not exactly one Redirect URL.",
            )
        redirect_uri = next(iter(emu.oidc_redirect_uris))
    elif redirect_allowed(emu, requested):
        redirect_uri = requested
    else:
        raise AuthorizeError(
            "bad_redirect_uri",
            f"redirect_uri did not match any configured URIs. Passed URI: {requested}",
        )
    if params.get("response_type") != "code":
        raise AuthorizeError(
            "unsupported_response_type",
            f"response_type must be 'code', not {params.get('response_type')!r}.",
        )
    scopes = parse_scopes(params.get("scope") or "")
    if "openid" not in scopes:
        raise AuthorizeError("invalid_scope", "scope must include 'openid'.")
    if unknown := [s for s in scopes if s not in SCOPES]:
        raise AuthorizeError(
            "invalid_scope", f"Invalid scopes: {', '.join(unknown)} (use openid, profile, email)."
        )
    if (team := params.get("team")) and team != emu.team_id:
        raise AuthorizeError("invalid_team", f"No workspace has the id {team!r}.")
    return AuthorizeRequest(
        client_id=client_id,
        redirect_uri=redirect_uri,
        requested_redirect_uri=requested,
        scopes=scopes,
        state=params.get("state"),
        nonce=params.get("nonce") or None,
        params={k: params[k] for k in _CARRIED if k in params},
    )


def people(emu: EmulatorState) -> list[User]:
    """Who can sign in: the workspace's people, without bots and deactivated accounts."""
    return [u for u in emu.users.values() if not u.is_bot and not u.deleted]


def find_person(emu: EmulatorState, ref: str, field: str) -> User:
    """A person by user id or email (login_hint takes either)."""
    wanted = ref.strip().lower()
    for user in people(emu):
        if user.id == ref.strip() or user.address.lower() == wanted:
            return user
    raise AuthorizeError("invalid_user", f"{field}={ref!r} is not a person in this workspace.")


# -- codes and tokens ------------------------------------------------------------------------
def issue_code(emu: EmulatorState, request: AuthorizeRequest, user: User) -> str:
    """A one-time code in Slack's "digits.digits.hex" shape, stored in emu.oidc_codes."""
    code = (
        f"{secrets.randbelow(10**10):010d}.{secrets.randbelow(10**13):013d}.{secrets.token_hex(32)}"
    )
    emu.oidc_codes[code] = OidcCode(
        code=code,
        user=user.id,
        client_id=request.client_id,
        redirect_uri=request.redirect_uri,
        requested_redirect_uri=request.requested_redirect_uri,
        scopes=request.scopes,
        nonce=request.nonce,
        auth_time=int(time.time()),
        issued=time.monotonic(),
    )
    return code


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_jwt(claims: Mapping[str, Any], secret: str) -> str:
    """A compact JWS: base64url(header).base64url(claims).base64url(HMAC-SHA256)."""
    header = {"alg": "HS256", "typ": "JWT"}
    signing_input = ".".join(
        _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"


def at_hash(access_token: str) -> str:
    """OpenID Connect's at_hash: base64url of the left half of SHA-256(access_token)."""
    return _b64url(hashlib.sha256(access_token.encode()).digest()[:16])


def avatar_url(emu: EmulatorState, user_id: str) -> str:
    return f"{emu.root_url}{AVATAR_PATH}/{urllib.parse.quote(user_id)}"


def identity(
    emu: EmulatorState, user: User, scopes: tuple[str, ...], *, auth_time: int
) -> dict[str, Any]:
    """The claims about `user` that `scopes` grant (shared by the id_token and userInfo)."""
    claims: dict[str, Any] = {
        "sub": user.id,
        CLAIM + "user_id": user.id,
        CLAIM + "team_id": emu.team_id,
    }
    if "email" in scopes:
        claims.update(email=user.address, email_verified=True, date_email_verified=auth_time)
    if "profile" in scopes:
        given, _, family = user.real_name.partition(" ")
        picture = avatar_url(emu, user.id)
        claims.update(
            name=user.real_name,
            picture=picture,
            given_name=given,
            family_name=family.strip(),
            locale="en-US",
        )
        claims.update({f"{CLAIM}user_image_{size}": picture for size in _IMAGE_SIZES})
    return claims


def _client_credentials(args: Args) -> tuple[str, str]:
    """client_id/client_secret from the form, else from HTTP Basic auth (what slack_sdk sends)."""
    basic_id, basic_secret = args.basic or ("", "")
    return args.text("client_id") or basic_id, args.text("client_secret") or basic_secret


@method("openid.connect.token")
def openid_connect_token(emu: EmulatorState, args: Args) -> Result:
    client_id, client_secret = _client_credentials(args)
    if client_id != emu.oidc_client_id:
        raise ApiError("invalid_client_id")
    if not hmac.compare_digest(client_secret.encode(), emu.oidc_client_secret.encode()):
        raise ApiError("bad_client_secret")
    grant_type = args.text("grant_type") or "authorization_code"
    if grant_type == "refresh_token":
        raise ApiError("invalid_refresh_token")  # token rotation is off: none was ever issued
    if grant_type != "authorization_code":
        raise ApiError("invalid_grant_type")
    code = emu.oidc_codes.get(args.text("code") or "")
    if (
        code is None
        or code.used
        or code.client_id != client_id
        or time.monotonic() - code.issued > emu.oidc_code_ttl
    ):
        raise ApiError("invalid_code")
    # redirect_uri is optional here, but must match when the authorize request named one.
    redirect_uri = args.text("redirect_uri") or None
    if code.requested_redirect_uri is not None:
        if redirect_uri != code.requested_redirect_uri:
            raise ApiError("bad_redirect_uri")
    elif redirect_uri is not None and redirect_uri != code.redirect_uri:
        raise ApiError("bad_redirect_uri")
    user = emu.users.get(code.user)
    if user is None or user.deleted:
        raise ApiError("invalid_code")
    code.used = True
    access_token = (
        f"xoxp-{secrets.randbelow(10**10)}-{secrets.randbelow(10**10)}-"
        f"{secrets.randbelow(10**13)}-{secrets.token_hex(16)}"
    )
    emu.oidc_tokens[access_token] = OidcToken(
        token=access_token,
        user=user.id,
        client_id=client_id,
        scopes=code.scopes,
        auth_time=code.auth_time,
    )
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": user.id,
        "aud": client_id,
        "exp": now + ID_TOKEN_TTL,
        "iat": now,
        "auth_time": code.auth_time,
    }
    if code.nonce is not None:
        claims["nonce"] = code.nonce
    claims["at_hash"] = at_hash(access_token)
    claims.update(identity(emu, user, code.scopes, auth_time=code.auth_time))
    return {
        "access_token": access_token,
        "token_type": "Bearer",
        "id_token": sign_jwt(claims, emu.oidc_client_secret),
    }


@method("openid.connect.userInfo")
def openid_connect_user_info(emu: EmulatorState, args: Args) -> Result:
    # The server lets only tokens from openid.connect.token through; checked again here.
    grant = emu.oidc_tokens.get(args.token or "")
    if grant is None:
        raise ApiError("invalid_auth")
    user = emu.users.get(grant.user)
    if user is None or user.deleted:
        raise ApiError("account_inactive")
    return {
        **identity(emu, user, grant.scopes, auth_time=grant.auth_time),
        CLAIM + "team_name": emu.team_name,
        CLAIM + "team_domain": emu.team_domain,
    }


# -- the browser leg -------------------------------------------------------------------------
async def handle_authorize(emu: EmulatorState, request: web.Request) -> web.Response:
    """GET: the chooser page (or a straight redirect with login_hint). POST: a choice."""
    params: dict[str, str] = dict(request.query)
    if request.method == "POST":
        form = await request.post()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    try:
        auth = validate(emu, params)
        if request.method == "POST":
            if "cancel" in params:
                return _redirect(auth, {"error": "access_denied"})
            user = find_person(emu, params.get("user_id") or "", "user_id")
        elif hint := params.get("login_hint"):
            user = find_person(emu, hint, "login_hint")
        else:
            return html_page(200, chooser_page(emu, auth))
    except AuthorizeError as error:
        return html_page(400, error_page(emu, error))
    return _redirect(auth, {"code": issue_code(emu, auth, user)})


def _redirect(auth: AuthorizeRequest, params: dict[str, str]) -> web.Response:
    """302 to the (validated) redirect_uri with `params` and the state, keeping its own query."""
    if auth.state is not None:
        params = {**params, "state": auth.state}
    parts = urllib.parse.urlsplit(auth.redirect_uri)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    location = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))
    return web.Response(status=302, headers={"Location": location, "Cache-Control": "no-store"})


def html_page(status: int, body: str) -> web.Response:
    return web.Response(
        status=status,
        text=body,
        content_type="text/html",
        charset="utf-8",
        headers={"Cache-Control": "no-store"},
    )


_STYLE = """
body { font-family: system-ui, sans-serif; background: #f4ede4; margin: 0; }
main { max-width: 26rem; margin: 4rem auto; background: #fff; border-radius: 8px;
       padding: 2rem; box-shadow: 0 1px 4px rgba(0, 0, 0, .15); }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
.sub { color: #616061; margin: 0 0 1.5rem; }
ul { list-style: none; padding: 0; margin: 0 0 1.5rem; }
li { display: flex; align-items: center; gap: .75rem; margin: .5rem 0; }
li img { width: 32px; height: 32px; border-radius: 4px; }
li button { flex: 1; text-align: left; font-size: 1rem; padding: .6rem .8rem;
            border: 1px solid #ddd; border-radius: 4px; background: #fff; cursor: pointer; }
li button:hover { background: #f8f8f8; border-color: #4a154b; }
.handle { color: #616061; font-size: .85rem; }
.cancel { background: none; border: none; color: #1264a3; cursor: pointer; font-size: .95rem; }
.error { color: #a00; }
"""


def html_document(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def chooser_page(emu: EmulatorState, auth: AuthorizeRequest) -> str:
    """One form: hidden request parameters, a submit button per person, and Cancel."""
    team = html.escape(emu.team_name)
    hidden = "\n".join(
        f'<input type="hidden" name="{name}" value="{html.escape(value)}">'
        for name, value in auth.params.items()
    )
    rows = "\n".join(
        "<li>"
        f'<img src="{html.escape(avatar_url(emu, u.id))}" alt="">'
        f'<button type="submit" name="user_id" value="{html.escape(u.id)}" '
        f'data-user-id="{html.escape(u.id)}">{html.escape(u.real_name)}</button>'
        f'<span class="handle">@{html.escape(u.name)}</span>'
        "</li>"
        for u in people(emu)
    )
    if not rows:
        rows = '<li class="empty">Nobody to sign in as: add_user() someone first.</li>'
    body = (
        f"<h1>Sign in to {team}</h1>\n"
        f'<p class="sub">{html.escape(emu.team_domain)}.slack.com (Slack emulator): '
        "choose who you are.</p>\n"
        f'<form method="post" action="{AUTHORIZE_PATH}" id="sign-in">\n{hidden}\n'
        f'<ul class="users">\n{rows}\n</ul>\n'
        '<button type="submit" name="cancel" value="1" class="cancel" data-action="cancel">'
        "Cancel</button>\n</form>"
    )
    return html_document(f"Sign in to {emu.team_name} | Slack", body)


def error_page(emu: EmulatorState, error: AuthorizeError) -> str:
    body = (
        "<h1>Something went wrong when authorizing this app.</h1>\n"
        f'<p class="error" data-error="{html.escape(error.code)}">'
        f"Error: <code>{html.escape(error.code)}</code></p>\n"
        f"<p>{html.escape(error.detail)}</p>"
    )
    return html_document(f"Sign in to {emu.team_name} | Slack: error", body)


def handle_avatar(emu: EmulatorState, user_id: str) -> web.Response:
    """A square SVG with the person's initials (the `picture`), so pages load nothing external."""
    user = emu.users.get(user_id)
    if user is None:
        return web.Response(status=404, text="user_not_found")
    initials = "".join(part[0] for part in user.real_name.split()[:2]).upper() or "?"
    hue = int(hashlib.sha256(user.id.encode()).hexdigest()[:4], 16) % 360
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">'
        f'<rect width="64" height="64" rx="8" fill="hsl({hue},45%,45%)"/>'
        '<text x="32" y="41" font-family="sans-serif" font-size="26" fill="#fff" '
        f'text-anchor="middle">{html.escape(initials)}</text></svg>'
    )
    return web.Response(text=svg, content_type="image/svg+xml")
