"""Writing a postmortem draft from the record (``Record``, read by ``load_record`` in
``sources``): ``build_draft`` arranges it into a ``Draft``, section by section, each line and
figure from what the record shows. Rendering it and reading it from the database:
written.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from operator import attrgetter
from typing import Any

from bot.basics.render import Renderer, readable
from bot.basics.task_words import task_text
from bot.record.changes.beside import in_impact_window
from bot.record.escalation import escalations
from bot.record.follow_ups import follow_ups
from bot.record.incident.milestones import Surface
from bot.record.incident.timeline import EntryRow
from bot.record.postmortem.alert_steps import alert_steps, paged_for_alert
from bot.record.postmortem.draft import Draft
from bot.record.postmortem.figures import Figures, decide
from bot.record.postmortem.language import Language
from bot.record.postmortem.parts import (
    Action,
    Detection,
    EscalationLine,
    Line,
    MergeNote,
    MilestoneTime,
    MisleadingPath,
    Mitigation,
    Reached,
    Stated,
)
from bot.record.postmortem.people_parts import Namer, people_parts
from bot.record.postmortem.semantics import (
    MARKED_KINDS,
    Answer,
    PathFacts,
    StandingT,
    answer_of,
    misleading_paths,
    one_line_each,
    places,
)
from bot.record.postmortem.sources import QUOTED, Record
from bot.store.models import (
    Escalation,
    Milestone,
    PersonPage,
    TimelineEntry,
    TimelineKind,
)

# Statements about the incident, not moments of it: their sections show them, not the timeline.
_SAID_AFTER = {TimelineKind.IMPACT.value, TimelineKind.TRIGGER.value}
# Said elsewhere: a page's notifications on its escalation's line and in its table.
_NOT_LINES = {*_SAID_AFTER, TimelineKind.NOTIFICATION.value}


def build_draft(
    record: Record,
    names: Mapping[str, str],
    *,
    renderer: Renderer,
    language: Language,
    style: str,
    now: datetime,
    known: Draft | None = None,
) -> Draft:
    """Arrange the record into the sections of a postmortem. ``known``: a draft of the same
    record whose milestones this one takes (a page of a long timeline, whose entries alone
    do not say when the mitigation worked or the impact ended)."""
    incident = record.incident
    sentence = entry_sentences(renderer, language.code, names, brief=True)
    said = escalation_words(renderer, language.code, names)

    def name(user_id: str | None) -> str | None:
        return names.get(user_id, user_id) if user_id else None

    def line(entry: EntryRow) -> Line:
        text = sentence(entry)
        return Line(entry.occurred_at, entry.kind, text, name(entry.author), entry.permalink)

    lines = [line(entry) for entry in record.entries]
    figures = known.figures if known is not None else decided_figures(record, lines, name)
    milestones, mitigation, paged = dict(figures.milestones), figures.mitigation, figures.paged
    of_kind = _by_kind(lines)
    return Draft(
        incident=incident,
        language=language,
        style=style,
        generated_at=now,
        milestones=milestones,
        metrics=Figures(milestones, mitigation, paged).on(Surface.DRAFT),
        paged=paged,
        timeline=_timeline(record, lines, said, name, milestones),
        changes=in_impact_window(record.changes, milestones),
        impacts=of_kind(TimelineKind.IMPACT),
        triggers=of_kind(TimelineKind.TRIGGER),
        causes=of_kind(TimelineKind.ROOT_CAUSE),
        misleading=_misleading(record, lines, line, name, names),
        mitigations=of_kind(TimelineKind.MITIGATION),
        escalations=_escalations(record, said, name, line),
        actions=_follow_ups(record, line, name, names, now),
        updates=of_kind(TimelineKind.UPDATE),
        mitigation=mitigation,
        detections=_detections(record, lines),
        **people_parts(record, name, names),
    )


def _misleading(
    record: Record,
    lines: list[Line],
    line: Callable[[EntryRow], Line],
    name: Namer,
    names: Mapping[str, str],
) -> list[MisleadingPath]:
    """The misleading paths among the draft's lines (``misleading_paths``)."""
    return misleading_paths(
        lines,
        [entry.slack_ts for entry in record.entries],
        _path_facts(record, line, name, names),
        MARKED_KINDS,
    )


