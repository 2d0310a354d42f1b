"""The checks of the model's sentences against the entries they cite (bot/record/postmortem/
checks.py): what each kind of fact must be to be kept, times read in the incident's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.basics.render import Renderer
from bot.record.postmortem.checks import check_sections
from bot.record.postmortem.evidence import Evidence
from bot.record.postmortem.language import Language
from bot.record.postmortem.suggestions import MAX_SENTENCES, Sentence

PARIS = ZoneInfo("Europe/Paris")
PEOPLE = {"Dave Kowalski", "Carol Tanaka", "Erin Achebe", "Bob Okafor"}


def entry(ref: str, utc: str, author: str, text: str, *people: str) -> Evidence:
    at = datetime.fromisoformat(utc).replace(tzinfo=UTC).astimezone(PARIS)
    return Evidence(ref, "key_event", at, author, text, frozenset({author, *people}), None)


# 14 March 2025, Paris is UTC+1 (CET).
RECORD = {
    each.ref: each
    for each in (
        entry("E1", "2025-03-14 02:30", "Dave Kowalski", "Slow queries on the orders database?"),
        entry("E2", "2025-03-14 02:42", "Dave Kowalski", "Database is healthy, a dead end."),
        entry(
            "E3",
            "2025-03-14 02:50",
            "Carol Tanaka",
            "Gateway release gw-2.14.1 at 11:55 broke card validation: 25% of 1,200 payments fail.",
        ),
        entry(
            "E4",
            "2025-03-14 03:10",
            "Bob Okafor",
            "Rolling back, @erin is watching.",
            "Erin Achebe",
        ),
    )
}


def language(code: str = "en") -> Language:
    directory = Renderer().find_dir(f"postmortem/{code}")
    assert directory is not None
    return Language.load(directory)


def check(text: str, *cites: str, code: str = "en") -> list[dict[str, Any]]:
    """Why the sentence is left out (empty: it is kept)."""
    checked = check_sections(
        {"summary": [Sentence(text, cites)]},
        RECORD,
        zone=PARIS,
        language=language(code),
        people=PEOPLE,
    )["summary"]
    if checked.kept:
        return []
    (left,) = checked.unsupported
    return [dict(reason) for reason in left.why]


@pytest.mark.parametrize(
    "text",
    [
        "Dave suspected the database at 3:30 AM.",  # the entry's own time, in Paris
        "Dave suspected the database at 03:30.",
        "Dave suspected the database at 3:30.",  # without AM or PM: either
        "Dave suspected the database at 02:30 UTC.",  # converted to Paris
        "Dave suspected the database at 3:30 CET.",  # the zone's own name
        "Dave suspected the database at 03h30.",
        "Dave suspected the database on March 14, 2025.",
        "Dave suspected the database on 2025-03-14.",
    ],
)
def test_times_and_dates_are_read_in_the_incidents_zone(text: str) -> None:
    assert check(text, "E1") == []


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Dave suspected the database at 2:30.", "time"),  # UTC's clock, not Paris's
        ("Dave suspected the database at 3:30 PM.", "time"),
        ("Dave suspected the database at 03:30 PST.", "time"),
        ("Dave suspected the database at 3:30 IST.", "zone"),  # India, Israel or Ireland?
        ("Dave suspected the database on March 15.", "date"),
    ],
)
def test_a_time_or_a_date_no_cited_entry_holds_is_refused(text: str, rule: str) -> None:
    assert [reason["rule"] for reason in check(text, "E1")] == [rule]


def test_a_time_written_in_an_entry_is_the_entrys_own() -> None:
    # "the 11:55 release", as Carol wrote it: quoted, not converted.
    assert check("The 11:55 release broke card validation.", "E3") == []


def test_durations_between_cited_entries_are_kept() -> None:
    assert check("Dave ruled the database out 12 minutes later.", "E1", "E2") == []
    assert check("Dave ruled the database out 13 minutes later.", "E1", "E2") == [
        {"rule": "number", "said": "13", "refs": ["E1", "E2"]}
    ]
    assert check("The rollback came 40 minutes after the first idea.", "E1", "E4") == []


def test_numbers_percentages_and_releases_must_be_in_a_cited_entry() -> None:
    assert check("gw-2.14.1 failed 25% of 1200 payments.", "E3") == []
    assert check("gw-2.14.2 broke card validation.", "E3")[0]["rule"] == "release"
    assert check("It failed 30% of payments.", "E3")[0]["rule"] == "percentage"
    assert check("It failed 1,300 payments.", "E3")[0]["rule"] == "number"
    # Cited somewhere else, a fact is not supported.
    assert check("gw-2.14.1 broke card validation.", "E4")[0]["rule"] == "release"


def test_people_named_must_be_in_a_cited_entry() -> None:
    assert check("Bob rolled back while Erin watched.", "E4") == []
    assert check("Bob Okafor rolled back while @erin watched.", "E4") == []
    assert check("Carol rolled back.", "E4") == [
        {"rule": "person", "said": "Carol", "refs": ["E4"]}
    ]
    assert check("Dave and @frank rolled back.", "E4") == [
        {"rule": "person", "said": "Dave", "refs": ["E4"]},
        {"rule": "person", "said": "@frank", "refs": ["E4"]},
    ]


def test_citations_must_be_there_and_in_this_record() -> None:
    assert check("The database was fine.") == [{"rule": "no_cite"}]
    assert check("The database was fine.", "E99", "E2") == [
        {"rule": "unknown_cite", "refs": ["E99"]}
    ]
    assert check("The database was fine.", "[e2]") == []


def test_a_french_draft_reads_french_dates() -> None:
    assert check("Le 14 mars 2025, Dave a soupçonné la base à 3 h 30.", "E1", code="fr") == []
    assert check("Le 15 mars, Dave a soupçonné la base.", "E1", code="fr")[0]["rule"] == "date"


def test_a_section_keeps_a_few_sentences() -> None:
    many = [Sentence("Dave suspected the database at 3:30.", ("E1",))] * 20
    checked = check_sections(
        {"summary": many}, RECORD, zone=PARIS, language=language(), people=PEOPLE
    )["summary"]
    assert len(checked.kept) == MAX_SENTENCES
    assert [left.why[0]["rule"] for left in checked.unsupported] == ["too_many"] * (
        20 - MAX_SENTENCES
    )


def test_a_sentence_too_long_to_read_is_left_out() -> None:
    long = "Dave suspected the database at 3:30. " * 40
    assert check(long, "E1") == [{"rule": "too_long", "max": 600}]
