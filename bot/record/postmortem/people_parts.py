"""The parts of a postmortem draft people wrote, said or published, read from the record
(``people_parts``, which ``build_draft`` in bot.record.postmortem.writing takes beside the
timeline's sections): the sections written and the model's suggestions, what citations say,
people's statements and marks on the draft's page, the day-after answers, earlier incidents
this one may repeat, the custom fields and the status page's updates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TypedDict

from bot.basics.render import readable
from bot.basics.slack_text import SlackText
from bot.basics.task_words import task_text
from bot.record.incident.incident_types import CustomField, FieldValue
from bot.record.postmortem.evidence import entry_ref
from bot.record.postmortem.parts import (
    Asked,
    Lesson,
    OpenTask,
    PageMark,
    Publication,
    Repeat,
    Stated,
    Suggested,
    Written,
)
from bot.record.postmortem.sources import Record
from bot.store.models import (
    PublicIncident,
    PublicUpdate,
    SectionSuggestion,
    SuggestionRequest,
    TimelineKind,
)

# A user id to the person's name (None stays None).
Namer = Callable[[str | None], str | None]


class PeopleParts(TypedDict):
    """The parts of a draft people wrote, said or published, as ``Draft`` takes them."""

    commander: str | None
    roles: list[tuple[str, str]]
    description: str
    reviewer: str | None
    written: dict[str, Written]
    suggestions: dict[str, Suggested]
    asked: Asked | None
    links: Mapping[str, str | None]
    sources: Mapping[str, tuple[datetime, str | None]]
    public: PublicIncident | None
    publications: list[Publication]
    fields: list[tuple[str, str]]
    said: dict[str, Stated]
    page_marks: list[PageMark]
    lessons: list[Lesson]
    repeats: list[Repeat]


def people_parts(record: Record, name: Namer, names: Mapping[str, str]) -> PeopleParts:
    """What people wrote for the draft, suggested and accepted, said on its page and in the
    channel, published, and filled in: the draft's parts beside the timeline's sections."""
    incident = record.incident
    return PeopleParts(
        commander=name(incident.commander),
        roles=[(role, name(holder) or holder) for role, holder in record.roles.items()],
        description=readable(incident.description, names),
        reviewer=name(incident.postmortem_review_by),
        written=_written(record, name),
        suggestions={key: _suggested(each, record) for key, each in record.suggestions.items()},
        asked=_asked(record.asked),
        links={entry_ref(entry.id): entry.permalink for entry in record.entries if entry.id},
        sources=_cited_sources(record, name),
        public=record.public,
        publications=[_publication(update, record.public) for update in record.public_updates],
        fields=[(field.label, _field_text(field, value, names)) for field, value in record.fields],
        said=_statements(record, name, names),
        page_marks=_page_marks(record, name),
        lessons=_lessons(record, name, names),
        repeats=_repeats(record, name, names),
    )


def _written(record: Record, name: Namer) -> dict[str, Written]:
    """The sections people wrote (or accepted from the model), by key."""
    return {
        key: Written(
            edit.body,
            name(edit.author),
            edit.edited_at,
            record.suggestion_models.get(edit.suggestion_id or 0),
        )
        for key, edit in record.edits.items()
    }


def _cited_sources(record: Record, name: Namer) -> dict[str, tuple[datetime, str | None]]:
    """What citations say: only a draft with the model's text cites (a long timeline's draft
    without it does not pay for a map of every entry)."""
    if not record.suggestions and not any(edit.suggestion_id for edit in record.edits.values()):
        return {}
    return {
        entry_ref(entry.id): (entry.occurred_at, name(entry.author))
        for entry in record.entries
        if entry.id
    }


def _statements(record: Record, name: Namer, names: Mapping[str, str]) -> dict[str, Stated]:
    """What people said of the draft's sections (nobody was misled, brought in, …), by kind."""
    return {
        kind: Stated(
            readable(said.words, names) if said.words and not said.none else "",
            name(said.by),
            said.where,
            said.words_at,
        )
        for kind, said in record.statements.items()
    }


def _page_marks(record: Record, name: Namer) -> list[PageMark]:
    """The messages marked misleading or as the mitigation on the draft's page, and by whom."""
    return [
        PageMark(entry.kind, entry.occurred_at, name(record.page_marks[entry.slack_ts]))
        for entry in record.entries
        if entry.slack_ts
        and entry.slack_ts in record.page_marks
        and entry.kind in (TimelineKind.MISLEADING, TimelineKind.MITIGATION)
    ]


def _lessons(record: Record, name: Namer, names: Mapping[str, str]) -> list[Lesson]:
    """The participants' answers to the day-after question, each with its author."""
    return [
        Lesson(
            name(lesson.user_id),
            readable(lesson.went_well, names) if lesson.went_well else None,
            readable(lesson.went_wrong, names) if lesson.went_wrong else None,
            lesson.answered_at or lesson.asked_at,
        )
        for lesson in record.lessons
    ]


def _repeats(record: Record, name: Namer, names: Mapping[str, str]) -> list[Repeat]:
    """The earlier related incidents with follow-ups still open, each task as the record has
    it (its words, its owner, its message's link, its tracker issue)."""
    return [
        Repeat(
            each.incident.reference,
            each.incident.title,
            each.incident.declared_at,
            tuple(
                OpenTask(
                    task_text(readable(item.text, names)),
                    name(item.owner),
                    item.permalink,
                    issue.key if issue and issue.url else None,
                    issue.url if issue else None,
                )
                for item, issue in each.open_items
            ),
        )
        for each in record.repeats
    ]


def _suggested(suggestion: SectionSuggestion, record: Record) -> Suggested:
    return Suggested(
        id=suggestion.id or 0,
        key=suggestion.section,
        model=record.suggestion_models.get(suggestion.id or 0, ""),
        made_at=suggestion.made_at,
        sentences=list(suggestion.sentences),
        unsupported=list(suggestion.unsupported),
    )


def _asked(request: SuggestionRequest | None) -> Asked | None:
    if request is None:
        return None
    return Asked(request.model, request.asked_at, request.outcome, request.failure)


def _field_text(field: CustomField, value: FieldValue, names: Mapping[str, str]) -> str:
    """A field's value as the draft says it: people by name, options joined, text readable."""
    if field.kind == "user":
        return names.get(str(value), str(value))
    if isinstance(value, list):
        return ", ".join(value)
    return readable(value, names) if field.kind == "text" else str(value)


def _publication(update: PublicUpdate, record: PublicIncident | None) -> Publication:
    language = record.language if record else ""
    text = update.texts.get(language) or next(iter(update.texts.values()), None)
    text = SlackText.of(text) if text is not None else None  # people's words, as typed
    return Publication(
        at=update.published_at,
        status=update.status,
        languages=list(update.texts),
        text=text,
        on_statuspage=update.statuspage_update_id is not None,
        statuspage_error=update.statuspage_error,
    )
