"""Alerts of their own: a route with ``action: page`` pages its escalation policy without
opening an incident (docs/alerts-without-incidents.md).

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
The pages of the level an alert starts count from the alert's arrival (the paging SLI). A
policy gone from the policies file since is replaced by the one the alert's severity names
there (``policy_of``).

A low-urgency alert (its route's ``urgency: low``) pages each person by their low-urgency
rules; one that fires outside its route's ``support_hours`` waits, triggered: an
``alert_hours_start`` job, written in the same transaction, pages the first level when the
hours start if it is still triggered then and nobody escalated it meanwhile.

An alert resolves by itself when quiet (an ``alert_auto_resolve`` job, written with what
starts the wait): after its route's ``auto_resolve`` without firing, or, flapping (its
source's resolves held, bot/record/alerting/grouping.py), once it stayed resolved for the
route's ``flapping.within``.

An alert raised by a call to a service's number that someone answered (live call routing,
bot/flows/alerting/call_routing.py) is kept acknowledged by whoever answered, paging nobody:
the call is in the alert's history, and its message says who took it.

A shadowed alert (WARROOM_SHADOW, or its service's ``shadow: true``) is all of this on paper:
its pages are computed and kept as who would have been notified and when, nobody is, and its
message goes only to WARROOM_SHADOW_CHANNEL, saying it is a shadow.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.slack_patterns import USER_ID
from bot.flows.escalation.reach import Reach, arrival, arrived_from, known_reach, reach_of
from bot.flows.paging.alert_pages import (
    acknowledge_locked,
    escalation_jobs,
    schedule_show,
    stop_paging,
)
from bot.flows.paging.pages import start_alert_pages
from bot.record.alerting import alerts, routed_calls
from bot.record.alerting.grouping import RAISED, REOPENED
from bot.record.changes.beside import schedule_for_alert
from bot.record.escalation.policies import Policy
from bot.services import Services
from bot.store import jobs
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import AlertGroup, Job

log = logging.getLogger(__name__)
# How an alert raised by an answered call was acknowledged: on the phone, as a call's keypress.
ANSWERED_VIA = "voice"


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
    now, route = services.clock(), applied.route
    # Its message's job goes with the first notifications' (one INSERT), else as it commits.
    await schedule_show(session, group, now, along=True)
    if event == alerts.TRIGGERED:
        shadow_if_asked(services, group)
        if await _taken_by_phone(session, group, now):
            return
        await begin_paging(session, services, group, now, arrived_at=arrived_at)
        # What changed before it: in its message's thread, once that is posted.
        await schedule_for_alert(session, group, now)
        if route.auto_resolve is not None:
            await _resolve_when_quiet(session, group, AUTO, route.auto_resolve, since=now)
    elif event in (RAISED, REOPENED):
        await page_joined(session, services, applied, now, arrived_at=arrived_at)
    elif event == alerts.RESOLVED:
        await stop_paging(session, group, now)
    elif event == alerts.HELD and route.flapping is not None:
        await _resolve_when_quiet(session, group, FLAPPING, route.flapping.within, since=now)


async def _taken_by_phone(session: AsyncSession, group: AlertGroup, now: datetime) -> bool:
    """Whether the alert was raised by a routed call someone answered: then it is theirs,
    acknowledged by them on the phone, and nobody is paged for it."""
    call = await routed_calls.raised(session, group.group_key)
    answerer = None if call is None else routed_calls.answered_by(call)
    if answerer is None:
        return False
    await acknowledge_locked(session, group, now, user=answerer, via=ANSWERED_VIA)
    return True


async def page_joined(
    session: AsyncSession,
    services: Services,
    applied: alerts.Applied,
    now: datetime,
    *,
    arrived_at: datetime | None = None,
) -> None:
    """An alert joined the open one and raised its urgency (its pages so far end, and its
    policy pages again from level 1 at the new urgency, as after a snooze), or reopened it
    acknowledged: whoever acknowledged it is paged at the joining alert's urgency (by their
    rules for it), and, unanswered for their level's timeout, the policy's next level (a page
    nobody answers is never the last); acknowledged by a sender's API rather than a person,
    its policy from level 1 (the caller commits)."""
    group = applied.alert_group
    assert group is not None
    await stop_paging(session, group, now)
    person = applied.notify if applied.alert_event == REOPENED else None
    if person is None or not USER_ID.match(person):
        group.level_round, group.level = 1, 0
        await begin_paging(session, services, group, now, arrived_at=arrived_at)
        return
    await start_alert_pages(
        session,
        services,
        group=group,
        step=f"{cycle_of(group)}{group.level_round}:{group.level}",
        users=[person],
        now=now,
        urgency=applied.notify_urgency,
        arrived_at=arrived_at,
    )
    policy = policy_of(services, group)
    if policy is not None:
        number = max(group.level, 1)
        await schedule_unanswered(session, group, policy, group.level_round, number, now)


def shadow_if_asked(services: Services, group: AlertGroup) -> None:
    """A newly triggered alert of a shadowed service (or workspace) is paged on paper only:
    its pages are computed as any alert's and kept as who would have been notified and when
    (``pages.send_notification``), and its message goes to the shadow channel, if any,
    instead of its route's."""
    alerting = services.settings.alerting
    group.shadow = alerting.shadowed(group.service)
    if group.shadow:
        group.message_channel = alerting.shadow_channel or None


