"""Possible causes of an open incident, proposed by the team's model and proved from the
record or not shown (docs/agents.md).

A job (``causes_ask``, first at the war room's opening) sends the model the record, the
changes on the incident's services before it and the earlier related incidents' causes, each
an ``[E<n>]`` entry, and asks for at most three causes (bot/clients/ai.py, ``warroom_causes``).
Each goes through the draft's checks, facts then meaning with its controls (bot/flows/
postmortem/suggestions.py ``check_read``): only a cause whose meaning the model proved with
the words of an entry it cites is shown, with the independent entries that hold it and
those that contradict it, both found by warroom (never a count said as a confidence). None
passing, the message says there is no supported cause; a model that fails, times out or
fails a control gives no cause, and the message says why.

The incident's one causes message, in its own channel only, is posted once and updated in
place; the job comes back every WARROOM_CAUSES_MIN_INTERVAL while the incident is open and
asks again only when the record changed (its fingerprint). People mark each cause 👍/👎 and
may make one the working theory (a timeline entry). Without a model nothing is asked and no
message posted; a private incident's record is not sent unless WARROOM_AI_PRIVATE is on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.errors import BotError
from bot.clients.ai import ModelFailure, ask_for_causes
from bot.flows.channel import Writes
from bot.flows.postmortem.suggestions import Reading, check_read, read_for_model
from bot.flows.rights import require
from bot.record.changes import beside, suspects
from bot.record.changes.events import changes_before
from bot.record.incident import incidents, timeline
from bot.record.incident.related import causes_known_at, related_to_incident, traits_of
from bot.record.postmortem import causes
from bot.record.postmortem.draft_format import zone_named
from bot.record.postmortem.evidence import record_lines, spans_days, within
from bot.record.postmortem.suggestions import Sentence, Unsupported
from bot.record.postmortem.verification import CHECKED
from bot.record.rights import Act
from bot.services import Services
from bot.store import jobs, outbox
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import CauseRequest, Incident, Job, PossibleCause, TimelineKind

log = logging.getLogger(__name__)
INSTRUCTIONS = "ai/causes_instructions.j2"
RECORD = "ai/record.j2"
MESSAGE = "messages/causes.j2"
BLOCKS = "blocks/causes.json.j2"
THEORY = "messages/cause_theory.j2"


class CauseRefused(BotError):
    """A mark or a working theory on a cause that is not this incident's (or no longer
    shown): the template says which."""

    template = "messages/cause_refused.j2"


def message_key(incident: Incident) -> str:
    """The outbox key of the incident's one causes message."""
    return f"causes:{incident.id}"


async def schedule_causes(
    session: AsyncSession, services: Services, incident: Incident, *, at: datetime
) -> None:
    """Ask for the incident's possible causes at ``at`` (nothing without a model; the
    caller commits)."""
    ai = services.settings.ai
    if not ai.enabled or not ai.causes or incident.id is None:
        return
    await jobs.schedule(
        session,
        kind=JobKind.CAUSES_ASK,
        key=f"causes:{incident.id}:{int(at.timestamp())}",
        due_at=at,
        incident_id=incident.id,
    )


async def ask_causes(services: Services, job: Job) -> None:
    """Job: ask the model for possible causes when the record changed since it was last
    asked, keep what the checks held, show it in the channel; come back later while the
    incident is open."""
    assert job.incident_id is not None
    ai = services.settings.ai
    async with session_scope(services.engine) as session:
        incident = await session.get(Incident, job.incident_id)
    if incident is None or not incident.is_open or not incident.channel_id:
        return
    if not ai.enabled or not ai.causes:
        return
    if incident.is_private and not ai.private:
        return  # the record never leaves warroom: no causes, as no draft suggestions
    reading = await _reading(services, incident)
    fingerprint = causes.fingerprint(reading.evidence)
    async with session_scope(services.engine) as session:
        last = await causes.latest_request(session, incident.id or 0)
    # A failed request is asked again at the next look, the record changed or not.
    if last is not None and last.outcome == causes.ANSWERED and last.fingerprint == fingerprint:
        await _come_back(services, incident)
        return
    outcome, proposed = await propose(services, reading)
    await _keep(
        services, incident, job, outcome=outcome, fingerprint=fingerprint, proposed=proposed
    )


async def _reading(services: Services, incident: Incident) -> Reading:
    """The record as the model reads it, with the changes on the incident's services since
    some hours before it began and the related earlier incidents' causes beside it (public
    ones only: their causes are said in this channel)."""
    return await reading_at(services, incident, services.clock(), replayed=False)


