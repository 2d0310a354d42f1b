"""Incident records built in memory, for rendering drafts without Slack or a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.basics.render import Renderer
from bot.basics.slack_text import SlackText
from bot.record.incident.timeline import EntryRow
from bot.record.postmortem.sources import Record
from bot.record.postmortem.writing import entry_sentences
from bot.store.models import (
    ActionItem,
    Escalation,
    Incident,
    MilestoneChange,
    TimelineEntry,
    TimelineKind,
)

START = datetime(2023, 11, 7, 16, 45, tzinfo=UTC)  # 8:45 AM PST
CHANNEL = "C0CHECKOUT"
NAMES = {
    "U0ALICE": "Alice Moreau",
    "U0BOB": "Bob Okafor",
    "U0CAROL": "Carol Tanaka",
    "U0DAVE": "Dave Kowalski",
}


def sentence(
    entry: TimelineEntry | EntryRow,
    *,
    language: str = "en",
    names: dict[str, str] | None = None,
    slack: bool = False,
) -> str:
    """An entry as warroom says it: in a document (people by name), or in Slack (mentions)."""
    renderer = Renderer()
    if slack:
        return renderer.render(renderer.entries_for(language), entry=entry)
    return entry_sentences(renderer, language, NAMES if names is None else names)(entry)


def minutes(count: float) -> datetime:
    return START + timedelta(minutes=count)


def incident(**fields: object) -> Incident:
    values: dict[str, object] = {
        "id": 7,
        "team_id": "T0WARROOM",
        "number": 7,
        "title": "Checkout page returns 500s",
        "severity": "SEV2",
        "status": "investigating",
        "channel_id": CHANNEL,
        "channel_name": "inc-7-checkout-page-returns-500s",
        "declared_by": "U0ALICE",
        "commander": None,
        "timezone": "America/Los_Angeles",
        "declared_at": minutes(10),
    }
    values.update(fields)
    return Incident(**values)  # type: ignore[arg-type]


def empty_record() -> Record:
    """An incident declared by hand that nobody recorded anything about."""
    return Record(
        incident=incident(),
        entries=[],
        escalations=[],
        roles={},
        actions=[],
        milestone_changes=[],
    )


def entry(
    at: float,
    kind: TimelineKind,
    text: str,
    author: str | None = "U0DAVE",
    ts: str | None = None,
    facts: dict[str, Any] | None = None,
) -> EntryRow:
    moment = minutes(at)
    slack_ts = ts or f"{int(moment.timestamp())}.000100"
    return EntryRow(
        id=None,
        kind=kind.value,
        text=SlackText.of(text),
        facts=facts,
        author=author,
        occurred_at=moment,
        slack_channel=CHANNEL,
        slack_ts=slack_ts,
        permalink=f"https://acme.slack.com/archives/{CHANNEL}/p{slack_ts.replace('.', '')}",
    )


def full_record() -> Record:
    """Every section has something: the checkout incident of November 7, 2023 (PST)."""
    the_incident = incident(
        status="resolved",
        commander="U0ALICE",
        description="Checkout answers 500 for some card payments.",
        policy="checkout-oncall",
        started_at=minutes(0),
        detected_at=minutes(5),
        acknowledged_at=minutes(14),
        mitigated_at=minutes(95),
        resolved_at=minutes(105),
    )
    bot_made: dict[str, Any] = {"author": "U0ALICE", "ts": None}
    entries = [
        # Written before entries kept facts: its text says it all, and is shown as it was.
        entry(5, TimelineKind.DETECTION, "Alert: checkout 5xx ratio above 5%", None),
        # warroom's own entries: facts, and a person's words (a title, a summary) as text.
        entry(10, TimelineKind.DECLARED, "Checkout page returns 500s", facts={"severity": "SEV2"}),
        entry(12, TimelineKind.KEY_EVENT, "About 20% of /checkout requests fail <@U0BOB>"),
        entry(20, TimelineKind.INVESTIGATION, "Checking the orders database"),
        entry(25, TimelineKind.MISLEADING, "DB slow queries look suspicious"),
        entry(40, TimelineKind.INVESTIGATION, "Looking at the payment gateway logs instead"),
        entry(50, TimelineKind.MISLEADING, "Maybe the CDN? Purging caches"),
        entry(60, TimelineKind.ROOT_CAUSE, "Gateway release changed card type validation"),
        entry(
            62, TimelineKind.UPDATE, "Card payments fail for ~20%. Next update 10:30.", "U0CAROL"
        ),
        entry(
            70,
            TimelineKind.STATUS,
            "",
            facts={"status": "identified", "previous_status": "investigating"},
            **bot_made,
        ),
        entry(95, TimelineKind.MITIGATION, "Rolled back the gateway release"),
        entry(100, TimelineKind.FOLLOW_UP, "Add a contract test for every card type", "U0CAROL"),
        entry(30, TimelineKind.IMPACT, "About 20% of users could not check out", "U0CAROL"),
        entry(
            105,
            TimelineKind.RESOLVED,
            "rolled back",
            facts={"previous_status": "identified"},
            **bot_made,
        ),
    ]
    escalations = [
        Escalation(
            incident_id=7,
            target_kind="policy",
            target_ref="checkout-oncall",
            target="checkout-oncall",
            policy="checkout-oncall",
            level=1,
            why={"because": "severity", "severity": "SEV2", "policy": "checkout-oncall"},
            escalated_at=minutes(10),
            acknowledged_at=minutes(14),
            acknowledged_by="U0DAVE",
        ),
        Escalation(
            incident_id=7,
            target_kind="user",
            target_ref="U0BOB",
            target="U0BOB",
            reason="owns the payment gateway | card errors",
            requested_by="U0ALICE",
            escalated_at=minutes(45),
        ),
    ]
    actions = [
        ActionItem(
            incident_id=7,
            text="Review every payment gateway integration",
            owner="U0BOB",
            created_by="U0ALICE",
            created_at=minutes(110),
            slack_channel=CHANNEL,
            slack_ts="1699378200.000200",
            permalink=f"https://acme.slack.com/archives/{CHANNEL}/p1699378200000200",
        )
    ]
    changes = [
        MilestoneChange(
            incident_id=7,
            milestone="started",
            value=minutes(0),
            changed_by="U0CAROL",
            changed_at=minutes(120),
        )
    ]
    return Record(
        incident=the_incident,
        entries=sorted(entries, key=lambda e: e.occurred_at),
        escalations=escalations,
        roles={"comms": "U0CAROL"},
        actions=actions,
        milestone_changes=changes,
    )


def large_record(count: int) -> Record:
    """The full record with ``count`` timeline entries, one every 10 seconds."""
    record = full_record()
    kinds = [
        TimelineKind.KEY_EVENT,
        TimelineKind.INVESTIGATION,
        TimelineKind.MISLEADING,
        TimelineKind.UPDATE,
    ]
    entries = [
        entry(
            index / 6,
            kinds[index % len(kinds)],
            f"Observation {index}: error rate {index % 97}% on shard {index % 13}",
            ts=f"{int(minutes(index / 6).timestamp())}.{index:06d}",
        )
        for index in range(count)
    ]
    record.incident.resolved_at = minutes(count / 6 + 1)
    record.entries = entries
    return record


def section(draft: str, heading: str) -> str:
    """The text under ``heading`` up to the next heading of the same level."""
    start = draft.index(heading)
    level = heading.split(" ")[0] + " "
    rest = draft[start + len(heading) :]
    end = rest.find("\n" + level)
    return rest if end < 0 else rest[:end]