async def begin_paging(
    session: AsyncSession,
    services: Services,
    group: AlertGroup,
    now: datetime,
    *,
    arrived_at: datetime | None = None,
) -> None:
    """Page the policy's first level now, or, for a low-urgency alert outside its route's
    support hours, when they start (the caller commits). ``arrived_at``: when the alert
    reached warroom, for pages sent now (a page that waited for the hours counts from them)."""
    policy = policy_of(services, group)
    if policy is None:
        return
    hours = services.settings.alerting.routes.named(group.route).support_hours
    opens = hours.next_start(now) if hours and group.urgency == "low" else None
    group.waits_until = opens
    session.add(group)
    if opens is None:
        await start_level(session, services, group, policy, 1, 1, now, arrived_at)
        return
    await jobs.schedule(
        session,
        kind=JobKind.ALERT_HOURS_START,
        # Named by its time too: a runner down past the hours' end waits for the next ones.
        key=f"alert-hours:{group.id}:{group.episode}:{group.cycle}:{opens.isoformat()}",
        due_at=opens,
        payload={"group": group.id, "episode": group.episode, "cycle": group.cycle},
    )


async def start_in_hours(services: Services, job: Job) -> None:
    """The job handler: the support hours a low-urgency alert waited for have started; its
    policy's first level is paged if it is still triggered and nobody escalated it."""
    async with session_scope(services.engine) as session:
        group = await lock_as_written(session, job, alerts.TRIGGERED)
        if group is None or group.level:
            return  # acknowledged, snoozed, resolved or escalated by hand meanwhile
        now = services.clock()
        await begin_paging(session, services, group, now)
        await schedule_show(session, group, now, also="hours")
        await session.commit()
    services.wake_jobs()


def policy_of(services: Services, group: AlertGroup) -> Policy | None:
    """The policy the alert is paged to: the one it names, else (gone from the policies
    file since) the one its severity names there, as an incident's severity starts one;
    the message says so (``policy_gone``). None: nobody is paged, the alert is kept."""
    policies = services.settings.escalation.policies
    policy = policies.get(group.policy or "")
    if policy is not None or group.policy_gone is not None:
        return policy
    severity = group.severity or services.settings.incidents.default_severity
    fallback = policies.for_severity(severity)
    log.warning("alert %s: policy %r is not configured; paged to %s", group.id, group.policy,
                fallback.name if fallback else "nobody")  # fmt: skip
    group.policy_gone, group.policy = group.policy or "", fallback.name if fallback else None
    return fallback


# Why an open alert resolves by itself once quiet: its route's ``auto_resolve`` passed with no
# firing, or, flapping, its source has said resolved for the route's ``flapping.within``.
AUTO, FLAPPING = "auto_resolve", "flapping"


async def _resolve_when_quiet(
    session: AsyncSession, group: AlertGroup, why: str, quiet: timedelta, *, since: datetime
) -> None:
    """Have the alert resolve by itself ``quiet`` after ``since`` if nothing fires meanwhile
    (the caller commits): one job per firing counted, so a retried change schedules once."""
    await jobs.schedule(
        session,
        kind=JobKind.ALERT_AUTO_RESOLVE,
        key=f"alert-quiet:{group.id}:{group.episode}:{why}:{group.fired_count}",
        due_at=since + quiet,
        payload={
            "group": group.id,
            "episode": group.episode,
            "why": why,
            "quiet": int(quiet.total_seconds()),
            "fired": group.fired_count,
        },
    )


