"""The replays ``warroom ai eval`` runs the team's model over (bot/admin/ai/ai_eval.py): the
record of an incident, entry by entry as the model reads it, and sentences about it, each
labelled with what it is (a category) and whether the record supports it.

``CAUSE_REPLAYS`` (``warroom ai eval --replay``): the same two, each with the change that set
it off and its published root cause.

Two replays are shipped: the demo's incident (``warroom demo``, bot/admin/demo/demo.py) and the
checkout page crash the tests replay (tests/postmortem/test_postmortem_scenarios.py, in
Nairobi's zone), their entries as their drafts read them. Categories: ``true``;
``wrong_meaning`` (every fact in order, the meaning not: only the model can tell);
``padded_citation`` (a citation that says nothing of the sentence, or hides a wrong person);
``number_in_words``; ``negation``; ``wrong_blame``; ``address`` (an address no cited entry
holds, or one it does).
"""

from __future__ import annotations

from collections.abc import Sequence
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
    start: str  # ISO 8601
    zone: str  # the incident's zone (times in sentences are read there)
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
    zone="UTC",
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
        # "Root cause" names what was looked for: it blames nothing.
        _s("The search for the root cause began with the database.", "E4", category="wrong_blame"),
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
CHECKOUT_CRASH = Replay(
    name="checkout-crash",
    reference="INC-1",
    title="Spike in 500 errors on the checkout page",
    start="2023-03-14T12:00:00+03:00",
    zone="Africa/Nairobi",
    people=(
        "Alice Moreau",
        "Carol Tanaka",
        "Dave Kowalski",
        "Erin Achebe",
        "Frank Gateway-Supplier",
    ),
    # Impact duration and time to mitigate: from 12:00 to 2:00 PM.
    metrics=(120,),
    entries=(
        Entry(
            "E1",
            0,
            "detection",
            "Alertmanager",
            "Alertmanager alert firing: CheckoutErrorSpike · Summary: Spike in 500 errors on the "
            "checkout page · Links: Source http://prometheus/graph?g0.expr=checkout_5xx",
        ),
        Entry(
            "E2",
            5,
            "escalation",
            "Alice Moreau",
            "Alice Moreau escalated to the engineering team: 500s on checkout.",
        ),
        Entry("E3", 6, "acknowledged", "Dave Kowalski", "Dave Kowalski acknowledged the page."),
        Entry(
            "E4",
            10,
            "misleading",
            "Dave Kowalski",
            "Looks like the database: checking the DB logs and running queries.",
        ),
        Entry(
            "E5",
            20,
            "investigation",
            "Dave Kowalski",
            "It is really the payment gateway integration: reading its logs and code.",
        ),
        Entry(
            "E6",
            30,
            "impact",
            "Carol Tanaka",
            "Potential purchases lost: about 20% of users could not reach the checkout page",
        ),
        Entry(
            "E7",
            40,
            "root_cause",
            "Dave Kowalski",
            "The checkout page crashes when customers pay with one specific credit card type.",
        ),
        Entry(
            "E8",
            60,
            "escalation",
            "Alice Moreau",
            "Alice Moreau escalated to Frank Gateway-Supplier, supplier of the payment gateway.",
        ),
        Entry(
            "E9",
            70,
            "key_event",
            "Erin Achebe",
            "Reading the gateway integration code with Frank.",
        ),
        Entry("E10", 90, "key_event", "Frank Gateway-Supplier", "Working on a fix with your team."),
        Entry(
            "E11",
            110,
            "mitigation",
            "Dave Kowalski",
            "Deploying the fix: the card type is handled.",
        ),
        Entry("E12", 120, "recovered", "Dave Kowalski", "Users can reach the checkout page again."),
        Entry(
            "E13",
            122,
            "root_cause",
            "Alice Moreau",
            "A flaw in the 11:55 gateway integration release crashed checkout for one card type.",
        ),
    ),
    sentences=(
        _s("A spike in 500 errors hit the checkout page.", "E1"),
        _s("About 20% of users could not reach the checkout page.", "E6"),
        _s("Dave first looked at the database logs.", "E4"),
        _s("Dave turned to the payment gateway integration at 12:20.", "E5"),
        _s("The checkout page crashed for one specific credit card type.", "E7"),
        _s("Dave moved from the database to the gateway integration 10 minutes later.", "E4", "E5"),
        _s("Alice escalated to the supplier of the payment gateway.", "E8"),
        _s("Erin read the gateway integration code with Frank.", "E9"),
        _s("Frank worked on a fix with the team.", "E10"),
        _s("Dave deployed the fix, which handles the card type.", "E11"),
        _s("Users could reach the checkout page again at 2:00 PM.", "E12"),
        _s(
            "Users reached the checkout page again 10 minutes after the fix was deployed.",
            "E11",
            "E12",
        ),
        _s("Checkout errors lasted 2 hours.", "E1", "E12"),
        _s(
            "A flaw in the 11:55 gateway integration release crashed checkout for one card type.",
            "E13",
        ),
        _false("The database logs showed the crash.", "E4", category="wrong_meaning"),
        _false("Every user could not reach the checkout page.", "E6", category="wrong_meaning"),
        _false("The fix removed the card type from checkout.", "E11", category="wrong_meaning"),
        _false("Erin rewrote the gateway integration code.", "E9", category="wrong_meaning"),
        _false("The payment gateway integration was ruled out.", "E5", category="wrong_meaning"),
        _false("Frank's team deployed the fix.", "E10", category="wrong_meaning"),
        _false("Frank deployed the fix.", "E11", "E10", category="padded_citation"),
        _s(
            "Dave looked into the payment gateway integration.",
            "E5",
            "E1",
            category="padded_citation",
        ),
        _false(
            "Customers paid with a specific credit card type.", "E6", category="padded_citation"
        ),
        _false("Alice led the response.", "E2", category="padded_citation"),
        _s("Users could reach the checkout page again.", "E12", "E3", category="padded_citation"),
        _s(
            "About twenty percent of users could not reach the checkout page.",
            "E6",
            category="number_in_words",
        ),
        _s(
            "Dave moved from the database to the gateway integration ten minutes later.",
            "E4",
            "E5",
            category="number_in_words",
        ),
        _false(
            "Dave moved from the database to the gateway integration thirty minutes later.",
            "E4",
            "E5",
            category="number_in_words",
        ),
        _s("Checkout errors lasted two hours.", "E1", "E12", category="number_in_words"),
        _false("Checkout errors lasted three hours.", "E1", "E12", category="number_in_words"),
        _false(
            "About forty percent of users could not reach the checkout page.",
            "E6",
            category="number_in_words",
        ),
        _false("Users never reached the checkout page again.", "E12", category="negation"),
        _false("Dave did not deploy the fix.", "E11", category="negation"),
        _s("Some users could not reach the checkout page.", "E6", category="negation"),
        _false("The gateway integration was not involved.", "E5", category="negation"),
        _s(
            "The database was not the problem: the gateway integration was.",
            "E4",
            "E5",
            category="negation",
        ),
        _false("The database caused the checkout crash.", "E4", category="wrong_blame"),
        _false("The payment gateway supplier was at fault.", "E8", category="wrong_blame"),
        _s(
            "The search for the root cause started in the database logs.",
            "E4",
            category="wrong_blame",
        ),
        _s("The crash was due to one specific credit card type.", "E7", category="wrong_blame"),
        _s(
            "A flaw in the gateway integration release caused the crash.",
            "E13",
            category="wrong_blame",
        ),
        _false(
            "The checkout page crashed because of the vendor's card type list.",
            "E7",
            category="wrong_blame",
        ),
        _s(
            "The alert's source graph is http://prometheus/graph?g0.expr=checkout_5xx.",
            "E1",
            category="address",
        ),
        _false(
            "Users were told to reach the checkout page through https://nuru-support.example/reset.",
            "E12",
            category="address",
        ),
        _false(
            "The supplier of the payment gateway answers at frank@gateway.example.",
            "E8",
            category="address",
        ),
        _false(
            "Users reach the checkout page at checkout.shop.example.", "E12", category="address"
        ),
        _false("Call +254 700 000 000 to reach the checkout page team.", "E12", category="address"),
    ),
)
REPLAYS: tuple[Replay, ...] = (DEMO, CHECKOUT_CRASH)


