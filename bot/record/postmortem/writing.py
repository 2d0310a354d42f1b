"""Writing a postmortem draft from the record: what it is written from (``Record``, read by
``load_record``), ``build_draft``, which arranges it into a ``Draft``, and ``render_draft``,
which renders that in a language and style.

``read_draft`` is the whole of it from the database, with the names the record knows: what
the web view shows. bot.flows.postmortem_posting first asks Slack for the names and links
the record lacks, and posts the draft.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from pathlib import Path
from typing import Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.render import Renderer, postmortem_template, readable
from bot.basics.slack_patterns import USER_ID
from bot.basics.slack_text import SlackText, mentioned_users
from bot.record import fields, follow_ups, roles, timeline
from bot.record.escalation import escalations
from bot.record.incident_types import NO_TYPES, CustomField, FieldValue, IncidentTypes
from bot.record.milestones import METRICS
from bot.record.paging import pages as paging_pages
from bot.record.people import known_names
from bot.record.postmortem import edits as postmortem_edits
from bot.record.postmortem.draft import (
    Action,
    Draft,
    EscalationLine,
    Line,
    Metric,
    MilestoneTime,
    MisleadingPath,
    Publication,
    Reached,
    Written,
)
from bot.record.postmortem.language import Language
from bot.record.status_page import publications as public
from bot.record.timeline import EntryRow
from bot.store.db import session_scope
from bot.store.models import (
    ActionItem,
    Escalation,
    Incident,
    Milestone,
    MilestoneChange,
    Notification,
    PersonPage,
    PostmortemEdit,
    PublicIncident,
    PublicUpdate,
    TimelineEntry,
    TimelineKind,
    TrackerIssue,
)

# Entries that are a line of investigation: a misleading path lasts until the next of these.
_PATHS = {TimelineKind.INVESTIGATION, TimelineKind.MISLEADING, TimelineKind.ROOT_CAUSE}
# A user id to the person's name (None stays None).
Namer = Callable[[str | None], str | None]


@dataclass(frozen=True)
class WrittenDraft:
    """A rendered draft and the facts its summary message needs."""

    draft: Draft
    markdown: str

    @property
    def gaps(self) -> int:
        return self.markdown.count(self.draft.language.gap_mark)


class NoSuchTemplate(LookupError):
    """The postmortem style or language asked for has no template."""


def template_directory(renderer: Renderer, language: str, style: str) -> Path:
    """The language's template directory; NoSuchTemplate if it lacks the style."""
    directory = renderer.find_dir(f"postmortem/{language}")
    if directory is None or not renderer.exists(postmortem_template(language, style)):
        choices = renderer.postmortem_choices()
        raise NoSuchTemplate(
            f"There is no postmortem style {style!r} in language {language!r}. There are "
            + "; ".join(f"{code}: {', '.join(styles)}" for code, styles in choices.items())
            + "."
        )
    return directory


def render_draft(
    renderer: Renderer,
    record: Record,
    names: Mapping[str, str],
    *,
    language: Language,
    style: str,
    now: datetime,
) -> tuple[Draft, str]:
    """The draft of a record as Markdown, in a language and style."""
    draft = build_draft(record, names, renderer=renderer, language=language, style=style, now=now)
    text = renderer.render(postmortem_template(language.code, style), draft=draft)
    return draft, text + "\n"


def chosen_template(incident: Incident, *, language: str, style: str) -> tuple[str, str]:
    """(language, style) of the incident's draft: its own choice, else those given."""
    return (
        incident.postmortem_language or language,
        incident.postmortem_style or style,
    )


async def read_record(
    engine: AsyncEngine, incident_id: int, types: IncidentTypes = NO_TYPES
) -> tuple[Incident, Record, dict[str, str]]:
    """The incident, what its draft is written from, and the names the record knows."""
    async with session_scope(engine) as session:
        incident = await session.get(Incident, incident_id)
        if incident is None:
            raise LookupError(f"no incident with id {incident_id}")
        record = await load_record(session, incident, types)
        names = await known_names(session, record.user_ids())
    return incident, record, names


async def write_in_thread(
    renderer: Renderer,
    record: Record,
    names: Mapping[str, str],
    *,
    language: str,
    style: str,
    now: datetime,
) -> WrittenDraft:
    """The record's draft in ``language`` and ``style``; NoSuchTemplate if there is none."""
    directory = template_directory(renderer, language, style)
    # A long record takes seconds to render: off the event loop, which must keep answering Slack.
    draft, text = await asyncio.to_thread(
        lambda: render_draft(
            renderer,
            record,
            names,
            language=Language.load(directory),
            style=style,
            now=now,
        )
    )
    return WrittenDraft(draft, text)


