"""Events API payloads Slack sends when a conversation changes, in Slack's documented shapes.

Each builder returns the inner `event` object; `Courier.send_event` wraps it in the
event_callback envelope. Slack only sends them to apps that are members of the conversation
(`EmulatorState.on_channel_event` enforces that), and these messages are not `hidden` except
where the docs say so (message_changed, message_deleted, message_replied, tombstones).
"""

from __future__ import annotations

from typing import Any

from emulator.models import Channel, Message, new_ts
from emulator.transport import channel_type

# Slack's own user id: it authors tombstones of deleted thread parents.
SLACKBOT = "USLACKBOT"
TOMBSTONE_TEXT = "This message was deleted."


def _system_message(
    channel: Channel, subtype: str, user: str, text: str, team_id: str
) -> dict[str, Any]:
    ts = new_ts()
    return {
        "type": "message",
        "subtype": subtype,
        "ts": ts,
        "event_ts": ts,
        "user": user,
        "text": text,
        "channel": channel.id,
        "channel_type": channel_type(channel),
        "team": team_id,
    }


def channel_topic(channel: Channel, user: str, topic: str, team_id: str) -> dict[str, Any]:
    """`message` / `channel_topic`: "A channel_topic message is sent when the topic for a
    channel is changed." Fields `user`, `topic`, text "<@U…> set the channel topic: …"
    (https://docs.slack.dev/reference/events/message/channel_topic/)."""
    event = _system_message(
        channel, "channel_topic", user, f"<@{user}> set the channel topic: {topic}", team_id
    )
    event["topic"] = topic
    return event


def channel_purpose(channel: Channel, user: str, purpose: str, team_id: str) -> dict[str, Any]:
    """`message` / `channel_purpose`: sent when the purpose is changed with setPurpose; fields
    `user`, `purpose`, text "<@U…> set the channel purpose: …"
    (https://docs.slack.dev/reference/events/message/channel_purpose/)."""
    event = _system_message(
        channel, "channel_purpose", user, f"<@{user}> set the channel purpose: {purpose}", team_id
    )
    event["purpose"] = purpose
    return event


def channel_join(
    channel: Channel, user: str, team_id: str, inviter: str | None = None
) -> dict[str, Any]:
    """`message` / `channel_join`: "<@U…> has joined the channel"; "If the user was invited,
    the message will include an inviter property containing the user ID of the inviting
    user. The property will otherwise be absent."
    (https://docs.slack.dev/reference/events/message/channel_join/). The mention is written
    without the legacy "|name" part, as in payloads Slack sends today (a recorded one:
    https://hackage.haskell.org/package/slack-web, tests/golden/SlackWebhookEvent/joinChannel.json).
    """
    event = _system_message(
        channel, "channel_join", user, f"<@{user}> has joined the channel", team_id
    )
    if inviter is not None:
        event["inviter"] = inviter
    return event


def member_joined_channel(
    channel: Channel, user: str, team_id: str, inviter: str | None = None
) -> dict[str, Any]:
    """`member_joined_channel`: `user`, `channel`, `channel_type` ("C", or "G" for private
    channels created before March 2021; the emulator's are all newer, so "C"), `team`, and
    `inviter` only when someone invited the user. Sent to apps already in the channel, and
    "also triggered when creating a new channel"
    (https://docs.slack.dev/reference/events/member_joined_channel/)."""
    event: dict[str, Any] = {
        "type": "member_joined_channel",
        "user": user,
        "channel": channel.id,
        "channel_type": "C",
        "team": team_id,
        "event_ts": new_ts(),
    }
    if inviter is not None:
        event["inviter"] = inviter
    return event


def pinned_item(channel: Channel, user: str, message: Message, team_id: str) -> dict[str, Any]:
    """`message` / `pinned_item`: "sent when an item is pinned to a channel"; fields `user`,
    `item_type` ("C" channel message, "G" private group message, "F" file, "Fc" file comment),
    `item` and `channel` (https://docs.slack.dev/reference/events/message/pinned_item/,
    item_type values from https://docs.slack.dev/reference/events/message/unpinned_item/).
    The docs leave `item` empty in their example; here it is the pinned message."""
    event = _system_message(
        channel, "pinned_item", user, f"<@{user}> pinned a message to this channel.", team_id
    )
    event["item_type"] = "G" if channel.is_private else "C"
    event["item"] = message.to_api()
    return event


def message_replied(channel: Channel, parent: Message, *, with_subtype: bool) -> dict[str, Any]:
    """`message` / `message_replied` for a thread parent: `hidden: true`, `message` = the
    parent with `thread_ts`, `reply_count` and `replies` [{user, ts}]
    (https://docs.slack.dev/reference/events/message/message_replied/). "Bug alert! This
    event is missing the subtype field when dispatched over the Events API", hence
    `with_subtype`."""
    ts = new_ts()
    parent_api = parent.to_api()
    parent_api.update(
        thread_ts=parent.ts,
        reply_count=len(parent.replies),
        replies=[{"user": r.user, "ts": r.ts} for r in parent.replies if r.user],
    )
    event: dict[str, Any] = {
        "type": "message",
        "message": parent_api,
        "hidden": True,
        "channel": channel.id,
        "channel_type": channel_type(channel),
        "event_ts": ts,
        "ts": ts,
    }
    if with_subtype:
        event["subtype"] = "message_replied"
    return event


