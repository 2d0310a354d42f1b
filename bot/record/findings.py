"""What people state for the postmortem as they learn it: impact, causes, follow-up tasks.

Impact statements and causes are timeline entries (with who said it and when); tasks are
action items with an optional owner. No Slack payloads in here.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.task_words import task_text
from bot.record.timeline import add_entry
from bot.store.models import ActionItem, Incident, TimelineEntry, TimelineKind

FINDING_KINDS = {"impact": TimelineKind.IMPACT, "cause": TimelineKind.ROOT_CAUSE}


def note_finding(
    session: AsyncSession, incident: Incident, *, what: str, text: str, by: str, at: datetime
) -> TimelineEntry:
    """Record an impact statement (``what="impact"``) or a cause (``"cause"``); caller commits."""
    return add_entry(
        session,
        incident,
        kind=FINDING_KINDS[what],
        text=text,
        author=by,
        occurred_at=at,
    )


def note_action(
    session: AsyncSession,
    incident: Incident,
    *,
    text: str,
    owner: str | None,
    by: str,
    at: datetime,
    due_at: datetime | None = None,
) -> ActionItem:
    """Record a corrective or preventive task, due at ``due_at`` if given (the caller
    commits); its text without the "Follow-up:" it may have been written after."""
    assert incident.id is not None
    item = ActionItem(
        incident_id=incident.id,
        text=task_text(text),
        owner=owner,
        created_by=by,
        created_at=at,
        due_at=due_at,
    )
    session.add(item)
    return item


def link_to_message(row: TimelineEntry | ActionItem, channel: str, ts: str) -> None:
    """Tie a row to the channel message that shows it, so the draft can link there."""
    row.slack_channel, row.slack_ts = channel, ts
