"""The app's and the channels' lives as Slack tells an app about them: uninstalled and
installed again, channels renamed, archived and unarchived."""

from __future__ import annotations

import secrets
from typing import Any

from emulator import events
from emulator.models import BotResponse, Channel
from emulator.server import EmulatorServer


class LifecycleEmulator(EmulatorServer):
    """What a workspace's admins and members do to the app and to channels."""

    async def uninstall(self) -> list[BotResponse]:
        """The workspace removes the app. Its bot token is revoked at once: every call made
        with it answers ``token_revoked`` ("the app has been removed", in every method's error
        table). The app gets ``tokens_revoked`` and ``app_uninstalled``, whose "order ... [is]
        not guaranteed to be sequential" and "An app is not uninstalled until its final user
        and bot tokens are revoked" (https://docs.slack.dev/reference/events/app_uninstalled/):
        here the revocation first."""
        self.revoked_tokens.add(self.bot_token)
        return [
            await self.send_event(events.tokens_revoked(self.bot_user_id)),
            await self.send_event(events.app_uninstalled()),
        ]

    def reinstall(self) -> str:
        """The workspace installs the app again: a new bot token (the revoked one stays
        revoked: "you can obtain a token again with another jaunt through the OAuth process",
        https://docs.slack.dev/reference/methods/auth.revoke); return it."""
        self.bot_token = f"xoxb-emulator-{secrets.token_hex(8)}"
        return self.bot_token

    async def rename_channel(self, ref: str, name: str, *, user: str) -> BotResponse | None:
        """A member renames a channel; the app hears of it (see ``_tell``), and its members
        get the ``channel_name`` message."""
        channel = self._named(ref)
        old_name, channel.name = channel.name, name
        message = events.channel_name_message(channel, user, old_name, self.team_id)
        self.on_channel_event(channel, message)
        return await self._tell(channel, events.channel_rename(channel))

    async def archive_channel(self, ref: str, *, user: str) -> BotResponse | None:
        """A member archives a channel: nothing can be posted in it any more (``is_archived``)."""
        return await self._set_archived(ref, user, archived=True)

    async def unarchive_channel(self, ref: str, *, user: str) -> BotResponse | None:
        """A member unarchives a channel: it takes posts again."""
        return await self._set_archived(ref, user, archived=False)

    async def _set_archived(self, ref: str, user: str, *, archived: bool) -> BotResponse | None:
        channel = self._named(ref)
        channel.is_archived = archived
        message = events.channel_archive_message(channel, user, self.team_id, archived=archived)
        self.on_channel_event(channel, message)
        return await self._tell(channel, events.channel_archive(channel, user, archived=archived))

    def _named(self, ref: str) -> Channel:
        channel = self.resolve_channel(ref)
        if channel is None:
            raise LookupError(f"unknown channel {ref!r}")
        return channel

    async def _tell(self, channel: Channel, event: dict[str, Any]) -> BotResponse | None:
        """A public channel's rename or archive "is sent to all connections for a workspace"
        (https://docs.slack.dev/reference/events/channel_rename/), a private one's "to all
        connections for members of a private channel"
        (https://docs.slack.dev/reference/events/group_archive/)."""
        if channel.is_private and self.bot_user_id not in channel.members:
            return None
        return await self.send_event(event)
