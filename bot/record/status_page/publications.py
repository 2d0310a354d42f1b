"""Public incidents and the updates published about them: what the status pages show.

warroom's statuses are the status pages' own (Atlassian Statuspage's incident statuses are
investigating, identified, monitoring and resolved too), so a published update carries the
status its writer chose (``--status``), else the incident's status as it is. Nothing here
reads the incident's title, timeline or people: what is public is the components people
named and the texts they published.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_
from sqlalchemy import update as sa_update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.errors import BotError
from bot.basics.render import without_forbidden_characters
from bot.basics.slack_text import to_public_plain
from bot.record.status_page import status_notices
from bot.store import jobs
from bot.store.job_kinds import JobKind
from bot.store.models import Incident, PublicIncident, PublicUpdate, Status

log = logging.getLogger(__name__)


class NotPublic(BotError):
    """The incident is not public: ``/incident public`` first."""

    template = "messages/not_public.j2"


class PrivateIncident(BotError):
    """A private channel's incident stays off the status pages."""

    template = "messages/public_refused_private.j2"


class NothingToTranslate(BotError):
    """``--lang`` adds a translation to the last public update, and there is none."""

    template = "messages/nothing_to_translate.j2"


class StatusNotForIncident(BotError):
    """An update filed as resolved about an open incident, or as under way about a resolved
    one: customers would read a state the incident is not in."""

    template = "messages/public_status_refused.j2"


def filed_status(incident: Incident, chosen: str | None) -> str:
    """The status a person's update is filed under: the one they chose, else the incident's.
    ``resolved`` only for a resolved incident, and only ``resolved`` for it (resolve or
    reopen the incident first)."""
    if chosen is None:
        return incident.status
    resolved = incident.status == Status.RESOLVED
    if (chosen == Status.RESOLVED) != resolved:
        raise StatusNotForIncident(
            reference=incident.reference, chosen=chosen, status=incident.status
        )
    return chosen


def clean(text: str) -> str:
    """Public words as HTML and XML 1.0 can carry them (``without_forbidden_characters``),
    trimmed."""
    return without_forbidden_characters(text).strip()


async def public_record(session: AsyncSession, incident_id: int) -> PublicIncident | None:
    """The incident's public record, withdrawn or not; None if it was never made public."""
    return await session.get(PublicIncident, incident_id)


async def on_status_page(session: AsyncSession, incident: Incident) -> bool:
    """Whether the incident is shown on the status pages now: public, not withdrawn, and
    no private incident (its status, severity and times are then shown to customers)."""
    record = await public_record(session, incident.id or 0)
    return record is not None and record.withdrawn_at is None and not incident.is_private


