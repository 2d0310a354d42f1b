"""Plain data kept by the Slack emulator, and the wire helpers shared by its server and client."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# One counter for the whole process: ts values must be unique and increasing even when a test
# runs several emulators, because the bot may key its records by ts.
_TS_SEQ = itertools.count(1)


def new_ts() -> str:
    """A fresh message ts in Slack's "<epoch seconds>.<6 digits>" shape."""
    return f"{int(time.time())}.{next(_TS_SEQ):06d}"


def ts_key(ts: str) -> tuple[int, int]:
    """Sort key for a ts string; never float(ts), which loses the microsecond part."""
    seconds, _, fraction = ts.partition(".")
    return int(seconds), int(fraction or 0)


def slack_signature_headers(
    signing_secret: str, body: str, timestamp: int | None = None
) -> dict[str, str]:
    """X-Slack-Request-Timestamp + X-Slack-Signature headers for `body`.

    v0 scheme: "v0=" + hex HMAC-SHA256 of f"v0:{ts}:{body}" keyed with the signing secret.
    """
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(
        signing_secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256
    ).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class User:
    id: str
    name: str
    real_name: str
    tz: str = "UTC"
    is_bot: bool = False
    deleted: bool = False
    email: str = ""  # extension: defaults to <name>@example.com in to_api/lookupByEmail
    # Guests: a multi-channel guest is restricted, a single-channel guest ultra-restricted
    # (https://docs.slack.dev/reference/objects/user-object).
    is_restricted: bool = False
    is_ultra_restricted: bool = False
    # Workspace admins and owners (the same page: ``is_admin``, ``is_owner``).
    is_admin: bool = False
    is_owner: bool = False

    @property
    def address(self) -> str:
        return self.email or f"{self.name}@example.com"

    def to_api(self, team_id: str) -> dict[str, Any]:
        """users.info "user" object."""
        profile = {
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.name,
            "display_name_normalized": self.name,
            "email": self.address,
            "team": team_id,
        }
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "real_name": self.real_name,
            "deleted": self.deleted,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "is_admin": self.is_admin or self.is_owner,
            "is_owner": self.is_owner,
            "is_restricted": self.is_restricted,
            "is_ultra_restricted": self.is_ultra_restricted,
            "tz": self.tz,
            "tz_label": self.tz,
            "tz_offset": _tz_offset(self.tz),
            "profile": profile,
        }


def _tz_offset(tz: str) -> int:
    try:
        offset = datetime.now(ZoneInfo(tz)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return 0  # an unknown tz must not turn users.info into an HTTP 500
    return int(offset.total_seconds()) if offset else 0


@dataclass
class Message:
    """A message as stored in a channel (top-level messages and thread replies alike)."""

    ts: str
    user: str | None
    text: str
    channel: str
    thread_ts: str | None = None
    bot_id: str | None = None
    subtype: str | None = None
    blocks: list[Any] | None = None
    edited: dict[str, Any] | None = None
    reactions: dict[str, list[str]] = field(default_factory=dict)
    files: list[dict[str, Any]] | None = None  # extension: file shares
    # Legacy attachments, as apps still send them (an app's deploy notification):
    # https://docs.slack.dev/messaging/formatting-message-text/#legacy-attachments
    attachments: list[dict[str, Any]] | None = None
    hidden: bool = False  # Slack's flag on bookkeeping messages, e.g. a tombstone
    # An app's post: the app's name, sent as ``bot_profile.name``, and for a ``bot_message``
    # (an incoming webhook, a legacy integration) as ``username`` too
    # (https://docs.slack.dev/reference/events/message/bot_message/).
    app_name: str | None = None
    # Replies of a thread parent, oldest first; kept here so to_api() can report reply_count.
    replies: list[Message] = field(default_factory=list, repr=False, compare=False)

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    def app_fields(self) -> dict[str, Any]:
        if not (self.bot_id and self.app_name):
            return {}
        fields: dict[str, Any] = {"bot_profile": {"id": self.bot_id, "name": self.app_name}}
        if self.subtype == "bot_message":
            fields["username"] = self.app_name
        return fields

    def to_api(self) -> dict[str, Any]:
        """Slack's JSON shape for this message (conversations.history / chat.postMessage)."""
        data: dict[str, Any] = {"type": "message", "text": self.text, "ts": self.ts}
        optional = {
            "user": self.user,
            "bot_id": self.bot_id,
            "subtype": self.subtype,
            "thread_ts": self.thread_ts,
            "blocks": self.blocks,
            "edited": self.edited,
            "files": self.files,
            "attachments": self.attachments,
        }
        data.update({key: value for key, value in optional.items() if value is not None})
        data.update(self.app_fields())
        if self.hidden:
            data["hidden"] = True
        if self.replies:
            users = list(dict.fromkeys(r.user for r in self.replies if r.user))
            data.update(
                thread_ts=self.ts,
                reply_count=len(self.replies),
                reply_users=users,
                reply_users_count=len(users),
                latest_reply=self.replies[-1].ts,
            )
        if self.reactions:
            data["reactions"] = [
                {"name": name, "users": list(users), "count": len(users)}
                for name, users in self.reactions.items()
            ]
        return data


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool
    creator: str
    created: int
    topic: str = ""
    purpose: str = ""
    members: set[str] = field(default_factory=set)
    messages: list[Message] = field(default_factory=list)  # sorted by ts_key
    pins: list[str] = field(default_factory=list)  # message ts
    is_archived: bool = False
    is_im: bool = False  # extension: DM opened by chat.postMessage(channel=<user id>)
    topic_meta: dict[str, Any] = field(default_factory=dict)  # creator / last_set of the topic
    purpose_meta: dict[str, Any] = field(default_factory=dict)

    def to_api(self, viewer: str | None = None) -> dict[str, Any]:
        """conversations.* "channel" object; is_member is reported for `viewer` when given."""
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": not self.is_private and not self.is_im,
            "is_group": False,
            "is_im": self.is_im,
            "is_mpim": False,
            "is_private": self.is_private,
            "is_archived": self.is_archived,
            "is_general": self.name == "general",
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "created": self.created,
            "creator": self.creator,
            "unlinked": 0,
            "topic": {"value": self.topic, **_meta(self.topic_meta)},
            "purpose": {"value": self.purpose, **_meta(self.purpose_meta)},
            "num_members": len(self.members),
            "previous_names": [],
        }
        if viewer is not None:
            data["is_member"] = viewer in self.members
        return data

    def find(self, ts: str) -> Message | None:
        return next((m for m in self.messages if m.ts == ts), None)

    def top_level(self) -> list[Message]:
        """What conversations.history shows: no thread replies except broadcasts."""
        return [m for m in self.messages if not m.is_reply or m.subtype == "thread_broadcast"]


def _meta(meta: dict[str, Any]) -> dict[str, Any]:
    return {"creator": meta.get("creator", ""), "last_set": meta.get("last_set", 0)}


@dataclass
class ApiCall:
    method: str
    args: dict[str, Any]
    status: int
    ok: bool
    error: str | None
    at: float  # time.monotonic()


@dataclass
class EphemeralMessage:
    """What one user saw privately: chat.postEphemeral, a response_url post or a command's ack."""

    channel: str
    user: str
    text: str
    blocks: list[Any] | None
    via: str  # "postEphemeral" | "response_url" | "ack"


@dataclass
class BotResponse:
    """The bot's HTTP answer to a request the emulator sent it."""

    status: int
    text: str
    headers: dict[str, str]
    elapsed: float  # seconds from sending to the full response

    def json(self) -> Any:
        return json.loads(self.text)
