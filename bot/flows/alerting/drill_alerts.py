"""The paging drill with its failures raised as alerts: the drill (bot/flows/paging/drills.py)
run with alerting's own alerts (``keep_own_alerts``), as a missed heartbeat is raised; and the
scheduled drill's job handler.

The drill is paging's (its providers, its people, its checks); what a failed provider becomes
is alerting's, which comes after paging in the flows' domain order (alerts page people), so
it is handed to the drill here rather than imported there.
"""

from __future__ import annotations

from datetime import datetime

from bot.flows.alerting.intake import keep_own_alerts
from bot.flows.paging import drills
from bot.services import Services
from bot.store.models import DrillCheck, Job


async def run_drill(
    services: Services, *, person: str | None = None, everyone: bool = False, why: str = "command"
) -> list[DrillCheck]:
    """``warroom paging drill`` and the schedule's: the drill, a failed provider raised as an
    alert (and resolved when it passes again); the drill's checks. ``person``: only them
    (they must have opted in); ``everyone``: every person who opted in; neither: the first
    person who opted in with each method."""
    return await drills.run_drill(
        services, raise_alerts=keep_own_alerts, person=person, everyone=everyone, why=why
    )


async def run_scheduled_drill(services: Services, _job: Job) -> datetime | None:
    """The job handler: run the drill, then be due at the next drill time."""
    schedule = services.settings.paging.drill
    if schedule is None:
        return None
    await run_drill(services, why="schedule")
    return schedule.next_after(services.clock())
