"""The tables of incidents, their timelines, roles, fields, people, the channel's messages."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from bot.store.columns import (
    KeepsSlackText,
    slack_text_column,
    utc_column,
    utcnow,
)

# The severity scale, most severe first: policies, routes, filters and charts all use it.
SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")


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
    RECOVERED = "recovered"  # a message saying the service is back: when the impact ended
    FOLLOW_UP = "follow_up"
    SEVERITY = "severity"
    STATUS = "status"
    COMMANDER = "commander"
    ROLE = "role"
    ESCALATION = "escalation"
    ACKNOWLEDGED = "acknowledged"
    UPDATE = "update"
    ALERT = "alert"
    IMPACT = "impact"
    RESOLVED = "resolved"
    CHANNEL = "channel"  # the incident channel archived or unarchived
    TYPE = "type"  # the incident type set or changed
    FIELD = "field"  # a custom field set, changed or cleared
    WORKFLOW = "workflow"  # a workflow's action done, or failed (bot/flows/workflows/actions.py)
    # The change that set the incident off, said after the fact (the form offered on resolving).
    TRIGGER = "trigger"
    # A notification of a person's page sent, delivered, failed or answered; the page
    # acknowledged from a phone (bot/flows/paging/pages.py).
    NOTIFICATION = "notification"
    # The postmortem moved between draft, in review and published (who, when, why).
    REVIEW = "review"
    # Whom an alert of its own paged before it was declared as, or attached to, the incident
    # (bot/record/alerting/attaching.py): the first time anyone was asked to acknowledge.
    PAGED = "paged"


class Milestone(StrEnum):
    """A moment of an incident that its metrics are measured between."""

    STARTED = "started"  # impact began
    DETECTED = "detected"
    DECLARED = "declared"
    ACKNOWLEDGED = "acknowledged"
    MITIGATED = "mitigated"
    ENDED = "ended"  # impact ended: the service was back, whenever the incident was resolved
    RESOLVED = "resolved"

    @property
    def column(self) -> str:
        """The Incident attribute that holds it."""
        return f"{self.value}_at"


class Incident(KeepsSlackText, SQLModel, table=True):
    """One incident: what it is, where it is fought, and its milestone times."""

    SLACK_TEXT: ClassVar[frozenset[str]] = frozenset({"title", "description"})

    __table_args__ = (
        UniqueConstraint("team_id", "number", name="uq_incident_team_number"),
        # The list's and the insights' order (newest first) without sorting every incident.
        Index("ix_incident_declared", "team_id", "declared_at", "id"),
        # A service's incidents, newest first (its page), not the workspace's (0102).
        Index("ix_incident_service_declared", "service", "declared_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True)
    number: int
    # The title and description as Slack text (bot.basics.slack_text), like every person's words.
    title: str = Field(sa_column=slack_text_column())
    description: str = Field(default="", sa_column=slack_text_column())
    severity: str = "SEV3"
    status: str = Field(default=Status.INVESTIGATING.value, index=True)
    channel_id: str | None = Field(default=None, unique=True)
    channel_name: str | None = None
    header_ts: str | None = None
    declared_by: str
    commander: str | None = None
    timezone: str = "UTC"
    started_at: datetime | None = Field(default=None, sa_column=utc_column())
    detected_at: datetime | None = Field(default=None, sa_column=utc_column())
    declared_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    acknowledged_at: datetime | None = Field(default=None, sa_column=utc_column())
    mitigated_at: datetime | None = Field(default=None, sa_column=utc_column())
    ended_at: datetime | None = Field(default=None, sa_column=utc_column())
    resolved_at: datetime | None = Field(default=None, sa_column=utc_column())
    # The escalation policy the incident runs, once one has started.
    policy: str | None = None
    last_update_at: datetime | None = Field(default=None, sa_column=utc_column())
    # The earlier incident of the same alert group, when an alert fired again after it ended.
    previous_incident_id: int | None = Field(default=None, foreign_key="incident.id")
    # The postmortem's template style and language, when this incident overrides the settings.
    postmortem_style: str | None = None
    postmortem_language: str | None = None
    # The channel canvas holding the draft, so a regenerated draft replaces it.
    postmortem_canvas_id: str | None = None
    # Fought in a private channel: only its members see it in the web view.
    is_private: bool = False
    # Its incident type (WARROOM_INCIDENT_TYPES), by name; None: no type.
    incident_type: str | None = None
    # The postmortem's review state (bot/record/postmortem/review.py): draft, in_review or
    # published, and who moved it there, when; each move is a ``review`` timeline entry too.
    postmortem_review: str = Field(
        default="draft", sa_column=Column(String, nullable=False, server_default="draft")
    )
    postmortem_review_by: str | None = None
    postmortem_review_at: datetime | None = Field(default=None, sa_column=utc_column())
    # The service it is about (WARROOM_SERVICES): its alert's, or the one ``/incident start
    # --service`` named; None: none said (0074).
    service: str | None = Field(default=None, index=True)

    @property
    def reference(self) -> str:
        """The human reference people say out loud, e.g. ``INC-7``."""
        return f"INC-{self.number}"

    @property
    def is_open(self) -> bool:
        return self.status != Status.RESOLVED


class TimelineEntry(KeepsSlackText, SQLModel, table=True):
    """One moment in an incident's record, possibly taken from a Slack message."""

    SLACK_TEXT: ClassVar[frozenset[str]] = frozenset({"text"})

    __tablename__ = "timeline_entry"
    __table_args__ = (
        UniqueConstraint("slack_channel", "slack_ts", "kind", name="uq_timeline_message_kind"),
        # An incident's timeline in order, a page of it at a time, without sorting it all.
        Index("ix_timeline_entry_order", "incident_id", "occurred_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Looked up by incident through ix_timeline_entry_order, which starts with it.
    incident_id: int = Field(foreign_key="incident.id")
    kind: str
    # A person's words, as Slack delivered them (a note, a message, a title, a reason).
    text: str = Field(sa_column=slack_text_column())
    # What warroom itself recorded, as data: people as user ids, severities, statuses, the
    # escalation target, the alerts. Templates make it a sentence in each language and for each
    # output (templates/entries/), so no sentence or Slack markup is stored. None: the entry is
    # a person's words only, or was written before entries kept facts (its text says it all).
    facts: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )
    author: str | None = None
    occurred_at: datetime = Field(sa_column=utc_column(nullable=False))
    slack_channel: str | None = None
    slack_ts: str | None = None
    # chat.getPermalink's answer for the message, fetched once for the postmortem.
    permalink: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))


