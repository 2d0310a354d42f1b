"""Escalating: bring in a person, a user group, whoever an on-call schedule names, or a
policy's next level; acknowledge; time out.

Every escalation is decided in one transaction that holds the incident's row lock, so an
acknowledgement and a policy's timer never both win, and two replicas escalate a level once.
That transaction also schedules what follows as jobs: bringing the people in (invite, and the
message with its Acknowledge button), the pages, and the next level's timer. A crash or a Slack
outage after the commit delays them; it never loses them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, cast

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.errors import AlreadyResolved
from bot.clients.slack.errors import SlackFailure
from bot.clients.slack.web_api import Invitation
from bot.flows.channel import Writes, deliver_now, refresh_channel_header, say, send
from bot.flows.escalation.reach import (
    Reach,
    UnknownTarget,
    arrival,
    arrived_from,
    known_reach,
    members,
    reach_of,
    usergroup_id,
)
from bot.flows.oncall.handoffs import on_call_now
from bot.flows.paging.pagerduty_events import follow_up_pages, schedule_page
from bot.flows.paging.pages import start_pages, stop_pages
from bot.flows.postmortem.posting import choose_template
from bot.flows.rights import require
from bot.record import incidents
from bot.record.escalation import escalations
from bot.record.escalation.escalations import Why, WhyTimeout
from bot.record.escalation.policies import Policy
from bot.record.paging import pages as person_pages
from bot.record.rights import Act
from bot.services import Services
from bot.store import jobs, outbox
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import Escalation, Incident, Job, Page

log = logging.getLogger(__name__)


# How often bringing people in looks again for an alert's war room still being opened (the war
# room makes it due at once when its channel exists).
CHANNEL_WAIT = timedelta(seconds=1)


@dataclass(frozen=True)
class EscalationTarget:
    """Whom ``/incident escalate`` names: a user, a user group (id or handle), or by ``name``
    an escalation policy or an on-call schedule (the file's names never clash)."""

    kind: Literal["user", "usergroup", "name"]
    ref: str
    # How the person typed it (``@dba-team``), when that says more than the id.
    label: str = ""


# -- escalating ------------------------------------------------------------------------------
async def escalate(
    services: Services,
    *,
    channel_id: str,
    requested_by: str,
    target: EscalationTarget,
    reason: str,
    why: Why | None = None,
) -> Escalation:
    """``/incident escalate``: bring the target into the channel's incident now. ``why`` is
    a policy escalation's cause as data, when no person asked (a workflow), or where the
    person asked from (their phone)."""
    if why is None:  # a person in Slack: their phone's answer is the number's owner's
        await require(services, requested_by, Act.ESCALATE)
    async with session_scope(services.engine) as session:
        incident = await incidents.incident_in_channel(session, channel_id)
    if not incident.is_open:
        raise AlreadyResolved(reference=incident.reference)
    kind: str = target.kind
    reach, group_id, label = Reach(users=[target.ref]), target.ref, target.ref
    if target.kind == "name":
        if services.settings.oncall.schedules.get(target.ref) is None:
            return await _escalate_policy(services, incident, target.ref, requested_by, reason, why)
        kind, reach = "schedule", await _schedule_reach(services, target.ref)
    elif target.kind == "usergroup":
        label = target.label or f"@{target.ref.lstrip('@')}"
        group_id = await usergroup_id(services, target.ref, label)
        reach.users = await members(services, group_id, label)
        if not reach.users:
            raise UnknownTarget(target=label, reason="the group has no members")
    async with session_scope(services.engine) as session:
        current = await incidents.lock(session, incident)
        escalation = await escalations.record_escalation(
            session,
            current,
            target_kind=kind,
            target_ref=group_id,
            target=label,
            users=reach.users,
            reason=reason,
            requested_by=requested_by,
            at=services.clock(),
            on_call=reach.on_call,
        )
        assert escalation is not None  # only policy levels can be taken already
        await _schedule_bring_in(session, escalation, reach, services.clock())
        await start_pages(session, services, escalation, reach.users, services.clock())
        await session.commit()
    services.wake_jobs()
    return escalation


async def _schedule_reach(services: Services, name: str) -> Reach:
    """Whoever the schedule names now (everyone, with ``overlap: all``); refused when nobody
    is on call (a gap). A guest on call is named and not brought in: the channel is told
    why."""
    named = await on_call_now(services, name)
    if not named or named[0].user is None:
        raise UnknownTarget(
            target=name, reason="nobody is on call right now (a gap in the schedule)"
        )
    return Reach(users=[n.reachable for n in named if n.reachable], on_call=named)


async def _escalate_policy(
    services: Services,
    incident: Incident,
    name: str,
    requested_by: str,
    reason: str,
    why: Why | None,
) -> Escalation:
    policy = services.settings.escalation.policies.get(name)
    if policy is None:
        raise UnknownTarget(
            target=name, reason="no such person, group, escalation policy or on-call schedule"
        )
    following = await _next_level(services, incident, policy)
    if following is None:
        raise UnknownTarget(target=name, reason=f"every level of {policy.name} was escalated to")
    policy_round, level = following
    escalation = await escalate_to_level(
        services,
        incident,
        policy,
        level,
        policy_round=policy_round,
        requested_by=requested_by,
        reason=reason,
        why=why,
    )
    if escalation is None:
        raise UnknownTarget(target=name, reason=f"level {level} was escalated to just now")
    await refresh_channel_header(services, await _reloaded(services, incident))
    return escalation


async def _next_level(
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
    if level.timeout is not None:
        await _schedule_what_follows(
            session, current, policy, policy_round, number, due_at=now + level.timeout
        )
    await _schedule_bring_in(session, escalation, reach, now)
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


async def _schedule_bring_in(
    session: AsyncSession, escalation: Escalation, reach: Reach, now: datetime
) -> None:
    await session.flush()
    await jobs.schedule(
        session,
        kind=JobKind.BRING_IN,
        key=f"bring_in:{escalation.id}",
        due_at=now,
        incident_id=escalation.incident_id,
        payload={"escalation": escalation.id, "problems": reach.problems},
    )


# -- the jobs --------------------------------------------------------------------------------
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
    current = await _reloaded(services, incident)
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


async def bring_in(services: Services, job: Job) -> datetime | None:
    """The job handler: invite an escalation's people and post it with its Acknowledge button.

    The post goes through the outbox (it waits there while Slack fails); one Slack gave up
    on is posted again when the job runs again. An alert's incident may be escalated (and
    its people paged) before its channel exists: this waits for the channel.
    """
    payload = jobs.payload_of(job)
    async with session_scope(services.engine) as session:
        escalation = await session.get(Escalation, payload["escalation"])
        if escalation is None:
            return None
        written = await outbox.written_for(session, f"escalation:{escalation.id}")
        if written is not None and written.gave_up_at is None:
            return None  # posted (or waiting in the outbox) already: this is a retried job
        incident = await session.get(Incident, escalation.incident_id)
        pages = await escalations.pages_of(session, escalation.id or 0)
    assert incident is not None
    if incident.channel_id is None:
        # The war room hurries this job once its channel exists (alert_intake).
        return services.clock() + CHANNEL_WAIT if incident.is_open else None
    problems = list(payload.get("problems") or [])
    try:
        invitation = await services.slack.invite(incident.channel_id, escalation.users)
    except SlackFailure as error:
        # Nobody came in: each of them is told apart in the message, with Slack's reason.
        invitation = Invitation(refused=tuple((u, error.code) for u in escalation.users))
    # Rendered and kept under the incident's lock, from the escalation as it stands now: an
    # acknowledgement that came while people were invited shows in it, and one that comes
    # later finds this message to edit (acknowledge takes the same lock).
    async with session_scope(services.engine) as session:
        await incidents.lock(session, incident)
        current = await session.get(Escalation, escalation.id)
        assert current is not None
        current.record_invitation(invitation.already_there, invitation.refused)
        session.add(current)
        pages = await escalations.pages_of(session, escalation.id or 0)
        text, blocks = _escalation_message(services, incident, current, pages, problems)
        # Its ts becomes the escalation's message_ts once Slack has it (bot/flows/outbox.py).
        await outbox.enqueue(
            session,
            channel=incident.channel_id,
            method=outbox.POST,
            payload={"text": text, "blocks": blocks},
            now=services.clock(),
            after=f"escalation:{escalation.id}",
            incident_id=incident.id,
        )
        told = await _tell_on_call(session, services, incident, current)
        await session.commit()
    for channel in [incident.channel_id, *told]:
        await deliver_now(services, channel)
    return None


async def _tell_on_call(
    session: AsyncSession, services: Services, incident: Incident, escalation: Escalation
) -> list[str]:
    """A DM to each person an on-call schedule named, once (the caller commits); whom."""
    told: list[str] = []
    # A person with a page hears of it through their rules (the Slack method's DM says it),
    # as does one an alert attached to the incident paged (not paged twice: start_pages).
    paged = await person_pages.paged_users(session, escalation.id or 0)
    paged |= await person_pages.alert_paged(session, incident.id or 0)
    for named in escalation.on_call or []:
        if named["user"] is None or named.get("guest") or named["user"] in paged:
            continue
        text = services.renderer.render(
            "messages/oncall_paged.j2",
            outside=True,  # a DM
            incident=incident,
            escalation=escalation,
            schedule=named["schedule"],
        )
        kept = await outbox.post_once(
            session,
            channel=named["user"],
            text=text,
            now=services.clock(),
            after=f"oncall_paged:{escalation.id}:{named['user']}",
            incident_id=incident.id,
        )
        if kept is not None:
            told.append(named["user"])
    return told


def _escalation_message(
    services: Services,
    incident: Incident,
    escalation: Escalation,
    pages: Sequence[Page],
    problems: list[str],
) -> tuple[str, list[dict[str, object]]]:
    language, _ = choose_template(services, incident)
    context: dict[str, Any] = {
        "incident": incident,
        "escalation": escalation,
        "pagers": [page.service for page in pages],
        "problems": problems,
        # Why a policy escalated is said in the incident's language, as its timeline is.
        "sentences": services.renderer.entries_for(language),
    }
    text = services.renderer.render("messages/escalation.j2", **context)
    blocks = services.renderer.render_json("blocks/escalation.json.j2", text=text, **context)
    return text, blocks


async def _reloaded(services: Services, incident: Incident) -> Incident:
    async with session_scope(services.engine) as session:
        current = await session.get(Incident, incident.id)
    assert current is not None
    return current


# -- acknowledging ---------------------------------------------------------------------------
async def acknowledge(
    services: Services,
    *,
    channel_id: str,
    user_id: str,
    escalation_id: int | None = None,
    via: str | None = None,
) -> tuple[Incident, list[Escalation]]:
    """Acknowledge escalations: every policy timer stops, every ringing page is acknowledged,
    and every person's notifications still to come are cancelled. ``via``: how, when not in
    Slack (``sms``, ``voice``, ``ntfy``, ``email``)."""
    if via is None:  # from Slack: a phone's or a link's answer is its owner's
        await require(services, user_id, Act.ACKNOWLEDGE)
    now = services.clock()
    async with session_scope(services.engine) as session:
        incident = await incidents.lock(
            session, await incidents.incident_in_channel(session, channel_id)
        )
        chosen = await escalations.acknowledge(
            session, incident, user_id=user_id, at=now, escalation_id=escalation_id, via=via
        )
        # Someone is on it: no policy escalates further, and no page keeps ringing.
        await jobs.cancel(session, incident_id=incident.id or 0, kinds=[JobKind.ESCALATE], now=now)
        await follow_up_pages(session, incident.id or 0, "acknowledge", now)
        acknowledged = await stop_pages(
            session,
            incident_id=incident.id or 0,
            escalation_ids=[escalation.id or 0 for escalation in chosen],
            now=now,
            by=user_id,
            via=via or "slack",
        )
        await session.commit()
    for page in acknowledged:
        services.metrics.page_acknowledged(via or "slack", (now - page.started_at).total_seconds())
    services.wake_jobs()
    for escalation in chosen:
        await _show_acknowledged(services, incident, escalation)
    try:
        await say(services, incident, "messages/acknowledged.j2", escalations=chosen, user=user_id)
        await refresh_channel_header(services, incident)
    except SlackFailure as error:
        # The acknowledgement is recorded and has stopped the policy; only showing it failed.
        log.warning("showing the acknowledgement failed: %s", error.code)
    return incident, chosen


async def _show_acknowledged(
    services: Services, incident: Incident, escalation: Escalation
) -> None:
    """Rewrite the escalation message without its button, saying who acknowledged."""
    if not incident.channel_id:
        return
    async with session_scope(services.engine) as session:
        pages = await escalations.pages_of(session, escalation.id or 0)
        posted = await outbox.written_for(session, f"escalation:{escalation.id}")
    if posted is None:
        return  # not posted yet: the bring-in job posts it already acknowledged
    text, blocks = _escalation_message(services, incident, escalation, pages, [])
    edit = {"text": text, "blocks": blocks}
    if escalation.message_ts:
        await send(
            services,
            incident,
            incident.channel_id,
            {**edit, "ts": escalation.message_ts},
            method=outbox.UPDATE,
        )
    else:
        await send(
            services, incident, incident.channel_id, edit, method=outbox.UPDATE, ts_of=posted.id
        )


async def stand_down(session: AsyncSession, incident: Incident, now: datetime) -> None:
    """On resolution: no more policy levels, and every open page resolved (caller commits)."""
    await jobs.cancel(session, incident_id=incident.id or 0, kinds=[JobKind.ESCALATE], now=now)
    await follow_up_pages(session, incident.id or 0, "resolve", now)
    await stop_pages(session, incident_id=incident.id or 0, escalation_ids=None, now=now)