async def locked_record(session: AsyncSession, incident_id: int) -> PublicIncident | None:
    """The public record, its row locked until the session ends (PostgreSQL; SQLite's write
    transaction serializes already): publishing and translating read, then change, the
    incident's last update, and two at once must take turns, or one's text is lost."""
    statement = (
        select(PublicIncident)
        .where(col(PublicIncident.incident_id) == incident_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.exec(statement)).first()


async def make_public(
    session: AsyncSession,
    incident: Incident,
    *,
    components: Sequence[str],
    language: str,
    by: str,
    at: datetime,
) -> PublicIncident:
    """Show the incident on the status pages with these components (the caller commits).

    Again on a public incident, the components are replaced; on a withdrawn one, it is shown
    again.
    """
    if incident.is_private:
        raise PrivateIncident(reference=incident.reference)
    # Named in a slash command, so Slack-encoded: kept as the names people read (``R&D``, not
    # ``R&amp;D``, and as customers may read them: no directory name, no channel), which is
    # what the status pages show and Statuspage's settings name.
    components = [c for c in (clean(to_public_plain(c)) for c in components) if c]
    public = await public_record(session, incident.id or 0)
    if public is None:
        public = PublicIncident(
            incident_id=incident.id or 0,
            components=components,
            language=language,
            made_public_by=by,
            made_public_at=at,
        )
    else:
        public.components = components or public.components
        public.withdrawn_at = None
    session.add(public)
    log.info("%s made public by %s (%s)", incident.reference, by, ", ".join(components))
    return public


async def set_title(
    session: AsyncSession, incident: Incident, *, title: str, language: str, at: datetime
) -> PublicIncident:
    """Give the public incident its name in ``language`` (plain text; the caller commits):
    what customers read on the status pages instead of the name warroom makes from the
    components; the Statuspage incident is renamed by its sync job."""
    public = await locked_record(session, incident.id or 0)
    if public is None or public.withdrawn_at is not None:
        raise NotPublic(reference=incident.reference)
    # A new dict: the JSON column notices a new value, not a change inside the old one.
    public.titles = {**public.titles, language: clean(title)}
    session.add(public)
    if public.statuspage_id is not None:
        await jobs.run_once_more(
            session,
            kind=JobKind.STATUSPAGE,
            key=statuspage_key(public.incident_id),
            due_at=at,
            incident_id=public.incident_id,
        )
    log.info("%s: public title in %s set", incident.reference, language)
    return public


def public_title(public: PublicIncident, language: str | None) -> tuple[str, str] | None:
    """(language, title) of the title people gave in ``language``, else in the incident's
    language, else their first; None when they gave none."""
    titles = public.titles
    for wanted in (language, public.language):
        if wanted in titles:
            return wanted, titles[wanted]
    return next(iter(titles.items()), None)


def titles_in_order(public: PublicIncident) -> list[tuple[str, str]]:
    """(language, title) of the public titles, the incident's language first."""
    return sorted(public.titles.items(), key=lambda item: item[0] != public.language)


async def withdraw(session: AsyncSession, incident: Incident, *, at: datetime) -> int:
    """Take the incident off warroom's status page; how many updates it had published (the
    caller commits)."""
    public = await _public(session, incident)
    public.withdrawn_at = at
    session.add(public)
    log.info("%s withdrawn from the status page", incident.reference)
    return len(await updates_of(session, public.incident_id))


async def _public(session: AsyncSession, incident: Incident) -> PublicIncident:
    public = await public_record(session, incident.id or 0)
    if public is None or public.withdrawn_at is not None:
        raise NotPublic(reference=incident.reference)
    return public


def status_anchor(updates: Sequence[PublicUpdate]) -> str:
    """The id of an incident's section on the status page (its updates oldest first): the
    link to it from the incident's own page."""
    return f"incident-{updates[0].id if updates else 0}"


async def updates_of(session: AsyncSession, incident_id: int) -> list[PublicUpdate]:
    """The incident's published updates, oldest first."""
    statement = (
        select(PublicUpdate)
        .where(PublicUpdate.incident_id == incident_id)
        .order_by(col(PublicUpdate.published_at), col(PublicUpdate.id))
    )
    return list((await session.exec(statement)).all())


@dataclass(frozen=True)
class Published:
    update: PublicUpdate
    # The text was a translation added to the last update.
    translated: bool = False


async def publish(
    session: AsyncSession,
    incident: Incident,
    *,
    text: str,
    language: str,
    by: str,
    at: datetime,
    status: str | None = None,
) -> Published:
    """Publish a person's update under the status they chose, else the incident's current
    one (the caller commits): a new update, which is what notifies subscribers. A status
    change announced in warroom's words a moment ago is not edited: people's words are news
    of their own."""
    filed = filed_status(incident, status)
    public = await _public(session, incident)
    update = PublicUpdate(
        incident_id=public.incident_id,
        status=filed,
        texts={language: clean(text)},
        published_by=by,
        published_at=at,
    )
    session.add(update)
    await session.flush()
    await schedule_statuspage(session, update)
    await notify_subscribers(session, public, update)
    return Published(update)


async def translate(
    session: AsyncSession,
    incident: Incident,
    *,
    text: str,
    language: str,
    by: str,
    at: datetime,
    grace: timedelta,
) -> Published:
    """Add (or correct) the last public update's text in ``language`` (the caller commits).
    Within ``grace`` of its publication a text is part of the update (its translations as
    they arrive); after, it is a correction, and the update shows as edited."""
    public = await _public(session, incident)
    updates = await updates_of(session, public.incident_id)
    if not updates:
        raise NothingToTranslate(reference=incident.reference)
    last = updates[-1]
    # A new dict: the JSON column notices a new value, not a change inside the old one.
    last.texts = {**last.texts, language: clean(text)}
    last.published_by = last.published_by or by
    last.revision += 1
    if at - last.published_at > grace:
        last.edited_at = at
    session.add(last)
    await session.flush()
    await schedule_statuspage(session, last, at=at)
    return Published(last, translated=True)


def _announcement_key(incident: Incident, at: datetime) -> str:
    return f"public-announcement:{incident.id}:{incident.status}:{at.isoformat()}"


async def announce_status(session: AsyncSession, incident: Incident, *, at: datetime) -> None:
    """If the incident is public, have its new status announced (the caller commits): a job
    that, once the grace is over, publishes an update in warroom's words unless a person
    published their own at this status first (``announce_unless_spoken``)."""
    public = await public_record(session, incident.id or 0)
    if public is None or public.withdrawn_at is not None:
        return
    await jobs.schedule(
        session,
        kind=JobKind.PUBLIC_ANNOUNCEMENT,
        key=_announcement_key(incident, at),
        due_at=at,
        incident_id=incident.id,
        payload={"status": incident.status, "changed_at": at.isoformat()},
    )


async def announce_unless_spoken(
    session: AsyncSession, incident_id: int, *, status: str, changed_at: datetime, at: datetime
) -> PublicUpdate | None:
    """The announcement of ``status`` (an update with no text of anyone's, worded by the
    status templates), published now (the caller commits); None when there is nothing to
    announce: the incident is no longer public or no longer at that status, or a person
    published an update at it since the change."""
    public = await locked_record(session, incident_id)
    incident = await session.get(Incident, incident_id)
    if public is None or public.withdrawn_at is not None or incident is None:
        return None
    if incident.status != status:
        return None  # changed again: that change has its own announcement
    spoken = select(PublicUpdate.id).where(
        col(PublicUpdate.incident_id) == incident_id,
        col(PublicUpdate.status) == status,
        col(PublicUpdate.published_at) >= changed_at,
    )
    if (await session.exec(spoken.limit(1))).first() is not None:
        return None
    update = PublicUpdate(incident_id=incident_id, status=status, published_at=at)
    session.add(update)
    await session.flush()
    await schedule_statuspage(session, update)
    await notify_subscribers(session, public, update)
    return update


async def notify_subscribers(
    session: AsyncSession, public: PublicIncident, update: PublicUpdate
) -> None:
    """Have a new update sent to each confirmed subscriber of its components, once (the
    caller commits): a translation or correction of it is not sent again."""
    await status_notices.notify_subscribers(
        session,
        notice=status_notices.notice_key(status_notices.UPDATE, update.id),
        components=public.components,
        at=update.published_at,
    )


async def schedule_statuspage(
    session: AsyncSession, update: PublicUpdate, *, at: datetime | None = None
) -> None:
    """Have Statuspage brought up to date with this update's revision (the caller commits;
    the job does nothing when Statuspage is not configured)."""
    # One job per incident: replicas never send one incident's updates at once, and an
    # update published while the job runs makes it run once more.
    await jobs.run_once_more(
        session,
        kind=JobKind.STATUSPAGE,
        key=statuspage_key(update.incident_id),
        due_at=at or update.published_at,
        incident_id=update.incident_id,
    )


async def record_renamed(session: AsyncSession, incident_id: int, name: str) -> None:
    """Keep the name Statuspage was sent (the caller commits)."""
    await session.exec(
        sa_update(PublicIncident)
        .where(col(PublicIncident.incident_id) == incident_id)
        .values(statuspage_name=name)
    )


async def statuspage_ids_held(session: AsyncSession, incident_id: int) -> set[str]:
    """The Statuspage incidents other public incidents than ``incident_id`` are kept as:
    public names carry no reference, so two incidents may share a name there."""
    held = await session.exec(
        select(PublicIncident.statuspage_id).where(
            col(PublicIncident.statuspage_id).is_not(None),
            col(PublicIncident.incident_id) != incident_id,
        )
    )
    return {found for found in held if found}


def statuspage_key(incident_id: int) -> str:
    return f"statuspage:{incident_id}"


async def record_sent(
    session: AsyncSession,
    incident_id: int,
    *,
    statuspage_id: str,
    name: str | None,
    update: PublicUpdate,
    update_id: str,
    at: datetime,
) -> None:
    """Keep what Statuspage answered for ``update`` at its revision, compared and set (the
    caller commits): an incident id (and the ``name`` it was created with) already kept
    stays, and a revision older than the one already recorded as sent never replaces it."""
    await session.exec(
        sa_update(PublicIncident)
        .where(
            col(PublicIncident.incident_id) == incident_id,
            col(PublicIncident.statuspage_id).is_(None),
        )
        .values(statuspage_id=statuspage_id, statuspage_name=name)
    )
    await session.exec(
        sa_update(PublicUpdate)
        .where(
            col(PublicUpdate.id) == update.id,
            col(PublicUpdate.statuspage_revision) < update.revision,
        )
        .values(
            statuspage_update_id=update_id, statuspage_revision=update.revision, statuspage_at=at
        )
    )


@dataclass(frozen=True)
class PublicView:
    """A public incident as the status page shows it."""

    incident: Incident
    public: PublicIncident
    updates: list[PublicUpdate]


async def shown_publicly(
    session: AsyncSession, *, limit: int, since: datetime | None = None
) -> list[PublicView]:
    """The public incidents with at least one update, those not resolved first, then the
    most recently updated: never a private incident's, never a withdrawn one's; with
    ``since``, those updated since then and those not resolved. An incident under way is
    never left out for incidents resolved after its last update. Two queries, however many
    there are: the ``limit`` incidents, then their updates."""
    latest = (
        select(
            col(PublicUpdate.incident_id).label("incident_id"),
            func.max(PublicUpdate.published_at).label("published_at"),
        )
        .group_by(col(PublicUpdate.incident_id))
        .subquery()
    )
    resolved = col(Incident.status) == Status.RESOLVED.value
    statement = (
        select(Incident, PublicIncident)
        .join(PublicIncident, col(PublicIncident.incident_id) == col(Incident.id))
        .join(latest, latest.c.incident_id == col(PublicIncident.incident_id))
        .where(col(PublicIncident.withdrawn_at).is_(None), col(Incident.is_private).is_(False))
        .order_by(resolved, latest.c.published_at.desc(), col(Incident.id).desc())
        .limit(limit)
    )
    if since is not None:
        statement = statement.where(or_(latest.c.published_at >= since, ~resolved))
    shown = (await session.exec(statement)).all()
    updates: dict[int, list[PublicUpdate]] = {public.incident_id: [] for _, public in shown}
    statement_updates = (
        select(PublicUpdate)
        .where(col(PublicUpdate.incident_id).in_(list(updates)))
        .order_by(col(PublicUpdate.published_at), col(PublicUpdate.id))
    )
    for update in (await session.exec(statement_updates)).all():
        updates[update.incident_id].append(update)
    return [PublicView(incident, public, updates[public.incident_id]) for incident, public in shown]
