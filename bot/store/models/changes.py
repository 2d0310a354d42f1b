"""The table of change events: what changed on a service (deploys, flags, configuration,
infrastructure, databases), from where, kept once each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from bot.store.columns import utc_column


class ChangeEvent(SQLModel, table=True):
    """A change made to a service: its kind, who made it, when (UTC), what (a summary) and a
    link, where it came from (``source``: pagerduty, github, api; ``origin``: the system the
    sender names, a repository) and the body it came in, kept as it arrived. ``key_hash`` (the
    SHA-256 of service, source and the event's own key) makes a resent event one row. A
    message of a change channel keeps its ``slack_channel`` and ``slack_ts`` (its permalink);
    one that could not be read is kept as its raw text for no ``service`` (0081)."""

    __tablename__ = "change_event"
    __table_args__ = (
        UniqueConstraint("key_hash", name="uq_change_event_key"),
        # "Changes on services S in the last N hours, newest first": one range per service.
        Index("ix_change_event_service_at", "service", "at"),
        # The same across every service (`warroom changes list`, /changes).
        Index("ix_change_event_at", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    service: str | None = None
    kind: str
    who: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    at: datetime = Field(sa_column=utc_column(nullable=False))
    summary: str = Field(sa_column=Column(Text, nullable=False))
    link: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    source: str
    origin: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    body: str = Field(sa_column=Column(Text, nullable=False))
    key_hash: str
    integration_id: int | None = Field(default=None, foreign_key="integration.id")
    received_at: datetime = Field(sa_column=utc_column(nullable=False))
    slack_channel: str | None = None
    slack_ts: str | None = None
