"""Pages to people: started when an escalation reaches them, their notifications sent as jobs
at their rules' offsets, all of an escalation's stopped by its acknowledgement.

Each notification is a job row written in the transaction that decided the page; the job
takes its notification (pending -> sending) before calling out, so a cancelled one is never
sent, and a failure brings the person's next rule forward (bot/flows/paging/fallback.py).
Numbers and addresses are read from the contacts when sending and never written to the
record, the logs or Slack.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.logs import page_stage
from bot.clients.phone.reports import Report
from bot.clients.vendor_http import VendorFailure
from bot.flows.channel import deliver_now
from bot.flows.paging import handed, notifying, phones
from bot.flows.paging.alert_pages import alert_notifications
from bot.flows.paging.destinations import registry
from bot.flows.paging.destinations.messages import IncidentPage
from bot.flows.paging.fallback import fire_next_rule
from bot.flows.paging.trouble import tell_trouble
from bot.record.incident import incidents
from bot.record.paging import own, pages
from bot.record.paging.contacts import SLACK, Method, Person
from bot.services import Services
from bot.store import jobs, outbox, wakeups
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import AlertGroup, Escalation, Incident, Job, Notification, PersonPage

log = logging.getLogger(__name__)
# Waits before the 2nd, 3rd and 4th try of a notification a service could not take: a page
# late by minutes is worth less than the next rule, which fires on its own time anyway.
RETRY_DELAYS = (timedelta(seconds=5), timedelta(seconds=15), timedelta(seconds=45))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# A service's Retry-After longer than this is not waited for: the next rule goes on.
LONGEST_WAIT = timedelta(minutes=2)


def notification_key(escalation_id: int, notification_id: int) -> str:
    """The job key of a notification; an escalation's share one prefix, cancelled at once."""
    return f"notify:{escalation_id}:{notification_id}"


async def start_pages(
    session: AsyncSession,
    services: Services,
    escalation: Escalation,
    users: Sequence[str],
    now: datetime,
    arrived_at: datetime | None = None,
) -> None:
    """Start a page to each of ``users`` and schedule each notification its rules send (the
    caller commits, then wakes this process's job runner; other replicas' are told at the
    commit). Without a contacts file, only those who set their own contacts or rules
    from Slack are paged beyond Slack's invitation. A policy's level pages nobody an alert
    attached to the incident paged already (their pages go on, and ``stop_pages`` ends them
    with its own); a person escalated to by name is paged as asked. ``arrived_at``: when the
    alert or command that started the pages reached warroom (the paging SLI counts from it)."""
    assert escalation.id is not None
    already = set()
    if escalation.target_kind == "policy":
        already = await pages.alert_paged(session, escalation.incident_id)
    await _start(
        session,
        services,
        [user for user in users if user not in already],
        now,
        {
            "incident_id": escalation.incident_id,
            "escalation_id": escalation.id,
            "arrived_at": arrived_at,
        },
        prefix=f"notify:{escalation.id}:",
        incident_id=escalation.incident_id,
    )


async def start_alert_pages(
    session: AsyncSession,
    services: Services,
    *,
    group: AlertGroup,
    step: str,
    users: Sequence[str],
    now: datetime,
    urgency: str = "high",
    arrived_at: datetime | None = None,
) -> None:
    """``start_pages`` for an alert of its own (no incident): each person's page belongs to
    the alert group and ``step`` of its policy, by their rules for its ``urgency`` (the
    caller commits)."""
    assert group.id is not None
    group_id = group.id
    await _start(
        session,
        services,
        users,
        now,
        {
            "incident_id": None,
            "escalation_id": None,
            "alert_group_id": group_id,
            "alert_step": step,
            "arrived_at": arrived_at,
        },
        prefix=alert_notifications(group_id),
        incident_id=None,
        urgency=urgency,
        group=group,
    )