async def read_draft(
    engine: AsyncEngine,
    renderer: Renderer,
    incident_id: int,
    *,
    language: str,
    style: str,
    now: datetime,
    types: IncidentTypes = NO_TYPES,
) -> WrittenDraft:
    """The incident's draft from the record as it stands, people by the names the record
    knows (Slack is not asked): in the incident's own language and style, else those given.
    ``types``: the configured custom fields, which the draft's header table shows."""
    incident, record, names = await read_record(engine, incident_id, types)
    language, style = chosen_template(incident, language=language, style=style)
    return await write_in_thread(renderer, record, names, language=language, style=style, now=now)


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
    # Tracker issues by the follow-up each files (bot/record/follow_ups.py).
    issues: Mapping[str, TrackerIssue] = field(default_factory=dict)
    public: PublicIncident | None = None
    public_updates: Sequence[PublicUpdate] = ()
    # The incident's custom field values (WARROOM_INCIDENT_TYPES), in the file's order.
    fields: Sequence[tuple[CustomField, FieldValue]] = ()
    # The pages escalations started for people, and each notification they sent.
    person_pages: Sequence[PersonPage] = ()
    notifications: Sequence[Notification] = ()

    def user_ids(self) -> set[str]:
        """Every person the draft will name, including those mentioned in message text."""
        ids = {self.incident.commander, self.incident.declared_by, *self.roles.values()}
        ids |= {entry.author for entry in self.entries}
        # Only where there is something to look in: a long timeline is mostly people's words.
        facts = [entry.facts for entry in self.entries if entry.facts]
        ids |= {user for each in facts for user in timeline.people_in(each)}
        for escalation in self.escalations:
            ids |= {escalation.requested_by, escalation.acknowledged_by}
            if escalation.target_kind == "user":
                ids.add(escalation.target_ref)
            ids |= {named.get("user") for named in escalation.on_call or []}
        ids |= {item.owner for item in self.actions} | {item.created_by for item in self.actions}
        ids |= {change.changed_by for change in self.milestone_changes}
        ids |= {edit.author for edit in self.edits.values()}
        ids |= {str(value) for field, value in self.fields if field.kind == "user"}
        texts = [entry.text for entry in self.entries] + [item.text for item in self.actions]
        ids |= {match for text in texts if "<@" in text for match in mentioned_users(text)}
        return {user for user in ids if user and USER_ID.match(user)}

    def unlinked(self) -> list[EntryRow | ActionItem]:
        """Rows that came from a Slack message whose permalink is not known yet."""
        rows: list[EntryRow | ActionItem] = [*self.entries, *self.actions]
        return [row for row in rows if row.slack_ts and row.slack_channel and not row.permalink]


async def load_record(
    session: AsyncSession,
    incident: Incident,
    types: IncidentTypes = NO_TYPES,
    *,
    entries: Sequence[EntryRow] | None = None,
) -> Record:
    """What the incident's draft is written from; ``entries``: those read already (some of
    them: a page's), instead of all of the timeline."""
    incident_id = incident.id or 0
    values = await fields.values_of(session, incident_id, types.fields)
    actions = await session.exec(
        select(ActionItem)
        .where(ActionItem.incident_id == incident_id)
        .order_by(col(ActionItem.created_at), col(ActionItem.id))
    )
    return Record(
        incident=incident,
        entries=await timeline.entry_rows(session, incident_id) if entries is None else entries,
        escalations=await escalations.escalations_of(session, incident_id),
        person_pages=await paging_pages.pages_of(session, incident_id),
        notifications=await paging_pages.notifications_of(session, incident_id),
        roles=await roles.roles_of(session, incident_id),
        actions=actions.all(),
        milestone_changes=await milestone_changes(session, incident_id),
        edits=await postmortem_edits.current_edits(session, incident_id),
        issues=await follow_ups.issues_of(session, incident_id),
        public=await public.public_record(session, incident_id),
        public_updates=await public.updates_of(session, incident_id),
        # Configured fields in the file's order; a field no longer configured is left out.
        fields=[(f, values[f.name]) for f in types.fields.values() if f.name in values],
    )


async def milestone_changes(session: AsyncSession, incident_id: int) -> list[MilestoneChange]:
    """Who set each milestone by hand, in the order they did."""
    changes = await session.exec(
        select(MilestoneChange)
        .where(MilestoneChange.incident_id == incident_id)
        .order_by(col(MilestoneChange.id))
    )
    return list(changes.all())


