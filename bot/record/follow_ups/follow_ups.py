"""Follow-ups: which read like an earlier one, which are open or overdue and whose, done by a
person; and as tracker issues: which are filed where, waiting, refused, closed or reopened.

A follow-up is an ``/incident action`` (an ActionItem, which may have an owner and a due
date) or a ``:memo:`` message (a timeline entry of kind follow_up); ``follow_up_ref`` names
either in one string. No HTTP in here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, cast, func, literal, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.slack_text import SlackText, to_plain
from bot.basics.task_words import content_words
from bot.basics.trackers import TrackerChange, TrackerTarget
from bot.record.incident.findings import not_removed, removed_lines
from bot.record.incident.timeline import EntryRow
from bot.store.db import insert_once
from bot.store.models import (
    ActionItem,
    FollowUpMerge,
    Incident,
    Job,
    TimelineEntry,
    TimelineKind,
    TrackerIssue,
)

FollowUp = ActionItem | TimelineEntry


def follow_up_ref(row: FollowUp | EntryRow) -> str:
    return f"{row.__tablename__}:{row.id}"


def file_job_key(ref: str) -> str:
    """The key of the job that files the follow-up ``ref``."""
    return f"file:{ref}"


def pressed_ref(value: str) -> str | None:
    """The follow-up a button's value names: its ref (``action_item:7``,
    ``timeline_entry:12``), or a bare id, an ``/incident action``'s (messages posted before
    buttons named refs); None when it names none."""
    table, _, key = value.rpartition(":")
    if not key.isascii() or not key.isdigit() or not 0 < int(key) < 2**63:
        return None
    table = table or ActionItem.__tablename__
    if table not in (ActionItem.__tablename__, TimelineEntry.__tablename__):
        return None
    return f"{table}:{int(key)}"


async def follow_up_of(session: AsyncSession, ref: str) -> FollowUp | None:
    """The row ``ref`` names, or None when it is gone or malformed."""
    table, _, key = ref.partition(":")
    if not key.isascii() or not key.isdigit():
        return None
    if table == ActionItem.__tablename__:
        return await session.get(ActionItem, int(key))
    if table == TimelineEntry.__tablename__:
        return await session.get(TimelineEntry, int(key))
    return None


async def memo_of(session: AsyncSession, *, channel: str, ts: str) -> TimelineEntry | None:
    """The ``:memo:`` follow-up a message is (its timeline entry of kind follow_up), if any."""
    rows = await session.exec(
        select(TimelineEntry).where(
            TimelineEntry.slack_channel == channel,
            TimelineEntry.slack_ts == ts,
            TimelineEntry.kind == TimelineKind.FOLLOW_UP,
        )
    )
    return rows.first()


async def follow_ups(session: AsyncSession, incident_id: int) -> list[FollowUp]:
    """Every follow-up of the incident, in the order they were noted; those merged into
    another (or given an owner, a task of their own now) or removed by a person left out."""
    gone = await session.exec(
        select(FollowUpMerge.merged).where(FollowUpMerge.incident_id == incident_id)
    )
    merged = set(gone.all())
    items = await session.exec(
        select(ActionItem)
        .where(ActionItem.incident_id == incident_id)
        .order_by(col(ActionItem.created_at), col(ActionItem.id))
    )
    memos = await session.exec(
        select(TimelineEntry).where(
            TimelineEntry.incident_id == incident_id,
            TimelineEntry.kind == TimelineKind.FOLLOW_UP,
        )
    )
    rows: list[FollowUp] = [*items.all(), *memos.all()]
    left_out = merged | await removed_lines(session, incident_id)
    kept = [row for row in rows if follow_up_ref(row) not in left_out]
    return sorted(kept, key=lambda row: noted_at(row))


def noted_at(row: FollowUp) -> datetime:
    """When the follow-up was noted: the task's command, or the ``:memo:`` message."""
    return row.created_at if isinstance(row, ActionItem) else row.occurred_at


# -- possible duplicates -------------------------------------------------------------------
# Two follow-ups read alike when most of their content words are shared (Jaccard), or when
# one's words are nearly all in the other and there are enough of them to mean something.
ALIKE = 0.7
CONTAINED = 0.9
CONTAINED_WORDS = 3