async def _start(
    session: AsyncSession,
    services: Services,
    users: Sequence[str],
    now: datetime,
    whose: dict[str, Any],
    *,
    prefix: str,
    incident_id: int | None,
    urgency: str = "high",
    group: AlertGroup | None = None,
) -> None:
    contacts = services.settings.paging.contacts
    # The first ones are this replica's to send as soon as this commits, when it runs them;
    # else (a one-off command, or serve while its pager runs them) the processes that do
    # are told at the commit.
    owner = services.replica if services.handed.runs(JobKind.NOTIFY) else None
    # Serve while its pager runs them: claimed for the pager, named in the commit's NOTIFY.
    pager = services.handed.pager_runs(JobKind.NOTIFY)
    handover = wakeups.Handover(to=pager) if pager is not None else None
    started: list[tuple[Person, Notification]] = []
    for user in users:
        if not contacts.configured and not await own.has_own(session, user):
            continue
        person, rules = await own.effective(session, contacts, user, urgency=urgency)
        page = await pages.start_page(session, person=person, rules=rules, at=now, **whose)
        started.extend((person, notification) for notification in page)
    # Every notification's job in one INSERT (with the jobs left to go along with them).
    wanted = [
        _notification_job(notification, now, prefix, incident_id, owner, handover)
        for _, notification in started
    ]
    if handover is not None and owner is None and any(n.due_at <= now for _, n in started):
        # The pager is told in the jobs' own INSERT (``wakeups.with_announcement``), with
        # what each notification handed to it needs to leave.
        for (person, notification), new in zip(started, wanted, strict=True):
            extra = handed.announced(services, group, notification, person)
            if new.claimed_by == pager and extra is not None and notification.id is not None:
                handover.extra[notification.id] = extra
        await jobs.schedule_jobs(session, wanted, announce=handover)
        return
    written = await jobs.schedule_jobs(session, wanted) if wanted else []
    first: list[Job] = []
    prepared: list[handed.Prepared] = []
    for (person, notification), job in zip(started, written, strict=True):
        if job is None or notification.due_at > now:
            continue
        first.append(job)
        if group is not None and owner is not None:
            prepared.append(
                await handed.prepare(session, services, group, notification, person.contacts)
            )
    if first and owner is not None:
        handed.hand_over_at_commit(session, services, first, prepared)
    elif first:
        await wakeups.announce(session)


def _notification_job(
    notification: Notification,
    now: datetime,
    prefix: str,
    incident_id: int | None,
    owner: str | None,
    handover: wakeups.Handover | None,
) -> jobs.NewJob:
    """A notification's job: claimed for the pager when it is due now and the announcement
    has room for it, else for this replica (``owner``) when it is due now and runs them,
    else for whoever looks once it falls due."""
    assert notification.id is not None
    due_now = notification.due_at <= now
    key, payload = f"{prefix}{notification.id}", {"notification": notification.id}
    if handover is not None and due_now and handover.reserve(key, json.dumps(payload)):
        claimed_by: str | None = handover.to
    else:
        claimed_by = owner if due_now else None
    return jobs.NewJob(JobKind.NOTIFY, key, notification.due_at, incident_id, payload, claimed_by)


async def stop_pages(
    session: AsyncSession,
    *,
    incident_id: int,
    escalation_ids: Collection[int] | None,
    now: datetime,
    by: str | None = None,
    via: str | None = None,
) -> list[PersonPage]:
    """End the pages of these escalations (None: all, the incident resolved) and cancel every
    notification still to come (the caller commits): nobody's phone rings after this. The
    pages ended (acknowledged ones when ``by`` is given); an alert's: ``alert_pages``."""
    ended = await pages.end_pages(
        session, incident_id=incident_id, escalation_ids=escalation_ids, at=now, by=by, via=via
    )
    for escalation_id in sorted({page.escalation_id or 0 for page in ended}):
        await jobs.cancel(
            session,
            incident_id=incident_id,
            kinds=[JobKind.NOTIFY],
            now=now,
            key_prefix=f"notify:{escalation_id}:",
        )
    # The pages of alerts attached to it are the incident's now: they end with its own.
    for group_id in await pages.attached_alerts(session, incident_id):
        alert_ended = await pages.end_pages(
            session, incident_id=None, escalation_ids=None, at=now, by=by, via=via,
            alert_group_id=group_id,
        )  # fmt: skip
        if alert_ended:
            ended.extend(alert_ended)
            await jobs.cancel(
                session,
                incident_id=None,
                kinds=[JobKind.NOTIFY],
                now=now,
                key_prefix=alert_notifications(group_id),
            )
    return ended


