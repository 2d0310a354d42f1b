"""The tables of what waits to be done: jobs, the outbox, commands, events, the installation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text
from sqlmodel import Column, Field, SQLModel

from bot.store.columns import (
    utc_column,
    utcnow,
)


class OutboxMessage(SQLModel, table=True):
    """A Slack write the bot means to make in a channel: kept until Slack has taken it.

    Rows of one channel are sent in the order they were written; a row that acts on another
    row's message (an edit, a pin) names it in ``ts_of`` and gets its ``ts`` once it is sent.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_pending", "sent_at", "gave_up_at", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(index=True)
    method: str  # chat.postMessage, chat.update, pins.add, conversations.setTopic, ...invite
    payload: str = Field(sa_column=Column(Text, nullable=False))  # the call's arguments, JSON
    ts_of: int | None = Field(default=None, foreign_key="outbox_message.id")
    # What to record once Slack has the message: "header:<incident id>", "escalation:<id>",
    # "timeline_entry:<id>[,<id>...]", "action_item:<id>".
    after: str | None = Field(default=None, index=True)
    incident_id: int | None = Field(default=None, foreign_key="incident.id")
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    due_at: datetime = Field(sa_column=utc_column(nullable=False))
    attempts: int = 0
    sent_at: datetime | None = Field(default=None, sa_column=utc_column())
    result_ts: str | None = None
    gave_up_at: datetime | None = Field(default=None, sa_column=utc_column())
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Refused for a reason a person must mend (scopes, a workspace's settings, the plan): out
    # of the channel's line, so the writes after it go on; back in it once the app is
    # installed again (how scopes are granted). ``last_error`` says why.
    set_aside_at: datetime | None = Field(default=None, sa_column=utc_column())


class SlackInstallation(SQLModel, table=True):
    """A workspace whose Slack app is gone (uninstalled, its bot token revoked): while a row
    is here, no replica sends its outbox or runs its jobs. Removed once Slack takes the
    token again (the app reinstalled)."""

    __tablename__ = "slack_installation"

    team_id: str = Field(primary_key=True)
    stopped_at: datetime = Field(sa_column=utc_column(nullable=False))
    reason: str


class OutboxLease(SQLModel, table=True):
    """Which replica is sending a channel's outbox now (one at a time keeps the order)."""

    __tablename__ = "outbox_lease"

    channel: str = Field(primary_key=True)
    holder: str
    until: datetime = Field(sa_column=utc_column(nullable=False))


class ReceivedCommand(SQLModel, table=True):
    """A slash command or button press, kept in its channel's line until it has been applied.

    A channel's rows are applied in id order (the order they arrived in), by one replica at a
    time: the one holding the channel's ``outbox_lease`` row named ``command:<channel>``. A
    row is removed in the transaction of the command's decision (or once it is answered);
    ``started_at`` says its work began and ``started_by`` on which replica: a row found
    started by a replica that is gone (its ``replica:<name>`` lease ran out) was cut off, and
    is not run a second time.
    """

    __tablename__ = "received_command"

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(index=True)
    # What applies it: the slash command ("/incident") or the button's action id.
    kind: str
    payload: str = Field(sa_column=Column(Text, nullable=False))  # what Slack sent, JSON
    received_at: datetime = Field(sa_column=utc_column(nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=utc_column())
    started_by: str | None = None  # the replica (``Services.replica``) applying it


class ProcessedEvent(SQLModel, table=True):
    """A Slack delivery already applied, so a retried one is applied once."""

    __tablename__ = "processed_event"

    event_id: str = Field(primary_key=True)
    received_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))


class Job(SQLModel, table=True):
    """Work due at a time (escalation timers, pages, reminders), claimed by one replica.

    Rows, not in-memory timers: they survive restarts, and a claim under a row lock
    (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) lets exactly one replica run each.
    """

    # The runner's question: which unfinished jobs are due?
    __table_args__ = (Index("ix_job_pending", "done_at", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str
    key: str = Field(unique=True)  # one job per key: scheduling twice is a no-op
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    payload: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    due_at: datetime = Field(sa_column=utc_column(nullable=False))
    # The earliest a vendor lets it run again (its Retry-After): more work asked for meanwhile
    # (``jobs.run_once_more``) never makes it due sooner.
    not_before: datetime | None = Field(default=None, sa_column=utc_column())
    attempts: int = 0  # runs so far
    failures: int = 0  # runs in a row that raised; reset by a run that does not
    locked_until: datetime | None = Field(default=None, sa_column=utc_column())
    locked_by: str | None = None
    done_at: datetime | None = Field(default=None, sa_column=utc_column())
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))


class ChangeStamp(SQLModel, table=True):
    """How many transactions changed what the web view shows: bumped by the database's own
    triggers (migration 0098) in the writing transaction, whatever path wrote, so a live
    page's refresh asks one sum to know whether anything changed since it last read, on
    every replica sharing the database. A few slots, one picked by each transaction, so
    that concurrent writers on PostgreSQL do not queue on one row's lock."""

    __tablename__ = "change_stamp"

    slot: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    version: int = Field(default=0, sa_column_kwargs={"nullable": False})
