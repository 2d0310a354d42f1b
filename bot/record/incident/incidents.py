"""Incidents: open, find, attach to a channel, resolve. No Slack payloads in here."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.errors import AlreadyResolved, BotError, NotIncidentChannel
from bot.basics.logs import bind_incident
from bot.basics.slack_text import to_plain
from bot.record.incident.timeline import add_entry
from bot.store.db import Turns, insert_kept, take_if_free
from bot.store.models import Incident, Status, TimelineKind

log = logging.getLogger(__name__)
CHANNEL_NAME_MAX = 80
_NOT_ALLOWED_IN_CHANNEL = re.compile(r"[^a-z0-9_-]+")
_NUMBERING_ATTEMPTS = 20


def channel_name_for(prefix: str, number: int, title: str, attempt: int = 1) -> str:
    """Slack channel name for an incident: ``inc-7-checkout-page-returns-500s``.

    Made from the title as people read it (``to_plain``: ``Images &amp; <@U1|bob>`` is
    ``images-bob``, never ``images-amp-u1-bob``). Lowercase ``a-z0-9-_`` only and at most 80
    characters; attempts after the first get a numeric suffix (``-2``, ``-3``) for when the
    name is taken.
    """
    head = f"{prefix}-{number}"
    tail = f"-{attempt}" if attempt > 1 else ""
    words = to_plain(title, unnamed="")  # a person nobody has named yet is left out
    ascii_title = unicodedata.normalize("NFKD", words).encode("ascii", "ignore").decode()
    slug = _NOT_ALLOWED_IN_CHANNEL.sub("-", ascii_title.lower()).strip("-_")
    room = CHANNEL_NAME_MAX - len(head) - len(tail) - 1
    slug = slug[: max(room, 0)].rstrip("-_")
    return f"{head}-{slug}{tail}" if slug else f"{head}{tail}"


DECLARER = "declarer"


async def open_incident(
    session: AsyncSession,
    *,
    team_id: str,
    title: str,
    declared_by: str,
    severity: str,
    timezone: str,
    declared_at: datetime,
    description: str = "",
    detected_at: datetime | None = None,
    commander: str | None = DECLARER,
    previous_incident_id: int | None = None,
    is_private: bool = False,
    incident_type: str | None = None,
    service: str | None = None,
) -> Incident:
    """Create the incident with the next ``INC-<n>`` of its workspace and record its declaration
    (the caller commits).

    The declarer leads unless ``commander`` says otherwise (an alert opens incidents nobody leads
    yet). Transactions may number at once, on one replica or several: each skips the numbers
    the others are opening incidents with (``_next_number``), and the unique (team, number)
    constraint decides against one committed meanwhile: the loser takes the next number.
    """
    for _ in range(_NUMBERING_ATTEMPTS):
        number = await _next_number(session, team_id)
        incident = Incident(
            team_id=team_id,
            number=number,
            title=title,
            description=description,
            severity=severity,
            declared_by=declared_by,
            commander=declared_by if commander == DECLARER else commander,
            timezone=timezone,
            declared_at=declared_at,
            detected_at=detected_at,
            started_at=detected_at,
            previous_incident_id=previous_incident_id,
            is_private=is_private,
            incident_type=incident_type,
            service=service,
        )
        # Losing the race (the number taken meanwhile) must not undo the caller's other work.
        if not await insert_kept(session, incident):
            continue
        _declared(session, incident)
        return incident
    raise RuntimeError(f"could not allocate an incident number for team {team_id}")


def _declared(session: AsyncSession, incident: Incident) -> None:
    """The opened incident's declaration in its timeline, and in the log."""
    bind_incident(incident.reference)
    log.info(
        "opened %s (%s), declared by %s",
        incident.reference,
        incident.severity,
        incident.declared_by,
    )
    kind = incident.incident_type
    add_entry(
        session,
        incident,
        kind=TimelineKind.DECLARED,
        text=incident.title,  # the declarer's words; the severity is a fact
        facts={"severity": incident.severity, **({"type": kind} if kind else {})},
        author=incident.declared_by,
        occurred_at=incident.declared_at,
    )


