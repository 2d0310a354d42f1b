"""Alerts: notifications applied to alert groups and their incidents (the bodies are kept as
they arrive by ``arrivals``).

No Slack in here. A notification is applied under its group's row lock, so replicas that
receive notifications of one group at once open one incident between them. An alert's state
only moves forward (firing, then resolved), which makes applying notifications out of order,
or twice, harmless.

What the timeline's entries state is ``alert_entries``; how alerts are told apart and linked,
``alert_labels``; the changes a channel has yet to show, ``alert_changes``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.slack_text import SlackText
from bot.record.alerting.alert_entries import (
    FUTURE_SKEW,
    by_incident,
    changed_facts,
    detection_facts,
    time_flags,
)
from bot.record.alerting.alert_labels import (
    NAMED_IN_ENTRY,
    alert_links,
    describe,
    shared_labels,
)
from bot.record.alerting.grouping import ACKNOWLEDGED as ACKNOWLEDGED
from bot.record.alerting.grouping import ATTACHED as ATTACHED
from bot.record.alerting.grouping import HELD as HELD
from bot.record.alerting.grouping import OPEN_STATES as OPEN_STATES
from bot.record.alerting.grouping import (
    REOPENED,
    ROUTE_TURNS,
    flapping,
    flips_now,
    join,
    joined_ids,
    open_in_window,
)
from bot.record.alerting.grouping import RESOLVED as RESOLVED
from bot.record.alerting.grouping import SNOOZED as SNOOZED
from bot.record.alerting.grouping import TRIGGERED as TRIGGERED
from bot.record.alerting.grouping import group_key_hash as group_key_hash
from bot.record.alerting.grouping import group_of as group_of
from bot.record.alerting.grouping import joined as joined_alert
from bot.record.alerting.grouping import lock_alert as lock_alert
from bot.record.alerting.grouping import still_firing as still_firing
from bot.record.alerting.integrations import sender_prefix
from bot.record.alerting.payloads import AlertSeen, Notification
from bot.record.alerting.routes import Route, Routes
from bot.record.incident import incidents
from bot.record.incident.incident_types import NO_TYPES, IncidentType, IncidentTypes
from bot.record.incident.timeline import add_entry
from bot.store.db import insert_kept, take_turns
from bot.store.episodes import begin_episode
from bot.store.models import (
    Alert,
    AlertGroup,
    AlertPayload,
    EpisodeFacts,
    Incident,
    Status,
    TimelineKind,
)

DESCRIPTION_MAX = 1000
# The snoozes an alert's message (and its people's App Home) offers, in minutes: 30 min to
# 24 h (a route's ``max_snooze`` may allow less: a longer one chosen is refused in words).
SNOOZE_CHOICES = (30, 60, 120, 240, 480, 1440)


@dataclass
class Applied:
    """What applying one notification changed."""

    route: Route
    incident: Incident | None = None
    opened: bool = False
    # The service its alerts carry (the route's, or their ``service`` label's).
    service: str | None = None
    new_alerts: list[Alert] = field(default_factory=list)
    resolved_alerts: list[Alert] = field(default_factory=list)
    # The incident the notification moved to monitoring (its last alert resolved), if any.
    moved: Incident | None = None
    # Why new alerts' times look wrong, as data (templates say it: _alerts.j2, entries/).
    flags: list[dict[str, Any]] = field(default_factory=list)
    # The alerts the detection entry of a newly opened incident names.
    detected: list[Alert] = field(default_factory=list)
    # Incidents whose channel has alert changes to show.
    touched_incidents: set[int] = field(default_factory=set)
    # A ``page`` route's group, an alert of its own, and what the notification did to it:
    # triggered (a new episode: page it), repeated (counted, never paged again: a joined
    # alert's firing included, the group then the alert it joined), resolved, or held (a
    # flapping alert's source said resolved: it waits for its quiet period).
    alert_group: AlertGroup | None = None
    alert_event: str | None = None
    # An alert that joined it raised its urgency (``raised``: paged anew) or reopened it
    # acknowledged (``reopened``: ``notify``, who acknowledged it, paged at ``notify_urgency``,
    # the joining alert's; nobody named: its policy from level 1).
    notify: str | None = None
    notify_urgency: str = "high"


async def apply_notification(
    session: AsyncSession,
    payload: AlertPayload,
    notification: Notification,
    *,
    routes: Routes,
    team_id: str,
    timezone: str,
    now: datetime,
    types: IncidentTypes = NO_TYPES,
    route: Route | None = None,
) -> Applied:
    """Record the notification's alerts; open, update or leave the group's incident (the
    caller commits). ``route``: the route already chosen for it (a shadowed ``open`` route
    taken as a ``page`` one, ``intake.shadow_route``), else the first whose matchers hold."""
    route = route or routes.route_for(notification.route_labels)
    applied = Applied(route=route, service=routes.service_for(route, notification.route_labels))
    if applied.route.action == "page" and applied.route.group_window:
        await take_turns(session, ROUTE_TURNS, applied.route.name)
    group, new_group = await _locked_group(session, notification, applied.route, now)
    group.service = applied.service
    # The incident's lock before its alerts' rows: showing alert changes takes the incident's
    # lock and then the alerts', and the payload's incident_id checks the incident's row, so
    # taking them the other way round here deadlocks against it on PostgreSQL.
    incident = await _locked_incident(session, group)
    applied.new_alerts, applied.resolved_alerts = await _record_alerts(
        session, group, payload, notification.alerts, new_group=new_group
    )
    applied.flags = time_flags(applied.new_alerts, payload.received_at)
    if applied.route.action == "open":
        incident = await _incident_for(
            session,
            applied,
            group,
            incident,
            notification,
            payload,
            team_id=team_id,
            timezone=timezone,
            now=now,
            types=types,
        )
    if applied.route.action == "page":
        await _follow_own_alert(session, applied, group, notification, now, incident)
    applied.incident = incident
    _record_changes(session, applied, notification)
    if incident is not None and incident.is_open:
        await _follow_resolution(session, applied, incident, notification, now)
    _processed(session, payload, incident, applied.flags, now)
    return applied


async def _locked_incident(session: AsyncSession, group: AlertGroup) -> Incident | None:
    """The group's incident, if any, locked."""
    incident = await incidents.get(session, group.incident_id) if group.incident_id else None
    return await incidents.lock(session, incident) if incident is not None else None


