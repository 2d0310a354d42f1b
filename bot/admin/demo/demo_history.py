"""The demo workspace's history: two earlier checkout incidents, resolved weeks before the
demo's, each fired by the alert the demo's fires (``CheckoutErrorRate``, ``service=checkout``),
with its root cause and a follow-up still open. So the incident the demo plays is related to
them, and the channel says so as it opens, the page lists them, and the agent of the demo's
last step finds them (``related_incidents``) before it proposes the finding Carol accepts
(docs/agents.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.db import session_scope
from bot.store.models import (
    ActionItem,
    Alert,
    AlertGroup,
    AlertPayload,
    Incident,
    TimelineEntry,
    TimelineKind,
)


@dataclass(frozen=True)
class Earlier:
    """One earlier incident: how long before the demo, what it was, why, what is left to do."""

    days_before: int
    title: str
    severity: str
    cause: str
    follow_up: str


HISTORY = (
    Earlier(
        41,
        "Checkout 500s after the payment gateway's config push",
        "SEV2",
        "A gateway config push dropped the card networks list; checkout answered 500.",
        "Validate the gateway's card networks list before a config push",
    ),
    Earlier(
        12,
        "Checkout errors for Amex cards",
        "SEV3",
        "Gateway release gw-2.13 refused Amex card numbers of 15 digits.",
        "Add an integration test for every supported card type",
    ),
)
ALERT = "CheckoutErrorRate"
LABELS = {"alertname": ALERT, "service": "checkout", "severity": "page"}


async def seed_history(
    engine: AsyncEngine, *, team_id: str, declared_by: str, now: datetime
) -> list[str]:
    """Keep the earlier incidents (resolved, public), before the demo's is declared; their
    references."""
    made = []
    async with session_scope(engine) as session:
        for number, earlier in enumerate(HISTORY, start=1):
            at = now - timedelta(days=earlier.days_before)
            incident = Incident(
                team_id=team_id,
                number=number,
                title=earlier.title,
                severity=earlier.severity,
                status="resolved",
                declared_by=declared_by,
                declared_at=at,
                started_at=at,
                resolved_at=at + timedelta(minutes=50),
            )
            session.add(incident)
            await session.flush()
            await _keep_its_alert(session, incident, f"demo-history-{number}", at)
            _keep_cause_and_follow_up(session, incident, earlier, declared_by, at)
            made.append(incident.reference)
        await session.commit()
    return made


async def _keep_its_alert(
    session: AsyncSession, incident: Incident, key: str, at: datetime
) -> None:
    """The alert that fired ``incident`` at ``at``: its payload, its group and the alert,
    resolved 40 minutes later."""
    payload = AlertPayload(
        source="alertmanager",
        body="{}",
        group_key=key,
        received_at=at,
        state="processed",
        processed_at=at,
        incident_id=incident.id,
    )
    group = AlertGroup(
        source="alertmanager",
        key_hash=key,
        group_key=key,
        incident_id=incident.id,
        first_seen_at=at,
        last_seen_at=at + timedelta(minutes=40),
    )
    session.add_all([payload, group])
    await session.flush()
    session.add(
        Alert(
            group_id=group.id or 0,
            incident_id=incident.id,
            fingerprint=key,
            name=ALERT,
            status="resolved",
            starts_at=at,
            ends_at=at + timedelta(minutes=40),
            summary="Checkout page returns 500s",
            labels=json.dumps(LABELS),
            first_payload_id=payload.id or 0,
            last_payload_id=payload.id or 0,
        )
    )


def _keep_cause_and_follow_up(
    session: AsyncSession, incident: Incident, earlier: Earlier, author: str, at: datetime
) -> None:
    """The earlier incident's root cause in its timeline, and its follow-up still open."""
    session.add(
        TimelineEntry(
            incident_id=incident.id or 0,
            kind=TimelineKind.ROOT_CAUSE,
            text=earlier.cause,
            author=author,
            occurred_at=at + timedelta(minutes=25),
        )
    )
    session.add(
        ActionItem(
            incident_id=incident.id or 0,
            text=earlier.follow_up,
            created_by=author,
            created_at=at + timedelta(minutes=45),
        )
    )
