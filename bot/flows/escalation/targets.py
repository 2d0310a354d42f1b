"""Escalating to a target (``/incident escalate``, a workflow, a phone's answer): a person,
a user group, whoever an on-call schedule names now, or a policy's next level.

The escalation is decided in one transaction that holds the incident's row lock; bringing the
people in and their pages are scheduled as jobs in it (``bringing_in``), and a policy goes
through its levels (``levels``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.basics.errors import AlreadyResolved
from bot.flows.channel import refresh_channel_header
from bot.flows.escalation.bringing_in import schedule_bring_in
from bot.flows.escalation.levels import escalate_to_level, next_level, reloaded_incident
from bot.flows.escalation.reach import (
    Reach,
    UnknownTarget,
    members,
    usergroup_id,
)
from bot.flows.oncall.handoffs import on_call_now
from bot.flows.paging.pages import start_pages
from bot.flows.rights import require
from bot.record.escalation import escalations
from bot.record.escalation.escalations import Why
from bot.record.incident import incidents
from bot.record.rights import Act
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import Escalation, Incident


@dataclass(frozen=True)
class EscalationTarget:
    """Whom ``/incident escalate`` names: a user, a user group (id or handle), or by ``name``
    an escalation policy or an on-call schedule (the file's names never clash)."""

    kind: Literal["user", "usergroup", "name"]
    ref: str
    # How the person typed it (``@dba-team``), when that says more than the id.
    label: str = ""


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
        await schedule_bring_in(session, escalation, reach, services.clock())
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
    following = await next_level(services, incident, policy)
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
    await refresh_channel_header(services, await reloaded_incident(services, incident))
    return escalation
