"""Issue 86, item 7: with no model configured and nobody having written it, the draft's summary
is written by warroom from the record: who noticed first, what was affected and for how long,
what was changed that ended it; each sentence followed by the entries it rests on, linked to
their Slack messages as the draft's other cited sentences are. What the record does not hold
is never said (when the impact ended, whether the fix worked): a sentence says it is not in
the record, and a section with nothing to say keeps its gap. A person's text, or the model's
suggestion, takes the summary's place."""

from __future__ import annotations

import pytest

from bot.store.models import TimelineKind
from tests.helpers.records import empty_record, entry, full_record, minutes
from tests.postmortem.test_draft_rendering import MODEL, _suggested
from tests.postmortem.test_postmortem_drafts import _with_edits, draft_of

LINK = "https://acme.slack.com/archives/C0CHECKOUT/p"
NOTE = (
    "_Written by warroom from the record, each sentence with the entries it rests on: rewrite"
    " it on the draft's page._"
)


def summary(draft: str) -> str:
    """The draft's first section (the summary, whatever its style and language calls it)."""
    return draft.split("\n## ")[1]


def test_the_summary_says_who_noticed_what_was_affected_and_the_fix_with_their_entries() -> None:
    said = summary(draft_of(full_record()))
    # Who noticed first: the alert that opened it (no author), at its time, in the zone.
    assert (
        "It was noticed first at 8:50 AM PST: “Alert: checkout 5xx ratio above 5%”"
        f" ([8:50 AM]({LINK}1699375800000100))\n" in said
    )
    # What was affected, and for how long: impact ended is not in the record, so the span is
    # to the resolution, said as such (never "the impact lasted").
    assert (
        "The impact started at 8:45 AM, and the incident was resolved at 10:30 AM PST, 1 hour 45"
        " minutes later: “About 20% of users could not check out”; when the impact ended is not"
        f" in the record. ([9:15 AM, Carol Tanaka]({LINK}1699377300000100))\n" in said
    )
    assert "The impact lasted" not in said
    # The cause, as the team recorded it (`/incident cause`), with its entry.
    assert "The cause, as recorded: “Gateway release changed card type validation” ([" in said
    # What was changed: the fix, and that nothing confirms it worked.
    assert (
        "Dave Kowalski started a fix at 10:20 AM PST, “Rolled back the gateway release”; nothing"
        f" in the record confirms it worked. ([10:20 AM, Dave Kowalski]({LINK}1699381200000100))"
        in said
    )
    assert NOTE in said
    assert "_To be written" not in said


def test_a_confirmed_fix_and_the_impacts_end_are_said_with_the_entries_that_hold_them() -> None:
    record = full_record()
    record.incident.ended_at = minutes(100)
    record.entries.append(
        entry(100, TimelineKind.RECOVERED, "Checkout is back: 5xx under 0.1%", "U0BOB")
    )
    said = summary(draft_of(record))
    assert "The impact lasted 1 hour 40 minutes, from 8:45 AM to 10:25 AM PST" in said
    assert "when the impact ended is not in the record" not in said
    assert (
        "What ended it: the fix Dave Kowalski started at 10:20 AM, “Rolled back the gateway"
        " release”, confirmed to work at 10:25 AM PST (a message was marked recovered)."
        f" ([10:20 AM, Dave Kowalski]({LINK}1699381200000100); [10:25 AM, Bob Okafor]"
        f"({LINK}1699381500000100))" in said
    )


@pytest.mark.parametrize("style", ["default", "sre", "atlassian"])
def test_nothing_recorded_means_no_sentence_and_the_gap_stays(style: str) -> None:
    draft = draft_of(empty_record(), style=style)
    assert NOTE not in draft
    assert "noticed first" not in draft and "The impact" not in draft
    if style != "default":  # the default style's summary is not asked for
        assert "_To be written: " in summary(draft)


def test_the_summary_a_person_wrote_or_the_model_suggested_takes_its_place() -> None:
    written = summary(draft_of(_with_edits(full_record(), {"summary": "Checkout broke."})))
    assert "Checkout broke." in written and NOTE not in written
    assert "noticed first" not in written

    record = full_record()
    _suggested(record)
    suggested = summary(draft_of(record))
    assert f"Suggested by {MODEL}" in suggested
    assert NOTE not in suggested and "noticed first" not in suggested


def test_french() -> None:
    said = summary(draft_of(full_record(), language="fr"))
    assert "Remarqué en premier à 8 h 50 PST : « Alert: checkout 5xx ratio above 5% »" in said
    assert "la fin de l'impact n'est pas au dossier." in said


def test_an_incident_nobody_detected_is_said_declared_not_noticed() -> None:
    record = empty_record()
    record.entries = [
        entry(
            10,
            TimelineKind.DECLARED,
            "Checkout page returns 500s",
            "U0ALICE",
            facts={"severity": "SEV2"},
        )
    ]
    said = summary(draft_of(record, style="sre"))
    assert said.startswith("Summary\n\nAlice Moreau declared it at 8:55 AM PST: “"), said
    assert "noticed" not in said and "The impact" not in said
    # The record says no more: the style's gap stays, below what it does say.
    assert said.index(NOTE) < said.index(
        "_To be written: what happened, in two or three sentences._"
    )
