"""Follow-ups as tracker issues: which are filed where, waiting, refused, closed or reopened.

A follow-up is an ``/incident action`` (an ActionItem) or a ``:memo:`` message (a timeline
entry of kind follow_up); ``follow_up_ref`` names either in one string. No HTTP in here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.trackers import TrackerChange, TrackerTarget
from bot.record.timeline import EntryRow
from bot.store.db import insert_once
from bot.store.models import (
    ActionItem,
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


async def follow_ups(session: AsyncSession, incident_id: int) -> list[FollowUp]:
    """Every follow-up of the incident, in the order they were noted."""
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
    return sorted(rows, key=lambda row: _noted_at(row))


def _noted_at(row: FollowUp) -> datetime:
    return row.created_at if isinstance(row, ActionItem) else row.occurred_at


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