def _timeline(
    record: Record,
    lines: list[Line],
    said: Callable[[Escalation], tuple[str, str]],
    name: Namer,
    milestones: dict[str, MilestoneTime],
) -> list[Line]:
    """The timeline: one line per fact, the curated entries in order, pages on their
    escalation's line."""
    return curated_timeline(
        one_line_each(
            _ruling_out(lines, record),
            [entry.slack_ts for entry in record.entries],
            _paged_lines(record, said, name),
        ),
        milestones,
    )


def _escalations(
    record: Record,
    said: Callable[[Escalation], tuple[str, str]],
    name: Namer,
    line: Callable[[EntryRow], Line],
) -> list[EscalationLine]:
    """Each escalation: to whom, by whom, why, who answered and how they were reached."""
    joined = {key: line(row) for key, row in record.joined.items()}
    steps = alert_steps(record.incident.id or 0, record.entries)
    pages = {page.id: page for page in record.person_pages}
    lines = [
        replace(
            _escalation(escalation, name, said, joined.get(escalation.id or 0), reached),
            # Brought in, not paged again: an attached alert had paged them.
            paged_before=tuple(name(u) or u for u in paged_for_alert(steps, pages, escalation)),
        )
        for escalation in record.escalations
        for reached in [_reached(record, escalation, name)]
    ]
    # An attached alert paged people before the incident was: its steps among the rows.
    for step in steps:
        paged = [pages[page_id] for page_id in step.page_ids if page_id in pages]
        reached = _reached_pages(record, paged, name)
        lines.append(_escalation(step.escalation, name, said, None, reached))
    return sorted(lines, key=attrgetter("at"))


def _follow_ups(
    record: Record,
    line: Callable[[EntryRow], Line],
    name: Namer,
    names: Mapping[str, str],
    now: datetime,
) -> list[Action]:
    """The follow-ups not merged into another, as the corrective actions' checklist."""
    memos = [
        (follow_ups.follow_up_ref(entry), line(entry))
        for entry in record.entries
        if entry.kind == TimelineKind.FOLLOW_UP
        and follow_ups.follow_up_ref(entry) not in record.merged
    ]
    return _actions(memos, record, name, names, now)


def _detections(record: Record, lines: list[Line]) -> list[Detection]:
    """The alerts that opened the incident, with their labels and links."""
    return [
        _detection(entry.facts or {}, drawn)
        for entry, drawn in zip(record.entries, lines, strict=True)
        if entry.kind == _DETECTION
    ]


def _path_facts(
    record: Record, line: Callable[[EntryRow], Line], name: Namer, names: Mapping[str, str]
) -> PathFacts:
    """What the record says of the misleading paths: replies, ideas and what ended each."""
    return PathFacts(
        replies={ts: line(row) for ts, row in record.replies.items()},
        ideas={ts: line(row) for ts, row in record.ideas.items()},
        ends={
            ts: (
                line(record.ended[ts]) if ts in record.ended else None,
                Stated(
                    readable(end.words, names) if end.words else "",
                    name(end.by),
                    end.where,
                    end.words_at if end.words else None,
                ),
            )
            for ts, end in record.path_ends.items()
        },
    )


# Kinds compared with each of thousands of entries, as plain strings (an enum member's
# lookup costs more than the comparison).
_DETECTION = TimelineKind.DETECTION.value
_ESCALATION = TimelineKind.ESCALATION.value


def _detection(facts: Mapping[str, Any], line: Line) -> Detection:
    """An alert detection's labels (those its group shares and each alert's own, without the
    alert's name, which its line says) and links."""
    labels = dict(facts.get("labels") or {})
    for alert in facts.get("alerts") or []:
        labels |= alert.get("labels") or {}
    labels.pop("alertname", None)
    links = [(str(link["text"]), str(link["url"])) for link in facts.get("links") or []]
    return Detection(line, sorted(labels.items()), links)


def _ruling_out(lines: list[Line], record: Record) -> list[Line]:
    """The timeline's lines, a message marked misleading that a person said ruled out an
    earlier idea shown as what it is: the idea is the path (shown as one, whatever its kind
    was), this its end."""
    if not record.ideas:
        return lines
    paths = {row.slack_ts for row in record.ideas.values() if row.slack_ts}
    return [
        line._replace(kind=RULED_OUT)
        if entry.kind == TimelineKind.MISLEADING and entry.slack_ts in record.ideas
        else line._replace(kind=TimelineKind.MISLEADING)
        if entry.slack_ts in paths
        else line
        for entry, line in zip(record.entries, lines, strict=True)
    ]


