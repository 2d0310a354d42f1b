"""What every listener and flow needs, built once per application and passed in."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import socket
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.basics.background import BackgroundTasks
from bot.basics.rates import KeyRates
from bot.basics.render import Renderer
from bot.basics.untrusted import UntrustedParsing
from bot.clients.slack.web_api import SlackWorkspace
from bot.clients.sns import SnsClient
from bot.config import Settings
from bot.metrics import Metrics
from bot.record.alerting.sources.registry import SOURCES
from bot.store.columns import utcnow
from bot.store.liveness import Liveness, live_name
from bot.store.models import Job


def replica_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


async def with_liveness(services: Services) -> Services:
    """``services`` holding this process's lock of life (bot/store/liveness.py), taken
    before it claims anything, and named as a process that holds it; as they were where it
    cannot be (SQLite, or the lock refused): its claims then wait for their lease if it dies."""
    liveness = Liveness(services.engine, live_name(services.replica))
    if not await liveness.hold():
        return services
    return dataclasses.replace(services, replica=liveness.owner, liveness=liveness)


@dataclass
class SlackPresence:
    """Whether the Slack app is installed, as this process last learned it (the database's
    ``slack_installation`` is the truth all replicas share)."""

    # Why nothing is sent to Slack now ("app_uninstalled", "token_revoked"); None: installed.
    stopped: str | None = None


@dataclass
class PagerLife:
    """Whether serve runs a pager process (``on``) and whether it runs now; set by serve's
    supervisor (bot/server.py), read by ``/readyz``, ``/metrics`` and the watchdog."""

    on: bool = False
    running: bool = False


@dataclass
class NamesToLearn:
    """People seen whose names this process has not asked Slack yet: learned in the
    background, one ``users.info`` each, and kept (``bot.flows.people.saw``)."""

    # In the order seen (a dict as an ordered set).
    waiting: dict[str, None] = field(default_factory=dict)
    # Asked in this process already (named, or unknown to Slack): not asked again here.
    asked: set[str] = field(default_factory=set)
    learning: bool = False
    # After Slack failed to answer, nothing is asked before this (``time.monotonic``).
    resting_until: float = 0.0
    # Channels a page named, by id: their names as conversations.info gave them, asked once
    # in this process.
    channels: dict[str, str] = field(default_factory=dict)
    # Channels Slack did not show the bot, by id: until when (``services.clock``) that answer
    # holds; the bot added to one later, a page names it after that.
    channels_unseen: dict[str, datetime] = field(default_factory=dict)
    # User groups a page named, by the handle or id the operator's files give: their handle
    # and name as usergroups.list gave them, asked once (one Slack lacks is asked again).
    groups: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass
class HandedJobs:
    """Jobs claimed for this process as they were written, for its job runner to start once
    their transaction committed; ``taken`` while the runner runs (a one-off command has none:
    its work is left to the replicas that do)."""

    taken: bool = False
    jobs: list[Job] = field(default_factory=list)
    # The runner's way to start them as soon as they are handed over, not at its next look
    # (which waits for its claims in progress: during a storm, database round trips).
    start: Callable[[], None] | None = None
    # The kinds the runner leaves to another process of the replica (the pager).
    left: frozenset[str] = frozenset()
    # That process's name as a claim's owner, once it said it listens: a page's first
    # notifications are claimed for it as they are written, and named in the commit's NOTIFY
    # (bot/store/wakeups.py ``Handover``), so it starts them with no look or claim of its own.
    pager: str | None = None
    # What an alert's first notifications need to leave, by notification id, kept from the
    # transaction that wrote them (bot/flows/paging/alert_pages.py ``Prepared``): their send
    # reads none of it again (a round trip each, during a storm a turn of the loop each).
    prepared: dict[int, Any] = field(default_factory=dict)
    # In the pager: what serve's NOTIFY said of an alert's first notifications handed to it
    # (bot/flows/paging/alert_pages.py ``Announced``), by notification id.
    announced: dict[int, Any] = field(default_factory=dict)
    # How many handovers there were (a transaction that handed none still wakes the runner).
    given: int = 0

    def runs(self, kind: str) -> bool:
        """Whether this process's runner starts handed jobs of ``kind``."""
        return self.taken and kind not in self.left

    def pager_runs(self, kind: str) -> str | None:
        """The pager's name when it runs the handed jobs of ``kind`` (serve leaves them to it
        and knows its name): they are claimed for it."""
        return self.pager if self.taken and kind in self.left else None


