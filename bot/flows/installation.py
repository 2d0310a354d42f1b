"""The app's life in a workspace: uninstalled (or its bot token revoked), nothing is sent to
Slack; installed again, everything resumes where it stopped.

Slack says so with ``app_uninstalled`` and ``tokens_revoked``, in either order
(https://docs.slack.dev/reference/events/app_uninstalled/,
https://docs.slack.dev/reference/events/tokens_revoked/), and every call made with the old
token answers ``token_revoked`` or ``invalid_auth`` from then on. Whichever comes first stops
the outbox and the jobs of every replica (a row in ``slack_installation``), with one log line;
nothing is dropped: writes and jobs wait, unclaimed and uncounted. While stopped, each replica
asks Slack (``auth.test``) once a minute whether the token works again: a workspace that
reinstalled the app with the same token, or a replica restarted with the new one.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.flows.polling import Poller
from bot.services import Services
from bot.store import installation, outbox
from bot.store.db import session_scope

log = logging.getLogger(__name__)
# How often a stopped replica asks Slack whether its token works again (by the app's clock).
PROBE_EVERY = timedelta(minutes=1)


async def stop(services: Services, *, reason: str, team_id: str | None = None) -> None:
    """Stop sending to Slack, in every replica, until the app is installed again."""
    team = team_id or services.slack.known_team_id or ""
    async with session_scope(services.engine) as session:
        news = await installation.stop(session, team_id=team, reason=reason, now=services.clock())
        await session.commit()
    first_here = services.presence.stopped is None
    services.presence.stopped = reason
    if news and first_here:
        log.error(
            "The Slack app is gone from workspace %s (%s): the outbox and the jobs stop, and "
            "wait, until it is installed again",
            team or "(unknown)",
            reason,
        )


async def resume(services: Services) -> None:
    """Send again: the writes that waited, the jobs that waited, and those set aside."""
    now = services.clock()
    async with session_scope(services.engine) as session:
        was_stopped = await installation.resume(session)
        set_aside = await outbox.put_back_set_aside(session, now)
        await session.commit()
    services.presence.stopped = None
    if was_stopped:
        log.warning(
            "The Slack app is installed again: the outbox and the jobs resume (%d writes set "
            "aside are tried again)",
            set_aside,
        )
    services.wake_jobs()


class SlackWatch(Poller):
    """Keeps this replica's ``services.presence`` as the database says, and while the app is
    gone asks Slack whether its token works again."""

    name = "warroom slack installation"

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self._asked_at: datetime | None = None

    async def round(self) -> None:
        await self.check()

    async def learn(self) -> bool:
        """Learn what other replicas (or this one before a restart) learned: whether the app
        is gone from Slack; whether it is. Read once before the runner and the sender start,
        so their first rounds send nothing to a workspace that uninstalled it."""
        async with session_scope(self.services.engine) as session:
            gone = await installation.stopped(session)
        presence = self.services.presence
        if gone is None:
            if presence.stopped is not None:  # another replica saw it installed again
                presence.stopped = None
                self.services.wake_jobs()
            return False
        presence.stopped = gone.reason
        return True

    async def check(self, *, ask_now: bool = False) -> None:
        """``learn``; while stopped, ask Slack (at most once a ``PROBE_EVERY`` unless
        ``ask_now``)."""
        if not await self.learn():
            return
        now = self.services.clock()
        if not ask_now and self._asked_at and now - self._asked_at < PROBE_EVERY:
            return
        self._asked_at = now
        if await self.services.slack.token_works():
            await resume(self.services)
