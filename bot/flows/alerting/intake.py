"""Alerts into incidents: accept a webhook fast, apply it as a job, show it in Slack.

A webhook's body is stored with its processing job in one transaction before the sender
hears 202, so a crash, a bug or a Slack outage loses nothing: the job retries, and
``warroom alerts replay`` applies a stored payload again. A body that may page is applied
in that very transaction instead (``PayloadWriter._page_at_once``): its page's first
notifications are written with it and leave at its commit. The process's one
``PayloadWriter`` stores the other bodies that arrive together in one transaction (group
commit, bot/flows/group_commit.py): a burst of hundreds of webhooks as an outage begins is a few
commits, not hundreds queued for the database ahead of the jobs that open the war rooms.
What Slack shows follows from the record in further jobs (open the war room, post alert
changes, post to a route's channel: in_slack.py), each retried on its own and each
rate-limited by the Slack client's gate.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics import precedence
from bot.basics.logs import page_stage
from bot.flows.alerting import own_alerts
from bot.flows.escalation.levels import start_policy
from bot.flows.escalation.reach import arrival
from bot.flows.group_commit import BatchOutcome, GroupCommit, Pending
from bot.flows.incident import triggers
from bot.flows.incident.declare import by_type
from bot.flows.paging.alert_pages import acknowledge_locked, count_acknowledged, schedule_show
from bot.record.alerting import alerts, arrivals, integrations, maintenance, notes
from bot.record.alerting.payloads import ACKNOWLEDGED, NOTED, Notification
from bot.record.alerting.routes import Route, Routes
from bot.record.alerting.sources.generic.receiver import GENERIC
from bot.record.alerting.sources.generic.receiver import KIND as GENERIC_KIND
from bot.record.alerting.sources.registry import SOURCES
from bot.record.escalation.escalations import Why
from bot.record.escalation.policies import Policy
from bot.record.incident.incident_types import IncidentType
from bot.record.status_page.publications import announce_status
from bot.record.workflows.definitions import ALERT_RECEIVED
from bot.services import Services
from bot.store import jobs, wakeups
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import AlertPayload, Incident, Integration, Job, PersonPage
from bot.store.pool import ahead_in_line

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What applying a stored payload did, as the replay command reports it."""

    payload_id: int
    state: str
    incident: str | None = None
    opened: bool = False
    route: str = ""
    new_alerts: int = 0
    resolved_alerts: int = 0
    error: str | None = None


@dataclass(eq=False)
class _Received(Pending):
    """A parsed webhook body waiting for its batch."""

    body: arrivals.ReceivedBody

    def __str__(self) -> str:
        return f"a {self.body.source} alert payload"


