"""SlackEmulator: the fake Web API plus the "Slack platform" side that drives the bot: slash
commands and people acting in channels here, interactivity (buttons, menus, forms, shortcuts)
in ``emulator.interactions``."""

from __future__ import annotations

import contextlib
import json
import urllib.parse
from typing import Any

from emulator import events
from emulator.blockkit import message_problems, truncate_text
from emulator.composer import Composed, compose
from emulator.interactions import FORM, VERIFICATION_TOKEN, InteractionsEmulator
from emulator.models import BotResponse, Channel, EphemeralMessage, Message, new_ts
from emulator.transport import Outbound, channel_type


class UndeclaredCommand(LookupError):
    """A slash command the app's manifest does not declare: Slack would deliver it to no app."""

    def __init__(self, command: str, declared: tuple[str, ...]) -> None:
        super().__init__(
            f"{command} is not a slash command of this app (its manifest declares "
            f"{', '.join(declared) or 'none'}): Slack would not deliver it"
        )
        self.command = command


class SlackEmulator(InteractionsEmulator):
    """Fake Slack for `warroom demo` and the tests: Web API server + signed requests to the bot.

    Usage: `async with SlackEmulator() as slack: slack.events_url = ...` and point the bot's
    AsyncWebClient at `slack.base_url`.
    """

    def __init__(
        self,
        *,
        team_id: str = "T0WARROOM",
        team_domain: str = "warroom-demo",
        bot_token: str = "xoxb-emulator-token",
        signing_secret: str = "emulator-signing-secret",
        app_token: str = "xapp-emulator-token",
        bot_user_id: str = "U0WARROOM",
        bot_id: str = "B0WARROOM",
        app_id: str = "A0WARROOM",
        app_config_token: str = "xoxe.xoxp-1-emulator-config-token",
        app_name: str = "warroom",
    ) -> None:
        """The workspace and the app under test: ids, tokens and the app's name (its bot
        user's name too). The defaults are warroom's demo workspace; any app can pass its own."""
        super().__init__(
            team_id=team_id,
            team_domain=team_domain,
            bot_token=bot_token,
            signing_secret=signing_secret,
            app_token=app_token,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
            app_id=app_id,
            app_config_token=app_config_token,
            app_name=app_name,
        )

    def _as_sent(self, typed: str, slack_text: str | None) -> Composed:
        """A message as Slack delivers it: what the person typed, encoded by the client
        (emulator.composer); or, for what a person can only make with the composer's
        formatting tools (a labelled link, a date), ``slack_text`` already in Slack's encoding."""
        if slack_text is not None:
            return Composed(slack_text, [])
        return compose(typed, self.workspace())

    # -- slash commands --------------------------------------------------------------------
    async def send_command(
        self,
        text: str,
        *,
        user: str,
        channel: str,
        command: str = "/incident",
        signing_secret: str | None = None,
        timestamp: int | None = None,
        slack_text: str | None = None,
    ) -> BotResponse:
        """POST a slash command exactly as Slack does (form body, signed) and record its ack.

        Only a command the app's manifest declares (``slash_commands``) reaches the app: a
        command is made in the app's settings or manifest, with the Request URL Slack sends
        it to (https://docs.slack.dev/interactivity/implementing-slash-commands, "Creating a
        slash command"; https://docs.slack.dev/reference/app-manifest, ``features.
        slash_commands``). Any other is not the app's, and Slack sends it nothing:
        UndeclaredCommand.

        ``text`` is what the person typed; it arrives encoded, mentions of people with their
        names, when the command escapes channels, users and links (``should_escape``, on in
        warroom's manifest), and as typed otherwise (emulator.composer). ``slack_text``:
        text already in Slack's encoding, for what a person makes with the composer's
        formatting tools (a labelled link)."""
        if command not in self.slash_commands:
            raise UndeclaredCommand(command, tuple(self.slash_commands))
        chan, person = self._channel(channel), self._user(user)
        if slack_text is not None:
            text = slack_text
        elif self.slash_commands[command]:
            text = compose(text, self.workspace(), labelled_users=True).text
        url_id = self.new_response_url_id(chan.id, user)
        fields = {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": chan.id,
            "channel_name": "directmessage" if chan.is_im else chan.name,
            "user_id": user,
            "user_name": person.name,
            "command": command,
            "text": text,
            "api_app_id": self.app_id,
            "is_enterprise_install": "false",
            "response_url": f"{self.root_url}/response/{url_id}",
            "trigger_id": self.issue_trigger_id(user, chan.id),
        }
        # urlencode = quote_plus with safe="": "/incident" -> "%2Fincident", spaces -> "+".
        out = Outbound("slash_commands", urllib.parse.urlencode(fields), FORM, fields)
        response = await self.send_to_bot(out, signing_secret=signing_secret, timestamp=timestamp)
        self._record_ack(chan, user, response)
        return response

    def _record_ack(self, channel: Channel, user: str, response: BotResponse) -> None:
        """A non-empty ack is a message: ephemeral for the user, or in channel if asked.

        Its blocks are held to the message rules (blockkit.message_problems); blocks Slack
        would refuse show nothing and are recorded in `refusals`. Text over 40,000
        characters is cut (https://api.slack.com/changelog/2018-04-truncating-really-long-messages).
        """
        if response.status != 200 or not response.text.strip():
            return
        data: Any = {"text": response.text}
        if "json" in response.headers.get("Content-Type", ""):
            with contextlib.suppress(json.JSONDecodeError):
                data = response.json()
        if not isinstance(data, dict) or not (data.get("text") or data.get("blocks")):
            return
        blocks = data.get("blocks")
        if blocks is not None and (problems := message_problems(blocks)):
            self.refuse("ack", "invalid_blocks", problems)
            return
        text, _truncated = truncate_text(str(data.get("text") or ""))
        if data.get("response_type") == "in_channel":
            self.post_as_bot(channel, text, blocks=blocks)  # no membership needed for this
        else:
            self.ephemeral.append(EphemeralMessage(channel.id, user, text, blocks, via="ack"))

    # -- people acting in channels ---------------------------------------------------------
    async def post_message(
        self,
        channel: str,
        text: str,
        *,
        user: str,
        thread_ts: str | None = None,
        ts: str | None = None,
        slack_text: str | None = None,
    ) -> Message:
        """A person types ``text`` in a channel; the bot gets a `message` event, its text in
        Slack's encoding with the same words as a ``rich_text`` block, if it is a member."""
        chan = self._channel(channel)
        sent = self._as_sent(text, slack_text)
        self._user(user)
        ts = ts or new_ts()
        if chan.find(ts) is not None:
            raise ValueError(f"ts {ts} already used in #{chan.name}")
        if thread_ts is not None and chan.find(thread_ts) is None:
            raise LookupError(f"no thread parent {thread_ts} in #{chan.name}")
        await self._ensure_member(chan, user)
        message = self.store_message(
            Message(
                ts=ts,
                user=user,
                text=sent.text,
                channel=chan.id,
                thread_ts=thread_ts,
                blocks=sent.blocks or None,
            )
        )
        await self._deliver_if_member(chan, self.message_event(chan, message))
        return message

    async def post_as_app(
        self,
        channel: str,
        text: str,
        *,
        name: str,
        bot_id: str = "B0OTHERAPP",
        attachments: list[dict[str, Any]] | None = None,
        ts: str | None = None,
    ) -> Message:
        """Another app (Grafana's or PagerDuty's Slack integration, an incoming webhook) posts
        in a channel: a ``bot_message`` with no ``user``, its ``bot_id`` and its name as
        ``username`` and ``bot_profile.name``
        (https://docs.slack.dev/reference/events/message/bot_message/). ``text`` is in
        Slack's encoding, as the app sent it, and so are its legacy ``attachments``. ``ts``:
        when it was said (a replay's time), else now."""
        chan = self._channel(channel)
        message = self.store_message(
            Message(
                ts=ts or new_ts(),
                user=None,
                text=text,
                channel=chan.id,
                bot_id=bot_id,
                subtype="bot_message",
                app_name=name,
                attachments=attachments,
            )
        )
        await self._deliver_if_member(chan, self.message_event(chan, message))
        return message

    async def _ensure_member(self, channel: Channel, user: str) -> None:
        """Posting in a public channel joins it, as in the Slack client; private ones need an
        invite. Joining sends the apps in the channel a `channel_join` message and a
        `member_joined_channel` event, without `inviter` since nobody invited the user
        (https://docs.slack.dev/reference/events/message/channel_join/,
        https://docs.slack.dev/reference/events/member_joined_channel/)."""
        if channel.is_archived:
            raise ValueError(f"#{channel.name} is archived")
        if user in channel.members:
            return
        if channel.is_private:
            raise PermissionError(f"{user} is not a member of private #{channel.name}")
        channel.members.add(user)
        await self._deliver_if_member(channel, events.channel_join(channel, user, self.team_id))
        await self._deliver_if_member(
            channel, events.member_joined_channel(channel, user, self.team_id)
        )

    async def _deliver_if_member(
        self, channel: Channel, event: dict[str, Any]
    ) -> BotResponse | None:
        """Slack sends channel events only to apps in the channel; None when nothing was sent."""
        if self.bot_user_id not in channel.members or not self.can_deliver():
            return None
        return await self.send_event(event)

    async def edit_message(
        self, channel: str, ts: str, text: str, *, user: str, slack_text: str | None = None
    ) -> BotResponse | None:
        """The author edits a message (typed as ``post_message`` takes it): message_changed."""
        chan = self._channel(channel)
        message = self.find_message(chan, ts)
        if message.user != user:
            raise PermissionError(f"{user} did not write message {ts}")
        previous = message.to_api()
        sent = self._as_sent(text, slack_text)
        message.text, message.edited = sent.text, {"user": user, "ts": new_ts()}
        message.blocks = sent.blocks or None
        return await self._deliver_if_member(
            chan,
            _hidden_event(chan, "message_changed", message=message.to_api(), previous=previous),
        )

    async def delete_message(self, channel: str, ts: str) -> BotResponse | None:
        """A message disappears: message_deleted event.

        A thread parent that has replies is not removed: it stays in the channel as a
        `tombstone` ("This message was deleted.", by Slackbot, `hidden`) above its replies,
        and Slack announces it as `message_changed` whose `message` is the tombstone, not as
        `message_deleted` (shapes: see `events.tombstone`;
        https://docs.slack.dev/reference/events/message/message_changed/).
        """
        chan = self._channel(channel)
        message = self.find_message(chan, ts)
        previous = message.to_api()
        if not message.is_reply and message.replies:
            tombstone = events.tombstone(message)
            message.text, message.user, message.subtype = (
                events.TOMBSTONE_TEXT,
                events.SLACKBOT,
                "tombstone",
            )
            message.bot_id = message.blocks = message.files = message.edited = None
            message.reactions.clear()
            message.hidden = True
            return await self._deliver_if_member(
                chan,
                _hidden_event(chan, "message_changed", message=tombstone, previous=previous),
            )
        self.remove_message(chan, message)
        return await self._deliver_if_member(
            chan, _hidden_event(chan, "message_deleted", deleted_ts=ts, previous=previous)
        )

    async def send_message_replied(
        self, channel: str, parent_ts: str, *, with_subtype: bool = False
    ) -> BotResponse | None:
        """The `message_replied` event Slack may send for a thread parent after a reply
        (`hidden: true`, the parent with `reply_count` and `replies` in `message`). Over the
        Events API it arrives WITHOUT its `subtype` (a bug Slack documents:
        https://docs.slack.dev/reference/events/message/message_replied/), hence the default
        `with_subtype=False`. Not sent on its own: tests call this to see how the bot copes."""
        chan = self._channel(channel)
        parent = self.find_message(chan, parent_ts)
        if parent.is_reply:
            raise ValueError(f"{parent_ts} is a reply, not a thread parent")
        event = events.message_replied(chan, parent, with_subtype=with_subtype)
        return await self._deliver_if_member(chan, event)

    async def add_reaction(
        self, channel: str, ts: str, name: str, *, user: str
    ) -> BotResponse | None:
        """A person reacts: reaction_added (nothing happens if they already had reacted)."""
        chan, message = self._reaction_target(channel, ts, user)
        users = message.reactions.setdefault(name, [])
        if user in users:
            return None
        users.append(user)
        return await self._deliver_if_member(
            chan, self._reaction_event("reaction_added", message, name, user)
        )

    async def remove_reaction(
        self, channel: str, ts: str, name: str, *, user: str
    ) -> BotResponse | None:
        """A person removes a reaction: reaction_removed (nothing if there was none)."""
        chan, message = self._reaction_target(channel, ts, user)
        users = message.reactions.get(name, [])
        if user not in users:
            return None
        users.remove(user)
        if not users:
            del message.reactions[name]
        return await self._deliver_if_member(
            chan, self._reaction_event("reaction_removed", message, name, user)
        )

    def _reaction_target(self, channel: str, ts: str, user: str) -> tuple[Channel, Message]:
        chan = self._channel(channel)
        self._user(user)
        return chan, self.find_message(chan, ts)

    def _reaction_event(self, kind: str, message: Message, name: str, user: str) -> dict[str, Any]:
        event: dict[str, Any] = {
            "type": kind,
            "user": user,
            "reaction": name,
            "item": {"type": "message", "channel": message.channel, "ts": message.ts},
            "event_ts": new_ts(),
        }
        if message.user:  # absent when a webhook or integration wrote the message
            event["item_user"] = message.user
        return event


def _hidden_event(
    channel: Channel, subtype: str, *, previous: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    """A ``message_changed`` or ``message_deleted`` event: Slack's hidden bookkeeping about a
    message, with what it was before (https://docs.slack.dev/reference/events/message)."""
    event_ts = new_ts()
    return {
        "type": "message",
        "subtype": subtype,
        "hidden": True,
        "channel": channel.id,
        "ts": event_ts,
        "event_ts": event_ts,
        "channel_type": channel_type(channel),
        **fields,
        "previous_message": previous,
    }
