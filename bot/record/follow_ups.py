"""Follow-ups as tracker issues: which are filed where, waiting, refused, closed or reopened.

A follow-up is an ``/incident action`` (an ActionItem) or a ``:memo:`` message (a timeline
entry of kind follow_up); ``follow_up_ref`` names either in one string. No HTTP in here.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.trackers import TrackerTarget
from bot.store.db import insert_once
from bot.store.models import ActionItem, Incident, TimelineEntry, TimelineKind, TrackerIssue

FollowUp = ActionItem | TimelineEntry


def follow_up_ref(row: FollowUp) -> str:
    return f"{row.__tablename__}:{row.id}"


async def follow_up_of(session: AsyncSession, ref: str) -> FollowUp | None:
    """The row ``ref`` names, or None when it is gone or malformed."""
    table, _, key = ref.partition(":")
    model = {"action_item": ActionItem, "timeline_entry": TimelineEntry}.get(table)
    if model is None or not key.isascii() or not key.isdigit():
        return None
    return await session.get(model, int(key))


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

    True when it is to be filed now: new, or refused before and asked again (settings
    mended). A follow-up waiting, filed or closed keeps its one issue.
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
    existing = (await session.exec(select(TrackerIssue).where(TrackerIssue.follow_up == ref))).one()
    if existing.state != "refused":
        return existing, False
    existing.state, existing.error = "waiting", None
    existing.tracker, existing.project = target.kind, project
    existing.requested_by, existing.requested_at = by, at
    session.add(existing)
    return existing, True


def mark_filed(issue: TrackerIssue, *, external_id: str, key: str, url: str, at: datetime) -> None:
    issue.state, issue.error = "filed", None
    issue.external_id, issue.key, issue.url, issue.filed_at = external_id, key, url, at


def mark_refused(issue: TrackerIssue, error: str) -> None:
    issue.state, issue.error = "refused", error


async def _issue_filed_as(
    session: AsyncSession, tracker: str, external_id: str, project: str
) -> TrackerIssue | None:
    """The issue warroom filed that its tracker names ``external_id`` (in ``project``, if
    given), or None."""
    statement = select(TrackerIssue).where(
        TrackerIssue.tracker == tracker, TrackerIssue.external_id == external_id
    )
    if project:
        statement = statement.where(TrackerIssue.project == project)
    return (await session.exec(statement)).first()


async def close_issue(
    session: AsyncSession, tracker: str, external_id: str, at: datetime, *, project: str = ""
) -> TrackerIssue | None:
    """Mark the issue closed in its tracker as done (the caller commits); None when warroom
    did not file it, or it was closed already."""
    issue = await _issue_filed_as(session, tracker, external_id, project)
    if issue is None or issue.state == "closed":
        return None
    issue.state, issue.closed_at = "closed", at
    session.add(issue)
    return issue


async def reopen_issue(
    session: AsyncSession, tracker: str, external_id: str, *, project: str = ""
) -> TrackerIssue | None:
    """The issue was reopened in its tracker: the follow-up is filed and not done any more
    (the caller commits); None when warroom did not file it, or it was not closed."""
    issue = await _issue_filed_as(session, tracker, external_id, project)
    if issue is None or issue.state != "closed":
        return None
    issue.state, issue.closed_at = "filed", None
    session.add(issue)
    return issue