class PayloadWriter(GroupCommit[_Received]):
    """The process's one writer of accepted webhook bodies and their processing jobs."""

    items = "alert payloads"

    def __init__(self, services: Services, **batching: Any) -> None:
        super().__init__(**batching)
        self.services = services

    async def accept(
        self,
        *,
        source: str,
        body: str,
        notification: Notification,
        arrived: datetime,
        integration_id: int | None = None,
    ) -> int:
        """Store a parsed webhook body and its processing job; its payload id once committed
        (the sender may then hear 202). ``arrived``: when its request reached warroom, kept as
        its ``received_at`` (the paging SLI counts from it)."""
        page_stage("accepted")
        received = arrivals.ReceivedBody(
            source=source,
            body=body,
            group_key=notification.group_key,
            received_at=arrived,
            pages=may_page(self.services, notification),
            integration_id=integration_id,
        )
        if received.pages:
            return await self._page_at_once(received, notification)
        payload_id: int = await self._submit(_Received(received))
        return payload_id

    async def _page_at_once(
        self, received: arrivals.ReceivedBody, notification: Notification
    ) -> int:
        """A body that may page, applied in the transaction that stores it: the payload, its
        alert, the page and the first notifications' rows commit together, and this
        process's job runner sends those notifications at the commit (their job rows, claimed
        as written, are the backstop: should the process die before they leave, they are
        sent once their claim runs out, here after a restart or by another replica). No job
        and no look of the runner stands between the arrival and the push. The group's
        payloads take turns before this one is numbered, so a group is applied in the order
        its notifications arrived (``arrivals.in_group_order``), the turn taken by the
        payload's INSERT (``arrivals.store_in_turn``). Should applying fail, the body
        is kept with its job as before (``_keep_at_once``), which applies it or keeps why not."""
        services = self.services
        given = services.handed.given
        try:
            team_id = await services.slack.team_id()
            with ahead_in_line(), precedence.urgent():
                async with session_scope(services.engine) as session:
                    payload_id = await arrivals.store_in_turn(session, received)
                    await _apply_in(
                        session,
                        services,
                        payload_id,
                        team_id,
                        again=False,
                        parsed=notification,
                        turn_held=(received.source, received.group_key),
                    )
                    await session.commit()
        except Exception:
            log.warning("applying a %s alert payload as it arrived failed: its job applies it",
                        received.source, exc_info=True)  # fmt: skip
            return await self._keep_at_once(received)
        page_stage("applied", payload_id)
        if services.handed.given == given:
            # Nothing handed to this process's runner: it looks for the jobs written. Else the
            # first notifications start on their own and wake it as they end, so its look (and
            # the alert's message it would start) does not run beside them.
            services.wake_jobs()
        return payload_id

    async def _keep_at_once(self, received: arrivals.ReceivedBody) -> int:
        """A body that may page, stored in a transaction of its own as it arrives: never
        queued behind a storm's bodies waiting for their batch (whose commit under load took
        seconds, bench/RESULTS.md), and waiting for a connection in the line served first,
        as Slack's writers do. It is numbered sharing its group's turn, as every body kept
        (``arrivals.store_payloads``): a group's notifications sent side by side (to two
        replicas) are applied in the order numbered even when one of them is kept this way
        while the next is applied as it arrives."""
        with ahead_in_line():
            async with session_scope(self.services.engine) as session:
                (payload_id,) = await keep_payloads(
                    session,
                    [received],
                    now=self.services.clock(),
                    announce=self.services.settings.runtime.pager_on,
                )
                await session.commit()
        page_stage("stored", payload_id)
        self.services.wake_jobs()
        return payload_id

    async def _transaction(self, batch: list[_Received]) -> BatchOutcome:
        async with session_scope(self.services.engine) as session:
            ids = await keep_payloads(
                session, [item.body for item in batch], now=self.services.clock()
            )
            await session.commit()
        self.services.wake_jobs()
        return BatchOutcome(results=dict(zip(batch, ids, strict=True)))


async def keep_payloads(
    session: AsyncSession,
    bodies: list[arrivals.ReceivedBody],
    *,
    now: datetime,
    announce: bool = False,
) -> list[int]:
    """Store alert bodies and the jobs that apply them (the caller commits); their ids.

    A body whose route starts a policy is applied by a job of its own kind, in a lane of its
    own: in a storm, the payloads received before it would otherwise be applied first, and
    the page it starts would wait for all of them.
    """
    ids = await arrivals.store_payloads(session, bodies)
    if announce and any(body.pages for body in bodies):
        # With WARROOM_PAGER_PROCESS=on the pager (bot/pager.py), a process of its own,
        # applies them: told at the commit, not at its next look.
        await wakeups.announce(session)
    for kind, pages in ((JobKind.ALERT_PAGING_PAYLOAD, True), (JobKind.ALERT_PAYLOAD, False)):
        keyed = [
            (f"alert-payload:{id_}", {"payload": id_})
            for id_, body in zip(ids, bodies, strict=True)
            if body.pages is pages
        ]
        if keyed:
            await jobs.schedule_new(session, kind=kind, due_at=now, keyed=keyed)
    return ids


