"""Due jobs and escalation policies, without HTTP: claims, leases, retries; policy files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from bot import jobs
from bot.config import ConfigError, Settings
from bot.db import session_scope
from bot.durations import duration_text, parse_duration
from bot.models import Job, utcnow

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


async def add_jobs(engine: AsyncEngine, *due: datetime) -> None:
    async with session_scope(engine) as session:
        for number, due_at in enumerate(due):
            assert await jobs.schedule(session, kind="test", key=f"job-{number}", due_at=due_at)
        # Scheduling the same key again is a no-op, so two replicas may both try.
        assert not await jobs.schedule(session, kind="test", key="job-0", due_at=NOW)
        await session.commit()


async def test_only_due_jobs_are_claimed_and_each_by_one_owner(engine: AsyncEngine) -> None:
    await add_jobs(engine, NOW - timedelta(minutes=1), NOW, NOW + timedelta(seconds=1))

    first = await jobs.claim_due(engine, now=NOW, owner="replica-a")
    second = await jobs.claim_due(engine, now=NOW, owner="replica-b")

    assert [job.key for job in first] == ["job-0", "job-1"]
    assert second == []
    later = await jobs.claim_due(engine, now=NOW + timedelta(seconds=1), owner="replica-b")
    assert [job.key for job in later] == ["job-2"]


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


async def test_finish_retry_and_cancel(engine: AsyncEngine) -> None:
    await add_jobs(engine, NOW, NOW)
    done, retried = await jobs.claim_due(engine, now=NOW, owner="a")
    await jobs.finish(engine, done, now=NOW)
    await jobs.run_again(engine, retried, due_at=NOW + timedelta(seconds=30), error="HTTP 503")

    assert await jobs.claim_due(engine, now=NOW + timedelta(seconds=29), owner="a") == []
    (again,) = await jobs.claim_due(engine, now=NOW + timedelta(seconds=30), owner="a")
    assert (again.key, again.attempts, again.last_error) == ("job-1", 1, "HTTP 503")
    async with session_scope(engine) as session:
        rows = (await session.exec(select(Job).order_by(Job.key))).all()
    assert rows[0].done_at == NOW and rows[0].attempts == 1


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

        claimed = await jobs.claim_due(engine, now=NOW, owner="replica-b")

        assert [job.key for job in claimed] == ["job-1"]


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

    policy = settings.escalation_policies.for_severity("SEV1")
    assert policy is not None and policy.name == "payments"
    first, last = policy.levels
    assert first.timeout == timedelta(minutes=10) and last.timeout is None
    assert [(t.kind, t.ref) for t in first.targets] == [
        ("user", "U0BOB"),
        ("usergroup", "dba-team"),
        ("pagerduty", "Payments primary"),
    ]
    assert str(settings.pager_keys["PD_KEY"]) == "k" * 32
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
    assert Settings.from_env(environ).update_reminder == expected


def test_roles_setting() -> None:
    assert Settings.from_env({"WARROOM_ROLES": "Liaison, comms"}).roles == (
        "comms",
        "scribe",
        "liaison",
    )
    with pytest.raises(ConfigError, match="WARROOM_ROLES"):
        Settings.from_env({"WARROOM_ROLES": "commander"})