def build_draft(
    record: Record,
    names: Mapping[str, str],
    *,
    renderer: Renderer,
    language: Language,
    style: str,
    now: datetime,
) -> Draft:
    """Arrange the record into the sections of a postmortem."""
    incident = record.incident
    sentence = entry_sentences(renderer, language.code, names)
    said = escalation_words(renderer, language.code, names)

    def name(user_id: str | None) -> str | None:
        return names.get(user_id, user_id) if user_id else None

    def line(entry: EntryRow) -> Line:
        text = sentence(entry)
        return Line(entry.occurred_at, entry.kind, text, name(entry.author), entry.permalink)

    lines = [line(entry) for entry in record.entries]
    milestones = milestone_times(incident, record.milestone_changes, name)
    of_kind = _by_kind(lines)
    return Draft(
        incident=incident,
        language=language,
        style=style,
        generated_at=now,
        commander=name(incident.commander),
        roles=[(role, name(holder) or holder) for role, holder in record.roles.items()],
        milestones=milestones,
        metrics=[Metric(key, milestones[a], milestones[b]) for key, a, b in METRICS],
        timeline=curated_timeline(lines, milestones),
        impacts=of_kind(TimelineKind.IMPACT),
        causes=of_kind(TimelineKind.ROOT_CAUSE),
        misleading=_misleading_paths(lines),
        mitigations=of_kind(TimelineKind.MITIGATION),
        escalations=[
            _escalation(escalation, name, said, _reached(record, escalation, name))
            for escalation in record.escalations
        ],
        actions=_actions(
            [
                (follow_ups.follow_up_ref(entry), line(entry))
                for entry in record.entries
                if entry.kind == TimelineKind.FOLLOW_UP
            ],
            record,
            name,
            names,
        ),
        updates=of_kind(TimelineKind.UPDATE),
        description=readable(incident.description, names),
        written={
            key: Written(edit.body, name(edit.author), edit.edited_at)
            for key, edit in record.edits.items()
        },
        public=record.public,
        publications=[_publication(update, record.public) for update in record.public_updates],
        fields=[(field.label, _field_text(field, value, names)) for field, value in record.fields],
    )


def _field_text(field: CustomField, value: FieldValue, names: Mapping[str, str]) -> str:
    """A field's value as the draft says it: people by name, options joined, text readable."""
    if field.kind == "user":
        return names.get(str(value), str(value))
    if isinstance(value, list):
        return ", ".join(value)
    return readable(value, names) if field.kind == "text" else str(value)


def _publication(update: PublicUpdate, record: PublicIncident | None) -> Publication:
    language = record.language if record else ""
    text = update.texts.get(language) or next(iter(update.texts.values()), None)
    text = SlackText.of(text) if text is not None else None  # people's words, as typed
    return Publication(
        at=update.published_at,
        status=update.status,
        languages=list(update.texts),
        text=text,
        on_statuspage=update.statuspage_update_id is not None,
        statuspage_error=update.statuspage_error,
    )


def entry_sentences(
    renderer: Renderer, language: str, names: Mapping[str, str]
) -> Callable[[TimelineEntry | EntryRow], str]:
    """How a document says an entry, people by name: warroom's own entries in the language's
    sentences (templates/entries/), a person's words as they wrote them."""
    template = renderer.entries_for(language)

    def sentence(entry: TimelineEntry | EntryRow) -> str:
        if entry.facts is None:
            # A person's words, or a row from before entries kept facts: what the template
            # would say (its text, people by name), without a render for each of 10,000 lines.
            return readable(entry.text, names)
        return renderer.render_plain(template, entry=entry, names=names)

    return sentence


def escalation_words(
    renderer: Renderer, language: str, names: Mapping[str, str]
) -> Callable[[Escalation], tuple[str, str]]:
    """How a document says an escalation's target and reason: a policy level (with whom its
    on-call schedules named) or a schedule and its person, and why the policy escalated, in
    the language's words (templates/entries/), a person's reason as they wrote it. Rows
    from before escalations kept ``why`` show their stored text."""
    template = renderer.entries_for(language)

    def said(escalation: Escalation) -> tuple[str, str]:
        target, reason = escalation.target, escalation.reason
        policy_level = escalation.target_kind == "policy" and escalation.policy and escalation.level
        if policy_level or escalation.target_kind == "schedule":
            facts = escalations.target_facts(escalation)  # with whom each schedule named
            target = renderer.render_plain(template, escalation_target=facts, names=names)
        if escalation.why:
            reason = renderer.render_plain(template, escalation_why=escalation.why, names=names)
        return target, reason

    return said


def _by_kind(lines: list[Line]) -> Callable[[TimelineKind], list[Line]]:
    grouped: dict[str, list[Line]] = {}
    for line in lines:  # one pass, not one per section
        grouped.setdefault(str(line.kind), []).append(line)

    def of_kind(kind: TimelineKind) -> list[Line]:
        return list(grouped.get(kind.value, ()))

    return of_kind


