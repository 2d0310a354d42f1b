"""Acknowledgements that come from a phone rather than Slack: a push notification's button,
an email's link, an SMS reply, a keypress in a call. Each acknowledges the escalation that
paged the person, as the Slack button would, and says how."""

from __future__ import annotations

from dataclasses import dataclass

from bot.basics.errors import AlreadyResolved
from bot.flows.escalation.escalate import acknowledge
from bot.record.escalation.escalations import AlreadyAcknowledged, NothingToAcknowledge
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import Escalation, Incident, PersonPage


@dataclass(frozen=True)
class Answer:
    """What acknowledging from a phone did: ``acknowledged`` now, or ``already`` (someone
    did first, or the incident is resolved), for ``incident``; ``by`` who acknowledged."""

    outcome: str
    incident: Incident
    by: str | None


async def acknowledge_page(services: Services, page_id: int, *, via: str) -> Answer:
    """Acknowledge the escalation that started this page, as the paged person, ``via`` how."""
    async with session_scope(services.engine) as session:
        page = await session.get(PersonPage, page_id)
        assert page is not None
        incident = await session.get(Incident, page.incident_id)
        escalation = await session.get(Escalation, page.escalation_id)
    assert incident is not None and escalation is not None and incident.channel_id is not None
    try:
        incident, _ = await acknowledge(
            services,
            channel_id=incident.channel_id,
            user_id=page.user_id,
            escalation_id=page.escalation_id,
            via=via,
        )
    except (AlreadyAcknowledged, NothingToAcknowledge, AlreadyResolved):
        async with session_scope(services.engine) as session:
            current = await session.get(Escalation, escalation.id)
        return Answer("already", incident, current.acknowledged_by if current else None)
    return Answer("acknowledged", incident, page.user_id)