class MilestoneChange(SQLModel, table=True):
    """A milestone time a person set or corrected (``/incident time``): who, from what, to what."""

    __tablename__ = "milestone_change"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    milestone: str
    previous: datetime | None = Field(default=None, sa_column=utc_column())
    value: datetime = Field(sa_column=utc_column(nullable=False))
    changed_by: str
    changed_at: datetime = Field(sa_column=utc_column(nullable=False))
    slack_channel: str | None = None
    slack_ts: str | None = None


class IncidentFieldValue(SQLModel, table=True):
    """One custom field's value on an incident (bot/record/incident/fields.py): one row per value,
    so
    a multi-select has one row per option chosen and lists filter on ``value`` in SQL.

    ``value`` is text: a select's option, a number as written (``42``, ``3.5``), a user id,
    or a text field's words as Slack text."""

    __tablename__ = "incident_field_value"
    __table_args__ = (
        UniqueConstraint("incident_id", "field", "position", name="uq_incident_field_value"),
        Index("ix_incident_field_value_lookup", "field", "value"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    field: str
    position: int = 0
    value: str = Field(sa_column=Column(Text, nullable=False))


class IncidentFieldChange(SQLModel, table=True):
    """A custom field set, changed or cleared: who, from what, to what, when, and what caused
    it (None: a person; ``workflow:<name>``, ``alert_route:<name>``...). Values as JSON, as
    the field keeps them (null: unset)."""

    __tablename__ = "incident_field_change"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    field: str
    previous: Any = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    value: Any = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    changed_by: str
    changed_at: datetime = Field(sa_column=utc_column(nullable=False))
    cause: str | None = None


class Person(SQLModel, table=True):
    """How a Slack user is called (and their time zone), remembered so a draft names people
    without asking Slack."""

    user_id: str = Field(primary_key=True)
    name: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(sa_column=utc_column(nullable=False))
    # Slack's ``tz`` (an IANA name) when last seen: on-call nights and weekends are theirs.
    timezone: str | None = None


class ChannelLinks(SQLModel, table=True):
    """How Slack links to a channel's messages, learned from one ``chat.getPermalink`` answer
    (bot/basics/slack_links.py), so a draft's other links in that channel need no call."""

    __tablename__ = "channel_links"

    channel: str = Field(primary_key=True)
    # What each link starts with: ``https://<workspace>.slack.com``.
    base: str = Field(sa_column=Column(Text, nullable=False))
    learned_at: datetime = Field(sa_column=utc_column(nullable=False))


# Message subtypes Slack posts about the channel itself (someone joined, the topic changed, a
# message was pinned): kept in the history as what they are, never a person's words, never
# promoted to the timeline (https://docs.slack.dev/reference/events/message#subtypes).
SYSTEM_SUBTYPES = frozenset(
    {
        "channel_join",
        "channel_leave",
        "channel_topic",
        "channel_purpose",
        "channel_name",
        "channel_archive",
        "channel_unarchive",
        "channel_convert_to_private",
        "channel_posting_permissions",
        "group_join",
        "group_leave",
        "group_topic",
        "group_purpose",
        "group_name",
        "group_archive",
        "group_unarchive",
        "pinned_item",
        "unpinned_item",
        "bot_add",
        "bot_remove",
    }
)


class ChannelMessage(KeepsSlackText, SQLModel, table=True):
    """A message said in an incident channel: the raw history the timeline is curated from."""

    SLACK_TEXT: ClassVar[frozenset[str]] = frozenset({"text"})

    __tablename__ = "channel_message"
    __table_args__ = (UniqueConstraint("channel", "ts", name="uq_channel_message"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    channel: str
    ts: str
    thread_ts: str | None = None
    user: str | None = None
    bot_id: str | None = None
    # The posting app's name (``username`` or ``bot_profile.name``) when an app posted it.
    bot_name: str | None = None
    subtype: str | None = None
    text: str = Field(sa_column=slack_text_column())
    occurred_at: datetime = Field(sa_column=utc_column(nullable=False))
    edited_at: datetime | None = Field(default=None, sa_column=utc_column())
    deleted_at: datetime | None = Field(default=None, sa_column=utc_column())
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))

    @property
    def is_bot(self) -> bool:
        return self.bot_id is not None or self.subtype == "bot_message"

    @property
    def is_system(self) -> bool:
        """Slack's own note about the channel (a join, a topic), not something said."""
        return self.subtype in SYSTEM_SUBTYPES


class MessageRevision(KeepsSlackText, SQLModel, table=True):
    """The text a message had before an edit: edits never erase what was said."""

    SLACK_TEXT: ClassVar[frozenset[str]] = frozenset({"previous_text"})

    __tablename__ = "message_revision"

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="channel_message.id", index=True)
    previous_text: str = Field(sa_column=slack_text_column())
    edited_by: str | None = None
    edited_at: datetime = Field(sa_column=utc_column(nullable=False))


class Reaction(SQLModel, table=True):
    """One person's emoji reaction on a message in an incident channel, or their mark of
    the same meaning given on the draft's page (``source``)."""

    __table_args__ = (UniqueConstraint("channel", "ts", "name", "user", name="uq_reaction_person"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    channel: str
    ts: str
    name: str
    user: str
    added_at: datetime = Field(sa_column=utc_column(nullable=False))
    # Where the mark was given when not as a reaction in Slack: ``page`` (the draft's page,
    # whose person picked the message); None: a reaction in Slack.
    source: str | None = None


class IncidentRole(SQLModel, table=True):
    """Who holds a role (comms, scribe, ...) in an incident; the commander is on Incident."""

    __tablename__ = "incident_role"
    __table_args__ = (UniqueConstraint("incident_id", "role", name="uq_incident_role"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    role: str
    user_id: str
    assigned_by: str
    assigned_at: datetime = Field(sa_column=utc_column(nullable=False))
