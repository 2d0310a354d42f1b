"""The app's and the channels' lives as Slack tells an app about them: uninstalled and
installed again, channels renamed, archived and unarchived."""

from __future__ import annotations

import secrets

from bot.emulator import events
from bot.emulator.models import BotResponse
from bot.emulator.server import EmulatorServer


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
