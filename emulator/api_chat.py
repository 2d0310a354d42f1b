"""chat.*, pins.* and reactions.* methods of the fake Web API."""

from __future__ import annotations

from typing import Any

from emulator import blockkit, blockkit_schema, events
from emulator.api import (
    ApiError,
    Args,
    Result,
    get_channel,
    get_message,
    method,
    require_access,
    require_active,
    require_bot_member,
    require_visible,
    with_warning,
)
from emulator.api_conversations import dm_channel
from emulator.models import Channel, EphemeralMessage, Message, new_ts
from emulator.state import EmulatorState


def _blocks(args: Args) -> list[Any] | None:
    """The `blocks` argument, refused as Slack refuses it.

    https://docs.slack.dev/reference/methods/chat.postMessage (and chat.update,
    chat.postEphemeral) errors: `invalid_blocks_format` "The blocks is not a valid JSON object
    or doesn't match the Block Kit syntax", `invalid_blocks` "Blocks submitted with this
    message are not valid". Slack lists each problem twice: in `errors` and, with an
    "[ERROR] " prefix, in `response_metadata.messages`
    (e.g. https://github.com/adobe/spacecat-api-service/issues/176).
    """
    blocks = args.parsed("blocks")
    if blocks is not None and not isinstance(blocks, list):
        raise ApiError("invalid_blocks_format")
    if problems := blockkit.message_problems(blocks or []):
        errors = [blockkit.bare(p) for p in problems]
        raise ApiError("invalid_blocks", {"errors": errors}, messages=problems)
    return blocks


def _content(args: Args) -> tuple[str, list[Any] | None, bool]:
    """text and blocks of a message call; no_text when there is nothing to show.

    The third value tells whether the text was cut to 40,000 characters: Slack posts the
    message anyway and warns `message_truncated`
    (https://api.slack.com/changelog/2018-04-truncating-really-long-messages).
    """
    blocks = _blocks(args)
    text = args.text("markdown_text") or args.text("text") or ""
    if not text and not blocks and not args.parsed("attachments"):
        raise ApiError("no_text")
    text, truncated = blockkit.truncate_text(text)
    return text, blocks or None, truncated


def _answer(result: Result, truncated: bool) -> Result:
    if not truncated:
        return result
    return with_warning(
        result, blockkit_schema.TRUNCATION_WARNING, blockkit_schema.TRUNCATION_MESSAGE
    )


def _target_channel(emu: EmulatorState, args: Args) -> Channel:
    """chat.postMessage takes a channel id, or a user id for the bot's DM with that user."""
    ref = args.text("channel") or ""
    if ref in emu.users and ref not in emu.channels:
        return dm_channel(emu, ref)
    return get_channel(emu, args)


@method("chat.postMessage")
def chat_post_message(emu: EmulatorState, args: Args) -> Result:
    """Posts where the bot is a member: a private channel or DM it is not in is invisible
    (`channel_not_found`); in a public one it is `not_in_channel` ("Cannot post user messages
    to a channel they are not in"; https://docs.slack.dev/reference/methods/chat.postMessage).
    The per-channel posting rate is the server's (`EmulatorServer._channel_rate_limited`)."""
    channel = _target_channel(emu, args)
    require_visible(emu, channel)
    require_active(channel)
    # Without chat:write.public a bot may post only where it is a member, public or not.
    require_bot_member(emu, channel)
    text, blocks, truncated = _content(args)
    thread_ts = args.text("thread_ts") or None
    subtype = "thread_broadcast" if thread_ts and args.flag("reply_broadcast") else None
    message = emu.post_as_bot(channel, text, blocks=blocks, thread_ts=thread_ts, subtype=subtype)
    result = {"channel": channel.id, "ts": message.ts, "message": message.to_api()}
    return _answer(result, truncated)


