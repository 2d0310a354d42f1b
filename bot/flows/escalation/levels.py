"""A policy's levels: escalating to one (once a round, under the incident's row lock, so
an acknowledgement and a policy's timer never both win and two replicas escalate a level
once), starting a policy (``start_policy``: an incident's, by its severity unless named) and
its level 1 in the transaction that decided it, and what follows a level's
timeout (the next level, the policy again from level 1, or saying it ran out) as jobs.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import cast

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.flows.channel import Writes, refresh_channel_header
from bot.flows.escalation.bringing_in import schedule_bring_in
from bot.flows.escalation.reach import (
    Reach,
    arrival,
    arrived_from,
    known_reach,
    reach_of,
)
from bot.flows.paging.pagerduty_events import schedule_page
from bot.flows.paging.pages import start_pages
from bot.record.escalation import escalations
from bot.record.escalation.escalations import Why, WhySeverity, WhyTimeout
from bot.record.escalation.policies import Policy
from bot.record.incident import incidents
from bot.services import Services
from bot.store import jobs, outbox
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import Escalation, Incident, Job

log = logging.getLogger(__name__)


async def next_level(
    services: Services, incident: Incident, policy: Policy
) -> tuple[int, int] | None:
    """The (round, level) after the policy's furthest escalation, or None when its last
    round has reached its last level."""
    async with session_scope(services.engine) as session:
        statement = (
            select(Escalation.policy_round, Escalation.level)
            .where(
                col(Escalation.incident_id) == incident.id,
                col(Escalation.policy) == policy.name,
            )
            .order_by(col(Escalation.policy_round).desc(), col(Escalation.level).desc())
            .limit(1)
        )
        furthest = (await session.exec(statement)).first()
    if furthest is None:
        return 1, 1
    policy_round, level = furthest[0], furthest[1] or 0
    if policy.level(level + 1) is not None:
        return policy_round, level + 1
    return (policy_round + 1, 1) if policy_round < policy.rounds else None


async def escalate_to_level(
    services: Services,
    incident: Incident,
    policy: Policy,
    number: int,
    *,
    requested_by: str | None,
    policy_round: int = 1,
    reason: str = "",
    why: Why | None = None,
    arrived_at: datetime | None = None,
) -> Escalation | None:
    """Escalate to one level of a policy, once per round; schedule what follows if it has a
    timeout: the next level, the policy again from level 1 (``repeat``), or saying the policy
    ran out.

    ``requested_by`` None is the policy's own timer, which stands down when the incident is
    resolved, or when anything was acknowledged since the level before. ``reason`` is a
    person's words, ``why`` the policy's own cause as data (``Escalation.why``). None when
    nothing was escalated. ``arrived_at``: when the alert or command that started the policy
    reached warroom (its level 1's pages count from it).
    """
    level = policy.level(number)
    assert level is not None
    reach = await reach_of(services, level.targets)
    async with session_scope(services.engine) as session:
        current = await incidents.lock(session, incident)
        if requested_by is None and await _stands_down(
            session, current, policy, policy_round, number
        ):
            return None
        escalation = await _escalate_in(
            session,
            services,
            current,
            policy,
            number,
            reach,
            requested_by=requested_by,
            policy_round=policy_round,
            reason=reason,
            why=why,
            arrived_at=arrived_at,
        )
        if escalation is None:
            return None  # another replica (or a person) escalated this level first
        await session.commit()
    services.wake_jobs()
    return escalation


async def start_level_one(
    session: AsyncSession,
    services: Services,
    incident: Incident,
    policy: Policy,
    why: Why | None,
    arrived_at: datetime | None = None,
) -> bool:
    """Escalate to level 1 of ``policy`` in the caller's transaction, the one that decided
    the policy starts (the caller commits, then wakes the job runner): its people's pages
    start and their first notifications (``after: 0s``) are written with it, due now, so
    they leave as soon as it commits, with no escalation job between. Only a level whose
    people are known without asking Slack now (``known_reach``); False, and nothing done,
    for one that names a user group, or an on-call schedule whose person this process has
    no answer from Slack for (whether they are a guest: Slack's answer is never waited for
    inside a transaction)."""
    level = policy.level(1)
    assert level is not None
    reach = await known_reach(session, services, level.targets)
    if reach is None:
        return False
    await _escalate_in(
        session,
        services,
        incident,
        policy,
        1,
        reach,
        requested_by=None,
        why=why,
        arrived_at=arrived_at,
    )
    return True


async def _escalate_in(
    session: AsyncSession,
    services: Services,
    current: Incident,
    policy: Policy,
    number: int,
    reach: Reach,
    *,
    requested_by: str | None,
    policy_round: int = 1,
    reason: str = "",
    why: Why | None = None,
    arrived_at: datetime | None = None,
) -> Escalation | None:
    """Record the escalation to a level and write what follows in the caller's transaction:
    PagerDuty pages, the next level's timer, bringing people in, each person's page and its
    notifications' jobs. None when the level was escalated to already."""
    level = policy.level(number)
    assert level is not None
    now = services.clock()
    escalation = await escalations.record_escalation(
        session,
        current,
        target_kind="policy",
        target_ref=policy.name,
        target=policy.name,  # the level is its own column; templates say both
        users=reach.users,
        reason=reason,
        why=why,
        requested_by=requested_by,
        at=now,
        policy=policy.name,
        level=number,
        policy_round=policy_round,
        on_call=reach.on_call,
    )
    if escalation is None:
        return None
    current.policy = current.policy or policy.name
    session.add(current)
    await session.flush()
    await _schedule_pages(session, current, escalation, reach, now)
    if reach.nobody_on_call and policy.level(number + 1) is not None:
        nobody: Why = {"because": "nobody", "level": number}
        await schedule_level(
            session, current, policy, number + 1, due_at=now, why=nobody, policy_round=policy_round
        )
    elif level.timeout is not None:
        await _schedule_what_follows(
            session, current, policy, policy_round, number, due_at=now + level.timeout
        )
    await schedule_bring_in(session, escalation, reach, now)
    await start_pages(session, services, escalation, reach.users, now, arrived_at)
    return escalation


async def _schedule_what_follows(
    session: AsyncSession,
    incident: Incident,
    policy: Policy,
    policy_round: int,
    number: int,
    *,
    due_at: datetime,
) -> None:
    """When level ``number`` of round ``policy_round`` times out unanswered: the next level,
    else the policy again from level 1 while it has rounds left, else saying it ran out."""
    level = policy.level(number)
    assert level is not None and level.timeout is not None
    if policy.level(number + 1) is not None:
        why: Why = timed_out(number, level.timeout)
        await schedule_level(
            session, incident, policy, number + 1, due_at=due_at, why=why, policy_round=policy_round
        )
    elif policy_round < policy.rounds:
        why = {
            "because": "repeat",
            "round": policy_round + 1,
            "after_seconds": int(level.timeout.total_seconds()),
        }
        await schedule_level(
            session, incident, policy, 1, due_at=due_at, why=why, policy_round=policy_round + 1
        )
    else:
        await jobs.schedule(
            session,
            kind=JobKind.ESCALATE,
            key=f"escalate:{incident.id}:{policy.name}:exhausted",
            due_at=due_at,
            incident_id=incident.id,
            payload={"policy": policy.name, "exhausted": policy_round},
        )


async def _stands_down(
    session: AsyncSession, incident: Incident, policy: Policy, policy_round: int, number: int
) -> bool:
    """Whether the policy's timer for level ``number`` of round ``policy_round`` (a level
    past the last: saying the policy ran out) has nothing to do: the incident is resolved, or
    someone acknowledged since the level before."""
    if not incident.is_open:
        return True
    if number == 1 and policy_round == 1:
        return False  # a policy starting (by severity) is never pre-empted
    before = (policy_round, number - 1) if number > 1 else (policy_round - 1, len(policy.levels))
    previous = (
        await session.exec(
            select(Escalation).where(
                col(Escalation.incident_id) == incident.id,
                col(Escalation.policy) == policy.name,
                col(Escalation.policy_round) == before[0],
                col(Escalation.level) == before[1],
            )
        )
    ).first()
    since = previous.escalated_at if previous else incident.declared_at
    return await escalations.acknowledged_since(session, incident.id or 0, since)


async def schedule_level(
    session: AsyncSession,
    incident: Incident,
    policy: Policy,
    number: int,
    *,
    due_at: datetime,
    why: Why | None,
    policy_round: int = 1,
    arrived_at: datetime | None = None,
) -> None:
    """Have the job runner escalate to this level of the policy at ``due_at`` (caller commits),
    keeping why as data for the escalation it makes, and when what started the policy
    arrived (``arrived_at``, the start of a policy: its pages count from it)."""
    # The first round's keys are those timers had before policies repeated.
    which = str(number) if policy_round == 1 else f"r{policy_round}:{number}"
    await jobs.schedule(
        session,
        kind=JobKind.ESCALATE,
        key=f"escalate:{incident.id}:{policy.name}:{which}",
        due_at=due_at,
        incident_id=incident.id,
        payload={
            "policy": policy.name,
            "level": number,
            "round": policy_round,
            "why": dict(why) if why else None,
            **arrival(arrived_at),
        },
    )


def timed_out(number: int, timeout: timedelta) -> WhyTimeout:
    """Why the level after ``number`` is escalated to: nobody acknowledged in time."""
    return {"because": "timeout", "level": number, "after_seconds": int(timeout.total_seconds())}


async def _schedule_pages(
    session: AsyncSession, incident: Incident, escalation: Escalation, reach: Reach, now: datetime
) -> None:
    # One PagerDuty alert per incident, round and level: its acknowledge and resolve name it
    # again.
    dedup_key = ":".join(
        (
            "warroom",
            incident.team_id,
            incident.reference,
            str(escalation.policy),
            # A later round is a new alert: the same key would be merged into the first one.
            f"L{escalation.level}"
            if escalation.policy_round == 1
            else f"R{escalation.policy_round}L{escalation.level}",
        )
    )
    for service, env in reach.pagers:
        page = await escalations.add_page(
            session, escalation, service=service, routing_key_env=env, dedup_key=dedup_key, at=now
        )
        if page is not None:
            await session.flush()
            await schedule_page(session, page, "trigger", now)


async def run_escalation_timer(services: Services, job: Job) -> None:
    """The job handler: a policy level is due (its start, or the level before timed out)."""
    payload = jobs.payload_of(job)
    policy = services.settings.escalation.policies.get(payload["policy"])
    async with session_scope(services.engine) as session:
        incident = await session.get(Incident, job.incident_id)
    if policy is not None and incident is not None and "exhausted" in payload:
        await _say_exhausted(services, incident, policy, int(payload["exhausted"]))
        return None
    if policy is None or incident is None or policy.level(payload["level"]) is None:
        log.warning("escalation timer %s names a policy level no longer configured", job.key)
        return None
    # Timers scheduled before 0010 carry an English sentence as "reason": it stays as it was.
    escalation = await escalate_to_level(
        services,
        incident,
        policy,
        payload["level"],
        requested_by=None,
        # Timers scheduled before policies repeated are of the first round.
        policy_round=int(payload.get("round", 1)),
        reason=payload.get("reason", ""),
        # As schedule_level kept it in the job.
        why=cast("Why | None", payload.get("why")),
        arrived_at=arrived_from(payload),
    )
    current = await reloaded_incident(services, incident)
    if escalation is not None and payload["level"] == 1 and current.channel_id is not None:
        await refresh_channel_header(services, current)
    return None


async def _say_exhausted(
    services: Services, incident: Incident, policy: Policy, rounds: int
) -> None:
    """The policy's last level timed out in its last round with nobody acknowledging: the
    channel and the announcement channel are told, once (a retried job finds it said)."""
    said = f"policy_exhausted:{incident.id}:{policy.name}"
    async with session_scope(services.engine) as session:
        current = await incidents.lock(session, incident)
        if await _stands_down(session, current, policy, rounds, len(policy.levels) + 1):
            return
        if await outbox.written_for(session, said) is not None:
            return
        writes = Writes(services, session, current)
        context = {"policy": policy.name, "rounds": rounds, "levels": len(policy.levels)}
        await writes.say("messages/policy_exhausted.j2", after=said, **context)
        await writes.announce("messages/announce_policy_exhausted.j2", **context)
        await session.commit()
    await writes.send()


async def reloaded_incident(services: Services, incident: Incident) -> Incident:
    async with session_scope(services.engine) as session:
        current = await session.get(Incident, incident.id)
    assert current is not None
    return current


async def start_policy(
    session: AsyncSession,
    services: Services,
    incident: Incident,
    policy: Policy | None = None,
    why: Why | None = None,
    *,
    arrived_at: datetime | None = None,
) -> None:
    """Escalate to level 1 of ``policy`` (else the policy set for the incident's severity)
    now (the caller commits, then wakes the job runner): in this transaction when its people
    are known without asking Slack, with their first notifications; else by a job due now.
    ``arrived_at``: when the alert or command that started it reached warroom (its pages
    count from it).

    Nothing happens when the incident already runs a policy or is resolved.
    """
    if policy is None:
        policy = services.settings.escalation.policies.for_severity(incident.severity)
        why = by_severity(incident, policy) if policy else None
    if policy is None or incident.policy is not None or not incident.is_open:
        return
    if not await start_level_one(session, services, incident, policy, why, arrived_at):
        await schedule_level(
            session, incident, policy, 1, due_at=services.clock(), why=why, arrived_at=arrived_at
        )


def by_severity(incident: Incident, policy: Policy) -> WhySeverity:
    """Why a policy starts by itself: the incident's severity escalates to it."""
    return {"because": "severity", "severity": incident.severity, "policy": policy.name}