async def resolve_quiet_alert(services: Services, job: Job) -> None:
    """The job handler: an open alert that stayed quiet long enough resolves by itself and
    paging stops; one that fired again meanwhile waits on (``auto_resolve``: from its last
    firing; flapping: until its source says resolved again)."""
    details = jobs.payload_of(job)
    quiet = timedelta(seconds=int(details["quiet"]))
    async with session_scope(services.engine) as session:
        group = await alerts.lock_alert(session, int(details["group"]))
        if group is None or group.state not in alerts.OPEN_STATES:
            return
        if group.episode != details["episode"]:
            return
        now = services.clock()
        if details["why"] == FLAPPING:
            if group.fired_count != details["fired"] or await alerts.still_firing(session, group):
                return  # it fired again: its next resolve is held anew
        elif (since := group.last_fired_at or now) + quiet > now:
            await _resolve_when_quiet(session, group, AUTO, quiet, since=since)
            await session.commit()
            return
        group.state, group.resolved_at, group.resolved_by = alerts.RESOLVED, now, None
        group.resolved_after = int(quiet.total_seconds())
        session.add(group)
        await stop_paging(session, group, now)
        await schedule_show(session, group, now)
        await session.commit()
    services.wake_jobs()


async def lock_as_written(session: AsyncSession, job: Job, state: str) -> AlertGroup | None:
    """The alert group a job was written for, locked, if it is still in ``state`` in the
    episode and cycle of then; None when it has moved on since."""
    details = jobs.payload_of(job)
    group = await alerts.lock_alert(session, int(details["group"]))
    if group is None or group.state != state:
        return None
    if (group.episode, group.cycle) != (details.get("episode"), details.get("cycle", 0)):
        return None
    return group


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
    # The overrides it reads are not the group's: the group's changes so far are written with
    # its level's, in one UPDATE, not flushed before them (a round trip of a page's own).
    with session.no_autoflush:
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
        group=group,
        step=step,
        users=reach.users,
        now=now,
        urgency=group.urgency,
        arrived_at=arrived_at,
    )
    if reach.nobody_on_call and policy.level(number + 1) is not None:
        # Nobody on call at this level (a gap): the next level now, not after its timeout.
        await _schedule_level(session, group, policy, policy_round, number + 1, due_at=now)
    else:
        await schedule_unanswered(session, group, policy, policy_round, number, now)


async def schedule_unanswered(
    session: AsyncSession,
    group: AlertGroup,
    policy: Policy,
    policy_round: int,
    number: int,
    now: datetime,
) -> None:
    """What follows level ``number`` paged now if nobody acknowledges within its timeout:
    the next level, else the policy's next round (the caller commits)."""
    level = policy.level(number)
    if level is None or level.timeout is None:
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
    if policy is None:
        await page_instead(services, int(details["group"]), details)
        return
    if policy.level(number) is None:
        log.warning("alert level %s names a policy level no longer configured", job.key)
        return
    level = policy.level(number)
    assert level is not None
    reach = await reach_of(services, level.targets)  # asked before the transaction
    async with session_scope(services.engine) as session:
        group = await lock_as_written(session, job, alerts.TRIGGERED)
        if group is None:
            return  # acknowledged or resolved since: nobody more is paged
        now = services.clock()
        arrived_at = arrived_from(details)
        await escalate_in(
            session, services, group, policy, policy_round, number, reach, now, arrived_at
        )
        await schedule_show(session, group, now, also=f"level:{policy_round}:{number}")
        await session.commit()
    services.wake_jobs()


async def page_instead(services: Services, group_id: int, seen: Mapping[str, object]) -> None:
    """A level of a policy no longer configured is due (or pressed): the alert, as ``seen``
    (its episode, its policy), is paged to the policy its severity names from level 1 (or to
    nobody, kept open), and its message says so."""
    async with session_scope(services.engine) as session:
        group = await alerts.lock_alert(session, group_id)
        if (
            group is None
            or group.state != alerts.TRIGGERED
            or group.episode != seen.get("episode")
            or group.policy != seen.get("policy")
        ):
            return
        now = services.clock()
        policy = policy_of(services, group)
        session.add(group)
        if policy is not None:
            await start_level(session, services, group, policy, 1, 1, now)
        await schedule_show(session, group, now, also="policy_gone")
        await session.commit()
    services.wake_jobs()
