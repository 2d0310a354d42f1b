"""Who may see which incident: public incidents to everyone signed in but guests, private
ones (and, for guests, every one) to the members of their channel, and private ones to the
people who declared, lead or hold a role in them.

Membership is what Slack said lately (``conversations.members``), asked again only for the
incidents a page needs, with a short deadline: pages must answer from the database when Slack
cannot. The recorded join and leave messages are not trusted for it: Slack may withhold them
(https://docs.slack.dev/reference/events/message/channel_join/, and a channel can hide them),
and a leave never seen would let a removed person keep seeing a private incident.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clients.slack.errors import SlackFailure, SlackGone, SlackNotAllowed, SlackUnavailable
from bot.clients.slack.web_api import SlackWorkspace
from bot.record.incident.queries import Summarised, held_by
from bot.store.db import session_scope
from bot.store.models import Incident

log = logging.getLogger(__name__)
# Slack's "yes, they are in" is kept this long: a member removed from the channel may see its
# incident this long afterwards.
MEMBER_TTL_SECONDS = 600.0
# "Not in it" is kept a minute: someone just invited is not kept out for long.
NOT_MEMBER_TTL_SECONDS = 60.0
# A page waits this long for Slack's answer, then shows what the database knows.
SLACK_DEADLINE_SECONDS = 1.5
# After Slack failed to answer, it is not asked again for this long (every page would wait).
SLACK_PAUSE_SECONDS = 30.0
# Private channels asked about at once when a list needs several of them.
MEMBERSHIP_CONCURRENCY = 8


@dataclass(frozen=True)
class Viewer:
    """Who is looking: a signed-in Slack user, or someone who sees everything (the API
    token's holder, or anyone when sign-in is off)."""

    user_id: str | None
    name: str
    team_id: str | None
    sees_everything: bool
    session_id: str = ""
    # A restricted or single-channel guest sees only the incidents of channels they are in.
    guest: bool = False

    @property
    def author(self) -> str:
        """How an edit records who made it: a Slack user, the API token, or local use."""
        if self.user_id:
            return self.user_id
        return "local" if self.session_id else "api"


class Visibility:
    """Answers "may this viewer see (or edit) this incident"."""

    def __init__(self, slack: SlackWorkspace, engine: AsyncEngine) -> None:
        self._slack = slack
        self._engine = engine
        self._members: dict[str, tuple[float, frozenset[str]]] = {}
        self._gate = asyncio.Semaphore(MEMBERSHIP_CONCURRENCY)
        self._asking: dict[str, asyncio.Lock] = {}
        self._slack_paused_until = 0.0

    async def can_see(self, viewer: Viewer, incident: Incident) -> bool:
        if viewer.sees_everything:
            return True
        if viewer.team_id != incident.team_id:
            return False
        if not incident.is_private and not viewer.guest:
            return True
        if not viewer.guest and await self._holds_role(viewer, incident):
            return True
        return await self.is_member(viewer, incident)

    async def can_edit(self, viewer: Viewer, incident: Incident) -> bool:
        """Whether the viewer may write the postmortem's sections: the incident's people (who
        declared, lead or hold a role in it) and the members of its channel."""
        if viewer.sees_everything:
            return True
        if viewer.team_id != incident.team_id:
            return False
        if await self._holds_role(viewer, incident):
            return True
        return await self.is_member(viewer, incident)

    async def _holds_role(self, viewer: Viewer, incident: Incident) -> bool:
        if not viewer.user_id or incident.id is None:
            return False
        async with session_scope(self._engine) as session:
            return bool(await held_by(session, viewer.user_id, [incident.id]))

    async def is_member(self, viewer: Viewer, incident: Incident) -> bool:
        known = await self.known_members(viewer, [incident])
        if incident.id in known:
            return known[incident.id]
        return await self._ask_member(viewer, incident)

    async def visible(
        self, viewer: Viewer, candidates: Sequence[Summarised], *, ask_for: Collection[int]
    ) -> set[int]:
        """The ids of the ``candidates`` (incidents needing a look: private ones, or all for a
        guest) the viewer may see. Slack is asked only about those in ``ask_for`` that the
        database and recent answers say nothing of; the others unknown stay hidden."""
        ids = [incident.id for incident in candidates if incident.id is not None]
        seen: set[int] = set()
        if viewer.user_id and not viewer.guest:
            async with session_scope(self._engine) as session:
                seen = await held_by(session, viewer.user_id, ids)
        rest = [incident for incident in candidates if incident.id not in seen]
        known = await self.known_members(viewer, rest)
        seen |= {number for number, member in known.items() if member}
        unknown = [i for i in rest if i.id not in known and i.id in ask_for]
        answers = await asyncio.gather(*(self._ask_member(viewer, i) for i in unknown))
        seen |= {i.id or 0 for i, yes in zip(unknown, answers, strict=True) if yes}
        return seen

    async def known_members(
        self, viewer: Viewer, incidents: Sequence[Summarised]
    ) -> dict[int, bool]:
        """Whether the viewer is in each incident's channel, where Slack said so lately."""
        if not viewer.user_id:
            return {i.id or 0: False for i in incidents}
        known = {i.id or 0: False for i in incidents if not i.channel_id}
        now = time.monotonic()
        for incident in incidents:
            cached = self._members.get(incident.channel_id or "")
            if not incident.channel_id or incident.id is None or cached is None:
                continue
            age = now - cached[0]
            if viewer.user_id in cached[1] and age < MEMBER_TTL_SECONDS:
                known[incident.id] = True
            elif age < NOT_MEMBER_TTL_SECONDS:
                known[incident.id] = False
        return known

    async def _ask_member(self, viewer: Viewer, incident: Summarised) -> bool:
        if not incident.channel_id or not viewer.user_id:
            return False
        return viewer.user_id in await self.members(incident.channel_id)

    async def members(self, channel_id: str) -> frozenset[str]:
        cached = self._members.get(channel_id)
        if cached and time.monotonic() - cached[0] < NOT_MEMBER_TTL_SECONDS:
            return cached[1]
        # Many pages at once for one channel ask Slack once.
        async with self._asking.setdefault(channel_id, asyncio.Lock()):
            cached = self._members.get(channel_id)
            if cached and time.monotonic() - cached[0] < NOT_MEMBER_TTL_SECONDS:
                return cached[1]
            if time.monotonic() < self._slack_paused_until:
                return frozenset()  # Slack failed a moment ago: nothing private is shown
            return await self._ask(channel_id)

    async def _ask(self, channel_id: str) -> frozenset[str]:
        async with self._gate:
            try:
                members = frozenset(
                    await asyncio.wait_for(
                        self._slack.channel_members(channel_id), SLACK_DEADLINE_SECONDS
                    )
                )
            except (SlackGone, SlackNotAllowed) as error:
                # The bot was removed or the channel is gone: nobody is known to be in it.
                log.warning("members of %s unknown: %s", channel_id, error.code)
                members = frozenset()
            except SlackUnavailable as error:
                # Slack unreachable or failing: show nothing private now, and leave Slack be
                # a while.
                log.warning("members of %s unknown: %s", channel_id, error.code)
                self._slack_paused_until = time.monotonic() + SLACK_PAUSE_SECONDS
                return frozenset()
            except SlackFailure as error:
                log.warning("members of %s unknown: %s", channel_id, error.code)
                return frozenset()  # Slack busy: ask again next time
            except TimeoutError:
                # One slow channel (a large one, read page by page): nobody is known in it for
                # a minute; the other channels are still asked.
                log.warning("members of %s unknown: Slack was too slow", channel_id)
                members = frozenset()
        self._members[channel_id] = (time.monotonic(), members)
        return members
