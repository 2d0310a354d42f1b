"""Follow-up tasks: noted (``/incident action``, the resolve form) with their owner and due
date, a possible duplicate of an earlier one named; their owner reminded by DM before they
are due and again once they are overdue; marked done from that DM.

Each reminder is a job (``follow_up_reminder``, one per reminder: ``follow_up:<id>:soon``
and ``follow_up:<id>:overdue``) kept in the transaction that noted the follow-up. A job
that finds the follow-up done (marked, or its issue closed in the tracker) says nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.slack_text import SlackText
from bot.basics.trackers import TrackerTarget
from bot.flows.channel import Writes, deliver_now
from bot.flows.follow_ups import filing
from bot.flows.follow_ups.model import ask_in_background
from bot.flows.people import zone_of
from bot.record.follow_ups.follow_up_merges import is_merged
from bot.record.follow_ups.follow_ups import (
    FollowUp,
    first_alike,
    follow_up_ref,
    is_done,
    issue_of,
    mark_done,
    noted_at,
)
from bot.record.incident import findings, incidents
from bot.record.moments import MomentRefused, parse_due
from bot.record.postmortem.publication import schedule_publication
from bot.services import Services
from bot.store import jobs, outbox
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import ActionItem, Incident, Job, LineChange

SOON, OVERDUE = "soon", "overdue"


class SentTwice(Exception):
    """The same follow-up, by the same person, noted a moment ago (a form sent twice): not
    noted again."""


@dataclass(frozen=True)
class Noted:
    """A follow-up just noted, and the earlier one of its incident it reads like (if any)."""

    item: ActionItem
    alike: FollowUp | None


def reminder_key(item_id: int, when: str) -> str:
    return f"follow_up:{item_id}:{when}"


async def note_follow_up(
    writes: Writes,
    *,
    text: SlackText,
    owner: str | None,
    due_at: datetime | None,
    by: str,
    target: TrackerTarget | None,
) -> Noted:
    """Note a follow-up in ``writes``' transaction, with its reminders and its message in the
    channel (with a button to file it when there is a tracker ``target``); the caller
    commits, then sends."""
    session, services, incident = writes.session, writes.services, writes.incident
    assert incident.id is not None
    now = services.clock()
    alike = await first_alike(session, incident.id, text)
    item = findings.note_action(
        session, incident, text=text, owner=owner, by=by, at=now, due_at=due_at
    )
    await session.flush()
    await schedule_reminders(session, services, item, now)
    render = services.renderer
    said = render.render("messages/action_recorded.j2", incident=incident, item=item, alike=alike)
    payload: dict[str, object] = {"text": said}
    if target is not None or alike is not None:
        payload["blocks"] = render.render_json(
            "blocks/follow_up.json.j2",
            text=said,
            item=item,
            ref=follow_up_ref(item),
            alike=alike,
            tracker_name=filing.TRACKER_NAMES[target.kind] if target else None,
        )
    await writes.keep(outbox.POST, payload, after=f"action_item:{item.id}")
    return Noted(item, alike)


async def record_action(
    services: Services,
    *,
    channel_id: str,
    by: str,
    owner: str | None,
    text: SlackText,
    due: str | None = None,
    file: bool = False,
    asked: TrackerTarget | None = None,
    once: bool = False,
) -> str | None:
    """``/incident action``: note a follow-up (due when ``due`` says, read in the incident's
    zone); with ``file``, file it as a tracker issue at once. The private reply names an
    earlier follow-up it reads like, if any. ``once`` (a web form, which a double press
    sends twice): SentTwice for the same words by the same person just now, decided under
    the incident's lock so that two sends at once take turns."""
    async with session_scope(services.engine) as session:
        incident = await incidents.incident_in_channel(session, channel_id)
    target = await filing.target_for(services, incident, asked)
    if file and target is None:
        raise filing.NoTracker(filing.NO_TRACKER)
    due_at = due_moment(due, incident.timezone, services.clock()) if due else None
    async with session_scope(services.engine) as session:
        if once:
            incident = await incidents.lock(session, incident)
            if await findings.noted_just_now(
                session, incident.id or 0, text=text, by=by, at=services.clock()
            ):
                raise SentTwice
        writes = Writes(services, session, incident)
        noted = await note_follow_up(
            writes,
            text=text,
            owner=owner,
            due_at=due_at,
            by=by,
            target=None if file else target,
        )
        await session.commit()
    await writes.send()
    services.wake_jobs()
    ask_model(services, [noted])
    if file:
        await filing.file_follow_up(services, incident, noted.item, by=by, asked=asked)
    return said_alike(services, incident, [noted])


def ask_model(services: Services, noted: list[Noted]) -> None:
    """In the background, the team's model asked about each follow-up its words found no
    earlier one for (bot/flows/follow_ups/model.py)."""
    for each in noted:
        if each.alike is None and each.item.id is not None:
            ask_in_background(services, follow_up_ref(each.item))


def due_moment(text: str, zone: str, now: datetime) -> datetime:
    """When a follow-up of an incident in ``zone`` is due, as ``--due`` (or the form) says;
    refused with what ``--due`` takes."""
    try:
        return parse_due(text, zone=zone, now=now)
    except MomentRefused as refusal:
        raise MomentRefused(**{**refusal.context, "due": True}) from None


