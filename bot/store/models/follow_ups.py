"""The tables of follow-ups and their tracker issues."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from bot.store.columns import (
    KeepsSlackText,
    slack_text_column,
    utc_column,
)


class ActionItem(KeepsSlackText, SQLModel, table=True):
    """A corrective or preventive task someone noted with ``/incident action`` (or the
    resolve form): its owner, when it is due, and whether it was marked done."""

    SLACK_TEXT: ClassVar[frozenset[str]] = frozenset({"text"})

    __tablename__ = "action_item"
    # Open follow-ups by owner and due date: the App Home's and the web view's lists.
    __table_args__ = (Index("ix_action_item_open", "done_at", "owner", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    text: str = Field(sa_column=slack_text_column())
    owner: str | None = None  # a Slack user id
    created_by: str
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    # When it is due (``--due``): its owner is reminded before, and again once it is past.
    due_at: datetime | None = Field(default=None, sa_column=utc_column())
    # Marked done by a person (the reminder's button); a tracker's closed issue is the other
    # way a follow-up is done (TrackerIssue.state).
    done_at: datetime | None = Field(default=None, sa_column=utc_column())
    done_by: str | None = None
    # The bot's confirmation in the channel: what the postmortem links to.
    slack_channel: str | None = None
    slack_ts: str | None = None
    permalink: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class TrackerIssue(SQLModel, table=True):
    """A follow-up filed (or waiting to be filed) as an issue in GitHub, Jira or Linear.

    ``follow_up`` names the row it files: ``action_item:<id>`` (``/incident action``) or
    ``timeline_entry:<id>`` (a ``:memo:`` message); one issue per follow-up. ``state`` is
    ``waiting`` (the filing job runs or retries), ``filed``, ``refused`` (the tracker said
    no for good; ``error`` says why) or ``closed`` (closed in the tracker: the task is done).
    """

    __tablename__ = "tracker_issue"
    __table_args__ = (
        UniqueConstraint("follow_up", name="uq_tracker_issue_follow_up"),
        Index("ix_tracker_issue_external", "tracker", "external_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    follow_up: str
    tracker: str  # github | jira | linear
    project: str  # owner/repo, project key, team
    state: str = "waiting"
    requested_by: str
    requested_at: datetime = Field(sa_column=utc_column(nullable=False))
    # What the tracker calls the issue: #12 / OPS-7 / ENG-42, its page, and its own id
    # (GitHub's number, Jira's id, Linear's uuid) that webhooks name it by.
    key: str | None = None
    url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    external_id: str | None = None
    filed_at: datetime | None = Field(default=None, sa_column=utc_column())
    closed_at: datetime | None = Field(default=None, sa_column=utc_column())
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # When an attempt first sent the issue: from then on a retry searches the tracker for it
    # before sending again (the tracker may have made it and answered too late).
    sent_at: datetime | None = Field(default=None, sa_column=utc_column())
    # When the tracker says it last closed or reopened the issue (the webhook payload's own
    # time): a change older than that is a replay or a late delivery, and is not applied.
    changed_at: datetime | None = Field(default=None, sa_column=utc_column())


class FollowUpMerge(SQLModel, table=True):
    """A follow-up that is no longer a task of its own: ``merged`` (a follow-up ref, as
    TrackerIssue.follow_up names it) went into ``kept``. ``reason`` is ``merged`` (a person
    merged two that were one task; ``carried`` lists what the kept one took from it: ``owner``,
    ``due``, ``issue``) or ``owned`` (a ``:memo:`` follow-up given an owner in the wrap-up
    form, a task of its own with that owner now). The incident's record of who and when."""

    __tablename__ = "follow_up_merge"
    __table_args__ = (UniqueConstraint("merged", name="uq_follow_up_merge_merged"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    merged: str
    kept: str
    reason: str = "merged"
    carried: str = ""
    merged_by: str
    merged_at: datetime = Field(sa_column=utc_column(nullable=False))


class FollowUpAlike(SQLModel, table=True):
    """The earlier follow-up (``alike``) the team's model found ``follow_up`` to be the same
    task as, when their words did not say so: flagged as a possible duplicate like those
    the words find (``found_by``: the model's name)."""

    __tablename__ = "follow_up_alike"
    __table_args__ = (UniqueConstraint("follow_up", name="uq_follow_up_alike_follow_up"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    follow_up: str
    alike: str
    found_by: str
    found_at: datetime = Field(sa_column=utc_column(nullable=False))
