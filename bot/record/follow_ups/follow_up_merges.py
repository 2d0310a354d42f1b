"""Follow-ups that are one task: which are possibly the same (their words, or the team's
model), two merged into one by a person, and a ``:memo:`` follow-up given an owner. No HTTP
in here; the caller commits.

A merge keeps the older task (its words and when it was noted) and carries over what the
kept one lacks: its owner, its due date, its tracker issue. A task filed in a tracker is
never dropped: when both are filed (or one is being filed) the merge is refused, with why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.errors import BotError
from bot.basics.task_words import task_text
from bot.record.follow_ups.follow_ups import (
    FollowUp,
    earlier_alike,
    follow_up_of,
    follow_up_ref,
    follow_ups,
    issue_of,
    noted_at,
)
from bot.store.db import insert_once
from bot.store.models import (
    ActionItem,
    FollowUpAlike,
    FollowUpMerge,
    TimelineEntry,
    TrackerIssue,
)

MERGED, OWNED = "merged", "owned"
# Issue states that are a task in a tracker: never dropped by a merge.
_FILED = ("filed", "closed")


class MergeRefused(BotError):
    """Two follow-ups that cannot be merged; ``why`` names which sentence says so
    (templates/messages/follow_up_merge_refused.j2): ``gone``, ``same``, ``other_incident``,
    ``merged_already``, ``both_filed``, ``being_filed``."""

    template = "messages/follow_up_merge_refused.j2"


@dataclass(frozen=True)
class Merged:
    """The task kept, the one merged into it (as it was), and what the kept one took."""

    kept: FollowUp
    merged: FollowUp
    carried: tuple[str, ...]


async def merged_refs(session: AsyncSession, incident_id: int) -> set[str]:
    """The incident's follow-ups that are no longer tasks of their own."""
    rows = await session.exec(
        select(FollowUpMerge.merged).where(FollowUpMerge.incident_id == incident_id)
    )
    return set(rows.all())


async def merges_of(session: AsyncSession, incident_id: int) -> list[FollowUpMerge]:
    """The incident's merges, in the order they were made: its record of who and when."""
    rows = await session.exec(
        select(FollowUpMerge)
        .where(FollowUpMerge.incident_id == incident_id, FollowUpMerge.reason == MERGED)
        .order_by(col(FollowUpMerge.merged_at), col(FollowUpMerge.id))
    )
    return list(rows.all())


async def merge_notes(
    session: AsyncSession, incident_id: int
) -> dict[str, list[tuple[str, str, datetime]]]:
    """By the task kept, each task merged into it by a person: its words, who, when."""
    notes: dict[str, list[tuple[str, str, datetime]]] = {}
    for merge_row in await merges_of(session, incident_id):
        gone = await follow_up_of(session, merge_row.merged)
        if gone is not None:
            said = (gone.text, merge_row.merged_by, merge_row.merged_at)
            notes.setdefault(merge_row.kept, []).append(said)
    return notes


async def is_merged(session: AsyncSession, ref: str) -> bool:
    row = await session.exec(select(FollowUpMerge.id).where(FollowUpMerge.merged == ref))
    return row.first() is not None


async def model_alike(session: AsyncSession, incident_id: int) -> dict[str, str]:
    """The earlier follow-up the model found each to be the same as, by ref."""
    rows = await session.exec(select(FollowUpAlike).where(FollowUpAlike.incident_id == incident_id))
    return {row.follow_up: row.alike for row in rows.all()}


def alike_row(item: FollowUp, earlier: FollowUp, *, model: str, at: datetime) -> FollowUpAlike:
    """The model's word that ``item`` is the same task as ``earlier``, to keep."""
    return FollowUpAlike(
        incident_id=item.incident_id,
        follow_up=follow_up_ref(item),
        alike=follow_up_ref(earlier),
        found_by=model,
        found_at=at,
    )


def possibly_same(
    rows: Sequence[FollowUp], texts: Sequence[str], by_model: Mapping[str, str]
) -> dict[str, FollowUp]:
    """For each follow-up (``rows`` in the order they were noted, ``texts`` their readable
    words), the earlier one it is possibly the same as: by its words, else by the model."""
    by_ref = {follow_up_ref(row): row for row in rows}
    found: dict[str, FollowUp] = {}
    for row, earlier in zip(rows, earlier_alike(texts), strict=True):
        ref = follow_up_ref(row)
        if earlier is not None:
            found[ref] = rows[earlier]
        elif by_model.get(ref) in by_ref:
            found[ref] = by_ref[by_model[ref]]
    return found


@dataclass(frozen=True)
class SamePair:
    """Two follow-ups of an incident possibly the same task: ``later`` reads like (or the
    model read it as) ``earlier``. *Merge* is pressed on ``later`` (its ref in the button)."""

    earlier: FollowUp
    later: FollowUp

    def other(self, ref: str) -> FollowUp:
        """The follow-up of the pair that is not ``ref``."""
        return self.earlier if follow_up_ref(self.later) == ref else self.later