async def reading_at(
    services: Services, incident: Incident, moment: datetime, *, replayed: bool = True
) -> Reading:
    """The record as the model read it at ``moment``, the changes and related incidents'
    causes beside it; ``replayed`` (``warroom ai eval --replay``): only what was known then,
    the entries that happened, the changes received and the causes marked by ``moment``."""
    reading = await read_for_model(services, incident.id or 0, until=moment if replayed else None)
    alerting = services.settings.alerting
    async with session_scope(services.engine) as session:
        # The services as the file names them, and what they depend on (the message beside
        # the incident lists those too); else the record's names as they are.
        own = await beside.incident_services(session, incident, alerting.catalog, alerting.routes)
        dependencies = beside.dependencies_of(own, alerting.catalog)
        names = [*own, *dependencies] or await incident_services(session, incident)
        since = incident.declared_at - timedelta(hours=causes.CHANGES_HOURS)
        hours = (moment - since).total_seconds() / 3600
        changes = await changes_before(session, names, moment, hours=hours)
        related = await related_to_incident(session, incident, public_only=True)
        if replayed:
            changes = [each for each in changes if each.received_at <= moment]
            await causes_known_at(session, related, moment)
    ranked = suspects.ranked(
        changes,
        services=own or names,
        dependencies=dependencies,
        impact=beside.impact_started(incident),
        said=[each.text for each in reading.evidence.values()],
    )
    zone = zone_named(incident.timezone)
    return reading.with_evidence(causes.beside_the_record(reading.evidence, ranked, related, zone))


async def incident_services(session: AsyncSession, incident: Incident) -> list[str]:
    """The services an incident is on: its own, its service fields' values and its alerts'
    ``service`` labels."""
    traits = await traits_of(session, incident.id or 0)
    found = [traits.service] if traits.service else []
    found += [value for name, value in traits.fields if name in ("service", "services")]
    found += [value for name, value in traits.labels if name == "service"]
    return sorted(set(found))


async def propose(services: Services, reading: Reading) -> tuple[str, causes.Proposed]:
    """Ask, then check: what the request came to (what it kept, with the entries holding
    each cause)."""
    incident = reading.incident
    evidence = sorted(reading.evidence.values(), key=lambda each: (each.at, each.ref))
    lines, left_out = within(record_lines(evidence, dated=spans_days(evidence)))
    context: dict[str, Any] = {"incident": incident, "lines": lines, "left_out": left_out}
    render = services.renderer.render_plain
    assert services.http is not None, "asking the model needs the application's HTTP session"
    started = time.monotonic()
    try:
        answer = await ask_for_causes(
            services.http,
            services.settings.ai,
            instructions=render(INSTRUCTIONS, most=causes.MAX_CAUSES, **context),
            record=render(RECORD, **context),
        )
    except ModelFailure as error:
        log.warning("%s: the model gave no causes: %s", incident.reference, error.detail)
        return causes.FAILED, causes.Proposed(failure=dict(error.reason))
    try:
        return causes.ANSWERED, await _checked(services, reading, answer, started=started)
    except Exception:
        # Whatever went wrong checking must not leave the channel without a word: said.
        log.exception("%s: the model's causes could not be checked", incident.reference)
        return causes.FAILED, causes.Proposed(failure={"kind": "error"})


async def _checked(
    services: Services, reading: Reading, answer: Sequence[Sentence], *, started: float
) -> causes.Proposed:
    """The causes through the draft's checks; only those whose meaning was proved stay."""
    too_many = tuple(
        Unsupported(each, ({"rule": "too_many", "max": causes.MAX_CAUSES},))
        for each in answer[causes.MAX_CAUSES :]
    )
    asked = await check_read(
        services, reading, {"causes": answer[: causes.MAX_CAUSES]}, started=started
    )
    checked = asked.checked["causes"]
    kept: list[tuple[Sentence, list[dict[str, Any]]]] = []
    refused = [*checked.unsupported, *too_many]
    failure: dict[str, Any] | None = None
    for sentence in checked.kept:
        meaning = dict(sentence.meaning or {})
        if meaning.get("state") == CHECKED:
            kept.append((sentence, causes.held_by(sentence, reading.evidence)))
            continue
        why = dict(meaning.get("why") or {"kind": "off"})
        failure = failure or why
        refused.append(Unsupported(replace(sentence), ({"rule": "meaning_not_checked", **why},)))
    # A cause an entry says against is shown after those none does (the model's order kept
    # otherwise): a count of supporting entries is no likelihood, and no order is made of it.
    kept.sort(key=lambda each: causes.standing(each[1]) == causes.CONTRADICTED)
    return causes.Proposed(tuple(kept), tuple(refused), None if kept else failure)


