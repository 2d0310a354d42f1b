"""The tables of overrides, swaps, cover requests, calendar tokens, iCal copies, leave."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from bot.store.columns import (
    utc_column,
)


class OncallOverride(SQLModel, table=True):
    """Someone taking over an on-call schedule for a while (an override, or one half of a
    swap), or one of its layers, or nobody holding it (a deliberate gap). Never deleted:
    cancelling one sets ``cancelled_at`` and ``cancelled_by``, so the rows say who changed
    the schedule, when, and who undid it."""

    __tablename__ = "oncall_override"
    # The engine's question: which overrides of this schedule are not over by then?
    __table_args__ = (Index("ix_oncall_override_window", "schedule", "end_at"),)

    id: int | None = Field(default=None, primary_key=True)
    schedule: str
    # Who is put on call; None: nobody (a deliberate gap).
    user_id: str | None = None
    start_at: datetime = Field(sa_column=utc_column(nullable=False))
    end_at: datetime = Field(sa_column=utc_column(nullable=False))
    kind: str = "override"  # override | swap
    # The layer it overrides; None: the whole schedule, above every layer.
    layer: str | None = None
    created_by: str
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    cancelled_at: datetime | None = Field(default=None, sa_column=utc_column())
    cancelled_by: str | None = None
    # The swap this override is one half of (``kind`` "swap"); None for an override.
    swap_id: int | None = Field(default=None, foreign_key="oncall_swap.id")
    # The owner who accepted it, when someone outside the schedule asked to be on call.
    accepted_by: str | None = None


class OncallSwap(SQLModel, table=True):
    """A swap one person asked another for: the asker's shift the other is asked to take and,
    in return, the other's shift the asker takes (none: a one-sided cover). Kept whatever the
    answer, with who answered and when; accepting it makes the pair of overrides."""

    __tablename__ = "oncall_swap"

    id: int | None = Field(default=None, primary_key=True)
    schedule: str
    asked_by: str
    asked_of: str
    give_start: datetime = Field(sa_column=utc_column(nullable=False))
    give_end: datetime = Field(sa_column=utc_column(nullable=False))
    take_start: datetime | None = Field(default=None, sa_column=utc_column())
    take_end: datetime | None = Field(default=None, sa_column=utc_column())
    status: str = "pending"  # pending | accepted | declined | expired | taken
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    answered_by: str | None = None
    answered_at: datetime | None = Field(default=None, sa_column=utc_column())


class OncallCoverRequest(SQLModel, table=True):
    """Someone outside a schedule (in none of its layers, not an owner) asking to be put on
    call for a while: it waits for one of the schedule's owners. Kept whatever the answer,
    with who answered and when; an owner's Accept makes the override (``override_id``)."""

    __tablename__ = "oncall_cover_request"

    id: int | None = Field(default=None, primary_key=True)
    schedule: str
    user_id: str
    start_at: datetime = Field(sa_column=utc_column(nullable=False))
    end_at: datetime = Field(sa_column=utc_column(nullable=False))
    status: str = "pending"  # pending | accepted | rejected | expired
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    answered_by: str | None = None
    answered_at: datetime | None = Field(default=None, sa_column=utc_column())
    override_id: int | None = Field(default=None, foreign_key="oncall_override.id")


class OncallCalendarToken(SQLModel, table=True):
    """A secret that opens one calendar feed (``/oncall/people/U….ics`` or
    ``/oncall/<schedule>.ics``), held by the person it was given to. Only its SHA-256 is kept:
    the database never holds a working link. Rotating one sets ``revoked_at``."""

    __tablename__ = "oncall_calendar_token"
    # The feed's question: which links of this feed still work?
    __table_args__ = (Index("ix_oncall_calendar_token_feed", "feed", "revoked_at"),)

    id: int | None = Field(default=None, primary_key=True)
    feed: str  # "people/U0ALICE" or "schedules/payments-primary"
    owner: str  # the Slack user it was given to
    token_hash: str = Field(unique=True)  # hex SHA-256 of the token
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=utc_column())


class OncallIcalCopy(SQLModel, table=True):
    """The last good copy of an iCal layer's external feed, and how its refreshes go: shared
    by every replica and kept across restarts. A refresh that fails leaves ``events`` as they
    were and says why (``error``, ``failing_since``)."""

    __tablename__ = "oncall_ical_copy"
    __table_args__ = (UniqueConstraint("schedule", "layer", name="uq_oncall_ical_copy_layer"),)

    id: int | None = Field(default=None, primary_key=True)
    schedule: str
    layer: str
    # The address the copy came from: a copy of another address (the file changed) is none.
    url: str = Field(sa_column=Column(Text, nullable=False))
    # JSON: [[start, end, summary, [attendee, ...]], ...], Unix seconds (None: no copy yet).
    events: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    event_count: int = 0
    fetched_at: datetime | None = Field(default=None, sa_column=utc_column())  # the copy's
    checked_at: datetime | None = Field(default=None, sa_column=utc_column())  # last attempt
    failing_since: datetime | None = Field(default=None, sa_column=utc_column())
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class OncallLeave(SQLModel, table=True):
    """A person's leave: whole days in their zone (``first_day`` to ``last_day``, as they
    typed them), kept as the instants they cover in UTC. Rotations skip them then. Removing
    one deletes it; a leave feed's rows (``source`` "feed") are replaced at each refresh."""

    __tablename__ = "oncall_leave"
    # The engine's question: whose leave is not over by then?
    __table_args__ = (Index("ix_oncall_leave_window", "end_at", "start_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(index=True)
    first_day: str  # 2026-12-24, in ``zone``
    last_day: str
    zone: str
    start_at: datetime = Field(sa_column=utc_column(nullable=False))
    end_at: datetime = Field(sa_column=utc_column(nullable=False))
    source: str = "slack"  # slack | web | feed | import
    created_by: str
    created_at: datetime = Field(sa_column=utc_column(nullable=False))


class OncallLeaveFeed(SQLModel, table=True):
    """A person's leave calendar (an iCal feed of their time off), fetched on a timer: its
    address, and how its refreshes go. A refresh that fails leaves the leave it gave."""

    __tablename__ = "oncall_leave_feed"

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(unique=True)
    url: str = Field(sa_column=Column(Text, nullable=False))
    zone: str
    event_count: int = 0
    fetched_at: datetime | None = Field(default=None, sa_column=utc_column())
    checked_at: datetime | None = Field(default=None, sa_column=utc_column())
    failing_since: datetime | None = Field(default=None, sa_column=utc_column())
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