async def end_page(services: Services, page_id: int, *, state: str) -> None:
    """End one person's page (``state``: why, e.g. escalated) and cancel what it still had
    to send; the escalation's other pages go on."""
    now = services.clock()
    async with session_scope(services.engine) as session:
        page = await session.get(PersonPage, page_id)
        if page is None or page.state != "open":
            return
        page.state = state
        session.add(page)
        pending = [n for n in await pages.notifications_of_page(session, page_id)
                   if n.state == "pending"]  # fmt: skip
        for notification in pending:
            notification.state, notification.updated_at = pages.CANCELLED, now
            session.add(notification)
        keys = [
            # An alert's page's jobs are keyed by its group (``start_alert_pages``).
            f"{alert_notifications(page.alert_group_id)}{n.id}"
            if page.alert_group_id is not None
            else notification_key(page.escalation_id or 0, n.id or 0)
            for n in pending
        ]
        await jobs.cancel_keys(session, keys, now=now)
        await session.commit()


async def send_notification(services: Services, job: Job) -> datetime | None:
    """The job handler: send one notification, unless its page ended first; on a failure
    worth trying again, again shortly (the next rule fires on its own time meanwhile).

    One a sender took and never settled (its replica died mid-send: the job's short claim ran
    out) is sent once more, kept in the record as a possible repeat; one that stopped a
    sender twice is given up, never sent a third time."""
    page_stage("notify", job.key)
    now = services.clock()
    if await handed.send_prepared(services, job, now):
        return None
    async with session_scope(services.engine) as session:
        notification = await session.get(Notification, jobs.payload_of(job)["notification"])
        # Pending with its page open (as nearly always) in one statement; else ``take`` says.
        taken = (
            None
            if notification is None
            else pages.SENDING
            if await pages.take_pending(session, notification.id or 0, at=now)
            else await pages.take(session, notification, at=now)
        )
        if notification is None or taken is None:
            return None
        if notification.alert_group_id is not None:
            method = await _method(session, services, notification)
            group = await session.get(AlertGroup, notification.alert_group_id)
            await session.commit()
            page_stage("taken", job.key)
            assert group is not None
            again = taken != pages.SENDING
            await notifying.send_alert_page(services, group, notification, method, again=again)
            return None
        # What the send needs is read in the transaction that takes it: one transaction
        # (one wait for a connection, during a storm) before the notification leaves.
        incident = await session.get(Incident, notification.incident_id)
        page = await session.get(PersonPage, notification.page_id)
        assert incident is not None and page is not None
        escalation = await session.get(Escalation, page.escalation_id)
        assert escalation is not None
        method = await _method(session, services, notification)
        await session.commit()
    page_stage("taken", job.key)
    again = taken != pages.SENDING
    if taken == pages.STOPPED_TWICE:
        stopped = VendorFailure(STOPPED_TWICE, retryable=False)
        return await _failed(services, incident, notification, stopped, MAX_ATTEMPTS, again)
    if again:
        log.warning("notification %s was being sent when warroom stopped: sent again", job.key)
    try:
        if method is None:
            raise VendorFailure(f"no contact {notification.contact!r} any more", retryable=False)
        message = IncidentPage(incident, escalation, notification)
        vendor_id = await registry.send(services, message, method)
    except VendorFailure as failure:
        return await _failed(services, incident, notification, failure, job.attempts + 1, again)
    await _settle(
        services, incident, notification, pages.SENT, vendor_id=vendor_id, possible_repeat=again
    )
    return None


# Why a notification that stopped its sender twice is not sent a third time.
STOPPED_TWICE = "warroom stopped twice while sending it; it may have gone out"


async def _method(
    session: AsyncSession, services: Services, notification: Notification
) -> Method | None:
    """Where the notification goes now (a number changed since the page started is used)."""
    if notification.method == SLACK:
        return Method(kind=SLACK, address=notification.user_id)
    contacts = services.settings.paging.contacts
    methods = await own.reached_by(session, contacts, notification.user_id)
    return notifying.method_in(methods, notification)