def _processed(
    session: AsyncSession,
    payload: AlertPayload,
    incident: Incident | None,
    flags: list[dict[str, Any]],
    now: datetime,
) -> None:
    """The payload marked processed, with its incident and the flags of its alerts' times."""
    payload.state = "processed"
    payload.processed_at = now
    payload.error = None
    payload.incident_id = incident.id if incident else None
    payload.flags = json.dumps(flags) if flags else ""
    session.add(payload)


async def _follow_own_alert(
    session: AsyncSession,
    applied: Applied,
    group: AlertGroup,
    notification: Notification,
    now: datetime,
    incident: Incident | None = None,
) -> None:
    """A ``page`` route's alert as the notification leaves it (the caller holds the group's
    lock): a new episode when it fires while not open, unless the route groups and an alert
    of its route, sender and service triggered within its window is open (it joins that
    one, raising its urgency or reopening it acknowledged: ``grouping.join``); a repeat
    counted while open (or joined); resolved when none of its alerts fires any more, unless
    it is flapping (held open until it stays quiet, ``own_alerts``); attached to an
    incident, as ``_follow_incident`` says."""
    route = applied.route
    fires = any(alert.status == "firing" for alert in notification.alerts)
    _follow_incident(session, applied, group, incident, fires, now)
    joined, joining = await _joined(session, applied, group, notification, fires, now)
    if joined is not None:
        group = joined  # its alerts count on the alert they joined, which nobody pages again
        group.last_seen_at = now
    applied.alert_group = group
    if fires and group.state not in OPEN_STATES:
        _new_episode(group, route, notification, now)
        applied.alert_event = TRIGGERED
    elif fires:
        group.fired_count, group.last_fired_at = group.fired_count + 1, now
        if group.flapping_since is not None and joined is None and applied.new_alerts:
            group.flips = json.dumps([*json.loads(group.flips), now.isoformat()])
        applied.alert_event = "repeated"
    elif group.state in OPEN_STATES and not await still_firing(session, group):
        if group.flapping_since is not None:
            applied.alert_event = HELD  # resolved by itself once quiet long enough
        else:
            group.state, group.resolved_at, group.resolved_by = RESOLVED, now, None
            applied.alert_event = RESOLVED
    applied.alert_event = joining or applied.alert_event
    session.add(group)