# The namespace of the locks held on the numbers being given (bot/store/db.py take_if_free).
NUMBER_TURNS = Turns.INCIDENT_NUMBER


async def _next_number(session: AsyncSession, team_id: str) -> int:
    """The lowest number above the workspace's highest that no other transaction is opening
    an incident with, locked until this one ends.

    Without the lock, a transaction inserting the number another has inserted but not yet
    committed waits on PostgreSQL for that one to end, and then fails and tries the next:
    during an alert storm, each incident an alert opened (a page's too) waited in turn for the
    whole transaction of every other opening one (bench/RESULTS.md, paging). A number whose
    transaction is rolled back is taken by the next incident, unless a higher one was
    committed meanwhile: then it is left unused, a gap (before, the other waited and took it).
    """
    statement = select(func.max(Incident.number)).where(Incident.team_id == team_id)
    number = ((await session.exec(statement)).one() or 0) + 1
    while not await take_if_free(session, NUMBER_TURNS, f"{team_id}\n{number}"):
        number += 1
    return number


async def get(session: AsyncSession, incident_id: int) -> Incident | None:
    """The incident with this id, if any.

    Like every getter here, it names the incident on the log lines of the rest of the unit of
    work (the current task).
    """
    incident = await session.get(Incident, incident_id)
    if incident is not None:
        bind_incident(incident.reference)
    return incident


async def get_by_channel(session: AsyncSession, channel_id: str) -> Incident | None:
    """The incident fought in this channel, if any."""
    statement = select(Incident).where(Incident.channel_id == channel_id)
    incident = (await session.exec(statement)).first()
    if incident is not None:
        bind_incident(incident.reference)
    return incident


async def incident_ids_by_channel(
    session: AsyncSession, channel_ids: Collection[str]
) -> dict[str, int]:
    """The incident id of each of these channels that is an incident's, in one SELECT."""
    if not channel_ids:
        return {}
    statement = select(Incident.id, Incident.channel_id).where(
        col(Incident.channel_id).in_(channel_ids)
    )
    return {
        channel: incident_id
        for incident_id, channel in await session.exec(statement)
        if channel is not None and incident_id is not None
    }


async def incident_in_channel(session: AsyncSession, channel_id: str) -> Incident:
    """The incident fought in this channel; NotIncidentChannel if it is not an incident's."""
    incident = await get_by_channel(session, channel_id)
    if incident is None:
        raise NotIncidentChannel()
    return incident


