"""The job runner: each replica polls for due jobs, claims some, and runs their handlers.

A handler returns None when its job is done, or the time it should run again (a retry with
backoff, or the next round of a repeating job). A handler that raises is retried with
backoff and given up after ``MAX_FAILURES``, with the error kept on the row.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta

from bot.basics.logs import incident_scope
from bot.flows.polling import Poller
from bot.record import incidents
from bot.services import Services
from bot.store import jobs
from bot.store.db import session_scope
from bot.store.models import Job

log = logging.getLogger(__name__)
JobHandler = Callable[[Services, Job], Awaitable[datetime | None]]
MAX_FAILURES = 8


def failure_backoff(failures: int) -> timedelta:
    """10 s, 20 s, 40 s ... capped at 10 minutes."""
    return timedelta(seconds=min(10 * 2**failures, 600))


class JobRunner(Poller):
    """Runs due jobs of this replica until stopped; ``services.wake_jobs`` asks for a look now."""

    name = "warroom job runner"

    def __init__(self, services: Services, handlers: Mapping[str, JobHandler]) -> None:
        super().__init__(services, wake=services.job_signal)
        self.handlers = handlers
        # Shown in the job rows, so an operator sees which replica holds a claim.
        self.owner = services.replica
        # One round at a time per replica: a poll and a caller asking for a round take turns.
        self._round = asyncio.Lock()

    async def round(self) -> None:
        while await self.run_due():
            pass

    async def run_due(self) -> int:
        """Claim and run the jobs due now; return how many ran."""
        async with self._round:
            claimed = await jobs.claim_due(
                self.services.engine, now=self.services.clock(), owner=self.owner
            )
            for job in claimed:
                # Each job's log lines name its own incident, never the previous job's.
                with incident_scope():
                    await self._run(job)
            return len(claimed)

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
            again = await handler(self.services, job)
        except Exception as error:
            log.exception("job %s (%s) failed", job.key, job.kind)
            description = f"{type(error).__name__}: {error}"[:2000]
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
            await jobs.run_again(engine, job, due_at=again)

    async def _bind_incident(self, incident_id: int) -> None:
        # Handlers load their incident in many ways; one lookup here names it on all their lines.
        async with session_scope(self.services.engine) as session:
            await incidents.get(session, incident_id)