def _new_episode(
    group: AlertGroup, route: Route, notification: Notification, now: datetime
) -> None:
    """The alert triggered anew: a new episode, begun fresh (no incident, acknowledgement,
    resolution, snooze, escalation or joining of the last one: ``EpisodeFacts``' defaults),
    paged from the start of its policy. The last one's facts stay on its own row."""
    flips = flips_now(group, route, now)
    fresh = EpisodeFacts(
        episode=group.episode + 1,
        state=TRIGGERED,
        title=route.render_title(title_context(notification)),
        severity=route.severity or notification.severity,
        policy=route.policy,
        fired_count=1,
        triggered_at=now,
        last_fired_at=now,
        message_channel=route.channel,
        urgency=notification.urgency or route.urgency,
        flips=json.dumps(flips),
        flapping_since=now if flapping(route, flips) else None,
    )
    begin_episode(group, fresh)


async def _joined(
    session: AsyncSession,
    applied: Applied,
    group: AlertGroup,
    notification: Notification,
    fires: bool,
    now: datetime,
) -> tuple[AlertGroup | None, str | None]:
    """The open alert the group's alerts count on, locked: the one they joined before, or
    the one they join now (a firing while not open, its route grouping), keeping their own
    title, severity and urgency (listed on it); and what joining now does to it (``join``)."""
    joined = await joined_alert(session, group)
    if joined is not None or not fires or group.state in OPEN_STATES:
        return joined, None
    route = applied.route
    joined = await open_in_window(session, route, group, now)
    if joined is None:
        return None, None
    group.title = route.render_title(title_context(notification))
    group.severity = route.severity or notification.severity
    group.urgency = notification.urgency or route.urgency
    group.triggered_at = group.last_fired_at = now
    acknowledger = joined.acknowledged_by
    joining = join(group, joined, group.urgency)
    if joining == REOPENED:
        applied.notify, applied.notify_urgency = acknowledger, group.urgency
    session.add(group)
    return joined, joining


def _follow_incident(
    session: AsyncSession,
    applied: Applied,
    group: AlertGroup,
    incident: Incident | None,
    fires: bool,
    now: datetime,
) -> None:
    """An alert attached to an incident (declared as one, or attached): while that incident
    is open, its new alerts are the incident's (and a firing after its resolve attaches it
    again); once it is closed, the alert ended with it (a firing is a new episode)."""
    if group.incident_id is not None and incident is not None and incident.is_open:
        for alert in applied.new_alerts:
            alert.incident_id = incident.id
            session.add(alert)
        if fires and group.state == RESOLVED:
            group.state, group.resolved_at, group.resolved_by = ATTACHED, None, None
    elif group.state == ATTACHED:
        closed_at = incident.resolved_at if incident is not None else None
        group.state, group.resolved_at = RESOLVED, closed_at or now


async def numbered(session: AsyncSession, notification: Notification) -> Notification:
    """A (scoped) notification naming its alert by number, keyed as that alert is when the
    same source and sender (the same integration, or the default one) sent it; as it is
    otherwise (a key nobody sent: it changes nothing). Any other: as it is."""
    if notification.alert_number is None:
        return notification
    group = await session.get(AlertGroup, notification.alert_number)
    prefix = sender_prefix(notification.group_key)
    if (
        group is None
        or group.source != notification.source
        or sender_prefix(group.group_key) != prefix
    ):
        return notification
    key = group.group_key.removeprefix(prefix)
    alerts = tuple(replace(alert, fingerprint=key) for alert in notification.alerts)
    return replace(notification, group_key=group.group_key, alerts=alerts)


