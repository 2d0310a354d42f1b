"""What a postmortem draft is written from: the record (``Record``), read from the database
by ``load_record``, with the messages the timeline quotes and the milestones' changes.
``bot.record.postmortem.writing`` arranges it into a draft.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.slack_links import message_link
from bot.basics.slack_patterns import USER_ID
from bot.basics.slack_text import SlackText, mentioned_users, to_plain
from bot.record.alerting import alerts
from bot.record.alerting.services import ServiceCatalog
from bot.record.changes.beside import changes_during
from bot.record.escalation import escalations
from bot.record.follow_ups import follow_up_merges, follow_ups
from bot.record.incident import fields, findings, messages, roles, timeline
from bot.record.incident.incident_types import NO_TYPES, CustomField, FieldValue, IncidentTypes
from bot.record.incident.message_links import known_bases
from bot.record.incident.reactions import page_marks
from bot.record.incident.related import Related, related_to_incident
from bot.record.incident.timeline import EntryRow
from bot.record.paging import pages as paging_pages
from bot.record.postmortem import edits as postmortem_edits
from bot.record.postmortem import lessons
from bot.record.postmortem import suggestions as model_suggestions
from bot.record.postmortem.back_words import says_service_back
from bot.record.postmortem.prompts import PathEnd, ideas_ruled_out, path_ends
from bot.record.postmortem.statements import Statement, statements_of
from bot.record.status_page import publications as public
from bot.store.models import (
    ActionItem,
    ChangeEvent,
    ChannelMessage,
    Escalation,
    Incident,
    LessonsPrompt,
    MilestoneChange,
    Notification,
    PersonPage,
    PostmortemEdit,
    PublicIncident,
    PublicUpdate,
    SectionSuggestion,
    SuggestionRequest,
    TimelineKind,
    TrackerIssue,
)


@dataclass
class Record:
    """What a draft is written from, as stored."""

    incident: Incident
    entries: Sequence[EntryRow]
    escalations: Sequence[Escalation]
    roles: dict[str, str]
    actions: Sequence[ActionItem]
    milestone_changes: Sequence[MilestoneChange]
    edits: Mapping[str, PostmortemEdit] = field(default_factory=dict)
    # Tracker issues by the follow-up each files (bot/record/follow_ups/follow_ups.py).
    issues: Mapping[str, TrackerIssue] = field(default_factory=dict)
    # Follow-ups merged into another (or given an owner: a task of their own now), left out;
    # the earlier follow-up the team's model found each to be the same task as.
    merged: frozenset[str] = frozenset()
    model_alike: Mapping[str, str] = field(default_factory=dict)
    # The merges people made, by the task kept: the merged task's words, who, when.
    merges: Mapping[str, Sequence[tuple[str, str, datetime]]] = field(default_factory=dict)
    public: PublicIncident | None = None
    public_updates: Sequence[PublicUpdate] = ()
    # The incident's custom field values (WARROOM_INCIDENT_TYPES), in the file's order.
    fields: Sequence[tuple[CustomField, FieldValue]] = ()
    # The model's suggestions not accepted yet, by section key; the model each of the
    # incident's suggestions came from, by id; the latest request (WARROOM_AI_*).
    suggestions: Mapping[str, SectionSuggestion] = field(default_factory=dict)
    suggestion_models: Mapping[int, str] = field(default_factory=dict)
    asked: SuggestionRequest | None = None
    # When the incident's alerts had all resolved (None: one still fires, or none ever did).
    alerts_resolved_at: datetime | None = None
    # Messages the draft quotes that are not timeline entries, as rows of kind "message": by
    # a marked message's ts, the first reply in its thread (``replies``) and the earlier idea
    # its prompt's answer says it rules out (``ideas``); by escalation id, the first message
    # of a person it brought in (``joined``).
    replies: Mapping[str, EntryRow] = field(default_factory=dict)
    ideas: Mapping[str, EntryRow] = field(default_factory=dict)
    joined: Mapping[int, EntryRow] = field(default_factory=dict)
    # By a :x:'d message's ts, what a person said ruled the idea out at its question (in
    # Slack or on the draft's page), and the message they picked, if they did (``ended``).
    path_ends: Mapping[str, PathEnd] = field(default_factory=dict)
    ended: Mapping[str, EntryRow] = field(default_factory=dict)
    # When nobody marked recovery: the messages after the mitigation that say the service is
    # back, by ts (bot/record/postmortem/back_words.py), proposed as the impact's end.
    said_back: Mapping[str, EntryRow] = field(default_factory=dict)

    def quoted(self) -> list[EntryRow]:
        return [
            *self.replies.values(),
            *self.ideas.values(),
            *self.joined.values(),
            *self.ended.values(),
            *self.said_back.values(),
        ]

    # What people said on the draft's page where the record has nothing, by kind.
    statements: Mapping[str, Statement] = field(default_factory=dict)
    # The messages marked on the draft's page, by their ts: who marked them.
    page_marks: Mapping[str, str] = field(default_factory=dict)
    # The participants' answers to the day-after question, in the order they came.
    lessons: Sequence[LessonsPrompt] = ()
    # The earlier related incidents (public ones) with follow-ups not done yet, most related
    # first: the draft says the incident may repeat them.
    repeats: Sequence[Related] = ()
    # The pages escalations started for people, and each notification they sent; with the
    # pages of the alerts attached to it (their history's ``paged`` entries name them).
    person_pages: Sequence[PersonPage] = ()
    notifications: Sequence[Notification] = ()
    # The changes made on its services in the impact's window (change events: what their
    # senders said, never said in the channel), oldest first: context for the timeline.
    changes: Sequence[ChangeEvent] = ()

    def user_ids(self) -> set[str]:
        """Every person the draft will name, including those mentioned in message text."""
        ids = {self.incident.commander, self.incident.declared_by, *self.roles.values()}
        ids.add(self.incident.postmortem_review_by)
        ids |= {entry.author for entry in self.entries}
        ids |= {row.author for row in self.quoted()}
        # Only where there is something to look in: a long timeline is mostly people's words.
        facts = [entry.facts for entry in self.entries if entry.facts]
        ids |= {user for each in facts for user in timeline.people_in(each)}
        for escalation in self.escalations:
            ids |= {escalation.requested_by, escalation.acknowledged_by}
            ids |= {escalation.answer_said_by, escalation.said_answerer}
            if escalation.target_kind == "user":
                ids.add(escalation.target_ref)
            ids |= {named.get("user") for named in escalation.on_call or []}
        ids |= {item.owner for item in self.actions} | {item.created_by for item in self.actions}
        ids |= {item.done_by for item in self.actions}
        ids |= {item.owner for each in self.repeats for item, _ in each.open_items}
        ids |= {by for notes in self.merges.values() for _, by, _ in notes}
        ids |= {lesson.user_id for lesson in self.lessons}
        ids |= {end.by for end in self.path_ends.values()}
        ids |= {said.by for said in self.statements.values()} | set(self.page_marks.values())
        ids |= {change.changed_by for change in self.milestone_changes}
        ids |= {edit.author for edit in self.edits.values()}
        ids |= {str(value) for field, value in self.fields if field.kind == "user"}
        texts = [entry.text for entry in self.entries] + [item.text for item in self.actions]
        ids |= {match for text in texts if "<@" in text for match in mentioned_users(text)}
        return {user for user in ids if user and USER_ID.match(user)}

    def unlinked(self) -> list[EntryRow | ActionItem]:
        """Rows that came from a Slack message whose permalink is not known yet."""
        rows: list[EntryRow | ActionItem] = [*self.entries, *self.actions, *self.quoted()]
        return [row for row in rows if row.slack_ts and row.slack_channel and not row.permalink]


def known_at(record: Record, moment: datetime) -> Record:
    """The record as it stood at ``moment`` (``warroom ai eval --replay``): the entries and
    the messages it quotes that happened by then, the status page's updates published and
    the follow-ups agreed by then; nothing written after the incident (the draft's
    statements, edits and suggestions, the day-after answers, the related incidents'
    follow-ups, the changes in the impact's window) is left in."""

    def by_then(rows: Mapping[Any, EntryRow]) -> dict[Any, EntryRow]:
        return {key: row for key, row in rows.items() if row.occurred_at <= moment}

    return replace(
        record,
        entries=[entry for entry in record.entries if entry.occurred_at <= moment],
        replies=by_then(record.replies),
        ideas=by_then(record.ideas),
        joined=by_then(record.joined),
        ended=by_then(record.ended),
        said_back=by_then(record.said_back),
        path_ends={},
        public_updates=[u for u in record.public_updates if u.published_at <= moment],
        actions=[action for action in record.actions if action.created_at <= moment],
        escalations=[each for each in record.escalations if each.escalated_at <= moment],
        milestone_changes=[],
        edits={},
        statements={},
        page_marks={},
        lessons=(),
        repeats=(),
        changes=(),
        suggestions={},
        suggestion_models={},
        asked=None,
    )


async def load_record(
    session: AsyncSession,
    incident: Incident,
    types: IncidentTypes = NO_TYPES,
    *,
    entries: Sequence[EntryRow] | None = None,
    catalog: ServiceCatalog | None = None,
) -> Record:
    """What the incident's draft is written from; ``entries``: those read already (some of
    them: a page's), instead of all of the timeline; ``catalog``: the services file, for
    the changes on what its services depend on."""
    incident_id = incident.id or 0
    suggested, models = await model_suggestions.suggestions_of(session, incident_id)
    merged = await follow_up_merges.merged_refs(session, incident_id)
    # The lines a person removed on the draft's page stay in the record, out of the draft.
    removed = await findings.removed_lines(session, incident_id)
    entries = await _entries_kept(session, incident_id, entries, removed)
    escalated = await escalations.escalations_of(session, incident_id)
    ends = await path_ends(session, incident_id)
    quoting = await _quoted(session, incident, entries, escalated, ends)
    pages, sent = await _pages(session, incident_id, entries)
    return Record(
        incident=incident,
        entries=entries,
        escalations=escalated,
        person_pages=pages,
        notifications=sent,
        roles=await roles.roles_of(session, incident_id),
        actions=await _actions(session, incident_id, merged | removed),
        merged=frozenset(merged),
        model_alike=await follow_up_merges.model_alike(session, incident_id),
        merges=await follow_up_merges.merge_notes(session, incident_id),
        milestone_changes=await milestone_changes(session, incident_id),
        edits=await postmortem_edits.current_edits(session, incident_id),
        issues=await follow_ups.issues_of(session, incident_id),
        public=await public.public_record(session, incident_id),
        public_updates=await public.updates_of(session, incident_id),
        fields=await _field_values(session, incident_id, types),
        suggestions=suggested,
        suggestion_models=models,
        asked=await model_suggestions.latest_request(session, incident_id),
        alerts_resolved_at=await alerts.all_resolved_at(session, incident_id),
        **quoting,
        path_ends=ends,
        lessons=await lessons.answers_of(session, incident_id),
        statements=await statements_of(session, incident_id),
        page_marks=await page_marks(session, incident_id),
        repeats=await _repeats(session, incident),
        changes=await changes_during(session, incident, catalog),
    )


async def _pages(
    session: AsyncSession, incident_id: int, entries: Sequence[EntryRow]
) -> tuple[list[PersonPage], list[Notification]]:
    """The incident's pages and their notifications, and those of the alerts attached to it
    that its timeline says paged (bot/record/alerting/attaching.py)."""
    pages = list(await paging_pages.pages_of(session, incident_id))
    sent = list(await paging_pages.notifications_of(session, incident_id))
    alert_pages = [
        int(entry.facts["page"])
        for entry in entries
        if entry.kind == TimelineKind.PAGED and entry.facts and entry.facts.get("page")
    ]
    if alert_pages:
        pages += await paging_pages.pages_by_id(session, alert_pages)
        sent += await paging_pages.notifications_of_pages(session, alert_pages)
    return pages, sent


async def _repeats(session: AsyncSession, incident: Incident) -> list[Related]:
    """The earlier related incidents whose follow-ups are not all done, public ones only: a
    draft is read beyond the people of a private incident."""
    found = await related_to_incident(session, incident, public_only=True)
    return [each for each in found if each.open_items]


async def _quoted(
    session: AsyncSession,
    incident: Incident,
    entries: Sequence[EntryRow],
    escalated: Sequence[Escalation],
    ends: Mapping[str, PathEnd],
) -> dict[str, dict[Any, EntryRow]]:
    """The messages the draft quotes besides its entries (``Record.replies``, ``ideas``,
    ``joined``, ``ended``), linked when the channel's link form is known."""
    incident_id = incident.id or 0
    marked = {e.slack_ts for e in entries if e.kind == TimelineKind.MISLEADING and e.slack_ts}
    replies = await messages.first_replies(session, incident_id, marked)
    chosen = await ideas_ruled_out(session, incident_id)
    said = await messages.messages_by_ts(session, incident.channel_id or "", set(chosen.values()))
    ideas = {ts: said[idea] for ts, idea in chosen.items() if ts in marked and idea in said}
    picked = {ts: end.ended_ts for ts, end in ends.items() if ts in marked and end.ended_ts}
    found = await messages.messages_by_ts(session, incident.channel_id or "", set(picked.values()))
    ended = {ts: found[end] for ts, end in picked.items() if end in found}
    joined = await _first_said(session, incident_id, escalated)
    back = await _said_back(session, incident_id, entries)
    every = [*replies.values(), *ideas.values(), *joined.values(), *ended.values(), *back]
    bases = await known_bases(session, {message.channel for message in every})
    row = partial(_quoted_row, bases)
    return {
        "replies": {ts: row(message) for ts, message in replies.items()},
        "ideas": {ts: row(message) for ts, message in ideas.items()},
        "joined": {key: row(message) for key, message in joined.items()},
        "ended": {ts: row(message) for ts, message in ended.items()},
        "said_back": {message.ts: row(message) for message in back},
    }


async def _entries_kept(
    session: AsyncSession,
    incident_id: int,
    entries: Sequence[EntryRow] | None,
    removed: Collection[str],
) -> Sequence[EntryRow]:
    """The entries given (else the whole timeline), but those ``removed``."""
    if entries is None:
        entries = await timeline.entry_rows(session, incident_id)
    if removed:
        entries = [entry for entry in entries if findings.line_ref(entry) not in removed]
    return entries


async def _actions(
    session: AsyncSession, incident_id: int, left_out: Collection[str]
) -> list[ActionItem]:
    """The incident's follow-ups, oldest first, but those merged or removed (``left_out``,
    by reference)."""
    actions = await session.exec(
        select(ActionItem)
        .where(ActionItem.incident_id == incident_id)
        .order_by(col(ActionItem.created_at), col(ActionItem.id))
    )
    return [a for a in actions.all() if follow_ups.follow_up_ref(a) not in left_out]


async def _field_values(
    session: AsyncSession, incident_id: int, types: IncidentTypes
) -> list[tuple[CustomField, FieldValue]]:
    """Configured fields in the file's order, with the incident's values; a field no longer
    configured is left out."""
    values = await fields.values_of(session, incident_id, types.fields)
    return [(f, values[f.name]) for f in types.fields.values() if f.name in values]


async def _first_said(
    session: AsyncSession, incident_id: int, escalated: Sequence[Escalation]
) -> dict[int, ChannelMessage]:
    """By escalation: the first message said in the channel by someone it brought in."""
    joined: dict[int, ChannelMessage] = {}
    for escalation in escalated:
        brought = escalation.users or (
            [escalation.target_ref] if escalation.target_kind == "user" else []
        )
        first = await messages.first_said_after(
            session, incident_id, brought, escalation.escalated_at
        )
        if first is not None and escalation.id is not None:
            joined[escalation.id] = first
    return joined


def _quoted_row(bases: Mapping[str, str], message: ChannelMessage) -> EntryRow:
    """A message quoted as an entry row, linked when its channel's link form is known."""
    base = bases.get(message.channel)
    link = message_link(base, message.channel, message.ts, message.thread_ts) if base else None
    return EntryRow(
        None,
        QUOTED,
        SlackText(message.text),
        None,
        message.user,
        message.occurred_at,
        message.channel,
        message.ts,
        link,
    )


async def _said_back(
    session: AsyncSession, incident_id: int, entries: Sequence[EntryRow]
) -> list[ChannelMessage]:
    """When nobody marked recovery: the messages after the first mitigation that say the
    service is back (bot/record/postmortem/back_words.py), which the draft proposes as the
    impact's end, to confirm."""
    if any(entry.kind == TimelineKind.RECOVERED for entry in entries):
        return []
    fix = next((entry for entry in entries if entry.kind == TimelineKind.MITIGATION), None)
    if fix is None:
        return []
    since = await messages.said_since(session, incident_id, fix.occurred_at)
    return [
        message
        for message in since
        if message.ts != fix.slack_ts and says_service_back(to_plain(SlackText(message.text)))
    ]


# The kind of a quoted message's row: a person's words, in no section of its own.
QUOTED = "message"


async def milestone_changes(session: AsyncSession, incident_id: int) -> list[MilestoneChange]:
    """Who set each milestone by hand, in the order they did."""
    changes = await session.exec(
        select(MilestoneChange)
        .where(MilestoneChange.incident_id == incident_id)
        .order_by(col(MilestoneChange.id))
    )
    return list(changes.all())
