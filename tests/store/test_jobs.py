"""Due jobs and escalation policies, without HTTP: claims, leases, retries; policy files."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from bot.basics.durations import duration_text, parse_duration
from bot.clients.slack.errors import SlackRateLimited, SlackTurnLater
from bot.clients.slack.pacing import URGENT
from bot.config import ConfigError, Settings
from bot.flows.scheduler import KIND_SHARE, MAX_FAILURES, JobRunner, failure_backoff
from bot.services import Services
from bot.store import jobs
from bot.store.columns import utcnow
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import Incident, Job
from tests.conftest import Clock
from tests.helpers.clock_step import step_clock_forward

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.fixture
async def incident_id(engine: AsyncEngine) -> int:
    async with session_scope(engine) as session:
        incident = Incident(team_id="T1", number=1, title="t", declared_by="U1", declared_at=NOW)
        session.add(incident)
        await session.commit()
        assert incident.id is not None
        return incident.id


async def add_jobs(engine: AsyncEngine, *due: datetime) -> None:
    async with session_scope(engine) as session:
        for number, due_at in enumerate(due):
            assert await jobs.schedule(session, kind="test", key=f"job-{number}", due_at=due_at)
        # Scheduling the same key again is a no-op, so two replicas may both try.
        assert not await jobs.schedule(session, kind="test", key="job-0", due_at=NOW)
        await session.commit()


async def claim_all(engine: AsyncEngine, owner: str, now: datetime = NOW) -> list[str]:
    """Claim until nothing is due; the keys claimed, in order."""
    keys = []
    while claimed := await jobs.claim_due(engine, now=now, owner=owner):
        keys += [job.key for job in claimed]
    return keys


async def test_only_due_jobs_are_claimed_and_each_by_one_owner(engine: AsyncEngine) -> None:
    await add_jobs(engine, NOW - timedelta(minutes=1), NOW, NOW + timedelta(seconds=1))

    assert await claim_all(engine, "replica-a") == ["job-0", "job-1"]  # oldest first
    assert await claim_all(engine, "replica-b") == []
    assert await claim_all(engine, "replica-b", NOW + timedelta(seconds=1)) == ["job-2"]


async def test_replicas_claiming_at_once_never_share_a_job(engine: AsyncEngine) -> None:
    await add_jobs(engine, *[NOW] * 30)

    claims = await asyncio.gather(*(claim_all(engine, f"replica-{n}") for n in range(4)))

    everything = [key for keys in claims for key in keys]
    assert sorted(everything) == sorted(f"job-{n}" for n in range(30))  # each exactly once


async def test_a_dead_replicas_claim_expires(engine: AsyncEngine) -> None:
    await add_jobs(engine, NOW)
    (claimed,) = await jobs.claim_due(engine, now=NOW, owner="replica-a")
    async with session_scope(engine) as session:
        row = await session.get(Job, claimed.id)
        assert row is not None and row.locked_by == "replica-a"
        row.locked_until = utcnow() - timedelta(seconds=1)  # its lease ran out: it died
        session.add(row)
        await session.commit()

    (reclaimed,) = await jobs.claim_due(engine, now=NOW, owner="replica-b")
    assert reclaimed.key == "job-0"
    # The dead replica's late report is ignored: the job is replica-b's now.
    await jobs.finish(engine, claimed, now=NOW)
    async with session_scope(engine) as session:
        row = await session.get(Job, claimed.id)
    assert row is not None and row.done_at is None and row.locked_by == "replica-b"


async def test_jobs_written_along_commit_with_their_transaction_only(engine: AsyncEngine) -> None:
    """A job left to go with the next ones (an alert's message job beside its page's first
    notifications') is written with them in one INSERT, or at the commit when none follow; a
    savepoint rolled back meanwhile keeps it, the transaction's rollback drops it."""
    async with session_scope(engine) as session:
        jobs.schedule_along(session, jobs.NewJob(kind="test", key="along-1", due_at=NOW))
        written = await jobs.schedule_jobs(
            session,
            [
                jobs.NewJob(kind="test", key="first", due_at=NOW, claimed_by="me"),
                jobs.NewJob(kind="test", key="later", due_at=NOW + timedelta(minutes=2)),
            ],
        )
        assert [job.key if job else None for job in written] == ["first", "later"]
        assert written[0] is not None and written[0].locked_by == "me"
        # A key already there is kept as it is (two replicas may both try).
        assert await jobs.schedule_jobs(session, [jobs.NewJob("test", "first", NOW)]) == [None]
        jobs.schedule_along(session, jobs.NewJob(kind="test", key="along-2", due_at=NOW))
        async with session.begin_nested() as savepoint:
            await savepoint.rollback()
        await session.commit()
    async with session_scope(engine) as session:
        jobs.schedule_along(session, jobs.NewJob(kind="test", key="along-3", due_at=NOW))
        await session.rollback()
        await session.commit()
    async with session_scope(engine) as session:
        keys = (await session.exec(select(Job.key).order_by(col(Job.key)))).all()
    assert keys == ["along-1", "along-2", "first", "later"]


async def test_finish_retry_and_cancel(engine: AsyncEngine) -> None:
    await add_jobs(engine, NOW, NOW, NOW)
    async with session_scope(engine) as session:
        for row in (await session.exec(select(Job))).all():
            row.incident_id = None
        await session.commit()
    (done,) = await jobs.claim_due(engine, now=NOW, owner="a")
    (retried,) = await jobs.claim_due(engine, now=NOW, owner="a")
    await jobs.finish(engine, done, now=NOW)
    await jobs.retry(engine, retried, due_at=NOW + timedelta(seconds=30), error="HTTP 503")

    assert await claim_all(engine, "a", NOW + timedelta(seconds=29)) == ["job-2"]
    (again,) = await jobs.claim_due(engine, now=NOW + timedelta(seconds=30), owner="a")
    assert (again.key, again.attempts, again.failures, again.last_error) == (
        "job-1",
        1,
        1,
        "HTTP 503",
    )
    async with session_scope(engine) as session:
        rows = (await session.exec(select(Job).order_by(Job.key))).all()
    assert rows[0].done_at == NOW and rows[0].attempts == 1


async def run_once_more(engine: AsyncEngine, due_at: datetime) -> None:
    async with session_scope(engine) as session:
        await jobs.run_once_more(session, kind="sync", key="sync:1", due_at=due_at)
        await session.commit()


async def test_work_asked_for_while_a_job_runs_runs_it_once_more(engine: AsyncEngine) -> None:
    await run_once_more(engine, NOW)  # scheduled
    (running,) = await jobs.claim_due(engine, now=NOW, owner="a")
    await run_once_more(engine, NOW)  # asked again while it runs (the clock has not moved)
    assert await claim_all(engine, "b") == []  # never two runs at once
    await jobs.finish(engine, running, now=NOW)

    (again,) = await jobs.claim_due(engine, now=NOW, owner="b")
    await jobs.finish(engine, again, now=NOW)
    assert await claim_all(engine, "b", NOW + timedelta(hours=1)) == []
    await run_once_more(engine, NOW + timedelta(minutes=1))  # a finished job comes back
    (revived,) = await jobs.claim_due(engine, now=NOW + timedelta(minutes=1), owner="a")
    assert (revived.attempts, revived.done_at) == (0, None)


async def test_a_job_waiting_for_a_vendor_keeps_its_wait_when_asked_again(
    engine: AsyncEngine,
) -> None:
    await run_once_more(engine, NOW)
    (running,) = await jobs.claim_due(engine, now=NOW, owner="a")
    # The vendor said 2 s (420 Retry-After); the handler's own backoff is 15 s.
    vendor = NOW + timedelta(seconds=2)
    await jobs.run_again(engine, running, due_at=NOW + timedelta(seconds=15), not_before=vendor)

    await run_once_more(engine, NOW + timedelta(seconds=0.4))  # an update published meanwhile
    assert await claim_all(engine, "b", NOW + timedelta(seconds=1.9)) == []
    (waited,) = await jobs.claim_due(engine, now=vendor, owner="b")  # not the 15 s backoff
    await jobs.finish(engine, waited, now=vendor)
    # Once past the vendor's wait, asking again makes it due when asked.
    await run_once_more(engine, vendor + timedelta(seconds=1))
    assert await claim_all(engine, "b", vendor + timedelta(seconds=1)) == ["sync:1"]


async def test_a_job_cancelled_while_it_runs_stays_cancelled(
    engine: AsyncEngine, incident_id: int
) -> None:
    async with session_scope(engine) as session:
        await jobs.schedule(session, kind="escalate", key="t", due_at=NOW, incident_id=incident_id)
        await session.commit()
    (running,) = await jobs.claim_due(engine, now=NOW, owner="a")
    async with session_scope(engine) as session:
        await jobs.cancel(session, incident_id=incident_id, kinds=["escalate"], now=NOW)
        await session.commit()

    await jobs.retry(engine, running, due_at=NOW + timedelta(seconds=10), error="boom")

    async with session_scope(engine) as session:
        row = (await session.exec(select(Job))).one()
    assert (row.done_at, row.last_error) == (NOW, "cancelled")
    assert await claim_all(engine, "a", NOW + timedelta(hours=1)) == []


async def test_a_row_being_claimed_elsewhere_is_skipped_not_waited_for(
    database_url: str, engine: AsyncEngine
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has no row locks: its single writer serializes claims instead")
    await add_jobs(engine, NOW, NOW)
    async with session_scope(engine) as other_replica:
        # Another replica is in the middle of claiming job-0: it holds the row lock.
        statement = select(Job).where(Job.key == "job-0").with_for_update()
        (await other_replica.exec(statement)).one()

        async with asyncio.timeout(10):  # waiting for the lock would be the bug
            claimed = await jobs.claim_due(engine, now=NOW, owner="replica-b")

        assert [job.key for job in claimed] == ["job-1"]


class FlakyHandler:
    """Fails when told to; returns "run again in a minute" otherwise."""

    def __init__(self) -> None:
        self.failing = False
        self.runs = 0

    async def __call__(self, services: Services, _job: Job) -> datetime:
        self.runs += 1
        if self.failing:
            raise RuntimeError("the database went away")
        return services.clock() + timedelta(minutes=1)


async def test_the_runner_counts_failures_in_a_row_not_runs(engine: AsyncEngine) -> None:
    clock = Clock(NOW)
    services = Services(
        settings=Settings(),
        engine=engine,
        slack=None,
        renderer=None,
        clock=clock,  # type: ignore[arg-type]
    )
    handler = FlakyHandler()
    runner = JobRunner(services, {"test": handler})
    await add_jobs(engine, NOW)
    for _round in range(MAX_FAILURES + 2):  # many good runs first
        assert await runner.run_due() == 1
        clock.now += timedelta(minutes=1)

    handler.failing = True
    for failure in range(MAX_FAILURES):
        assert await runner.run_due() == 1
        async with session_scope(engine) as session:
            row = (await session.exec(select(Job))).one()
        assert row.failures == failure + 1
        clock.now += failure_backoff(failure)

    assert row.done_at is not None and row.last_error == "RuntimeError: the database went away"
    assert handler.runs == 2 * MAX_FAILURES + 2


def job_services(engine: AsyncEngine, clock: Clock) -> Services:
    return Services(
        settings=Settings(),
        engine=engine,
        slack=None,
        renderer=None,
        clock=clock,  # type: ignore[arg-type]
    )


async def test_a_rate_limited_job_waits_for_the_gate_without_failing(engine: AsyncEngine) -> None:
    clock = Clock(NOW)
    runs: list[datetime] = []

    async def create_channel(services: Services, _job: Job) -> None:
        runs.append(services.clock())
        if len(runs) == 1:
            raise SlackRateLimited("conversations.create", "ratelimited", retry_after=1)

    runner = JobRunner(job_services(engine, clock), {"test": create_channel})
    await add_jobs(engine, NOW)

    assert await runner.run_due() == 1
    async with session_scope(engine) as session:
        row = (await session.exec(select(Job))).one()
    assert (row.done_at, row.failures, row.locked_by) == (None, 0, None)
    assert NOW + timedelta(seconds=1) <= row.due_at < NOW + timedelta(seconds=2)
    assert await runner.run_due() == 0  # not before the gate opens
    clock.now += timedelta(seconds=2)
    await asyncio.sleep(1.1)  # Slack's gates follow the real clock
    assert await runner.run_due() == 1
    async with session_scope(engine) as session:
        row = (await session.exec(select(Job))).one()
    assert row.done_at is not None and row.failures == 0 and len(runs) == 2


async def test_war_rooms_due_behind_a_backlog_start_before_it_up_to_their_share(
    engine: AsyncEngine,
) -> None:
    """An alert storm's shape: payloads received first, then the war rooms they asked for.
    What opens a war room is claimed before the older work, as its calls go first in Slack's
    pace (in due order, the war rooms waited for the whole backlog), but no more of them at
    once than a kind's share while payloads wait: those declare the next incidents."""
    started: list[str] = []

    async def work(_services: Services, job: Job) -> None:
        started.append(job.kind)
        await asyncio.sleep(0.01)

    runner = JobRunner(
        job_services(engine, Clock(NOW)),
        {"payload": work, "war_room": work},
        yielding={"payload", "war_room"},
        concurrency=8,
        priorities={"war_room": URGENT},
    )
    async with session_scope(engine) as session:
        for number in range(20):
            due_at = NOW - timedelta(seconds=20 - number)
            await jobs.schedule(session, kind="payload", key=f"payload-{number}", due_at=due_at)
        for number in range(6):
            await jobs.schedule(session, kind="war_room", key=f"room-{number}", due_at=NOW)
        await session.commit()

    await runner.run_due()
    first_round = started[:8]
    assert first_round.count("war_room") == KIND_SHARE and first_round.count("payload") == 4
    assert len(started) == 26


async def test_a_job_whose_turn_is_later_is_held_only_until_its_own_turn(
    engine: AsyncEngine,
) -> None:
    """Jobs told their turn in a method's pace is later each come back at their own turn: a
    later turn told to another job is no closed gate (a 429's Retry-After would be, and
    would hold both)."""
    clock = Clock(NOW)
    runs: dict[str, int] = {}

    async def open_room(_services: Services, job: Job) -> None:
        runs[job.key] = runs.get(job.key, 0) + 1
        if runs[job.key] == 1:
            turn = 1 if job.key == "job-0" else 5
            raise SlackTurnLater("conversations.create", "ratelimited", retry_after=turn)

    services = job_services(engine, clock)
    runner = JobRunner(services, {"test": open_room}, yielding={"test"})
    await add_jobs(engine, NOW, NOW)
    assert await runner.run_due() == 2  # each told its turn: job-0's in 1 s, job-1's in 5 s
    clock.now += timedelta(seconds=2)
    await asyncio.sleep(1.1)  # the runner's memory of gates follows the real clock
    assert await runner.run_due() == 1
    assert runs == {"job-0": 2, "job-1": 1}
    # Counted as waiting for a turn, not as Slack's rate limit.
    registry = services.metrics.registry
    sample = "warroom_jobs_run_total"
    assert registry.get_sample_value(sample, {"kind": "test", "outcome": "paced"}) == 2
    assert registry.get_sample_value(sample, {"kind": "test", "outcome": "rate_limited"}) is None


async def test_a_stopping_runner_lets_running_jobs_finish_within_its_grace(
    engine: AsyncEngine,
) -> None:
    """SIGTERM with a job mid-send: it finishes within the shutdown's grace (what it writes is
    sent before the exit); one still running when the grace is over is cancelled and runs
    again after the restart, unfinished in the table, not counted as failed."""
    started: list[str] = []
    ended: list[str] = []

    async def slow_send(_services: Services, job: Job) -> None:
        started.append(job.key)
        await asyncio.sleep(0.3 if job.key == "job-0" else 30)
        ended.append(job.key)

    runner = JobRunner(
        job_services(engine, Clock(NOW)), {"test": slow_send}, yielding={"test"}, concurrency=2
    )
    await add_jobs(engine, NOW, NOW)
    runner.start()
    for _ in range(250):
        if len(started) == 2:
            break
        await asyncio.sleep(0.02)
    await runner.stop(grace=2.0)
    assert ended == ["job-0"]
    async with session_scope(engine) as session:
        rows = {job.key: job for job in (await session.exec(select(Job))).all()}
    assert rows["job-0"].done_at is not None
    assert rows["job-1"].done_at is None and rows["job-1"].failures == 0


async def test_jobs_run_side_by_side_but_one_per_incident(
    engine: AsyncEngine, incident_id: int
) -> None:
    running: list[int | None] = []
    most: dict[str, int] = {"all": 0, "incident": 0}
    # Jobs hold their slot until four run at once (or 5 s pass): the first round's finishing
    # early on a slow machine must not hide a runner that does run them side by side.
    four_running = asyncio.Event()

    async def slow(_services: Services, job: Job) -> None:
        running.append(job.incident_id)
        most["all"] = max(most["all"], len(running))
        most["incident"] = max(most["incident"], running.count(incident_id))
        if len(running) >= 4:
            four_running.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(four_running.wait(), 5)
        await asyncio.sleep(0.01)
        running.remove(job.incident_id)

    services = job_services(engine, Clock(NOW))
    runner = JobRunner(services, {"test": slow}, yielding={"test"}, concurrency=8)
    async with session_scope(engine) as session:
        for number in range(6):
            await jobs.schedule(
                session,
                kind="test",
                key=f"job-{number}",
                due_at=NOW,
                incident_id=incident_id if number < 3 else None,
            )
        await session.commit()

    while await runner.run_due():
        pass

    assert most == {"all": 4, "incident": 1}  # the incident's 3 in turn, beside the other 3
    assert await claim_all(engine, "a", NOW + timedelta(hours=1)) == []


@pytest.mark.parametrize(
    ("raw", "seconds"), [("90s", 90), ("15m", 900), ("1h30m", 5400), ("2h", 7200), ("45", 45)]
)
def test_durations(raw: str, seconds: int) -> None:
    assert parse_duration(raw) == timedelta(seconds=seconds)
    assert parse_duration(duration_text(parse_duration(raw))) == timedelta(seconds=seconds)


@pytest.mark.parametrize("raw", ["", "soon", "15 minutes", "1d", "-5", "m15"])
def test_bad_durations(raw: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(raw)


def policy_env(tmp_path: Path, text: str, **environ: str) -> dict[str, str]:
    path = tmp_path / "policies.yaml"
    path.write_text(text)
    return {"WARROOM_ESCALATION_POLICIES": str(path), **environ}


GOOD = """
policies:
  Payments:
    levels:
      - timeout: 10m
        targets:
          - user: U0BOB
          - usergroup: "@dba-team"
          - pagerduty: {service: Payments primary, routing_key_env: PD_KEY}
      - targets: [{user: U0CAROL}]
severities: {sev1: payments}
"""


def test_a_policy_file_is_read_with_its_routing_keys_from_the_environment(tmp_path: Path) -> None:
    settings = Settings.from_env(policy_env(tmp_path, GOOD, PD_KEY="k" * 32))

    policy = settings.escalation.policies.for_severity("SEV1")
    assert policy is not None and policy.name == "payments"
    first, last = policy.levels
    assert first.timeout == timedelta(minutes=10) and last.timeout is None
    assert [(t.kind, t.ref) for t in first.targets] == [
        ("user", "U0BOB"),
        ("usergroup", "dba-team"),
        ("pagerduty", "Payments primary"),
    ]
    assert str(settings.escalation.pager_keys["PD_KEY"]) == "k" * 32
    assert "k" * 32 not in repr(settings)


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("policies: [", "not valid YAML"),
        ("levels: []", "'policies' mapping"),
        ("policies: {p: {levels: []}}", "non-empty 'levels'"),
        ("policies: {p: {levels: [{targets: [{user: bob}]}]}}", "Slack user id"),
        ("policies: {p: {levels: [{timeout: soon, targets: [{user: U1AB}]}]}}", "timeout"),
        ("policies: {p: {levels: [{targets: [{email: a@b.c}]}]}}", "unknown target kind"),
        (
            "policies: {p: {levels: [{targets: [{pagerduty: {service: s, routing_key: abc}}]}]}}",
            "secrets",
        ),
        ("policies: {p: {levels: [{targets: [{user: U1AB}]}]}}\nseverities: {SEV9: p}", "SEV9"),
        ("policies: {p: {levels: [{targets: [{user: U1AB}]}]}}\nseverities: {SEV1: q}", "'q'"),
    ],
)
def test_bad_policy_files_are_refused_at_startup(tmp_path: Path, text: str, complaint: str) -> None:
    with pytest.raises(ConfigError, match="WARROOM_ESCALATION_POLICIES") as refused:
        Settings.from_env(policy_env(tmp_path, text))
    assert complaint in str(refused.value)


def test_a_missing_routing_key_is_named_not_shown(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="routing key variable\\(s\\) not set: PD_KEY"):
        Settings.from_env(policy_env(tmp_path, GOOD))


def test_missing_policy_file(tmp_path: Path) -> None:
    environ = {"WARROOM_ESCALATION_POLICIES": str(tmp_path / "nope.yaml")}
    with pytest.raises(ConfigError, match="cannot read"):
        Settings.from_env(environ)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, timedelta(minutes=30)),
        ({"WARROOM_UPDATE_REMINDER": "45m"}, timedelta(minutes=45)),
        ({"WARROOM_UPDATE_REMINDER": "off"}, None),
        ({"WARROOM_UPDATE_REMINDER": "0"}, None),
    ],
)
def test_update_reminder_setting(environ: dict[str, str], expected: timedelta | None) -> None:
    assert Settings.from_env(environ).incidents.update_reminder == expected


