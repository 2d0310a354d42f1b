"""The fake Slack Web API server: routing, auth, failure injection and rate limits."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import math
import random
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Self

from aiohttp import web

# The api_* and oidc imports register their methods in METHODS; oidc also serves the sign-in page.
from emulator import api_apps, api_chat, api_conversations, api_home, api_misc, oidc, preview  # noqa: F401
from emulator.api import METHODS, ApiError, Args
from emulator.blockkit import Refusal, message_problems, truncate_text
from emulator.models import ApiCall, EphemeralMessage, Message
from emulator.state import GRANTED_SCOPES
from emulator.transport import Courier

_log = logging.getLogger(__name__)
RATE_WINDOW = 60.0
# chat.postMessage, per channel: one message per second, short bursts allowed (see
# EmulatorServer._channel_rate_limited).
POST_RATE = 1.0
POST_BURST = 3
# The bot token's scopes (auth.test's x-oauth-scopes): bot/manifest.py's BOT_SCOPES, which a
# test keeps equal (the emulator does not import the bot's Slack code). A test may take one
# away (``emulator.scopes``) to see what Slack answers without it.
OAUTH_SCOPES = ",".join(GRANTED_SCOPES)
_APP_TOKEN_METHODS = {"apps.connections.open"}
# The App Manifest APIs take only an app configuration token (xoxe.xoxp-…), never the bot's or
# the app-level token (https://api.slack.com/authentication/config-tokens).
_CONFIG_TOKEN_METHODS = {"apps.manifest.validate", "apps.manifest.create"}
# Sign in with Slack: the token exchange authenticates with the app's client_id/client_secret
# (form fields or HTTP Basic), and userInfo takes only the user token that exchange issued.
_CLIENT_AUTH_METHODS = {"openid.connect.token"}
_USER_TOKEN_METHODS = {"openid.connect.userInfo"}


@dataclass
class Injection:
    """A canned answer for the next `times` calls of one method."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1


