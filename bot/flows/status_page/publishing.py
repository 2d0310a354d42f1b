"""The status pages: making an incident public, publishing its updates, and keeping
Atlassian Statuspage in step (a job, retried through outages, refusals said in the channel).

What is public is what ``bot.record.status_page.publications`` keeps: the components people named
and the texts they published; warroom's own words (the incident's name, status announcements) come
from ``templates/public/<language>.j2``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.backoff import backoff
from bot.basics.slack_mrkdwn import emojized
from bot.basics.slack_text import SlackText, to_public_plain
from bot.clients.statuspage import IncidentChange, Statuspage, StatuspageFailure
from bot.flows.channel import Writes, choose_template, say_safely
from bot.flows.incident.changes import UpdatePosted, keep_update
from bot.flows.rights import require
from bot.flows.scheduler import Wait
from bot.record.incident import incidents
from bot.record.rights import Act
from bot.record.status_page import publications as public
from bot.services import Services
from bot.store import jobs
from bot.store.db import session_scope
from bot.store.models import Incident, Job, PublicIncident, PublicUpdate, Status

log = logging.getLogger(__name__)
_ABOUT = "Statuspage"  # what a Slack failure to say so is logged about
# Waits before trying Statuspage again: 15 s, 30 s, 1 min ... then every 10 minutes, without
# end: an update is never dropped because Statuspage was down.
FIRST_RETRY = timedelta(seconds=15)
LONGEST_RETRY = timedelta(minutes=10)
# How a component shows on Statuspage while the incident is open, by severity; monitoring and
# resolved incidents show their components operational.
COMPONENT_STATUS = {"SEV1": "major_outage", "SEV2": "partial_outage"}
OTHER_SEVERITY = "degraded_performance"
SETTLED = {Status.MONITORING.value, Status.RESOLVED.value}
# What people are told when Statuspage refuses for good.
REFUSAL_HINTS = {401: "key", 403: "key", 404: "page", 422: "values"}


# -- words ---------------------------------------------------------------------------------
def public_template(services: Services, language: str) -> str | None:
    template = f"public/{language}.j2"
    return template if services.renderer.exists(template) else None


def public_name(services: Services, record: PublicIncident, language: str | None = None) -> str:
    """The incident's name in public (``named_publicly``), without its language."""
    return named_publicly(services, record, language)[1]


def named_publicly(
    services: Services, record: PublicIncident, language: str | None = None
) -> tuple[str, str]:
    """(language, name) of the incident in public, in ``language`` when it has a title in it:
    the title people gave (``/incident public --title``; else the one in the incident's
    language, else their first); else warroom's own name, made from its components
    (kept as data, never as text) in ``language`` when warroom speaks it, else in the
    incident's, else in English. Never its internal title nor its reference (``INC-7``)."""
    if (given := public.public_title(record, language)) is not None:
        return given
    spoken = next(
        (lang for lang in (language, record.language) if lang and public_template(services, lang)),
        "en",
    )
    name = services.renderer.render_plain(
        f"public/{spoken}.j2", name=True, components=record.components
    )
    return spoken, name


def statuspage_name(services: Services, record: PublicIncident) -> str:
    """The name on Statuspage, which has one name for every reader: each public title, the
    incident's language first, joined as multilingual pages join them ("Perturbations
    plateforme de paiement / Payment platform disruptions"); else warroom's own name."""
    titles = [title for _, title in public.titles_in_order(record)]
    return " / ".join(titles) if titles else public_name(services, record)


def update_texts(
    services: Services,
    record: PublicIncident,
    update: PublicUpdate,
    earlier: Sequence[PublicUpdate] = (),
) -> list[tuple[str, SlackText]]:
    """(language, text) of an update, the incident's language first, as Slack text: a person's
    words as they were published (``/incident update --public``), warroom's announcement
    encoded, so each output decodes both alike. An announcement is worded by warroom in the
    languages the incident has published in (those it has templates for)."""
    if update.texts:
        ordered = sorted(update.texts.items(), key=lambda item: item[0] != record.language)
        return [(language, SlackText.of(text)) for language, text in ordered]
    wanted = [record.language, *(lang for u in earlier for lang in u.texts)]
    languages = [lang for lang in dict.fromkeys(wanted) if public_template(services, lang)]
    return [
        (
            lang,
            SlackText.from_plain(
                services.renderer.render_plain(
                    f"public/{lang}.j2", status=update.status, components=record.components
                )
            ),
        )
        for lang in languages or ["en"]
    ]


