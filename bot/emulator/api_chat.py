"""chat.*, pins.* and reactions.* methods of the fake Web API."""

from __future__ import annotations

from typing import Any

from bot.emulator.api import (
    ApiError,
    Args,
    Result,
    get_channel,
    get_message,
    method,
    require_active,
    require_bot_member,
)
from bot.emulator.api_conversations import dm_channel
from bot.emulator.models import Channel, EphemeralMessage, Message, new_ts
from bot.emulator.state import EmulatorState


def _content(args: Args) -> tuple[str, list[Any] | None]:
    """text and blocks of a message call; no_text when there is nothing to show."""
    blocks = args.parsed("blocks")
    if blocks is not None and not isinstance(blocks, list):
        raise ApiError("invalid_blocks_format")
    text = args.text("markdown_text") or args.text("text") or ""
    if not text and not blocks and not args.parsed("attachments"):
        raise ApiError("no_text")
    return text, blocks or None


def _target_channel(emu: EmulatorState, args: Args) -> Channel:
    """chat.postMessage takes a channel id, or a user id for the bot's DM with that user."""
    ref = args.text("channel") or ""
    if ref in emu.users and ref not in emu.channels:
        return dm_channel(emu, ref)
    return get_channel(emu, args)


@method("chat.postMessage")
def chat_post_message(emu: EmulatorState, args: Args) -> Result:
    channel = _target_channel(emu, args)
    require_active(channel)
    # Without chat:write.public a bot may post only where it is a member, public or not.
    require_bot_member(emu, channel)
    text, blocks = _content(args)
    thread_ts = args.text("thread_ts") or None
    subtype = "thread_broadcast" if thread_ts and args.flag("reply_broadcast") else None
    message = emu.post_as_bot(channel, text, blocks=blocks, thread_ts=thread_ts, subtype=subtype)
    return {"channel": channel.id, "ts": message.ts, "message": message.to_api()}


@method("chat.update")
def chat_update(emu: EmulatorState, args: Args) -> Result:
    channel = get_channel(emu, args)
    message = get_message(channel, args.text("ts"))
    if message.bot_id != emu.bot_id:
        raise ApiError("cant_update_message")
    if "text" not in args.data and "blocks" not in args.data:
        raise ApiError("no_text")
    if "text" in args.data:
        message.text = args.text("text") or ""
    if "blocks" in args.data:
        message.blocks = args.parsed("blocks") or None
    message.edited = {"user": emu.bot_user_id, "ts": new_ts()}
    return {
        "channel": channel.id,
        "ts": message.ts,
        "text": message.text,
        "message": message.to_api(),
    }


@method("chat.delete")
def chat_delete(emu: EmulatorState, args: Args) -> Result:
    channel = get_channel(emu, args)
    message = get_message(channel, args.text("ts"))
    if message.bot_id != emu.bot_id:
        raise ApiError("cant_delete_message")
    emu.remove_message(channel, message)
    return {"channel": channel.id, "ts": message.ts}


@method("chat.postEphemeral")
def chat_post_ephemeral(emu: EmulatorState, args: Args) -> Result:
    channel = _target_channel(emu, args)
    require_active(channel)
    if channel.is_private:
        require_bot_member(emu, channel)
    user = args.need("user", "user_not_found")
    if user not in channel.members:
        raise ApiError("user_not_in_channel")
    text, blocks = _content(args)
    emu.ephemeral.append(EphemeralMessage(channel.id, user, text, blocks, via="postEphemeral"))
    return {"message_ts": new_ts()}


@method("chat.getPermalink")
def chat_get_permalink(emu: EmulatorState, args: Args) -> Result:
    channel = get_channel(emu, args)
    message = get_message(channel, args.text("message_ts"))
    link = (
        f"https://{emu.team_domain}.slack.com/archives/{channel.id}/p{message.ts.replace('.', '')}"
    )
    if message.is_reply:
        link += f"?thread_ts={message.thread_ts}&cid={channel.id}"
    return {"channel": channel.id, "permalink": link}


@method("pins.add")
def pins_add(emu: EmulatorState, args: Args) -> Result:
    channel = get_channel(emu, args)
    require_bot_member(emu, channel)
    message = get_message(channel, args.need("timestamp", "no_item_specified"))
    if message.ts in channel.pins:
        raise ApiError("already_pinned")
    channel.pins.append(message.ts)
    return {}


@method("pins.remove")
def pins_remove(emu: EmulatorState, args: Args) -> Result:
    channel = get_channel(emu, args)
    ts = args.need("timestamp", "no_item_specified")
    if ts not in channel.pins:
        raise ApiError("no_pin")
    channel.pins.remove(ts)
    return {}


def _reaction_target(emu: EmulatorState, args: Args) -> tuple[Message, str]:
    channel = get_channel(emu, args)
    message = get_message(channel, args.need("timestamp", "no_item_specified"))
    name = args.need("name", "invalid_name").strip(":")
    return message, name


@method("reactions.add")
def reactions_add(emu: EmulatorState, args: Args) -> Result:
    # Only the bot's own reactions arrive here; Slack would not echo them back to it as events
    # that Bolt keeps (self events are dropped), so none are delivered.
    message, name = _reaction_target(emu, args)
    users = message.reactions.setdefault(name, [])
    if emu.bot_user_id in users:
        raise ApiError("already_reacted")
    users.append(emu.bot_user_id)
    return {}


@method("reactions.remove")
def reactions_remove(emu: EmulatorState, args: Args) -> Result:
    message, name = _reaction_target(emu, args)
    users = message.reactions.get(name, [])
    if emu.bot_user_id not in users:
        raise ApiError("no_reaction")
    users.remove(emu.bot_user_id)
    if not users:
        del message.reactions[name]
    return {}