async def keep_own_alerts(session: AsyncSession, services: Services, bodies: Sequence[str]) -> None:
    """Store alerts warroom raises itself (a missed heartbeat, a drill's failed providers), in
    the generic shape, to be applied as any webhook's are (the caller commits): one INSERT,
    their groups' numbering locks taken together in one statement, in key order."""
    now = services.clock()
    received = []
    for body in bodies:
        notification = GENERIC.parse(body, received_at=now)
        received.append(
            arrivals.ReceivedBody(
                source=GENERIC_KIND,
                body=body,
                group_key=notification.group_key,
                received_at=now,
                pages=may_page(services, notification),
            )
        )
    if received:
        await keep_payloads(session, received, now=now, announce=services.settings.runtime.pager_on)


def alert_routes(services: Services) -> Routes:
    """The routes alerts take: each heartbeat's own, then the routes file's."""
    return services.settings.heartbeats.heartbeats.routes_before(
        services.settings.alerting.routes, services.settings.incidents.default_severity
    )


def shadow_route(services: Services, routes: Routes, notification: Notification) -> Route | None:
    """An ``open`` route's alert of a shadowed service (or workspace), taken as a ``page``
    route's alert of its own: it opens no incident (no channel, nobody invited), and the
    policy the incident would have started (the route's, its type's, else its severity's) is
    computed and kept as who would have been notified and when (``own_alerts``), so that
    ``warroom shadow compare`` sees it. Each group is its own alert (no grouping window, no
    flapping hold), at the incident's severity and high urgency, as an incident pages.
    None: the route as it is (not ``open``, or not shadowed)."""
    route = routes.route_for(notification.route_labels)
    if route.action != "open":
        return None
    if not services.settings.alerting.shadowed(
        routes.service_for(route, notification.route_labels)
    ):
        return None
    kind = services.settings.incidents.types.get(route.incident_type)
    severity = alerts.opening_severity(route, notification, kind)
    policy = route_policy(services, kind, route.name, route.policy)[0]
    policy = policy or services.settings.escalation.policies.for_severity(severity)
    return replace(
        route,
        action="page",
        policy=policy.name if policy else None,
        severity=severity,
        urgency="high",
        group_window=timedelta(0),
        flapping=None,
        auto_resolve=None,
    )


def may_page(services: Services, notification: Notification) -> bool:
    """Whether applying the notification may page someone: it has a firing alert, and the
    incident its route would open starts a policy (the route's, its type's, or its
    severity's). Decided as the payload is received, so that it is applied ahead of the
    payloads that cannot page; whether it does open an incident (its group may have one
    open, a maintenance window may silence it) is known only when it is applied."""
    route = alert_routes(services).route_for(notification.route_labels)
    if route.action == "post" or not any(a.status == "firing" for a in notification.alerts):
        return False
    if route.action == "page":
        return True  # its own alert, paged to its route's policy (own_alerts.py)
    kind = services.settings.incidents.types.get(route.incident_type)
    if route_policy(services, kind, route.name, route.policy)[0] is not None:
        return True
    severity = alerts.opening_severity(route, notification, kind)
    return services.settings.escalation.policies.for_severity(severity) is not None


async def process_payload(services: Services, job: Job) -> None:
    """The job handler: apply a stored payload unless that was done already."""
    page_stage("job", job.key)
    await apply_payload(services, int(jobs.payload_of(job)["payload"]), again=False)


async def apply_payload(services: Services, payload_id: int, *, again: bool) -> Outcome:
    """Apply a stored payload to the record and schedule what Slack should show; the
    payloads of its group received before it and not applied yet are applied first, in
    order (``arrivals.in_group_order``).

    ``again`` applies one already processed (a replay); alerts already recorded are not
    recorded twice. A failure is kept on the payload row and raised.
    """
    try:
        team_id = await services.slack.team_id()
        try:
            outcome = await _apply_in_order(services, payload_id, team_id, again=again)
        except Exception as error:
            if not await _has_earlier(services, payload_id):
                raise
            # One of the earlier payloads failed (or the group moved on meanwhile): the
            # payload is applied alone, and the earlier one's own job retries and records it.
            log.warning("alert payload %s applied alone: %r", payload_id, error)
            outcome = await _apply_in_order(services, payload_id, team_id, again=again, alone=True)
    except Exception as error:
        await _record_failure(services, payload_id, error, again=again)
        raise
    services.wake_jobs()
    return outcome


