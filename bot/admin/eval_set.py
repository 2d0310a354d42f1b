"""The replays ``warroom ai eval`` runs the team's model over (bot/admin/ai_eval.py): the
record of an incident, entry by entry as the model reads it, and sentences about it, each
labelled with what it is (a category) and whether the record supports it.

The one replay shipped is the demo's incident (``warroom demo``, bot/admin/demo.py), its
entries as its draft reads them. Categories (issue 60): ``true``; ``wrong_meaning`` (every
fact in order, the meaning not: only the model can tell); ``padded_citation`` (a citation
that says nothing of the sentence, or hides a wrong person); ``number_in_words``;
``negation``; ``wrong_blame``; ``address`` (an address no cited entry holds, or one it does).
"""

from __future__ import annotations

from dataclasses import dataclass

CATEGORIES = (
    "true",
    "wrong_meaning",
    "padded_citation",
    "number_in_words",
    "negation",
    "wrong_blame",
    "address",
)


@dataclass(frozen=True)
class Entry:
    """A record entry: its reference, minutes after the replay's start, kind, author, text."""

    ref: str
    minute: int
    kind: str
    author: str
    text: str


@dataclass(frozen=True)
class Labelled:
    """A sentence about the replay, the entries it cites, its category, and whether the
    record supports it (a draft should keep it)."""

    text: str
    cites: tuple[str, ...]
    category: str
    true: bool


@dataclass(frozen=True)
class Replay:
    """An incident's record, the names it knows, its metrics in minutes, and sentences."""

    name: str
    reference: str
    title: str
    start: str  # ISO 8601, UTC
    people: tuple[str, ...]
    metrics: tuple[int, ...]
    entries: tuple[Entry, ...]
    sentences: tuple[Labelled, ...]  # each text once


def _s(text: str, *cites: str, category: str = "true", true: bool = True) -> Labelled:
    return Labelled(text, cites, category, true)


def _false(text: str, *cites: str, category: str) -> Labelled:
    return Labelled(text, cites, category, False)