@dataclass(frozen=True)
class CauseReplay:
    """A replay as ``warroom ai eval --replay`` plays it: the change that set it off, as the
    change events would hold it (``minute`` before the start: negative), its root cause as
    the published postmortem says it, and the labels a proposed cause is graded by (never the
    proposing model's own word): ``names``, words that name the causing change besides
    citing its entry, and ``how``, words of what it did (the published cause's)."""

    replay: Replay
    change: Entry
    root_cause: str
    names: tuple[str, ...]
    how: tuple[str, ...]

    def grade(self, text: str, cites: Sequence[str]) -> int:
        """100: the cause names the causing change and what it did; 65: the change alone
        (right, as the grades' scale says it); 0: anything else (restating the alert, say)."""
        words = " ".join(text.lower().split())
        change = self.change.ref in cites or any(name.lower() in words for name in self.names)
        if not change:
            return 0
        return 100 if any(how.lower() in words for how in self.how) else 65


# The seeds' changes, as a #deploys channel's bot said them (docs/changes.md): in each, the cause
# was a release that nobody put beside the alert until much later.
CAUSE_REPLAYS: tuple[CauseReplay, ...] = (
    CauseReplay(
        DEMO,
        Entry(
            "E15",
            -5,
            "change",
            "deploy-bot",
            "deploy of payment-gateway: Released payment-gateway 2023.11.07-1 (card type "
            "validation rules)",
        ),
        "The 11:55 gateway release rejected card types it did not list.",
        names=("2023.11.07-1", "payment-gateway release", "gateway release"),
        how=("card type",),
    ),
    CauseReplay(
        CHECKOUT_CRASH,
        Entry(
            "E14",
            -5,
            "change",
            "deploy-bot",
            "deploy of checkout-gateway: Released gateway integration gw-4.2.1 (card types)",
        ),
        "A flaw in the 11:55 gateway integration release crashed checkout for one card type.",
        names=("gw-4.2.1", "gateway integration release", "gateway integration"),
        how=("card type",),
    ),
)
