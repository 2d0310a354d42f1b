"""A change event in the one shape every source is read into, kept once, and read back.

A change belongs to one service: its integration's (an integration is for one service), or,
for GitHub, the service whose ``repositories`` (WARROOM_SERVICES) list the repository. It is
kept with the body it came in, so what a sender said is never lost to how it was read. A
resent event (the same event key, for the same service and source) is kept once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.durations import parse_period
from bot.basics.key_digest import digest
from bot.record.alerting.services import ServiceCatalog
from bot.store.db import insert_once
from bot.store.models import ChangeEvent, Integration

KINDS = ("deploy", "feature_flag", "configuration", "infrastructure", "database", "other")
# What a summary, a name and a link may hold: a summary is PagerDuty's limit.
SUMMARY_MAX = 1024
TEXT_MAX = 255
LINK_MAX = 2048


@dataclass(frozen=True)
class ChangeSeen:
    """A change as a source's body says it. ``event_key`` is the sender's own id of the event
    (a GitHub deployment status's id, warroom's ``idempotency_key``), or the body's digest.
    ``ignored`` says why a body that is no change is answered without keeping anything (a
    push to another branch, GitHub's ping)."""

    kind: str = "other"
    summary: str = ""
    at: datetime | None = None
    who: str | None = None
    link: str | None = None
    origin: str | None = None
    event_key: str = ""
    service: str | None = None  # the service the body names (warroom's JSON)
    repository: str | None = None  # GitHub's ``owner/name``
    application: str | None = None  # Argo CD's application: a service the file may name
    ignored: str | None = None


# The longest window a list reaches back.
WINDOW_MAX = timedelta(days=90)


def window_of(text: str) -> timedelta:
    """``24h``, ``90m``, ``7d`` (or ``1h30m``) as a window back from now, at most
    ``WINDOW_MAX`` (a longer one reads as that); ValueError saying the forms when it is
    none."""
    try:
        window = parse_period(text)
    except OverflowError:  # more seconds than a timedelta holds: longer than the longest
        window = WINDOW_MAX
    except ValueError:
        raise ValueError(f"expected a window like 90m, 24h or 7d, got {text[:40]!r}") from None
    if window <= timedelta(0):
        raise ValueError(f"expected a window longer than nothing, got {text[:40]!r}")
    return min(window, WINDOW_MAX)


class WrongService(ValueError):
    """A body naming a service its integration's key does not open: the message says so."""


def service_of(seen: ChangeSeen, integration: Integration, catalog: ServiceCatalog) -> str:
    """The service a change is kept for: its integration's; a repository that a service of
    the file lists, that service's (one organisation's webhook serves every repository); an
    Argo CD application the file names, that service's (one Argo CD serves many).
    WrongService when the body names another service than its key's."""
    if seen.service is not None and seen.service.lower() != integration.service.lower():
        raise WrongService(
            f"'service': this key's changes are {integration.service!r}'s, not "
            f"{seen.service[:80]!r}'s"
        )
    listed = catalog.of_repository(seen.repository) if seen.repository else None
    if listed is None and seen.application:
        listed = catalog.get(seen.application)
    return listed.name if listed is not None else integration.service


def event_hash(service: str | None, source: str, event_key: str) -> str:
    return digest(f"{service or ''}\n{source}\n{event_key}")


async def keep(
    session: AsyncSession,
    seen: ChangeSeen,
    *,
    service: str | None,
    source: str,
    body: str,
    integration_id: int | None,
    received_at: datetime,
    slack: tuple[str, str] | None = None,
) -> tuple[int, bool]:
    """Keep ``seen`` for ``service`` (None: a change channel's message no shape could read,
    kept as its text) (the caller commits): (its id, whether it is new). One kept already
    under the same key is that one, unchanged. ``slack``: the channel and ts of the message
    it came in."""
    key_hash = event_hash(service, source, seen.event_key)
    row = ChangeEvent(
        service=service,
        kind=seen.kind,
        who=seen.who,
        at=seen.at or received_at,
        summary=seen.summary,
        link=seen.link,
        source=source,
        origin=seen.origin,
        body=body,
        key_hash=key_hash,
        integration_id=integration_id,
        received_at=received_at,
        slack_channel=slack[0] if slack else None,
        slack_ts=slack[1] if slack else None,
    )
    if await insert_once(session, row):
        await session.flush()
        assert row.id is not None
        return row.id, True
    kept = (await session.exec(select(ChangeEvent).where(ChangeEvent.key_hash == key_hash))).one()
    assert kept.id is not None
    return kept.id, False


async def changes_on(
    session: AsyncSession,
    services: Sequence[str] | None,
    *,
    since: datetime,
    until: datetime | None = None,
    limit: int = 200,
) -> list[ChangeEvent]:
    """The changes on ``services`` (every service: None) made from ``since`` to ``until``
    (both included), newest first, at most ``limit``."""
    query = select(ChangeEvent).where(col(ChangeEvent.at) >= since)
    if until is not None:
        query = query.where(col(ChangeEvent.at) <= until)
    if services is not None:
        query = query.where(col(ChangeEvent.service).in_(list(services)))
    query = query.order_by(col(ChangeEvent.at).desc(), col(ChangeEvent.id).desc()).limit(limit)
    return list((await session.exec(query)).all())


async def changes_before(
    session: AsyncSession,
    services: Sequence[str],
    moment: datetime,
    *,
    hours: float,
    limit: int = 50,
) -> list[ChangeEvent]:
    """What changed on ``services`` in the ``hours`` before ``moment`` (an alert's page, an
    incident's start), newest first: what to show beside it."""
    if not services:
        return []
    since = moment - timedelta(hours=hours)
    return await changes_on(session, services, since=since, until=moment, limit=limit)
