"""conversations.* methods of the fake Web API."""

from __future__ import annotations

import re
import time
from typing import Any

from emulator import events
from emulator.api import (
    ApiError,
    Args,
    Result,
    get_channel,
    in_window,
    method,
    paginate,
    require_access,
    require_active,
    require_bot_member,
    require_visible,
)
from emulator.models import Channel
from emulator.state import EmulatorState

_NAME_OK = re.compile(r"^[a-z0-9_-]+$")
_MAX_NAME = 80
_MAX_TOPIC = 250
# conversations.invite: "Up to 1000 users may be listed"; more is `too_many_users` (an error
# of the method in Slack's OpenAPI spec, slackapi/slack-api-specs).
_MAX_INVITES = 1000


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
    """The creator joins the new channel: member_joined_channel "is also triggered when
    creating a new channel" (https://docs.slack.dev/reference/events/member_joined_channel/)."""
    name = args.text("name") or ""
    _check_name(emu, name)
    channel = emu.create_channel(name, creator=emu.bot_user_id, is_private=args.flag("is_private"))
    emu.on_channel_event(
        channel, events.member_joined_channel(channel, emu.bot_user_id, emu.team_id)
    )
    return _channel_result(emu, channel)


def _invite_failure(emu: EmulatorState, channel: Channel, user: str) -> str | None:
    """Why `user` cannot be invited to `channel`, as conversations.invite names it."""
    if user == emu.bot_user_id:
        return "cant_invite_self"
    person = emu.users.get(user)
    if person is None:
        return "user_not_found"
    if person.deleted:
        return "cant_invite"  # "User cannot be invited to this channel."
    if user in channel.members:
        return "already_in_channel"
    return None


@method("conversations.invite")
def conversations_invite(emu: EmulatorState, args: Args) -> Result:
    """Invite several users at once, all or nothing unless `force`.

    https://docs.slack.dev/reference/methods/conversations.invite: "Users who can be
    successfully invited [...] will not be invited if any of the user invites fail. Instead,
    an error response will be returned." `force`: "When set to true and multiple user IDs
    are provided, continue inviting the valid ones while disregarding invalid IDs."
    Users "in a 'removed' state (that is, they were once a member of the workspace but have
    since been removed) will fail 'silently': an error response will be returned via the
    API, but all other users will be invited except for those in the 'removed' state"; the
    emulator's deactivated users (`User.deleted`) are those, and fail with `cant_invite`.

    The error answer carries the per-user `errors` array of Slack's OpenAPI spec for this
    method ("errors is returned when an error associates an user": items {"user", "ok":
    false, "error"}; slackapi/slack-api-specs, web-api/slack_web_openapi_v2.json). The docs
    do not show the answer when `force` skipped some users; the emulator then still answers
    ok=false with the first failure and `errors` (when in doubt it refuses), after inviting
    the valid ones, as it does for removed users.

    Each invited user joins: the bot, a member, gets a `channel_join` message with `inviter`
    and a `member_joined_channel` event with `inviter`.
    """
    channel = get_channel(emu, args)
    require_visible(emu, channel)
    if channel.is_im:
        raise ApiError("method_not_supported_for_channel_type")
    require_active(channel)
    require_bot_member(emu, channel)
    users = list(
        dict.fromkeys(u.strip() for u in (args.text("users") or "").split(",") if u.strip())
    )
    if not users:
        raise ApiError("no_user")
    if len(users) > _MAX_INVITES:
        raise ApiError("too_many_users")
    failures = [(u, why) for u in users if (why := _invite_failure(emu, channel, u))]
    errors: list[dict[str, Any]] = [{"user": u, "ok": False, "error": why} for u, why in failures]
    blocking = [why for _, why in failures if why != "cant_invite"]
    if blocking and not args.flag("force"):
        raise ApiError(failures[0][1], {"errors": errors})
    failed = {u for u, _ in failures}
    for user in users:
        if user not in failed:
            _join(emu, channel, user, inviter=emu.bot_user_id)
    if failures:
        raise ApiError(failures[0][1], {"errors": errors})
    return _channel_result(emu, channel)


def _join(emu: EmulatorState, channel: Channel, user: str, *, inviter: str | None) -> None:
    """`user` becomes a member; Slack posts channel_join and sends member_joined_channel
    (https://docs.slack.dev/reference/events/message/channel_join/,
    https://docs.slack.dev/reference/events/member_joined_channel/)."""
    channel.members.add(user)
    emu.on_channel_event(channel, events.channel_join(channel, user, emu.team_id, inviter))
    emu.on_channel_event(channel, events.member_joined_channel(channel, user, emu.team_id, inviter))


@method("conversations.join")
def conversations_join(emu: EmulatorState, args: Args) -> Result:
    channel = get_channel(emu, args)
    require_active(channel)
    if channel.is_private:
        raise ApiError("method_not_supported_for_channel_type")
    result = _channel_result(emu, channel)
    if emu.bot_user_id in channel.members:
        result["warning"] = "already_in_channel"
    else:
        _join(emu, channel, emu.bot_user_id, inviter=None)
    result["channel"]["is_member"] = True
    return result


def _set_text(emu: EmulatorState, args: Args, field_name: str) -> Result:
    channel = get_channel(emu, args)
    require_visible(emu, channel)
    require_active(channel)
    require_bot_member(emu, channel)
    value = args.text(field_name) or ""
    if len(value) > _MAX_TOPIC:
        raise ApiError("too_long")
    setattr(channel, field_name, value)
    meta = {"creator": emu.bot_user_id, "last_set": int(time.time())}
    setattr(channel, f"{field_name}_meta", meta)
    build = events.channel_topic if field_name == "topic" else events.channel_purpose
    emu.on_channel_event(channel, build(channel, emu.bot_user_id, value, emu.team_id))
    return _channel_result(emu, channel)


@method("conversations.setTopic")
def conversations_set_topic(emu: EmulatorState, args: Args) -> Result:
    """Sets the topic; members get a `channel_topic` message event
    (https://docs.slack.dev/reference/events/message/channel_topic/)."""
    return _set_text(emu, args, "topic")


@method("conversations.setPurpose")
def conversations_set_purpose(emu: EmulatorState, args: Args) -> Result:
    """Sets the purpose; members get a `channel_purpose` message event
    (https://docs.slack.dev/reference/events/message/channel_purpose/)."""
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
    """Members only: `not_in_channel` for a public channel ("Only user tokens can access
    public channels they are not in"), `channel_not_found` for a private one or a DM
    (https://docs.slack.dev/reference/methods/conversations.history)."""
    channel = get_channel(emu, args)
    require_access(emu, channel, public_error="not_in_channel")
    newest_first = list(reversed(in_window(channel.top_level(), args)))
    result = paginate(newest_first, args, newest_first=True)
    result["pin_count"] = len(channel.pins)
    return result


@method("conversations.replies")
def conversations_replies(emu: EmulatorState, args: Args) -> Result:
    """Members only. The method's error table has `channel_not_found` ("Value for `channel`
    was missing or invalid") and no `not_in_channel`
    (https://docs.slack.dev/reference/methods/conversations.replies), so a channel the bot
    is not in is refused with `channel_not_found`, public or not."""
    channel = get_channel(emu, args)
    require_access(emu, channel, public_error="channel_not_found")
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
