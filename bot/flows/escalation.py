"""Escalating: bring in a person, a user group or a policy's next level; acknowledge; time out.

The record is written first (one transaction decides which replica escalates a policy
level), then Slack is told: people invited, a message with an Acknowledge button posted.
Pages go out as jobs (see ``paging``), so a pager that is down never holds up the channel.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

from slack_sdk.errors import SlackApiError
from sqlmodel import col, func, select

from bot import escalations, incidents, jobs
from bot.db import session_scope
from bot.durations import duration_text
from bot.errors import AlreadyResolved, BotError
from bot.flows.channel import refresh_channel_header, say
from bot.flows.paging import follow_up_pages, schedule_page
from bot.models import Escalation, Incident, Job
from bot.policies import Policy, Target
from bot.services import Services
from bot.slack.workspace import slack_error

log = logging.getLogger(__name__)
ESCALATE_JOB = "escalate"


class UnknownTarget(BotError):
    template = "messages/unknown_target.j2"


@dataclass(frozen=True)
class EscalationTarget:
    """Whom ``/incident escalate`` names: a user, a user group (id or handle) or a policy."""

    kind: Literal["user", "usergroup", "policy"]
    ref: str
    # How the person typed it (``@dba-team``), when that says more than the id.
    label: str = ""


@dataclass
class Reach:
    """The people and pagers a target comes to, and what could not be reached."""

    users: list[str] = field(default_factory=list)
    pagers: list[tuple[str, str]] = field(default_factory=list)  # (service, routing key env)
    problems: list[str] = field(default_factory=list)


async def escalate(
    services: Services,
    *,
    channel_id: str,
    requested_by: str,
    target: EscalationTarget,
    reason: str,
) -> Escalation:
    """``/incident escalate``: bring the target into the channel's incident now."""
    async with session_scope(services.engine) as session:
        incident = await incidents.incident_in_channel(session, channel_id)
    if not incident.is_open:
        raise AlreadyResolved(reference=incident.reference)
    if target.kind == "policy":
        return await _escalate_policy(services, incident, target.ref, requested_by, reason)
    group_id, label = target.ref, target.ref
    reach = Reach()
    if target.kind == "usergroup":
        group_id = await _usergroup_id(services, target.ref)
        label = target.label or f"@{target.ref.lstrip('@')}"
        reach.users = await services.slack.usergroup_members(group_id)
        if not reach.users:
            raise UnknownTarget(target=label, reason="the group has no members")
    else:
        reach.users = [target.ref]
    async with session_scope(services.engine) as session:
        session.add(incident)
        escalation = await escalations.record_escalation(
            session,
            incident,
            target_kind=target.kind,
            target_ref=group_id,
            target=label,
            users=reach.users,
            reason=reason,
            requested_by=requested_by,
            at=services.clock(),
        )
        assert escalation is not None  # only policy levels can be taken already
        await session.commit()
    await _bring_in(services, incident, escalation, reach)
    return escalation


async def _usergroup_id(services: Services, ref: str) -> str:
    if ref.startswith("S") and ref.isalnum() and ref.isupper():
        return ref
    found = await services.slack.find_usergroup(ref)
    if found is None:
        raise UnknownTarget(target=f"@{ref.lstrip('@')}", reason="no such user group")
    return found


async def _escalate_policy(
    services: Services, incident: Incident, name: str, requested_by: str, reason: str
) -> Escalation:
    policy = services.settings.escalation_policies.get(name)
    if policy is None:
        raise UnknownTarget(target=name, reason="no such person, group or escalation policy")
    level = await _next_level(services, incident, policy)
    if policy.level(level) is None:
        raise UnknownTarget(target=name, reason=f"every level of {policy.name} was escalated to")
    escalation = await escalate_to_level(
        services, incident, policy, level, requested_by=requested_by, reason=reason
    )
    if escalation is None:
        raise UnknownTarget(target=name, reason=f"level {level} was escalated to just now")
    return escalation


async def _next_level(services: Services, incident: Incident, policy: Policy) -> int:
    async with session_scope(services.engine) as session:
        statement = select(func.max(Escalation.level)).where(
            col(Escalation.incident_id) == incident.id, col(Escalation.policy) == policy.name
        )
        highest = (await session.exec(statement)).one()
    return (highest or 0) + 1


async def escalate_to_level(
    services: Services,
    incident: Incident,
    policy: Policy,
    number: int,
    *,
    requested_by: str | None,
    reason: str,
) -> Escalation | None:
    """Escalate to one level of a policy, once; schedule the next level if it has a timeout.

    ``requested_by`` None is the policy's own timer, which stands down when the incident is
    resolved or the policy was acknowledged. None when nothing was escalated.
    """
    level = policy.level(number)
    assert level is not None
    reach = await _reach(services, level.targets)
    now = services.clock()
    async with session_scope(services.engine) as session:
        current = await session.get(Incident, incident.id)
        assert current is not None
        if requested_by is None and (
            not current.is_open
            or await escalations.policy_acknowledged(session, incident.id or 0, policy.name)
        ):
            return None
        escalation = await escalations.record_escalation(
            session,
            current,
            target_kind="policy",
            target_ref=policy.name,
            target=f"{policy.name} level {number}",
            users=reach.users,
            reason=reason,
            requested_by=requested_by,
            at=now,
            policy=policy.name,
            level=number,
        )
        if escalation is None:
            return None  # another replica (or a person) escalated this level first
        policy_started = current.policy is None
        current.policy = current.policy or policy.name
        session.add(current)
        await session.flush()
        for service, env in reach.pagers:
            dedup_key = f"warroom:{current.team_id}:{current.reference}:{policy.name}:L{number}"
            page = await escalations.add_page(
                session,
                escalation,
                service=service,
                routing_key_env=env,
                dedup_key=dedup_key,
                at=now,
            )
            if page is not None:
                await session.flush()
                await schedule_page(session, page, "trigger", now)
        following = policy.level(number + 1)
        if level.timeout is not None and following is not None:
            await jobs.schedule(
                session,
                kind=ESCALATE_JOB,
                key=f"escalate:{current.id}:{policy.name}:{number + 1}",
                due_at=now + level.timeout,
                incident_id=current.id,
                payload={
                    "policy": policy.name,
                    "level": number + 1,
                    "after": duration_text(level.timeout),
                },
            )
        await session.commit()
        incident = current
    services.wake_jobs()
    await _bring_in(services, incident, escalation, reach)
    if policy_started:
        await refresh_channel_header(services, incident)  # the header names the policy
    return escalation