async def _failed(
    services: Services,
    incident: Incident,
    notification: Notification,
    failure: VendorFailure,
    attempt: int,
    possible_repeat: bool = False,
) -> datetime | None:
    # The detail names the service's answer, never the number or address.
    log.warning(
        "%s notification %s for %s failed, attempt %d: %s",
        notification.method,
        notification.id,
        incident.reference,
        attempt,
        failure.detail,
    )
    await tell_trouble(
        services,
        user=notification.user_id,
        contact=notification.contact,
        method=notification.method,
        failure=failure,
    )
    wait = timedelta(seconds=failure.retry_after or 0)
    # Tried again or not, the person's next rule does not wait for its offset.
    if failure.retryable and attempt < MAX_ATTEMPTS and wait <= LONGEST_WAIT:
        await fire_next_rule(services, incident, notification, failure.detail)
        await _release(services, notification)
        return services.clock() + max(RETRY_DELAYS[attempt - 1], wait)
    await _settle(
        services,
        incident,
        notification,
        pages.FAILED,
        detail=failure.detail,
        attempts=attempt,
        possible_repeat=possible_repeat,
    )
    await fire_next_rule(services, incident, notification, failure.detail)
    return None


async def say_failures(session: AsyncSession, services: Services, incident: Incident) -> bool:
    """Keep, for the incident's channel, a message for each of its notifications given up
    and not said yet (the caller holds the incident's lock and commits); whether any was.

    Called in the transaction that records a failure, and in the one after the channel of an
    alert's incident is made: a notification may fail before its war room exists (a page
    starts as the alert is applied), and is said once it does. Under the incident's lock,
    which the channel's transaction holds too: one of the two sees the other's work.
    """
    if incident.channel_id is None:
        return False
    attempts = await pages.failed_attempts(session, incident.id or 0)
    kept = False
    for notification in await pages.notifications_of(session, incident.id or 0):
        if notification.state != pages.FAILED:
            continue
        text = services.renderer.render(
            "messages/notification_failed.j2",
            incident=incident,
            notification=notification,
            detail=notification.detail or "",
            attempts=attempts.get(notification.id or 0, 1),
        )
        written = await outbox.post_once(
            session,
            channel=incident.channel_id,
            text=text,
            now=services.clock(),
            after=f"notification_failed:{notification.id}",
            incident_id=incident.id,
        )
        kept = kept or written is not None
    return kept


async def _release(services: Services, notification: Notification) -> None:
    """Put a notification that failed back to pending, to be tried again (unless its page
    ended meanwhile: then cancelled stays cancelled); one being sent once more after a
    sender stopped goes back to being sent, so its next try is still said as a possible
    repeat and a sender stopping then is its second (``pages.take``)."""
    now = services.clock()
    async with session_scope(services.engine) as session:
        for was, back in ((pages.SENDING, "pending"), (pages.RESENDING, pages.SENDING)):
            await session.exec(
                update(Notification)
                .where(col(Notification.id) == notification.id, col(Notification.state) == was)
                .values(state=back, updated_at=now)
            )
        await session.commit()


async def _settle(
    services: Services,
    incident: Incident,
    notification: Notification,
    outcome: str,
    *,
    vendor_id: str | None = None,
    detail: str | None = None,
    attempts: int = 1,
    possible_repeat: bool = False,
    reported: str | None = None,
) -> None:
    """Keep what became of the notification, and an entry of the incident's record; one
    given up is said in the incident's channel in the same transaction (once it has one).
    Counted on /metrics as ``reported`` (the provider's word: undelivered, no-answer) or
    ``outcome``; a page's first notification sent, with the time since the page started."""
    now = services.clock()
    said = False
    first_after: float | None = None
    async with session_scope(services.engine) as session:
        if outcome == pages.FAILED:
            # The incident's lock first, as acknowledgements take it before notifications.
            incident = await incidents.lock(session, incident)
        current, first_after = await notifying.mark(
            session,
            services,
            notification,
            outcome,
            vendor_id=vendor_id,
            detail=detail,
            now=now,
            reported=reported,
        )
        pages.record_outcome(
            session,
            incident,
            current,
            outcome=outcome,
            at=now,
            detail=detail,
            attempts=attempts,
            possible_repeat=possible_repeat,
        )
        if outcome == pages.FAILED:
            said = await say_failures(session, services, incident)
            if incident.channel_id is None:
                log.warning(
                    "notification %s failed before %s had a channel: said once it has one",
                    notification.id,
                    incident.reference,
                )
        await session.commit()
    notifying.counted(
        services, notification, current, reported or outcome, first_after, page="incident"
    )
    if said and incident.channel_id is not None:
        await deliver_now(services, incident.channel_id)