# The modules whose parsers run in the worker processes: imported once, by the fork server
# every worker is forked from (bot/basics/untrusted.py): every source's code, as the sources'
# registry names it, and the rest.
PARSERS = (
    *SOURCES.modules(),
    "bot.record.oncall.ical_layers",
    "bot.record.status_page.bounces",
)


@dataclass(frozen=True)
class Parsing:
    """The workers that read what other systems send, a set per kind, so that one kind's slow
    input never delays another's: alert bodies (the pager's path) and iCal feeds (seconds
    each). The bounce listener has its own (``bot/flows/status_page/bounces.py``)."""

    bodies: UntrustedParsing = field(
        default_factory=lambda: UntrustedParsing(workers=2, seconds=5.0, preload=PARSERS)
    )
    feeds: UntrustedParsing = field(
        default_factory=lambda: UntrustedParsing(workers=1, seconds=120.0, preload=PARSERS)
    )

    async def close(self) -> None:
        """End the workers (a parse under way is killed)."""
        await self.bodies.close()
        await self.feeds.close()


@dataclass(frozen=True)
class IntakeRates:
    """Each key's pace (WARROOM_ALERT_RATE_PER_MINUTE), in this process's memory: alerts and
    change events apart, so that a pipeline's changes never use up its key's alerts."""

    alerts: KeyRates = field(default_factory=KeyRates)
    changes: KeyRates = field(default_factory=KeyRates)


@dataclass(frozen=True)
class Services:
    """The application's collaborators: settings, database, Slack, templates and the clock."""

    settings: Settings
    engine: AsyncEngine
    slack: SlackWorkspace
    renderer: Renderer
    # Taken as a dependency so tests (and the demo) can move time: escalation timers,
    # reminders and retries are due by this clock.
    clock: Callable[[], datetime] = utcnow
    background: BackgroundTasks = field(default_factory=BackgroundTasks)
    # For calls to other services (PagerDuty); None only in tests that make none.
    http: aiohttp.ClientSession | None = None
    # Set to have the job runner look for due jobs now instead of at its next poll.
    job_signal: asyncio.Event = field(default_factory=asyncio.Event)
    # Jobs claimed for this replica in the transaction that wrote them (``hand_over``).
    handed: HandedJobs = field(default_factory=HandedJobs)
    # What GET /metrics shows; one-off commands get a registry nobody reads.
    metrics: Metrics = field(default_factory=Metrics)
    # This process among the replicas: named on the outbox leases it holds.
    replica: str = field(default_factory=replica_name)
    # Its lock of life on PostgreSQL (``hold_liveness``): its claims freed the moment it dies.
    liveness: Liveness | None = None
    # One sender per channel in this process (and one applier of its commands, under the
    # name ``command:<channel>``); the lease row keeps other replicas out.
    outbox_locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    # Set when the app is uninstalled or its token revoked: the outbox and the jobs stop.
    presence: SlackPresence = field(default_factory=SlackPresence)
    # People seen whose names are still to be learned from Slack.
    names: NamesToLearn = field(default_factory=NamesToLearn)
    # Worker processes for untrusted input; started at first use, closed with the app.
    parsing: Parsing = field(default_factory=Parsing)
    # Amazon SNS's certificates (kept) and subscriptions' confirmations: CloudWatch alarms.
    sns: SnsClient = field(default_factory=SnsClient)
    # The pager process's life, as serve's supervisor knows it (off outside serve).
    pager: PagerLife = field(default_factory=PagerLife)
    # How many deliveries each integration's key sent lately (429 past its pace).
    intake_rates: IntakeRates = field(default_factory=IntakeRates)

    def wake_jobs(self) -> None:
        """Ask the job runner to look for due work now (new work was just scheduled)."""
        self.job_signal.set()

    def hand_over(self, jobs: Iterable[Job]) -> None:
        """Give the job runner jobs claimed for this replica as they were written (a
        person's first notifications), to start at once, once their transaction committed."""
        self.handed.jobs.extend(jobs)
        self.handed.given += 1
        if self.handed.start is not None:
            # Called at a commit, inside the database driver's call: started on the next turn
            # of the loop, before any task woken by then.
            # The runner is not woken for them: its look (claim queries, and the jobs it would
            # start beside them: the alert's message) waits until they end, which wakes it.
            asyncio.get_running_loop().call_soon(self.handed.start)
        else:
            self.job_signal.set()
