"""What the form offered on resolving records (bot/flows/incident/wrap_up.py): the impact in
numbers, the affected services, the triggering change; and the impact end it proposes from the
record. No Slack payloads in here.

Numbers and services are a person's statement of the impact: a timeline entry of kind
``impact`` whose facts hold them (``{"numbers": {"customers": "1200", ...}, "services":
[...]}``), said by templates/entries/; the trigger is a person's words, an entry of kind
``trigger``. None of them is a moment of the incident, so the timeline leaves them out: the
draft shows them in its Impact and Trigger sections.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.slack_text import SlackText
from bot.record.incident.timeline import add_entry
from bot.store.models import Incident, TimelineEntry, TimelineKind

# The impact in numbers the form asks for, in its order: what each counts.
IMPACT_NUMBERS = ("customers", "orders", "money", "requests")
# Only money has decimals; the others are counts.
WHOLE_NUMBERS = frozenset({"customers", "orders", "requests"})
# Fifteen digits: more than any count or sum an incident costs, less than a float rounds.
NUMBER_MAX = Decimal("999999999999999")


def read_number(raw: str, *, whole: bool) -> Decimal | None:
    """A number of the impact as a form sent it (text), or None when it cannot be one: not a
    number, negative, too big, or (``whole``) with decimals."""
    try:
        number = Decimal(raw)
    except InvalidOperation:
        return None
    if not number.is_finite() or number < 0 or number > NUMBER_MAX:
        return None
    if whole and number != number.to_integral_value():
        return None
    return Decimal(int(number)) if whole else number


@dataclass(frozen=True)
class ProposedEnd:
    """When the impact ended, as the record suggests it, and where that comes from:
    ``ended`` (set already), ``alert`` (the incident's alerts all resolved), ``recovered`` (a
    message marked recovered), ``mitigation`` (the confirmed mitigation), or ``resolved`` (the
    resolution, as a last resort)."""

    at: datetime
    source: str


def proposed_impact_end(
    incident: Incident, decided: datetime | None, source: str
) -> ProposedEnd | None:
    """The impact end the form proposes: as the draft decides it (``decided``, set by hand or
    proposed from the record, ``source`` saying which), else the resolution as a last resort."""
    if decided is not None:
        return ProposedEnd(decided, source)
    if incident.resolved_at is not None:
        return ProposedEnd(incident.resolved_at, "resolved")
    return None


def number_facts(numbers: Mapping[str, Decimal]) -> dict[str, str]:
    """The numbers as the facts keep them: as written, without an exponent (a float would
    round money), in the form's order."""
    return {key: format(numbers[key], "f") for key in IMPACT_NUMBERS if key in numbers}


def note_impact(
    session: AsyncSession,
    incident: Incident,
    *,
    numbers: Mapping[str, Decimal],
    services: Sequence[str],
    by: str,
    at: datetime,
) -> TimelineEntry | None:
    """The impact in numbers and the services affected, as ``by`` gave them: one entry, shown
    by one message (the caller commits); None when neither was given."""
    facts: dict[str, object] = {}
    if numbers:
        facts["numbers"] = number_facts(numbers)
    if services:
        facts["services"] = list(services)
    if not facts:
        return None
    return add_entry(
        session, incident, kind=TimelineKind.IMPACT, facts=facts, author=by, occurred_at=at
    )


def note_trigger(
    session: AsyncSession, incident: Incident, text: SlackText, *, by: str, at: datetime
) -> TimelineEntry:
    """The change that set the incident off, in ``by``'s words (the caller commits)."""
    return add_entry(
        session, incident, kind=TimelineKind.TRIGGER, text=text, author=by, occurred_at=at
    )
