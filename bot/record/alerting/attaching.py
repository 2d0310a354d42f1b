"""An alert of its own attached to an incident: declared as one (its **Declare incident**
button) or attached to one (``/incident alert attach``). No Slack in here.

Its episode's alerts become the incident's (later ones join it as an ``action: open``
group's do), and its history the incident's timeline entries at their own times, never the
moment it was attached: it fired (how many times), whom its policy paged and by what, who
acknowledged, snoozed or escalated it, the notes its sender added. The incident's detection
is its first firing when that is earlier, and its acknowledgement the alert's when that came
first: the incident's columns say so, and bot/record/postmortem/figures.py reads them with
the entries, for every surface.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.alerting.alert_entries import FUTURE_SKEW
from bot.record.alerting.alert_labels import alert_links, own_labels, shared_labels
from bot.record.alerting.alerts import ATTACHED, OPEN_STATES
from bot.record.alerting.escalated import escalations_of
from bot.record.alerting.notes import add_note_entry, notes_of
from bot.record.incident.timeline import add_entry
from bot.store.models import (
    Alert,
    AlertGroup,
    Incident,
    Notification,
    PersonPage,
    TimelineKind,
)

# How many alerts an entry names (as the intake's entries do).
_NAMED = 5


async def episode_alerts(session: AsyncSession, group: AlertGroup) -> list[Alert]:
    """The alerts of the group's current episode no incident has: those firing, and those
    that stopped since it was triggered, oldest first."""
    since = group.triggered_at or group.first_seen_at
    statement = (
        select(Alert)
        .where(Alert.group_id == group.id, col(Alert.incident_id).is_(None))
        .where(or_(col(Alert.status) == "firing", col(Alert.ends_at) >= since))
        .order_by(col(Alert.starts_at), col(Alert.id))
    )
    return list((await session.exec(statement)).all())


def first_fired(group: AlertGroup, rows: list[Alert]) -> datetime | None:
    """When the alert first fired: its earliest alert's start as the source said it (a
    start in the future of its triggering is the sender's clock: its triggering then)."""
    triggered = group.triggered_at
    started = min((row.starts_at for row in rows), default=triggered)
    if started is None or (triggered is not None and started > triggered + FUTURE_SKEW):
        return triggered
    return started


async def attach(
    session: AsyncSession,
    group: AlertGroup,
    incident: Incident,
    *,
    by: str,
    at: datetime,
    declared: bool,
) -> None:
    """Make the open alert group the incident's (the caller holds both rows' locks and
    commits): its alerts, its history as timeline entries, its first firing as the
    incident's detection and its acknowledgement as the incident's, when earlier."""
    assert group.state in OPEN_STATES and group.state != ATTACHED and incident.id is not None
    rows = await episode_alerts(session, group)
    for row in rows:
        row.incident_id, row.posted_status = incident.id, row.status  # the entries say them
        session.add(row)
    fired = first_fired(group, rows) or at
    _fired_entry(session, group, incident, rows, fired, declared=declared)
    await _paged_entries(session, group, incident)
    _acts_entries(session, group, incident)
    await _escalation_entries(session, group, incident)
    assert group.id is not None
    for note in await notes_of(session, group.id, group.episode):
        add_note_entry(session, incident, group.title, note)
    if incident.detected_at is None or fired < incident.detected_at:
        if incident.started_at is None or incident.started_at == incident.detected_at:
            incident.started_at = fired
        incident.detected_at = fired
    acknowledged = group.acknowledged_at
    if acknowledged is not None and (
        incident.acknowledged_at is None or acknowledged < incident.acknowledged_at
    ):
        incident.acknowledged_at = acknowledged
    session.add(incident)
    group.state, group.incident_id = ATTACHED, incident.id
    group.attached_at, group.attached_by = at, by
    session.add(group)


