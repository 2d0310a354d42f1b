"""Insights' on-call load from stored alert groups (SQLite and PostgreSQL): each alert in the
week it triggered in the team's zone, the quiet ones, and the medians to the microsecond."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.record.alerting.load import oncall_load
from bot.store.db import session_scope
from bot.store.models import AlertGroup, Incident

ZONE = "Europe/Paris"  # summer time ends on Sunday 27 October 2024, at 03:00 (01:00 UTC)
SINCE = datetime(2024, 10, 13, 22, tzinfo=UTC)  # Monday 14 October, midnight in Paris
UNTIL = datetime(2024, 11, 4, 23, tzinfo=UTC)  # Tuesday 5 November, midnight in Paris


def group(n: int, triggered: datetime, **columns: object) -> AlertGroup:
    values: dict[str, object] = {
        "source": "generic",
        "key_hash": f"{n:064x}",
        "group_key": f"alert-{n}",
        "route": "disks",
        "first_seen_at": triggered,
        "last_seen_at": triggered,
        "state": "triggered",
        "episode": 1,
        "triggered_at": triggered,
        "service": "checkout",
        **columns,
    }
    return AlertGroup.model_validate(values)


async def test_each_alert_counts_in_its_week_in_the_zone_and_medians_keep_microseconds(
    engine: AsyncEngine,
) -> None:
    ack = timedelta(minutes=3, microseconds=1)
    # Sunday 20 October 23:30 in Paris (summer time: UTC+2), and Monday 00:30: two weeks.
    sunday, monday = (
        datetime(2024, 10, 20, 21, 30, tzinfo=UTC),
        datetime(2024, 10, 20, 22, 30, tzinfo=UTC),
    )
    # The same a week later, in winter time (UTC+1).
    later_sunday, later_monday = (
        sunday + timedelta(days=7, hours=1),
        monday + timedelta(days=7, hours=1),
    )
    async with session_scope(engine) as session:
        incident = Incident(
            team_id="T1", number=1, title="Disks", channel_id="C1", declared_by="U1",
            declared_at=SINCE, timezone=ZONE,
        )  # fmt: skip
        session.add(incident)
        await session.flush()
        low = {"state": "acknowledged", "urgency": "low", "acknowledged_at": monday + ack}
        attached = {"incident_id": incident.id, "service": None}
        session.add_all(
            [
                group(1, sunday, state="resolved"),
                group(2, monday, **low),
                group(3, later_sunday, acknowledged_at=later_sunday + 2 * ack, **attached),
                group(4, later_monday, route="queues"),
                # Before the period, and a group of a route that does not page: not counted.
                group(5, SINCE - timedelta(seconds=1)),
                group(6, datetime(2024, 10, 22, tzinfo=UTC), state=None),
            ]
        )
        await session.commit()
        load = await oncall_load(session, since=SINCE, until=UNTIL, zone=ZONE)
    assert load.weeks == [date(2024, 10, 14), date(2024, 10, 21), date(2024, 10, 28),
                          date(2024, 11, 4)]  # fmt: skip
    assert load.per_route == {"disks": [1, 2, 0, 0], "queues": [0, 0, 1, 0]}
    assert load.per_service == {"checkout": [1, 1, 1, 0], "": [0, 1, 0, 0]}
    assert (load.alerts, load.quiet) == (4, 2)  # resolved or acknowledged, with no incident
    # Two waits: the mean of the middle two, to the microsecond.
    assert (load.acknowledge.value, load.acknowledge.n) == ((ack + 2 * ack) / 2, 2)
    assert load.acknowledge_by_urgency["low"].value == ack
    assert load.acknowledge_by_urgency["high"].value == 2 * ack