def tombstone(parent: Message) -> dict[str, Any]:
    """What a deleted thread parent that still has replies turns into: a `tombstone` message
    by Slackbot, "This message was deleted.", `hidden: true`, keeping its ts and thread
    fields. Not in Slack's event reference; shapes as Slack sends them are recorded in
    https://github.com/slack-edge/slack-edge/pull/10 (reviewed by Slack's SDK maintainer),
    https://github.com/hackclub/toriel/pull/238 and https://github.com/42wim/matterbridge/issues/600.
    """
    users = list(dict.fromkeys(r.user for r in parent.replies if r.user))
    return {
        "type": "message",
        "subtype": "tombstone",
        "text": TOMBSTONE_TEXT,
        "user": SLACKBOT,
        "hidden": True,
        "ts": parent.ts,
        "thread_ts": parent.ts,
        "parent_user_id": SLACKBOT,
        "reply_count": len(parent.replies),
        "reply_users_count": len(users),
        "latest_reply": parent.replies[-1].ts if parent.replies else "0000000000.000000",
        "reply_users": users,
        "is_locked": False,
        "subscribed": False,
    }


def tokens_revoked(bot_user_id: str) -> dict[str, Any]:
    """`tokens_revoked`: "The inner event's tokens field is a hash keyed with the types of
    revoked tokens" (`oauth` for user tokens, `bot` for bot tokens), "Each key contains an
    array of user IDs, not the actual token strings"
    (https://docs.slack.dev/reference/events/tokens_revoked/). No scope needed."""
    return {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [bot_user_id]}}


def app_uninstalled() -> dict[str, Any]:
    """`app_uninstalled`: only `type` inside; the envelope's `team_id` says which workspace
    (https://docs.slack.dev/reference/events/app_uninstalled/). No scope needed."""
    return {"type": "app_uninstalled"}


def channel_rename(channel: Channel) -> dict[str, Any]:
    """`channel_rename`, or `group_rename` for a private channel: `channel` is an object with
    `id`, the new `name` and `created` (https://docs.slack.dev/reference/events/channel_rename/,
    https://docs.slack.dev/reference/events/group_rename/)."""
    return {
        "type": "group_rename" if channel.is_private else "channel_rename",
        "channel": {"id": channel.id, "name": channel.name, "created": channel.created},
        "event_ts": new_ts(),
    }


def channel_archive(channel: Channel, user: str, *, archived: bool) -> dict[str, Any]:
    """`channel_archive` / `channel_unarchive` (a public channel: `channel` id and `user`,
    https://docs.slack.dev/reference/events/channel_archive/,
    https://docs.slack.dev/reference/events/channel_unarchive/) or `group_archive` /
    `group_unarchive` (a private one: the `channel` id alone,
    https://docs.slack.dev/reference/events/group_archive/,
    https://docs.slack.dev/reference/events/group_unarchive/)."""
    kind = ("group" if channel.is_private else "channel") + (
        "_archive" if archived else "_unarchive"
    )
    event: dict[str, Any] = {"type": kind, "channel": channel.id, "event_ts": new_ts()}
    if not channel.is_private:
        event["user"] = user
    return event


def channel_name_message(
    channel: Channel, user: str, old_name: str, team_id: str
) -> dict[str, Any]:
    """`message` / `channel_name` (`group_name` in a private channel): "A channel_name message
    is sent when a channel is renamed", with `old_name`, `name` and the text "<@U…> has
    renamed the channel from "old" to "new""
    (https://docs.slack.dev/reference/events/message/channel_name/)."""
    subtype = "group_name" if channel.is_private else "channel_name"
    text = f'<@{user}> has renamed the channel from "{old_name}" to "{channel.name}"'
    event = _system_message(channel, subtype, user, text, team_id)
    event.update(old_name=old_name, name=channel.name)
    return event


def channel_archive_message(
    channel: Channel, user: str, team_id: str, *, archived: bool
) -> dict[str, Any]:
    """`message` / `channel_archive` ("<@U…> archived the channel", with the `members`) and
    `channel_unarchive` ("<@U…> un-archived the channel"), `group_…` in a private channel
    (https://docs.slack.dev/reference/events/message/channel_archive/,
    https://docs.slack.dev/reference/events/message/channel_unarchive/)."""
    prefix = "group" if channel.is_private else "channel"
    if archived:
        event = _system_message(
            channel, f"{prefix}_archive", user, f"<@{user}> archived the channel", team_id
        )
        event["members"] = sorted(channel.members)
        return event
    return _system_message(
        channel, f"{prefix}_unarchive", user, f"<@{user}> un-archived the channel", team_id
    )
