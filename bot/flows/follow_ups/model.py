"""Follow-ups the team's model reads as one task when their words do not (README, "Follow-up
tasks"): asked in the background once a follow-up is noted, by command (``/incident action``,
the wrap-up form) or by a :memo: reaction alike, never in anyone's way; a same task found is
kept (FollowUpAlike) and flagged in the channel with *Merge*. A model that fails or answers
outside the schema changes nothing: the words' match stands, the task is kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clients.ai import ModelFailure
from bot.clients.follow_up_model import ask_same_task
from bot.flows.channel import Writes
from bot.record.follow_ups import follow_ups
from bot.record.follow_ups.follow_up_merges import alike_row, is_merged, model_alike, possibly_same
from bot.record.incident import incidents
from bot.record.postmortem.publication import schedule_publication
from bot.services import Services
from bot.store import outbox
from bot.store.db import insert_once, session_scope
from bot.store.models import ActionItem, Incident, TrackerIssue

log = logging.getLogger(__name__)
SAME_INSTRUCTIONS = "ai/same_task_instructions.j2"
SAME_TASKS = "ai/same_task_tasks.j2"
# A follow-up's check is a courtesy after it is noted: not worth waiting a draft's minute.
SAME_TIMEOUT = 20.0


async def earlier_same(
    session: AsyncSession, item: follow_ups.FollowUp
) -> follow_ups.FollowUp | None:
    """The other follow-up of its incident ``item`` is possibly the same as (an earlier one
    its words read like, or the one the model named), if any."""
    rows = await follow_ups.follow_ups(session, item.incident_id)
    found = possibly_same(
        rows, [row.text for row in rows], await model_alike(session, item.incident_id)
    )
    return found.get(follow_ups.follow_up_ref(item))


@dataclass(frozen=True)
class Found:
    """The open task the model named (its index among those sent), and its quote-free
    reason (empty when it gave none that quotes nothing)."""

    index: int
    reason: str


@dataclass(frozen=True)
class Marked:
    """A message just marked :memo: (its follow-up, a timeline entry, found when asked)."""

    channel: str
    ts: str


def ask_in_background(services: Services, noted: str | Marked) -> None:
    """Have the team's model asked (if one is configured) about a follow-up just noted: by
    command (its ref) or by a :memo: (the message); after whatever noted it is answered. The
    one way every follow-up is asked."""
    if services.settings.ai.enabled:
        services.background.spawn(
            check_with_model(services, noted), name=f"ask the model about follow-up {noted}"
        )


async def _follow_up(session: AsyncSession, noted: str | Marked) -> follow_ups.FollowUp | None:
    if isinstance(noted, Marked):
        return await follow_ups.memo_of(session, channel=noted.channel, ts=noted.ts)
    return await follow_ups.follow_up_of(session, noted)


async def check_with_model(services: Services, noted: str | Marked) -> None:
    """After a follow-up is noted: when its words match no earlier one, ask the team's model
    (if configured, and allowed for a private incident); a same task found is flagged in the
    channel with *Merge*. A model that fails changes nothing: the words' match stands."""
    ai = services.settings.ai
    if not ai.enabled or services.http is None:
        return
    async with session_scope(services.engine) as session:
        item = await _follow_up(session, noted)
        incident = await session.get(Incident, item.incident_id) if item else None
        if item is None or incident is None or (incident.is_private and not ai.private):
            return
        ref = follow_ups.follow_up_ref(item)
        if await is_merged(session, ref):
            return  # one task with another already (or a :memo: given an owner)
        rows = await follow_ups.follow_ups(session, item.incident_id)
        if await earlier_same(session, item) is not None:
            return  # flagged by its words already
        # Every other follow-up the incident has now that is still open (a message marked
        # :memo: late may have been said before a task noted by command meanwhile); a task
        # done or closed in its tracker is no duplicate to flag.
        issues = await follow_ups.issues_of(session, item.incident_id)
    earlier = [
        row for row in rows if follow_ups.follow_up_ref(row) != ref and not _done(row, issues)
    ]
    if not earlier:
        return
    same = await _ask(services, incident, [row.text for row in earlier], item.text)
    if same is None:
        return
    await _flag(services, incident, ref, earlier[same.index], model=ai.model, reason=same.reason)


def _done(row: follow_ups.FollowUp, issues: dict[str, TrackerIssue]) -> bool:
    """A task marked done or closed in its tracker (a :memo: has no done of its own)."""
    return isinstance(row, ActionItem) and follow_ups.is_done(
        row, issues.get(follow_ups.follow_up_ref(row))
    )


async def _ask(
    services: Services, incident: Incident, earlier: list[str], new: str
) -> Found | None:
    """The task of ``earlier`` the model says ``new`` repeats, and why; None when it says
    none, or fails (logged: the words' match stands alone)."""
    ai = services.settings.ai
    render = services.renderer.render_plain
    assert services.http is not None
    try:
        said = await ask_same_task(
            services.http,
            ai,
            instructions=render(SAME_INSTRUCTIONS),
            tasks=render(SAME_TASKS, earlier=earlier, new=new),
            count=len(earlier),
            timeout=min(ai.timeout, SAME_TIMEOUT),
        )
    except ModelFailure as failure:
        log.info(
            "%s: the model did not say whether a follow-up repeats one (the words' match "
            "stands alone): %s",
            incident.reference,
            failure.detail,
        )
        return None
    return None if said.index is None else Found(said.index, said.reason)


async def _flag(
    services: Services,
    incident: Incident,
    ref: str,
    earlier: follow_ups.FollowUp,
    *,
    model: str,
    reason: str,
) -> None:
    now = services.clock()
    async with session_scope(services.engine) as session:
        locked = await incidents.lock(session, incident)
        kept = await follow_ups.follow_up_of(session, ref)
        if kept is None or await is_merged(session, ref):
            return
        if not await insert_once(session, alike_row(kept, earlier, model=model, at=now)):
            return
        writes = Writes(services, session, locked)
        render = services.renderer
        text = render.render(
            "messages/follow_up_model_alike.j2",
            item=kept,
            earlier=earlier,
            model=model,
            reason=reason,
        )
        blocks = render.render_json(
            "blocks/follow_up.json.j2",
            text=text,
            item=kept,
            ref=ref,
            alike=earlier,
            tracker_name=None,
        )
        if locked.channel_id:
            await writes.keep(outbox.POST, {"text": text, "blocks": blocks})
            by = kept.created_by if isinstance(kept, ActionItem) else kept.author
            await schedule_publication(
                session, locked, by=by or locked.declared_by, now=now, quiet=True
            )
        await session.commit()
    await writes.send()
    services.wake_jobs()
