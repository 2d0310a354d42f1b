"""How long ``related_incidents`` takes in a database of 10,000 incidents (issue 64: 150 ms).

The database (SQLite, migrated as `warroom serve` migrates it) holds ``--incidents`` incidents
over two years, one every ~100 minutes, each on one of 40 services (the custom field
``service``), half of them with an alert (one of 60 names, labelled with the service and a
job), a root cause and a follow-up for one in three. The figure is the median wall-clock time
of ``related_to`` for the newest incident (its traits read, the candidates found, their causes
and follow-ups read), over ``--runs`` runs, in this process's CPU time (as bench/oncall.py
judges its target: the machine's other work does not inflate it), wall-clock beside it; each
run reads the database afresh through the application's engine.

Run: ``python -m bench.related_incidents`` (``--incidents N``, ``--runs N``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.record.incident.related import related_to, traits_of
from bot.store.db import create_engine, session_scope
from bot.store.migrate import upgrade_database
from bot.store.models import (
    ActionItem,
    Alert,
    AlertGroup,
    AlertPayload,
    Incident,
    IncidentFieldValue,
    TimelineEntry,
)

TEAM = "T0BENCH"
START = datetime(2024, 1, 1, tzinfo=UTC)
SERVICES = 40
ALERT_NAMES = 60
TARGET_MS = 150.0


async def seed(engine: AsyncEngine, count: int) -> None:
    """``count`` incidents with their services, alerts, root causes and follow-ups."""
    incidents, values, groups, payloads, alerts, causes, actions = [], [], [], [], [], [], []
    for n in range(1, count + 1):
        at = START + timedelta(minutes=100 * n)
        service = f"svc-{n % SERVICES}"
        incidents.append(
            {
                "id": n,
                "team_id": TEAM,
                "number": n,
                "title": f"Incident {n} on {service}",
                "severity": "SEV2",
                "status": "resolved",
                "declared_by": "U0ALICE",
                "declared_at": at,
                "timezone": "UTC",
                "is_private": n % 10 == 0,
            }
        )
        values.append({"incident_id": n, "field": "service", "value": service, "position": 0})
        if n % 2 == 0:
            name = f"Alert{n % ALERT_NAMES}"
            payloads.append(
                {
                    "id": n,
                    "source": "generic",
                    "body": "{}",
                    "group_key": str(n),
                    "received_at": at,
                    "state": "processed",
                    "attempts": 1,
                    "flags": "",
                }
            )
            groups.append(
                {
                    "id": n,
                    "source": "generic",
                    "key_hash": str(n),
                    "group_key": str(n),
                    "route": "",
                    "incident_id": n,
                    "first_seen_at": at,
                    "last_seen_at": at,
                }
            )
            labels = {"alertname": name, "service": service, "job": f"job-{n % 7}"}
            alerts.append(
                {
                    "group_id": n,
                    "incident_id": n,
                    "fingerprint": str(n),
                    "name": name,
                    "status": "resolved",
                    "starts_at": at,
                    "summary": "",
                    "labels": json.dumps(labels),
                    "annotations": "{}",
                    "links": "[]",
                    "first_payload_id": n,
                    "last_payload_id": n,
                }
            )
        if n % 3 == 0:
            causes.append(
                {
                    "incident_id": n,
                    "kind": "root_cause",
                    "text": f"Cause of {n}",
                    "occurred_at": at + timedelta(minutes=20),
                    "recorded_at": at,
                }
            )
            actions.append(
                {
                    "incident_id": n,
                    "text": f"Fix {service} for {n}",
                    "created_by": "U0BOB",
                    "created_at": at + timedelta(minutes=30),
                }
            )
    async with engine.begin() as connection:
        for model, rows in (
            (Incident, incidents),
            (IncidentFieldValue, values),
            (AlertPayload, payloads),
            (AlertGroup, groups),
            (Alert, alerts),
            (TimelineEntry, causes),
            (ActionItem, actions),
        ):
            if rows:
                await connection.execute(insert(model.__table__), rows)  # type: ignore[attr-defined]


async def measure(incidents: int, runs: int) -> tuple[list[float], list[float]]:
    """Milliseconds of each run of related_incidents for the newest incident: wall-clock, and
    this process's CPU time (the database's thread included; work on the other core, other
    processes', not)."""
    with tempfile.TemporaryDirectory() as directory:
        engine = create_engine(f"sqlite:///{Path(directory) / 'bench.db'}")
        try:
            await upgrade_database(engine)
            await seed(engine, incidents)
            times, cpu = [], []
            for _ in range(runs):
                began, began_cpu = time.perf_counter(), time.process_time()
                async with session_scope(engine) as session:
                    newest = await session.get(Incident, incidents)
                    assert newest is not None
                    traits = await traits_of(session, incidents)
                    found = await related_to(session, traits, team_id=TEAM, before=newest)
                times.append((time.perf_counter() - began) * 1000)
                cpu.append((time.process_time() - began_cpu) * 1000)
                assert found and all(each.why for each in found)
            return times, cpu
        finally:
            await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    times, cpu = asyncio.run(measure(args.incidents, args.runs))
    median = statistics.median(cpu)
    print(
        f"related_incidents, {args.incidents} incidents, {args.runs} runs: CPU median "
        f"{median:.1f} ms (min {min(cpu):.1f}, max {max(cpu):.1f}); wall-clock median "
        f"{statistics.median(times):.1f} ms (min {min(times):.1f}, max {max(times):.1f}); "
        f"target {TARGET_MS:.0f} ms (CPU): {'met' if median <= TARGET_MS else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
