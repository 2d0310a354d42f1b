"""Building blocks for the fake Web API methods: argument access, errors and the registry."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from emulator.models import Channel, Message, ts_key
from emulator.state import EmulatorState

Result = dict[str, Any]
Handler = Callable[[EmulatorState, "Args"], Result]

# method name -> handler; filled by the api_* modules through @method.
METHODS: dict[str, Handler] = {}


class ApiError(Exception):
    """A Slack error code, answered as HTTP 200 {"ok": false, "error": code, **extra}.

    `extra` carries the fields some methods add to an error answer, e.g. the per-user
    `errors` array of conversations.invite. `messages` are the human-readable lines Slack puts
    in `response_metadata.messages`, e.g. "[ERROR] must be less than 76 characters
    [json-pointer:/view/blocks/0/element/options/0/description/text]" with
    invalid_blocks / invalid_arguments (see emulator/blockkit.py).
    """

    def __init__(
        self,
        code: str,
        extra: dict[str, Any] | None = None,
        *,
        messages: list[str] | None = None,
    ) -> None:
        super().__init__(code)
        self.code = code
        self.extra: dict[str, Any] = dict(extra or {})
        self.messages = list(messages or [])
        if self.messages:
            meta = dict(self.extra.get("response_metadata") or {})
            meta["messages"] = [*meta.get("messages", []), *self.messages]
            self.extra["response_metadata"] = meta


def with_warning(result: Result, code: str, message: str) -> Result:
    """A successful answer carrying a warning, as Slack sends one: top-level `warning`
    (comma-separated codes) plus `response_metadata.warnings` and `.messages`, as in the
    `message_truncated` example of
    https://api.slack.com/changelog/2018-04-truncating-really-long-messages.
    """
    meta = dict(result.get("response_metadata") or {})
    meta["warnings"] = [*meta.get("warnings", []), code]
    meta["messages"] = [*meta.get("messages", []), message]
    warning = ",".join(filter(None, [result.get("warning"), code]))
    return {**result, "warning": warning, "response_metadata": meta}


def method(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        METHODS[name] = handler
        return handler

    return register


class Args:
    """Merged query/form/JSON arguments. Form values are strings; JSON values keep their type.

    `token` is the request's token (Bearer header or form field) and `basic` its HTTP Basic
    credentials, for the few methods that authenticate differently (openid.connect.*).
    """

    def __init__(
        self,
        data: dict[str, Any],
        *,
        token: str | None = None,
        basic: tuple[str, str] | None = None,
    ) -> None:
        self.data = data
        self.token = token
        self.basic = basic

    def text(self, name: str) -> str | None:
        value = self.data.get(name)
        return None if value is None else str(value)

    def need(self, name: str, error: str = "invalid_arguments") -> str:
        value = self.text(name)
        if not value:
            raise ApiError(error)
        return value

    def flag(self, name: str) -> bool:
        # slack_sdk sends booleans as "1"/"0"; JSON bodies carry true/false.
        value = self.data.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes")
        return bool(value)

    def number(self, name: str, default: int) -> int:
        value = self.data.get(name)
        if value in (None, ""):
            return default
        try:
            return int(str(value))
        except ValueError as exc:
            raise ApiError("invalid_arguments") from exc

    def parsed(self, name: str) -> Any:
        """A structured argument (blocks, view, files) sent as JSON or as a JSON string."""
        value = self.data.get(name)
        if isinstance(value, str):
            if not value:
                return None
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                # chat.*: "invalid_blocks_format: The blocks is not a valid JSON object"; views.*
                # list no error of their own for it, so the general one.
                codes = {"blocks": "invalid_blocks_format"}
                raise ApiError(codes.get(name, "invalid_arguments")) from exc
        return value


# -- shared checks ---------------------------------------------------------------------------
def get_channel(emu: EmulatorState, args: Args, name: str = "channel") -> Channel:
    ref = args.text(name)
    channel = emu.channels.get(ref or "")
    if channel is None:
        raise ApiError("channel_not_found")
    return channel


def require_bot_member(emu: EmulatorState, channel: Channel) -> None:
    if emu.bot_user_id not in channel.members:
        raise ApiError("not_in_channel")


def require_visible(emu: EmulatorState, channel: Channel) -> None:
    """Private channels and DMs the bot is not in are invisible to it: `channel_not_found`.

    Slack: "To view a private channel's canvas, they need to be in the channel"
    (https://slack.com/help/articles/15678967614611); conversations.info, chat.getPermalink
    and the other methods answer `channel_not_found` ("Value passed for `channel` was
    invalid") for a conversation the token cannot see
    (https://docs.slack.dev/reference/methods/chat.getPermalink).
    """
    if emu.bot_user_id not in channel.members and (channel.is_private or channel.is_im):
        raise ApiError("channel_not_found")


def require_access(emu: EmulatorState, channel: Channel, *, public_error: str) -> None:
    """The bot may act only in conversations it is a member of.

    Invisible conversations answer `channel_not_found` (`require_visible`). For a public
    channel each method answers what its own docs list (`public_error`): e.g.
    conversations.history "not_in_channel: The token used does not have access to the proper
    channel. Only user tokens can access public channels they are not in."
    (https://docs.slack.dev/reference/methods/conversations.history); methods whose error
    table has no `not_in_channel` (reactions.*, pins.remove, conversations.replies) refuse
    with `channel_not_found`.
    """
    require_visible(emu, channel)
    if emu.bot_user_id not in channel.members:
        raise ApiError(public_error)


def require_active(channel: Channel) -> None:
    if channel.is_archived:
        raise ApiError("is_archived")


def get_message(channel: Channel, ts: str | None) -> Message:
    message = channel.find(ts or "")
    if message is None:
        raise ApiError("message_not_found")
    return message


def check_ts(value: str | None, error: str) -> tuple[int, int] | None:
    if not value:
        return None
    try:
        return ts_key(value)
    except ValueError as exc:
        raise ApiError(error) from exc


# -- history windows and cursors -------------------------------------------------------------
def in_window(messages: list[Message], args: Args) -> list[Message]:
    """Apply oldest/latest/inclusive the way conversations.history does (bounds exclusive)."""
    oldest = check_ts(args.text("oldest"), "invalid_ts_oldest")
    latest = check_ts(args.text("latest"), "invalid_ts_latest")
    inclusive = args.flag("inclusive")

    def keep(message: Message) -> bool:
        key = ts_key(message.ts)
        above = oldest is None or key > oldest or (inclusive and key == oldest)
        below = latest is None or key < latest or (inclusive and key == latest)
        return above and below

    return [m for m in messages if keep(m)]


def encode_cursor(ts: str) -> str:
    # Same shape as Slack's cursors: base64 of "next_ts:<ts digits>".
    return base64.b64encode(f"next_ts:{ts}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[int, int]:
    try:
        raw = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ApiError("invalid_cursor") from exc
    prefix, _, ts = raw.partition(":")
    if prefix != "next_ts" or not ts:
        raise ApiError("invalid_cursor")
    return check_ts(ts, "invalid_cursor") or (0, 0)


def paginate(items: list[Message], args: Args, *, newest_first: bool) -> Result:
    """One page of `items` (already in answer order) from `cursor`, `limit` long."""
    limit = args.number("limit", 100)
    limit = 100 if limit < 1 else min(limit, 999)
    start = 0
    if cursor := args.text("cursor"):
        at = decode_cursor(cursor)
        start = next(
            (
                i
                for i, m in enumerate(items)
                if (ts_key(m.ts) <= at if newest_first else ts_key(m.ts) >= at)
            ),
            len(items),
        )
    page = items[start : start + limit]
    rest = items[start + limit :]
    return {
        "messages": [m.to_api() for m in page],
        "has_more": bool(rest),
        "response_metadata": {"next_cursor": encode_cursor(rest[0].ts) if rest else ""},
    }