def _words(text: str) -> frozenset[str]:
    return content_words(to_plain(SlackText.of(text)))


def _alike(first: frozenset[str], second: frozenset[str]) -> bool:
    if len(first) < 2 or len(second) < 2:
        return False
    shared = len(first & second)
    if shared / len(first | second) >= ALIKE:
        return True
    smaller = min(len(first), len(second))
    return smaller >= CONTAINED_WORDS and shared / smaller >= CONTAINED


def reads_like(first: str, second: str) -> bool:
    """Whether two follow-ups (Slack text) read like the same task, wording aside."""
    return _alike(_words(first), _words(second))


def earlier_alike(texts: Sequence[str]) -> list[int | None]:
    """For each follow-up (in the order they were noted), the index of the first earlier one
    it reads like, or None: possibly the same task, flagged until a person merges them."""
    words = [_words(text) for text in texts]
    return [
        next((earlier for earlier in range(index) if _alike(words[earlier], own)), None)
        for index, own in enumerate(words)
    ]


async def first_alike(session: AsyncSession, incident_id: int, text: str) -> FollowUp | None:
    """The incident's first follow-up that reads like ``text`` (a new one), if any."""
    words = _words(text)
    rows = await follow_ups(session, incident_id)
    return next((row for row in rows if _alike(_words(row.text), words)), None)


# -- open follow-ups -----------------------------------------------------------------------
@dataclass(frozen=True)
class OpenFollowUp:
    """A follow-up not done yet (neither marked done nor closed in its tracker), with its
    incident: what the App Home and the web view list."""

    item: ActionItem
    incident: Incident

    def overdue(self, now: datetime) -> bool:
        return self.item.due_at is not None and self.item.due_at <= now


async def open_follow_ups(
    session: AsyncSession, *, team_id: str, owner: str | None = None
) -> list[OpenFollowUp]:
    """The workspace's follow-ups not done yet (``owner``'s alone when given): those with a
    due date first, the soonest (the most overdue) first, then the others as noted.
    ``:memo:`` follow-ups have no owner or due date and are not listed, nor are follow-ups
    merged into another or removed."""
    statement = (
        select(ActionItem, Incident)
        .join(Incident, col(Incident.id) == col(ActionItem.incident_id))
        .outerjoin(
            TrackerIssue,
            col(TrackerIssue.follow_up)
            == literal(f"{ActionItem.__tablename__}:") + cast(col(ActionItem.id), String),
        )
        .outerjoin(
            FollowUpMerge,
            col(FollowUpMerge.merged)
            == literal(f"{ActionItem.__tablename__}:") + cast(col(ActionItem.id), String),
        )
        .where(
            col(Incident.team_id) == team_id,
            col(ActionItem.done_at).is_(None),
            col(FollowUpMerge.id).is_(None),
            not_removed(literal(f"{ActionItem.__tablename__}:") + cast(col(ActionItem.id), String)),
            or_(col(TrackerIssue.state).is_(None), col(TrackerIssue.state) != "closed"),
        )
        .order_by(
            col(ActionItem.due_at).is_(None),
            col(ActionItem.due_at),
            col(ActionItem.created_at),
            col(ActionItem.id),
        )
    )
    if owner is not None:
        statement = statement.where(col(ActionItem.owner) == owner)
    rows = await session.exec(statement)
    return [OpenFollowUp(item, incident) for item, incident in rows.all()]


def is_done(item: ActionItem, issue: TrackerIssue | None) -> bool:
    """Marked done by a person, or its issue closed in the tracker as done."""
    return item.done_at is not None or (issue is not None and issue.state == "closed")


def mark_done(item: ActionItem, *, by: str, at: datetime) -> bool:
    """Mark the follow-up done (the caller adds and commits); False when it was already."""
    if item.done_at is not None:
        return False
    item.done_at, item.done_by = at, by
    return True


