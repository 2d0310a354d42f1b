"""The postmortem draft posted in the incident's channel, as a canvas or a Markdown file.

Before a draft is rendered, what it needs from Slack is fetched once and kept in the record:
people's names (``users.info``, once per person) and the links to the messages entries came
from (one ``chat.getPermalink`` per channel, bot/flows/postmortem/links.py). A draft rendered
later needs no Slack: the web view reads it with bot.record.postmortem.written.read_draft,
which writes every draft.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.errors import UsageError
from bot.basics.markdown_text import markdown_to_html
from bot.basics.slack_text import to_plain
from bot.clients.slack.errors import SlackGone, SlackNotAllowed, SlackRefused
from bot.config.ai import AISettings
from bot.flows.channel import choose_template, deliver_now
from bot.flows.follow_ups.filing import file_all
from bot.flows.postmortem.links import find_links
from bot.flows.rights import require
from bot.record.incident import incidents
from bot.record.incident.message_links import keep_links, remember_base
from bot.record.incident.timeline import EntryRow
from bot.record.people import remember_names
from bot.record.postmortem.publication import schedule_publication
from bot.record.postmortem.sources import Record
from bot.record.postmortem.suggestions import asked_before
from bot.record.postmortem.written import (
    NoSuchTemplate,
    WrittenDraft,
    read_record,
    template_directory,
    write_in_thread,
)
from bot.record.rights import Act
from bot.services import Services
from bot.store import jobs, outbox
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import ActionItem, Incident, Job, TimelineEntry

log = logging.getLogger(__name__)
# canvases.create takes at most 1 MiB of Markdown; a longer draft goes out as a file.
CANVAS_MAX_BYTES = 1024 * 1024


async def write_draft(
    services: Services,
    incident_id: int,
    *,
    ask_slack: bool = True,
    style: str | None = None,
    language: str | None = None,
) -> WrittenDraft:
    """Render the incident's draft from the record as it stands (in a style and language other
    than the incident's, if given), with the names and links the record lacks asked of Slack
    first (``ask_slack``)."""
    incident, record, names = await read_record(
        services.engine,
        incident_id,
        services.settings.incidents.types,
        services.settings.alerting.catalog,
    )
    if ask_slack:
        names |= await complete_from_slack(services, record, names)
    chosen_language, chosen_style = choose_template(services, incident)
    return await write_in_thread(
        services.renderer,
        record,
        names,
        language=language or chosen_language,
        style=style or chosen_style,
        now=services.clock(),
    )


def as_html(services: Services, written: WrittenDraft) -> str:
    """The draft as a standalone HTML page."""
    incident = written.draft.incident
    return services.renderer.render(
        "postmortem/page.html.j2",
        title=f"{incident.reference} {to_plain(incident.title)}",
        language=written.draft.language.code,
        body=markdown_to_html(written.markdown),
    )


async def complete_from_slack(
    services: Services, record: Record, names: dict[str, str]
) -> dict[str, str]:
    """Fetch the names and links the record lacks, and keep them; return the new names."""
    fetched: dict[str, str] = {}
    # Once per person: a name Slack gave is kept (bot/record/people.py) for every later draft.
    for user_id in sorted(record.user_ids() - names.keys()):
        name = await services.slack.full_name(user_id)
        if name != user_id:  # the id itself comes back when Slack would not say
            fetched[user_id] = name
    found = await find_links(services, record.unlinked())
    entries = {row.id: link for row, link in found.links if isinstance(row, EntryRow) and row.id}
    actions = {row.id: link for row, link in found.links if isinstance(row, ActionItem) and row.id}
    async with session_scope(services.engine) as session:
        await remember_names(session, fetched, services.clock())
        for channel, base in found.bases.items():
            await remember_base(session, channel, base, services.clock())
        await keep_links(session, TimelineEntry, entries)
        await keep_links(session, ActionItem, actions)
        await session.commit()
    for row, link in found.links:
        row.permalink = link
    return fetched


# -- publishing ----------------------------------------------------------------------------
async def schedule_draft(
    session: AsyncSession,
    incident: Incident,
    *,
    by: str,
    now: datetime,
    ai: AISettings,
    again: bool = False,
) -> None:
    """The draft resolving or ``/incident postmortem`` asks for (the caller commits, then
    wakes the jobs). With the team's model configured (WARROOM_AI_*) it is asked first for
    the written sections, by a job that then schedules the publication, once the team has
    said what it knows: on the first resolution the job waits for the wrap-up form to be
    answered or skipped (``wrap_up_said``), at most WARROOM_WRAP_UP_WAIT; on every
    ``/incident postmortem`` (``again``) it is due at once. A request while one waits joins
    it (sooner, for ``again``)."""
    assert incident.id is not None
    if not ai.enabled or not (again or not await asked_before(session, incident.id)):
        await schedule_publication(session, incident, by=by, now=now)
        return
    await incidents.lock(session, incident)
    if await jobs.unfinished(session, kind=JobKind.POSTMORTEM_SUGGEST, incident_id=incident.id):
        if again:
            await wrap_up_said(session, incident, now=now)
        return
    # A private incident's record is not sent (unless WARROOM_AI_PRIVATE): nothing to wait for.
    wait = not again and (ai.private or not incident.is_private)
    await jobs.schedule(
        session,
        kind=JobKind.POSTMORTEM_SUGGEST,
        key=f"suggest:{incident.id}:{uuid.uuid4().hex}",
        due_at=now + ai.wrap_up_wait if wait else now,
        incident_id=incident.id,
        # A job waiting for the wrap-up is for a resolved incident: reopened, it asks nothing.
        payload={"by": by, "wrap_up": wait},
    )


async def wrap_up_said(session: AsyncSession, incident: Incident, *, now: datetime) -> None:
    """The wrap-up form answered or skipped: the model waiting for it is asked now (the
    caller commits, then wakes the jobs). Nothing when none waits: it is asked once."""
    assert incident.id is not None
    await jobs.hurry(session, incident_id=incident.id, kinds=[JobKind.POSTMORTEM_SUGGEST], now=now)


async def publish_postmortem(services: Services, job: Job) -> datetime | None:
    """Job: post the draft to the incident channel, as its canvas or as a Markdown file."""
    assert job.incident_id is not None
    payload = jobs.payload_of(job)
    written = await write_draft(services, job.incident_id)
    incident = written.draft.incident
    if payload.get("quiet") and not incident.postmortem_canvas_id:
        return None  # a file already posted cannot change; the next full draft brings the edit
    canvas_id = await _to_canvas(services, incident, written)
    if payload.get("quiet"):
        return None
    if services.settings.trackers.file_on_postmortem:
        # WARROOM_TRACKER_FILE_ON_POSTMORTEM: every follow-up not filed yet is filed now.
        await file_all(services, incident, by=str(payload.get("by") or ""))
    summary = services.renderer.render(
        "messages/postmortem_posted.j2",
        draft=written.draft,
        gaps=written.gaps,
        canvas=canvas_id is not None,
        by=payload.get("by"),
    )
    await _announce(services, incident, job, written, summary, canvas=canvas_id is not None)
    return None


async def _announce(
    services: Services,
    incident: Incident,
    job: Job,
    written: WrittenDraft,
    summary: str,
    *,
    canvas: bool,
) -> None:
    """Say in the channel that the draft is there, once per job: a job run again (asked
    again while it ran, or retried after a later step failed) finds its message kept and
    posts nothing more. A canvas's message is kept in the outbox first, with its key; a file
    is uploaded, then kept as sent."""
    assert incident.channel_id is not None
    key = f"postmortem_posted:{job.id}"
    async with session_scope(services.engine) as session:
        if await outbox.written_for(session, key) is not None:
            return
        if canvas:
            await outbox.enqueue(
                session,
                channel=incident.channel_id,
                method=outbox.POST,
                payload={"text": summary},
                now=services.clock(),
                after=key,
                incident_id=incident.id,
            )
            await session.commit()
    if canvas:
        await deliver_now(services, incident.channel_id)
        return
    filename = f"{incident.reference}-postmortem-draft.md"
    await services.slack.upload_file(
        incident.channel_id,
        filename=filename,
        title=f"Postmortem draft: {incident.reference} {to_plain(incident.title)}",
        content=written.markdown,
        comment=summary,
    )
    async with session_scope(services.engine) as session:
        await outbox.record_sent(
            session,
            channel=incident.channel_id,
            method="files.completeUploadExternal",
            payload={"filename": filename},
            now=services.clock(),
            after=key,
            incident_id=incident.id,
        )
        await session.commit()


# What Slack refuses of a canvas for good; rate limits and outages retry the job instead.
REFUSALS = (SlackNotAllowed, SlackRefused)


async def _to_canvas(services: Services, incident: Incident, written: WrittenDraft) -> str | None:
    """Put the draft in the channel's canvas; None when this workspace cannot have one."""
    assert incident.channel_id is not None
    if len(written.markdown.encode()) > CANVAS_MAX_BYTES:
        return None
    if incident.postmortem_canvas_id:
        try:
            await services.slack.replace_canvas(incident.postmortem_canvas_id, written.markdown)
            return incident.postmortem_canvas_id
        except SlackGone:
            pass  # the canvas was deleted: the channel gets a new one
        except REFUSALS as error:
            # Refused for good (plan, settings, permissions): trying again cannot help, and a
            # free workspace's one canvas cannot be made again either. A file then.
            log.info("%s: canvas not edited (%s), posting a file", incident.reference, error.code)
            return None
    title = f"Postmortem draft: {incident.reference} {to_plain(incident.title)}"
    try:
        canvas_id = await services.slack.create_channel_canvas(
            incident.channel_id, title, written.markdown
        )
    except (*REFUSALS, SlackGone) as error:
        # This workspace (plan, settings, token) will not take a canvas here: use a file.
        log.info("%s: no canvas (%s), posting a file", incident.reference, error.code)
        return None
    async with session_scope(services.engine) as session:
        stored = await session.get(Incident, incident.id)
        assert stored is not None
        stored.postmortem_canvas_id = canvas_id
        session.add(stored)
        await session.commit()
    return canvas_id


async def request_postmortem(
    services: Services, *, channel_id: str, by: str, style: str | None, language: str | None
) -> Incident:
    """``/incident postmortem``: keep the style and language asked for, write the draft again
    (the team's model asked again, when there is one: that spends)."""
    if services.settings.ai.enabled:
        await require(services, by, Act.MODEL)
    async with session_scope(services.engine) as session:
        incident = await incidents.locked_in_channel(session, channel_id)
        chosen_language, chosen_style = choose_template(services, incident)
        try:
            template_directory(
                services.renderer, language or chosen_language, style or chosen_style
            )
        except NoSuchTemplate as error:
            raise UsageError(str(error)) from None
        incident.postmortem_language = language or incident.postmortem_language
        incident.postmortem_style = style or incident.postmortem_style
        session.add(incident)
        await schedule_draft(
            session, incident, by=by, now=services.clock(), ai=services.settings.ai, again=True
        )
        await session.commit()
    services.wake_jobs()
    return incident