def _fired_entry(
    session: AsyncSession,
    group: AlertGroup,
    incident: Incident,
    rows: list[Alert],
    fired: datetime,
    *,
    declared: bool,
) -> None:
    """The incident's detection (declared from the alert) or an alert entry (attached to an
    incident detected before): what fired, and how many times."""
    common = shared_labels(rows)
    named = {
        "alerts": [{"name": row.name, "labels": own_labels(row, common)} for row in rows[:_NAMED]],
        "count": len(rows),
        "fired": group.fired_count,
        "warnings": [],
    }
    if declared:
        facts: dict[str, Any] = {
            **named,
            "source": group.source,
            "summary": next((row.summary for row in rows if row.summary), group.title),
            "labels": common,
            "links": [{"text": text, "url": url} for text, url in alert_links(rows)],
            "previous_incident": None,
        }
    else:
        facts = {**named, "change": "firing"}
    kind = TimelineKind.DETECTION if declared else TimelineKind.ALERT
    add_entry(session, incident, kind=kind, facts=facts, author=group.source, occurred_at=fired)


async def _paged_entries(session: AsyncSession, group: AlertGroup, incident: Incident) -> None:
    """Whom the alert's episode paged, each at their page's start, with the methods of the
    notifications that left or were still to come."""
    statement = (
        select(PersonPage)
        .where(
            col(PersonPage.alert_group_id) == group.id,
            col(PersonPage.alert_step).startswith(f"{group.episode}:"),
        )
        .order_by(col(PersonPage.started_at), col(PersonPage.id))
    )
    for page in (await session.exec(statement)).all():
        methods = (
            await session.exec(
                select(Notification.method)
                .where(Notification.page_id == page.id, Notification.state != "cancelled")
                .order_by(col(Notification.id))
            )
        ).all()
        level = str(page.alert_step or "").rsplit(":", 1)[-1]
        facts = {
            "alert_act": "paged",
            "alert": group.title,
            "user": page.user_id,
            "policy": group.policy,
            "level": int(level) if level.isdigit() else None,
            "methods": list(dict.fromkeys(methods)),
            "page": page.id,  # the draft's escalation table reads its notifications
        }
        add_entry(
            session,
            incident,
            kind=TimelineKind.PAGED,
            facts=facts,
            author=None,
            occurred_at=page.started_at,
        )


def _acts_entries(session: AsyncSession, group: AlertGroup, incident: Incident) -> None:
    """Who acknowledged or snoozed the alert, at their times."""
    acts: list[tuple[TimelineKind, datetime | None, str | None, dict[str, Any]]] = [
        (
            TimelineKind.ACKNOWLEDGED,
            group.acknowledged_at,
            group.acknowledged_by,
            {"via": group.acknowledged_via, "targets": []},
        ),
        (
            TimelineKind.KEY_EVENT,
            group.snoozed_at,
            group.snoozed_by,
            {"until": group.snoozed_until.isoformat() if group.snoozed_until else None},
        ),
    ]
    names = {TimelineKind.ACKNOWLEDGED: "acknowledged", TimelineKind.KEY_EVENT: "snoozed"}
    for kind, at, user, more in acts:
        if at is None or user is None:
            continue
        facts = {
            "alert_act": names[kind],
            "alert": group.title,
            "user": user,
            **more,
        }
        if kind == TimelineKind.KEY_EVENT and group.snoozed_until is not None:
            facts["seconds"] = int((group.snoozed_until - at).total_seconds())
        add_entry(session, incident, kind=kind, facts=facts, author=user, occurred_at=at)


async def _escalation_entries(session: AsyncSession, group: AlertGroup, incident: Incident) -> None:
    """Each escalation of the alert's episode by hand: who, to which level of its policy or
    to which person chosen (``to``: the level then None), at its time."""
    assert group.id is not None
    for each in await escalations_of(session, group.id, group.episode):
        facts = {
            "alert_act": "escalated",
            "alert": group.title,
            "user": each.escalated_by,
            "level": each.level,
            "policy": each.policy,
            "to": each.person,
        }
        add_entry(
            session,
            incident,
            kind=TimelineKind.ESCALATION,
            facts=facts,
            author=each.escalated_by,
            occurred_at=each.escalated_at,
        )