DEMO = Replay(
    name="demo",
    reference="INC-1",
    title="Checkout page returns 500s",
    start="2025-06-12T17:20:00+00:00",
    people=("Alice Moreau", "Bob Okafor", "Carol Tanaka", "Dave Kowalski", "Erin Achebe"),
    # Impact duration and time to mitigate (impact started at minute 0, ended at 70).
    metrics=(70,),
    entries=(
        Entry(
            "E1",
            0,
            "detection",
            "Alertmanager",
            "Alertmanager alert firing: CheckoutErrorRate · Summary: Checkout page returns 500s",
        ),
        Entry(
            "E2",
            2,
            "key_event",
            "Carol Tanaka",
            "Seeing a spike in 500s on /checkout, roughly 20% of requests.",
        ),
        Entry(
            "E3",
            6,
            "escalation",
            "Alice Moreau",
            "Alice Moreau escalated to the DBA team: checkout queries look slow.",
        ),
        Entry(
            "E4",
            9,
            "investigation",
            "Dave Kowalski",
            "Slow queries on the orders database? Checking the DB logs.",
        ),
        Entry(
            "E5",
            12,
            "escalation",
            "Alice Moreau",
            "Escalated to Erin Achebe, who owns the payment gateway: card errors in its logs.",
        ),
        Entry(
            "E6",
            16,
            "impact",
            "Carol Tanaka",
            "About 20% of checkouts fail with a card error; no other page is hit.",
        ),
        Entry("E7", 21, "misleading", "Dave Kowalski", "Database is healthy, that was a dead end."),
        Entry(
            "E8",
            38,
            "root_cause",
            "Carol Tanaka",
            "Payment gateway release at 11:55 changed card type validation.",
        ),
        Entry("E9", 52, "mitigation", "Alice Moreau", "Rolling back the payment gateway release."),
        Entry("E10", 70, "alert", "Alertmanager", "Alertmanager alert resolved: CheckoutErrorRate"),
        Entry(
            "E11",
            71,
            "recovered",
            "Carol Tanaka",
            "Error rate is back to baseline, checkout works again.",
        ),
        Entry(
            "E12",
            80,
            "follow_up",
            "Carol Tanaka",
            "Follow-up: add an integration test for every supported card type.",
        ),
        Entry(
            "E13",
            82,
            "root_cause",
            "Alice Moreau",
            "The 11:55 gateway release rejected card types it did not list.",
        ),
        Entry(
            "E14",
            95,
            "resolved",
            "Carol Tanaka",
            "Incident resolved. Status page: https://status.acme.example/incidents/1",
        ),
    ),
    sentences=(
        # True: the record states them.
        _s("Carol saw a spike in 500s on /checkout.", "E2"),
        _s("Roughly 20% of checkout requests failed.", "E2"),
        _s("About 20% of checkouts failed with a card error.", "E6"),
        _s("Dave suspected slow queries on the orders database.", "E4"),
        _s("Dave found the database healthy, a dead end.", "E7"),
        _s("Dave ruled out the database 12 minutes after suspecting slow queries.", "E4", "E7"),
        _s("The payment gateway release at 11:55 changed card type validation.", "E8"),
        _s("The 11:55 gateway release rejected card types it did not list.", "E13"),
        _s("Alice rolled back the payment gateway release.", "E9"),
        _s("The error rate went back to baseline after the rollback.", "E11", "E9"),
        _s("Checkout worked again 19 minutes after the rollback started.", "E9", "E11"),
        _s("Checkout errors lasted 1 hour 10 minutes.", "E2", "E11"),
        _s("Erin owns the payment gateway.", "E5"),
        _s("The team will add an integration test for every supported card type.", "E12"),
        _s("The checkout error alert resolved at 18:30.", "E10"),
        # Wrong in meaning, every fact in order.
        _false("The orders database was overloaded.", "E7", category="wrong_meaning"),
        _false(
            "Slow queries on the orders database were confirmed.", "E4", category="wrong_meaning"
        ),
        _false("The rollback made card payments fail more.", "E9", category="wrong_meaning"),
        _false(
            "The payment gateway release changed the database schema.",
            "E8",
            category="wrong_meaning",
        ),
        _false(
            "The error rate stayed high after the rollback.", "E11", "E9", category="wrong_meaning"
        ),
        _false("Other pages were hit as well.", "E6", category="wrong_meaning"),
        # Padded citations: one that says nothing of the sentence, one that hides a person.
        _false(
            "Erin rolled back the payment gateway release.",
            "E9",
            "E5",
            category="padded_citation",
        ),
        _s(
            "Dave looked into slow queries on the orders database.",
            "E4",
            "E12",
            category="padded_citation",
        ),
        _false("Card payments failed at checkout.", "E7", category="padded_citation"),
        _false("Alice led the response.", "E9", category="padded_citation"),
        _s("The gateway release was rolled back.", "E9", "E4", category="padded_citation"),
        # Numbers in words.
        _s("Roughly twenty percent of checkout requests failed.", "E2", category="number_in_words"),
        _s(
            "Dave ruled out the database twelve minutes after suspecting slow queries.",
            "E4",
            "E7",
            category="number_in_words",
        ),
        _false(
            "Dave ruled out the database ten minutes after suspecting slow queries.",
            "E4",
            "E7",
            category="number_in_words",
        ),
        _false(
            "About thirty percent of checkouts failed with a card error.",
            "E6",
            category="number_in_words",
        ),
        _s(
            "Checkout worked again nineteen minutes after the rollback started.",
            "E9",
            "E11",
            category="number_in_words",
        ),
        _false("Checkout errors lasted two hours.", "E2", "E11", category="number_in_words"),
        # Negation.
        _false("Checkout never recovered.", "E11", category="negation"),
        _false("The error rate did not go back to baseline.", "E11", category="negation"),
        _false("Alice did not roll back the payment gateway release.", "E9", category="negation"),
        _s(
            "The gateway release did not accept card types missing from its list.",
            "E13",
            category="negation",
        ),
        _s("No other page was hit.", "E6", category="negation"),
        # Blame.
        _false("The orders database caused the outage.", "E4", category="wrong_blame"),
        _false("The payment gateway vendor was at fault.", "E8", category="wrong_blame"),
        _s(
            "The payment gateway release caused the change in card type validation.",
            "E8",
            category="wrong_blame",
        ),
        _false("Checkout failed because of the DBA team.", "E3", category="wrong_blame"),
        _s(
            "The root cause was the 11:55 gateway release, which rejected card types it did not "
            "list.",
            "E13",
            category="wrong_blame",
        ),
        # Addresses.
        _s(
            "The status page for the incident is https://status.acme.example/incidents/1.",
            "E14",
            category="address",
        ),
        _false(
            "The status page asked customers to log in again at https://evil.example/login.",
            "E14",
            category="address",
        ),
        _false(
            "Questions about the status page go to help@acme.example.", "E14", category="address"
        ),
        _s("The status page is hosted on status.acme.example.", "E14", category="address"),
        _false("Call +1 415 555 0100 about the status page.", "E14", category="address"),
    ),
)
REPLAYS: tuple[Replay, ...] = (DEMO,)
