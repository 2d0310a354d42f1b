"""The record: tables for incidents, their timelines and the Slack deliveries already applied.

Every timestamp is stored as UTC and read back as an aware UTC datetime, on SQLite too.

A module per domain; every name is imported here, so ``from bot.store.models import X``
works for every table and Alembic's env.py, importing this package, sees them all.

- ``incident``: incidents, their timelines, roles, fields, people, the channel's messages.
- ``delivery``: what waits to be done: jobs, the outbox, commands, events, the installation;
  the change stamp the web view's live refresh reads.
- ``follow_ups``: follow-ups and their tracker issues.
- ``postmortem``: the draft's edits, prompts, the model's suggestions, lessons.
- ``causes``: the possible causes the model proposes, people's marks, every proposal's grade.
- ``escalation``: escalations and the PagerDuty pages they send.
- ``paging``: pages to people, their notifications, contact methods and rules.
- ``oncall``: overrides, swaps, cover requests, calendar tokens, iCal copies, leave.
- ``alerting``: alert payloads, groups, alerts, heartbeats, maintenance windows,
  integrations, calls to services' numbers (live call routing), alerts' episodes.
- ``status_page``: public incidents and their updates; status page subscribers.
- ``changes``: change events kept per service (deploys, flags, configuration, ...).
- ``agents``: the tokens agents read the record and propose findings with, their use, and
  the timeline notes they propose.
- ``audit``: the admin record: tokens, integrations and contact methods changed, by whom,
  when and why; values shown once (a new token, a new key), sealed until read.

May import: ``bot.store`` (its column types) and ``bot.basics``; a module here imports the
others' names it uses, ``incident`` importing none.
"""

from __future__ import annotations

from sqlmodel import SQLModel

from bot.store.models.agents import AgentCall, AgentToken, AgentTokenUse, ProposedNote
from bot.store.models.alerting import (
    EPISODE_FIELDS,
    Alert,
    AlertEpisode,
    AlertEscalation,
    AlertGroup,
    AlertNote,
    AlertPayload,
    EpisodeFacts,
    Heartbeat,
    Integration,
    MaintenanceWindow,
    RoutedCall,
    ShadowReport,
    SilencedAlert,
)
from bot.store.models.audit import AdminChange, ShownOnce
from bot.store.models.causes import CauseGrade, CauseRequest, CauseVote, PossibleCause
from bot.store.models.changes import ChangeEvent
from bot.store.models.delivery import (
    ChangeStamp,
    Job,
    OutboxLease,
    OutboxMessage,
    ProcessedEvent,
    ReceivedCommand,
    SlackInstallation,
)
from bot.store.models.escalation import Escalation, Page
from bot.store.models.follow_ups import ActionItem, FollowUpAlike, FollowUpMerge, TrackerIssue
from bot.store.models.incident import (
    SEVERITIES,
    SYSTEM_SUBTYPES,
    ChannelLinks,
    ChannelMessage,
    Incident,
    IncidentFieldChange,
    IncidentFieldValue,
    IncidentRole,
    MessageRevision,
    Milestone,
    MilestoneChange,
    Person,
    Reaction,
    Status,
    TimelineEntry,
    TimelineKind,
)
from bot.store.models.oncall import (
    OncallCalendarToken,
    OncallCoverRequest,
    OncallIcalCopy,
    OncallLeave,
    OncallLeaveFeed,
    OncallOverride,
    OncallSwap,
)
from bot.store.models.paging import (
    AckToken,
    ContactCode,
    ContactMethod,
    DrillCheck,
    DrillChoice,
    Notification,
    NotificationRules,
    PageTest,
    PersonPage,
)
from bot.store.models.postmortem import (
    DraftPrompt,
    DraftStatement,
    LessonsPrompt,
    LineChange,
    PostmortemEdit,
    SectionSuggestion,
    SuggestionRequest,
)
from bot.store.models.status_page import (
    PublicIncident,
    PublicUpdate,
    StatusDelivery,
    StatusSignUp,
    StatusSubscription,
)

__all__ = [
    "EPISODE_FIELDS",
    "SEVERITIES",
    "SYSTEM_SUBTYPES",
    "AckToken",
    "ActionItem",
    "AdminChange",
    "AgentCall",
    "AgentToken",
    "AgentTokenUse",
    "Alert",
    "AlertEpisode",
    "AlertEscalation",
    "AlertGroup",
    "AlertNote",
    "AlertPayload",
    "CauseGrade",
    "CauseRequest",
    "CauseVote",
    "ChangeEvent",
    "ChangeStamp",
    "ChannelLinks",
    "ChannelMessage",
    "ContactCode",
    "ContactMethod",
    "DraftPrompt",
    "DraftStatement",
    "DrillCheck",
    "DrillChoice",
    "EpisodeFacts",
    "Escalation",
    "FollowUpAlike",
    "FollowUpMerge",
    "Heartbeat",
    "Incident",
    "IncidentFieldChange",
    "IncidentFieldValue",
    "IncidentRole",
    "Integration",
    "Job",
    "LessonsPrompt",
    "LineChange",
    "MaintenanceWindow",
    "MessageRevision",
    "Milestone",
    "MilestoneChange",
    "Notification",
    "NotificationRules",
    "OncallCalendarToken",
    "OncallCoverRequest",
    "OncallIcalCopy",
    "OncallLeave",
    "OncallLeaveFeed",
    "OncallOverride",
    "OncallSwap",
    "OutboxLease",
    "OutboxMessage",
    "Page",
    "PageTest",
    "Person",
    "PersonPage",
    "PossibleCause",
    "PostmortemEdit",
    "ProcessedEvent",
    "ProposedNote",
    "PublicIncident",
    "PublicUpdate",
    "Reaction",
    "ReceivedCommand",
    "RoutedCall",
    "SQLModel",
    "SectionSuggestion",
    "ShadowReport",
    "ShownOnce",
    "SilencedAlert",
    "SlackInstallation",
    "Status",
    "StatusDelivery",
    "StatusSignUp",
    "StatusSubscription",
    "SuggestionRequest",
    "TimelineEntry",
    "TimelineKind",
    "TrackerIssue",
]