async def same_pairs(session: AsyncSession, incident_ids: Iterable[int]) -> dict[str, SamePair]:
    """By the ref of each follow-up of these incidents that is possibly the same as another,
    that pair: the earlier one it reads like, else a later one that reads like it. What the
    web view's follow-ups and the App Home flag, with *Merge*."""
    pairs: dict[str, SamePair] = {}
    for incident_id in sorted(set(incident_ids)):
        noted = await follow_ups(session, incident_id)
        found = possibly_same(
            noted, [row.text for row in noted], await model_alike(session, incident_id)
        )
        by_ref = {follow_up_ref(row): row for row in noted}
        for ref, earlier in found.items():
            pair = SamePair(earlier, by_ref[ref])
            pairs.setdefault(ref, pair)
            pairs.setdefault(follow_up_ref(earlier), pair)
    return pairs


async def merge(
    session: AsyncSession, incident_id: int, first: str, second: str, *, by: str, at: datetime
) -> Merged:
    """Merge two follow-ups of the incident into the older one; MergeRefused with why."""
    if first == second:
        raise MergeRefused(why="same")
    one, other = await follow_up_of(session, first), await follow_up_of(session, second)
    if one is None or other is None:
        raise MergeRefused(why="gone")
    if one.incident_id != incident_id or other.incident_id != incident_id:
        raise MergeRefused(why="other_incident")
    for row in (one, other):
        if await is_merged(session, follow_up_ref(row)):
            raise MergeRefused(why="merged_already", text=task_text(row.text))
    older, newer = sorted((one, other), key=lambda row: (noted_at(row), follow_up_ref(row)))
    issue = await _issue_to_keep(session, older, newer)
    kept = older
    carried: list[str] = []
    if isinstance(older, TimelineEntry) and isinstance(newer, ActionItem):
        # A :memo: holds no owner or due date: the task row kept is the newer, with the
        # older's words and time, so that it is the older task that stays.
        kept = _as_older(newer, older)
        carried.append("text")
    if isinstance(kept, ActionItem) and isinstance(newer, ActionItem) and kept is not newer:
        carried += _carry(kept, newer)
    merged = newer if kept is not newer else older
    if issue is not None and issue.follow_up != follow_up_ref(kept):
        issue.follow_up = follow_up_ref(kept)
        session.add(issue)
        carried.append("issue")
    session.add(kept)
    session.add(
        FollowUpMerge(
            incident_id=incident_id,
            merged=follow_up_ref(merged),
            kept=follow_up_ref(kept),
            reason=MERGED,
            carried=",".join(carried),
            merged_by=by,
            merged_at=at,
        )
    )
    return Merged(kept, merged, tuple(carried))


async def _issue_to_keep(
    session: AsyncSession, older: FollowUp, newer: FollowUp
) -> TrackerIssue | None:
    """The tracker issue the kept task carries: the one filed; refused when both are, or
    when one is being filed (its job may still file it)."""
    issues = [await issue_of(session, follow_up_ref(row)) for row in (older, newer)]
    if any(issue is not None and issue.state == "waiting" for issue in issues):
        raise MergeRefused(why="being_filed")
    filed = [issue for issue in issues if issue is not None and issue.state in _FILED]
    if len(filed) == 2:
        raise MergeRefused(why="both_filed", first=filed[0].key or "", second=filed[1].key or "")
    for issue in issues:
        if issue is not None and issue not in filed:
            await session.delete(issue)  # refused by its tracker: nothing filed to keep
    await session.flush()
    return filed[0] if filed else None


def _as_older(item: ActionItem, memo: TimelineEntry) -> ActionItem:
    item.text = task_text(memo.text)
    item.created_at, item.created_by = memo.occurred_at, memo.author or item.created_by
    item.slack_channel, item.slack_ts, item.permalink = (
        memo.slack_channel,
        memo.slack_ts,
        memo.permalink,
    )
    return item


def _carry(kept: ActionItem, merged: ActionItem) -> list[str]:
    """What the kept task lacks and the merged one has: its owner, its due date."""
    carried = []
    if kept.owner is None and merged.owner is not None:
        kept.owner = merged.owner
        carried.append("owner")
    if kept.due_at is None and merged.due_at is not None:
        kept.due_at = merged.due_at
        carried.append("due")
    return carried


def ownerless_memos(rows: Sequence[FollowUp]) -> list[TimelineEntry]:
    """The ``:memo:`` follow-ups (of ``rows``, merged ones left out already): no owner."""
    return [row for row in rows if isinstance(row, TimelineEntry)]


async def give_owner(
    session: AsyncSession, memo: TimelineEntry, owner: str, *, by: str, at: datetime
) -> ActionItem | None:
    """The ``:memo:`` follow-up as a task with ``owner`` (its words, author and time kept, its
    tracker issue carried); None when it was given one already (by another form at once)."""
    ref = follow_up_ref(memo)
    item = ActionItem(
        incident_id=memo.incident_id,
        text=task_text(memo.text),
        owner=owner,
        created_by=memo.author or by,
        created_at=memo.occurred_at,
        slack_channel=memo.slack_channel,
        slack_ts=memo.slack_ts,
        permalink=memo.permalink,
    )
    session.add(item)
    await session.flush()
    record = FollowUpMerge(
        incident_id=memo.incident_id,
        merged=ref,
        kept=follow_up_ref(item),
        reason=OWNED,
        carried="owner",
        merged_by=by,
        merged_at=at,
    )
    if not await insert_once(session, record):
        await session.delete(item)
        return None
    issue = await issue_of(session, ref)
    if issue is not None:
        issue.follow_up = follow_up_ref(item)
        session.add(issue)
    return item
