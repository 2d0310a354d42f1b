"""The record: tables for incidents, their timelines and the Slack deliveries already applied.

Every timestamp is stored as UTC and read back as an aware UTC datetime, on SQLite too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import DateTime, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlmodel import Column, Field, SQLModel


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware column that always hands back UTC (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC)

    def process_result_value(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002
    ) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _utc_column(nullable: bool = True) -> Column:  # type: ignore[type-arg]
    return Column(UTCDateTime(), nullable=nullable)


class Status(StrEnum):
    """Where an incident stands."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


class TimelineKind(StrEnum):
    """What a timeline entry records."""

    DECLARED = "declared"
    DETECTION = "detection"
    KEY_EVENT = "key_event"
    INVESTIGATION = "investigation"
    MISLEADING = "misleading"
    ROOT_CAUSE = "root_cause"
    MITIGATION = "mitigation"
    FOLLOW_UP = "follow_up"
    SEVERITY = "severity"
    STATUS = "status"
    COMMANDER = "commander"
    ESCALATION = "escalation"
    UPDATE = "update"
    RESOLVED = "resolved"


class Incident(SQLModel, table=True):
    """One incident: what it is, where it is fought, and its milestone times."""

    __table_args__ = (UniqueConstraint("team_id", "number", name="uq_incident_team_number"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True)
    number: int
    title: str = Field(sa_column=Column(Text, nullable=False))
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    severity: str = "SEV3"
    status: str = Field(default=Status.INVESTIGATING.value, index=True)
    channel_id: str | None = Field(default=None, unique=True)
    channel_name: str | None = None
    header_ts: str | None = None
    declared_by: str
    commander: str | None = None
    timezone: str = "UTC"
    started_at: datetime | None = Field(default=None, sa_column=_utc_column())
    detected_at: datetime | None = Field(default=None, sa_column=_utc_column())
    declared_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column(nullable=False))
    acknowledged_at: datetime | None = Field(default=None, sa_column=_utc_column())
    mitigated_at: datetime | None = Field(default=None, sa_column=_utc_column())
    resolved_at: datetime | None = Field(default=None, sa_column=_utc_column())

    @property
    def reference(self) -> str:
        """The human reference people say out loud, e.g. ``INC-7``."""
        return f"INC-{self.number}"


class TimelineEntry(SQLModel, table=True):
    """One moment in an incident's record, possibly taken from a Slack message."""

    __tablename__ = "timeline_entry"
    __table_args__ = (
        UniqueConstraint("slack_channel", "slack_ts", "kind", name="uq_timeline_message_kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    kind: str
    text: str = Field(sa_column=Column(Text, nullable=False))
    author: str | None = None
    occurred_at: datetime = Field(sa_column=_utc_column(nullable=False))
    slack_channel: str | None = None
    slack_ts: str | None = None
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column(nullable=False))


class ProcessedEvent(SQLModel, table=True):
    """A Slack delivery already applied, so a retried one is applied once."""

    __tablename__ = "processed_event"

    event_id: str = Field(primary_key=True)
    received_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column(nullable=False))


class ChannelMessage(SQLModel, table=True):
    """A message said in an incident channel: the raw history the timeline is curated from."""

    __tablename__ = "channel_message"
    __table_args__ = (UniqueConstraint("channel", "ts", name="uq_channel_message"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    channel: str
    ts: str
    thread_ts: str | None = None
    user: str | None = None
    bot_id: str | None = None
    subtype: str | None = None
    text: str = Field(sa_column=Column(Text, nullable=False))
    occurred_at: datetime = Field(sa_column=_utc_column(nullable=False))
    edited_at: datetime | None = Field(default=None, sa_column=_utc_column())
    deleted_at: datetime | None = Field(default=None, sa_column=_utc_column())
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=_utc_column(nullable=False))

    @property
    def is_bot(self) -> bool:
        return self.bot_id is not None or self.subtype == "bot_message"


class MessageRevision(SQLModel, table=True):
    """The text a message had before an edit: edits never erase what was said."""

    __tablename__ = "message_revision"

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="channel_message.id", index=True)
    previous_text: str = Field(sa_column=Column(Text, nullable=False))
    edited_by: str | None = None
    edited_at: datetime = Field(sa_column=_utc_column(nullable=False))


class Reaction(SQLModel, table=True):
    """One person's emoji reaction on a message in an incident channel."""

    __table_args__ = (UniqueConstraint("channel", "ts", "name", "user", name="uq_reaction_person"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    channel: str
    ts: str
    name: str
    user: str
    added_at: datetime = Field(sa_column=_utc_column(nullable=False))