# The kind of a line marked misleading that rules out an earlier idea.
RULED_OUT = "ruled_out"


def entry_sentences(
    renderer: Renderer, language: str, names: Mapping[str, str], *, brief: bool = False
) -> Callable[[TimelineEntry | EntryRow], str]:
    """How a document says an entry, people by name: warroom's own entries in the language's
    sentences (templates/entries/), a person's words as they wrote them. ``brief``: alerts
    by name only, their labels and links left to the draft's Detection."""
    template = renderer.entries_for(language)

    def sentence(entry: TimelineEntry | EntryRow) -> str:
        if entry.facts is None:
            # A person's words, or a row from before entries kept facts: what the template
            # would say (its text, people by name), without a render for each of 10,000 lines.
            return readable(entry.text, names)
        return renderer.render_plain(template, entry=entry, names=names, brief=brief)

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


def decided_figures(record: Record, lines: Sequence[Line], name: Namer) -> Figures:
    """The incident's figures as the draft states them (bot/record/postmortem/figures.py),
    one rule for the draft, the wrap-up form's proposal and every other page."""
    back = [
        Line(row.occurred_at, QUOTED, readable(row.text), name(row.author), row.permalink)
        for row in record.said_back.values()
    ]
    return decide(
        record.incident, record.milestone_changes, lines, record.alerts_resolved_at, back, name
    )


def decided_milestones(
    record: Record, lines: Sequence[Line], name: Namer
) -> tuple[dict[str, MilestoneTime], Mitigation]:
    """The milestones and mitigation of ``decided_figures``."""
    figures = decided_figures(record, lines, name)
    return figures.milestones, figures.mitigation


def impact_ended(record: Record) -> MilestoneTime:
    """Impact ended as the draft would state it: set, else proposed (``proposed``, with its
    ``source``), else unknown (``at`` None)."""
    lines = [Line(entry.occurred_at, entry.kind, "") for entry in record.entries]
    milestones, _ = decided_milestones(record, lines, lambda user_id: user_id)
    return milestones[Milestone.ENDED]


def curated_timeline(
    lines: Sequence[StandingT], milestones: dict[str, MilestoneTime]
) -> list[StandingT | Line]:
    """Curated entries in order, with the milestones people set by hand where they stand
    (``semantics.places``: one fact, one line); impact start first. ``lines`` may be lines
    or anything with their moment and kind (``EntryMoment``: where a page of a long timeline
    falls, bot/record/postmortem/timeline_page.py)."""
    placed = places(lines, milestones)
    shown: list[StandingT | Line] = [line for line in lines if line.kind not in _NOT_LINES]
    changed = placed.moved.keys() | placed.also.keys()
    if changed:  # a few lines of thousands: looked up by identity, not each one placed
        shown = [placed.place(line) if id(line) in changed else line for line in shown]
    shown += [placed.place(line) for line in placed.alone]
    # At the same moment: impact start, then detection, then everything else in record order.
    # Two stable sorts: the few that go first put in front, in their order, then all by their
    # moment (one ``(at, rank)`` key a line cost more than the rest of the timeline's order).
    first = {f"milestone_{Milestone.STARTED}": 0, TimelineKind.DETECTION.value: 1}
    ahead = [line for line in shown if line.kind in first]
    ahead.sort(key=lambda line: first[line.kind])
    rest = [line for line in shown if line.kind not in first]
    return sorted(ahead + rest, key=attrgetter("at"))


def _paged_lines(
    record: Record, said: Callable[[Escalation], tuple[str, str]], name: Namer
) -> dict[int, tuple[str, tuple[tuple[str, tuple[str, ...]], ...]]]:
    """By the index of each escalation's entry: its target as the draft says it, and whom
    it paged with the methods of the notifications that went out (the entry is the
    escalation's of the same moment and target)."""
    found: dict[int, tuple[str, tuple[tuple[str, tuple[str, ...]], ...]]] = {}
    for index, entry in enumerate(record.entries):
        if entry.kind != _ESCALATION:
            continue
        target = (entry.facts or {}).get("target")
        escalation = next(
            (
                each
                for each in record.escalations
                if each.escalated_at == entry.occurred_at
                and escalations.target_facts(each) == target
            ),
            None,
        )
        if escalation is None:
            continue
        people = tuple(
            (reached.person, tuple(dict.fromkeys(method for method, _, _ in reached.notified)))
            for reached in _reached(record, escalation, name)
            if reached.notified
        )
        shown = said(escalation)[0]
        if escalation.target_kind == "user":
            shown = name(escalation.target_ref) or shown
        found[index] = (shown, people)
    return found