async def _locked_group(
    session: AsyncSession, notification: Notification, route: Route, now: datetime
) -> tuple[AlertGroup, bool]:
    """The notification's alert group, locked, and whether it is new (written just now)."""
    key_hash = group_key_hash(notification.group_key)
    made = AlertGroup(
        source=notification.source,
        key_hash=key_hash,
        group_key=notification.group_key,
        route=route.name,
        first_seen_at=now,
        last_seen_at=now,
    )
    if await insert_kept(session, made):
        # Written by this transaction, so nobody else sees it (nor takes it) before the commit:
        # no second round trip to read and lock it (a page's transaction, bench/RESULTS.md).
        return made, True
    statement = (
        select(AlertGroup)
        .where(AlertGroup.source == notification.source, AlertGroup.key_hash == key_hash)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    group = (await session.exec(statement)).one()
    group.last_seen_at = now
    group.route = route.name
    session.add(group)
    return group, False


async def _record_alerts(
    session: AsyncSession,
    group: AlertGroup,
    payload: AlertPayload,
    seen: Sequence[AlertSeen],
    *,
    new_group: bool = False,
) -> tuple[list[Alert], list[Alert]]:
    """Store alerts not seen before and resolve those now resolved; return (new, resolved).
    A ``new_group`` has none stored yet: they are not looked for."""
    assert group.id is not None and payload.id is not None
    fingerprints = {alert.fingerprint for alert in seen}
    known = [] if new_group else await _known_alerts(session, group.id, fingerprints)
    new: list[Alert] = []
    resolved: list[Alert] = []
    for alert in seen:
        row = _same_firing(known, alert)
        if row is None:
            row = _new_alert(group.id, payload.id, alert)
            known.append(row)
            new.append(row)
            if row.status == "resolved":
                resolved.append(row)
        elif row.status == "firing" and alert.status == "resolved":
            row.status = "resolved"
            row.ends_at = alert.ends_at
            resolved.append(row)
        row.last_payload_id = payload.id
        session.add(row)
    await session.flush()
    return new, resolved


async def _known_alerts(
    session: AsyncSession, group_id: int, fingerprints: set[str]
) -> list[Alert]:
    statement = select(Alert).where(
        Alert.group_id == group_id, col(Alert.fingerprint).in_(fingerprints)
    )
    return list((await session.exec(statement)).all())


def _same_firing(known: Iterable[Alert], alert: AlertSeen) -> Alert | None:
    """The stored alert this one is: the same firing (fingerprint and start), or, when the
    sender gave no start of its own, the one of its fingerprint still firing."""
    same_start = [
        row
        for row in known
        if row.fingerprint == alert.fingerprint and row.starts_at == alert.starts_at
    ]
    if same_start or alert.start_given:
        return same_start[0] if same_start else None
    return next(
        (row for row in known if row.fingerprint == alert.fingerprint and row.status == "firing"),
        None,
    )


def _new_alert(group_id: int, payload_id: int, alert: AlertSeen) -> Alert:
    return Alert(
        group_id=group_id,
        fingerprint=alert.fingerprint,
        name=alert.name,
        status=alert.status,
        starts_at=alert.starts_at,
        ends_at=alert.ends_at if alert.status == "resolved" else None,
        summary=alert.summary,
        labels=json.dumps(dict(alert.labels), sort_keys=True),
        annotations=json.dumps(dict(alert.annotations), sort_keys=True),
        links=json.dumps([{"text": link.text, "url": link.url} for link in alert.links]),
        first_payload_id=payload_id,
        last_payload_id=payload_id,
    )


async def _incident_for(
    session: AsyncSession,
    applied: Applied,
    group: AlertGroup,
    incident: Incident | None,
    notification: Notification,
    payload: AlertPayload,
    *,
    team_id: str,
    timezone: str,
    now: datetime,
    types: IncidentTypes,
) -> Incident | None:
    """The incident the group's new alerts belong to, opened now if none is open."""
    newly_firing = [alert for alert in applied.new_alerts if alert.status == "firing"]
    if (incident is None or not incident.is_open) and newly_firing:
        incident = await _open_for_alerts(
            session,
            applied,
            notification,
            newly_firing,
            previous=incident,
            team_id=team_id,
            timezone=timezone,
            received_at=payload.received_at,
            now=now,
            types=types,
        )
        group.incident_id = incident.id
        session.add(group)
        applied.opened = True
        applied.detected = newly_firing
    if incident is not None:
        for alert in applied.new_alerts:
            alert.incident_id = incident.id
            session.add(alert)
    return incident


async def _open_for_alerts(
    session: AsyncSession,
    applied: Applied,
    notification: Notification,
    firing: Sequence[Alert],
    *,
    previous: Incident | None,
    team_id: str,
    timezone: str,
    received_at: datetime,
    now: datetime,
    types: IncidentTypes,
) -> Incident:
    route = applied.route
    # The route's type (WARROOM_INCIDENT_TYPES) fills in what the route and the alert leave.
    kind = types.get(route.incident_type)
    detected_at = _detected_at(firing, received_at)
    incident = await incidents.open_incident(
        session,
        team_id=team_id,
        # An alert's words are plain text: encoded once here, as Slack text is kept.
        title=SlackText.from_plain(route.render_title(title_context(notification))),
        declared_by=notification.sender,
        severity=opening_severity(route, notification, kind),
        timezone=timezone,
        declared_at=now,
        description=_description(notification),
        detected_at=detected_at,
        commander=None,
        previous_incident_id=previous.id if previous else None,
        is_private=bool(kind and kind.private),
        incident_type=kind.name if kind else None,
        service=applied.service,
    )
    if kind is not None and kind.postmortem_style:
        incident.postmortem_style = kind.postmortem_style
    add_entry(
        session,
        incident,
        kind=TimelineKind.DETECTION,
        facts=detection_facts(notification, firing, applied.flags, previous),
        author=notification.sender,
        occurred_at=detected_at,
    )
    return incident


def _detected_at(firing: Sequence[Alert], received_at: datetime) -> datetime:
    """When the incident was detected: its first alert's start. An incident is not detected
    in the future; the sender's clock is off then (flagged), and the receipt is used."""
    detected_at = min(alert.starts_at for alert in firing)
    return received_at if detected_at > received_at + FUTURE_SKEW else detected_at


def _description(notification: Notification) -> SlackText:
    """The incident's description: the alerts' own first (Grafana's message is a whole
    rendered template), as Slack text (an alert's words are plain text)."""
    said = notification.common_annotations.get("description") or notification.message
    return SlackText.from_plain(said[:DESCRIPTION_MAX])


def opening_severity(route: Route, notification: Notification, kind: IncidentType | None) -> str:
    """The severity of an incident the notification opens: the route's, else the one the
    alert states, else its type's, else SEV3."""
    return route.severity or notification.severity or (kind.severity if kind else None) or "SEV3"


def title_context(notification: Notification) -> dict[str, object]:
    """What a route's title template can use."""
    return {
        "labels": dict(notification.route_labels),
        "annotations": dict(notification.common_annotations),
        "group_labels": dict(notification.group_labels),
        "alerts": [
            {
                "labels": dict(alert.labels),
                "annotations": dict(alert.annotations),
                "status": alert.status,
            }
            for alert in notification.alerts
        ],
        "status": notification.status,
        "source": notification.sender,
        "title": notification.title,
    }


def _record_changes(session: AsyncSession, applied: Applied, notification: Notification) -> None:
    """Timeline entries for alerts that started or stopped firing, on the incident of each."""
    common = notification.route_labels
    detected = {id(alert) for alert in applied.detected}
    later = [alert for alert in applied.new_alerts if id(alert) not in detected]
    for incident_id, alerts in by_incident(later).items():
        add_entry(
            session,
            incident_id,
            kind=TimelineKind.ALERT,
            facts=changed_facts("firing", alerts, common, applied.flags),
            author=notification.sender,
            occurred_at=min(alert.starts_at for alert in alerts),
        )
    for incident_id, alerts in by_incident(applied.resolved_alerts).items():
        add_entry(
            session,
            incident_id,
            kind=TimelineKind.ALERT,
            facts=changed_facts("resolved", alerts, common, []),
            author=notification.sender,
            occurred_at=max(alert.ends_at or alert.starts_at for alert in alerts),
        )
    changed = [*applied.new_alerts, *applied.resolved_alerts]
    applied.touched_incidents = {a.incident_id for a in changed if a.incident_id is not None}


async def _follow_resolution(
    session: AsyncSession,
    applied: Applied,
    incident: Incident,
    notification: Notification,
    now: datetime,
) -> None:
    """With ``on_resolved: monitoring``, the last alert resolving moves the incident on."""
    if applied.route.on_resolved != "monitoring" or not applied.resolved_alerts:
        return
    if incident.status not in (Status.INVESTIGATING, Status.IDENTIFIED):
        return
    statement = select(Alert.id).where(Alert.incident_id == incident.id, Alert.status == "firing")
    if (await session.exec(statement)).first() is not None:
        return
    await incidents.set_status(
        session, incident, status=Status.MONITORING, by=notification.sender, at=now
    )
    applied.moved = incident


async def lock_group(session: AsyncSession, group_id: int) -> AlertGroup | None:
    statement = select(AlertGroup).where(AlertGroup.id == group_id).with_for_update()
    return (await session.exec(statement)).first()


async def alerts_of(session: AsyncSession, incident_id: int) -> list[Alert]:
    """The incident's alerts, each firing once, oldest first."""
    statement = (
        select(Alert)
        .where(Alert.incident_id == incident_id)
        .order_by(col(Alert.starts_at), col(Alert.id))
    )
    return list((await session.exec(statement)).all())


async def all_resolved_at(session: AsyncSession, incident_id: int) -> datetime | None:
    """When the incident's alerts had all stopped firing (the last one's end); None while
    one still fires, or when it has none."""
    statement = select(Alert.status, Alert.ends_at).where(Alert.incident_id == incident_id)
    alerts = (await session.exec(statement)).all()
    if not alerts or any(status != "resolved" for status, _ in alerts):
        return None
    ends = [ends_at for _, ends_at in alerts if ends_at is not None]
    return max(ends) if ends else None


@dataclass(frozen=True)
class AlertDetails:
    """What an alert's own message shows of what its source said: the labels and
    annotations its firing alerts share (the last alert's when none fires), its links, and
    its runbook (the ``runbook_url`` annotation, else the route's)."""

    labels: dict[str, str]
    annotations: dict[str, str]
    links: list[tuple[str, str]]
    runbook: str | None
    # The distinct alerts of its episode when more than one (a few, then how many more).
    held: list[str] = field(default_factory=list)
    more: int = 0


# Annotations longer than this are cut on the alert's message (the source has them whole).
ANNOTATION_SHOWN = 300
# The latest alerts of a group (and those that joined it) its message reads.
HELD_READ = 200


async def details_of(session: AsyncSession, group: AlertGroup, route: Route) -> AlertDetails:
    """The group's labels, annotations, links and runbook, as its message shows them, and
    the distinct alerts it holds (those that joined it included)."""
    ids = await joined_ids(session, group)
    statement = select(Alert).where(col(Alert.group_id).in_(ids)).order_by(col(Alert.id).desc())
    rows = list((await session.exec(statement.limit(HELD_READ))).all())
    shown = [row for row in rows if row.status == "firing"] or rows[:1]
    annotations: dict[str, str] = {}
    if shown:
        annotations = dict(json.loads(shown[0].annotations))
        for row in shown[1:]:
            theirs = json.loads(row.annotations)
            annotations = {k: v for k, v in annotations.items() if theirs.get(k) == v}
    runbook = annotations.pop("runbook_url", None)
    if not (runbook and runbook.startswith(("https://", "http://"))):
        runbook = route.runbook
    since = group.triggered_at
    held = [r for r in rows if r.status == "firing" or (since and r.ends_at and r.ends_at >= since)]
    common = shared_labels(held)
    distinct = list(dict.fromkeys(describe(row, common) for row in reversed(held)))
    return AlertDetails(
        labels=shared_labels(shown),
        annotations={k: str(v)[:ANNOTATION_SHOWN] for k, v in annotations.items()},
        links=[(text, url) for text, url in alert_links(shown) if url != runbook],
        runbook=runbook,
        held=distinct[:NAMED_IN_ENTRY] if len(distinct) > 1 else [],
        more=max(0, len(distinct) - NAMED_IN_ENTRY),
    )