async def _apply_in_order(
    services: Services, payload_id: int, team_id: str, *, again: bool, alone: bool = False
) -> Outcome:
    async with session_scope(services.engine) as session:
        outcome = await _apply_in(session, services, payload_id, team_id, again=again, alone=alone)
        await session.commit()
    page_stage("applied", payload_id)
    return outcome


async def _apply_in(
    session: AsyncSession,
    services: Services,
    payload_id: int,
    team_id: str,
    *,
    again: bool,
    alone: bool = False,
    parsed: Notification | None = None,
    turn_held: tuple[str, str] | None = None,
) -> Outcome:
    """Apply the payload after its group's earlier ones not applied yet, in the caller's
    transaction (the caller commits); ``parsed``: the payload's body as read on arrival;
    ``turn_held``: the payload's source and group key, whose turn the transaction holds
    already (it stored the payload: they are not read again)."""
    ordered = await arrivals.in_group_order(
        session, payload_id, alone=alone, turn=turn_held is None, group=turn_held
    )
    if not ordered or ordered[-1].id != payload_id:
        raise LookupError(f"no alert payload {payload_id}")
    *earlier, payload = ordered
    if payload.state == "processed" and not again:
        return _outcome(payload)
    for each in earlier:
        await _apply_one(session, services, each, team_id)
    return await _apply_one(session, services, payload, team_id, parsed)


async def _has_earlier(services: Services, payload_id: int) -> bool:
    async with session_scope(services.engine) as session:
        return len(await arrivals.in_group_order(session, payload_id)) > 1


async def _apply_one(
    session: AsyncSession,
    services: Services,
    payload: AlertPayload,
    team_id: str,
    parsed: Notification | None = None,
) -> Outcome:
    """Apply one payload in the caller's transaction (the caller commits); ``parsed``: its
    body as read on arrival, not read twice."""
    # Off the event loop, as at intake: a body that took long to read there takes as long here.
    notification = (
        parsed
        if parsed is not None
        else await services.parsing.bodies.run_sized(
            len(payload.body.encode()),
            SOURCES.alerts(payload.source).parser,
            payload.body,
            received_at=payload.received_at,
        )
    )
    # As the integration whose key it came with sent it: its service's, its groups its own.
    integration = (
        await session.get(Integration, payload.integration_id) if payload.integration_id else None
    )
    notification = await alerts.numbered(session, integrations.scoped(notification, integration))
    if notification.status == ACKNOWLEDGED:
        return await _acknowledged(session, services, payload, notification, integration)
    if notification.status == NOTED:
        return await _noted(session, services, payload, notification, integration)
    # Alerts a maintenance window matches are kept as silenced by it, and go no further.
    notification = await maintenance.silence(session, payload, notification, now=services.clock())
    if not notification.alerts:
        payload.state, payload.processed_at = "processed", services.clock()
        payload.error = None
        session.add(payload)
        return _outcome(payload, silenced=True)
    routes = alert_routes(services)
    shadow = shadow_route(services, routes, notification)
    if shadow is not None:
        notification = replace(notification, urgency=None)  # an incident's pages are high
    applied = await alerts.apply_notification(
        session,
        payload,
        notification,
        routes=routes,
        team_id=team_id,
        timezone=services.settings.incidents.timezone,
        now=services.clock(),
        types=services.settings.incidents.types,
        route=shadow,
    )
    await _keep_note(session, services, payload, notification, integration)  # a close's note
    await _start_pages_and_follow_ups(session, services, payload, applied)
    return _outcome(payload, applied)


