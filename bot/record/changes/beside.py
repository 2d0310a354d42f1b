"""What changed before an alert or an incident, on its services and on what they depend on:
the list the message beside it, the incident's page and the draft show.

An incident's services are its own (``Incident.service``), its custom fields naming one
(``service``, ``services``), its alerts' ``service`` labels, and its alerts' routes' services
(a route naming a service, or named as one); an alert's, its group's service, its labels'
``service`` and its route's. Only the services the file knows are asked for (a name nobody
configured has no changes kept under it), then what each depends on (``depends_on``).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.alerting.routes import Routes
from bot.record.alerting.services import ServiceCatalog
from bot.record.changes.events import changes_before, changes_on
from bot.record.changes.suspects import Suspect, ranked
from bot.record.incident.related import Traits, traits_of
from bot.store import jobs
from bot.store.job_kinds import JobKind
from bot.store.models import AlertGroup, ChangeEvent, Incident, Job, TimelineEntry

# The message lists this many; the page and the draft show the same. Of this many at most,
# the newest, ranked (suspects.py).
SHOWN = 10
RANKED = 50
_SERVICE_FIELDS = ("service", "services")
# An alert's labels that may name its service when no ``service`` label does (Prometheus's
# ``job``, Kubernetes' ``app``, …): read only when the services file knows the value.
_SERVICE_LABELS = ("service", "app", "application", "app_kubernetes_io_name", "component", "job")


@dataclass(frozen=True)
class ChangesBefore:
    """The changes before ``moment`` (``hours`` back) on ``services`` (the alert's or
    incident's own) and ``dependencies`` (what they depend on, not their own), the likeliest
    suspect first (``suspects``: each with what the record shows of it, suspects.py);
    ``unfiltered``: no service known, every service's changes."""

    moment: datetime
    hours: float
    services: tuple[str, ...] = ()
    dependencies: tuple[str, ...] = ()
    suspects: list[Suspect] = field(default_factory=list)
    unfiltered: bool = False

    @property
    def changes(self) -> list[ChangeEvent]:
        """The changes, the likeliest suspect first."""
        return [each.change for each in self.suspects]

    @property
    def since(self) -> datetime:
        return self.moment - timedelta(hours=self.hours)

    def on_dependency(self, change: ChangeEvent) -> bool:
        """Whether ``change`` was made to a dependency rather than to a service of its own."""
        return change.service in self.dependencies


def known(names: Iterable[str | None], catalog: ServiceCatalog) -> tuple[str, ...]:
    """The names the services file knows, as it spells them, once each, in order."""
    found: dict[str, None] = {}
    for name in names:
        for part in (name or "").split(","):
            service = catalog.get(part.strip())
            if service is not None:
                found[service.name] = None
    return tuple(found)


def dependencies_of(services: Iterable[str], catalog: ServiceCatalog) -> tuple[str, ...]:
    """What ``services`` depend on (``depends_on``), themselves left out."""
    own = set(services)
    found: dict[str, None] = {}
    for name in own:
        service = catalog.get(name)
        for other in service.depends_on if service else ():
            if other not in own:
                found[other] = None
    return tuple(found)


def _route_service(routes: Routes, name: str, catalog: ServiceCatalog) -> str | None:
    route = routes.named(name)
    return route.service or (name if catalog.get(name) else None)


async def incident_services(
    session: AsyncSession,
    incident: Incident,
    catalog: ServiceCatalog,
    routes: Routes,
    traits: Traits | None = None,
) -> tuple[str, ...]:
    """The services an incident is about, as the file names them (``traits``: its own, when
    read already)."""
    assert incident.id is not None
    if traits is None:
        traits = await traits_of(session, incident.id)
    names: list[str | None] = [traits.service]
    names += [value for name, value in sorted(traits.fields) if name in _SERVICE_FIELDS]
    names += [value for name, value in sorted(traits.labels) if name == "service"]
    if not known(names, catalog):
        # No service named: inferred from the alerts' other labels the file knows.
        names += [value for name, value in sorted(traits.labels) if name in _SERVICE_LABELS]
    groups = await session.exec(
        select(AlertGroup.service, AlertGroup.route).where(
            col(AlertGroup.incident_id) == incident.id
        )
    )
    for service, route in groups.all():
        names += [service, _route_service(routes, route, catalog) if route else None]
    return known(names, catalog)


def alert_services(
    group: AlertGroup, labels: Mapping[str, object], catalog: ServiceCatalog, routes: Routes
) -> tuple[str, ...]:
    """The services an alert is about, as the file names them."""
    label = labels.get("service")
    names = [group.service, label if isinstance(label, str) else None]
    if group.route:
        names.append(_route_service(routes, group.route, catalog))
    if not known(names, catalog):
        names += [value for key in _SERVICE_LABELS if isinstance(value := labels.get(key), str)]
    return known(names, catalog)


async def said_in(session: AsyncSession, incident: Incident) -> list[str]:
    """What the incident's record says so far (its title, description and entries' words):
    where a person names a change, or rolls it back."""
    rows = await session.exec(
        select(TimelineEntry.text).where(col(TimelineEntry.incident_id) == incident.id)
    )
    return [incident.title or "", incident.description or "", *rows.all()]


def impact_started(incident: Incident) -> datetime:
    """When the incident's impact started, as the record knows it: its start, else its
    detection, else its declaration."""
    return incident.started_at or incident.detected_at or incident.declared_at


async def changes_beside(
    session: AsyncSession,
    services: tuple[str, ...],
    catalog: ServiceCatalog,
    *,
    moment: datetime,
    hours: float,
    most: int = SHOWN,
    impact: datetime | None = None,
    said: Sequence[str] | Callable[[], Awaitable[Sequence[str]]] = (),
    unfiltered: bool = False,
) -> ChangesBefore:
    """What changed on ``services`` and what they depend on in the ``hours`` before
    ``moment``, the likeliest suspect first (``impact``: when impact started, ``moment``
    when unknown; ``said``: the channel's words, or how to read them: read only when there
    are changes to rank, as a long incident's words are thousands), at most ``most``. No
    service and ``unfiltered``: every service's changes, ranked alike."""
    dependencies = dependencies_of(services, catalog)
    if services or not unfiltered:
        changes = await changes_before(
            session, [*services, *dependencies], moment, hours=hours, limit=RANKED
        )
    else:
        since = moment - timedelta(hours=hours)
        changes = await changes_on(session, None, since=since, until=moment, limit=RANKED)
    if callable(said):
        said = await said() if changes else ()
    suspects = ranked(
        changes,
        services=services,
        dependencies=dependencies,
        impact=impact or moment,
        said=said,
    )
    unknown = unfiltered and not services
    return ChangesBefore(moment, hours, services, dependencies, suspects[:most], unknown)


def labels_of(raw: str | None) -> dict[str, object]:
    """An alert's labels, kept as JSON."""
    value = json.loads(raw or "{}")
    return value if isinstance(value, dict) else {}


async def schedule_for_incident(session: AsyncSession, incident: Incident, now: datetime) -> None:
    """Have the message beside ``incident`` said (the caller commits, with what opened its
    war room): once."""
    await jobs.schedule(
        session,
        kind=JobKind.CHANGES_BESIDE,
        key=f"changes-beside:incident:{incident.id}",
        due_at=now,
        incident_id=incident.id,
        payload={"incident": incident.id},
    )


def alert_job_key(group: AlertGroup) -> str:
    """The key of the job that says what changed beside an alert's episode."""
    return f"changes-beside:alert:{group.id}:{group.episode}"


async def schedule_for_alert(session: AsyncSession, group: AlertGroup, now: datetime) -> None:
    """Have the message beside an alert of its own that pages said (the caller commits, with
    the page's decision), once an episode, in its message's thread: now when the message is
    posted already (a new episode), else when it is (``message_posted``), so that a first
    page's own transaction writes nothing more for it."""
    if group.message_ts is not None:
        await _say_beside(session, group, now)


async def message_posted(
    session: AsyncSession, group: AlertGroup, now: datetime, *, claimed_by: str | None
) -> Job | None:
    """An alert's message is posted (the caller commits): what changed before it is said
    in its thread, by a job claimed for ``claimed_by`` (this replica) as it is written, for
    its runner to start at the commit: no claim, no wait for the runner's look (None: said
    already, or not claimed)."""
    job = await jobs.schedule_job(
        session,
        kind=JobKind.CHANGES_BESIDE,
        key=alert_job_key(group),
        due_at=now,
        payload={"group": group.id, "episode": group.episode},
        claimed_by=claimed_by,
    )
    return job if claimed_by is not None else None


async def _say_beside(session: AsyncSession, group: AlertGroup, now: datetime) -> None:
    await jobs.schedule(
        session,
        kind=JobKind.CHANGES_BESIDE,
        key=alert_job_key(group),
        due_at=now,
        payload={"group": group.id, "episode": group.episode},
    )


async def changes_during(
    session: AsyncSession,
    incident: Incident,
    catalog: ServiceCatalog | None = None,
    *,
    most: int = 200,
) -> list[ChangeEvent]:
    """The changes made on the incident's services (as the record names them) and, with the
    services file (``catalog``), on what they depend on, from its impact's start (else
    detection, else declaration) to its end (else resolution, else now), oldest first: the
    draft's timeline shows them as context."""
    assert incident.id is not None
    traits = await traits_of(session, incident.id)
    names: set[str] = {traits.service} if traits.service else set()
    names |= {value for name, value in traits.fields if name in _SERVICE_FIELDS}
    names |= {value for name, value in traits.labels if name == "service"}
    groups = await session.exec(
        select(AlertGroup.service).where(col(AlertGroup.incident_id) == incident.id)
    )
    names |= {service for service in groups.all() if service}
    if catalog is not None:
        names |= set(dependencies_of(known(names, catalog), catalog))
    if not names:
        return []
    since = incident.started_at or incident.detected_at or incident.declared_at
    until = incident.ended_at or incident.resolved_at
    rows = await changes_on(session, sorted(names), since=since, until=until, limit=most)
    return sorted(rows, key=lambda row: (row.at, row.id or 0))


def in_impact_window(
    changes: Iterable[ChangeEvent], milestones: Mapping[str, object]
) -> list[ChangeEvent]:
    """The changes made from the impact's start to its end (``milestones``' ``started`` and
    ``ended``, as the draft decides them: either may be open), in their order."""
    since, until = (getattr(milestones.get(name), "at", None) for name in ("started", "ended"))
    return [
        change
        for change in changes
        if (since is None or change.at >= since) and (until is None or change.at <= until)
    ]