async def issues_of(session: AsyncSession, incident_id: int) -> dict[str, TrackerIssue]:
    """The incident's tracker issues by the follow-up each files."""
    rows = await session.exec(select(TrackerIssue).where(TrackerIssue.incident_id == incident_id))
    return {row.follow_up: row for row in rows.all()}


async def issue_of(session: AsyncSession, ref: str) -> TrackerIssue | None:
    """The follow-up's issue row, if it was ever asked to be filed."""
    return (await session.exec(select(TrackerIssue).where(TrackerIssue.follow_up == ref))).first()


async def request_issue(
    session: AsyncSession,
    incident: Incident,
    ref: str,
    target: TrackerTarget,
    project: str,
    *,
    by: str,
    at: datetime,
) -> tuple[TrackerIssue, bool]:
    """Ask for the follow-up to be filed (the caller commits and schedules the job).

    True when it is to be filed now: new, refused before and asked again (settings
    mended), or waiting with no job left to file it (it ended without filing). A follow-up
    waiting on its job, filed or closed keeps its one issue.
    """
    assert incident.id is not None
    row = TrackerIssue(
        incident_id=incident.id,
        follow_up=ref,
        tracker=target.kind,
        project=project,
        requested_by=by,
        requested_at=at,
    )
    if await insert_once(session, row):
        return row, True
    existing = await issue_of(session, ref)
    assert existing is not None  # the insert met it
    if existing.state == "waiting" and not await _job_ended(session, ref):
        return existing, False
    if existing.state not in ("refused", "waiting"):
        return existing, False
    existing.state, existing.error = "waiting", None
    existing.tracker, existing.project = target.kind, project
    existing.requested_by, existing.requested_at = by, at
    session.add(existing)
    return existing, True


async def _job_ended(session: AsyncSession, ref: str) -> bool:
    job = (await session.exec(select(Job).where(col(Job.key) == file_job_key(ref)))).first()
    return job is None or job.done_at is not None


def mark_filed(issue: TrackerIssue, *, external_id: str, key: str, url: str, at: datetime) -> None:
    issue.state, issue.error = "filed", None
    issue.external_id, issue.key, issue.url, issue.filed_at = external_id, key, url, at


def mark_refused(issue: TrackerIssue, error: str) -> None:
    issue.state, issue.error = "refused", error


async def issue_changed(session: AsyncSession, change: TrackerChange) -> TrackerIssue | None:
    """The issue warroom filed that the tracker's ``change`` names, or None: by the
    tracker's id, else (GitHub issues filed before ids were kept) by the number in its
    repository, whose name's case GitHub does not keep stable. Locked until the caller
    commits: deliveries at once take turns, each seeing what the one before applied."""
    by_id = select(TrackerIssue).where(
        TrackerIssue.tracker == change.tracker, TrackerIssue.external_id == change.external_id
    )
    issue = (await session.exec(by_id.with_for_update())).first()
    if issue is not None or not change.number:
        return issue
    by_number = select(TrackerIssue).where(
        TrackerIssue.tracker == change.tracker,
        TrackerIssue.external_id == change.number,
        func.lower(TrackerIssue.project) == change.project.lower(),
    )
    return (await session.exec(by_number.with_for_update())).first()


def apply_change(issue: TrackerIssue, change: TrackerChange, now: datetime) -> bool:
    """Close or reopen the issue as ``change`` says (the caller adds and commits); False
    when it changes nothing: the issue is so already, or the tracker changed it since."""
    if change.at is not None and issue.changed_at is not None and change.at < issue.changed_at:
        return False  # older than what was applied: a late or replayed delivery
    changed = close_issue(issue, now) if change.closed else reopen_issue(issue)
    if changed and change.at is not None:
        issue.changed_at = change.at
    return changed


def close_issue(issue: TrackerIssue, at: datetime) -> bool:
    """Mark the issue closed in its tracker as done; False when it was closed already."""
    if issue.state == "closed":
        return False
    issue.state, issue.closed_at = "closed", at
    return True


def reopen_issue(issue: TrackerIssue) -> bool:
    """The issue was reopened in its tracker: the follow-up is filed and not done any more;
    False when it was not closed."""
    if issue.state != "closed":
        return False
    issue.state, issue.closed_at = "filed", None
    return True