async def _acknowledged(
    session: AsyncSession,
    services: Services,
    payload: AlertPayload,
    notification: Notification,
    integration: Integration | None,
) -> Outcome:
    """A vendor's acknowledgement (PagerDuty's ``acknowledge``, Opsgenie's ``/acknowledge``):
    the group its key names, if triggered, is acknowledged as the Slack button does it, by
    the integration (its name; the source's kind for the default one). Of a group unknown,
    or not triggered, nothing changes: the vendor drops it too."""
    now = services.clock()
    group = await alerts.group_of(session, notification.source, notification.group_key)
    acknowledged: list[PersonPage] = []
    if group is not None and group.state == alerts.TRIGGERED:
        by = integration.name if integration is not None else payload.source
        acknowledged = await acknowledge_locked(session, group, now, user=by, via=payload.source)
    await _keep_note(session, services, payload, notification, integration)
    payload.state, payload.processed_at, payload.error = "processed", now, None
    session.add(payload)
    count_acknowledged(services, acknowledged, payload.source, now)
    return _outcome(payload)


async def _noted(
    session: AsyncSession,
    services: Services,
    payload: AlertPayload,
    notification: Notification,
    integration: Integration | None,
) -> Outcome:
    """A vendor's note on its alert (Opsgenie's "Add Note to Alert"), kept (``_keep_note``)
    and shown on the alert's message. Of a group unknown nothing is kept: the request's status
    says it failed."""
    await _keep_note(session, services, payload, notification, integration)
    now = services.clock()
    payload.state, payload.processed_at, payload.error = "processed", now, None
    session.add(payload)
    return _outcome(payload)


async def _keep_note(
    session: AsyncSession,
    services: Services,
    payload: AlertPayload,
    notification: Notification,
    integration: Integration | None,
) -> None:
    """The note a request carries (Add Note's; a close's or an acknowledgement's, when it
    has one) kept on the group its key names, by the request's user, else the integration
    (as its acknowledgement is), said on the incident the alert is in and shown on its
    message."""
    if notification.note is None:
        return  # most requests: no query
    group = await alerts.group_of(session, notification.source, notification.group_key)
    if group is None:
        return
    by = notification.note.user or (integration.name if integration is not None else payload.source)
    await notes.add_note(
        session,
        group,
        notification.note,
        by=by,
        via=payload.source,
        # When it reached warroom, not when its job applied it: notes read in the order
        # their sender made them, whatever a backlog did to their jobs.
        at=payload.received_at,
        payload_id=payload.id,
    )
    if group.message_channel:
        await schedule_show(session, group, services.clock(), also=f"note:{payload.id}")


