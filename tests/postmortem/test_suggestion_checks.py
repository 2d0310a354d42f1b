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
PEOPLE = {"Dave Kowalski", "Carol Tanaka", "Erin Achebe", "Bob Okafor", "Alice Moreau"}


def entry(
    ref: str, utc: str, author: str, text: str, *people: str, kind: str = "key_event"
) -> Evidence:
    at = datetime.fromisoformat(utc).replace(tzinfo=UTC).astimezone(PARIS)
    return Evidence(ref, kind, at, author, text, frozenset({author, *people}), None)


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


def check(
    text: str,
    *cites: str,
    code: str = "en",
    record: dict[str, Evidence] | None = None,
    metrics: tuple[int, ...] = (),
) -> list[dict[str, Any]]:
    """Why the sentence is left out (empty: it is kept)."""
    checked = check_sections(
        {"summary": [Sentence(text, cites)]},
        RECORD if record is None else record,
        zone=PARIS,
        language=language(code),
        people=PEOPLE,
        metrics=metrics,
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
        {"rule": "duration", "said": "13 minutes", "refs": ["E1", "E2"]}
    ]
    assert check("The rollback came 40 minutes after the slow queries.", "E1", "E4") == []


def test_numbers_percentages_and_releases_must_be_in_a_cited_entry() -> None:
    assert check("gw-2.14.1 failed 25% of 1200 payments.", "E3") == []
    assert check("gw-2.14.2 broke card validation.", "E3")[0]["rule"] == "release"
    assert check("It failed 30% of payments.", "E3")[0]["rule"] == "percentage"
    assert check("It failed 1,300 payments.", "E3")[0]["rule"] == "number"
    # Cited somewhere else, a fact is not supported.
    assert check("Bob rolled back gw-2.14.1.", "E4")[0]["rule"] == "release"


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


# -- what words alone decide (the deterministic rules) ---------------------------------
def test_numbers_written_in_words_are_read_as_numbers() -> None:
    assert check("Twenty-five percent of payments failed.", "E3") == []
    assert check("Twelve hundred payments, a quarter of them failing.", "E3") == []
    assert check("Thirty percent of payments failed.", "E3") == [
        {"rule": "percentage", "said": "30%", "refs": ["E3"]}
    ]
    assert check("Vingt-cinq pour cent des paiements échouaient.", "E3", code="fr") == []
    assert check("Dave a écarté la base douze minutes plus tard.", "E1", "E2", code="fr") == []
    assert check("Dave a écarté la base quinze minutes plus tard.", "E1", "E2", code="fr") == [
        {"rule": "duration", "said": "15 minutes", "refs": ["E1", "E2"]}
    ]
    # "one" alone is a pronoun as often as a number, "un" and "une" French's article.
    assert check("One slow query sent Dave to the database.", "E1") == []


def test_a_duration_is_the_time_between_cited_entries_or_a_metric() -> None:
    # 02:30 to 04:15 UTC: 1 hour 45 minutes.
    record = {
        **RECORD,
        "E5": entry("E5", "2025-03-14 04:15", "Bob Okafor", "Checkout errors stopped."),
    }
    assert (
        check(
            "From the slow queries to the errors stopping: 1 hour 45 minutes.",
            "E1",
            "E5",
            record=record,
        )
        == []
    )
    assert (
        check("The errors lasted 1 hour and 45 minutes.", "E5", record=record, metrics=(105,)) == []
    )
    assert check("The errors lasted 1 hour 45 minutes.", "E5", record=record) == [
        {"rule": "duration", "said": "1 hour 45 minutes", "refs": ["E5"]}
    ]
    # "ten minutes" where it was 25 is refused, whatever number the entry holds.
    assert check("The payments failed for ten minutes.", "E3", metrics=(25,)) == [
        {"rule": "duration", "said": "10 minutes", "refs": ["E3"]}
    ]
    assert check("The payments failed for twenty-five minutes.", "E3", metrics=(25,)) == []
    assert check("A ten-minute failure of the payments.", "E3", metrics=(25,)) == [
        {"rule": "duration", "said": "10 minute", "refs": ["E3"]}
    ]


def test_a_citation_that_shares_no_word_with_its_sentence_is_padding() -> None:
    # E4 (Bob's rollback) says nothing of queries: dropped, the sentence stands on E1.
    checked = check_sections(
        {"summary": [Sentence("Dave saw slow queries on the database.", ("E1", "E4"))]},
        RECORD,
        zone=PARIS,
        language=language(),
        people=PEOPLE,
    )["summary"]
    assert [each.cites for each in checked.kept] == [("E1",)]
    # Left with none: not supported.
    assert check("Card validation broke at checkout.", "E1") == [
        {"rule": "padding", "refs": ["E1"]}
    ]
    # A name is not what a citation must share: Erin hidden behind an entry naming her.
    record = {
        **RECORD,
        "E6": entry("E6", "2025-03-14 03:12", "Erin Achebe", "Erin here."),
    }
    assert check("Erin rolled back.", "E3", "E6", record=record) == [
        {"rule": "padding", "refs": ["E3", "E6"]}
    ]
    # Names are compared as the words they are read as ("Alice" is "alic").
    record["E12"] = entry("E12", "2025-03-14 03:40", "Alice Moreau", "Alice Moreau paged the DBAs.")
    assert check("Alice led the response.", "E12", record=record) == [
        {"rule": "padding", "refs": ["E12"]}
    ]
    assert check("Carol rolled back.", "E4", "E3") == [
        {"rule": "person", "said": "Carol", "refs": ["E4"]}
    ]


