"""The form offered on resolving: ``/incident resolve`` resolves at once, as ever, and the
channel gets a message with *Wrap up* and *Skip*. *Wrap up* opens a form, never in anyone's
way: when the impact ended (proposed from the record), the impact in numbers (customers,
orders, money, requests), the triggering change, the affected services (the status page's
components offered, and the incident type's fields), and follow-ups with owners and due
dates. What is given becomes the record: the impact-ended milestone (as ``/incident time
ended`` sets it), impact and trigger entries, follow-ups (with their reminders), the fields;
the draft shows them in Impact, Trigger and Action items, and a draft already posted as the
channel's canvas is brought up to date quietly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.basics.errors import GoneFromRecord
from bot.basics.render import duration_words
from bot.basics.slack_text import SlackText
from bot.config.ai import AISettings
from bot.flows.channel import Writes, refresh_channel_header
from bot.flows.follow_ups import filing
from bot.flows.follow_ups.merging import language_of
from bot.flows.follow_ups.owners import Noted, ask_model, note_follow_up, said_alike
from bot.flows.incident.fields import set_fields
from bot.flows.postmortem.posting import wrap_up_said
from bot.flows.replies import open_form
from bot.record.follow_ups import follow_ups
from bot.record.follow_ups.follow_up_merges import give_owner, ownerless_memos
from bot.record.incident import fields, incidents
from bot.record.incident.incident_types import FieldValue
from bot.record.incident.milestones import set_milestone
from bot.record.incident.wrap_up import note_impact, note_trigger, proposed_impact_end
from bot.record.postmortem.publication import schedule_publication
from bot.record.postmortem.sources import load_record
from bot.record.postmortem.suggestions import asked_before
from bot.record.postmortem.writing import impact_ended
from bot.record.status_page.publications import public_record
from bot.services import Services
from bot.store import outbox
from bot.store.db import session_scope
from bot.store.models import ActionItem, Incident, Milestone, TimelineEntry, TimelineKind

# Follow-up rows the form offers (three inputs each: a block holds one element).
FOLLOW_UP_ROWS = 3
# Block Kit's limit on a select's options.
OPTIONS_MAX = 100
# The :memo: follow-ups without an owner the form lists (a modal holds 100 blocks): the first.
MEMOS_MAX = 20


@dataclass(frozen=True)
class AskedFollowUp:
    """A follow-up row of the form: the task, its owner and when it is due, if given."""

    text: SlackText
    owner: str | None
    due_at: datetime | None


@dataclass(frozen=True)
class WrapUp:
    """What the form was given (everything optional)."""

    ended: datetime | None = None
    numbers: dict[str, Decimal] = field(default_factory=dict)
    trigger: SlackText | None = None
    services: Sequence[str] = ()
    fields: dict[str, FieldValue | None] = field(default_factory=dict)
    follow_ups: Sequence[AskedFollowUp] = ()
    # Owners given to :memo: follow-ups, by the timeline entry's id.
    memo_owners: Mapping[int, str] = field(default_factory=dict)


async def offer_wrap_up(writes: Writes) -> None:
    """The message with *Wrap up* and *Skip*, kept with the resolution (the caller commits)."""
    render = writes.services.renderer
    ai = writes.services.settings.ai
    # With a model, the draft waits for the answer (postmortem_posting.schedule_draft): said.
    text = render.render(
        "messages/wrap_up_offer.j2",
        incident=writes.incident,
        model=ai.model if await _model_waits(writes, ai) else None,
        wait=duration_words(datetime.min, datetime.min + ai.wrap_up_wait),
    )
    blocks = render.render_json("blocks/wrap_up.json.j2", text=text, incident=writes.incident)
    await writes.keep(outbox.POST, {"text": text, "blocks": blocks})


async def _model_waits(writes: Writes, ai: AISettings) -> bool:
    """Whether this resolution's draft waits for the wrap-up to ask the model: the first,
    with a model configured, of an incident it may be sent."""
    incident = writes.incident
    if not ai.enabled or (incident.is_private and not ai.private):
        return False
    return not await asked_before(writes.session, incident.id or 0)


async def open_wrap_up_form(
    services: Services,
    *,
    trigger_id: str,
    incident_id: int,
    message_ts: str,
    response_url: str,
) -> None:
    """*Wrap up*: the form, filled with what the record proposes."""
    types = services.settings.incidents.types
    async with session_scope(services.engine) as session:
        incident = await session.get(Incident, incident_id)
        if incident is None or not incident.channel_id:
            raise GoneFromRecord(what="incident")
        ended = impact_ended(await load_record(session, incident, types))
        source = ended.source if ended.proposed and ended.source else "ended"
        proposed = proposed_impact_end(incident, ended.at, source)
        public = await public_record(session, incident_id)
        values = await fields.values_of(session, incident_id, types.fields)
        memos = ownerless_memos(await follow_ups.follow_ups(session, incident_id))
    metadata = {
        "incident": incident_id,
        "channel": incident.channel_id,
        "zone": incident.timezone,
        "ts": message_ts,
        "response_url": response_url,
    }
    view = services.renderer.render_json(
        "views/wrap_up_modal.json.j2",
        incident=incident,
        proposed=proposed,
        components=component_names(services, public.components if public else ()),
        fields=types.asked_by(incident.incident_type),
        values=values,
        required=set(),
        rows=range(1, FOLLOW_UP_ROWS + 1),
        memos=memos[:MEMOS_MAX],
        language=language_of(services, incident),
        private_metadata=json.dumps(metadata),
    )
    await open_form(services, trigger_id, dict(view))


def component_names(services: Services, public: Sequence[str]) -> list[str]:
    """The components the form offers as affected services: those the incident was made
    public with, then the Statuspage components configured (``STATUSPAGE_COMPONENTS``), each
    once whatever its case, as many as a select holds."""
    names: dict[str, str] = {}
    for name in [*public, *services.settings.status_page.components]:
        names.setdefault(name.strip().lower(), name.strip())
    return [name for name in names.values() if name][:OPTIONS_MAX]


async def wrap_up(
    services: Services, *, channel_id: str, by: str, given: WrapUp, message_ts: str
) -> str | None:
    """Keep what the form was given, in one transaction with its messages, the follow-ups'
    reminders and the draft's refresh; then the fields (their own change, as "Edit fields"
    makes it). The private reply names follow-ups that read like earlier ones."""
    async with session_scope(services.engine) as session:
        incident = await incidents.incident_in_channel(session, channel_id)
    target = await filing.target_for(services, incident)
    now = services.clock()
    async with session_scope(services.engine) as session:
        incident = await incidents.locked_in_channel(session, channel_id)
        writes = Writes(services, session, incident)
        ended = given.ended is not None and given.ended != incident.ended_at
        if given.ended is not None and ended:
            set_milestone(session, incident, Milestone.ENDED, given.ended, by=by, at=now)
        entries = _entries(session, incident, given, by=by, at=now)
        owned = await _give_owners(session, incident, given.memo_owners, by=by, at=now)
        await session.flush()
        render = services.renderer
        text = render.render(
            "messages/wrap_up_given.j2",
            incident=incident,
            given=given,
            by=by,
            zone=incident.timezone,
        )
        linked = ",".join(str(entry.id) for entry in entries)
        await writes.keep(
            outbox.POST, {"text": text}, after=f"timeline_entry:{linked}" if linked else None
        )
        noted: list[Noted] = [
            await note_follow_up(
                writes,
                text=asked.text,
                owner=asked.owner,
                due_at=asked.due_at,
                by=by,
                target=target,
            )
            for asked in given.follow_ups
        ]
        if owned:
            await writes.say("messages/follow_up_owners_given.j2", owned=owned, by=by)
        if message_ts:
            await _answer_offer(writes, message_ts, "messages/wrap_up_thanks.j2", by=by, again=True)
        await schedule_publication(session, incident, by=by, now=now, quiet=True)
        await wrap_up_said(session, incident, now=now)
        await session.commit()
    await writes.send()
    if ended:  # the header's figures are measured from the milestones
        await refresh_channel_header(services, incident)
    services.wake_jobs()
    ask_model(services, noted)
    if given.fields:
        await set_fields(services, channel_id=channel_id, by=by, values=given.fields)
    return said_alike(services, incident, noted)


async def _give_owners(
    session: Any, incident: Incident, owners: Mapping[int, str], *, by: str, at: datetime
) -> list[ActionItem]:
    """Each :memo: follow-up of the incident given an owner in the form, a task of that
    owner's now; one that is not the incident's, or was given one already, is left alone."""
    owned = []
    for entry_id, owner in owners.items():
        memo = await session.get(TimelineEntry, entry_id)
        if memo is None or memo.incident_id != incident.id:
            continue
        if memo.kind != TimelineKind.FOLLOW_UP:
            continue
        item = await give_owner(session, memo, owner, by=by, at=at)
        if item is not None:
            owned.append(item)
    return owned


def _entries(
    session: Any, incident: Incident, given: WrapUp, *, by: str, at: datetime
) -> list[TimelineEntry]:
    impact = note_impact(
        session, incident, numbers=given.numbers, services=given.services, by=by, at=at
    )
    trigger = (
        note_trigger(session, incident, given.trigger, by=by, at=at) if given.trigger else None
    )
    return [entry for entry in (impact, trigger) if entry is not None]


async def skip_wrap_up(services: Services, *, incident_id: int, by: str, message_ts: str) -> None:
    """*Skip*: the offer says who skipped it, and how to add the same later; its buttons go."""
    async with session_scope(services.engine) as session:
        incident = await session.get(Incident, incident_id)
        if incident is None or not incident.channel_id:
            raise GoneFromRecord(what="incident")
        writes = Writes(services, session, incident)
        await _answer_offer(writes, message_ts, "messages/wrap_up_skipped.j2", by=by, again=False)
        await wrap_up_said(session, incident, now=services.clock())
        await session.commit()
    await writes.send()
    services.wake_jobs()


async def _answer_offer(
    writes: Writes, message_ts: str, template: str, *, by: str, again: bool
) -> None:
    """The offer edited to say how it was answered; with ``again``, *Wrap up* stays to add
    more, else its buttons go."""
    render = writes.services.renderer
    text = render.render(template, incident=writes.incident, by=by)
    blocks = (
        render.render_json(
            "blocks/wrap_up.json.j2", text=text, incident=writes.incident, again=again
        )
        if again
        else []
    )
    await writes.keep(outbox.UPDATE, {"ts": message_ts, "text": text, "blocks": blocks})
