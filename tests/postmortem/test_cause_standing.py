"""What stands beside a possible cause (bot/record/postmortem/causes.py ``held_by``): the
entries that hold it and those warroom finds against it, as the message says them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.record.postmortem.causes import CONTRADICTED, ONE, SEVERAL, held_by, standing
from bot.record.postmortem.evidence import Evidence
from bot.record.postmortem.suggestions import Sentence

START = datetime(2025, 3, 14, 3, 0, tzinfo=UTC)


def entry(ref: str, minutes: int, kind: str, author: str, text: str) -> Evidence:
    return Evidence(
        ref=ref,
        kind=kind,
        at=START + timedelta(minutes=minutes),
        author=author,
        text=text,
        people=frozenset({author}),
        link=None,
    )


RECORD = {
    each.ref: each
    for each in (
        entry("E1", -5, "change", "deploy-bot", "deploy of gateway: Released gw-2.14.1"),
        entry("E2", 30, "investigation", "Carol", "gw-2.14.1 at 03:20 broke card validation."),
        entry("E3", 40, "misleading", "Dave", "Rolled back gw-2.14.1 at 03:20: errors went on."),
        entry("E4", 42, "misleading", "Dave", "Database is healthy at 03:20, a dead end."),
    )
}


def test_a_ruled_out_path_naming_the_same_release_says_against_the_cause() -> None:
    cause = Sentence(text="Release gw-2.14.1 broke card validation.", cites=("E1", "E2"))
    held = held_by(cause, RECORD)
    assert [(each["ref"], each["role"]) for each in held] == [
        ("E3", "contradicts"),
        ("E1", "supports"),
        ("E2", "supports"),
    ]
    assert held[0]["why"] == "ruled_out"
    assert standing(held) == CONTRADICTED


def test_a_time_or_a_count_shared_with_a_ruled_out_path_is_no_contradiction() -> None:
    cause = Sentence(text="At 03:20, 25 payments failed on the gateway.", cites=("E2",))
    held = held_by(cause, RECORD)
    assert [each["ref"] for each in held] == ["E2"]
    assert standing(held) == ONE


def test_two_independent_entries_and_none_against() -> None:
    record = {ref: each for ref, each in RECORD.items() if each.kind != "misleading"}
    cause = Sentence(text="Release gw-2.14.1 broke card validation.", cites=("E1", "E2"))
    assert standing(held_by(cause, record)) == SEVERAL


def test_a_change_made_after_impact_started_says_against_the_cause_it_is() -> None:
    late = entry(
        "E5",
        10,
        "change",
        "config-bot",
        "configuration of gateway: Pool to 50 (suspect 2 of 2: on the service, made after "
        "impact started, a configuration)",
    )
    cause = Sentence(text="The pool change to 50 broke payments.", cites=("E5",))
    held = held_by(cause, {**RECORD, "E5": late})
    assert [(each["ref"], each["role"], each.get("why")) for each in held] == [
        ("E5", "contradicts", "after_impact")
    ]
