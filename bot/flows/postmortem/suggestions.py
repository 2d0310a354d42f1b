"""The postmortem draft's written sections suggested by the team's own model (WARROOM_AI_*),
every sentence checked against the record; and a person accepting a suggestion, as it is or
edited, in Slack or in the web view.

The model is asked by a job (``postmortem_suggest``, scheduled by
``postmortem_posting.schedule_draft``): the record goes out as lines (bot/record/postmortem/
evidence.py), the answer is checked (checks.py) and kept (suggestions.py), and the draft is
then scheduled as it would have been without a model. A model that fails gives a request
kept with why, no new suggestions, and the same draft. A private incident's record is not
sent unless WARROOM_AI_PRIVATE is on.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from typing import Any

from markupsafe import Markup
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.errors import BotError
from bot.basics.link_hosts import host_of
from bot.basics.render import local_time, readable
from bot.basics.slack_text import SlackText
from bot.clients.ai import ModelFailure, ask_for_sections
from bot.flows.channel import Writes, choose_template
from bot.flows.people import members_among
from bot.flows.postmortem.posting import complete_from_slack
from bot.flows.postmortem.verification import metric_minutes, verify_meaning
from bot.flows.rights import require
from bot.record.incident import incidents
from bot.record.incident.timeline import EntryRow
from bot.record.people import every_name
from bot.record.postmortem import suggestions
from bot.record.postmortem.checks import check_sections
from bot.record.postmortem.draft_format import zone_named
from bot.record.postmortem.evidence import (
    Evidence,
    entry_ref,
    evidence_of,
    record_lines,
    spans_days,
    within,
)
from bot.record.postmortem.language import Language, Words
from bot.record.postmortem.publication import schedule_publication
from bot.record.postmortem.review import Review, review_of
from bot.record.postmortem.sources import Record, known_at
from bot.record.postmortem.suggestions import Checked, Unsupported
from bot.record.postmortem.verification import failed_a_control, meaning_of
from bot.record.postmortem.writing import entry_sentences
from bot.record.postmortem.written import read_record, template_directory
from bot.record.rights import Act
from bot.services import Services
from bot.store import jobs, outbox
from bot.store.db import session_scope
from bot.store.models import Incident, Job, SectionSuggestion, SuggestionRequest, TimelineKind

log = logging.getLogger(__name__)
# What the model's request is written from (templates/ai/): what to write, the record.
INSTRUCTIONS = "ai/instructions.j2"
RECORD = "ai/record.j2"
# Slack takes a plain-text input of at most 3,000 characters: a longer text is edited on the web.
EDIT_MAX_CHARS = 3000
# A reason a proposed sentence was left out, as the draft says it (postmortem/_parts.j2).
REASONS = "agents/reasons.j2"


class SuggestionRefused(BotError):
    """A suggestion that cannot be accepted (accepted already, the section written, the
    postmortem published, or not this incident's): the template says which."""

    template = "messages/suggestion_refused.j2"


async def ask_model(services: Services, job: Job) -> None:
    """Job: ask the model for the written sections, check and keep what it says (or why it
    said nothing usable), then have the draft written."""
    assert job.incident_id is not None
    ai = services.settings.ai
    async with session_scope(services.engine) as session:
        if await suggestions.request_made(session, job.key) is not None:
            return  # an earlier run kept its request, and scheduled the draft with it
    incident, record, names = await read_record(
        services.engine, job.incident_id, services.settings.incidents.types
    )
    payload = jobs.payload_of(job)
    if payload.get("wrap_up") and incident.is_open:
        return  # reopened while waiting for the wrap-up: the next resolution asks
    by = str(payload.get("by") or "") or None
    asked = Asked(outcome=suggestions.PRIVATE)
    if not ai.enabled:
        asked = Asked(outcome="")  # the model was configured away since the job was scheduled
    elif not incident.is_private or ai.private:
        # Names and links first, as the draft has them: the model reads people by name, and
        # the suggestions' citations link to their messages.
        names |= await complete_from_slack(services, record, names)
        try:
            asked = await _ask(services, incident, record, names)
        except Exception:
            # Whatever went wrong reading the answer must not keep the draft from the channel
            # (a job that failed would be run again, and ask again): said, and logged.
            log.exception("%s: the model's answer could not be checked", incident.reference)
            asked = Asked(suggestions.FAILED, failure={"kind": "error"})
    await _keep(services, incident, job, by=by, asked=asked)


@dataclass(frozen=True)
class Asked:
    """How asking went: the outcome to keep (none: nothing to keep), why it failed, what each
    section became after the checks, and the links of the entries cited."""

    outcome: str
    failure: Mapping[str, Any] | None = None
    checked: Mapping[str, Checked] = field(default_factory=dict)
    links: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Request:
    """What the model is sent, and what its answer is checked against."""

    language: Language
    zone: tzinfo | None
    evidence: Mapping[str, Evidence]
    instructions: str
    record: str


def _request(
    services: Services, incident: Incident, record: Record, names: dict[str, str]
) -> _Request:
    """The record as the model reads it, and the messages that send it."""
    language_code, style = choose_template(services, incident)
    language = Language.load(template_directory(services.renderer, language_code, style))
    zone = zone_named(incident.timezone)
    said = whole_entry(record, entry_sentences(services.renderer, language.code, names), names)
    evidence = evidence_of(record.entries, names, said, zone)
    sent = once_per_message(record.entries)
    lines, left_out = within(
        record_lines(
            [each for ref, each in evidence.items() if ref in sent],
            dated=spans_days(evidence.values()),
        )
    )
    context: dict[str, Any] = {"incident": incident, "language": language.code}
    context |= {"lines": lines, "left_out": left_out, "follow_ups": follow_up_lines(record, names)}
    texts = [each.text for each in evidence.values()]
    context["public"] = public_lines(record, names, zone, said=texts)
    render = services.renderer.render_plain
    return _Request(
        language, zone, evidence, render(INSTRUCTIONS, **context), render(RECORD, **context)
    )


def once_per_message(entries: Sequence[EntryRow]) -> set[str]:
    """The references of the entries the model is sent: one for each Slack message's words,
    its latest mark's (a message marked 🔍, then ❌, is two entries of the same words: sent
    once, as the misleading path); entries of other words (the wrap-up's, each a fact of its
    own on one message) and entries of no message, each."""
    latest: dict[tuple[str | None, str, str], EntryRow] = {}
    sent = set()
    for entry in entries:
        if entry.id is None:
            continue
        if entry.slack_ts is None:
            sent.add(entry_ref(entry.id))
            continue
        key = (entry.slack_channel, entry.slack_ts, entry.text)
        if key not in latest or (latest[key].id or 0) < entry.id:
            latest[key] = entry
    return sent | {entry_ref(each.id or 0) for each in latest.values()}


def whole_entry(
    record: Record, sentence: Callable[[EntryRow], str], names: Mapping[str, str]
) -> Callable[[EntryRow], str]:
    """An entry as the model reads it and its sentences are checked against it: as the draft
    says it, with what was said of it elsewhere in the record, so that a sentence citing it
    holds its numbers: the detection with the alert's own
    description, a marked message with the answer in its thread (a :x:'s "what ruled it
    out?")."""
    description = (
        readable(record.incident.description, names) if record.incident.description else ""
    )

    def said(entry: EntryRow) -> str:
        text = sentence(entry)
        if entry.kind == TimelineKind.DETECTION and description:
            text = f"{text} · Description: {description}"
        reply = record.replies.get(entry.slack_ts or "") if entry.slack_ts else None
        if reply is not None:
            by = names.get(reply.author or "", reply.author or "")
            text = f"{text} · Answered in its thread by {by}: {sentence(reply)}"
        return text

    return said


def public_lines(
    record: Record, names: Mapping[str, str], zone: tzinfo | None, *, said: Sequence[str]
) -> list[str]:
    """What the status pages said and no entry of the record says (``said``: the entries'
    texts; ``/incident update --public`` is an entry too), each update once, in the language
    it was first given (a status announcement warroom worded says its status alone)."""
    lines = []
    for update in record.public_updates:
        at = update.published_at.astimezone(zone)
        text = next(iter(update.texts.values()), "")
        if text and any(text in entry for entry in said):
            continue
        by = names.get(update.published_by, update.published_by) if update.published_by else None
        said = f"{at:%H:%M} {update.status}" + (f", by {by}" if by else "")
        lines.append(f"{said}: {text}" if text else said)
    return lines


def follow_up_lines(record: Record, names: Mapping[str, str]) -> list[str]:
    """The follow-ups agreed (the wrap-up form's, 📝's, ``/incident follow-up``'s), each once,
    with its owner: the model reads them for the lessons, as the draft lists them."""
    lines = []
    for action in record.actions:
        owner = names.get(action.owner, action.owner) if action.owner else None
        text = readable(SlackText(action.text), names)
        lines.append(f"{text} (owner: {owner})" if owner else text)
    return lines


async def _ask(
    services: Services, incident: Incident, record: Record, names: dict[str, str]
) -> Asked:
    """Send the record, read the answer, check every sentence, then have the model check
    their meaning (bot/flows/postmortem/verification.py). A long record takes seconds to say and to
    check against: off the event loop, which must keep answering Slack."""
    sent = await asyncio.to_thread(_request, services, incident, record, names)
    assert services.http is not None, "asking the model needs the application's HTTP session"
    started = time.monotonic()
    try:
        answer = await ask_for_sections(
            services.http, services.settings.ai, instructions=sent.instructions, record=sent.record
        )
    except ModelFailure as error:
        log.warning("%s: the model gave no suggestions: %s", incident.reference, error.detail)
        return Asked(suggestions.FAILED, failure=error.reason)
    return await _checked(services, incident, record, names, sent, answer, started=started)


async def _checked(
    services: Services,
    incident: Incident,
    record: Record,
    names: Mapping[str, str],
    sent: _Request,
    answer: Mapping[str, Sequence[suggestions.Sentence]],
    *,
    started: float,
) -> Asked:
    """Every sentence of ``answer`` through the checks (times, numbers, people, addresses,
    citations), then their meaning where the model verifies it: the model's answer and an
    agent's proposal alike."""
    async with session_scope(services.engine) as session:
        people = await every_name(session) | set(names.values())
    metrics = metric_minutes(record)
    members = await members_among(services, (each.writer for each in sent.evidence.values()))
    own = own_hosts(services)
    checked = await asyncio.to_thread(
        lambda: check_sections(
            answer,
            sent.evidence,
            zone=sent.zone,
            language=sent.language,
            people=people,
            metrics=metrics,
            members=members,
            own_hosts=own,
        )
    )
    checked = await verify_meaning(services, incident, checked, sent.evidence, started=started)
    links = {ref: each.link for ref, each in sent.evidence.items() if each.link}
    return Asked(suggestions.ANSWERED, checked=checked, links=links)


def own_hosts(services: Services) -> tuple[str, ...]:
    """The workspace's own hosts, which no link shown may imitate: warroom's public address
    (``WARROOM_PUBLIC_URL``) and the Slack workspace's (auth.test's ``url``, once known)."""
    found = (services.settings.web.public_url, services.slack.known_workspace_url or "")
    return tuple(host for host in map(host_of, found) if host)


# -- proposed by an agent (bot/web/agents/) -------------------------------------------------
async def citable_record(
    services: Services, incident_id: int
) -> tuple[Incident, Mapping[str, Evidence]]:
    """The incident and its record's entries by reference (``E42``), said as the model reads
    them and as a proposal's sentences are checked against them."""
    incident, record, names = await read_record(
        services.engine, incident_id, services.settings.incidents.types
    )
    sent = await asyncio.to_thread(_request, services, incident, record, names)
    return incident, sent.evidence


async def check_sentences(
    services: Services, incident_id: int, answer: Mapping[str, Sequence[suggestions.Sentence]]
) -> tuple[Incident, Asked]:
    """Sentences (by section) through exactly the checks the model's get, against the
    incident's record: an agent's proposal, a finding or a timeline note alike."""
    started = time.monotonic()
    incident, record, names = await read_record(
        services.engine, incident_id, services.settings.incidents.types
    )
    sent = await asyncio.to_thread(_request, services, incident, record, names)
    asked = await _checked(services, incident, record, names, sent, answer, started=started)
    return incident, asked


@dataclass(frozen=True)
class Reading:
    """An incident's record as the model reads it (``request``), for a question other than
    the draft's (the possible causes): its entries, and the entries added beside them."""

    incident: Incident
    record: Record
    names: dict[str, str]
    request: _Request

    @property
    def evidence(self) -> Mapping[str, Evidence]:
        return self.request.evidence

    def with_evidence(self, extra: Mapping[str, Evidence]) -> Reading:
        """The same record, with entries that are not the timeline's (changes, earlier
        incidents' causes) citable beside its own."""
        request = replace(self.request, evidence={**self.request.evidence, **extra})
        return replace(self, request=request)


async def read_for_model(
    services: Services, incident_id: int, *, until: datetime | None = None
) -> Reading:
    """The incident's record as the model reads it, names and links completed from Slack
    as the draft has them; with ``until``, as it stood then (``warroom ai eval --replay``:
    from the database alone, Slack not asked)."""
    incident, record, names = await read_record(
        services.engine, incident_id, services.settings.incidents.types
    )
    if until is None:
        names |= await complete_from_slack(services, record, names)
    else:
        record = known_at(record, until)
    sent = await asyncio.to_thread(_request, services, incident, record, names)
    return Reading(incident, record, names, sent)


async def check_read(
    services: Services,
    reading: Reading,
    answer: Mapping[str, Sequence[suggestions.Sentence]],
    *,
    started: float,
) -> Asked:
    """Sentences through exactly the checks the draft's get (facts, then meaning with the
    controls), against ``reading``'s entries."""
    return await _checked(
        services,
        reading.incident,
        reading.record,
        reading.names,
        reading.request,
        answer,
        started=started,
    )


async def check_proposal(
    services: Services,
    incident_id: int,
    answer: Mapping[str, Sequence[suggestions.Sentence]],
    *,
    by: str,
) -> Asked:
    """An agent's proposed sentences through exactly the checks the model's get, kept as a
    suggestion (``by``: the agent's token name, shown as who proposed it) and shown in the
    channel with its Accept and Edit buttons, as the model's are, when a sentence was kept."""
    incident, asked = await check_sentences(services, incident_id, answer)
    now = services.clock()
    async with session_scope(services.engine) as session:
        locked = await incidents.lock(session, incident)
        writes = Writes(services, session, locked)
        request, made = await suggestions.keep_request(
            session,
            locked.id or 0,
            key=f"{suggestions.PROPOSED_KEY}{by}:{uuid.uuid4().hex}",
            model=by,
            by=None,
            at=now,
            outcome=suggestions.ANSWERED,
            sections=asked.checked,
        )
        if any(each.sentences for each in made) and locked.channel_id:
            message = suggestions_message(services, locked, request, made, asked.links)
            await writes.keep(outbox.POST, message, after=f"suggestions:{request.id}")
        await session.commit()
    await writes.send()
    services.wake_jobs()
    log.info("%s: %s proposed %s", incident.reference, by, ", ".join(asked.checked))
    return asked


async def _keep(
    services: Services, incident: Incident, job: Job, *, by: str | None, asked: Asked
) -> None:
    """Keep the request and its suggestions, show them in the channel with their buttons,
    and schedule the draft: one transaction."""
    now = services.clock()
    async with session_scope(services.engine) as session:
        locked = await incidents.lock(session, incident)
        writes = Writes(services, session, locked)
        if asked.outcome:
            request, made = await suggestions.keep_request(
                session,
                locked.id or 0,
                key=job.key,
                model=services.settings.ai.model,
                by=by,
                at=now,
                outcome=asked.outcome,
                failure=asked.failure,
                sections=asked.checked,
            )
            if made and locked.channel_id:
                message = suggestions_message(services, locked, request, made, asked.links)
                await writes.keep(outbox.POST, message, after=f"suggestions:{request.id}")
        if locked.channel_id:
            await schedule_publication(session, locked, by=by or "", now=now)
        await session.commit()
    await writes.send()
    services.wake_jobs()


def suggestions_message(
    services: Services,
    incident: Incident,
    request: SuggestionRequest,
    made: Sequence[SectionSuggestion],
    links: Mapping[str, str],
    edited: Collection[int] = (),
) -> dict[str, Any]:
    """The channel's message of a request's suggestions: each section's sentences, their
    citations linked, with an Accept and an Edit button until someone accepts it
    (``edited``: the suggestions accepted with changes)."""
    render = services.renderer
    context: dict[str, Any] = {"incident": incident, "request": request, "suggestions": made}
    context["left_out"] = sum(len(each.unsupported) for each in made)
    sentences = [sentence for each in made for sentence in each.sentences]
    context["meaning"] = meaning_of(sentences, [left for each in made for left in each.unsupported])
    context["failed_control"] = failed_a_control(sentences)
    intro = render.render("messages/suggestions.j2", **context)
    blocks = render.render_json(
        "blocks/suggestions.json.j2", intro=intro, links=links, edited=set(edited), **context
    )
    return {"text": intro, "blocks": blocks}


# -- accepting ----------------------------------------------------------------------------
async def editable_text(
    services: Services, *, channel_id: str, suggestion_id: int
) -> tuple[Incident, SectionSuggestion, str]:
    """What Edit opens: the incident, the suggestion, and its text as a person edits it;
    SuggestionRefused when it cannot be accepted any more, or is too long for Slack's form."""
    async with session_scope(services.engine) as session:
        incident = await incidents.incident_in_channel(session, channel_id)
        suggestion = await _open_suggestion(session, incident, suggestion_id)
    if review_of(incident) == Review.PUBLISHED:  # Edit would end in a refused acceptance
        raise SuggestionRefused(
            reason="published",
            by=incident.postmortem_review_by,
            at=incident.postmortem_review_at,
            incident=incident,
        )
    text = suggestions.joined(suggestion.sentences, suggestion.section)
    if len(text) > EDIT_MAX_CHARS:
        raise SuggestionRefused(reason="too_long", incident=incident)
    return incident, suggestion, text


async def accept_in_channel(
    services: Services, *, channel_id: str, suggestion_id: int, by: str, text: str | None = None
) -> str:
    """Slack's Accept button (``text`` None) or Edit form: the incident of the channel."""
    async with session_scope(services.engine) as session:
        incident = await incidents.incident_in_channel(session, channel_id)
    return await accept_suggestion(
        services, incident_id=incident.id or 0, suggestion_id=suggestion_id, by=by, text=text
    )


async def accept_suggestion(
    services: Services, *, incident_id: int, suggestion_id: int, by: str, text: str | None = None
) -> str:
    """Make the suggestion the section's text, accepted by ``by`` (as suggested, or as they
    edited it): kept, its Slack message shows who accepted it, the canvas follows; what the
    person is told. SuggestionRefused when it cannot be; NotTheirs when ``by`` may not accept
    what the model wrote (a guest)."""
    await require(services, by, Act.ACCEPT_PROPOSAL)
    now = services.clock()
    async with session_scope(services.engine) as session:
        incident = await incidents.lock(session, await _incident(session, incident_id))
        suggestion = await _open_suggestion(session, incident, suggestion_id, checked=False)
        try:
            edit = await suggestions.accept(session, suggestion, by=by, at=now, text=text)
        except suggestions.SuggestionTaken as taken:
            raise SuggestionRefused(
                reason=taken.reason, by=taken.by, at=taken.at, incident=incident
            ) from None
        except ValueError as error:  # EditRefused: too long
            raise SuggestionRefused(
                reason="refused", detail=str(error), incident=incident
            ) from None
        writes = Writes(services, session, incident)
        await _show_accepted(services, session, writes, incident, suggestion)
        if incident.channel_id:
            await schedule_publication(session, incident, by=by, now=now, quiet=True)
        await session.commit()
    await writes.send()
    services.wake_jobs()
    log.info("%s: suggested %s accepted by %s", incident.reference, suggestion.section, by)
    return services.renderer.render(
        "messages/suggestion_accepted.j2", incident=incident, edit=edit, edited=text is not None
    )


async def _show_accepted(
    services: Services,
    session: AsyncSession,
    writes: Writes,
    incident: Incident,
    suggestion: SectionSuggestion,
) -> None:
    """Edit the request's message: the accepted section without its buttons."""
    posted = await outbox.written_for(session, f"suggestions:{suggestion.request_id}")
    request = await session.get(SuggestionRequest, suggestion.request_id)
    if posted is None or request is None or posted.gave_up_at is not None:
        return
    made = await suggestions.suggestions_of_request(session, request.id or 0)
    accepted = await suggestions.accepted_texts(session, [each.id or 0 for each in made])
    by_id = {each.id or 0: each for each in made}
    edited = [
        key
        for key, edit in accepted.items()
        if key in by_id and edit.body != suggestions.joined(by_id[key].sentences, edit.section)
    ]
    links = await suggestions.cited_links(session, incident.id or 0, made)
    message = suggestions_message(services, incident, request, made, links, edited)
    if posted.result_ts:
        await writes.keep(outbox.UPDATE, {**message, "ts": posted.result_ts})
    else:
        await writes.keep(outbox.UPDATE, message, ts_of=posted.id)


async def _incident(session: AsyncSession, incident_id: int) -> Incident:
    incident = await session.get(Incident, incident_id)
    if incident is None:
        raise LookupError(f"no incident with id {incident_id}")
    return incident


async def _open_suggestion(
    session: AsyncSession, incident: Incident, suggestion_id: int, *, checked: bool = True
) -> SectionSuggestion:
    suggestion = await suggestions.suggestion_in(session, incident.id or 0, suggestion_id)
    if suggestion is None:
        raise SuggestionRefused(reason="unknown", incident=incident)
    if checked and suggestion.accepted_at is not None:
        raise SuggestionRefused(
            reason="accepted",
            by=suggestion.accepted_by,
            at=suggestion.accepted_at,
            incident=incident,
        )
    return suggestion


# -- the draft's words for a proposal's refusals ------------------------------------------
def reasons_said(
    services: Services, incident: Incident, left_out: Sequence[Unsupported]
) -> list[str]:
    """Each reason a sentence was left out, as the draft says it (templates/postmortem/
    _parts.j2 ``unsupported_because``), in the words of the incident's draft language."""
    language, style = choose_template(services, incident)
    directory = template_directory(services.renderer, language, style)
    draft = _Plain(incident, Language.load(directory).catalog)
    model = services.settings.ai.model or "the model"
    said = []
    for left in left_out:
        for reason in left.why:
            words = services.renderer.render_plain(
                REASONS, language=language, reason=reason, model=model, draft=draft
            )
            said.append(words.strip())
    return said


@dataclass(frozen=True)
class _Plain:
    """What the draft's reasons ask of the draft (where an entry is, a sentence left out),
    said as plain text: ``E12 (03:50 UTC, Bob Okafor)``, in the language's ``words``."""

    incident: Incident
    words: Words

    def where(self, said: Mapping[str, Any]) -> Markup:
        ref, at, author = said.get("ref") or "", said.get("at"), said.get("author")
        moment = local_time(at, self.incident.timezone) if at else ""
        details = ", ".join(str(part) for part in (moment, author) if part)
        return Markup(f"{ref} ({details})" if details else str(ref))

    def left_out(self, text: str) -> Markup:
        return Markup(text)

    def citations(self, sentence: Mapping[str, Any]) -> Markup:
        return Markup("; ".join(sentence.get("cites") or []))
