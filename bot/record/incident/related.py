"""Earlier incidents related to one, found the same way every time and said why: those of its
service (``Incident.service``, WARROOM_SERVICES), those that share its service or components
(the custom fields of those names), its alerts' names, or its alerts' labels that name what
is affected (``RELATED_LABELS``). An incident of the same service is listed first, then one
sharing more, then the most recent; each comes with its root cause as the record says it (the
latest message marked root cause) and its follow-ups not done yet (neither marked done, closed
in their tracker, nor merged into another).

Three indexed lookups and one read of the candidates' facts, whatever the number of incidents
(bench/related_incidents.py: 10,000).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import String, cast, func, literal, or_, tuple_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.incident.findings import not_removed
from bot.store.models import (
    ActionItem,
    Alert,
    FollowUpMerge,
    Incident,
    IncidentFieldValue,
    TimelineEntry,
    TimelineKind,
    TrackerIssue,
)

# Custom fields whose values name what an incident affected.
RELATED_FIELDS = ("service", "services", "component", "components")
# Alert labels that name what is affected (not how loud, nor which host: those relate nothing).
RELATED_LABELS = ("service", "component", "app", "application", "job", "namespace")
MOST = 10
# A service is the same service whether a person gave it (a custom field) or an alert did (a
# label): each side's trait is looked for on the other side too.
FIELDS_OF_LABEL = {"service": ("service", "services"), "component": ("component", "components")}
LABELS_OF_FIELD = {
    "service": ("service",),
    "services": ("service",),
    "component": ("component",),
    "components": ("component",),
}


@dataclass(frozen=True)
class Traits:
    """What an incident is related by: its (field, value) pairs, its alerts' names, and its
    alerts' (label, value) pairs."""

    fields: frozenset[tuple[str, str]] = frozenset()
    alert_names: frozenset[str] = frozenset()
    labels: frozenset[tuple[str, str]] = frozenset()
    # The service it is about (``Incident.service``), if it names one.
    service: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.fields or self.alert_names or self.labels or self.service)


@dataclass
class Related:
    """An earlier incident and why it is related (``{"by": "field", "name": "service",
    "value": "checkout"}``, ``{"by": "alert", "name": "HighErrorRate"}``, ``{"by": "label",
    ...}``), with its root cause and its follow-ups not done yet."""

    incident: Incident
    why: list[dict[str, str]] = field(default_factory=list)
    cause: str | None = None
    open_follow_ups: list[str] = field(default_factory=list)
    # The same follow-ups whole, each with its tracker issue if it was filed: what a draft
    # names when this incident repeats the earlier one (its owner, its link).
    open_items: list[tuple[ActionItem, TrackerIssue | None]] = field(default_factory=list)


def label_pairs(labels: Mapping[str, object]) -> set[tuple[str, str]]:
    return {(k, str(v)) for k, v in labels.items() if k in RELATED_LABELS and str(v)}


async def traits_of(session: AsyncSession, incident_id: int) -> Traits:
    """The incident's own traits."""
    values = await session.exec(
        select(IncidentFieldValue.field, IncidentFieldValue.value).where(
            IncidentFieldValue.incident_id == incident_id,
            col(IncidentFieldValue.field).in_(RELATED_FIELDS),
        )
    )
    alerts = await session.exec(
        select(Alert.name, Alert.labels).where(Alert.incident_id == incident_id)
    )
    names, labels = set(), set()
    for name, raw in alerts.all():
        names.add(name)
        labels |= label_pairs(json.loads(raw or "{}"))
    service = await session.scalar(select(Incident.service).where(Incident.id == incident_id))
    return Traits(frozenset(values.all()), frozenset(names), frozenset(labels), service)