def public_text(text: SlackText) -> str:
    """Public words as plain text (Statuspage, the Atom feed): characters as they were typed,
    a person by the label their mention carried (never by the directory's name), no channel,
    links as ``label (url)`` or their URL; no Slack id, construct or entity; an emoji by its
    character, as Slack shows it, not its ``:name:``."""
    return emojized(to_public_plain(text))


# -- commands ------------------------------------------------------------------------------
@dataclass(frozen=True)
class MadePublic:
    incident: Incident
    record: PublicIncident
    # Components Statuspage is configured without (they show on /status only).
    unmapped: list[str]


async def make_public(
    services: Services,
    *,
    channel_id: str,
    by: str,
    components: Sequence[str],
    titles: Mapping[str, str] | None = None,
) -> MadePublic:
    """``/incident public`` (or its form): show the incident on the status pages with these
    components (Slack text) and, from the form, its public titles by language (plain text),
    in one transaction."""
    await require(services, by, Act.PUBLISH)
    async with session_scope(services.engine) as session:
        incident = await incidents.incident_in_channel(session, channel_id)
        record, writes = await mark_public(
            session, services, incident, by=by, components=components
        )
        await session.flush()
        for language, title in (titles or {}).items():
            if title and record.titles.get(language) != title:
                await _title(session, services, writes, incident, by, title, language)
        await session.commit()
    await writes.send()
    services.wake_jobs()
    mapped = services.settings.status_page.components
    unmapped = [c for c in record.components if c.lower() not in mapped]
    return MadePublic(
        incident, record, unmapped if services.settings.status_page.statuspage_on else []
    )


async def mark_public(
    session: AsyncSession,
    services: Services,
    incident: Incident,
    *,
    by: str,
    components: Sequence[str],
) -> tuple[PublicIncident, Writes]:
    """Show the incident on the status pages, and say so in its channel: the caller commits,
    then sends the writes."""
    language, _ = choose_template(services, incident)
    record = await public.make_public(
        session, incident, components=components, language=language, by=by, at=services.clock()
    )
    writes = Writes(services, session, incident)
    await writes.say(
        "messages/public_marked.j2", by=by, record=record, grace=services.settings.status_page.grace
    )
    return record, writes


async def set_public_title(
    services: Services, *, channel_id: str, by: str, title: str, language: str | None
) -> None:
    """``/incident public --title [--lang xx] <title>``: the name customers read in that
    language (the incident's public language when none is given)."""
    await require(services, by, Act.PUBLISH)
    async with session_scope(services.engine) as session:
        incident = await incidents.incident_in_channel(session, channel_id)
        current = await public.public_record(session, incident.id or 0)
        chosen = language or (current.language if current else services.settings.incidents.language)
        writes = Writes(services, session, incident)
        await _title(session, services, writes, incident, by, title, chosen)
        await session.commit()
    await writes.send()
    services.wake_jobs()


async def _title(
    session: AsyncSession,
    services: Services,
    writes: Writes,
    incident: Incident,
    by: str,
    title: str,
    language: str,
) -> None:
    """Set a public title and say so in the channel (the caller commits, then sends)."""
    record = await public.set_title(
        session, incident, title=title, language=language, at=services.clock()
    )
    await writes.say(
        "messages/public_titled.j2", by=by, language=language, title=record.titles[language]
    )


@dataclass(frozen=True)
class PublicForm:
    """What the public form shows: the incident's components and titles as they are, and
    a title field for each language the team publishes in."""

    incident: Incident
    components: list[str]
    titles: dict[str, str]
    languages: list[str]


async def public_form(services: Services, *, channel_id: str, by: str) -> PublicForm:
    """The public form's values for the channel's incident (refused in a private one, and to
    whoever may not publish: saving it would)."""
    await require(services, by, Act.PUBLISH)
    async with session_scope(services.engine) as session:
        incident = await incidents.incident_in_channel(session, channel_id)
        record = await public.public_record(session, incident.id or 0)
    if incident.is_private:
        raise public.PrivateIncident(reference=incident.reference)
    language = record.language if record else choose_template(services, incident)[0]
    titles = dict(public.titles_in_order(record)) if record else {}
    wanted = [language, *services.settings.status_page.languages, *titles]
    return PublicForm(
        incident,
        list(record.components) if record else [],
        titles,
        list(dict.fromkeys(wanted)),
    )