@dataclass(frozen=True)
class Flakiness:
    rate: float
    random: random.Random
    retry_after: int
    spare: frozenset[str]

    def strikes(self, method: str) -> bool:
        return method not in self.spare and self.random.random() < self.rate


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class EmulatorServer(Courier):
    """State + delivery + the aiohttp app that serves /api/<method>, response_urls and uploads."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rate_limits: dict[str, int] = {}  # method -> max calls per rolling window
        # Slack's windows are a minute; tests shorten them to see many limits quickly.
        self.rate_window = RATE_WINDOW
        self._rate_log: dict[str, deque[float]] = {}
        # Per-channel posting limit of chat.postMessage: a token bucket per channel.
        self.post_rate = POST_RATE  # tokens (messages) per second and channel
        self.post_burst = POST_BURST  # bucket capacity: the burst a quiet channel allows
        self._post_buckets: dict[str, tuple[float, float]] = {}  # channel -> (tokens, at)
        self._failures: dict[str, deque[Injection]] = {}
        self._delays: dict[str, deque[list[float]]] = {}  # [seconds, times left]
        self._runner: web.AppRunner | None = None
        self._flaky: Flakiness | None = None
        # While set, every Web API call is answered with this HTTP status (an outage).
        self._outage: int | None = None
        # Block Kit refused outside Web API answers (response_url posts, acks); see refuse().
        self.refusals: list[Refusal] = []
        # Set by `warroom dev`: each preview is a place to act as a person of the workspace
        # (emulator.preview.Acting, emulator.preview_actions), and ``phones`` says what the
        # fake phones beside it received (a phone's name -> its lines), for ``GET /``.
        self.previews_act = False
        self.phones: Callable[[], dict[str, list[str]]] = dict

    def refuse(self, via: str, error: str, messages: list[str]) -> None:
        """Record (and log) Block Kit that Slack would have refused where no API answer can
        carry the reason: a response_url post (HTTP 400) or the bot's acknowledgement."""
        self.refusals.append(Refusal(via, error, tuple(messages)))
        _log.warning("Slack would refuse this %s: %s %s", via, error, "; ".join(messages))

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/response/{url_id}", self._handle_response_url)
        app.router.add_post("/upload/{file_id}", self._handle_upload)
        app.router.add_get("/link", self.handle_link)
        # Not Slack's: a channel's messages laid out as the client shows them (emulator.preview).
        app.router.add_get("/preview/{channel}", self._handle_preview)
        app.router.add_get("/", self._handle_index)
        app.router.add_get("/phones", self._handle_phones)
        self.add_routes(app)
        # Sign in with Slack's browser leg (slack.com/openid/connect/authorize) and avatars.
        app.router.add_get(oidc.AUTHORIZE_PATH, self._handle_authorize)
        app.router.add_post(oidc.AUTHORIZE_PATH, self._handle_authorize)
        app.router.add_get(oidc.AVATAR_PATH + "/{user_id}", self._handle_avatar)
        # The install page apps.manifest.create links to (slack.com/oauth/v2/authorize).
        app.router.add_get(api_apps.INSTALL_PATH, self._handle_install)
        # A short shutdown timeout: a test's stop() must not hang on a client's keep-alive.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_port = self._runner.addresses[0][1]
        self._root = f"http://{host}:{bound_port}"
        await self._open_session()

    def add_routes(self, app: web.Application) -> None:
        """Routes a subclass serves beside these (the preview's form, which drives the bot)."""

    async def stop(self) -> None:
        await self._close_transport()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- failure injection -----------------------------------------------------------------
    def fail(
        self,
        method: str,
        *,
        status: int = 500,
        times: int = 1,
        retry_after: int = 1,
        error: str | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` with an HTTP error (429 = rate limited)."""
        if status == 429:
            body = {"ok": False, "error": "ratelimited"}
            headers = {"Retry-After": str(int(retry_after))}
            self._inject(method, Injection(429, body, headers, times))
        else:
            body = {"ok": False, "error": error or "internal_error"}
            self._inject(method, Injection(status, body, times=times))

    def fail_with_error(self, method: str, error: str, *, times: int = 1) -> None:
        """Answer the next `times` calls with HTTP 200 {"ok": false, "error": error}."""
        self._inject(method, Injection(200, {"ok": False, "error": error}, times=times))

    def answer(self, method: str, body: dict[str, Any], *, times: int = 1) -> None:
        """Answer the next `times` calls with HTTP 200 and `body`: what Slack may say that no
        rule here produces (apps.manifest.validate's `warnings`, for one)."""
        self._inject(method, Injection(200, body, times=times))

    def flaky(
        self, rate: float, *, seed: int = 0, retry_after: int = 1, spare: Iterable[str] = ()
    ) -> None:
        """Answer a share of all Web API calls (not those in ``spare``) with 429 (with
        ``Retry-After``) or 500, half each, drawn from a seeded generator: a Slack outage."""
        self._flaky = Flakiness(rate, random.Random(seed), retry_after, frozenset(spare))

    def recover(self, method: str) -> None:
        """Stop answering ``method`` with the failures still queued for it: Slack is back."""
        self._failures.pop(method, None)

    def steady(self) -> None:
        """Stop answering at random with failures."""
        self._flaky = None

    def outage(self, status: int = 503) -> None:
        """Answer every Web API call with HTTP ``status`` (Slack down behind its load
        balancer) until ``outage_over``; the calls are still recorded."""
        self._outage = status

    def outage_over(self) -> None:
        """Answer the Web API again: the outage is over."""
        self._outage = None

    def delay(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Sleep (without blocking the loop) before answering the next `times` calls."""
        self._delays.setdefault(method, deque()).append([seconds, times])

    def _inject(self, method: str, injection: Injection) -> None:
        self._failures.setdefault(method, deque()).append(injection)

    def _take_failure(self, method: str) -> Injection | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        injection = queue[0]
        injection.times -= 1
        if injection.times <= 0:
            queue.popleft()
        return injection

    def _take_delay(self, method: str) -> float:
        queue = self._delays.get(method)
        if not queue:
            return 0.0
        entry = queue[0]
        entry[1] -= 1
        if entry[1] <= 0:
            queue.popleft()
        return entry[0]

    def _rate_limited(self, method: str) -> int | None:
        """Seconds until a slot frees when `method` is over its rolling-minute limit."""
        limit = self.rate_limits.get(method)
        if limit is None:
            return None
        now = time.monotonic()
        log = self._rate_log.setdefault(method, deque())
        while log and now - log[0] >= self.rate_window:
            log.popleft()
        if len(log) >= limit:
            return max(1, math.ceil(self.rate_window - (now - log[0])))
        log.append(now)
        return None

    def _channel_rate_limited(self, method: str, args: dict[str, Any]) -> int | None:
        """Seconds to wait when a chat.postMessage would exceed its channel's posting rate.

        Slack: "Posting messages: 1 per second. Short bursts >1 allowed." and "chat.postMessage
        generally allows posting one message per second per channel, while also maintaining a
        workspace-wide limit" (https://api.slack.com/docs/rate-limits,
        https://docs.slack.dev/apis/web-api/rate-limits); over it, HTTP 429 with an integer
        `Retry-After` and {"ok": false, "error": "ratelimited"}.

        Modelled as a token bucket per channel: `post_rate` tokens a second (Slack's 1/s),
        `post_burst` tokens at most. The docs give no burst size, only ">1"; 3 is the
        smallest burst that is clearly more than one message while keeping the sustained
        rate at Slack's 1/s, so a bot that posts a handful of messages at once into one
        channel (an incident's header, its first updates) sees the limit as it would on
        Slack, and one that keeps posting faster than 1/s is refused. A post refused for
        its rate takes no token; one refused for another reason after this check (not in the
        channel, bad blocks) does: the docs do not say failed posts are free, and when in doubt
        the emulator refuses. A DM counts once, by its id or its user's.
        """
        if method != "chat.postMessage":
            return None
        channel = str(args.get("channel") or "")
        if not channel:
            return None
        # One bucket per conversation, however it is named (a DM by its id or its user's).
        if channel in self.users and channel not in self.channels:
            channel = "D" + channel[1:]
        now = time.monotonic()
        burst = float(self.post_burst)
        tokens, at = self._post_buckets.get(channel, (burst, now))
        tokens = min(burst, tokens + (now - at) * self.post_rate)
        if tokens >= 1.0:
            self._post_buckets[channel] = (tokens - 1.0, now)
            return None
        self._post_buckets[channel] = (tokens, now)
        return max(1, math.ceil((1.0 - tokens) / self.post_rate))

    # -- /api/<method> ---------------------------------------------------------------------
    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        at = time.monotonic()
        args, token = await _read_args(request)
        answer = await self._answer(method, args, token, _basic_auth(request))
        ok = bool(answer.body.get("ok"))
        self.calls.append(ApiCall(method, args, answer.status, ok, answer.body.get("error"), at))
        return web.json_response(answer.body, status=answer.status, headers=answer.headers)

    async def _answer(
        self,
        method: str,
        args: dict[str, Any],
        token: str | None,
        basic: tuple[str, str] | None = None,
    ) -> Answer:
        if self._outage is not None:
            return Answer(self._outage, {"ok": False, "error": "service_unavailable"})
        if method not in METHODS:
            return Answer(200, {"ok": False, "error": "unknown_method"})
        if auth_error := self._auth_error(method, token):
            return Answer(200, {"ok": False, "error": auth_error})
        if seconds := self._take_delay(method):
            await asyncio.sleep(seconds)
        if injection := self._take_failure(method):
            return Answer(injection.status, dict(injection.body), dict(injection.headers))
        if (flaky := self._flaky) is not None and flaky.strikes(method):
            if flaky.random.random() < 0.5:
                body = {"ok": False, "error": "ratelimited"}
                return Answer(429, body, {"Retry-After": str(flaky.retry_after)})
            return Answer(500, {"ok": False, "error": "internal_error"})
        if (retry_after := self._rate_limited(method)) is not None:
            body = {"ok": False, "error": "ratelimited"}
            return Answer(429, body, {"Retry-After": str(retry_after)})
        if (retry_after := self._channel_rate_limited(method, args)) is not None:
            body = {"ok": False, "error": "ratelimited"}
            return Answer(429, body, {"Retry-After": str(retry_after)})
        try:
            result = METHODS[method](self, Args(args, token=token, basic=basic))
        except ApiError as exc:
            return Answer(200, {**exc.extra, "ok": False, "error": exc.code})
        granted = ",".join(scope for scope in GRANTED_SCOPES if scope in self.scopes)
        headers = {"x-oauth-scopes": granted} if method == "auth.test" else {}
        return Answer(200, {"ok": True, **result}, headers)

    def _auth_error(self, method: str, token: str | None) -> str | None:
        if method in _CLIENT_AUTH_METHODS:
            return None  # the method itself checks client_id and client_secret
        if not token:
            return "not_authed"
        if token in self.revoked_tokens:
            # "token_revoked: Authentication token is for a deleted user or workspace or the
            # app has been removed" (every method's error table, e.g.
            # https://docs.slack.dev/reference/methods/chat.postMessage).
            return "token_revoked"
        if method in _USER_TOKEN_METHODS:
            # Only a Sign in with Slack user token works; the bot and app tokens do not.
            return None if token in self.oidc_tokens else "invalid_auth"
        if method in _APP_TOKEN_METHODS:
            wanted = self.app_token
        elif method in _CONFIG_TOKEN_METHODS:
            wanted = self.app_config_token
        else:
            wanted = self.bot_token
        if token == wanted:
            return None
        if token in (self.app_token, self.bot_token, self.app_config_token):
            return "not_allowed_token_type"
        return "invalid_auth"

    # -- Sign in with Slack (browser leg) ---------------------------------------------------
    async def _handle_preview(self, request: web.Request) -> web.Response:
        """GET /preview/<channel id or name>: the emulator's preview of its messages."""
        ref = request.match_info["channel"].lstrip("#")
        channel = self.channels.get(ref) or next(
            (c for c in self.channels.values() if c.name == ref), None
        )
        if channel is None:
            raise web.HTTPNotFound(text=f"no channel {ref}")
        acting = self._acting(channel.id, request.query) if self.previews_act else None
        shown = preview.page(channel, self.workspace(), acting)
        return web.Response(text=shown, content_type="text/html")

    def _acting(self, channel_id: str, query: Any) -> preview.Acting:
        """Who acts on a preview (``?as=<user id>``, else the first person) and what they
        alone saw in the channel."""
        people = {
            u.id: u.real_name or u.name
            for u in self.users.values()
            if not u.is_bot and not u.deleted and u.id != self.bot_user_id
        }
        user = str(query.get("as", ""))
        if user not in people:
            user = next(iter(people), "")
        private = [
            Message(
                ts="",
                user=None,
                text=e.text,
                channel=channel_id,
                bot_id=self.bot_id,
                blocks=e.blocks,
                app_name=self.app_name,
            )
            for e in self.ephemeral
            if e.user == user and e.channel == channel_id
        ]
        return preview.Acting(people, user, private, str(query.get("note", "")))

    async def _handle_index(self, _request: web.Request) -> web.Response:
        """GET /: the channels, each linked to its preview, and the fake phones' inboxes."""
        page = preview.index(self.channels.values(), self.phones())
        return web.Response(text=page, content_type="text/html")

    async def _handle_phones(self, _request: web.Request) -> web.Response:
        """GET /phones: what the fake phones received."""
        return web.Response(text=preview.phones_page(self.phones()), content_type="text/html")

    async def _handle_authorize(self, request: web.Request) -> web.Response:
        return await oidc.handle_authorize(self, request)

    async def _handle_install(self, request: web.Request) -> web.Response:
        return api_apps.handle_install(self, dict(request.query))

    async def _handle_avatar(self, request: web.Request) -> web.Response:
        return oidc.handle_avatar(self, request.match_info["user_id"])

    # -- response_url and uploads ----------------------------------------------------------
    async def _handle_response_url(self, request: web.Request) -> web.Response:
        target = self.response_urls.get(request.match_info["url_id"])
        if target is None:
            return web.Response(status=404, text="no_such_response_url")
        try:
            data = await request.json()
        except json.JSONDecodeError:
            return web.Response(status=400, text="invalid_payload")
        if not isinstance(data, dict):
            return web.Response(status=400, text="invalid_payload")
        # Response URLs answer like incoming webhooks: an HTTP error status with the error
        # code as a plain-text body ("HTTP 400 Bad Request: invalid_payload", ...;
        # https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks).
        # Blocks Slack refuses get "400 invalid_blocks" (as reported in
        # https://github.com/slackapi/java-slack-sdk/issues/1017 and
        # https://github.com/sourcegraph/sourcegraph-public-snapshot/issues/49979); the
        # reasons are not sent back, the emulator keeps them in `refusals`.
        blocks = data.get("blocks")
        if blocks is not None and (problems := message_problems(blocks)):
            self.refuse("response_url", "invalid_blocks", problems)
            return web.Response(status=400, text="invalid_blocks")
        # Text over 40,000 characters is cut, for response URLs too
        # (https://api.slack.com/changelog/2018-04-truncating-really-long-messages).
        text, _truncated = truncate_text(str(data.get("text") or ""))
        channel = self.channels.get(target.channel)
        original = channel.find(target.message_ts) if channel and target.message_ts else None
        if original is not None and channel is not None and data.get("delete_original"):
            self.remove_message(channel, original)
        elif original is not None and data.get("replace_original"):
            original.text, original.blocks = text, blocks
        elif channel is not None and data.get("response_type") == "in_channel":
            self.post_as_bot(channel, text, blocks=blocks, thread_ts=data.get("thread_ts"))
        else:
            self.ephemeral.append(
                EphemeralMessage(target.channel, target.user, text, blocks, via="response_url")
            )
        return web.Response(text="ok")

    async def _handle_upload(self, request: web.Request) -> web.Response:
        # The upload step carries no Authorization header, exactly like files.slack.com.
        file = self.files.get(request.match_info["file_id"])
        if file is None:
            return web.Response(status=404, text="file_not_found")
        content = await request.read()
        file["content"] = content
        return web.Response(text=f"OK - {len(content)}", content_type="text/plain")


async def _read_args(request: web.Request) -> tuple[dict[str, Any], str | None]:
    """Merge query string, urlencoded and JSON body (slack_sdk uses all three); pop the token."""
    args: dict[str, Any] = dict(request.query)
    body_token: str | None = None
    if request.can_read_body:
        raw = await request.text()
        if raw.lstrip().startswith("{"):
            try:
                parsed = json.loads(raw)
            except json.JSONDecodeError:
                parsed = {}
            args.update(parsed if isinstance(parsed, dict) else {})
        elif raw:
            form = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
            body_token = form.pop("token", None)
            args.update(form)
    args.pop("token", None)  # Slack ignores a token in the query string or a JSON body
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None
    return args, token or body_token


def _basic_auth(request: web.Request) -> tuple[str, str] | None:
    """(user, password) of an `Authorization: Basic` header; slack_sdk sends client creds so."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    try:
        decoded = base64.b64decode(header.removeprefix("Basic ").strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None
