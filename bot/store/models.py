"""The record: tables for incidents, their timelines and the Slack deliveries already applied.

Every timestamp is stored as UTC and read back as an aware UTC datetime, on SQLite too.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import JSON, Index, Integer, Text, UniqueConstraint
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
    """One custom field's value on an incident (bot/record/fields.py): one row per value, so
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
    row is removed once applied; ``started_at`` says its work began, so a row found started
    by the next holder was cut off (its replica died) and is not run a second time.
    """

    __tablename__ = "received_command"

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(index=True)
    # What applies it: the slash command ("/incident") or the button's action id.
    kind: str
    payload: str = Field(sa_column=Column(Text, nullable=False))  # what Slack sent, JSON
    received_at: datetime = Field(sa_column=utc_column(nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=utc_column())


class PostmortemEdit(SQLModel, table=True):
    """A person's text for a written section of the postmortem draft (the web view's editor).

    Every save is a new row, so the history stays; the latest row of a section is the one a
    regenerated draft shows in place of that section's gap.
    """

    __tablename__ = "postmortem_edit"
    __table_args__ = (Index("ix_postmortem_edit_section", "incident_id", "section", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id")
    section: str
    body: str = Field(sa_column=Column(Text, nullable=False))
    author: str  # a Slack user id, or "api" for a token holder
    edited_at: datetime = Field(sa_column=utc_column(nullable=False))
    # The model's suggestion this text accepts (as it was, or as the person edited it).
    suggestion_id: int | None = Field(default=None, foreign_key="section_suggestion.id")


class SuggestionRequest(SQLModel, table=True):
    """One time the team's model was asked for the draft's written sections (WARROOM_AI_*),
    and how it went: ``outcome`` is ``answered``, ``failed`` (``failure`` says why, as data a
    draft says in its language) or ``private`` (not sent: a private incident)."""

    __tablename__ = "suggestion_request"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    # The job's own key for the request: a job run again finds its request made.
    key: str = Field(unique=True)
    model: str
    asked_by: str | None = None
    asked_at: datetime = Field(sa_column=utc_column(nullable=False))
    outcome: str
    failure: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )


class SectionSuggestion(SQLModel, table=True):
    """What the model suggested for one written section, checked against the record: the
    sentences kept (``[{"text", "cites"}]``) and those left out (``[{"text", "cites",
    "why"}]``); a person's acceptance makes it the section's text (a ``PostmortemEdit``)."""

    __tablename__ = "section_suggestion"
    __table_args__ = (Index("ix_section_suggestion_section", "incident_id", "section", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="suggestion_request.id")
    incident_id: int = Field(foreign_key="incident.id")
    section: str
    sentences: list[dict[str, Any]] = Field(sa_column=Column(JSON(), nullable=False))
    unsupported: list[dict[str, Any]] = Field(sa_column=Column(JSON(), nullable=False))
    made_at: datetime = Field(sa_column=utc_column(nullable=False))
    accepted_by: str | None = None
    accepted_at: datetime | None = Field(default=None, sa_column=utc_column())


class LessonsPrompt(KeepsSlackText, SQLModel, table=True):
    """The day-after question to one participant of a resolved incident ("One thing that
    went well, one that did not?"), asked once, and their answer or their skip."""

    SLACK_TEXT: ClassVar[frozenset[str]] = frozenset({"went_well", "went_wrong"})

    __tablename__ = "lessons_prompt"
    __table_args__ = (UniqueConstraint("incident_id", "user_id", name="uq_lessons_prompt_person"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    user_id: str
    asked_at: datetime = Field(sa_column=utc_column(nullable=False))
    answered_at: datetime | None = Field(default=None, sa_column=utc_column())
    skipped_at: datetime | None = Field(default=None, sa_column=utc_column())
    # Their words, encoded once where they entered (a modal's inputs arrive plain).
    went_well: str | None = Field(default=None, sa_column=slack_text_column(nullable=True))
    went_wrong: str | None = Field(default=None, sa_column=slack_text_column(nullable=True))


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


class ProcessedEvent(SQLModel, table=True):
    """A Slack delivery already applied, so a retried one is applied once."""

    __tablename__ = "processed_event"

    event_id: str = Field(primary_key=True)
    received_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))


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
    """One person's emoji reaction on a message in an incident channel."""

    __table_args__ = (UniqueConstraint("channel", "ts", "name", "user", name="uq_reaction_person"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    channel: str
    ts: str
    name: str
    user: str
    added_at: datetime = Field(sa_column=utc_column(nullable=False))


class DraftPrompt(SQLModel, table=True):
    """A question asked in a marked message's thread for the postmortem draft, and its
    answer: at a :x: (``kind`` ``ruled_out``: what ruled the idea out; the answer
    ``rules_out`` says the marked message is what ruled out an earlier one, ``idea_ts``), at
    a :white_check_mark: (``worked``: did it work, when did impact end). ``skipped``: the
    person chose not to answer. One per message and kind."""

    __tablename__ = "draft_prompt"
    __table_args__ = (UniqueConstraint("channel", "ts", "kind", name="uq_draft_prompt"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    kind: str
    channel: str
    ts: str
    # The question's own message, once Slack has it (its buttons say which question).
    prompt_ts: str | None = None
    asked_at: datetime = Field(sa_column=utc_column(nullable=False))
    answer: str | None = None
    idea_ts: str | None = None
    answered_by: str | None = None
    answered_at: datetime | None = Field(default=None, sa_column=utc_column())


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


class Escalation(KeepsSlackText, SQLModel, table=True):
    """One act of bringing people in: to a person, a user group, whoever an on-call schedule
    names, or a level of a policy."""

    SLACK_TEXT: ClassVar[frozenset[str]] = frozenset({"reason"})

    __table_args__ = (
        # A policy level is escalated to once per incident and round (a policy that repeats
        # runs its levels again), however many replicas race on it.
        UniqueConstraint(
            "incident_id", "policy", "policy_round", "level", name="uq_escalation_policy_level"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    target_kind: str  # user | usergroup | schedule | policy
    target_ref: str  # U..., S..., or the schedule's or the policy's name
    # A person's or a user group's label as people typed it; a policy's name (templates add
    # the level; rows from before 0010 keep "<policy> level <n>").
    target: str = Field(sa_column=Column(Text, nullable=False))
    policy: str | None = None
    level: int | None = None
    # Which time the policy runs its levels: 1, then 2 and on when it says ``repeat``.
    policy_round: int = Field(default=1, sa_column=Column(Integer, nullable=False, default=1))
    # A person's own words (``/incident escalate @x <reason>``); never a sentence of warroom's.
    reason: str = Field(default="", sa_column=slack_text_column())
    # Why a policy escalated by itself, as data templates say in the incident's language:
    # {"because": "severity", "severity", "policy"}, {"because": "route", "route", "policy"}
    # or {"because": "timeout", "level", "after_seconds"}. None: a person escalated, or the
    # row is from before 0010 (its reason says it all).
    why: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )
    requested_by: str | None = None  # None: the policy's timer escalated
    escalated_at: datetime = Field(sa_column=utc_column(nullable=False))
    # Space-separated Slack user ids brought into the channel.
    notified_users: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # Each on-call schedule the escalation reached and whom it named at that instant:
    # [{"schedule": "payments-primary", "user": "U..." or None (nobody was on call)}]. None:
    # no schedule was among its targets (and rows from before 0019).
    on_call: list[dict[str, Any]] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )
    # What inviting them did, as JSON {"present": [ids], "refused": [[id, Slack's error]]};
    # None until the escalation's people were invited.
    invitation: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    message_ts: str | None = None
    acknowledged_at: datetime | None = Field(default=None, sa_column=utc_column())
    acknowledged_by: str | None = None

    @property
    def users(self) -> list[str]:
        return self.notified_users.split()

    def record_invitation(self, present: Sequence[str], refused: Sequence[tuple[str, str]]) -> None:
        """Keep what inviting did, the first time only: a second invitation (the message
        posted again) finds everyone there and must not say so."""
        if self.invitation is None:
            self.invitation = json.dumps(
                {"present": list(present), "refused": [list(pair) for pair in refused]}
            )

    @property
    def found_present(self) -> list[str]:
        """Those it reached who were in the channel already."""
        return [str(user) for user in self._invitation().get("present", [])]

    @property
    def refused_invites(self) -> list[tuple[str, str]]:
        """Those Slack would not bring in, with its reason."""
        return [(str(user), str(error)) for user, error in self._invitation().get("refused", [])]

    @property
    def brought_in(self) -> list[str]:
        """The people this escalation really invited."""
        if self.invitation is None:
            return []
        left_out = set(self.found_present) | {user for user, _ in self.refused_invites}
        return [user for user in self.users if user not in left_out]

    def _invitation(self) -> dict[str, Any]:
        return json.loads(self.invitation) if self.invitation else {}


class Page(SQLModel, table=True):
    """A PagerDuty alert warroom opened for an escalation, and where it stands."""

    __table_args__ = (
        UniqueConstraint("routing_key_env", "dedup_key", name="uq_page_routing_dedup"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    escalation_id: int = Field(foreign_key="escalation.id", index=True)
    service: str
    routing_key_env: str
    dedup_key: str
    # pending -> triggered -> acknowledged -> resolved, or failed
    state: str = "pending"
    updated_at: datetime = Field(sa_column=utc_column(nullable=False))


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


class AlertPayload(SQLModel, table=True):
    """A webhook body from a monitoring system, stored raw before it is processed.

    Processing reads it back from here, so a failure can be replayed and nothing is lost.
    """

    __tablename__ = "alert_payload"

    id: int | None = Field(default=None, primary_key=True)
    source: str  # alertmanager | grafana | generic
    body: str = Field(sa_column=Column(Text, nullable=False))
    group_key: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = Field(sa_column=utc_column(nullable=False))
    # received -> processed, or failed (with the error) until replayed
    state: str = Field(default="received", index=True)
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    attempts: int = 0
    processed_at: datetime | None = Field(default=None, sa_column=utc_column())
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    # Why the payload's times look wrong (in the future, far past), if they do.
    flags: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class AlertGroup(SQLModel, table=True):
    """Alerts a source groups together (Alertmanager's ``groupKey``, a generic dedup key).

    One incident per group at a time: the row is locked while a notification is applied.
    """

    __tablename__ = "alert_group"
    __table_args__ = (UniqueConstraint("source", "key_hash", name="uq_alert_group_key"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str
    # SHA-256 of the group key: group keys are long, and unique indexes want short values.
    key_hash: str
    group_key: str = Field(sa_column=Column(Text, nullable=False))
    route: str = ""
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    first_seen_at: datetime = Field(sa_column=utc_column(nullable=False))
    last_seen_at: datetime = Field(sa_column=utc_column(nullable=False))


class Alert(SQLModel, table=True):
    """One firing of one alert (fingerprint and start time), as its group's notifications said."""

    __table_args__ = (
        UniqueConstraint("group_id", "fingerprint", "starts_at", name="uq_alert_firing"),
    )

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="alert_group.id", index=True)
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    fingerprint: str
    name: str = Field(sa_column=Column(Text, nullable=False))
    status: str  # firing | resolved; never back to firing (a new firing has a new start)
    starts_at: datetime = Field(sa_column=utc_column(nullable=False))
    ends_at: datetime | None = Field(default=None, sa_column=utc_column())
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    labels: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    annotations: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    links: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    first_payload_id: int = Field(foreign_key="alert_payload.id")
    last_payload_id: int = Field(foreign_key="alert_payload.id")
    # The status last shown in the incident channel, so each change is posted once.
    posted_status: str | None = None


class PublicIncident(SQLModel, table=True):
    """An incident shown on the status pages (``/incident public``), with what it affects.

    Only what is here and in its ``PublicUpdate`` rows is ever shown in public: never the
    incident's title, timeline, people or channel.
    """

    __tablename__ = "public_incident"

    incident_id: int = Field(foreign_key="incident.id", primary_key=True)
    # The affected components as people named them, in order (a JSON list of strings).
    components: list[str] = Field(
        default_factory=list, sa_column=Column(JSON(), nullable=False, default=list)
    )
    # The language its status announcements are written in first (the incident's, then).
    language: str = "en"
    made_public_by: str
    made_public_at: datetime = Field(sa_column=utc_column(nullable=False))
    # `/incident public off`: shown nowhere from then on (Statuspage keeps what it was sent).
    withdrawn_at: datetime | None = Field(default=None, sa_column=utc_column())
    # The incident's id on Atlassian Statuspage once it was created there.
    statuspage_id: str | None = None
    # The name customers read, by language ({"fr": "...", "en": "..."}, in the order given):
    # `/incident public --title`; none: a name warroom makes from the components.
    titles: dict[str, str] = Field(
        default_factory=dict,
        sa_column=Column(JSON(), nullable=False, default=dict, server_default="{}"),
    )
    # The name Statuspage was last sent (a changed title is sent once, by the sync job).
    statuspage_name: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class PublicUpdate(SQLModel, table=True):
    """One update published on the status pages: a person's text in one or more languages,
    or (``texts`` empty) an announcement of the new status that templates word in each
    language."""

    __tablename__ = "public_update"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="public_incident.incident_id", index=True)
    status: str  # investigating | identified | monitoring | resolved
    # {"fr": "...", "en": "..."}, in the order they were given; {} for a status announcement.
    texts: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSON(), nullable=False, default=dict)
    )
    published_by: str | None = None  # None: warroom announced a status change
    published_at: datetime = Field(sa_column=utc_column(nullable=False))
    # Bumped by each change of its text (a translation, a person's words replacing an
    # announcement), so Statuspage is sent the change.
    revision: int = 1
    edited_at: datetime | None = Field(default=None, sa_column=utc_column())
    # Statuspage: the incident update's id, the revision it shows, and when it got it; or
    # why Statuspage refused it for good.
    statuspage_update_id: str | None = None
    statuspage_revision: int = 0
    statuspage_at: datetime | None = Field(default=None, sa_column=utc_column())
    statuspage_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


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


class Heartbeat(SQLModel, table=True):
    """A heartbeat of the heartbeats file (``WARROOM_HEARTBEATS``) and where it stands."""

    name: str = Field(primary_key=True)
    # The first start that knew it: one never seen is missed counting from then.
    watched_since: datetime = Field(sa_column=utc_column(nullable=False))
    last_beat_at: datetime | None = Field(default=None, sa_column=utc_column())
    beats: int = 0
    # The start of the miss whose alert is firing (the deadline it passed); None: none open.
    missed_since: datetime | None = Field(default=None, sa_column=utc_column())
    misses: int = 0


class MaintenanceWindow(SQLModel, table=True):
    """A time during which alerts whose labels all match are recorded and open nothing."""

    __tablename__ = "maintenance_window"

    id: int | None = Field(default=None, primary_key=True)
    # {"label": "value", ...}: an alert matches when it has every one of them.
    matchers: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    starts_at: datetime = Field(sa_column=utc_column(nullable=False))
    ends_at: datetime = Field(sa_column=utc_column(nullable=False))
    # Who made it: a Slack user id (from Slack or the web view), or "cli" (the command line).
    created_by: str
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    cancelled_at: datetime | None = Field(default=None, sa_column=utc_column())
    cancelled_by: str | None = None
    # What customers read of it on the status page; None: an internal window, never shown.
    public_description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class SilencedAlert(SQLModel, table=True):
    """An alert a maintenance window kept from opening an incident, as it arrived."""

    __tablename__ = "silenced_alert"
    __table_args__ = (
        # A payload applied again (a replay) silences its alerts once.
        UniqueConstraint("window_id", "payload_id", "fingerprint", name="uq_silenced_alert"),
    )

    id: int | None = Field(default=None, primary_key=True)
    window_id: int = Field(foreign_key="maintenance_window.id", index=True)
    payload_id: int = Field(foreign_key="alert_payload.id")
    fingerprint: str
    name: str = Field(sa_column=Column(Text, nullable=False))
    labels: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    starts_at: datetime = Field(sa_column=utc_column(nullable=False))
    silenced_at: datetime = Field(sa_column=utc_column(nullable=False))


class PersonPage(SQLModel, table=True):
    """A page to one person an escalation reached: their notification rules fire, each a
    ``Notification``, until anyone acknowledges the escalation (or the incident resolves)."""

    __tablename__ = "person_page"
    __table_args__ = (
        # One page per person and escalation, however many replicas decide it.
        UniqueConstraint("escalation_id", "user_id", name="uq_person_page_escalation_user"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    escalation_id: int = Field(foreign_key="escalation.id", index=True)
    user_id: str = Field(index=True)
    started_at: datetime = Field(sa_column=utc_column(nullable=False))
    state: str = "open"  # open | acknowledged | ended (the incident resolved)
    acknowledged_at: datetime | None = Field(default=None, sa_column=utc_column())
    acknowledged_by: str | None = None
    # How it was acknowledged: slack (the button, /incident ack), sms, voice, ntfy, email.
    acknowledged_via: str | None = None


class Notification(SQLModel, table=True):
    """One notification a page's rule sends through one of the person's methods, due at the
    page's start plus the rule's offset; its job is written in the transaction that decided
    the page. The number or address stays in the contacts, never here."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("page_id", "rule", "contact", name="uq_notification_page_rule_contact"),
    )

    id: int | None = Field(default=None, primary_key=True)
    page_id: int = Field(foreign_key="person_page.id", index=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    user_id: str
    rule: int  # the rule's position among the person's rules, from 1
    contact: str  # the contact's name, or "slack"
    method: str  # slack | ntfy | sms | voice | email
    due_at: datetime = Field(sa_column=utc_column(nullable=False))
    # pending -> sending -> sent -> delivered | answered, or failed, or cancelled (acknowledged
    # first); resending: taken again after a sender stopped mid-send (bot/record/paging/pages.py)
    state: str = "pending"
    # The service's own id for it (Twilio's SID, ntfy's message id): status callbacks find it.
    vendor_id: str | None = Field(default=None, index=True)
    sent_at: datetime | None = Field(default=None, sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column(nullable=False))
    # Why it failed, in words without the number or address.
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class ContactMethod(SQLModel, table=True):
    """A contact method a person added from Slack (``/oncall contact add``): used for paging
    only once verified with the code sent to it. Above the contacts file's entry of the same
    name."""

    __tablename__ = "contact_method"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_contact_method_user_name"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(index=True)
    name: str
    kind: str  # ntfy | sms | voice | email
    address: str
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    verified_at: datetime | None = Field(default=None, sa_column=utc_column())
    # SHA-256 of the verification code sent; None once verified.
    code_hash: str | None = None
    code_sent_at: datetime | None = Field(default=None, sa_column=utc_column())
    # Wrong codes typed since the last one was sent: at 5 the code is void.
    code_tries: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    tested_at: datetime | None = Field(default=None, sa_column=utc_column())


class ContactCode(SQLModel, table=True):
    """A verification code sent for ``/oncall contact add``: counted against the limits per
    person and per destination (kept here, so every replica counts alike). ``destination`` is
    a digest of the method and its address, never the address."""

    __tablename__ = "contact_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(index=True)
    destination: str = Field(index=True)
    sent_at: datetime = Field(sa_column=utc_column(nullable=False))


class NotificationRules(SQLModel, table=True):
    """A person's own notification rules, set from Slack (``/oncall rules``): above the
    contacts file's. [{"after_seconds": 0, "notify": ["slack", "push"]}, ...]"""

    __tablename__ = "notification_rules"

    user_id: str = Field(primary_key=True)
    rules: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(sa_column=utc_column(nullable=False))


class PageTest(SQLModel, table=True):
    """A test page a person sent themselves (``/oncall test-page``): outside any incident,
    what went out through each method and what failed, in words without the number or
    address. [{"contact": "sms", "method": "sms", "failure": null}, ...]"""

    __tablename__ = "page_test"

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(index=True)
    tested_at: datetime = Field(sa_column=utc_column(nullable=False))
    results: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))


class AckToken(SQLModel, table=True):
    """An acknowledgement link's secret, bound to one page (one person, one escalation): only
    its SHA-256 is kept, so the database never holds a working link. Used once."""

    __tablename__ = "ack_token"

    token_hash: str = Field(primary_key=True)
    page_id: int = Field(foreign_key="person_page.id", index=True)
    incident_id: int = Field(foreign_key="incident.id")
    method: str  # the notification's method that carried the link: ntfy | email
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=utc_column())
