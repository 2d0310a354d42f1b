"""One fact, one line, in the draft's timeline: a message marked :mag: then :x: is one line;
a milestone set by hand in the minute of a message its setter said and marked is that line;
a key event announcing an escalation its author made in the same minute is the escalation's
line; paging notifications are said on their escalation's line, not as lines of their own."""

from __future__ import annotations

from typing import Any

from bot.record.escalation.escalations import target_facts
from bot.record.postmortem.sources import Record
from bot.store.models import Escalation, MilestoneChange, TimelineKind
from tests.helpers.gfm import assert_reads_well
from tests.helpers.records import entry, full_record, minutes, section
from tests.postmortem.test_draft_rendering import RENDERER, _paging
from tests.postmortem.test_postmortem_drafts import draft_of

TIMELINE = "## Timeline (America/Los\\_Angeles)"


def _timeline(record: Record, language: str = "en") -> list[str]:
    draft = draft_of(record, language=language, renderer=RENDERER)
    assert_reads_well(draft)
    heading = TIMELINE if language == "en" else "## Chronologie (America/Los\\_Angeles)"
    return [line for line in section(draft, heading).splitlines() if line.startswith("- **")]


def _escalated(escalation: Escalation) -> dict[str, Any]:
    """An escalation entry's facts, as warroom records them."""
    facts: dict[str, Any] = {"target": target_facts(escalation)}
    if escalation.why is not None:
        facts["why"] = escalation.why
    return facts


def _with(record: Record, *added: Any) -> Record:
    record.entries = sorted([*record.entries, *added], key=lambda e: e.occurred_at)
    return record


def test_a_message_followed_then_found_misleading_is_one_line_saying_when_it_was_followed() -> None:
    record = full_record()
    ts = f"{int(minutes(30).timestamp())}.000100"
    record = _with(
        record,
        entry(30, TimelineKind.INVESTIGATION, "Is the payment queue backed up?", ts=ts),
        entry(30, TimelineKind.MISLEADING, "Is the payment queue backed up?", ts=ts),
    )
    said = [line for line in _timeline(record) if "payment queue" in line]
    assert said == [
        f"- **[9:15 AM](https://acme.slack.com/archives/C0CHECKOUT/p{ts.replace('.', '')})**"
        " _misleading path_: Is the payment queue backed up? (Dave Kowalski) — followed as an"
        " investigation from 9:15 AM"
    ]


def test_a_milestone_set_in_the_minute_of_its_setters_marked_message_is_that_line() -> None:
    record = full_record()
    record.milestone_changes = [
        MilestoneChange(
            incident_id=7,
            milestone="started",
            value=minutes(0),
            changed_by="U0CAROL",
            changed_at=minutes(120),
        )
    ]
    record = _with(
        record,
        entry(0.5, TimelineKind.KEY_EVENT, "Checkout errors began with the 8:45 deploy", "U0CAROL"),
    )
    lines = _timeline(record)
    assert not [line for line in lines if "_impact started_" in line], lines
    (said,) = [line for line in lines if "8:45 deploy" in line]
    assert said.endswith(
        "_key event_: Checkout errors began with the 8:45 deploy (Carol Tanaka) — impact started"
        " (time set by Carol Tanaka)"
    ), said
    # The commander setting the time of Carol's message, the only one marked then: still the
    # one line, saying who set the time.
    record.milestone_changes[0].changed_by = "U0ALICE"
    lines = _timeline(record)
    assert not [line for line in lines if "_impact started_" in line], lines
    (said,) = [line for line in lines if "8:45 deploy" in line]
    assert said.endswith("(Carol Tanaka) — impact started (time set by Alice Moreau)"), said
    # Two people's marked messages in that minute: which one the time names is not known, so
    # the milestone is a line of its own.
    record = _with(
        record, entry(0.7, TimelineKind.KEY_EVENT, "Card errors on the gateway too", "U0DAVE")
    )
    lines = _timeline(record)
    assert any(line.endswith("_impact started_ (time set by Alice Moreau)") for line in lines)


def test_a_key_event_announcing_an_escalation_in_its_minute_is_the_escalations_line() -> None:
    record = full_record()
    to_bob = record.escalations[1]  # Alice brings Bob in at 9:30 AM
    said_ts = f"{int(minutes(45).timestamp())}.000100"
    record = _with(
        record,
        entry(45, TimelineKind.KEY_EVENT, "Bringing in Bob, he owns the gateway", "U0ALICE"),
        entry(
            45.2,
            TimelineKind.ESCALATION,
            to_bob.reason,
            "U0ALICE",
            facts=_escalated(to_bob),
        ),
    )
    to_bob.escalated_at = minutes(45.2)
    lines = _timeline(record)
    assert not [line for line in lines if "_key event_" in line and "Bringing in" in line]
    (escalated,) = [line for line in lines if "_escalation_" in line]
    assert escalated == (
        f"- **[9:30 AM](https://acme.slack.com/archives/C0CHECKOUT/p{said_ts.replace('.', '')})**"
        " _escalation_: Escalated to @Bob Okafor: owns the payment gateway \\| card errors"
        " (Alice Moreau) — “Bringing in Bob, he owns the gateway”"
    )


def test_a_key_event_about_something_else_in_that_minute_stays_a_line_of_its_own() -> None:
    record = full_record()
    to_bob = record.escalations[1]
    record = _with(
        record,
        entry(45, TimelineKind.KEY_EVENT, "Error rate is down to 12%", "U0ALICE"),
        entry(45, TimelineKind.ESCALATION, to_bob.reason, "U0ALICE", facts=_escalated(to_bob)),
    )
    lines = _timeline(record)
    assert any("_key event_: Error rate is down to 12%" in line for line in lines)
    assert any("_escalation_: Escalated to @Bob Okafor" in line for line in lines)


def test_paging_notifications_are_said_on_the_escalations_line_and_in_its_table() -> None:
    record = full_record()
    _paging(record)  # the policy's level 1 paged Dave: Slack, push, SMS (failed), a call
    policy = record.escalations[0]
    notifications = [
        entry(
            at,
            TimelineKind.NOTIFICATION,
            "",
            None,
            facts={"user": "U0DAVE", "method": method, "contact": method, "outcome": outcome},
        )
        for at, method, outcome in [
            (10, "slack", "sent"),
            (10, "ntfy", "sent"),
            (11, "sms", "failed"),
            (13, "voice", "answered"),
        ]
    ]
    record = _with(
        record,
        entry(10, TimelineKind.ESCALATION, "", None, facts=_escalated(policy)),
        *notifications,
    )
    for language, paged in (
        ("en", " — paged Dave Kowalski by Slack message, push, SMS, call"),
        ("fr", " — notifié : Dave Kowalski par message Slack, push, SMS, appel"),
    ):
        lines = _timeline(record, language)
        assert not [line for line in lines if "_notification_" in line], lines
        (escalated,) = [line for line in lines if "_escalation_" in line or "_escalade_" in line]
        assert escalated.endswith(paged), escalated
    draft = draft_of(record, renderer=RENDERER)
    assert "| Dave Kowalski: Slack message 8:55 AM sent, push 8:55 AM sent, SMS 8:56 AM" in draft