async def _keep(
    services: Services,
    incident: Incident,
    job: Job,
    *,
    outcome: str,
    fingerprint: str,
    proposed: causes.Proposed,
) -> None:
    """Keep the request and its causes, post or update the message, schedule the next look:
    one transaction."""
    now = services.clock()
    async with session_scope(services.engine) as session:
        locked = await incidents.lock(session, incident)
        request, kept = await causes.keep_request(
            session,
            locked,
            key=f"{job.key}:{job.id}",
            model=services.settings.ai.model,
            at=now,
            outcome=outcome,
            print_=fingerprint,
            proposed=proposed,
        )
        writes = Writes(services, session, locked)
        await _show(services, session, writes, locked, request, kept)
        if locked.is_open:
            await schedule_causes(
                session, services, locked, at=now + services.settings.ai.causes_min_interval
            )
        await session.commit()
    await writes.send()
    services.wake_jobs()
    log.info("%s: %s possible cause(s) shown", incident.reference, len(kept))


async def _come_back(services: Services, incident: Incident) -> None:
    async with session_scope(services.engine) as session:
        at = services.clock() + services.settings.ai.causes_min_interval
        await schedule_causes(session, services, incident, at=at)
        await session.commit()


def causes_message(
    services: Services,
    incident: Incident,
    request: CauseRequest,
    kept: Sequence[PossibleCause],
    votes: dict[int, tuple[int, int]],
) -> dict[str, Any]:
    """The channel's causes message: text and blocks."""
    context: dict[str, Any] = {
        "incident": incident,
        "request": request,
        "causes": kept,
        "votes": votes,
    }
    intro = services.renderer.render(MESSAGE, **context)
    blocks = services.renderer.render_json(BLOCKS, intro=intro, **context)
    return {"text": intro.strip(), "blocks": blocks}


async def _show(
    services: Services,
    session: AsyncSession,
    writes: Writes,
    incident: Incident,
    request: CauseRequest,
    kept: Sequence[PossibleCause],
) -> None:
    """Post the causes message in the incident's channel, or update the one posted."""
    if not incident.channel_id:
        return
    votes = await causes.tallies(session, [each.id or 0 for each in kept])
    message = causes_message(services, incident, request, kept, votes)
    posted = await outbox.written_for(session, message_key(incident))
    if posted is not None and posted.gave_up_at is None:
        if posted.result_ts:
            await writes.keep(outbox.UPDATE, {**message, "ts": posted.result_ts})
        else:
            await writes.keep(outbox.UPDATE, message, ts_of=posted.id)
        return
    await writes.keep(outbox.POST, message, after=message_key(incident))


# -- people's marks -----------------------------------------------------------------------
async def mark_cause(
    services: Services, *, channel_id: str, cause_id: int, user: str, vote: int
) -> None:
    """``user``'s 👍 (1) or 👎 (-1) on a cause shown in ``channel_id``: kept, the message
    updated."""
    await _on_cause(services, channel_id, cause_id, user, vote=vote)


async def accept_theory(services: Services, *, channel_id: str, cause_id: int, user: str) -> None:
    """Make a cause the incident's working theory: kept on the cause, a timeline entry in
    the person's name, the message updated. NotTheirs for a guest."""
    await require(services, user, Act.ACCEPT_PROPOSAL)
    await _on_cause(services, channel_id, cause_id, user, vote=None)


async def _on_cause(
    services: Services, channel_id: str, cause_id: int, user: str, *, vote: int | None
) -> None:
    now = services.clock()
    async with session_scope(services.engine) as session:
        incident = await incidents.locked_in_channel(session, channel_id)
        cause = await causes.cause_in(session, incident.id or 0, cause_id)
        if cause is None:
            raise CauseRefused(reason="unknown", incident=incident)
        writes = Writes(services, session, incident)
        if vote is not None:
            await causes.mark(session, cause, user=user, vote=vote, at=now)
        elif cause.theory_by is None:
            cause.theory_by, cause.theory_at = user, now
            session.add(cause)
            text = services.renderer.render_plain(THEORY, cause=cause)
            timeline.add_entry(
                session,
                incident,
                kind=TimelineKind.INVESTIGATION,
                text=text.strip(),
                author=user,
                occurred_at=now,
            )
        request = await session.get(CauseRequest, cause.request_id)
        assert request is not None
        latest = await causes.latest_request(session, incident.id or 0)
        if latest is not None and latest.id == request.id:
            await _show(
                services,
                session,
                writes,
                incident,
                request,
                await causes.causes_of(session, request.id or 0),
            )
        await session.commit()
    await writes.send()