async def _reach(services: Services, targets: tuple[Target, ...]) -> Reach:
    """Who a policy level's targets are; a Slack failure on one target never stops the rest."""
    reach = Reach()
    for target in targets:
        if target.kind == "user":
            reach.users.append(target.ref)
        elif target.kind == "pagerduty":
            reach.pagers.append((target.ref, target.routing_key_env))
        else:
            try:
                reach.users += await services.slack.usergroup_members(
                    await _usergroup_id(services, target.ref)
                )
            except (SlackApiError, UnknownTarget) as error:
                problem = slack_error(error) if isinstance(error, SlackApiError) else "not found"
                reach.problems.append(f"@{target.ref}: {problem}")
    reach.users = list(dict.fromkeys(reach.users))
    return reach


async def _bring_in(
    services: Services, incident: Incident, escalation: Escalation, reach: Reach
) -> None:
    """Invite the people and post the escalation with its Acknowledge button."""
    assert incident.channel_id is not None
    problems = list(reach.problems)
    try:
        await services.slack.invite(incident.channel_id, reach.users)
    except SlackApiError as error:
        problems.append(f"inviting: {slack_error(error)}")
    text, blocks = _escalation_message(services, incident, escalation, reach, problems)
    try:
        ts = await services.slack.post(incident.channel_id, text, blocks=blocks)
    except SlackApiError as error:
        log.error("posting the escalation of %s failed: %s", incident.reference, slack_error(error))
        return
    async with session_scope(services.engine) as session:
        session.add(escalation)
        escalation.message_ts = ts
        await session.commit()


def _escalation_message(
    services: Services,
    incident: Incident,
    escalation: Escalation,
    reach: Reach | None,
    problems: list[str],
) -> tuple[str, list[dict[str, object]]]:
    context = {
        "incident": incident,
        "escalation": escalation,
        "pagers": [service for service, _env in reach.pagers] if reach else [],
        "problems": problems,
    }
    text = services.renderer.render("messages/escalation.j2", **context)
    blocks = services.renderer.render_json("blocks/escalation.json.j2", text=text, **context)
    return text, blocks


async def run_escalation_timer(services: Services, job: Job) -> None:
    """The job handler: a level's timeout passed; escalate to the next unless acknowledged."""
    payload = jobs.payload_of(job)
    policy = services.settings.escalation_policies.get(payload["policy"])
    async with session_scope(services.engine) as session:
        incident = await session.get(Incident, job.incident_id)
    if policy is None or incident is None or policy.level(payload["level"]) is None:
        log.warning("escalation timer %s names a policy level no longer configured", job.key)
        return None
    reason = f"level {payload['level'] - 1} not acknowledged within {payload['after']}"
    await escalate_to_level(
        services, incident, policy, payload["level"], requested_by=None, reason=reason
    )
    return None


async def acknowledge(
    services: Services, *, channel_id: str, user_id: str, escalation_id: int | None = None
) -> tuple[Incident, list[Escalation]]:
    """Acknowledge escalations: stops their policies' timers and acknowledges their pages."""
    now = services.clock()
    async with session_scope(services.engine) as session:
        incident = await incidents.incident_in_channel(session, channel_id)
        chosen = await escalations.acknowledge(
            session, incident, user_id=user_id, at=now, escalation_id=escalation_id
        )
        for policy in {escalation.policy for escalation in chosen if escalation.policy}:
            await jobs.cancel(
                session,
                incident_id=incident.id or 0,
                kinds=[ESCALATE_JOB],
                now=now,
                key_prefix=f"escalate:{incident.id}:{policy}:",
            )
        # Someone is on it: every page of the incident still ringing is acknowledged.
        await follow_up_pages(session, incident.id or 0, "acknowledge", now)
        await session.commit()
    services.wake_jobs()
    for escalation in chosen:
        await _show_acknowledged(services, incident, escalation)
    await say(services, incident, "messages/acknowledged.j2", escalations=chosen, user=user_id)
    await refresh_channel_header(services, incident)
    return incident, chosen


async def _show_acknowledged(
    services: Services, incident: Incident, escalation: Escalation
) -> None:
    """Rewrite the escalation message without its button, saying who acknowledged."""
    if not escalation.message_ts or not incident.channel_id:
        return
    text, blocks = _escalation_message(services, incident, escalation, None, [])
    try:
        await services.slack.update(incident.channel_id, escalation.message_ts, text, blocks=blocks)
    except SlackApiError as error:
        log.warning("updating an escalation message failed: %s", slack_error(error))


async def stop_escalating(services: Services, incident: Incident) -> None:
    """On resolution: no more policy levels or reminders, and every open page resolved."""
    now = services.clock()
    async with session_scope(services.engine) as session:
        await jobs.cancel(session, incident_id=incident.id or 0, kinds=[ESCALATE_JOB], now=now)
        await follow_up_pages(session, incident.id or 0, "resolve", now)
        await session.commit()
    services.wake_jobs()