async def _start_pages_and_follow_ups(
    session: AsyncSession, services: Services, payload: AlertPayload, applied: alerts.Applied
) -> None:
    """What an applied payload sets off, in its own transaction: the policy of an incident it
    opened starts paging (and an alert of its own pages by its policy), and the Slack work
    after it is scheduled as jobs: the war room, a notice on each incident it touched, its
    post to a route's channel; a status it moved is announced and the workflows of a status
    entered or an alert received are started."""
    now, route = services.clock(), applied.route
    incident = applied.incident
    if applied.opened and incident is not None:
        # The policy starts now, in the transaction that opened the incident: its pages go
        # out while the war room waits its turn at Slack's limits (people are brought into
        # the channel once it exists; the war room's own start of the policy finds it begun).
        policy, why = policy_of(services, incident, route.name, route.policy)
        # Its pages count from the alert's arrival.
        await start_policy(session, services, incident, policy, why, arrived_at=payload.received_at)
        await _schedule(
            session,
            JobKind.ALERT_WAR_ROOM,
            f"alert-war-room:{incident.id}",
            now,
            incident_id=incident.id,
            route=route.name,
            flags=applied.flags,
            # Should the policy start only there (a level a job decides, not done yet), its
            # pages count from the alert's arrival too.
            **arrival(payload.received_at),
        )
    for incident_id in sorted(applied.touched_incidents):
        if applied.opened and incident is not None and incident_id == incident.id:
            continue  # the war room job shows the first alerts
        await _schedule(
            session,
            JobKind.ALERT_NOTICE,
            f"alert-notice:{incident_id}:{payload.id}",
            now,
            incident_id=incident_id,
            refresh=applied.moved is not None,
        )
    if applied.moved is not None:
        # As a person's status change: its announcement on the status page, its workflows, and
        # the timers counting in monitoring.
        await announce_status(session, applied.moved, at=now)
        await triggers.status_entered(session, services, applied.moved, at=now)
    for alert in applied.new_alerts:
        target = await session.get(Incident, alert.incident_id) if alert.incident_id else None
        if target is not None and target.is_open:
            await triggers.started(
                session,
                services,
                target,
                ALERT_RECEIVED,
                event=f"alert:{alert.id}",
                labels=json.loads(alert.labels or "{}"),
            )
    # An alert of its own: its policy pages in this transaction, its message follows.
    await own_alerts.follow(session, services, applied, arrived_at=payload.received_at)
    if route.action == "post" and (applied.new_alerts or applied.resolved_alerts):
        group_id = (applied.new_alerts or applied.resolved_alerts)[0].group_id
        await _schedule(
            session,
            JobKind.ALERT_POST,
            f"alert-post:{payload.id}",
            now,
            group=group_id,
            channel=route.channel,
            route=route.name,
        )


async def _schedule(
    session: AsyncSession,
    kind: str,
    key: str,
    due_at: datetime,
    *,
    incident_id: int | None = None,
    **payload: Any,
) -> None:
    await jobs.schedule(
        session, kind=kind, key=key, due_at=due_at, incident_id=incident_id, payload=payload
    )


async def _record_failure(
    services: Services, payload_id: int, error: Exception, *, again: bool
) -> None:
    async with session_scope(services.engine) as session:
        payload = await session.get(AlertPayload, payload_id, with_for_update=True)
        if payload is None or (payload.state == "processed" and not again):
            # Applied meanwhile, in order before a later payload of its group: kept so.
            return
        payload.state = "failed"
        payload.attempts += 1
        payload.error = f"{type(error).__name__}: {error}"[:2000]
        session.add(payload)
        await session.commit()
    log.error("alert payload %s failed: %s", payload_id, payload.error)


def _outcome(
    payload: AlertPayload, applied: alerts.Applied | None = None, *, silenced: bool = False
) -> Outcome:
    assert payload.id is not None
    if applied is None:
        state = "silenced" if silenced else payload.state
        return Outcome(payload_id=payload.id, state=state, error=payload.error)
    incident = applied.incident
    return Outcome(
        payload_id=payload.id,
        state=payload.state,
        incident=incident.reference if incident else None,
        opened=applied.opened,
        route=applied.route.name,
        new_alerts=len(applied.new_alerts),
        resolved_alerts=len(applied.resolved_alerts),
    )


def policy_of(
    services: Services, incident: Incident, route: str, named: str | None
) -> tuple[Policy | None, Why]:
    """The policy an alert's incident starts (its route's, else its type's) and why."""
    kind = services.settings.incidents.types.get(incident.incident_type)
    return route_policy(services, kind, route, named)


def route_policy(
    services: Services, kind: IncidentType | None, route: str, named: str | None
) -> tuple[Policy | None, Why]:
    """The policy an incident of type ``kind`` opened by ``route`` starts, and why."""
    policies = services.settings.escalation.policies
    policy = policies.get(named or "")
    why: Why = {"because": "route", "route": route, "policy": named}
    if policy is None and kind is not None and kind.policy:
        policy = policies.get(kind.policy)
        why = by_type(kind, policy) if policy else why
    return policy, why