async def public_update_form(services: Services, *, channel_id: str, by: str | None) -> Incident:
    """The incident a public update form is for: refused when it is not on the status page,
    and to whoever may not publish (``by``; None: checked when publishing)."""
    if by is not None:
        await require(services, by, Act.PUBLISH)
    async with session_scope(services.engine) as session:
        incident = await incidents.incident_in_channel(session, channel_id)
        if not await public.on_status_page(session, incident):
            raise public.NotPublic(reference=incident.reference)
    return incident


async def withdraw_public(services: Services, *, channel_id: str, by: str) -> tuple[Incident, int]:
    """``/incident public off``: off warroom's status page; how many updates it had shown."""
    await require(services, by, Act.PUBLISH)
    async with session_scope(services.engine) as session:
        incident = await incidents.incident_in_channel(session, channel_id)
        shown = await public.withdraw(session, incident, at=services.clock())
        record = await public.public_record(session, incident.id or 0)
        writes = Writes(services, session, incident)
        await writes.say(
            "messages/public_withdrawn.j2",
            by=by,
            shown=shown,
            on_statuspage=record is not None and record.statuspage_id is not None,
        )
        await session.commit()
    await writes.send()
    return incident, shown


@dataclass(frozen=True)
class PublicUpdatePosted:
    incident: Incident
    published: public.Published
    # How the stakeholder update a new public update is went (None for a translation).
    posted: UpdatePosted | None


async def publish_update(
    services: Services,
    *,
    channel_id: str,
    by: str,
    text: str,
    language: str | None,
    status: str | None = None,
) -> PublicUpdatePosted:
    """``/incident update --public [--status s] [--lang xx] <text>``: a new public update
    filed under the status chosen (else the incident's), posted in Slack as every
    stakeholder update is, in one transaction; or with ``--lang`` the translation of the last
    one when it has no text in that language yet and no other status was chosen (not posted
    again)."""
    await require(services, by, Act.PUBLISH)
    async with session_scope(services.engine) as session:
        incident = await incidents.incident_in_channel(session, channel_id)
        published = await _publish_or_translate(
            session, services, incident, by, text, language, status
        )
        kept = None
        if not published.translated:
            kept = await keep_update(session, services, incident, text=text, by=by)
        await session.commit()
    services.wake_jobs()
    return PublicUpdatePosted(incident, published, await kept.send() if kept else None)


async def _publish_or_translate(
    session: AsyncSession,
    services: Services,
    incident: Incident,
    by: str,
    text: str,
    language: str | None,
    status: str | None,
) -> public.Published:
    record = await public.locked_record(session, incident.id or 0)
    chosen = language or (record.language if record else choose_template(services, incident)[0])
    updates = await public.updates_of(session, incident.id or 0) if record else []
    last = updates[-1] if updates else None
    now = services.clock()
    same_status = status is None or (last is not None and last.status == status)
    if language and last and last.texts and language not in last.texts and same_status:
        return await public.translate(
            session,
            incident,
            text=text,
            language=chosen,
            by=by,
            at=now,
            grace=services.settings.status_page.grace,
        )
    return await public.publish(
        session, incident, text=text, language=chosen, by=by, at=now, status=status
    )


async def announce_status_change(services: Services, job: Job) -> Wait | None:
    """The job handler: once ``WARROOM_PUBLIC_GRACE`` has passed since a public incident's
    status changed, publish the change in warroom's words, unless a person published their
    own update at that status meanwhile (then theirs is the one subscribers are sent)."""
    payload = jobs.payload_of(job)
    changed_at = datetime.fromisoformat(payload["changed_at"])
    grace_ends = changed_at + services.settings.status_page.grace
    if services.clock() < grace_ends:
        return Wait(grace_ends)
    async with session_scope(services.engine) as session:
        update = await public.announce_unless_spoken(
            session,
            job.incident_id or 0,
            status=payload["status"],
            changed_at=changed_at,
            at=services.clock(),
        )
        await session.commit()
    if update is not None:
        log.info("Incident %s: status %s announced in public", job.incident_id, update.status)
        services.wake_jobs()
    return None