def _reached(record: Record, escalation: Escalation, name: Namer) -> tuple[Reached, ...]:
    """How each person the escalation paged was reached: the notifications that went out
    (the method, never the number), and how they acknowledged."""
    pages = [page for page in record.person_pages if page.escalation_id == escalation.id]
    return _reached_pages(record, pages, name)


def _reached_pages(record: Record, pages: Sequence[PersonPage], name: Namer) -> tuple[Reached, ...]:
    """How the person of each page was reached (an escalation's pages, or an alert step's)."""
    reached = []
    for page in pages:
        notified = tuple(
            (n.method, n.sent_at or n.updated_at, n.state)
            for n in record.notifications
            if n.page_id == page.id
            and n.state not in ("pending", "sending", "resending", "cancelled")
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
    joined: Line | None,
    reached: tuple[Reached, ...] = (),
) -> EscalationLine:
    target, reason = said(escalation)
    if escalation.target_kind == "user":
        target = name(escalation.target_ref) or target
    acknowledged_by = name(escalation.acknowledged_by)
    stated = None
    if escalation.answer_said_by:
        nobody = escalation.said_answerer is None
        stated = Answer(
            None if nobody else escalation.said_answered_at,
            name(escalation.said_answerer),
            Answer.NOBODY if nobody else Answer.STATED,
            said_by=name(escalation.answer_said_by),
            where=escalation.answer_said_where,
        )
    answer = answer_of(escalation.acknowledged_at, acknowledged_by, joined, stated)
    return EscalationLine(
        target=target,
        at=escalation.escalated_at,
        by=name(escalation.requested_by),
        reason=reason,
        acknowledged_at=escalation.acknowledged_at,
        acknowledged_by=acknowledged_by,
        answered_at=answer.at if answer else None,
        answered_by=answer.by if answer else None,
        joined=answer.line if answer else None,
        answered_how=answer.how if answer else None,
        said_by=answer.said_by if answer else None,
        said_where=answer.where if answer else None,
        reached=reached,
        policy=escalation.target_ref if escalation.target_kind == "policy" else None,
        id=escalation.id,
    )


def _merged_into(
    record: Record, ref: str, name: Namer, names: Mapping[str, str]
) -> tuple[MergeNote, ...]:
    """The tasks merged into the follow-up ``ref``: their words, who merged them, when."""
    merges = record.merges.get(ref, ())
    return tuple(MergeNote(task_text(readable(t, names)), name(by), at) for t, by, at in merges)


def _actions(
    memos: list[tuple[str, Line]],
    record: Record,
    name: Namer,
    names: Mapping[str, str],
    now: datetime,
) -> list[Action]:
    """The follow-ups in the order they were noted, each with the earlier one it is possibly
    the same as (by their words, or the team's model)."""
    issues = record.issues
    noted = [
        Action(
            task_text(memo.text), None, memo.author, memo.at, memo.link, issues.get(ref), ref=ref
        )
        for ref, memo in memos
    ]
    for item in record.actions:
        issue = issues.get(follow_ups.follow_up_ref(item))
        done = follow_ups.is_done(item, issue)
        noted.append(
            Action(
                task_text(readable(item.text, names)),
                name(item.owner),
                name(item.created_by),
                item.created_at,
                item.permalink,
                issue,
                due_at=item.due_at,
                overdue=item.due_at is not None and item.due_at <= now and not done,
                done_by=name(item.done_by),
                marked_done=item.done_at is not None,
                ref=follow_ups.follow_up_ref(item),
            )
        )
    noted = [
        replace(action, merged_from=_merged_into(record, action.ref, name, names))
        for action in noted
    ]
    noted.sort(key=lambda action: action.at)
    actions: list[Action] = []
    by_ref: dict[str, Action] = {}
    for action, earlier in zip(
        noted, follow_ups.earlier_alike([a.text for a in noted]), strict=True
    ):
        alike = actions[earlier] if earlier is not None else None
        alike = alike or by_ref.get(record.model_alike.get(action.ref, ""))
        actions.append(action if alike is None else replace(action, alike=alike))
        by_ref[action.ref] = actions[-1]
    return actions