def test_a_sentence_negating_its_only_entry_is_not_supported() -> None:
    record = {
        **RECORD,
        "E7": entry(
            "E7", "2025-03-14 03:20", "Bob Okafor", "Rolled back, the error rate is dropping."
        ),
    }
    refused = check("The rollback did not lower the error rate.", "E7", record=record)
    assert [reason["rule"] for reason in refused] == ["negation"]
    assert refused[0]["author"] == "Bob Okafor" and refused[0]["refs"] == ["E7"]
    assert (
        check("Le rollback n'a pas fait baisser le taux d'erreur.", "E7", record=record, code="fr")[
            0
        ]["rule"]
        == "negation"
    )
    assert check("The rollback lowered the error rate.", "E7", record=record) == []
    # The entry says it was not: the sentence may.
    record["E11"] = entry("E11", "2025-03-14 03:25", "Dave Kowalski", "Not the database.")
    assert check("The database was not the problem.", "E11", record=record) == []


def test_blame_needs_an_entry_marked_as_the_cause_or_the_trigger() -> None:
    record = {
        **RECORD,
        "E8": entry(
            "E8",
            "2025-03-14 03:00",
            "Carol Tanaka",
            "The gateway release rejected card types it did not list.",
            kind="root_cause",
        ),
        "E9": entry(
            "E9",
            "2025-03-14 03:05",
            "Carol Tanaka",
            "Trigger: the gateway release at 11:55.",
            kind="trigger",
        ),
    }
    assert check("The database caused the outage.", "E2", record=record) == [
        {"rule": "blame", "said": "caused", "refs": ["E2"]}
    ]
    # "Root cause" names what people look for, and blames nothing: whether
    # the sentence names the right one is the meaning check's to say.
    assert check("The search for the root cause began with the database.", "E1") == []
    assert (
        check("The vendor's gateway release broke card validation.", "E3", record=record)[0]["rule"]
        == "blame"
    )
    assert check("The gateway release caused the card errors.", "E8", record=record) == []
    assert check("Payments failed because of the gateway release.", "E9", record=record) == []
    assert check("La panne est due à la database.", "E2", record=record, code="fr")[0]["rule"] == (
        "blame"
    )


def test_an_address_must_be_in_a_cited_entry() -> None:
    record = {
        **RECORD,
        "E10": entry(
            "E10",
            "2025-03-14 03:30",
            "Bob Okafor",
            "Status posted at https://status.acme.io/incidents/42, questions to ops@acme.io.",
        ),
    }
    assert (
        check("Bob posted the status at https://status.acme.io/incidents/42.", "E10", record=record)
        == []
    )
    assert check("Questions about the status went to ops@acme.io.", "E10", record=record) == []
    for said in (
        "https://evil.example/login",
        "evil.example",
        "help@evil.example",
        "+1 415 555 0100",
    ):
        refused = check(
            f"Bob asked everyone to re-authenticate the status at {said}.", "E10", record=record
        )
        assert {"rule": "address", "said": said, "refs": ["E10"]} in refused, said


def test_hosts_are_compared_as_idna_and_a_look_alike_is_never_held() -> None:
    """Issue 70, finding 9: a host with non-ASCII letters is compared in its ASCII form (the
    entry's xn-- spelling holds the sentence's Unicode one); one mixing Latin and Cyrillic in
    a label is refused even when the cited entry says it; ASCII hosts are as they were."""
    lookalike = "\u0435vil-login.com"  # a Cyrillic е
    record = {
        **RECORD,
        "E10": entry(
            "E10",
            "2025-03-14 03:30",
            "Bob Okafor",
            f"Mirror at xn--bcher-kva.example is up; support says log in at {lookalike}.",
        ),
    }
    assert check("The mirror at bücher.example is up.", "E10", record=record) == []
    assert check("The mirror at BÜCHER.example is up.", "E10", record=record) == []
    refused = check(f"Support says log in at {lookalike}.", "E10", record=record)
    assert refused == [{"rule": "lookalike", "said": lookalike, "refs": ["E10"]}]
    refused = check("Support says log in at https://xn--vil-login-f0h.com/.", "E10", record=record)
    assert [reason["rule"] for reason in refused] == ["lookalike"]
    refused = check("Support says log in at evil-login.com.", "E10", record=record)
    assert refused == [{"rule": "address", "said": "evil-login.com", "refs": ["E10"]}]
