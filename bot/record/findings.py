"""What people state for the postmortem as they learn it: impact, causes, follow-up tasks.

Impact statements and causes are timeline entries (with who said it and when); tasks are
action items with an optional owner. No Slack payloads in here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.task_words import task_text
from bot.record.timeline import add_entry
from bot.store.models import ActionItem, Incident, TimelineEntry, TimelineKind

FINDING_KINDS = {"impact": TimelineKind.IMPACT, "cause": TimelineKind.ROOT_CAUSE}
# A form sent twice (a double press, a resend) within this gives the same line once.
REPEAT_WITHIN = timedelta(minutes=1)


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


async def said_just_now(
    session: AsyncSession, incident_id: int, *, what: str, text: str, by: str, at: datetime
) -> bool:
    """The same person recorded this very finding in the last ``REPEAT_WITHIN`` before
    ``at``: sending it again would only repeat the line."""
    found = await session.exec(
        select(TimelineEntry.id)
        .where(TimelineEntry.incident_id == incident_id)
        .where(TimelineEntry.kind == FINDING_KINDS[what])
        .where(TimelineEntry.author == by)
        .where(TimelineEntry.text == text)
        .where(col(TimelineEntry.occurred_at) >= at - REPEAT_WITHIN)
        .limit(1)
    )
    return found.first() is not None


async def noted_just_now(
    session: AsyncSession, incident_id: int, *, text: str, by: str, at: datetime
) -> bool:
    """The same person noted this very follow-up in the last ``REPEAT_WITHIN`` before ``at``."""
    found = await session.exec(
        select(ActionItem.id)
        .where(ActionItem.incident_id == incident_id)
        .where(ActionItem.created_by == by)
        .where(ActionItem.text == task_text(text))
        .where(col(ActionItem.created_at) >= at - REPEAT_WITHIN)
        .limit(1)
    )
    return found.first() is not None


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