# -- Statuspage ------------------------------------------------------------------------------
async def sync_statuspage(services: Services, job: Job) -> Wait | None:
    """The job handler: send Statuspage every update of the incident it lacks, oldest first
    (a new update, or a text changed since). An outage is tried again, without end and in
    order; a refusal (bad key, unknown page, values refused) is final for that update."""
    settings = services.settings
    if not settings.status_page.statuspage_on or job.incident_id is None:
        return None
    assert services.http is not None, "Statuspage needs the application's HTTP session"
    client = Statuspage(
        services.http,
        settings.status_page.api_url,
        settings.status_page.page_id,
        settings.status_page.api_key,
    )
    async with session_scope(services.engine) as session:
        incident = await incidents.get(session, job.incident_id)
        record = await public.public_record(session, job.incident_id)
        updates = await public.updates_of(session, job.incident_id)
    if incident is None or record is None:
        return None
    for index, update in enumerate(updates):
        if update.statuspage_error or (
            update.statuspage_update_id and update.statuspage_revision >= update.revision
        ):
            continue
        if held_until := _awaiting_translations(services, update, updates[:index]):
            return Wait(held_until)
        body = "\n\n".join(
            public_text(text) for _, text in update_texts(services, record, update, updates[:index])
        )
        try:
            await _send(services, client, job, incident, record, update, body)
        except StatuspageFailure as failure:
            if failure.retryable:
                return await _try_again(services, incident, job, failure)
            await _refused(services, incident, update, failure)
            continue
        if job.attempts > 0:
            await say_safely(
                services,
                incident,
                "messages/statuspage_sent.j2",
                about=_ABOUT,
                attempts=job.attempts + 1,
            )
    try:
        await _rename_if_retitled(services, client, incident)
    except StatuspageFailure as failure:
        if failure.retryable:
            return await _try_again(services, incident, job, failure)
        log.error("Statuspage refused to rename %s: %s", incident.reference, failure)
        await say_safely(
            services,
            incident,
            "messages/statuspage_rename_refused.j2",
            about=_ABOUT,
            detail=failure.detail,
        )
    return None


async def _rename_if_retitled(services: Services, client: Statuspage, incident: Incident) -> None:
    """Give the Statuspage incident its public title when people changed it since it was
    created or last renamed (renaming notifies nobody: it adds no update)."""
    async with session_scope(services.engine) as session:
        record = await public.public_record(session, incident.id or 0)
    if record is None or record.statuspage_id is None:
        return
    name = statuspage_name(services, record)
    if name == record.statuspage_name:
        return
    try:
        await client.rename(record.statuspage_id, name)
    except StatuspageFailure as failure:
        if not failure.retryable:
            # Refused for good: not asked again until people change the title again.
            await _keep_name(services, record.incident_id, name)
        raise
    await _keep_name(services, record.incident_id, name)
    log.info("%s: renamed on Statuspage", incident.reference)


async def _keep_name(services: Services, incident_id: int, name: str) -> None:
    async with session_scope(services.engine) as session:
        await public.record_renamed(session, incident_id, name)
        await session.commit()


def _awaiting_translations(
    services: Services,
    update: PublicUpdate,
    earlier: Sequence[PublicUpdate],
) -> datetime | None:
    """Until when a person's new update waits for its translations before Statuspage gets
    it: subscribers are notified once, by the update's creation, so it should carry every
    language the team publishes in (``WARROOM_PUBLIC_LANGUAGES`` and those the incident's
    earlier updates used), or go without the missing ones once the grace is over. None: send
    it now (a team that writes in one language never waits)."""
    if not update.texts or update.statuspage_update_id:
        return None
    settings = services.settings
    expected = set(settings.status_page.languages)
    expected |= {language for earlier_update in earlier for language in earlier_update.texts}
    grace_ends = update.published_at + settings.status_page.grace
    if expected <= set(update.texts) or services.clock() >= grace_ends:
        return None
    return grace_ends


