"""In-memory workspace state of the emulator: users, channels, messages, views and records."""

from __future__ import annotations

import asyncio
import bisect
import inspect
import itertools
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from emulator.composer import Workspace, displayed
from emulator.models import (
    ApiCall,
    BotResponse,
    Channel,
    EphemeralMessage,
    Message,
    User,
    new_ts,
    ts_key,
)

# The scopes the bot's token carries: bot/manifest.py's BOT_SCOPES (tests keep them equal).
GRANTED_SCOPES = (
    "commands",
    "chat:write",
    "channels:manage",
    "channels:read",
    "channels:history",
    "groups:read",
    "groups:history",
    "groups:write",
    "reactions:read",
    "reactions:write",
    "pins:write",
    "users:read",
    "users:read.email",
    "usergroups:read",
    "usergroups:write",
    "files:write",
    "canvases:write",
    "bookmarks:write",
)

# What warroom's manifest (bot/slack/manifest.py: APP_HOME, BOT_EVENTS) says of its App Home
# and the events it subscribes to, which a test keeps equal (the emulator does not import the
# bot). The emulator plays another app's with ``EmulatorState.play_manifest``.
WARROOM_APP_HOME = {
    "home_tab_enabled": True,
    "messages_tab_enabled": True,
    "messages_tab_read_only_enabled": True,
}
WARROOM_BOT_EVENTS = (
    "message.channels",
    "message.groups",
    "reaction_added",
    "reaction_removed",
    "member_joined_channel",
    "channel_archive",
    "group_archive",
    "channel_unarchive",
    "group_unarchive",
    "channel_rename",
    "group_rename",
    "app_uninstalled",
    "tokens_revoked",
    "app_home_opened",
)


@dataclass
class Trigger:
    """A trigger_id the emulator handed out: valid once, for `ttl` seconds."""

    user: str
    channel: str | None
    issued: float  # time.monotonic()
    used: bool = False


@dataclass
class OidcCode:
    """A Sign in with Slack authorization code: one exchange, within `oidc_code_ttl` seconds."""

    code: str
    user: str
    client_id: str
    redirect_uri: str  # where the browser was sent
    requested_redirect_uri: str | None  # as passed to /openid/connect/authorize (may be absent)
    scopes: tuple[str, ...]
    nonce: str | None
    auth_time: int  # epoch seconds of the sign-in
    issued: float  # time.monotonic()
    used: bool = False


@dataclass
class OidcToken:
    """A user token (xoxp-) from openid.connect.token; only openid.connect.userInfo takes it."""

    token: str
    user: str
    client_id: str
    scopes: tuple[str, ...]
    auth_time: int


@dataclass
class ResponseUrl:
    """Where a response_url posts land; message_ts is set for block_actions on a message."""

    channel: str
    user: str
    message_ts: str | None = None


# warroom's slash commands and their should_escape (bot/slack/manifest.py's SLASH_COMMANDS, which
# a test keeps equal: the emulator does not import the bot).
WARROOM_SLASH_COMMANDS = (("/incident", True), ("/oncall", True), ("/alerts", True))


