"""conversations.* methods of the fake Web API."""

from __future__ import annotations

import re
import time

from bot.emulator.api import (
    ApiError,
    Args,
    Result,
    get_channel,
    in_window,
    method,
    paginate,
    require_active,
    require_bot_member,
)
from bot.emulator.models import Channel
from bot.emulator.state import EmulatorState

_NAME_OK = re.compile(r"^[a-z0-9_-]+$")
_MAX_NAME = 80
_MAX_TOPIC = 250


def _check_name(emu: EmulatorState, name: str) -> None:
    if not name:
        raise ApiError("invalid_name_required")
    if len(name) > _MAX_NAME:
        raise ApiError("invalid_name_maxlength")
    if not _NAME_OK.match(name):  # uppercase counts as a "special" character for Slack
        raise ApiError("invalid_name_specials")
    if not re.search(r"[a-z0-9]", name):
        raise ApiError("invalid_name_punctuation")
    if emu.channel_by_name(name) is not None:
        raise ApiError("name_taken")


def _channel_result(emu: EmulatorState, channel: Channel) -> Result:
    return {"channel": channel.to_api(viewer=emu.bot_user_id)}


@method("conversations.create")
def conversations_create(emu: EmulatorState, args: Args) -> Result:
    name = args.text("name") or ""
    _check_name(emu, name)
    channel = emu.create_channel(name, creator=emu.bot_user_id, is_private=args.flag("is_private"))
    return _channel_result(emu, channel)


@method("conversations.invite")
def conversations_invite(emu: EmulatorState, args: Args) -> Result:
    channel = get_channel(emu, args)
    require_active(channel)
    require_bot_member(emu, channel)
    users = [u.strip() for u in (args.text("users") or "").split(",") if u.strip()]
    if not users:
        raise ApiError("no_user")
    if emu.bot_user_id in users:
        raise ApiError("cant_invite_self")
    if any(u not in emu.users or emu.users[u].deleted for u in users):
        raise ApiError("user_not_found")
    # Like Slack: the error only when nobody new was added; otherwise add the rest silently.
    if all(u in channel.members for u in users):
        raise ApiError("already_in_channel")
    channel.members.update(users)
    return _channel_result(emu, channel)


@method("conversations.join")
def conversations_join(emu: EmulatorState, args: Args) -> Result:
    channel = get_channel(emu, args)
    require_active(channel)
    if channel.is_private:
        raise ApiError("method_not_supported_for_channel_type")
    result = _channel_result(emu, channel)
    if emu.bot_user_id in channel.members:
        result["warning"] = "already_in_channel"
    channel.members.add(emu.bot_user_id)
    result["channel"]["is_member"] = True
    return result


def _set_text(emu: EmulatorState, args: Args, field_name: str) -> Result:
    channel = get_channel(emu, args)
    require_active(channel)
    require_bot_member(emu, channel)
    value = args.text(field_name) or ""
    if len(value) > _MAX_TOPIC:
        raise ApiError("too_long")
    setattr(channel, field_name, value)
    meta = {"creator": emu.bot_user_id, "last_set": int(time.time())}
    setattr(channel, f"{field_name}_meta", meta)
    return _channel_result(emu, channel)


@method("conversations.setTopic")
def conversations_set_topic(emu: EmulatorState, args: Args) -> Result:
    return _set_text(emu, args, "topic")


@method("conversations.setPurpose")
def conversations_set_purpose(emu: EmulatorState, args: Args) -> Result:
    return _set_text(emu, args, "purpose")


@method("conversations.info")
def conversations_info(emu: EmulatorState, args: Args) -> Result:
    channel = get_channel(emu, args)
    if channel.is_private and emu.bot_user_id not in channel.members:
        raise ApiError("channel_not_found")  # private channels are invisible to non-members
    return _channel_result(emu, channel)


@method("conversations.list")
def conversations_list(emu: EmulatorState, args: Args) -> Result:
    types = set((args.text("types") or "public_channel").split(","))
    skip_archived = args.flag("exclude_archived")

    def visible(channel: Channel) -> bool:
        kind = "public_channel"
        if channel.is_im or channel.is_private:
            kind = "im" if channel.is_im else "private_channel"
        if kind != "public_channel" and emu.bot_user_id not in channel.members:
            return False
        return kind in types and not (skip_archived and channel.is_archived)

    channels = [c.to_api(viewer=emu.bot_user_id) for c in emu.channels.values() if visible(c)]
    return {"channels": channels, "response_metadata": {"next_cursor": ""}}


@method("conversations.history")
def conversations_history(emu: EmulatorState, args: Args) -> Result:
    channel = get_channel(emu, args)
    if channel.is_private:
        require_bot_member(emu, channel)
    newest_first = list(reversed(in_window(channel.top_level(), args)))
    result = paginate(newest_first, args, newest_first=True)
    result["pin_count"] = len(channel.pins)
    return result


@method("conversations.replies")
def conversations_replies(emu: EmulatorState, args: Args) -> Result:
    channel = get_channel(emu, args)
    if channel.is_private:
        require_bot_member(emu, channel)
    message = channel.find(args.text("ts") or "")
    if message is None:
        raise ApiError("thread_not_found")
    parent = channel.find(message.thread_ts or "") if message.is_reply else message
    if parent is None:
        raise ApiError("thread_not_found")
    # The parent always comes first; the window only narrows the replies.
    return paginate([parent, *in_window(parent.replies, args)], args, newest_first=False)


@method("conversations.members")
def conversations_members(emu: EmulatorState, args: Args) -> Result:
    channel = get_channel(emu, args)
    return {"members": sorted(channel.members), "response_metadata": {"next_cursor": ""}}


@method("conversations.archive")
def conversations_archive(emu: EmulatorState, args: Args) -> Result:
    channel = get_channel(emu, args)
    if channel.is_archived:
        raise ApiError("already_archived")
    if channel.name == "general":
        raise ApiError("cant_archive_general")
    require_bot_member(emu, channel)
    channel.is_archived = True
    return {}


@method("conversations.open")
def conversations_open(emu: EmulatorState, args: Args) -> Result:
    users = [u for u in (args.text("users") or "").split(",") if u]
    if len(users) != 1:
        raise ApiError("users_list_not_supplied" if not users else "not_implemented")
    if users[0] not in emu.users:
        raise ApiError("user_not_found")
    return {"channel": {"id": dm_channel(emu, users[0]).id}}


def dm_channel(emu: EmulatorState, user_id: str) -> Channel:
    """The bot's DM with a user, created on first use (Slack opens it implicitly too)."""
    channel_id = "D" + user_id[1:]
    if channel_id not in emu.channels:
        emu.channels[channel_id] = Channel(
            id=channel_id,
            name=user_id,
            is_private=True,
            creator=emu.bot_user_id,
            created=int(time.time()),
            members={emu.bot_user_id, user_id},
            is_im=True,
        )
    return emu.channels[channel_id]
