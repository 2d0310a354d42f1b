"""Related incidents: the earlier incidents sharing a service, alert names or labels, found the
same way each time and said why (the database the benchmark makes, smaller)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from bench.related_incidents import ALERT_NAMES, SERVICES, TEAM, seed
from bot.record.incident.related import Traits, related_to, traits_of
from bot.store.db import session_scope
from bot.store.models import Incident


async def test_earlier_incidents_of_the_same_service_and_alert_come_first_with_why(
    engine: AsyncEngine,
) -> None:
    await seed(engine, 400)
    newest = 360  # svc-0, Alert0 (labels service=svc-0, job=job-3)
    async with session_scope(engine) as session:
        incident = await session.get(Incident, newest)
        assert incident is not None
        traits = await traits_of(session, newest)
        assert traits.fields == {("service", "svc-0")}
        assert traits.alert_names == {"Alert0"}
        found = await related_to(session, traits, team_id=TEAM, before=incident)
        again = await related_to(session, traits, team_id=TEAM, before=incident)
    assert [r.incident.number for r in found] == [r.incident.number for r in again]
    # The same service and the same alert (name and labels) share the most: first, newest
    # first (every 120th incident has both: 240, then 120); every one earlier, not this one.
    both = SERVICES * ALERT_NAMES // 20
    assert [r.incident.number for r in found[:2]] == [newest - both, newest - 2 * both]
    assert {"by": "field", "name": "service", "value": "svc-0"} in found[0].why
    assert {"by": "alert", "name": "Alert0"} in found[0].why
    assert {"by": "label", "name": "service", "value": "svc-0"} in found[0].why
    assert all(r.incident.declared_at < incident.declared_at for r in found)
    assert all(r.why for r in found)
    causes = [r for r in found if r.cause]
    assert causes and all(r.cause == f"Cause of {r.incident.number}" for r in causes)
    assert all(r.open_follow_ups for r in causes)


async def test_private_ones_are_left_out_when_asked_and_nothing_shared_is_nothing(
    engine: AsyncEngine,
) -> None:
    await seed(engine, 100)
    async with session_scope(engine) as session:
        everyone = await related_to(
            session, Traits(fields=frozenset({("service", "svc-0")})), team_id=TEAM
        )
        public = await related_to(
            session,
            Traits(fields=frozenset({("service", "svc-0")})),
            team_id=TEAM,
            public_only=True,
        )
        assert await related_to(session, Traits(), team_id=TEAM) == []
    assert any(r.incident.is_private for r in everyone)
    assert not any(r.incident.is_private for r in public)


async def test_incidents_of_the_same_service_come_first_whatever_else_they_share(
    engine: AsyncEngine,
) -> None:
    """Issue 73: an incident that names a service (WARROOM_SERVICES) has its service's earlier
    incidents first, newest first, even those sharing nothing else with it."""
    await seed(engine, 400)
    newest = 360
    async with session_scope(engine) as session:
        for number in (newest, 7, 301):
            incident = await session.get(Incident, number)
            assert incident is not None
            incident.service = "checkout"
            session.add(incident)
        await session.commit()
        incident = await session.get(Incident, newest)
        assert incident is not None
        traits = await traits_of(session, newest)
        assert traits.service == "checkout"
        found = await related_to(session, traits, team_id=TEAM, before=incident)
    assert [r.incident.number for r in found[:2]] == [301, 7]
    assert {"by": "service", "name": "service", "value": "checkout"} in found[1].why
    # Then, as before, those sharing the most.
    assert found[2].incident.number == newest - SERVICES * ALERT_NAMES // 20
