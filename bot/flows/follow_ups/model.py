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
from bot.flows.publication import schedule_publication
from bot.record import follow_ups, incidents
from bot.record.follow_up_merges import alike_row, is_merged, model_alike, possibly_same
from bot.services import Services
from bot.store import outbox
from bot.store.db import insert_once, session_scope
from bot.store.models import ActionItem, Incident

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
    # Every other follow-up the incident has now: a message marked :memo: late may have
    # been said before a task noted by command meanwhile.
    earlier = [row for row in rows if follow_ups.follow_up_ref(row) != ref]
    if not earlier:
        return
    same = await _ask(services, incident, [row.text for row in earlier], item.text)
    if same is None:
        return
    await _flag(services, incident, ref, earlier[same], model=ai.model)


async def _ask(services: Services, incident: Incident, earlier: list[str], new: str) -> int | None:
    """The index in ``earlier`` of the task the model says ``new`` repeats, or None."""
    ai = services.settings.ai
    render = services.renderer.render_plain
    assert services.http is not None
    try:
        said = await ask_same_task(
            services.http,
            ai,
            instructions=render(SAME_INSTRUCTIONS),
            tasks=render(SAME_TASKS, earlier=earlier, new=new),
            timeout=min(ai.timeout, SAME_TIMEOUT),
        )
    except ModelFailure as failure:
        log.info(
            "%s: the model did not say whether a follow-up repeats one: %s",
            incident.reference,
            failure.detail,
        )
        return None
    number = said[1:] if said and said.startswith("T") else ""
    if not number.isdigit() or not 1 <= int(number) <= len(earlier):
        return None  # a task it was not given: taken for no answer
    return int(number) - 1


async def _flag(
    services: Services,
    incident: Incident,
    ref: str,
    earlier: follow_ups.FollowUp,
    *,
    model: str,
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
            "messages/follow_up_model_alike.j2", item=kept, earlier=earlier, model=model
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
