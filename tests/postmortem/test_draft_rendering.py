"""Every draft the records of the suite make, in every style and both languages, read as
GitHub reads Markdown (tests/helpers/gfm.py): tables whose rows have their header's cells, no
heading twice, no escaped pipe in a header, no Accept prompt over nothing. The records: one
with nothing, the full one, and the full one with paging, the model's suggestions (lessons
among them, kept and left out) and the participants' lessons."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.basics.render import Renderer
from bot.record.postmortem.evidence import entry_ref
from bot.record.postmortem.sources import Record
from bot.store.models import LessonsPrompt, Notification, PersonPage, SectionSuggestion
from tests.helpers.gfm import assert_reads_well, gfm_problems
from tests.helpers.records import empty_record, full_record, minutes
from tests.postmortem.test_postmortem_drafts import draft_of

RENDERER = Renderer()
STYLES = RENDERER.postmortem_choices()
MODEL = "llama3.1:8b"
LESSONS_HEADING = {"en": "Lessons learned", "fr": "Enseignements"}
REACHED_HEADER = {"en": "How they were reached", "fr": "Comment ils ont été joints"}


def _paging(record: Record) -> None:
    """The policy's escalation paged Dave: Slack, push, SMS, and a call he answered."""
    for number, escalation in enumerate(record.escalations, start=1):
        escalation.id = number
    page = PersonPage(
        id=1,
        incident_id=7,
        escalation_id=1,
        user_id="U0DAVE",
        started_at=minutes(10),
        state="acknowledged",
        acknowledged_at=minutes(14),
        acknowledged_by="U0DAVE",
        acknowledged_via="voice",
    )
    sent = [("slack", 10, "sent"), ("ntfy", 10, "sent"), ("sms", 11, "failed")]
    record.person_pages = [page]
    record.notifications = [
        Notification(
            id=number,
            page_id=1,
            incident_id=7,
            user_id="U0DAVE",
            rule=1,
            contact=method,
            method=method,
            due_at=minutes(at),
            state=state,
            sent_at=minutes(at),
            updated_at=minutes(at),
        )
        for number, (method, at, state) in enumerate([*sent, ("voice", 13, "answered")], start=1)
    ]


def _suggested(record: Record) -> None:
    """The model's suggestions for every section it writes, one sentence left out of each."""
    for number, entry in enumerate(record.entries, start=1):
        entry.id = number
    cause = next(e for e in record.entries if e.kind == "root_cause")
    fix = next(e for e in record.entries if e.kind == "mitigation")
    ref, fix_ref = entry_ref(cause.id), entry_ref(fix.id)
    quote = {"ref": ref, "at": cause.occurred_at.isoformat(), "author": "Dave Kowalski"}

    def kept(text: str, cites: str, words: str) -> dict[str, object]:
        return {
            "text": text,
            "cites": [cites],
            "meaning": {"state": "checked"},
            "quote": {**quote, "quote": words},
        }

    left = {
        "text": "The rollback took 5 minutes.",
        "cites": [fix_ref],
        "why": [{"rule": "duration", "said": "5 minutes", "refs": [fix_ref]}],
    }
    texts = {
        "summary": "A gateway release changed card type validation.",
        "underlying_issue": "The gateway release changed card type validation.",
        "fix": "The gateway release was rolled back.",
        "lessons": "Test every card type before a gateway release.",
    }
    record.suggestions = {
        key: SectionSuggestion(
            id=number,
            request_id=1,
            incident_id=7,
            section=key,
            sentences=[kept(text, ref, "Gateway release changed card type validation")],
            unsupported=[left],
            made_at=minutes(200),
        )
        for number, (key, text) in enumerate(texts.items(), start=1)
    }
    # A section whose every sentence was left out: nothing to accept.
    record.suggestions["fix"].sentences = []
    record.suggestion_models = {each.id or 0: MODEL for each in record.suggestions.values()}


def _lessons(record: Record) -> None:
    record.lessons = [
        LessonsPrompt(
            incident_id=7,
            user_id="U0CAROL",
            asked_at=minutes(24 * 60),
            answered_at=minutes(24 * 60 + 5),
            went_well="The rollback was quick",
            went_wrong="Nobody tested the other card types",
        )
    ]


def rich_record() -> Record:
    """The full record, paged, with the model's suggestions and the participants' lessons."""
    record = full_record()
    record.entries = [replace(entry) for entry in record.entries]
    _paging(record)
    _suggested(record)
    _lessons(record)
    return record


RECORDS = {"empty": empty_record, "full": full_record, "rich": rich_record}
EVERY_DRAFT = [
    (language, style, name)
    for language, styles in STYLES.items()
    for style in styles
    for name in RECORDS
]


@pytest.mark.parametrize(("language", "style", "record"), EVERY_DRAFT)
def test_every_draft_reads_as_written(language: str, style: str, record: str) -> None:
    draft = draft_of(RECORDS[record](), style=style, language=language, renderer=RENDERER)
    assert_reads_well(draft, f"the {record} draft in {style} ({language})")


@pytest.mark.parametrize(("language", "style"), [(lang, s) for lang, s, _ in EVERY_DRAFT[::3]])
def test_a_paged_escalation_shows_how_each_was_reached_in_a_table(
    language: str, style: str
) -> None:
    draft = draft_of(rich_record(), style=style, language=language, renderer=RENDERER)
    header = next(line for line in draft.splitlines() if REACHED_HEADER[language] in line)
    assert header.endswith(f"| {REACHED_HEADER[language]} |"), header
    assert "\\|" not in header


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("style", ["default", "atlassian"])
def test_lessons_the_model_suggested_and_the_participants_gave_are_under_one_heading(
    language: str, style: str
) -> None:
    draft = draft_of(rich_record(), style=style, language=language, renderer=RENDERER)
    heading = f"## {LESSONS_HEADING[language]}"
    assert draft.count(heading + "\n") == 1, draft
    lessons = draft.split(heading + "\n", 1)[1].split("\n## ", 1)[0]
    assert "Test every card type before a gateway release." in lessons
    assert "The rollback was quick" in lessons and "Nobody tested the other card types" in lessons


def test_the_checker_finds_what_breaks_silently() -> None:
    broken = "\n".join(
        [
            "## Escalations",
            "",
            "| To | When | How they were reached \\|",
            "|---|---|\\---\\|",
            "| Dave | 8:44 PM | push |",
            "",
            "| To | When |",
            "|---|---|",
            "| Dave | 8:44 PM | push |",
            "| Erin |",
            "",
            "## Escalations",
            "",
            "> **Suggested by a model, not yet accepted**: accept or edit it in Slack.",
            "",
        ]
    )
    problems = gfm_problems(broken)
    assert [problem.split(":")[0] for problem in problems] == [
        "line 9",
        "line 10",
        "line 3",
        "line 12",
        "line 14",
    ], problems
    assert "paragraph of pipes" in problems[2]
    assert "3 cells under a header of 2" in problems[0]
    assert "the heading 'Escalations' again" in problems[3]
    assert "Accept prompt over nothing" in problems[4]
    escaped_header = "| To | A \\| B |\n|---|---|\n| x | y |\n"
    assert gfm_problems(escaped_header) == [
        "line 1: an escaped pipe in a table's header: '| To | A \\\\| B |'"
    ]