class EmulatorState:
    """Workspace data plus the records tests assert on. No I/O here."""

    def __init__(
        self,
        *,
        team_id: str,
        team_domain: str,
        bot_token: str,
        signing_secret: str,
        app_token: str,
        bot_user_id: str,
        bot_id: str,
        app_id: str,
        app_config_token: str = "xoxe.xoxp-1-emulator-config-token",
        app_name: str = "warroom",
    ) -> None:
        self.team_id, self.team_domain = team_id, team_domain
        self.bot_token, self.signing_secret, self.app_token = bot_token, signing_secret, app_token
        self.bot_user_id, self.bot_id, self.app_id = bot_user_id, bot_id, app_id
        # An app configuration token (api.slack.com/apps, "Your App Configuration Tokens"): the
        # only token apps.manifest.validate / apps.manifest.create take.
        self.app_config_token = app_config_token
        # Tokens of an uninstalled app: every call made with one answers token_revoked.
        self.revoked_tokens: set[str] = set()
        # Apps made by apps.manifest.create: app_id -> {"manifest", "credentials"}.
        self.created_apps: dict[str, dict[str, Any]] = {}
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.usergroups: dict[str, dict[str, Any]] = {}
        # The scopes the bot's token was granted; a test takes one away to see missing_scope
        # (checked by the methods that say so, e.g. usergroups.users.update).
        self.scopes: set[str] = set(GRANTED_SCOPES)
        # The app's slash commands, as its manifest declares them (``features.slash_commands``),
        # each with its "Escape channels, users, and links sent to your app" setting
        # (``should_escape``): how its text arrives. Slack delivers only these
        # (emulator.client.SlackEmulator.send_command); warroom's by default.
        self.slash_commands: dict[str, bool] = dict(WARROOM_SLASH_COMMANDS)
        # The app's name as Slack shows it on its posts (the manifest's display name).
        self.app_name = app_name
        self.calls: list[ApiCall] = []
        self.ephemeral: list[EphemeralMessage] = []
        self.views: dict[str, dict[str, Any]] = {}
        # Each person's Home tab as the app last published it (views.publish), by user id.
        self.home_views: dict[str, dict[str, Any]] = {}
        # The app's App Home tabs and bot events, as its manifest says (``play_manifest``):
        # app_home_opened reaches an app that subscribes to it, for a tab it has.
        self.app_home: dict[str, bool] = dict(WARROOM_APP_HOME)
        self.bot_events: set[str] = set(WARROOM_BOT_EVENTS)
        self.files: dict[str, dict[str, Any]] = {}
        self.canvases: dict[str, dict[str, Any]] = {}
        self.bookmarks: dict[str, list[dict[str, Any]]] = {}
        self.deliveries: list[tuple[dict[str, Any], BotResponse]] = []
        self.triggers: dict[str, Trigger] = {}
        self.trigger_ttl = 3.0  # Slack's value; tests may shorten it to test expiry quickly
        # The workspace's plan: "paid", or "free" for the documented free-plan limits (one
        # canvas per channel, no standalone canvases; no user groups; see api_misc).
        self.plan = "paid"
        # A workspace whose settings limit who may pin: pins.add answers `restricted_action`.
        self.pinning_restricted = False
        self.response_urls: dict[str, ResponseUrl] = {}
        # Sign in with Slack (OpenID Connect). The app's credentials get random defaults in
        # Slack's shapes; tests and the demo read them (or set their own) before signing in.
        self.team_name = team_domain  # the workspace name on the sign-in page and in userInfo
        self.oidc_client_id = (
            f"{secrets.randbelow(9 * 10**9) + 10**9}.{secrets.randbelow(10**12):012d}"
        )
        self.oidc_client_secret = secrets.token_hex(16)
        # Empty: any loopback http(s) URL (127.0.0.1, localhost, [::1]) is a valid redirect_uri.
        # Non-empty: only these exact URLs, like the app's registered Redirect URLs in Slack.
        self.oidc_redirect_uris: set[str] = set()
        self.oidc_code_ttl = 600.0  # Slack's codes live 10 minutes; tests may shorten it
        self.oidc_codes: dict[str, OidcCode] = {}  # every code issued, used ones included
        self.oidc_tokens: dict[str, OidcToken] = {}  # access token -> grant
        self._ids = itertools.count(1)
        self._root = ""  # "http://127.0.0.1:PORT", set by the server once it listens
        # The bot is a user too: users.info and transcripts must resolve its id.
        self.add_user(bot_user_id, app_name, app_name).is_bot = True

    @property
    def root_url(self) -> str:
        """ "http://127.0.0.1:PORT" (only valid once started)."""
        if not self._root:
            raise RuntimeError("the emulator is not started; await emulator.start() first")
        return self._root

    @property
    def base_url(self) -> str:
        """What the bot passes to AsyncWebClient(base_url=...)."""
        return self.root_url + "/api/"

    @property
    def authorize_url(self) -> str:
        """Sign in with Slack's authorize endpoint (https://slack.com/openid/connect/authorize)."""
        return self.root_url + "/openid/connect/authorize"

    # -- setup -----------------------------------------------------------------------------
    def play_manifest(self, manifest: dict[str, Any]) -> None:
        """Play the app this manifest describes (https://docs.slack.dev/reference/app-manifest):
        its slash commands, and only those, are delivered, each with its ``should_escape``
        (off unless set); its App Home tabs are on only where ``features.app_home`` enables
        them (the reference gives no default, and when in doubt the emulator refuses); only
        its ``settings.event_subscriptions.bot_events`` are sent."""
        features = manifest.get("features") or {}
        subscriptions = (manifest.get("settings") or {}).get("event_subscriptions") or {}
        self.slash_commands = {
            str(command["command"]): bool(command.get("should_escape", False))
            for command in features.get("slash_commands") or []
        }
        self.app_home = {
            key: value is True for key, value in (features.get("app_home") or {}).items()
        }
        self.bot_events = set(subscriptions.get("bot_events") or [])

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08X}"

    def add_user(
        self,
        user_id: str,
        name: str,
        real_name: str | None = None,
        tz: str = "UTC",
        *,
        email: str = "",
    ) -> User:
        user = User(id=user_id, name=name, real_name=real_name or name, tz=tz, email=email)
        self.users[user_id] = user
        return user

    def add_usergroup(
        self, group_id: str, handle: str, user_ids: list[str], name: str | None = None
    ) -> dict[str, Any]:
        group = {
            "id": group_id,
            "handle": handle,
            "name": name or handle,
            "users": list(user_ids),
            "team_id": self.team_id,
            "is_usergroup": True,
            # Non-zero once the group is disabled (usergroups.disable).
            "date_delete": 0,
        }
        self.usergroups[group_id] = group
        return group

    def create_channel(
        self, name: str, *, creator: str, members: Iterable[str] = (), is_private: bool = False
    ) -> Channel:
        """Direct state setup (e.g. #general) without going through the API."""
        channel = Channel(
            id=self.new_id("C"),
            name=name,
            is_private=is_private,
            creator=creator,
            created=int(time.time()),
            members={creator, *members},
        )
        self.channels[channel.id] = channel
        return channel

    # -- lookups ---------------------------------------------------------------------------
    def channel_by_name(self, name: str) -> Channel | None:
        name = name.removeprefix("#")
        return next((c for c in self.channels.values() if c.name == name), None)

    def resolve_channel(self, ref: str) -> Channel | None:
        """A channel by id, name or #name (Slack accepts names in some places; tests like them)."""
        return self.channels.get(ref) or self.channel_by_name(ref)

    def calls_to(self, method: str) -> list[ApiCall]:
        return [call for call in self.calls if call.method == method]

    def ephemeral_for(self, user: str) -> list[EphemeralMessage]:
        return [msg for msg in self.ephemeral if msg.user == user]

    def direct_messages(self, user: str) -> list[Message]:
        """What the bot said to ``user`` in their DM with it (emulator.api_conversations.
        dm_channel names it), oldest first."""
        channel = self.channels.get("D" + user[1:])
        return list(channel.messages) if channel else []

    def find_message(self, channel: Channel, ts: str) -> Message:
        message = channel.find(ts)
        if message is None:
            raise LookupError(f"no message {ts} in #{channel.name} ({channel.id})")
        return message

    # -- mutation --------------------------------------------------------------------------
    def store_message(self, message: Message) -> Message:
        """Insert keeping ts order; link a reply to its parent (a reply to a reply re-parents)."""
        channel = self.channels[message.channel]
        if message.thread_ts is not None:
            parent = channel.find(message.thread_ts)
            if parent is not None and parent.is_reply:
                parent = channel.find(parent.thread_ts or "")
            if parent is not None:
                message.thread_ts = parent.ts
                if parent is not message:
                    bisect.insort(parent.replies, message, key=lambda m: ts_key(m.ts))
        bisect.insort(channel.messages, message, key=lambda m: ts_key(m.ts))
        return message

    def post_as_bot(
        self,
        channel: Channel,
        text: str,
        *,
        blocks: list[Any] | None = None,
        thread_ts: str | None = None,
        subtype: str | None = None,
        files: list[dict[str, Any]] | None = None,
    ) -> Message:
        """Store a message from the bot, then let the server tell the bot about it."""
        message = Message(
            ts=new_ts(),
            user=self.bot_user_id,
            text=text,
            channel=channel.id,
            thread_ts=thread_ts,
            bot_id=self.bot_id,
            subtype=subtype,
            blocks=blocks,
            files=files,
            app_name=self.app_name,
        )
        self.store_message(message)
        self.on_bot_post(channel, message)
        return message

    def on_bot_post(self, channel: Channel, message: Message) -> None:
        """Hook: real Slack sends the bot a message event for its own posts; the server does."""

    def on_channel_event(self, channel: Channel, event: dict[str, Any]) -> None:
        """Hook: Slack tells the apps in `channel` that it changed (a topic set, a member
        joined, a pin); the server delivers `event` when the bot is a member."""

    def remove_message(self, channel: Channel, message: Message) -> None:
        channel.messages.remove(message)
        if message.is_reply:
            parent = channel.find(message.thread_ts or "")
            if parent is not None and message in parent.replies:
                parent.replies.remove(message)

    def issue_trigger_id(self, user: str, channel: str | None = None) -> str:
        """A trigger_id in Slack's "digits.digits.hex" shape, valid once for trigger_ttl seconds."""
        trigger_id = f"{next(self._ids)}.{int(time.time())}.{secrets.token_hex(16)}"
        self.triggers[trigger_id] = Trigger(user=user, channel=channel, issued=time.monotonic())
        return trigger_id

    def new_response_url_id(self, channel: str, user: str, message_ts: str | None = None) -> str:
        url_id = secrets.token_urlsafe(12)
        self.response_urls[url_id] = ResponseUrl(channel=channel, user=user, message_ts=message_ts)
        return url_id

    # -- waiting and reading -----------------------------------------------------------------
    async def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.01
    ) -> Any:
        """Poll `predicate` (sync or async) until it returns something truthy, and return that.

        The default wait is long: it costs nothing when the predicate comes true, and a
        loaded machine took more than 5 s to open a war room."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if inspect.isawaitable(value):
                value = await value
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(self._timeout_report(predicate, value, timeout))
            await asyncio.sleep(interval)

    def _timeout_report(self, predicate: Callable[[], Any], value: Any, timeout: float) -> str:
        name = getattr(predicate, "__qualname__", repr(predicate))
        calls = (
            ", ".join(f"{c.method}{'' if c.ok else f'!{c.error}'}" for c in self.calls[-15:])
            or "none"
        )
        deliveries = (
            ", ".join(
                f"{event.get('type')}->{resp.status}" for event, resp in self.deliveries[-10:]
            )
            or "none"
        )
        return (
            f"wait_for({name}) still falsy ({value!r}) after {timeout}s. "
            f"Recent API calls: {calls}. Recent deliveries: {deliveries}."
        )

    def workspace(self) -> Workspace:
        """Who and what people can name in this workspace (emulator.composer)."""
        return Workspace(self.users.values(), self.usergroups.values(), self.channels.values())

    def transcript(self, channel_id: str, tz: str = "UTC", *, as_shown: bool = False) -> str:
        """Readable log: "[HH:MM:SS] real_name: text", thread replies indented, topic on top;
        each text as sent, or (``as_shown``) as the Slack client shows it."""
        channel = self.resolve_channel(channel_id)
        if channel is None:
            raise LookupError(f"unknown channel {channel_id}")
        zone = ZoneInfo(tz)
        lines = [f"#{channel.name}" + (f" | topic: {channel.topic}" if channel.topic else "")]
        for message in channel.top_level():
            lines.append(self._transcript_line(message, zone, as_shown))
            lines.extend("    " + self._transcript_line(r, zone, as_shown) for r in message.replies)
        return "\n".join(lines)

    def _transcript_line(self, message: Message, zone: ZoneInfo, as_shown: bool) -> str:
        seconds, _ = ts_key(message.ts)
        clock = datetime.fromtimestamp(seconds, zone).strftime("%H:%M:%S")
        user = self.users.get(message.user or "")
        author = user.real_name if user else (message.user or message.bot_id or "?")
        text = message.text or _blocks_text(message.blocks)
        if as_shown:
            text = displayed(text, self.workspace())
        for file in message.files or []:
            text += f" [file: {file.get('name')}]"
        if message.edited:
            text += " (edited)"
        if message.reactions:
            text += " " + " ".join(f":{n}: x{len(u)}" for n, u in message.reactions.items())
        return f"[{clock}] {author}: {text}"


def _blocks_text(blocks: list[Any] | None) -> str:
    """Visible text of section/header/context blocks, for bot posts that only send blocks."""
    parts: list[str] = []
    for block in blocks or []:
        text = block.get("text") if isinstance(block, dict) else None
        if isinstance(text, dict) and text.get("text"):
            parts.append(str(text["text"]))
        for element in block.get("elements", []) if isinstance(block, dict) else []:
            if isinstance(element, dict) and element.get("type") in ("mrkdwn", "plain_text"):
                parts.append(str(element.get("text", "")))
    return " | ".join(parts)
