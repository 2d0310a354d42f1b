"""A timeline note an agent proposes (the ``propose_timeline_note`` tool): its text through the
checks a proposal's sentences get (bot/flows/postmortem/suggestions.py ``check_sentences``),
then shown in the incident's channel as a suggested timeline entry "Proposed by <agent>" with
an Accept button, and on the incident's page with one too. A person's one click makes it an
entry at the proposed time, kept as proposed by the agent and accepted by that person. A
note refused comes back with each reason in the draft's words; nothing is kept of it.

Nothing here changes the incident's status, severity, roles or escalations: the entry is a
key event, the kind ``/incident note`` adds.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.basics.errors import BotError
from bot.flows.channel import Writes
from bot.flows.postmortem.suggestions import check_sentences, reasons_said
from bot.flows.rights import require
from bot.record.agents import notes
from bot.record.incident import incidents
from bot.record.incident.timeline import add_entry
from bot.record.postmortem.suggestions import Sentence
from bot.record.rights import Act
from bot.services import Services
from bot.store import outbox
from bot.store.db import session_scope
from bot.store.models import Incident, ProposedNote, TimelineKind

log = logging.getLogger(__name__)
# The checks' section a note's text goes through as (its rules do not depend on the section).
SECTION = "timeline"
MESSAGE = "blocks/proposed_note.json.j2"


class NoteRefused(BotError):
    """A proposed note that cannot be accepted (accepted already, or not this incident's):
    the template says which."""

    template = "messages/proposed_note_refused.j2"


@dataclass(frozen=True)
class NoteOutcome:
    """What became of a proposed note: kept (``note``), or refused with each reason as data
    (``why``) and in the draft's words (``said``)."""

    incident: Incident
    note: ProposedNote | None
    why: Sequence[Mapping[str, Any]] = ()
    said: Sequence[str] = ()


async def propose_note(
    services: Services,
    incident_id: int,
    *,
    text: str,
    at: datetime,
    cites: Sequence[str],
    by: str,
) -> NoteOutcome:
    """Check the note's text against the entries it cites, then keep it and show it in the
    channel with its Accept button; or say why not."""
    sentence = Sentence(text=text.strip(), cites=tuple(c.strip() for c in cites))
    incident, asked = await check_sentences(services, incident_id, {SECTION: [sentence]})
    checked = asked.checked[SECTION]
    if not checked.kept:
        why = [dict(reason) for left in checked.unsupported for reason in left.why]
        said = reasons_said(services, incident, checked.unsupported)
        log.info("%s: %s's timeline note refused: %s", incident.reference, by, said)
        return NoteOutcome(incident, None, why, said)
    kept = checked.kept[0]
    now = services.clock()
    async with session_scope(services.engine) as session:
        locked = await incidents.lock(session, incident)
        note = await notes.keep(
            session,
            locked.id or 0,
            text=kept.text,
            at=at,
            cites=list(kept.cites),
            meaning=dict(kept.meaning) if kept.meaning is not None else None,
            by=by,
            now=now,
        )
        writes = Writes(services, session, locked)
        if locked.channel_id:
            await writes.keep(
                outbox.POST, note_message(services, locked, note, asked.links), after=_key(note)
            )
        await session.commit()
    await writes.send()
    log.info("%s: %s proposed a timeline note", incident.reference, by)
    return NoteOutcome(locked, note)


def note_message(
    services: Services, incident: Incident, note: ProposedNote, links: Mapping[str, str]
) -> dict[str, Any]:
    """The channel's message of a proposed note: the agent, the time and words, what it
    cites, and Accept until someone accepts it (then who did)."""
    render = services.renderer
    intro = render.render("messages/proposed_note.j2", incident=incident, note=note)
    blocks = render.render_json(MESSAGE, incident=incident, note=note, intro=intro, links=links)
    return {"text": intro, "blocks": blocks}


async def accept_in_channel(services: Services, *, channel_id: str, note_id: int, by: str) -> str:
    """Slack's Accept button: the incident of the channel."""
    async with session_scope(services.engine) as session:
        incident = await incidents.incident_in_channel(session, channel_id)
    return await accept_note(services, incident_id=incident.id or 0, note_id=note_id, by=by)


async def accept_note(services: Services, *, incident_id: int, note_id: int, by: str) -> str:
    """Make the note an entry at its time, proposed by its agent and accepted by ``by``; its
    Slack message shows who accepted it. What the person is told; NoteRefused when it cannot
    be, NotTheirs when ``by`` may not accept for the agent (a guest)."""
    await require(services, by, Act.ACCEPT_PROPOSAL)
    now = services.clock()
    async with session_scope(services.engine) as session:
        found = await session.get(Incident, incident_id)
        if found is None:
            raise LookupError(f"no incident with id {incident_id}")
        incident = await incidents.lock(session, found)
        note = await notes.note_in(session, incident.id or 0, note_id)
        if note is None:
            raise NoteRefused(reason="unknown", incident=incident)
        if note.accepted_at is not None:
            raise NoteRefused(
                reason="accepted", by=note.accepted_by, at=note.accepted_at, incident=incident
            )
        entry = add_entry(
            session,
            incident,
            kind=TimelineKind.KEY_EVENT,
            text=note.text,
            author=by,
            occurred_at=note.occurred_at,
            facts={"proposed_by": note.proposed_by, "user": by},
        )
        await session.flush()
        notes.accepted(note, by=by, at=now, entry_id=entry.id or 0)
        session.add(note)
        writes = Writes(services, session, incident)
        posted = await outbox.written_for(session, _key(note))
        if posted is not None and posted.gave_up_at is None:
            links = await notes.cited_links(session, incident.id or 0, note)
            message = note_message(services, incident, note, links)
            if posted.result_ts:
                await writes.keep(outbox.UPDATE, {**message, "ts": posted.result_ts})
            else:
                await writes.keep(outbox.UPDATE, message, ts_of=posted.id)
        await session.commit()
    await writes.send()
    log.info("%s: %s's timeline note accepted by %s", incident.reference, note.proposed_by, by)
    return services.renderer.render(
        "messages/proposed_note_accepted.j2", incident=incident, note=note
    )


def _key(note: ProposedNote) -> str:
    return f"proposed_note:{note.id}"