async def related_to(
    session: AsyncSession,
    traits: Traits,
    *,
    team_id: str,
    before: Incident | None = None,
    public_only: bool = False,
    most: int = MOST,
) -> list[Related]:
    """The incidents of the workspace sharing ``traits`` (declared before ``before``, not it),
    most shared first, then newest; private ones left out with ``public_only``."""
    if traits.empty:
        return []
    traits = _both_ways(traits)
    found: dict[int, list[dict[str, str]]] = defaultdict(list)
    same_service = await _sharing_service(session, traits, team_id, found)
    await _sharing_fields(session, traits, found)
    await _sharing_alerts(session, traits, found)
    skipped = {before.id} if before is not None and before.id else set()
    ids = [i for i in found if i not in skipped and found[i]]
    if not ids:
        return []
    # The candidates ranked on three columns; only the chosen few read whole.
    ranked = select(Incident.id, Incident.declared_at).where(
        col(Incident.id).in_(ids), Incident.team_id == team_id
    )
    if before is not None:
        ranked = ranked.where(col(Incident.declared_at) < before.declared_at)
    if public_only:
        ranked = ranked.where(col(Incident.is_private).is_(False))
    order = sorted(
        (await session.exec(ranked)).all(),
        key=lambda row: (
            row[0] not in same_service,
            -len(found[row[0] or 0]),
            -row[1].timestamp(),
            -(row[0] or 0),
        ),
    )
    top = [row[0] or 0 for row in order[:most]]
    read = await session.exec(select(Incident).where(col(Incident.id).in_(top)))
    by_id = {incident.id: incident for incident in read.all()}
    chosen = [Related(by_id[i], found[i]) for i in top]
    await _fill(session, chosen)
    return chosen


async def _sharing_service(
    session: AsyncSession, traits: Traits, team_id: str, found: dict[int, list[dict[str, str]]]
) -> set[int]:
    """The incidents about the same service, each with why in ``found``; their ids."""
    same_service: set[int] = set()
    if traits.service:
        of_service = await session.exec(
            select(Incident.id).where(
                Incident.service == traits.service, Incident.team_id == team_id
            )
        )
        for incident_id in of_service.all():
            same_service.add(incident_id or 0)
            _add(
                found[incident_id or 0],
                {"by": "service", "name": "service", "value": traits.service},
            )
    return same_service


async def _sharing_fields(
    session: AsyncSession, traits: Traits, found: dict[int, list[dict[str, str]]]
) -> None:
    """The incidents with a field's value in common, each with why in ``found``."""
    if traits.fields:
        rows = await session.exec(
            select(
                IncidentFieldValue.incident_id, IncidentFieldValue.field, IncidentFieldValue.value
            ).where(tuple_(IncidentFieldValue.field, IncidentFieldValue.value).in_(traits.fields))
        )
        for incident_id, name, value in rows.all():
            _add(found[incident_id], {"by": "field", "name": name, "value": value})


async def _sharing_alerts(
    session: AsyncSession, traits: Traits, found: dict[int, list[dict[str, str]]]
) -> None:
    """The incidents with an alert of the same name or label, each with why in ``found``."""
    if traits.alert_names or traits.labels:
        # Alerts of that name, or whose labels' text holds one of the values (then read as
        # JSON to see that the value is the label's): the database narrows, Python decides.
        alerts = select(Alert.incident_id, Alert.name, Alert.labels).where(
            # Not ``IS NOT NULL``: SQLite's planner (no statistics kept) reads that as every
            # alert, and scans them all; a range on the index finds the attached ones (every
            # incident id is positive).
            col(Alert.incident_id) > 0,
            or_(
                col(Alert.name).in_(traits.alert_names),
                *(col(Alert.labels).contains(v, autoescape=True) for _, v in traits.labels),
            ),
        )
        for alert_incident, name, raw in (await session.exec(alerts)).all():
            if alert_incident is None:
                continue
            incident_id = alert_incident
            if name in traits.alert_names:
                _add(found[incident_id], {"by": "alert", "name": name})
            if traits.labels and any(v in raw for _, v in traits.labels):
                for k, v in sorted(label_pairs(json.loads(raw)) & traits.labels):
                    _add(found[incident_id], {"by": "label", "name": k, "value": v})