# What a provider reports (a Report's status), as what became of the notification: (outcome,
# said in the channel).
_REPORTED = {
    "delivered": ("delivered", False),
    "undelivered": ("failed", True),
    "failed": ("failed", True),
    "in-progress": ("answered", False),
    "busy": ("busy", False),
    "no-answer": ("no-answer", False),
}
# Reports after which the person was not reached that way: their next rule fires at once.
_NOT_REACHED = {"undelivered", "failed", "busy", "no-answer"}


async def record_status(services: Services, *, sid: str, report: Report) -> bool:
    """Keep what a provider reports of an SMS or a call (its status webhook, read as a
    Report: bot/clients/phone/reports.py) as what became of its
    notification, once (a replayed report changes nothing); False when no notification has
    that id (True for one whose fallback took over from it: known, nothing to do). A failure
    is said in the channel with why in words; one that blames the number tells its owner and
    their schedules' owners, once. An alert's (no incident) is kept
    alike and fires the next rule alike, said in no channel."""
    async with session_scope(services.engine) as session:
        notification = await pages.by_vendor_id(session, sid)
        if notification is None:
            return await pages.given_up_by_provider(session, sid)
        incident = (
            None
            if notification.incident_id is None
            else await session.get(Incident, notification.incident_id)
        )
    assert incident is not None or notification.alert_group_id is not None
    status = report.status
    if status == "completed" and notification.state == "sent":
        status = "in-progress"  # answered and ended, its "answered" report lost or late
    reported = _REPORTED.get(status)
    if reported is None or notification.state in (reported[0], pages.ANSWERED):
        return True
    outcome, say = reported
    detail = report.in_words if say else None  # a failure: said in the channel by _settle
    reported_as = "answered" if status == "in-progress" else status
    if incident is None:
        await notifying.settle(
            services, notification, outcome, vendor_id=sid, detail=detail, reported=reported_as
        )
    else:
        await _settle(
            services,
            incident,
            notification,
            outcome,
            vendor_id=sid,
            detail=detail,
            reported=reported_as,
        )
    if status in _NOT_REACHED:
        await fire_next_rule(services, incident, notification, report.in_words)
    if report.bad_number:
        # The number itself will not take pages (unknown, a landline, unsubscribed): its
        # owner and their schedules' owners are told, once, as when the provider refuses it.
        trouble = VendorFailure(report.in_words, retryable=False, bad_address=True)
        await tell_trouble(
            services,
            user=notification.user_id,
            contact=notification.contact,
            method=notification.method,
            failure=trouble,
        )
    elif outcome == pages.FAILED and incident is not None:
        # Not the number's fault: another provider may reach it (an incident's page; an
        # alert's goes on with the person's next rule, fired above).
        await _through_fallback(services, incident, notification, detail or status)
    return True


async def _through_fallback(
    services: Services, incident: Incident, notification: Notification, why: str
) -> None:
    """A provider took an SMS or a call, then reported it failed or undelivered: the
    contact's fallback provider carries it at once (its page still open), said in the
    channel. Its new id is the fallback's: the first provider repeating its report finds
    nothing to act on."""
    async with session_scope(services.engine) as session:
        current = await session.get(Notification, notification.id)
        page = await session.get(PersonPage, notification.page_id)
        method = None if current is None else await _method(session, services, current)
        escalation = None if page is None else await session.get(Escalation, page.escalation_id)
    if current is None or page is None or escalation is None or method is None:
        return
    first = current.provider or method.carrier
    if page.state != "open" or not method.fallback or method.fallback == first:
        return
    backup = replace(method, provider=method.fallback, fallback="")
    try:
        message = IncidentPage(incident, escalation, current)
        vendor_id = await registry.send(services, message, backup)
    except VendorFailure as failure:
        log.warning("%s notification %s: the fallback failed too: %s", current.method,
                    current.id, failure.detail)  # fmt: skip
        return
    await _settle(services, incident, current, pages.SENT, vendor_id=vendor_id)
    await phones.say_fallback(services, incident, current, why, first, method.fallback)
