"""An alert's own message, snoozed and escalated by hand (docs/alerts-without-incidents.md), and an
alert's page answered from a phone (escalate, snooze for an hour, resolve: ``answer_from_phone``).

Snoozed: paging stops as acknowledging stops it (no next level, every page ended, their
notifications still to come cancelled) and an ``alert_snooze_end`` job, written in the same
transaction, is due when the snooze ends. Then, if the alert still fires (its source has not
said it resolved; a resolve during the snooze resolves it), it is *triggered* again and paged
from the policy's first level, in a new cycle of its episode (new pages, new jobs' keys).

Escalated by hand: the policy's next level is paged now (its timer, if any, cancelled; the
level after it timed from now), or a person chosen is paged now by their own contact rules
beside the policy (``escalate_alert_to``), and the message says who escalated, to whom and
when (a guest of the workspace chosen is refused: ``GuestChosen``); each escalation is kept
as a row (``bot/record/alerting/escalated.py``). Each change is
made under the group's row lock and checked against what the person saw, so two presses at
once make one change and the other is told privately.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from bot.basics.errors import BotError
from bot.flows.alerting.own_alerts import (
    begin_paging,
    cycle_of,
    escalate_in,
    lock_as_written,
    page_instead,
)
from bot.flows.escalation.answers import Answer, group_of, who_did
from bot.flows.escalation.reach import reach_of
from bot.flows.paging.alert_pages import (
    PHONE_SNOOZE_MINUTES,
    AlertUnchanged,
    cancel_levels,
    resolve_alert,
    schedule_show,
    stop_paging,
)
from bot.flows.paging.pages import start_alert_pages
from bot.flows.people import is_guest
from bot.flows.rights import require
from bot.record.alerting import alerts
from bot.record.alerting.escalated import record_escalation
from bot.record.rights import Act
from bot.services import Services
from bot.store import jobs
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import AlertGroup, Job, PersonPage


class SnoozeTooLong(BotError):
    """A snooze longer than the alert's route allows (``max_snooze``): refused, said
    privately, nothing changed."""

    template = "messages/alert_snooze_refused.j2"


class AlreadyPaged(BotError):
    """Escalated to a person whom the alert pages already: said privately, nothing changed."""

    template = "messages/alert_person_paged.j2"


class GuestChosen(BotError):
    """Escalated to a person who is a guest of the workspace: guests are never paged (as
    they are never on call); said privately, nothing changed."""

    template = "messages/alert_person_guest.j2"


class NoNextLevel(BotError):
    """Escalate pressed on an alert whose policy has no level after the one paged: said
    privately, nothing changed."""

    template = "messages/alert_no_next_level.j2"


def _unchanged(services: Services, group: AlertGroup) -> AlertUnchanged:
    return AlertUnchanged(alert=group, timezone=services.settings.incidents.timezone)


async def snooze_alert(
    services: Services, group_id: int, *, user: str, minutes: int, any_length: bool = False
) -> None:
    """Snooze an alert for ``minutes``: paging stops until then. AlertUnchanged when it is
    resolved or snoozed already; SnoozeTooLong past its route's ``max_snooze``. One of the
    lengths the message offers, unless ``any_length`` (an SMS reply's ``3 <length>``)."""
    await require(services, user, Act.SNOOZE)
    if minutes < 1 or (minutes not in alerts.SNOOZE_CHOICES and not any_length):
        raise LookupError(f"no snooze of {minutes} minutes is offered")
    length = timedelta(minutes=minutes)
    now = services.clock()
    async with session_scope(services.engine) as session:
        group = await alerts.lock_alert(session, group_id)
        if group is None or group.state is None:
            raise LookupError(f"no alert {group_id}")
        if group.state not in (alerts.TRIGGERED, alerts.ACKNOWLEDGED):
            raise _unchanged(services, group)
        longest = services.settings.alerting.routes.named(group.route).max_snooze
        if length > longest:
            raise SnoozeTooLong(
                alert=group, asked=int(length.total_seconds()), longest=int(longest.total_seconds())
            )
        group.state, group.snoozed_until, group.snoozed_by = alerts.SNOOZED, now + length, user
        group.snoozed_at = now
        session.add(group)
        await stop_paging(session, group, now)
        await jobs.schedule(
            session,
            kind=JobKind.ALERT_SNOOZE_END,
            key=f"alert-snooze:{group.id}:{group.episode}:{group.cycle}",
            due_at=now + length,
            payload={"group": group.id, "episode": group.episode, "cycle": group.cycle},
        )
        await schedule_show(session, group, now)
        await session.commit()
    services.wake_jobs()


async def end_snooze(services: Services, job: Job) -> None:
    """The job handler: an alert's snooze has ended. Still firing, it is triggered again and
    paged from its policy's first level; else (its source's resolve was missed) resolved."""
    async with session_scope(services.engine) as session:
        group = await lock_as_written(session, job, alerts.SNOOZED)
        if group is None:
            return  # resolved (by its source or a person) during the snooze
        now = services.clock()
        if not await alerts.still_firing(session, group):
            group.state, group.resolved_at, group.resolved_by = alerts.RESOLVED, now, None
            session.add(group)
        else:
            group.state, group.cycle, group.level_round, group.level = (
                alerts.TRIGGERED,
                group.cycle + 1,
                1,
                0,
            )
            group.acknowledged_at = group.acknowledged_by = group.acknowledged_via = None
            session.add(group)
            await begin_paging(session, services, group, now)
        await schedule_show(session, group, now)
        await session.commit()
    services.wake_jobs()


async def escalate_alert(services: Services, group_id: int, *, user: str) -> None:
    """Page the alert's policy's next level now. AlertUnchanged when it is not triggered
    (acknowledged, snoozed, resolved) or was escalated meanwhile; NoNextLevel on the last."""
    seen = await escalatable(services, group_id, user=user)
    policy = services.settings.escalation.policies.get(seen.policy or "")
    if policy is None and seen.policy and seen.policy_gone is None:
        # Its policy is gone from the file: paged to its severity's instead, said on it.
        await page_instead(services, group_id, {"episode": seen.episode, "policy": seen.policy})
        return
    number = seen.level + 1
    level = policy.level(number) if policy is not None else None
    if policy is None or level is None:
        raise NoNextLevel(alert=seen)
    reach = await reach_of(services, level.targets)  # asked before the transaction
    now = services.clock()
    async with session_scope(services.engine) as session:
        group = await alerts.lock_alert(session, group_id)
        assert group is not None
        where = (group.state, group.episode, group.cycle, group.level_round, group.level)
        if where != (alerts.TRIGGERED, seen.episode, seen.cycle, seen.level_round, seen.level):
            raise _unchanged(services, group)
        assert group.id is not None
        # The level's timer (or its job due at once) would page it again: it is paged now.
        await cancel_levels(session, group.id, now)
        record_escalation(session, group, by=user, at=now, level=number)
        await escalate_in(session, services, group, policy, group.level_round, number, reach, now)
        await schedule_show(session, group, now, also=f"escalated:{group.level_round}:{number}")
        await session.commit()
    services.wake_jobs()


async def escalatable(services: Services, group_id: int, *, user: str) -> AlertGroup:
    """The alert an escalation would escalate, as it is before the change (and before
    Escalate's "A person…" form opens): refused (privately) for a guest, or an alert no longer
    triggered."""
    await require(services, user, Act.ESCALATE)
    async with session_scope(services.engine) as session:
        group = await session.get(AlertGroup, group_id)
    if group is None or group.state is None:
        raise LookupError(f"no alert {group_id}")
    if group.state != alerts.TRIGGERED:
        raise _unchanged(services, group)
    return group


async def escalate_alert_to(services: Services, group_id: int, *, user: str, person: str) -> None:
    """Page ``person`` for the alert now, by their own contact rules (for its urgency), as
    escalated by hand by ``user``; its policy goes on as it was (the person is paged beside
    its levels). AlertUnchanged when it is not triggered; AlreadyPaged when a page of the
    person's for it is open; GuestChosen when the person is a guest of the workspace."""
    await require(services, user, Act.ESCALATE)
    if await is_guest(services, person):  # asked before the transaction: Slack's answer
        raise GuestChosen(person=person)
    now = services.clock()
    async with session_scope(services.engine) as session:
        group = await alerts.lock_alert(session, group_id)
        if group is None or group.state is None or group.id is None:
            raise LookupError(f"no alert {group_id}")
        if group.state != alerts.TRIGGERED:
            raise _unchanged(services, group)
        statement = select(PersonPage.id).where(
            col(PersonPage.alert_group_id) == group.id,
            col(PersonPage.user_id) == person,
            col(PersonPage.state) == "open",
        )
        if (await session.exec(statement)).first() is not None:
            raise AlreadyPaged(alert=group, person=person)
        record_escalation(session, group, by=user, at=now, person=person)
        # Its own step (``…:to<seconds>``), apart from the policy's levels: never a level's.
        step = f"{cycle_of(group)}to{int(now.timestamp())}"
        await start_alert_pages(
            session,
            services,
            group=group,
            step=step,
            users=[person],
            now=now,
            urgency=group.urgency,
        )
        await schedule_show(session, group, now, also=f"escalated-to:{person}:{step}")
        await session.commit()
    services.wake_jobs()


async def answer_from_phone(
    services: Services, page: PersonPage, act: str, *, minutes: int = PHONE_SNOOZE_MINUTES
) -> Answer:
    """An alert's page answered from its person's phone or link (``act``: escalate, snooze
    for ``minutes``, an hour unless an SMS said how long, resolve), through the message's
    flow of that name, as the person paged: what it did (``already`` when acknowledged,
    snoozed, resolved or escalated meanwhile)."""
    if act == "escalate":
        return await escalate_from_phone(services, page)
    assert page.alert_group_id is not None
    group_id = page.alert_group_id
    # The length said back (seconds), when not the plain 3's hour.
    asked = minutes * 60 if minutes != PHONE_SNOOZE_MINUTES else 0
    try:
        if act == "snooze":
            await snooze_alert(
                services, group_id, user=page.user_id, minutes=minutes, any_length=True
            )
        elif act == "resolve":
            await resolve_alert(services, group_id, user=page.user_id)
        else:
            raise LookupError(f"no act {act!r} on an alert from a phone")
    except AlertUnchanged as unchanged:
        group = unchanged.context["alert"]
        return Answer("already", by=who_did(group), alert=group)
    except SnoozeTooLong as refused:
        longest = int(refused.context["longest"])
        return Answer("too_long", alert=refused.context["alert"], longest=longest, length=asked)
    except BotError:
        group = await group_of(services, group_id)
        return Answer("cannot", reason=f"you may not {act} it", alert=group)
    done = "snoozed" if act == "snooze" else "resolved"
    group = await group_of(services, group_id)
    return Answer(done, by=page.user_id, alert=group, length=asked if act == "snooze" else 0)


async def escalate_from_phone(services: Services, page: PersonPage) -> Answer:
    """An alert's page escalated by its person from their phone or link, as the message's
    Escalate: ``escalated``, ``already`` (acknowledged, snoozed, resolved or escalated
    meanwhile), ``last_level``, or ``cannot_escalate`` (a guest)."""
    assert page.alert_group_id is not None
    try:
        await escalate_alert(services, page.alert_group_id, user=page.user_id)
    except AlertUnchanged as unchanged:
        group = unchanged.context["alert"]
        return Answer("already", by=who_did(group), alert=group)
    except NoNextLevel as last:
        return Answer("last_level", alert=last.context["alert"])
    except BotError:
        group = await group_of(services, page.alert_group_id)
        return Answer("cannot_escalate", reason="you may not escalate it", alert=group)
    return Answer("escalated", by=page.user_id, alert=await group_of(services, page.alert_group_id))
