"""Suggestions from the team's model for the draft's written sections (WARROOM_AI_*), kept.

Each time the model is asked is a ``SuggestionRequest`` (answered, failed and why, or not sent
because the incident is private); an answer keeps, per section, the sentences the checks kept
and those they left out, with why (``SectionSuggestion``). A suggestion is shown in the draft
as such until a person accepts it: then it is a ``PostmortemEdit`` with the person as author,
which a later draft shows and never rewrites.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.postmortem.edits import check_edit, current_edits
from bot.record.postmortem.evidence import entry_ref
from bot.record.postmortem.review import Review, review_of
from bot.store.models import (
    Incident,
    PostmortemEdit,
    SectionSuggestion,
    SuggestionRequest,
    TimelineEntry,
)

# The sections the model is asked for, and the draft's section each becomes (the key templates
# and the web editor use: the default style's resolution section is "fix").
SECTIONS: Mapping[str, str] = {
    "summary": "summary",
    "underlying_issue": "underlying_issue",
    "resolution": "fix",
    "lessons": "lessons",
}
# A section's sentences past these many are left out (a summary is a few sentences), and so is
# a sentence longer than this; a sentence's citations past these many are not read.
MAX_SENTENCES = 12
MAX_SENTENCE_CHARS = 600
MAX_CITES = 20
# How a request went.
ANSWERED, FAILED, PRIVATE = "answered", "failed", "private"
# A request's key when an agent proposed it (``propose_finding``): its token's name follows,
# and the request's ``model`` is that name.
PROPOSED_KEY = "agent:"


@dataclass(frozen=True)
class Sentence:
    """One sentence the model wrote, and the record entries it cites (``E42``). Once its
    meaning was looked at (bot/record/postmortem/verification.py): where each cited entry is
    (``sources``: its moment in ISO 8601 and its author, by reference), whether its meaning
    was checked (``meaning``: ``{"state": "checked" | "not_checked" | "off", "why": …}``)
    and the words that prove it (``quote``: the entry's reference, moment, author and the
    words)."""

    text: str
    cites: tuple[str, ...]
    sources: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    meaning: Mapping[str, Any] | None = None
    quote: Mapping[str, Any] | None = None

    def kept(self) -> dict[str, Any]:
        """As the database keeps it (``SectionSuggestion.sentences``)."""
        said: dict[str, Any] = {"text": self.text, "cites": list(self.cites)}
        if self.sources:
            said["sources"] = {ref: dict(source) for ref, source in self.sources.items()}
        if self.meaning is not None:
            said["meaning"] = dict(self.meaning)
        if self.quote is not None:
            said["quote"] = dict(self.quote)
        return said


@dataclass(frozen=True)
class Unsupported:
    """A sentence the checks left out, and why: each reason as data (``{"rule": "time",
    "said": "3:42 AM", "refs": ["E12"]}``), which templates say in the draft's language."""

    sentence: Sentence
    why: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class Checked:
    """A section's sentences after the checks: those kept, those left out."""

    kept: tuple[Sentence, ...] = ()
    unsupported: tuple[Unsupported, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not self.kept and not self.unsupported


class SuggestionTaken(ValueError):
    """The suggestion cannot be accepted: ``reason`` is ``accepted`` (it was, by ``by`` at
    ``at``), ``written`` (the section has the text ``by`` gave at ``at``), ``empty`` (no
    sentence of it is kept: there is nothing to accept) or ``published`` (by ``by`` at
    ``at``: reopened first)."""

    def __init__(self, reason: str, by: str | None, at: datetime) -> None:
        super().__init__(reason)
        self.reason = reason
        self.by = by
        self.at = at


def joined(sentences: Sequence[Mapping[str, Any]], section: str) -> str:
    """A suggestion's text as a person edits and keeps it: each sentence followed by its
    citations in brackets (``… rolled back. [E12] [E15]``); lessons one a line, the other
    sections one paragraph."""
    said = [
        " ".join([str(each["text"]).strip(), *(f"[{ref}]" for ref in each.get("cites") or [])])
        for each in sentences
    ]
    return ("\n" if section == "lessons" else " ").join(said)


async def request_made(session: AsyncSession, key: str) -> SuggestionRequest | None:
    """The request a job made already under ``key`` (a job run again asks nothing)."""
    rows = await session.exec(select(SuggestionRequest).where(SuggestionRequest.key == key))
    return rows.first()


async def asked_before(session: AsyncSession, incident_id: int) -> bool:
    """Whether the incident's model was asked (or its record held back) already."""
    rows = await session.exec(
        select(SuggestionRequest.id)
        .where(SuggestionRequest.incident_id == incident_id)
        .where(_by_the_model())
        .limit(1)
    )
    return rows.first() is not None


def _by_the_model() -> Any:
    """The requests made of the team's model, not an agent's proposals (which neither stand
    for asking the model nor say how asking it went)."""
    return col(SuggestionRequest.key).not_like(f"{PROPOSED_KEY}%")


async def keep_request(
    session: AsyncSession,
    incident_id: int,
    *,
    key: str,
    model: str,
    by: str | None,
    at: datetime,
    outcome: str,
    failure: Mapping[str, Any] | None = None,
    sections: Mapping[str, Checked] | None = None,
) -> tuple[SuggestionRequest, list[SectionSuggestion]]:
    """Keep one request and, for an answer, a suggestion for each section it said something
    about (the caller commits)."""
    request = SuggestionRequest(
        incident_id=incident_id,
        key=key,
        model=model,
        asked_by=by,
        asked_at=at,
        outcome=outcome,
        failure=dict(failure) if failure is not None else None,
    )
    session.add(request)
    await session.flush()
    made = [
        SectionSuggestion(
            request_id=request.id or 0,
            incident_id=incident_id,
            section=SECTIONS[name],
            sentences=[sentence.kept() for sentence in checked.kept],
            unsupported=[
                {**left.sentence.kept(), "why": [dict(reason) for reason in left.why]}
                for left in checked.unsupported
            ],
            made_at=at,
        )
        for name, checked in (sections or {}).items()
        if not checked.empty
    ]
    session.add_all(made)
    await session.flush()
    return request, made


async def latest_request(session: AsyncSession, incident_id: int) -> SuggestionRequest | None:
    rows = await session.exec(
        select(SuggestionRequest)
        .where(SuggestionRequest.incident_id == incident_id)
        .where(_by_the_model())
        .order_by(col(SuggestionRequest.id).desc())
        .limit(1)
    )
    return rows.first()


async def suggestions_of(
    session: AsyncSession, incident_id: int
) -> tuple[dict[str, SectionSuggestion], dict[int, str]]:
    """The latest suggestion of each section not accepted yet, by section key; and the
    model each of the incident's suggestions came from, by suggestion id (an accepted
    text says whose suggestion it was; an agent's token name, marked as an agent's)."""
    rows = await session.exec(
        select(SectionSuggestion, SuggestionRequest.model, SuggestionRequest.key)
        .join(SuggestionRequest, col(SuggestionRequest.id) == SectionSuggestion.request_id)
        .where(SectionSuggestion.incident_id == incident_id)
        .order_by(col(SectionSuggestion.id))
    )
    latest: dict[str, SectionSuggestion] = {}
    models: dict[int, str] = {}
    for suggestion, model, key in rows.all():
        latest[suggestion.section] = suggestion
        # An agent's proposal says so wherever the draft names who suggested it.
        models[suggestion.id or 0] = f"{model} (agent)" if key.startswith(PROPOSED_KEY) else model
    pending = {key: each for key, each in latest.items() if each.accepted_at is None}
    return pending, models


async def accept(
    session: AsyncSession,
    suggestion: SectionSuggestion,
    *,
    by: str,
    at: datetime,
    text: str | None = None,
) -> PostmortemEdit:
    """Make the suggestion the section's text, by ``by`` (the caller commits): as suggested,
    or ``text``, the person's edit of it. SuggestionTaken when it was accepted already, and
    when it is accepted as suggested but the section has a text a person gave (theirs stays:
    an edit replaces it, a press on an old message does not), and while the postmortem is
    published (reopened first, with a reason)."""
    incident = await session.get(Incident, suggestion.incident_id)
    if incident is not None and review_of(incident) == Review.PUBLISHED:
        raise SuggestionTaken(
            "published", incident.postmortem_review_by, incident.postmortem_review_at or at
        )
    written = await current_edits(session, suggestion.incident_id)
    mine = written.get(suggestion.section)
    if suggestion.accepted_at is not None:
        raise SuggestionTaken("accepted", suggestion.accepted_by, suggestion.accepted_at)
    if text is None and mine is not None:
        raise SuggestionTaken("written", mine.author, mine.edited_at)
    body = check_edit(suggestion.section, joined(suggestion.sentences, suggestion.section))
    if text is not None:
        body = check_edit(suggestion.section, text)
    if not body:
        raise SuggestionTaken("empty", None, at)
    edit = PostmortemEdit(
        incident_id=suggestion.incident_id,
        section=suggestion.section,
        body=body,
        author=by,
        edited_at=at,
        suggestion_id=suggestion.id,
    )
    suggestion.accepted_by = by
    suggestion.accepted_at = at
    session.add_all([edit, suggestion])
    await session.flush()
    return edit


async def suggestions_of_request(session: AsyncSession, request_id: int) -> list[SectionSuggestion]:
    """A request's suggestions, in the order they were kept (the sections' order)."""
    rows = await session.exec(
        select(SectionSuggestion)
        .where(SectionSuggestion.request_id == request_id)
        .order_by(col(SectionSuggestion.id))
    )
    return list(rows.all())


async def accepted_texts(
    session: AsyncSession, suggestion_ids: Sequence[int]
) -> dict[int, PostmortemEdit]:
    """The text each of these suggestions became when it was accepted, by suggestion id."""
    if not suggestion_ids:
        return {}
    rows = await session.exec(
        select(PostmortemEdit)
        .where(col(PostmortemEdit.suggestion_id).in_(list(suggestion_ids)))
        .order_by(col(PostmortemEdit.id))
    )
    return {edit.suggestion_id or 0: edit for edit in rows.all()}


async def cited_links(
    session: AsyncSession, incident_id: int, made: Sequence[SectionSuggestion]
) -> dict[str, str]:
    """The link to its Slack message of each entry the suggestions cite, by reference."""
    ids = {
        int(ref[1:])
        for each in made
        for sentence in each.sentences
        for ref in sentence.get("cites") or []
        if ref[1:].isdigit()
    }
    if not ids:
        return {}
    rows = await session.exec(
        select(TimelineEntry.id, TimelineEntry.permalink).where(
            TimelineEntry.incident_id == incident_id, col(TimelineEntry.id).in_(sorted(ids))
        )
    )
    return {entry_ref(entry_id): link for entry_id, link in rows.all() if entry_id and link}


async def suggestion_in(
    session: AsyncSession, incident_id: int, suggestion_id: int
) -> SectionSuggestion | None:
    """The suggestion with that id, if it is one of the incident's."""
    suggestion = await session.get(SectionSuggestion, suggestion_id)
    if suggestion is None or suggestion.incident_id != incident_id:
        return None
    return suggestion