def test_roles_setting() -> None:
    assert Settings.from_env({"WARROOM_ROLES": "Liaison, comms"}).incidents.roles == (
        "comms",
        "scribe",
        "liaison",
    )
    with pytest.raises(ConfigError, match="WARROOM_ROLES"):
        Settings.from_env({"WARROOM_ROLES": "commander"})


def test_job_concurrency_is_eight_unless_told_and_bounded() -> None:
    assert Settings.from_env({}).runtime.job_concurrency == 8
    assert Settings.from_env({"WARROOM_JOB_CONCURRENCY": "1"}).runtime.job_concurrency == 1
    for bad in ("0", "33", "many"):
        with pytest.raises(ConfigError, match="WARROOM_JOB_CONCURRENCY"):
            Settings.from_env({"WARROOM_JOB_CONCURRENCY": bad})


async def test_a_replica_whose_clock_jumps_ahead_does_not_take_a_job_another_holds(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job's claim runs out by the database's clock, not the claiming replica's: one whose
    clock jumped a minute (past a notification's 20 s claim) neither sees the job as due nor
    takes it from the replica that holds and renews it, whether that replica claimed it or
    wrote it claimed (a page's first notification). With each replica's own clock it took both
    and the person's phone rang twice."""
    async with session_scope(engine) as session:
        for key in ("claimed", "written-claimed"):
            await jobs.schedule_job(
                session,
                kind=JobKind.NOTIFY,
                key=key,
                due_at=NOW,
                claimed_by="replica-a" if key == "written-claimed" else None,
            )
        await session.commit()
    (claimed,) = await jobs.claim_due(engine, now=NOW, owner="replica-a")
    assert claimed.key == "claimed" and claimed.locked_by == "replica-a"

    step_clock_forward(monkeypatch)  # this process is replica-b now, its clock a minute ahead
    assert await jobs.claim_due(engine, now=utcnow(), owner="replica-b") == []
    assert await jobs.due_kinds(engine, now=utcnow()) == set()
    async with session_scope(engine) as session:
        rows = (await session.exec(select(Job).order_by(col(Job.id)))).all()
    assert [(row.key, row.locked_by) for row in rows] == [
        ("claimed", "replica-a"),
        ("written-claimed", "replica-a"),
    ]
    # Each claim is a notification's short one, by the database's clock (not a minute on).
    for row in rows:
        assert row.locked_until is not None
        left = row.locked_until - datetime.now(UTC)
        assert timedelta(seconds=15) < left <= jobs.SHORT_LEASES[JobKind.NOTIFY]
    # The holder renews its claim and finishes as before.
    assert await jobs.renew(engine, claimed)
    await jobs.finish(engine, claimed, now=NOW)
    async with session_scope(engine) as session:
        row = await session.get(Job, claimed.id)
    assert row is not None and row.done_at is not None
