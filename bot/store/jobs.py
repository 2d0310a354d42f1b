"""Due work as rows: schedule, claim (one replica each), finish, retry, cancel.

Due times follow the application's clock (tests move it); claim leases follow the
database's clock (``database_now``), because they measure whether the replica that claimed a
job is still alive, and every replica must read them alike: one whose own clock steps (an NTP
step, a VM resumed) neither takes a job another replica holds nor waits the step's size.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from uuid import uuid4

from sqlalchemy import case, event, literal, or_, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session, SessionTransaction, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from bot.store import wakeups
from bot.store.columns import UTCDateTime, utcnow
from bot.store.db import database_now, dialect_insert, insert_kept, session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import Job

# A claimed job is someone else's until then; after, it counts as abandoned by a dead replica.
# Well above the slowest handler (a page times out after 10 s; Slack retries take seconds).
LEASE = timedelta(minutes=5)
# Kinds whose claim is short and renewed while their handler runs (``renew``, every
# ``RENEW_EVERY``): a person's notification left by a replica that died mid-send is sent
# again by another within half a minute (the lease, then a poll), not after five; a status
# page notice, however many subscribers it has, is never taken as abandoned while it sends
# (its rows are claimed one by one too: a second run skips those sent or in flight).
SHORT_LEASES: dict[str, timedelta] = {
    JobKind.NOTIFY: timedelta(seconds=20),
    JobKind.SUBSCRIBER_NOTICE: timedelta(seconds=20),
}
RENEW_EVERY = timedelta(seconds=5)
# One job per claim unless the caller starts more at once: a job waiting in a claimed batch
# could outlive its lease and run twice.
CLAIM_BATCH = 1
# Rows read per job claimed, to find jobs of different incidents.
CANDIDATES = 4


async def schedule(
    session: AsyncSession,
    *,
    kind: str,
    key: str,
    due_at: datetime,
    incident_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> bool:
    """Add a job unless one with ``key`` exists (the caller commits); True if added."""
    return (
        await schedule_job(
            session, kind=kind, key=key, due_at=due_at, incident_id=incident_id, payload=payload
        )
        is not None
    )


async def schedule_job(
    session: AsyncSession,
    *,
    kind: str,
    key: str,
    due_at: datetime,
    incident_id: int | None = None,
    payload: dict[str, Any] | None = None,
    claimed_by: str | None = None,
) -> Job | None:
    """``schedule``, giving the job added (None when one with ``key`` exists). With
    ``claimed_by``, the job is claimed for that owner as it is written, for the owner to run
    it once the transaction commits (no claim of its own); if the owner dies first, the claim
    runs out as any other's (``lease_of``, by the database's clock) and another replica runs
    it."""
    job = Job(
        kind=kind,
        key=key,
        due_at=due_at,
        incident_id=incident_id,
        payload=json.dumps(payload or {}),
    )
    if claimed_by is None:
        return job if await insert_kept(session, job) else None
    dialect = session.get_bind().dialect.name
    # A SQL expression the INSERT evaluates (the ORM takes one for any column).
    job.locked_by, job.locked_until = claimed_by, cast(Any, database_now(dialect, lease_of(kind)))
    if not await insert_kept(session, job):
        return None
    # The row's claim ends by the database's clock; the object given back carries this
    # process's reckoning of it, for its owner to tell how long it has waited to start.
    set_committed_value(job, "locked_until", utcnow() + lease_of(kind))
    return job


@dataclass(frozen=True)
class NewJob:
    """A job to add unless one with its key exists (``schedule_jobs``)."""

    kind: str
    key: str
    due_at: datetime
    incident_id: int | None = None
    payload: dict[str, Any] | None = None
    claimed_by: str | None = None


async def schedule_jobs(
    session: AsyncSession,
    wanted: Sequence[NewJob],
    *,
    announce: wakeups.Handover | None = None,
) -> list[Job | None]:
    """``schedule_job`` for several jobs, with those ``schedule_along`` left for the next, in
    one ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` (the caller commits): each wanted
    job added, in order (None where its key exists). A page's first notifications' jobs and
    its alert's message job are one round trip, not one each. ``announce``: the jobs claimed
    for its pager announced to it at the commit, in the same statement (a pager runs on
    PostgreSQL only: elsewhere there is nobody to tell)."""
    along: list[NewJob] = session.info.pop(_ALONG, [])
    await session.flush()  # what the session holds goes first, as insert_kept's
    dialect = session.get_bind().dialect.name
    every = [*wanted, *along]
    if not every:
        return []
    statement = _inserting(dialect, every)
    if announce is not None and dialect == "postgresql":  # the pager's: PostgreSQL only
        handed = [lease_of(job.kind) for job in wanted if job.claimed_by == announce.to]
        until = utcnow() + max(handed, default=timedelta(0))
        statement = wakeups.with_announcement(statement, announce, until)
    result = await session.exec(statement)
    added = {row._mapping["key"]: row._mapping for row in result.all()}
    given: list[Job | None] = []
    for each in wanted:
        row = added.get(each.key)
        if row is None:
            given.append(None)
            continue
        job = Job(**{column.name: row[column.name] for column in _JOB_COLUMNS})
        make_transient_to_detached(job)
        session.add(job)
        if each.claimed_by is not None:
            # As ``schedule_job``: this process's reckoning of the claim's end.
            set_committed_value(job, "locked_until", utcnow() + lease_of(each.kind))
        given.append(job)
    return given


def schedule_along(session: AsyncSession, job: NewJob) -> None:
    """Have ``job`` written with the next jobs the caller's transaction schedules with
    ``schedule_jobs`` (one INSERT for all), else as it commits (the caller commits); gone
    with it if it rolls back (not with a savepoint's rollback). For a job nothing in the
    transaction reads back: it is not there before then."""
    sync = session.sync_session
    if not sync.info.get(_ALONG_HEARD):
        sync.info[_ALONG_HEARD] = True
        event.listen(sync, "before_commit", _write_along)
        event.listen(sync, "after_soft_rollback", _forget_along)
    if sync.get_transaction() is None:
        sync.begin()  # so that its rollback forgets them (no I/O until a statement)
    sync.info.setdefault(_ALONG, []).append(job)


_ALONG, _ALONG_HEARD = "warroom_jobs_along", "warroom_jobs_along_heard"
_JOB_COLUMNS = list(Job.__table__.columns)  # type: ignore[attr-defined]


def _write_along(sync: Session) -> None:
    if sync.get_nested_transaction() is not None:
        return  # a savepoint released: the transaction goes on
    # Inside the commit's greenlet: the synchronous session's statements are awaited there.
    along: list[NewJob] = sync.info.pop(_ALONG, [])
    if along:
        sync.execute(_inserting(sync.get_bind().dialect.name, along))


def _forget_along(sync: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:  # the transaction, not a savepoint of it
        sync.info.pop(_ALONG, None)


def _inserting(dialect: str, wanted: Sequence[NewJob]) -> Any:
    """One INSERT of ``wanted`` keeping the jobs already there, returning the rows added."""
    rows = [
        {
            "kind": job.kind,
            "key": job.key,
            "due_at": job.due_at,
            "incident_id": job.incident_id,
            "payload": json.dumps(job.payload or {}),
            "attempts": 0,
            "failures": 0,
            "locked_by": job.claimed_by,
            "locked_until": (
                database_now(dialect, lease_of(job.kind)) if job.claimed_by is not None else None
            ),
            "created_at": utcnow(),
        }
        for job in wanted
    ]
    insert = dialect_insert(dialect)
    table = Job.__table__  # type: ignore[attr-defined]
    return insert(table).values(rows).on_conflict_do_nothing().returning(*_JOB_COLUMNS)


async def schedule_new(
    session: AsyncSession,
    *,
    kind: str,
    due_at: datetime,
    keyed: Sequence[tuple[str, dict[str, Any]]],
) -> None:
    """Add jobs of one kind whose keys are new, one INSERT for them all (the caller commits).

    For keys made from rows the same transaction inserted (an alert payload's id), which no
    job can have yet; a key that exists anyway fails the flush, as a bug should.
    """
    session.add_all(
        Job(kind=kind, key=key, due_at=due_at, payload=json.dumps(payload))
        for key, payload in keyed
    )
    await session.flush()


async def unfinished(session: AsyncSession, *, kind: str, incident_id: int) -> Job | None:
    """The incident's oldest job of ``kind`` not finished: waiting, to be retried, or running."""
    statement = (
        select(Job)
        .where(Job.kind == kind, Job.incident_id == incident_id, col(Job.done_at).is_(None))
        .order_by(col(Job.id))
        .limit(1)
    )
    return (await session.exec(statement)).first()


async def amend(session: AsyncSession, job: Job, payload: dict[str, Any]) -> bool:
    """Give an unfinished job ``payload`` (the caller commits); False if it finished
    meanwhile. A job running now is run once more after this run (its ``finish`` finds the
    payload changed), so what was asked while it ran is not lost: give a payload that
    differs from the one it runs with."""
    changed = await session.exec(
        update(Job)
        .where(col(Job.id) == job.id, col(Job.done_at).is_(None))
        .values(payload=json.dumps(payload))
    )
    return bool(changed.rowcount)


def payload_of(job: Job) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(job.payload or "{}")
    return payload


async def claim_due(
    engine: AsyncEngine,
    *,
    now: datetime,
    owner: str,
    busy: Collection[int] = (),
    held: Collection[int] = (),
    kinds: Collection[str] | None = None,
    crowded: Collection[str] = (),
    limit: int = CLAIM_BATCH,
    per_incident: bool = True,
) -> Sequence[Job]:
    """Take the due, unclaimed jobs for ``owner``; no two replicas get the same job.

    Jobs of the incidents in ``busy`` are left alone: the owner runs one of theirs already,
    and one incident's jobs may rely on each other's effects (a channel made, a message
    posted), so a replica runs them one at a time. Jobs with an id in ``held`` are left
    alone too: the owner knows they would only meet a Slack rate limit again, and so are
    jobs of the kinds in ``crowded`` (the owner runs its share of them already), and, when
    ``kinds`` is given, jobs of any other kind (another lane's). At most ``limit`` jobs, each
    of which the owner starts at once; one per incident unless not ``per_incident``.
    """
    async with session_scope(engine) as session:
        dialect = session.get_bind().dialect.name
        statement = _due_jobs(dialect, now, busy=busy, held=held, kinds=kinds, crowded=crowded)
        statement = (
            statement.order_by(col(Job.due_at), col(Job.id))
            # A few more than wanted: some may be a second job of one incident.
            .limit(limit * CANDIDATES)
            # PostgreSQL: rows another replica is claiming are skipped, not waited for.
            # SQLite has no row locks; its write transaction (BEGIN IMMEDIATE) serializes claims.
            .with_for_update(skip_locked=True)
        )
        candidates = (await session.exec(statement)).all()
        jobs = _one_per_incident(candidates, limit) if per_incident else candidates[:limit]
        until = await _leased(session, dialect, jobs, owner)
        await session.commit()
        for job in jobs:
            set_committed_value(job, "locked_by", owner)
            set_committed_value(job, "locked_until", until[job.id or 0])
        return jobs


def _due_jobs(
    dialect: str,
    now: datetime,
    *,
    busy: Collection[int],
    held: Collection[int],
    kinds: Collection[str] | None,
    crowded: Collection[str],
) -> SelectOfScalar[Job]:
    """The due jobs no lease holds, but those of the ``busy`` incidents, ``held`` ids and
    ``crowded`` kinds, of ``kinds`` only when given (``claim_due``)."""
    statement = select(Job).where(
        col(Job.done_at).is_(None),
        col(Job.due_at) <= now,
        or_(col(Job.locked_until).is_(None), col(Job.locked_until) < database_now(dialect)),
    )
    if busy:
        statement = statement.where(
            or_(col(Job.incident_id).is_(None), col(Job.incident_id).not_in(list(busy)))
        )
    if held:
        statement = statement.where(col(Job.id).not_in(list(held)))
    if kinds is not None:
        statement = statement.where(col(Job.kind).in_(list(kinds)))
    if crowded:
        statement = statement.where(col(Job.kind).not_in(list(crowded)))
    return statement


async def _leased(
    session: AsyncSession, dialect: str, jobs: Sequence[Job], owner: str
) -> dict[int, datetime]:
    """The jobs leased to ``owner``, a kind at a time (each kind's lease its own length), and
    each lease's end by job id."""
    until: dict[int, datetime] = {}
    for kind in {job.kind for job in jobs}:
        # The lease's end by the database's clock, as the rows were read by it.
        claimed = await session.exec(
            update(Job)
            .where(col(Job.id).in_([job.id for job in jobs if job.kind == kind]))
            .values(locked_by=owner, locked_until=database_now(dialect, lease_of(kind)))
            .returning(col(Job.id), col(Job.locked_until))
            .execution_options(synchronize_session=False)
        )
        until.update((job_id, locked_until) for job_id, locked_until in claimed.all())
    return until


def lease_of(kind: str) -> timedelta:
    """How long a claim of ``kind`` holds without being renewed."""
    return SHORT_LEASES.get(kind, LEASE)


async def renew(engine: AsyncEngine, job: Job) -> bool:
    """Extend the claim of a job whose handler still runs; False when it is no longer this
    owner's (it ended, or it was taken as abandoned)."""
    async with session_scope(engine) as session:
        dialect = session.get_bind().dialect.name
        renewed = await session.exec(
            _claimed(job).values(locked_until=database_now(dialect, lease_of(job.kind)))
        )
        await session.commit()
    return bool(renewed.rowcount)


async def due_kinds(engine: AsyncEngine, *, now: datetime) -> set[str]:
    """The kinds of the jobs due now and not claimed: the runner claims only in the lanes
    that have some (one read, where a claim in each lane is a write)."""
    async with session_scope(engine) as session:
        dialect = session.get_bind().dialect.name
        rows = await session.exec(
            select(Job.kind)
            .where(
                col(Job.done_at).is_(None),
                col(Job.due_at) <= now,
                or_(col(Job.locked_until).is_(None), col(Job.locked_until) < database_now(dialect)),
            )
            .distinct()
        )
        return set(rows.all())


def _one_per_incident(candidates: Sequence[Job], limit: int) -> list[Job]:
    """The first ``limit`` candidates, skipping a later job of an incident already chosen."""
    chosen: list[Job] = []
    incidents: set[int] = set()
    for job in candidates:
        if job.incident_id is not None:
            if job.incident_id in incidents:
                continue
            incidents.add(job.incident_id)
        chosen.append(job)
        if len(chosen) == limit:
            break
    return chosen


async def finish(
    engine: AsyncEngine,
    job: Job,
    *,
    now: datetime,
    error: str | None = None,
    failed: bool = False,
) -> None:
    """Mark a claimed job done (``error`` says why it ended without success); a job
    ``run_once_more`` asked for while it ran is released to run again instead."""
    async with session_scope(engine) as session:
        done = await session.exec(
            _claimed(job)
            .where(col(Job.payload) == job.payload)
            .values(done_at=now, **_run_counted(error, failed))
        )
        if done.rowcount == 0:
            await session.exec(_claimed(job).values(**_run_counted(error, failed)))
        await session.commit()


async def run_again(
    engine: AsyncEngine, job: Job, *, due_at: datetime, not_before: datetime | None = None
) -> None:
    """Release a claimed job to run again at ``due_at`` (its handler asked: a repeating job,
    or a vendor that said to wait until ``not_before``)."""
    await _release(engine, job, due_at=due_at, not_before=not_before, error=None, failed=False)


async def retry(engine: AsyncEngine, job: Job, *, due_at: datetime, error: str) -> None:
    """Release a claimed job whose run raised, to be tried again at ``due_at``."""
    await _release(engine, job, due_at=due_at, not_before=None, error=error, failed=True)


async def put_back(engine: AsyncEngine, job: Job, *, due_at: datetime) -> None:
    """Release a claimed job that could not run yet (Slack rate-limited it) to run at
    ``due_at``: not a failure, so its failures in a row stay as they were."""
    await _update_claimed(engine, job, due_at=due_at)


async def _release(
    engine: AsyncEngine,
    job: Job,
    *,
    due_at: datetime,
    not_before: datetime | None,
    error: str | None,
    failed: bool,
) -> None:
    values = _run_counted(error, failed)
    async with session_scope(engine) as session:
        await session.exec(_claimed(job).values(due_at=due_at, not_before=not_before, **values))
        await session.commit()


async def _update_claimed(engine: AsyncEngine, job: Job, **values: Any) -> None:
    """Set ``values`` on a claimed job and release the claim."""
    async with session_scope(engine) as session:
        await session.exec(_claimed(job).values(**values, locked_until=None, locked_by=None))
        await session.commit()


def _claimed(job: Job) -> Any:
    # Only the claim's owner releases, and never a job cancelled while it ran.
    return update(Job).where(
        col(Job.id) == job.id,
        col(Job.locked_by) == job.locked_by,
        col(Job.done_at).is_(None),
    )


def _run_counted(error: str | None, failed: bool) -> dict[str, Any]:
    """A run's end: counted, its error kept, the claim released."""
    return {
        "attempts": col(Job.attempts) + 1,
        "failures": col(Job.failures) + 1 if failed else 0,
        "last_error": error,
        "locked_until": None,
        "locked_by": None,
    }


async def reschedule(
    session: AsyncSession,
    *,
    kind: str,
    key: str,
    due_at: datetime,
    incident_id: int | None = None,
) -> None:
    """Make the job with ``key`` due at ``due_at`` again, finished or not (caller commits)."""
    result = await session.exec(
        update(Job)
        .where(col(Job.key) == key, col(Job.locked_by).is_(None))
        .values(due_at=due_at, done_at=None, last_error=None, failures=0)
    )
    if result.rowcount == 0:
        await schedule(session, kind=kind, key=key, due_at=due_at, incident_id=incident_id)


async def run_once_more(
    session: AsyncSession,
    *,
    kind: str,
    key: str,
    due_at: datetime,
    incident_id: int | None = None,
) -> None:
    """Have the job with ``key`` run (again) from ``due_at``, whatever its state (the caller
    commits): scheduled if new, due again if finished (its runs counted afresh), due at
    ``due_at`` if waiting (never before a vendor's Retry-After it waits for: ``not_before``),
    and run once more after the run under way if claimed, so that
    work asked for while it runs is never lost. One key, so one replica at a time runs it.

    For kinds whose handlers read no payload: a claimed job's payload becomes the marker its
    ``finish`` compares."""
    due = _not_before_the_vendor_allows(due_at)
    revived = await session.exec(
        update(Job)
        .where(col(Job.key) == key, col(Job.done_at).is_not(None))
        .values(due_at=due, done_at=None, last_error=None, failures=0, attempts=0)
    )
    waiting = await session.exec(
        update(Job)
        .where(col(Job.key) == key, col(Job.locked_by).is_(None), col(Job.done_at).is_(None))
        .values(due_at=due)
    )
    # A claimed job's payload changes: its owner's finish() then releases it to run again.
    claimed = await session.exec(
        update(Job)
        .where(col(Job.key) == key, col(Job.locked_by).is_not(None), col(Job.done_at).is_(None))
        .values(payload=json.dumps({"asked_again": uuid4().hex}))
    )
    if revived.rowcount + waiting.rowcount + claimed.rowcount == 0:
        await schedule(session, kind=kind, key=key, due_at=due_at, incident_id=incident_id)


def _not_before_the_vendor_allows(due_at: datetime) -> Any:
    """``due_at``, or the job's ``not_before`` when later: a job waiting out a vendor's
    Retry-After keeps its wait (asking sooner would only be refused again)."""
    asked = literal(due_at, UTCDateTime())
    return case((col(Job.not_before) > asked, col(Job.not_before)), else_=asked)


async def cancel(
    session: AsyncSession,
    *,
    incident_id: int | None,
    kinds: Iterable[str],
    now: datetime,
    key_prefix: str = "",
) -> None:
    """End the incident's unfinished jobs of these kinds (the caller commits); None: jobs of
    no incident (an alert's), which ``key_prefix`` then picks."""
    assert incident_id is not None or key_prefix, "an alert's jobs are picked by their key"
    whose = (
        col(Job.incident_id).is_(None)
        if incident_id is None
        else col(Job.incident_id) == incident_id
    )
    statement = update(Job).where(
        whose,
        col(Job.kind).in_(list(kinds)),
        col(Job.done_at).is_(None),
    )
    # A job running now is cancelled too: its owner's release will not revive it.
    if key_prefix:
        statement = statement.where(col(Job.key).startswith(key_prefix, autoescape=True))
    await session.exec(statement.values(done_at=now, last_error="cancelled"))


async def hurry(
    session: AsyncSession, *, incident_id: int, kinds: Iterable[str], now: datetime
) -> None:
    """Make the incident's waiting jobs of these kinds due now (the caller commits)."""
    await session.exec(
        update(Job)
        .where(
            col(Job.incident_id) == incident_id,
            col(Job.kind).in_(list(kinds)),
            col(Job.done_at).is_(None),
            col(Job.locked_by).is_(None),
            col(Job.due_at) > now,
        )
        .values(due_at=now)
    )


async def hurry_keys(session: AsyncSession, keys: Iterable[str], *, now: datetime) -> None:
    """Make the waiting jobs with these keys due now (the caller commits)."""
    wanted = list(keys)
    if wanted:
        await session.exec(
            update(Job)
            .where(
                col(Job.key).in_(wanted),
                col(Job.done_at).is_(None),
                col(Job.locked_by).is_(None),
                col(Job.due_at) > now,
            )
            .values(due_at=now)
        )


async def cancel_keys(session: AsyncSession, keys: Iterable[str], *, now: datetime) -> None:
    """End the unfinished jobs with these keys (the caller commits)."""
    wanted = list(keys)
    if wanted:
        await session.exec(
            update(Job)
            .where(col(Job.key).in_(wanted), col(Job.done_at).is_(None))
            .values(done_at=now, last_error="cancelled")
        )


async def any_scheduled(session: AsyncSession, keys: Iterable[str]) -> bool:
    """Whether a job with one of these keys was ever scheduled."""
    statement = select(Job.id).where(col(Job.key).in_(list(keys)))
    return (await session.exec(statement)).first() is not None
