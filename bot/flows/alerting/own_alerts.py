"""Alerts of their own: a route with ``action: page`` pages its escalation policy without
opening an incident (issue 72, its first slice).

The alert group is the alert: *triggered* when it fires while not open (a new episode),
*acknowledged* by a person (its Slack button, or their page's push, SMS reply or link),
*resolved* by its source (Alertmanager's ``resolved``, Grafana's ``ok``, a generic
resolve) or by a person. A repeat while it is open (the same group key or dedup key)
counts and pages nobody. Its one message in the route's channel is updated in place.

Its policy runs as an incident's does, level after level while nobody acknowledges: a
level's people are paged (bot/flows/paging/pages.py, their pages the group's), in the
transaction that triggered the alert when they are known without asking Slack (people, and
an on-call schedule's person whose guest check this process keeps:
``escalate.known_reach``), its routing from the settings held in memory and no channel
work before the first notification; else in an ``alert_escalate`` job (a user group's
members, a guest check not kept: Slack's answers, never waited for inside a transaction).
The pages of the level an alert starts count from the alert's arrival (the paging SLI).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.flows.escalation.reach import Reach, arrival, arrived_from, known_reach, reach_of
from bot.flows.paging.alert_pages import escalation_jobs, schedule_show, stop_paging
from bot.flows.paging.pages import start_alert_pages
from bot.record.alerting import alerts
from bot.record.escalation.policies import Policy
from bot.services import Services
from bot.store import jobs
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import AlertGroup, Job

log = logging.getLogger(__name__)


async def follow(
    session: AsyncSession,
    services: Services,
    applied: alerts.Applied,
    *,
    arrived_at: datetime | None = None,
) -> None:
    """What a notification did to a ``page`` route's alert, in the transaction that applied
    it (the caller commits): a triggered alert's policy starts, a resolved one's stops, and
    its message shows it. ``arrived_at``: when the notification's request reached warroom
    (the policy's first pages count from it)."""
    group, event = applied.alert_group, applied.alert_event
    if group is None or event is None:
        return
    now = services.clock()
    if event == alerts.TRIGGERED:
        policy = services.settings.escalation.policies.get(group.policy or "")
        if policy is None:
            log.warning("alert %s: route %s names no policy configured", group.id, group.route)
        else:
            await start_level(session, services, group, policy, 1, 1, now, arrived_at)
    elif event == alerts.RESOLVED:
        await stop_paging(session, group, now)
    await schedule_show(session, group, now)


def cycle_of(group: AlertGroup) -> str:
    """What a policy step's page and job are named after: the episode, and the cycle of it
    when a snooze has ended (paged again from level 1, under new names)."""
    return f"{group.episode}:" + (f"c{group.cycle}:" if group.cycle else "")


async def start_level(
    session: AsyncSession,
    services: Services,
    group: AlertGroup,
    policy: Policy,
    policy_round: int,
    number: int,
    now: datetime,
    arrived_at: datetime | None = None,
) -> None:
    """Escalate to a level now when its people are known without asking Slack (people, an
    on-call schedule's person: ``known_reach``), else have a job do it at once.
    ``arrived_at``: when the alert that starts it reached warroom."""
    level = policy.level(number)
    assert level is not None
    reach = await known_reach(session, services, level.targets)
    if reach is not None:
        await escalate_in(
            session, services, group, policy, policy_round, number, reach, now, arrived_at
        )
    else:
        await _schedule_level(
            session, group, policy, policy_round, number, due_at=now, arrived_at=arrived_at
        )


async def escalate_in(
    session: AsyncSession,
    services: Services,
    group: AlertGroup,
    policy: Policy,
    policy_round: int,
    number: int,
    reach: Reach,
    now: datetime,
    arrived_at: datetime | None = None,
) -> None:
    """Page a level's people and schedule what follows it unanswered (caller commits);
    ``arrived_at``: when the alert that started it reached warroom, if it did."""
    assert group.id is not None
    level = policy.level(number)
    assert level is not None
    for problem in reach.problems:
        log.warning("alert %s, policy %s level %d: %s", group.id, policy.name, number, problem)
    step = f"{cycle_of(group)}{policy_round}:{number}"
    group.level_round, group.level = policy_round, number
    session.add(group)
    await start_alert_pages(
        session,
        services,
        group_id=group.id,
        step=step,
        users=reach.users,
        now=now,
        arrived_at=arrived_at,
    )
    if level.timeout is None:
        return
    due_at = now + level.timeout
    if policy.level(number + 1) is not None:
        await _schedule_level(session, group, policy, policy_round, number + 1, due_at=due_at)
    elif policy_round < policy.rounds:
        await _schedule_level(session, group, policy, policy_round + 1, 1, due_at=due_at)


async def _schedule_level(
    session: AsyncSession,
    group: AlertGroup,
    policy: Policy,
    policy_round: int,
    number: int,
    *,
    due_at: datetime,
    arrived_at: datetime | None = None,
) -> None:
    assert group.id is not None
    await jobs.schedule(
        session,
        kind=JobKind.ALERT_ESCALATE,
        key=f"{escalation_jobs(group.id)}{cycle_of(group)}{policy_round}:{number}",
        due_at=due_at,
        payload={
            "group": group.id,
            "episode": group.episode,
            "cycle": group.cycle,
            "policy": policy.name,
            "round": policy_round,
            "level": number,
            **arrival(arrived_at),
        },
    )


async def run_alert_level(services: Services, job: Job) -> None:
    """The job handler: a level of an alert's policy is due (nobody acknowledged the level
    before in time, or its people are Slack's or a schedule's answer)."""
    details = jobs.payload_of(job)
    policy = services.settings.escalation.policies.get(str(details["policy"]))
    number, policy_round = int(details["level"]), int(details["round"])
    if policy is None or policy.level(number) is None:
        log.warning("alert level %s names a policy level no longer configured", job.key)
        return
    level = policy.level(number)
    assert level is not None
    reach = await reach_of(services, level.targets)  # asked before the transaction
    async with session_scope(services.engine) as session:
        group = await alerts.lock_alert(session, int(details["group"]))
        if (
            group is None
            or group.state != alerts.TRIGGERED
            or group.episode != details.get("episode")
            or group.cycle != details.get("cycle", 0)
        ):
            return  # acknowledged or resolved since: nobody more is paged
        now = services.clock()
        arrived_at = arrived_from(details)
        await escalate_in(
            session, services, group, policy, policy_round, number, reach, now, arrived_at
        )
        await schedule_show(session, group, now, also=f"level:{policy_round}:{number}")
        await session.commit()
    services.wake_jobs()