async def _send(
    services: Services,
    client: Statuspage,
    job: Job,
    incident: Incident,
    record: PublicIncident,
    update: PublicUpdate,
    body: str,
) -> None:
    """One call to Statuspage for ``update``, and what it answered kept on the rows."""
    statuspage_id = await _statuspage_id(services, record.incident_id)
    created_as = None
    if update.statuspage_update_id and statuspage_id:
        await client.edit_update(statuspage_id, update.statuspage_update_id, body)
        update_id = update.statuspage_update_id
    else:
        change = IncidentChange(
            update.status, body, _components(services, incident, record, update)
        )
        if statuspage_id:
            update_id = await client.add_update(statuspage_id, change)
        else:
            created_as = statuspage_name(services, record)
            statuspage_id, update_id = await _create(
                services, client, job, incident, created_as, change
            )
    await _keep(services, record.incident_id, statuspage_id, update, update_id, created_as)
    log.info("%s: update %s on Statuspage (%s)", incident.reference, update.id, update_id)


async def _statuspage_id(services: Services, incident_id: int) -> str | None:
    """The Statuspage incident as the database has it now (not as the job first read it),
    read under the row's lock: another replica's write-back is seen, never half made."""
    async with session_scope(services.engine) as session:
        stored = await public.locked_record(session, incident_id)
        return stored.statuspage_id if stored else None


async def _create(
    services: Services,
    client: Statuspage,
    job: Job,
    incident: Incident,
    name: str,
    change: IncidentChange,
) -> tuple[str, str]:
    """Create the Statuspage incident called ``name``; after a run that failed (a create may
    have reached Statuspage and its answer been lost to a timeout), first look for it among
    the unresolved ones by its name, and take it with the text it should have now."""
    if (
        job.attempts > 0
        and (found := await _lost_create(services, client, incident, name)) is not None
    ):
        log.warning("%s: Statuspage had %s already; taking it", incident.reference, found[0])
        await client.edit_update(*found, change.body)
        return found
    return await client.create_incident(name, change)


async def _lost_create(
    services: Services, client: Statuspage, incident: Incident, name: str
) -> tuple[str, str] | None:
    """The Statuspage incident a lost create made, if any: called ``name`` and not another of
    ours (public names carry no reference, so two incidents can share one)."""
    async with session_scope(services.engine) as session:
        held = await public.statuspage_ids_held(session, incident.id or 0)
    return await client.find_unresolved(name, frozenset(held))


async def _keep(
    services: Services,
    incident_id: int,
    statuspage_id: str,
    update: PublicUpdate,
    update_id: str,
    created_as: str | None,
) -> None:
    async with session_scope(services.engine) as session:
        await public.record_sent(
            session,
            incident_id,
            statuspage_id=statuspage_id,
            name=created_as,
            update=update,
            update_id=update_id,
            at=services.clock(),
        )
        await session.commit()


def _components(
    services: Services, incident: Incident, record: PublicIncident, update: PublicUpdate
) -> dict[str, str]:
    mapped = services.settings.status_page.components
    state = (
        "operational"
        if update.status in SETTLED
        else COMPONENT_STATUS.get(incident.severity, OTHER_SEVERITY)
    )
    ids = [mapped[name.lower()] for name in record.components if name.lower() in mapped]
    return dict.fromkeys(ids, state)


async def _try_again(
    services: Services, incident: Incident, job: Job, failure: StatuspageFailure
) -> Wait:
    asked = timedelta(seconds=failure.retry_after or 0)
    delay = backoff(job.attempts, first=FIRST_RETRY, longest=LONGEST_RETRY, asked=asked)
    log.warning(
        "Statuspage for %s failed (attempt %d): %s", incident.reference, job.attempts + 1, failure
    )
    if job.attempts == 0:
        await say_safely(
            services,
            incident,
            "messages/statuspage_failed.j2",
            about=_ABOUT,
            detail=failure.detail,
            retry_in=delay,
        )
    # An update published meanwhile may cut the backoff short, never Statuspage's wait.
    return Wait(services.clock() + delay, not_before=services.clock() + asked)


async def _refused(
    services: Services, incident: Incident, update: PublicUpdate, failure: StatuspageFailure
) -> None:
    log.error("Statuspage refused %s's update %s: %s", incident.reference, update.id, failure)
    async with session_scope(services.engine) as session:
        stored = await session.get(PublicUpdate, update.id)
        assert stored is not None
        stored.statuspage_error = failure.detail
        session.add(stored)
        await session.commit()
    await say_safely(
        services,
        incident,
        "messages/statuspage_refused.j2",
        about=_ABOUT,
        detail=failure.detail,
        hint=REFUSAL_HINTS.get(failure.status or 0, ""),
    )
