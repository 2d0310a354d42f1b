"""An attached alert's own paging as the draft's escalation table says it: each step of it
(a level of its policy, or a person chosen by hand), when, by whom when by hand, who
acknowledged the alert and when, and the pages it started (their notifications say how each
person was reached).

The alert's history is the record: the incident's ``paged``, ``acknowledged`` and
``escalation`` entries that attaching wrote (bot/record/alerting/attaching.py), not the
alert's row, which a later episode of its own clears. Each step is said as an escalation
that is never stored (no id: nothing on the draft's page asks for its answer).
``paged_for_alert``: whom an incident's own escalation brought in without paging them, as an
attached alert had paged them before it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.record.escalation.escalations import WhyAlert
from bot.record.incident.timeline import EntryRow
from bot.store.models import Escalation, PersonPage, TimelineKind

_PAGED = TimelineKind.PAGED.value
_ACKNOWLEDGED = TimelineKind.ACKNOWLEDGED.value
_ESCALATION = TimelineKind.ESCALATION.value


@dataclass(frozen=True)
class AlertStep:
    """One step of an alert's paging: as an escalation (never stored), and its pages' ids."""

    escalation: Escalation
    page_ids: tuple[int, ...]


_Acts = list[tuple[datetime, dict[str, Any]]]


def _acts(entries: Sequence[EntryRow], kind: str, act: str) -> _Acts:
    """The alert's acts of one kind in the timeline: when, and their facts."""
    return [
        (entry.occurred_at, entry.facts)
        for entry in entries
        if entry.kind == kind and entry.facts and entry.facts.get("alert_act") == act
    ]


def alert_steps(incident_id: int, entries: Sequence[EntryRow]) -> list[AlertStep]:
    """The steps of the incident's attached alerts' paging, in the order they paged."""
    paged = _acts(entries, _PAGED, "paged")
    if not paged:
        return []
    steps: dict[tuple[str, datetime, int | None], list[dict[str, Any]]] = {}
    for at, facts in paged:  # a step's pages all start at its moment
        steps.setdefault((str(facts.get("alert")), at, facts.get("level")), []).append(facts)
    acknowledged = _acts(entries, _ACKNOWLEDGED, "acknowledged")
    by_hand = _acts(entries, _ESCALATION, "escalated")
    found = []
    for (alert, at, level), pages in steps.items():
        hand = _by_hand(by_hand, alert, at, None if level else pages[0].get("user"))
        answer = _answer(acknowledged, alert, at)
        why: WhyAlert = {"because": "alert", "alert": alert}
        if hand is not None:
            why["by_hand"] = True
        policy = pages[0].get("policy")
        person = None if level else str(pages[0].get("user"))
        escalation = Escalation(
            incident_id=incident_id,
            target_kind="user" if person else "policy",
            target_ref=person or str(policy),
            target=person or str(policy),
            policy=None if person else policy,
            level=level,
            why=dict(why),
            requested_by=hand.get("user") if hand else None,
            escalated_at=at,
            acknowledged_at=answer[0],
            acknowledged_by=answer[1],
        )
        ids = tuple(int(facts["page"]) for facts in pages if facts.get("page"))
        found.append(AlertStep(escalation, ids))
    return found


def _by_hand(
    by_hand: Sequence[tuple[datetime, dict[str, Any]]], alert: str, at: datetime, to: object
) -> dict[str, Any] | None:
    """The escalation by hand of the alert that started the step at ``at`` (to that person,
    or None: to its policy), if it was one."""
    return next(
        (
            facts
            for when, facts in by_hand
            if when == at and facts.get("alert") == alert and (facts.get("to") or None) == to
        ),
        None,
    )


def _answer(
    acknowledged: Sequence[tuple[datetime, dict[str, Any]]], alert: str, at: datetime
) -> tuple[datetime | None, Any]:
    """When the alert was first acknowledged from ``at`` on, and by whom; None, None if not."""
    return next(
        (
            (when, facts.get("user"))
            for when, facts in sorted(acknowledged, key=lambda act: act[0])
            if facts.get("alert") == alert and when >= at
        ),
        (None, None),
    )


def paged_for_alert(
    steps: Sequence[AlertStep], pages: Mapping[int | None, PersonPage], escalation: Escalation
) -> list[str]:
    """The people the incident's ``escalation`` named (its person, or its schedules' on
    call) whom the attached alerts' steps paged before it, when it paged none of them itself:
    they were brought in, not paged a second time."""
    paged = {
        page.user_id: page.started_at
        for step in steps
        for page_id in step.page_ids
        if (page := pages.get(page_id)) is not None
    }
    if not paged or any(page.escalation_id == escalation.id for page in pages.values()):
        return []
    named = [each.get("user") for each in escalation.on_call or []]
    if escalation.target_kind == "user":
        named.append(escalation.target_ref)
    return [
        user
        for user in dict.fromkeys(named)
        if isinstance(user, str) and user in paged and paged[user] <= escalation.escalated_at
    ]
