"""``warroom integrations create | list | revoke``, as an operator types them: the URL and key
printed once, the key kept as SHA-256 only, listed without it, a name taken once, a revoked
one said so; and migration 0074 down and up again on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import Connection, inspect
from sqlmodel import select

from bot.record.alerting import integrations
from bot.store.db import create_engine, session_scope
from bot.store.migrate import alembic_config, upgrade_database
from bot.store.models import Integration
from tests.helpers.processes import run_warroom

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


async def migrated(database_url: str) -> None:
    """The database brought up to date, as ``warroom db upgrade`` does."""
    engine = create_engine(database_url)
    try:
        await upgrade_database(engine)
    finally:
        await engine.dispose()


def integrations_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``warroom integrations ARGS`` as an operator types it."""
    return run_warroom("integrations", *args, env=env, clean=True)


async def test_an_integration_is_made_listed_and_revoked(database_url: str) -> None:
    await migrated(database_url)
    env = {"DATABASE_URL": database_url, "WARROOM_PUBLIC_URL": "https://warroom.example.com"}
    made = integrations_cli(env, "create", "--service", "checkout", "--kind", "pagerduty")
    assert made.returncode == 0, made.stderr
    assert "integration checkout-pagerduty (pagerduty, service checkout):" in made.stdout
    assert "URL: https://warroom.example.com/v2/enqueue" in made.stdout
    key = next(line for line in made.stdout.splitlines() if line.startswith("key: "))[5:]
    # PagerDuty's routing keys are 32 hexadecimal characters: a sender that checks takes it.
    assert len(key) == 32 and int(key, 16) >= 0
    assert "shown this once" in made.stdout and "routing_key" in made.stdout

    second = integrations_cli(env, "create", "--service", "search", "--kind", "opsgenie")
    assert second.returncode == 0, second.stderr
    listed = integrations_cli(env, "list")
    assert listed.returncode == 0, listed.stderr
    header, first, other = listed.stdout.splitlines()  # one row a line, under its header
    assert header.split()[:3] == ["NAME", "KIND", "SERVICE"]
    assert first.split()[:3] == ["checkout-pagerduty", "pagerduty", "checkout"]
    assert " works " in first and first.split()[-2:] == ["0", "-"]
    assert other.split()[:3] == ["search-opsgenie", "opsgenie", "search"]
    assert key not in listed.stdout
    rows = json.loads(integrations_cli(env, "list", "--json").stdout)
    assert [(r["name"], r["service"], r["alerts"]) for r in rows] == [
        ("checkout-pagerduty", "checkout", 0),
        ("search-opsgenie", "search", 0),
    ]

    again = integrations_cli(env, "create", "--service", "checkout", "--kind", "pagerduty")
    assert (again.returncode, "has it already" in again.stderr) == (1, True)
    unknown = integrations_cli(env, "create", "--service", "checkout", "--kind", "pigeon")
    assert unknown.returncode == 2  # argparse names the kinds

    revoked = integrations_cli(env, "revoke", "checkout-pagerduty")
    assert revoked.returncode == 0, revoked.stderr
    assert "integration checkout-pagerduty revoked" in revoked.stdout
    assert "revoked" in integrations_cli(env, "list").stdout
    # With a services file, an integration is for one of its services.
    services = Path(tempfile.mkdtemp()) / "services.yaml"
    services.write_text("services:\n  - name: checkout\n")
    named = {**env, "WARROOM_SERVICES": str(services)}
    refused = integrations_cli(named, "create", "--service", "chekout", "--kind", "generic")
    assert refused.returncode == 1
    assert "no service 'chekout' in WARROOM_SERVICES (it has: checkout)" in refused.stderr
    twice = integrations_cli(env, "revoke", "checkout-pagerduty")
    assert (twice.returncode, "revoked already" in twice.stderr) == (1, True)


async def test_the_integrations_migration_goes_down_and_up(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade_database(engine)
        async with session_scope(engine) as session:
            _, key = await integrations.create(
                session, kind="opsgenie", service="checkout", name=None, now=NOW
            )
            await session.commit()
            (row,) = (await session.exec(select(Integration))).all()
        assert row.key_hash != key and len(row.key_hash) == 64

        def down(connection: Connection) -> None:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "0075_services")

        def tables(connection: Connection) -> tuple[set[str], set[str]]:
            found = inspect(connection)
            columns = {column["name"] for column in found.get_columns("alert_payload")}
            return set(found.get_table_names()), columns

        async with engine.begin() as connection:
            await connection.run_sync(down)
        async with engine.connect() as connection:
            names, columns = await connection.run_sync(tables)
        assert "integration" not in names and "integration_id" not in columns
        await upgrade_database(engine)
        async with engine.connect() as connection:
            names, columns = await connection.run_sync(tables)
        assert "integration" in names and "integration_id" in columns
    finally:
        await engine.dispose()