@method("chat.update")
def chat_update(emu: EmulatorState, args: Args) -> Result:
    """Blocks are checked as chat.postMessage checks them. Slack's truncation notice names
    the posting methods only (chat.postMessage, chat.postEphemeral, response URLs), and
    chat.update's error table has `msg_too_long` "Message text is too long"
    (https://docs.slack.dev/reference/methods/chat.update): so text over 40,000 characters is
    refused here, not cut."""
    channel = get_channel(emu, args)
    message = get_message(channel, args.text("ts"))
    if message.bot_id != emu.bot_id:
        raise ApiError("cant_update_message")
    if "text" not in args.data and "blocks" not in args.data:
        raise ApiError("no_text")
    blocks = _blocks(args) if "blocks" in args.data else None
    text = args.text("text") or ""
    if len(text) > blockkit_schema.MESSAGE_TEXT_MAX:
        raise ApiError("msg_too_long")
    if "text" in args.data:
        message.text = text
    if "blocks" in args.data:
        message.blocks = blocks or None
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
    # Posting where the bot is not a member needs chat:write.public, which warroom does not
    # ask for (https://docs.slack.dev/reference/scopes/chat:write.public): as chat.postMessage.
    require_access(emu, channel, public_error="not_in_channel")
    require_active(channel)
    user = args.need("user", "user_not_found")
    if user not in channel.members:
        raise ApiError("user_not_in_channel")
    text, blocks, truncated = _content(args)
    emu.ephemeral.append(EphemeralMessage(channel.id, user, text, blocks, via="postEphemeral"))
    return _answer({"message_ts": new_ts()}, truncated)


@method("chat.getPermalink")
def chat_get_permalink(emu: EmulatorState, args: Args) -> Result:
    """`channel_not_found` ("Value passed for `channel` was invalid") for a conversation the
    bot cannot see: a DM it is not part of, a private channel it is not in
    (https://docs.slack.dev/reference/methods/chat.getPermalink).

    The link as Slack's examples give it: ``https://<workspace>.slack.com/archives/<channel>/
    p<ts without its dot>``, and "When the provided message_ts is part of a thread, the
    permalink format changes": ``?thread_ts=<the parent's ts>&cid=<channel>`` after it
    (https://api.slack.com/methods/chat.getPermalink). Its rate limit is "Special": "This
    method allows hundreds of requests per minute" (same page), so, like the tiers, none is
    enforced unless a test sets one (``rate_limits``)."""
    channel = get_channel(emu, args)
    require_visible(emu, channel)
    message = get_message(channel, args.text("message_ts"))
    link = (
        f"https://{emu.team_domain}.slack.com/archives/{channel.id}/p{message.ts.replace('.', '')}"
    )
    if message.is_reply:
        link += f"?thread_ts={message.thread_ts}&cid={channel.id}"
    return {"channel": channel.id, "permalink": link}


@method("pins.add")
def pins_add(emu: EmulatorState, args: Args) -> Result:
    """Members only: `channel_not_found` for an invisible conversation, `not_in_channel` for a
    public channel (both in https://docs.slack.dev/reference/methods/pins.add). Members get a
    `pinned_item` message event (https://docs.slack.dev/reference/events/message/pinned_item/).
    A workspace that limits pinning (`pinning_restricted`) answers `restricted_action`, "User
    does not have permission to perform this action" (the same page's error table).
    """
    channel = get_channel(emu, args)
    require_access(emu, channel, public_error="not_in_channel")
    if emu.pinning_restricted:
        raise ApiError("restricted_action")
    message = get_message(channel, args.need("timestamp", "no_item_specified"))
    if message.ts in channel.pins:
        raise ApiError("already_pinned")
    channel.pins.append(message.ts)
    pinned = events.pinned_item(channel, emu.bot_user_id, message, emu.team_id)
    emu.on_channel_event(channel, pinned)
    return {}


@method("pins.remove")
def pins_remove(emu: EmulatorState, args: Args) -> Result:
    """Members only; the error table has `channel_not_found` and no `not_in_channel`
    (https://docs.slack.dev/reference/methods/pins.remove)."""
    channel = get_channel(emu, args)
    require_access(emu, channel, public_error="channel_not_found")
    ts = args.need("timestamp", "no_item_specified")
    if ts not in channel.pins:
        raise ApiError("no_pin")
    channel.pins.remove(ts)
    return {}


def _reaction_target(emu: EmulatorState, args: Args) -> tuple[Message, str]:
    """The bot reacts only where it is a member. reactions.add and reactions.remove list
    `channel_not_found` and no `not_in_channel`
    (https://docs.slack.dev/reference/methods/reactions.add,
    https://docs.slack.dev/reference/methods/reactions.remove), so any channel the bot is not
    in answers `channel_not_found`."""
    channel = get_channel(emu, args)
    require_access(emu, channel, public_error="channel_not_found")
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