def _both_ways(traits: Traits) -> Traits:
    """The traits with each service or component as a field and as a label."""
    fields = {(f, v) for label, v in traits.labels for f in FIELDS_OF_LABEL.get(label, ())}
    labels = {(label, v) for f, v in traits.fields for label in LABELS_OF_FIELD.get(f, ())}
    return Traits(
        traits.fields | fields, traits.alert_names, traits.labels | labels, traits.service
    )


def _add(reasons: list[dict[str, str]], reason: dict[str, str]) -> None:
    if reason not in reasons:
        reasons.append(reason)


async def _fill(session: AsyncSession, chosen: Iterable[Related]) -> None:
    """Each one's latest root cause and its follow-ups not done yet."""
    by_id = {each.incident.id: each for each in chosen}
    if not by_id:
        return
    latest = (
        select(TimelineEntry.incident_id, func.max(TimelineEntry.id).label("last"))
        .where(
            col(TimelineEntry.incident_id).in_(by_id),
            TimelineEntry.kind == TimelineKind.ROOT_CAUSE,
        )
        .group_by(col(TimelineEntry.incident_id))
        .subquery()
    )
    causes = await session.exec(
        select(TimelineEntry.incident_id, TimelineEntry.text).join(
            latest, col(TimelineEntry.id) == latest.c.last
        )
    )
    for incident_id, text in causes.all():
        by_id[incident_id].cause = text
    # Not done: neither marked done nor closed in its tracker, nor merged into another task
    # (bot/record/follow_ups/follow_ups.py, ``open_follow_ups``, says the same of the workspace's).
    ref = literal(f"{ActionItem.__tablename__}:") + cast(col(ActionItem.id), String)
    actions = await session.exec(
        select(ActionItem, TrackerIssue)
        .outerjoin(TrackerIssue, col(TrackerIssue.follow_up) == ref)
        .outerjoin(FollowUpMerge, col(FollowUpMerge.merged) == ref)
        .where(
            col(ActionItem.incident_id).in_(by_id),
            col(ActionItem.done_at).is_(None),
            col(FollowUpMerge.id).is_(None),
            not_removed(ref),
            or_(col(TrackerIssue.state).is_(None), col(TrackerIssue.state) != "closed"),
        )
        .order_by(col(ActionItem.id))
    )
    for item, issue in actions.all():
        each = by_id[item.incident_id]
        each.open_follow_ups.append(item.text)
        each.open_items.append((item, issue))


async def related_to_incident(
    session: AsyncSession,
    incident: Incident,
    *,
    public_only: bool,
    most: int = MOST,
    traits: Traits | None = None,
) -> list[Related]:
    """The earlier incidents related to ``incident`` by its own traits (``traits``, when read
    already; its page and the channel at declaration show these; the ``related_incidents``
    tool can add more traits)."""
    if traits is None:
        traits = await traits_of(session, incident.id or 0)
    return await related_to(
        session,
        traits,
        team_id=incident.team_id,
        before=incident,
        public_only=public_only,
        most=most,
    )


async def causes_known_at(
    session: AsyncSession, chosen: Iterable[Related], moment: datetime
) -> None:
    """Each one's root cause as it was known at ``moment`` (its latest message marked root
    cause by then; none: not known yet), for a replay of what was known then."""
    by_id = {each.incident.id: each for each in chosen}
    for each in by_id.values():
        each.cause = None
    if not by_id:
        return
    rows = await session.exec(
        select(TimelineEntry.incident_id, TimelineEntry.text)
        .where(
            col(TimelineEntry.incident_id).in_(by_id),
            TimelineEntry.kind == TimelineKind.ROOT_CAUSE,
            col(TimelineEntry.occurred_at) <= moment,
        )
        .order_by(col(TimelineEntry.occurred_at), col(TimelineEntry.id))
    )
    for incident_id, text in rows.all():
        by_id[incident_id].cause = text  # the latest by then wins
