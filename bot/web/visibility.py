"""Who may see which incident: public incidents to everyone signed in, private ones to the
members of their channel (asked of Slack, remembered for a minute) and to the people who
declared or lead them."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.models import Incident
from bot.slack.workspace import SlackWorkspace, slack_error

log = logging.getLogger(__name__)
# A member removed from a private channel may still see its incident for this long.
MEMBERS_TTL_SECONDS = 60.0
# Private channels asked about at once when a list needs many of them.
MEMBERSHIP_CONCURRENCY = 8
# Slack's answers meaning the bot will not learn this channel's members (kept for the TTL).
GONE = {"channel_not_found", "not_in_channel", "is_archived", "missing_scope"}


@dataclass(frozen=True)
class Viewer:
    """Who is looking: a signed-in Slack user, or someone who sees everything (the API
    token's holder, or anyone when sign-in is off)."""

    user_id: str | None
    name: str
    team_id: str | None
    sees_everything: bool
    session_id: str = ""

    @property
    def author(self) -> str:
        """How an edit records who made it: a Slack user, the API token, or local use."""
        if self.user_id:
            return self.user_id
        return "local" if self.session_id else "api"


class Visibility:
    """Answers "may this viewer see this incident", asking Slack about private channels."""

    def __init__(self, slack: SlackWorkspace) -> None:
        self._slack = slack
        self._members: dict[str, tuple[float, frozenset[str]]] = {}
        self._gate = asyncio.Semaphore(MEMBERSHIP_CONCURRENCY)
        self._asking: dict[str, asyncio.Lock] = {}

    async def can_see(self, viewer: Viewer, incident: Incident) -> bool:
        if viewer.sees_everything:
            return True
        if viewer.team_id != incident.team_id:
            return False
        if not incident.is_private:
            return True
        if viewer.user_id in {incident.declared_by, incident.commander}:
            return True
        if not incident.channel_id:
            return False
        return viewer.user_id in await self.members(incident.channel_id)

    async def visible_private(self, viewer: Viewer, incidents: Iterable[Incident]) -> set[int]:
        """The ids of the private incidents among ``incidents`` that the viewer may see."""
        private = [incident for incident in incidents if incident.is_private]
        seen = await asyncio.gather(*(self.can_see(viewer, incident) for incident in private))
        return {incident.id or 0 for incident, yes in zip(private, seen, strict=True) if yes}

    async def members(self, channel_id: str) -> frozenset[str]:
        cached = self._members.get(channel_id)
        if cached and time.monotonic() - cached[0] < MEMBERS_TTL_SECONDS:
            return cached[1]
        # Many pages at once for one channel ask Slack once.
        async with self._asking.setdefault(channel_id, asyncio.Lock()):
            cached = self._members.get(channel_id)
            if cached and time.monotonic() - cached[0] < MEMBERS_TTL_SECONDS:
                return cached[1]
            return await self._ask(channel_id)

    async def _ask(self, channel_id: str) -> frozenset[str]:
        async with self._gate:
            try:
                members = frozenset(await self._slack.channel_members(channel_id))
            except SlackApiError as error:
                log.warning("members of %s unknown: %s", channel_id, slack_error(error))
                if slack_error(error) not in GONE:
                    return frozenset()  # Slack busy or failing: ask again next time
                # The bot was removed or the channel is gone: nobody is known to be in it.
                members = frozenset()
            except (aiohttp.ClientError, TimeoutError) as error:
                # Slack unreachable: show nothing private now, and ask again next time.
                log.warning("members of %s unknown: %s", channel_id, type(error).__name__)
                return frozenset()
        self._members[channel_id] = (time.monotonic(), members)
        return members
