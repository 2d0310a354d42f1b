"""What people state for the postmortem as they learn it: impact, causes, follow-up tasks.

Impact statements and causes are timeline entries (with who said it and when); tasks are
action items with an optional owner. No Slack payloads in here.

A line said so (``/incident impact``, ``cause``, ``action``, the draft page's forms) may be
edited or removed later on the draft's page: each change is a ``LineChange`` row (who, when,
the words before and after), never a silent one. An edit gives the line its new words (every
reader shows the current words; the row keeps the earlier ones); a removed line stays in the
record, and ``removed_lines`` names it for the readers that leave it out (the draft, the
lists of follow-ups, their reminders).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, exists
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.errors import BotError
from bot.basics.task_words import task_text
from bot.record.incident.timeline import EntryRow, add_entry
from bot.store.models import (
    ActionItem,
    ChannelMessage,
    Incident,
    LineChange,
    TimelineEntry,
    TimelineKind,
)

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


# -- lines changed on the draft's page ---------------------------------------------------------
# What each changeable line is, by its timeline kind (a follow-up is an ActionItem).
LINE_KINDS = {TimelineKind.IMPACT.value: "impact", TimelineKind.ROOT_CAUSE.value: "cause"}
FOLLOW_UP = "follow_up"
# The wrap-up's impact in numbers and affected services (bot/record/incident/wrap_up.py): an impact
# entry whose facts hold them, changed as a whole; its change keeps the facts as JSON.
FIGURES = "figures"


class LineRefused(BotError):
    """The line cannot be changed: ``why`` is ``gone`` (not a line of this incident a person
    said, or removed already) or ``same`` (the words it has already)."""

    template = "messages/line_refused.j2"


def line_ref(row: TimelineEntry | ActionItem | EntryRow) -> str:
    return f"{row.__tablename__}:{row.id}"


async def removed_lines(session: AsyncSession, incident_id: int) -> set[str]:
    """The lines of the incident a person removed (``timeline_entry:12``, ``action_item:7``)."""
    rows = await session.exec(
        select(LineChange.line).where(
            LineChange.incident_id == incident_id, col(LineChange.text).is_(None)
        )
    )
    return set(rows.all())


def not_removed(ref: ColumnElement[str]) -> ColumnElement[bool]:
    """SQL: the line ``ref`` names (``'action_item:' || id``) was not removed, for the
    queries over many incidents' follow-ups."""
    return ~exists().where(col(LineChange.line) == ref, col(LineChange.text).is_(None))


async def line_changes(session: AsyncSession, incident_id: int) -> dict[str, list[LineChange]]:
    """Every change of the incident's lines, by line, oldest first."""
    rows = await session.exec(
        select(LineChange).where(LineChange.incident_id == incident_id).order_by(col(LineChange.id))
    )
    changes: dict[str, list[LineChange]] = {}
    for row in rows.all():
        changes.setdefault(row.line, []).append(row)
    return changes


async def said_lines(session: AsyncSession, incident_id: int) -> list[TimelineEntry]:
    """The impact and cause lines people said (``/incident impact`` and ``cause``, the draft
    page's form), oldest first, those removed left out: the lines a person may change. A
    message marked with a reaction is the channel's words (its line follows the message),
    and the wrap-up's figures are facts, not words: neither is offered."""
    rows = await session.exec(
        select(TimelineEntry)
        .where(
            TimelineEntry.incident_id == incident_id,
            col(TimelineEntry.kind).in_(list(LINE_KINDS)),
        )
        .order_by(col(TimelineEntry.occurred_at), col(TimelineEntry.id))
    )
    entries = [entry for entry in rows.all() if not entry.facts]
    marked = await _marked_messages(session, incident_id, entries)
    removed = await removed_lines(session, incident_id)
    return [
        entry
        for entry in entries
        if line_ref(entry) not in removed and (entry.slack_ts, entry.author) not in marked
    ]


async def figure_lines(session: AsyncSession, incident_id: int) -> list[TimelineEntry]:
    """The wrap-up's impact figures people gave (the form in Slack, the draft page's impact
    form), oldest first, those removed left out: an estimate a person may correct."""
    rows = await session.exec(
        select(TimelineEntry)
        .where(
            TimelineEntry.incident_id == incident_id,
            TimelineEntry.kind == TimelineKind.IMPACT.value,
        )
        .order_by(col(TimelineEntry.occurred_at), col(TimelineEntry.id))
    )
    removed = await removed_lines(session, incident_id)
    return [
        entry
        for entry in rows.all()
        if entry.facts
        and (entry.facts.get("numbers") or entry.facts.get("services"))
        and line_ref(entry) not in removed
    ]


def change_figures(
    session: AsyncSession,
    incident: Incident,
    entry: TimelineEntry,
    *,
    facts: dict[str, object] | None,
    by: str,
    at: datetime,
) -> LineChange:
    """Give a figures line (``figure_lines``'s) new facts (``{"numbers": …, "services":
    …}``), or remove it (None), as ``by``'s change: a row of its own keeping the facts it had
    (the caller commits). LineRefused ``same`` when they are the facts it has."""
    assert incident.id is not None
    if facts is not None and facts == entry.facts:
        raise LineRefused(why="same_figures")
    change = LineChange(
        incident_id=incident.id,
        line=line_ref(entry),
        kind=FIGURES,
        previous=json.dumps(entry.facts or {}),
        text=None if facts is None else json.dumps(facts),
        changed_by=by,
        changed_at=at,
    )
    session.add(change)
    if facts is not None:
        entry.facts = facts  # a new dict: the JSON column is written again
        session.add(entry)
    return change


async def _marked_messages(
    session: AsyncSession, incident_id: int, entries: Sequence[TimelineEntry]
) -> set[tuple[str | None, str | None]]:
    """The (ts, author) of the entries that are a person's own message of the channel."""
    stamps = [entry.slack_ts for entry in entries if entry.slack_ts]
    if not stamps:
        return set()
    rows = await session.exec(
        select(ChannelMessage.ts, ChannelMessage.user).where(
            ChannelMessage.incident_id == incident_id, col(ChannelMessage.ts).in_(stamps)
        )
    )
    return {(ts, user) for ts, user in rows.all()}


async def change_line(
    session: AsyncSession,
    incident: Incident,
    row: TimelineEntry | ActionItem,
    *,
    text: str | None,
    by: str,
    at: datetime,
) -> LineChange:
    """Give the line ``text`` (Slack text), or remove it (None), as ``by``'s change, kept as a
    row of its own with the words it had (the caller commits). LineRefused when the line is
    not the incident's, is removed already, or has these words already."""
    assert incident.id is not None
    if row.incident_id != incident.id:
        raise LineRefused(why="gone")
    ref = line_ref(row)
    if ref in await removed_lines(session, incident.id):
        raise LineRefused(why="gone")
    kind = FOLLOW_UP if isinstance(row, ActionItem) else LINE_KINDS.get(row.kind)
    if kind is None:
        raise LineRefused(why="gone")
    if isinstance(row, ActionItem) and text is not None:
        text = task_text(text)
    if text is not None and text == row.text:
        raise LineRefused(why="same")
    change = LineChange(
        incident_id=incident.id,
        line=ref,
        kind=kind,
        previous=row.text,
        text=text,
        changed_by=by,
        changed_at=at,
    )
    session.add(change)
    if text is not None:
        row.text = text
        session.add(row)
    return change
