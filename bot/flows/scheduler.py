"""The job runner: each replica polls for due jobs, claims some, and runs their handlers.

A handler returns None when its job is done, or the time it should run again (a retry with
backoff, or the next round of a repeating job), or a ``Wait`` that also names the earliest a
vendor allows. A handler that raises is retried with
backoff and given up after ``MAX_FAILURES``, with the error kept on the row.

Jobs run in lanes by what they wait on (``Lane``): a tracker that never answers, Slack's
canvas limit or Statuspage's holds its own lane, never escalations and pages. In a lane, a
replica runs up to its slots at once (the Slack lane: ``concurrency``, default
``CONCURRENCY``), one per incident at a time, and a kind of job takes more than ``KIND_SHARE``
of them only when nothing else is due. Slack's rate
limits do not hold the queue: a job of a kind in ``yielding`` never waits at a closed Slack
gate (``waiting_at_most``), and any job that Slack rate-limits is put back, due when the gate
opens, without counting as a failure; jobs that call other Slack methods run meanwhile.
While the Slack app is uninstalled (``bot/flows/installation.py``) no job is claimed, and one
cut short by the revoked token is put back the same way. A job that fails because Slack does
not answer (5xx, no connection) is retried with backoff, at most ``SLACK_DOWN_LONGEST`` apart,
and never given up for it: what it shows in Slack follows once Slack answers, however long
the outage.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from bot.basics import precedence
from bot.basics.background import UNWIND_SECONDS
from bot.basics.backoff import backoff
from bot.basics.logs import incident_scope
from bot.clients.slack.errors import (
    SlackFailure,
    SlackRateLimited,
    SlackTokenRevoked,
    SlackTurnLater,
    SlackUnavailable,
)
from bot.clients.slack.pacing import NORMAL, URGENT, paced_as
from bot.clients.slack.ratelimit import waiting_at_most
from bot.flows import installation
from bot.flows.polling import Poller
from bot.record.incident import incidents
from bot.services import Services
from bot.store import jobs
from bot.store.columns import utcnow
from bot.store.db import session_scope
from bot.store.liveness import release_abandoned
from bot.store.models import Job
from bot.store.pool import ahead_in_line

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Wait:
    """A handler's answer: run again at ``at``, and never before ``not_before`` (a vendor's
    Retry-After), however soon more work asks for it (``jobs.run_once_more``)."""

    at: datetime
    not_before: datetime | None = None


JobHandler = Callable[[Services, Job], Awaitable[datetime | Wait | None]]
F = TypeVar("F", bound=SlackFailure)


@dataclass(frozen=True)
class Lane:
    """Jobs that wait on the same thing, run beside the other lanes' jobs.

    ``kinds``: the kinds it runs (empty: every kind no other lane names). ``slots``: how many
    at once (None: the runner's ``concurrency``). ``apart``: its jobs neither rely on nor are
    relied on by other lanes' jobs of their incident (an issue filed, a canvas, Statuspage),
    so they run beside those, up to its slots at once, one per incident; the others' jobs of
    one incident run one at a time, and their kinds that do not yield one at a time.
    """

    name: str
    kinds: frozenset[str] = frozenset()
    slots: int | None = 1
    apart: bool = False
    # Of an apart lane: its jobs of one incident run at once too (each is about a row of its
    # own, such as a notification).
    together: bool = False


# One lane for every kind: the runner as it was, for callers that name no lanes.
ONE_LANE = (Lane("all", slots=None),)
MAX_FAILURES = 8
# How long a yielding job waits at a closed gate before it gives up its place: a channel's
# one-message-a-second pause is waited out where it is; a method closed for longer (Slack's
# Retry-After on conversations.create is tens of seconds) is not.
JOB_PATIENCE = 3.0
# How long a yielding job waits for its turn in a Slack method's pace before it gives up its
# slot until then: in a storm a war room's turn may be a window away, and a slot held that
# long is one the payloads declaring the next incidents (or a war room due now) lack.
TURN_PATIENCE = 0.5
# Jobs of the Slack lane a replica runs at once unless told otherwise (WARROOM_JOB_CONCURRENCY):
# an alert storm's war rooms open side by side, each at its own Slack gate (bench/alert_storm.py).
# The jobs of one incident still run one at a time, and escalations, pages and reminders have
# a lane of their own whatever the number.
CONCURRENCY = 8
# The slots one kind of job takes while jobs of other kinds are due: a storm's 500 payloads
# must not keep its war rooms (or an escalation timer) waiting until they are all applied.
KIND_SHARE = 4
# A rate-limited job is due this long after its gate opens, so the jobs that waited do not
# all reach Slack in the same instant the gate opens (the gate itself adds its own jitter).
GATE_MARGIN = timedelta(milliseconds=50)
# A job handed over by the transaction that wrote it is started only while its claim has
# more than this left (its renewals begin when it starts).
HANDED_MARGIN = timedelta(seconds=5)
# How long the runner remembers why it put a job back once that gate is open again.
REMEMBER_GATES = 60.0
# How often a runner looks for replicas that died holding claims (bot/store/liveness.py).
DEAD_LOOK_SECONDS = 1.0


# The longest a job that Slack did not answer waits before it is tried again: Slack outages
# are minutes, and what the job shows should follow soon after Slack answers.
SLACK_DOWN_LONGEST = timedelta(minutes=2)


def failure_backoff(failures: int) -> timedelta:
    """10 s, 20 s, 40 s ... capped at 10 minutes."""
    return backoff(failures, first=timedelta(seconds=10), longest=timedelta(minutes=10))


def rate_limit_in(error: BaseException) -> SlackRateLimited | None:
    """The Slack rate limit behind ``error``, if any: flows wrap Slack's failures in their own
    errors (a channel not created), and the cause is what says to wait rather than fail."""
    return failure_in(error, SlackRateLimited)


def failure_in(error: BaseException, kind: type[F]) -> F | None:
    """The Slack failure of ``kind`` behind ``error`` (itself, or its cause), if any."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


class JobRunner(Poller):
    """Runs due jobs of this replica until stopped; ``services.wake_jobs`` asks for a look now.

    ``yielding``: the kinds whose handlers may be stopped at any Slack call and run again
    from the start (they pick up where they stopped); they never wait at a closed gate.
    """

    name = "warroom job runner"

    def __init__(
        self,
        services: Services,
        handlers: Mapping[str, JobHandler],
        yielding: Collection[str] = (),
        concurrency: int = CONCURRENCY,
        lanes: Sequence[Lane] = ONE_LANE,
        priorities: Mapping[str, int] | None = None,
        leave: Collection[str] = (),
        ahead: Collection[str] = (),
    ) -> None:
        super().__init__(services, wake=services.job_signal)
        self.handlers = handlers
        self.yielding = frozenset(yielding)
        self.priorities = priorities or {}
        self.concurrency = concurrency
        (self._default,) = [lane for lane in lanes if not lane.kinds]
        self.lanes = tuple(lanes)
        self._named = frozenset().union(*(lane.kinds for lane in lanes))
        # Kinds this runner claims none of: another process of the replica runs them (the
        # pager, bot/pager.py): nor are they handed to it (pages._start). Set and cleared as
        # that process lives.
        self.leave = frozenset(leave)
        # Kinds whose waits for a database connection go in the line served first
        # (``ahead_in_line``): a page's, ahead of a storm's payloads and its other jobs.
        self.ahead = frozenset(ahead)
        # Shown in the job rows, so an operator sees which replica holds a claim.
        self.owner = services.replica
        # Claims are made one at a time per replica: a poll and a caller asking take turns.
        self._claiming = asyncio.Lock()
        self._running: dict[asyncio.Task[None], Job] = {}
        self._ended = 0  # jobs of this replica that have ended, for run_due
        # What rate-limited jobs taught: when each Slack method's gate opens (monotonic), and
        # which put-back job waits for which method. When a gate closes again before its
        # waiters ran, they stay unclaimed (one of them found out) instead of each being
        # claimed only to meet the closed gate.
        self._gates: dict[str, float] = {}
        self._waiting: dict[int, str] = {}
        self._looked_for_dead = float("-inf")  # monotonic: the last look for dead replicas

    @property
    def leave(self) -> frozenset[str]:
        return self.services.handed.left

    @leave.setter
    def leave(self, kinds: Collection[str]) -> None:
        # Kept with the handed jobs: a transaction that starts a page hands its first
        # notifications to this runner only while it runs them (else the pager is told).
        self.services.handed.left = frozenset(kinds)

    def start(self) -> None:
        super().start()
        self.services.handed.taken = True
        self.services.handed.start = self.start_handed

    async def round(self) -> None:
        """Start due jobs while there are free slots; each one that ends asks for a look.
        First, at most once a second, the claims of replicas that died are freed."""
        await self._free_dead_claims()
        while await self.start_due():
            pass

    async def _free_dead_claims(self) -> None:
        """This process's lock of life kept (taken again after a lost connection), and the
        claims of owners whose lock is gone ended, so their jobs are due here now rather than
        when their lease runs out (bot/store/liveness.py)."""
        liveness = self.services.liveness
        now = time.monotonic()
        if liveness is None or now - self._looked_for_dead < DEAD_LOOK_SECONDS:
            return
        self._looked_for_dead = now
        await liveness.hold()
        await release_abandoned(self.services.engine)

    async def run_due(self) -> int:
        """Start the jobs due now, and those the running ones leave due, until none runs;
        return how many started (tests and the demo drive the runner this way, one round of
        the clock at a time). Jobs the poller started count as running: what they leave due
        is run here too, so a caller never returns while a job it waits for is in flight."""
        started = 0
        while True:
            ended = self._ended
            started_now = await self.start_due()
            started += started_now
            # A job that ended while the lanes were being looked at may have left one due.
            if started_now or self._ended != ended:
                continue
            if not self._running:
                return started
            await asyncio.wait(list(self._running), return_when=asyncio.FIRST_COMPLETED)

    async def idle(self) -> None:
        """Wait until no job of this replica is running."""
        while self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    async def stop(self, grace: float = 0.0) -> None:
        """Claim nothing more; let the running jobs finish for up to ``grace`` seconds (a job
        cut off mid-send leaves its write for the next start, and one cut off after its call
        reached Slack may post it twice), then cancel the rest: each runs again from the
        start after the restart."""
        self.services.handed.taken = False
        self.services.handed.start = None
        await super().stop()
        if self._running and grace > 0:
            await asyncio.wait(list(self._running), timeout=grace)
        for task in self._running:
            task.cancel()
        if self._running:  # their cleanup (a lease given back), bounded: the exit must come
            await asyncio.wait(list(self._running), timeout=UNWIND_SECONDS)

    async def start_due(self) -> int:
        """Claim due jobs for the free slots of each lane and start them; how many started
        (0: none due, or no slot free)."""
        if self.services.presence.stopped:
            return 0  # the app is gone from Slack: the jobs wait, unclaimed, for it to return
        async with self._claiming:
            started = self._start_handed()
            due = await jobs.due_kinds(self.services.engine, now=self.services.clock())
            due -= self.leave
            for lane in self.lanes:
                free = (lane.slots or self.concurrency) - len(self._in(lane))
                if free <= 0 or not any(self._lane_of(kind) is lane for kind in due):
                    continue
                for job in await self._claim(lane, free, due):
                    self._start(job)
                    started += 1
            return started

    def start_handed(self) -> None:
        """Start the jobs handed over just now (a page's first notifications, at the commit
        that wrote them), without waiting for this runner's next look."""
        running = self.services.handed.taken and not self.services.presence.stopped
        if running and not self._start_handed():
            self.services.wake_jobs()  # none left to start: the runner looks instead

    def _start_handed(self) -> int:
        """Start the jobs claimed for this replica as they were written (``hand_over``): no
        claim to make, whatever the lanes' slots (a page's first notifications)."""
        handed = self.services.handed.jobs
        mine = [job for job in handed if job.kind in self.handlers]
        handed[:] = [job for job in handed if job.kind not in self.handlers]
        # One whose claim is nearly out waited too long (the app was away from Slack): it is
        # left to be claimed as any other once the claim has run out, never run twice.
        soon = utcnow() + HANDED_MARGIN
        mine = [job for job in mine if job.locked_until is not None and job.locked_until > soon]
        for job in mine:
            self._start(job)
        return len(mine)

    def _start(self, job: Job) -> None:
        self._waiting.pop(job.id or 0, None)
        task = asyncio.create_task(self._slot(job), name=f"job {job.key}")
        self._running[task] = job

    def _lane_of(self, kind: str) -> Lane:
        return next((lane for lane in self.lanes if kind in lane.kinds), self._default)

    def _in(self, lane: Lane) -> list[Job]:
        return [job for job in self._running.values() if self._lane_of(job.kind) is lane]

    def _beside(self, lane: Lane) -> list[Job]:
        """The running jobs whose incidents the lane's next jobs wait for."""
        if lane.apart:
            return self._in(lane)
        return [job for job in self._running.values() if not self._lane_of(job.kind).apart]

    async def _claim(self, lane: Lane, limit: int, due: Collection[str]) -> list[Job]:
        """Claim up to ``limit`` of the lane's oldest due jobs: one of the other kinds at a
        time, and yielding ones beside it, of kinds below their share first."""
        running, beside = self._in(lane), self._beside(lane)
        if lane.apart:
            # Its jobs rely on no other lane's: up to its slots at once, one per incident
            # unless they run together, in due order (claim_due).
            if lane.together:
                return await self._claim_from(lane, [], limit, set(), per_incident=False)
            return await self._claim_from(lane, beside, limit, set())
        others = set(self.handlers) - self.yielding
        claimed: list[Job] = []
        # The other kinds (escalations, pages, reminders) rely on running one at a time, in
        # due order, as they always have: a page follows the message that brought people in.
        if not any(job.kind in others for job in running):
            claimed += await self._claim_from(lane, beside, 1, set(self.yielding))
        # What opens a war room goes before the lane's older work, as its Slack calls go
        # first in the pace of Slack's limits: in a storm, the payloads received before a war
        # room was due would otherwise fill every slot until all of them were applied. Up to
        # its kind's share, so the payloads that declare the next incidents keep slots; and a
        # war room whose turn at Slack is far off gives its slot back (TURN_PATIENCE).
        urgent = {kind for kind, priority in self.priorities.items() if priority == URGENT}
        # Due now, of this lane; and yielding: the other kinds keep one at a time, in due order.
        urgent &= {kind for kind in due if self._lane_of(kind) is lane} & self.yielding
        opening = sum(1 for job in running + claimed if job.kind in urgent)
        wanted = min(limit - len(claimed), KIND_SHARE - opening)
        if urgent and wanted > 0:
            not_urgent = set(self.handlers) - urgent
            claimed += await self._claim_from(lane, beside + claimed, wanted, not_urgent)
        kinds = Counter(job.kind for job in running + claimed)
        crowded = {kind for kind, count in kinds.items() if count >= KIND_SHARE} | others
        if len(claimed) < limit:
            claimed += await self._claim_from(lane, beside + claimed, limit - len(claimed), crowded)
        # Slots left over go to crowded kinds: nothing else is due.
        if len(claimed) < limit:
            claimed += await self._claim_from(lane, beside + claimed, limit - len(claimed), others)
        return claimed

    async def _claim_from(
        self,
        lane: Lane,
        beside: list[Job],
        limit: int,
        crowded: set[str],
        *,
        per_incident: bool = True,
    ) -> list[Job]:
        return list(
            await jobs.claim_due(
                self.services.engine,
                now=self.services.clock(),
                owner=self.owner,
                busy={job.incident_id for job in beside if job.incident_id is not None},
                held=self._held(),
                kinds=lane.kinds or None,
                crowded=(crowded if lane.kinds else crowded | self._named) | self.leave,
                limit=limit,
                per_incident=per_incident,
            )
        )

    def _held(self) -> set[int]:
        """Put-back jobs whose Slack method's gate is closed now."""
        now = time.monotonic()
        for method, open_at in list(self._gates.items()):
            if open_at + REMEMBER_GATES < now:  # long open: its waiters ran, here or elsewhere
                del self._gates[method]
                self._waiting = {j: m for j, m in self._waiting.items() if m != method}
        return {job for job, method in self._waiting.items() if self._gates[method] > now}

    async def _slot(self, job: Job) -> None:
        try:
            # Each job's log lines name its own incident, never another job's.
            with incident_scope():
                await self._run(job)
        finally:
            self._running.pop(asyncio.current_task(), None)  # type: ignore[arg-type]
            self._ended += 1
            # A slot is free, and this incident's next job may be due.
            self.services.wake_jobs()

    def _patience(self, job: Job) -> AbstractContextManager[None]:
        if job.kind not in self.yielding:
            return nullcontext()
        return waiting_at_most(JOB_PATIENCE, turns=TURN_PATIENCE)

    async def _run(self, job: Job) -> None:
        engine, clock = self.services.engine, self.services.clock
        handler = self.handlers.get(job.kind)
        if handler is None:
            await jobs.finish(engine, job, now=clock(), error=f"no handler for {job.kind!r}")
            return
        metrics = self.services.metrics
        try:
            if job.incident_id is not None:
                await self._bind_incident(job.incident_id)
            log.debug("running job %s (%s)", job.key, job.kind)
            with (
                self._patience(job),
                paced_as(self.priorities.get(job.kind, NORMAL)),
                ahead_in_line() if job.kind in self.ahead else nullcontext(),
                precedence.urgent() if job.kind in self.ahead else nullcontext(),
            ):
                again = await self._holding_claim(job, handler(self.services, job))
        except Exception as error:
            if (limited := rate_limit_in(error)) is not None:
                await self._put_back(job, limited)
                return
            if (revoked := failure_in(error, SlackTokenRevoked)) is not None:
                # Not the job's failure: it runs again, from the start, once the app is back.
                await installation.stop(self.services, reason=revoked.code)
                metrics.job_run(job.kind, "stopped")
                await jobs.put_back(engine, job, due_at=clock())
                return
            description = f"{type(error).__name__}: {error}"[:2000]
            if (down := failure_in(error, SlackUnavailable)) is not None:
                await self._wait_for_slack(job, down, description)
                return
            log.exception("job %s (%s) failed", job.key, job.kind)
            if job.failures + 1 >= MAX_FAILURES:
                metrics.job_run(job.kind, "failed")
                await jobs.finish(engine, job, now=clock(), error=description, failed=True)
            else:
                metrics.job_run(job.kind, "retry")
                due = clock() + failure_backoff(job.failures)
                await jobs.retry(engine, job, due_at=due, error=description)
            return
        if again is None:
            metrics.job_run(job.kind, "done")
            await jobs.finish(engine, job, now=clock())
        else:
            metrics.job_run(job.kind, "again")
            wait = again if isinstance(again, Wait) else Wait(again)
            await jobs.run_again(engine, job, due_at=wait.at, not_before=wait.not_before)

    async def _wait_for_slack(self, job: Job, down: SlackUnavailable, description: str) -> None:
        """A job Slack did not answer: tried again with backoff, at most ``SLACK_DOWN_LONGEST``
        apart, never given up for it (a WARNING, no traceback: an outage is not a bug)."""
        log.warning("job %s (%s) waits for Slack (%s)", job.key, job.kind, down.code)
        self.services.metrics.job_run(job.kind, "retry")
        delay = min(failure_backoff(job.failures), SLACK_DOWN_LONGEST)
        due = self.services.clock() + delay
        await jobs.retry(self.services.engine, job, due_at=due, error=description)

    async def _holding_claim(
        self, job: Job, running: Awaitable[datetime | Wait | None]
    ) -> datetime | Wait | None:
        """Run a handler; a job with a short claim (``jobs.SHORT_LEASES``) has it renewed
        meanwhile, so only a replica that died (or stalled for the whole lease) loses it."""
        if job.kind not in jobs.SHORT_LEASES:
            return await running
        renewing = asyncio.create_task(self._renew(job), name=f"claim of {job.key}")
        try:
            return await running
        finally:
            renewing.cancel()

    async def _renew(self, job: Job) -> None:
        while True:
            await asyncio.sleep(jobs.RENEW_EVERY.total_seconds())
            try:
                if not await jobs.renew(self.services.engine, job):
                    return
            except Exception:
                # The database is away: the next renewal tries again, within the lease.
                log.warning("renewing the claim of job %s failed", job.key, exc_info=True)

    async def _put_back(self, job: Job, limited: SlackRateLimited) -> None:
        """Have a rate-limited job run again once its gate opens, and look then."""
        wait = timedelta(seconds=limited.retry_after or 1) + GATE_MARGIN
        log.debug("job %s (%s) waits %s for %s", job.key, job.kind, wait, limited.method)
        paced = isinstance(limited, SlackTurnLater)
        if not paced:  # a turn in warroom's own pace closes no gate for the others
            self._gates[limited.method] = time.monotonic() + wait.total_seconds()
            self._waiting[job.id or 0] = limited.method
        self.services.metrics.job_run(job.kind, "paced" if paced else "rate_limited")
        await jobs.put_back(self.services.engine, job, due_at=self.services.clock() + wait)
        asyncio.get_running_loop().call_later(wait.total_seconds(), self.services.wake_jobs)

    async def _bind_incident(self, incident_id: int) -> None:
        # Handlers load their incident in many ways; one lookup here names it on all their lines.
        async with session_scope(self.services.engine) as session:
            await incidents.get(session, incident_id)