def said_alike(services: Services, incident: Incident, noted: list[Noted]) -> str | None:
    """The private word on follow-ups that read like earlier ones: kept both, never merged."""
    alike = [(each.item, each.alike) for each in noted if each.alike is not None]
    if not alike:
        return None
    return services.renderer.render(
        "messages/follow_up_alike.j2",
        incident=incident,
        alike=[(item, earlier, noted_at(earlier)) for item, earlier in alike],
    )


async def schedule_reminders(
    session: AsyncSession, services: Services, item: ActionItem, now: datetime
) -> None:
    """The follow-up's reminders to its owner, one job each (the caller commits): one
    ``WARROOM_FOLLOW_UP_REMINDER`` before it is due (not when it is due sooner than that:
    the owner was just given it), one when it is due. None without an owner or a due date."""
    lead = services.settings.prompts.follow_up_reminder
    if item.owner is None or item.due_at is None or lead is None:
        return
    assert item.id is not None
    times = {SOON: item.due_at - lead, OVERDUE: item.due_at}
    for when, due_at in times.items():
        if when == SOON and due_at <= now:
            continue
        await jobs.schedule(
            session,
            kind=JobKind.FOLLOW_UP_REMINDER,
            key=reminder_key(item.id, when),
            due_at=due_at,
            incident_id=item.incident_id,
            payload={"item": item.id, "when": when},
        )


async def remind_follow_up(services: Services, job: Job) -> None:
    """The job handler: tell the follow-up's owner by DM that it is due soon, or overdue,
    with a button to mark it done; nothing when it is done already."""
    payload = jobs.payload_of(job)
    async with session_scope(services.engine) as session:
        item = await session.get(ActionItem, int(payload.get("item") or 0))
        incident = await session.get(Incident, item.incident_id) if item else None
        issue = await issue_of(session, follow_up_ref(item)) if item else None
        merged = await is_merged(session, follow_up_ref(item)) if item else False
    if item is None or incident is None or item.owner is None or item.due_at is None:
        return None
    if merged:
        return None  # one task with another now: that one's reminders speak for it
    if is_done(item, issue):
        return None
    zone = await zone_of(services, item.owner, otherwise=incident.timezone)
    render = services.renderer
    context = {
        "incident": incident,
        "item": item,
        "overdue": payload.get("when") == OVERDUE,
        "zone": zone,
        "issue": issue,
    }
    text = render.render("messages/follow_up_reminder.j2", outside=True, **context)
    blocks = render.render_json("blocks/follow_up_reminder.json.j2", text=text, item=item)
    async with session_scope(services.engine) as session:
        kept = await outbox.post_once(
            session,
            channel=item.owner,
            text=text,
            blocks=blocks,
            now=services.clock(),
            after=job.key,
            incident_id=incident.id,
        )
        await session.commit()
    if kept is not None:
        await deliver_now(services, item.owner)
    return None


async def mark_follow_up_done(
    services: Services, *, item_id: int, by: str, channel: str | None, message_ts: str | None
) -> str | None:
    """The reminder's "Mark done" (and the web view's): the follow-up marked done by ``by``,
    the reminder DM edited to say so (when pressed there: ``channel`` and ``message_ts``),
    the incident's channel told, and the draft's canvas brought up to date quietly. A second
    press is told it was done already."""
    now = services.clock()
    async with session_scope(services.engine) as session:
        item = await session.get(ActionItem, item_id)
        incident = await session.get(Incident, item.incident_id) if item else None
        if item is None or incident is None:
            return services.renderer.render("messages/follow_up_gone.j2")
        if not mark_done(item, by=by, at=now):
            return services.renderer.render("messages/follow_up_done_already.j2", item=item)
        session.add(item)
        writes = Writes(services, session, incident)
        if channel is not None and message_ts is not None:
            text = services.renderer.render(
                "messages/follow_up_marked.j2", outside=True, incident=incident, item=item
            )
            edited = {"ts": message_ts, "text": text, "blocks": []}
            await writes.keep(outbox.UPDATE, edited, channel=channel)
        if incident.channel_id:
            await writes.say("messages/follow_up_done.j2", item=item)
            await schedule_publication(session, incident, by=by, now=now, quiet=True)
        await session.commit()
    await writes.send()
    services.wake_jobs()
    return None


async def change_follow_up(
    services: Services, *, incident: Incident, item_id: int, text: str | None, by: str
) -> LineChange:
    """Give a follow-up new words (``text``, Slack text), or remove it (None, its reminders
    ended), as ``by``'s change on the draft's page: a row of its own, under the incident's
    lock; the draft's canvas follows quietly. LineRefused when it is not the incident's, is
    merged into another or removed already, has these words, or is filed as an issue (whose
    words the tracker keeps: it changes there)."""
    now = services.clock()
    async with session_scope(services.engine) as session:
        locked = await incidents.lock(session, incident)
        item = await session.get(ActionItem, item_id)
        if item is None or await is_merged(session, follow_up_ref(item)):
            raise findings.LineRefused(why="gone")
        if await issue_of(session, follow_up_ref(item)) is not None:
            raise findings.LineRefused(why="filed")
        change = await findings.change_line(session, locked, item, text=text, by=by, at=now)
        if text is None:
            keys = [reminder_key(item_id, when) for when in (SOON, OVERDUE)]
            await jobs.cancel_keys(session, keys, now=now)
        if locked.channel_id:
            await schedule_publication(session, locked, by=by, now=now, quiet=True)
        await session.commit()
    services.wake_jobs()
    return change