async def lock(session: AsyncSession, incident: Incident) -> Incident:
    """The incident re-read under its row lock, held until the session commits.

    Escalations and acknowledgements of one incident take turns this way (on SQLite every
    write transaction already does).
    """
    # FOR NO KEY UPDATE (key_share), not FOR UPDATE: lockers still take turns, but rows that
    # only point at the incident (messages, entries, alerts: their foreign keys take a key
    # share) are written meanwhile, so the event writer never waits behind a flow holding
    # the lock. populate_existing: the session may hold the row as read before the lock.
    statement = (
        select(Incident)
        .where(Incident.id == incident.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return (await session.exec(statement)).one()


async def locked_in_channel(session: AsyncSession, channel_id: str) -> Incident:
    """The channel's incident under its row lock: the same change asked twice at once (a
    command sent again, on another replica) finds it made the second time, and is no change."""
    return await lock(session, await incident_in_channel(session, channel_id))


async def attach_channel(
    session: AsyncSession, incident: Incident, *, channel_id: str, channel_name: str
) -> Incident:
    """Remember the Slack channel where the incident is fought (the caller commits, with what
    the new channel starts: its reminders, its policy, its first messages)."""
    incident.channel_id = channel_id
    incident.channel_name = channel_name
    session.add(incident)
    return incident


async def remember_header(session: AsyncSession, incident: Incident, header_ts: str) -> None:
    """Keep the ``ts`` of the channel's header message so it can be updated in place (the
    caller commits)."""
    incident.header_ts = header_ts
    session.add(incident)


async def resolve_incident(
    session: AsyncSession,
    incident: Incident,
    *,
    resolved_by: str,
    resolved_at: datetime,
    summary: str = "",
) -> Incident:
    """Mark the incident resolved and record it in the timeline (the caller commits; the
    flows announce it on the status page, ``status_page.publications.announce_status``)."""
    if incident.status == Status.RESOLVED:
        raise AlreadyResolved(reference=incident.reference)
    previous = incident.status
    incident.status = Status.RESOLVED.value
    incident.resolved_at = resolved_at
    session.add(incident)
    log.info("%s resolved by %s", incident.reference, resolved_by)
    add_entry(
        session,
        incident,
        kind=TimelineKind.RESOLVED,
        text=summary,
        facts={"previous_status": previous},
        author=resolved_by,
        occurred_at=resolved_at,
    )
    return incident


class NoChange(BotError):
    """The incident already has the severity or status asked for."""

    template = "messages/no_change.j2"


def _severity_rank(severity: str) -> int:
    return int(severity.removeprefix("SEV"))


async def set_severity(
    session: AsyncSession,
    incident: Incident,
    *,
    severity: str,
    by: str,
    at: datetime,
    cause: str | None = None,
) -> str:
    """Change the severity (either way) and record it; return the previous one (caller commits).

    ``cause``: what made the change when ``by`` did not ask for it themselves
    (``workflow:<name>``), kept in the timeline entry's facts."""
    previous = incident.severity
    if severity == previous:
        raise NoChange(field="severity", value=severity, reference=incident.reference)
    direction = "raised" if _severity_rank(severity) < _severity_rank(previous) else "lowered"
    incident.severity = severity
    session.add(incident)
    log.info(
        "%s severity %s from %s to %s by %s", incident.reference, direction, previous, severity, by
    )
    add_entry(
        session,
        incident,
        kind=TimelineKind.SEVERITY,
        facts={
            "severity": severity,
            "previous_severity": previous,
            "direction": direction,
            **({"cause": cause} if cause else {}),
        },
        author=by,
        occurred_at=at,
    )
    return previous


async def set_status(
    session: AsyncSession, incident: Incident, *, status: Status, by: str, at: datetime
) -> Status:
    """Move the incident to ``status`` (backwards too) and record it; return the previous one
    (the caller commits; the flows announce it on the status page, ``announce_status``).

    Resolving goes through ``resolve_incident``; moving a resolved incident back reopens it.
    """
    previous = Status(incident.status)
    if status == previous:
        raise NoChange(field="status", value=status.value, reference=incident.reference)
    incident.status = status.value
    if status == Status.MONITORING and incident.mitigated_at is None:
        # "Monitoring" means a fix is in place: the first time is when impact was mitigated.
        incident.mitigated_at = at
    log.info("%s status changed from %s to %s by %s", incident.reference, previous, status, by)
    if previous == Status.RESOLVED:
        incident.resolved_at = None  # reopened
    session.add(incident)
    add_entry(
        session,
        incident,
        kind=TimelineKind.STATUS,
        facts={"status": status.value, "previous_status": previous.value},
        author=by,
        occurred_at=at,
    )
    return previous


async def record_update(
    session: AsyncSession, incident: Incident, *, text: str, by: str, at: datetime
) -> None:
    """Keep a stakeholder update in the timeline; it resets the update reminder (caller commits)."""
    incident.last_update_at = at
    session.add(incident)
    add_entry(session, incident, kind=TimelineKind.UPDATE, text=text, author=by, occurred_at=at)