def milestone_times(
    incident: Incident, changes: Sequence[MilestoneChange], name: Namer
) -> dict[str, MilestoneTime]:
    set_by = {change.milestone: change.changed_by for change in changes}
    times = {
        milestone.value: MilestoneTime(
            milestone.value,
            getattr(incident, milestone.column),
            name(set_by[milestone]) if milestone in set_by else None,
        )
        for milestone in Milestone
    }
    started = times[Milestone.STARTED]
    if started.set_by is None and started.at is not None and started.at == incident.detected_at:
        times[Milestone.STARTED] = MilestoneTime(Milestone.STARTED.value, started.at, assumed=True)
    return times


class Standing(Protocol):
    """What decides where a line stands in the timeline: its moment and its kind."""

    @property
    def at(self) -> datetime: ...

    @property
    def kind(self) -> str: ...


StandingT = TypeVar("StandingT", bound=Standing)


def curated_timeline(
    lines: Sequence[StandingT], milestones: dict[str, MilestoneTime]
) -> list[StandingT | Line]:
    """Curated entries in order, with the milestones people set by hand; impact start first.
    ``lines`` may be lines or anything with their moment and kind (``EntryMoment``: where a
    page of a long timeline falls, bot/record/postmortem/timeline_page.py)."""
    hand_set = [
        Line(time.at, f"milestone_{time.milestone}", "", time.set_by)
        for time in milestones.values()
        if time.set_by and time.at is not None
    ]
    shown: list[StandingT | Line] = [line for line in lines if line.kind != TimelineKind.IMPACT]
    shown += hand_set
    # At the same moment: impact start, then detection, then everything else in record order.
    # Two stable sorts: the few that go first put in front, in their order, then all by their
    # moment (one ``(at, rank)`` key a line cost more than the rest of the timeline's order).
    first = {f"milestone_{Milestone.STARTED}": 0, TimelineKind.DETECTION.value: 1}
    ahead = [line for line in shown if line.kind in first]
    ahead.sort(key=lambda line: first[line.kind])
    rest = [line for line in shown if line.kind not in first]
    return sorted(ahead + rest, key=attrgetter("at"))


def _misleading_paths(lines: list[Line]) -> list[MisleadingPath]:
    paths = [line for line in lines if line.kind in _PATHS]
    result = []
    for index, path in enumerate(paths):
        if path.kind != TimelineKind.MISLEADING:
            continue
        # By index from here: a copy of the rest for each of 2,500 paths was quadratic.
        later = (paths[at] for at in range(index + 1, len(paths)) if paths[at].at >= path.at)
        result.append(MisleadingPath(path, next(later, None)))
    return result


def _reached(record: Record, escalation: Escalation, name: Namer) -> tuple[Reached, ...]:
    """How each person the escalation paged was reached: the notifications that went out
    (the method, never the number), and how they acknowledged."""
    reached = []
    for page in (p for p in record.person_pages if p.escalation_id == escalation.id):
        notified = tuple(
            (n.method, n.sent_at or n.updated_at, n.state)
            for n in record.notifications
            if n.page_id == page.id and n.state not in ("pending", "sending", "cancelled")
        )
        acknowledged = page.state == "acknowledged" and page.acknowledged_by == page.user_id
        reached.append(
            Reached(
                person=name(page.user_id) or page.user_id,
                notified=notified,
                acknowledged_at=page.acknowledged_at if acknowledged else None,
                via=page.acknowledged_via if acknowledged else None,
            )
        )
    return tuple(reached)


def _escalation(
    escalation: Escalation,
    name: Namer,
    said: Callable[[Escalation], tuple[str, str]],
    reached: tuple[Reached, ...] = (),
) -> EscalationLine:
    target, reason = said(escalation)
    if escalation.target_kind == "user":
        target = name(escalation.target_ref) or target
    return EscalationLine(
        target=target,
        at=escalation.escalated_at,
        by=name(escalation.requested_by),
        reason=reason,
        acknowledged_at=escalation.acknowledged_at,
        acknowledged_by=name(escalation.acknowledged_by),
        reached=reached,
    )


def _actions(
    memos: list[tuple[str, Line]], record: Record, name: Namer, names: Mapping[str, str]
) -> list[Action]:
    issues = record.issues
    noted = [
        Action(memo.text, None, memo.author, memo.at, memo.link, issues.get(ref))
        for ref, memo in memos
    ]
    noted += [
        Action(
            readable(item.text, names),
            name(item.owner),
            name(item.created_by),
            item.created_at,
            item.permalink,
            issues.get(follow_ups.follow_up_ref(item)),
        )
        for item in record.actions
    ]
    return sorted(noted, key=lambda action: action.at)
