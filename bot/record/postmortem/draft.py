"""Postmortem drafts: an incident's record, arranged the way a postmortem reads it.

``load_record`` reads everything a draft is written from; ``build_draft`` turns it into a
``Draft`` that templates render. Nothing here invents a fact: a milestone the record lacks is
``None``, and the templates show it as a gap for a person to fill.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from dateutil import tz
from dateutil.relativedelta import relativedelta
from markupsafe import Markup
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.render import Renderer, markdown_escape, markdown_item_text, readable
from bot.basics.slack_text import SlackText, mentioned_users
from bot.record import escalations, follow_ups, public, roles, timeline
from bot.record.milestones import METRICS
from bot.record.postmortem import edits as postmortem_edits
from bot.store.models import (
    ActionItem,
    Escalation,
    Incident,
    Milestone,
    MilestoneChange,
    PostmortemEdit,
    PublicIncident,
    PublicUpdate,
    TimelineEntry,
    TimelineKind,
    TrackerIssue,
)

# Entries that are a line of investigation: a misleading path lasts until the next of these.
_PATHS = {TimelineKind.INVESTIGATION, TimelineKind.MISLEADING, TimelineKind.ROOT_CAUSE}
# Spans shorter than the shortest month are days, hours and minutes whatever the dates.
_MONTH_AT_LEAST = timedelta(days=28)
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
# A user id to the person's name (None stays None).
Namer = Callable[[str | None], str | None]


# -- language ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Language:
    """How a language writes dates, times and durations (``templates/postmortem/<code>/``)."""

    code: str
    months: tuple[str, ...]
    time_format: str
    date_format: str
    units: Mapping[str, tuple[str, str]]
    less_than_a_minute: str
    am: str
    pm: str
    gap_mark: str

    @classmethod
    def load(cls, directory: Path) -> Language:
        data = yaml.safe_load((directory / "language.yaml").read_text(encoding="utf-8"))
        return cls(
            code=directory.name,
            months=tuple(data["months"]),
            time_format=data["time_format"],
            date_format=data["date_format"],
            units={unit: (forms[0], forms[1]) for unit, forms in data["units"].items()},
            less_than_a_minute=data["less_than_a_minute"],
            am=data["am"],
            pm=data["pm"],
            gap_mark=data["gap_mark"],
        )

    def fields(self, moment: datetime) -> dict[str, object]:
        return {
            "year": moment.year,
            "month": self.months[moment.month - 1],
            "day": moment.day,
            "hour": f"{moment.hour:02d}",
            "hour_short": moment.hour,
            "hour12": moment.hour % 12 or 12,
            "minute": f"{moment.minute:02d}",
            "ampm": self.am if moment.hour < 12 else self.pm,
            "zone": moment.tzname() or "",
        }

    def words(self, delta: relativedelta) -> str:
        """``1 hour 45 minutes``: the units that are not zero, largest first."""
        parts = []
        for unit in ("years", "months", "days", "hours", "minutes"):
            count = getattr(delta, unit)
            if count:
                singular, plural = self.units[unit]
                parts.append(f"{count} {singular if count == 1 else plural}")
        return " ".join(parts) or self.less_than_a_minute


# -- the draft -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Line:
    """One fact from the record, as a draft shows it."""

    at: datetime
    kind: str
    text: str
    author: str | None = None  # a person's name
    link: str | None = None  # the Slack message it came from


class MarkedLine(NamedTuple):
    """A line's parts as Markdown, each escaped once: a long draft shows a line in several
    sections (the timeline, a misleading path and the next, the updates)."""

    day: str
    clock: str
    stamp: str  # the time, linked to its Slack message when there is one
    author: str
    text: str


@dataclass(frozen=True)
class MisleadingPath:
    """A path that turned out wrong, and the path followed next (when the record shows one)."""

    line: Line
    next_line: Line | None


@dataclass(frozen=True)
class MilestoneTime:
    """When a milestone happened, and who set it by hand (``None``: warroom recorded it)."""

    milestone: str
    at: datetime | None
    set_by: str | None = None
    # Impact start copied from the detection because the record has no earlier sign of it.
    assumed: bool = False


@dataclass(frozen=True)
class Metric:
    """A time between two milestones; unknown when either is missing."""

    key: str
    start: MilestoneTime
    end: MilestoneTime

    @property
    def known(self) -> bool:
        return self.start.at is not None and self.end.at is not None and not self.unmeasured

    @property
    def unmeasured(self) -> bool:
        """Time to detect when impact start was taken from the detection: no measure at all."""
        return self.start.assumed and self.end.milestone == Milestone.DETECTED

    @property
    def negative(self) -> bool:
        return self.known and self.end.at < self.start.at


@dataclass(frozen=True)
class EscalationLine:
    target: str
    at: datetime
    by: str | None  # None: the escalation policy's timer
    reason: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None


@dataclass(frozen=True)
class Action:
    """A corrective or preventive task: a ``:memo:`` message or an ``/incident action``."""

    text: str
    owner: str | None
    noted_by: str | None
    at: datetime
    link: str | None
    # Its tracker issue (key, url, state: waiting, filed, refused, closed), when it has one.
    issue: TrackerIssue | None = None

    @property
    def done(self) -> bool:
        """Closed in its tracker: the draft ticks its box."""
        return self.issue is not None and self.issue.state == "closed"


@dataclass(frozen=True)
class Publication:
    """An update published on the status pages: when, at what status, in which languages,
    where (warroom's /status, Statuspage), and its text in the incident's language (None: an
    announcement of the status, worded by warroom)."""

    at: datetime
    status: str
    languages: list[str]
    text: str | None
    on_statuspage: bool
    statuspage_error: str | None


@dataclass(frozen=True)
class Written:
    """What a person wrote for a section of the draft, in the web view."""

    text: str
    author: str | None
    at: datetime


@dataclass(frozen=True)
class Slot:
    """A section of a template that a person writes: its key and what it asks for."""

    key: str
    prompt: str


@dataclass
class Draft:
    """Everything a postmortem template renders, with the formatting of its language."""

    incident: Incident
    language: Language
    style: str
    generated_at: datetime
    commander: str | None
    roles: list[tuple[str, str]]
    milestones: dict[str, MilestoneTime]
    metrics: list[Metric]
    timeline: list[Line]
    impacts: list[Line]
    causes: list[Line]
    misleading: list[MisleadingPath]
    mitigations: list[Line]
    escalations: list[EscalationLine]
    actions: list[Action]
    updates: list[Line]
    description: str = ""
    # The status pages: None when the incident was never made public.
    public: PublicIncident | None = None
    publications: list[Publication] = field(default_factory=list)
    # People's own text for written sections, by section key.
    written: dict[str, Written] = field(default_factory=dict)
    # The written sections the template asked for while rendering, in order.
    slots: list[Slot] = field(default_factory=list)
    # Each moment's (date, time) as said in the incident's zone and language.
    _moments: dict[datetime, tuple[str, str]] = field(default_factory=dict, repr=False)
    _marked: dict[int, tuple[Line, MarkedLine]] = field(default_factory=dict, repr=False)
    _escapes: dict[str, str] = field(default_factory=dict, repr=False)
    _durations: dict[timedelta, str] = field(default_factory=dict, repr=False)
    _zone: tzinfo | None = field(default=None, repr=False)

    def section(self, key: str, prompt: str) -> Written | None:
        """A written section of the template: what a person wrote for it, if anything.

        The template names the section as it renders, so the editor offers exactly the
        sections of the style in use, operator templates included.
        """
        if all(slot.key != key for slot in self.slots):
            self.slots.append(Slot(key, prompt))
        return self.written.get(key)

    def unused_written(self) -> list[tuple[str, Written]]:
        """What people wrote for sections the template has not asked for (another style's);
        templates show them last, so a change of style never drops a person's text."""
        asked = {slot.key for slot in self.slots}
        return [(key, text) for key, text in self.written.items() if key not in asked]

    @property
    def zone(self) -> str:
        return self.incident.timezone

    def local(self, moment: datetime) -> datetime:
        if self._zone is None:
            self._zone = _zone(self.incident.timezone)
        return moment.astimezone(self._zone)

    def time(self, moment: datetime) -> str:
        """``3:00 PM`` in the incident's zone."""
        return self._said(moment)[1]

    def date(self, moment: datetime) -> str:
        """``June 8, 2023`` in the incident's zone."""
        return self._said(moment)[0]

    def dated(self, lines: Sequence[Line]) -> list[tuple[str, str, Line]]:
        """Each line with its date and time: one call for a whole section, not two a line."""
        return [(*self._said(line.at), line) for line in lines]

    def _said(self, moment: datetime) -> tuple[str, str]:
        """The date and the time of ``moment``, worked out once per draft and minute: a long
        timeline has several lines a minute and shows each moment several times (its line, a
        misleading path, an escalation). Zones are whole minutes from UTC, so the minute in
        UTC decides the minute shown."""
        minute = moment.replace(second=0, microsecond=0)
        said = self._moments.get(minute)
        if said is None:
            fields = self.language.fields(self.local(minute))
            said = (
                self.language.date_format.format(**fields),
                self.language.time_format.format(**fields),
            )
            self._moments[minute] = said
        return said

    def _escaped(self, text: str) -> str:
        """``markdown_escape`` of a value a draft repeats (a date, a time, a name), once."""
        escaped = self._escapes.get(text)
        if escaped is None:
            escaped = self._escapes[text] = markdown_escape(text)
        return escaped

    def marked(self, line: Line) -> MarkedLine:
        """The line's parts as Markdown, escaped once per draft."""
        kept = self._marked.get(id(line))
        if kept is not None and kept[0] is line:
            return kept[1]
        said_day, said_clock = self._said(line.at)
        day, clock = self._escaped(said_day), self._escaped(said_clock)
        stamp = f"[{clock}]({markdown_escape(line.link)})" if line.link else clock
        author = self._escaped(line.author) if line.author else ""
        text = markdown_item_text(line.text) if line.text else ""
        marked = MarkedLine(day, clock, stamp, author, text)
        # The line is kept with its parts: its id is not reused while the draft holds it.
        self._marked[id(line)] = (line, marked)
        return marked

    # The long sections of a Markdown draft, a row per line. The template gives each row's
    # shape as format strings (its own text, not escaped, like the rest of the template) and
    # the draft fills them with values escaped once: 10,000 lines through Jinja2's per-value
    # finalize and escape took most of a draft's time.
    def timeline_rows(
        self,
        kinds: Mapping[str, str],
        set_by_kinds: Collection[str],
        *,
        day: str,
        row: str,
        text: str,
        author: str,
        set_by: str,
    ) -> Markup:
        """The timeline under a heading per day: ``row`` gets ``stamp``, ``kind``, ``text``
        (``text`` around the line's text, if any) and ``author`` (``author``, or ``set_by`` for
        a milestone set by hand, around the person's name, if any)."""
        _check_shapes({"row": row}, "stamp", "kind", "text", "author")
        _check_shapes({"day": day, "text": text, "author": author, "set_by": set_by}, "")
        kind_names = {kind: markdown_escape(name) for kind, name in kinds.items()}
        rows: list[str] = []
        shown = ""
        for line in self.timeline:
            marked = self.marked(line)
            if marked.day != shown:
                rows += [*([""] if shown else []), day.format(marked.day), ""]
                shown = marked.day
            by = set_by if line.kind in set_by_kinds else author
            kind = kind_names.get(line.kind)
            rows.append(
                row.format(
                    stamp=marked.stamp,
                    kind=markdown_escape(line.kind) if kind is None else kind,
                    text=text.format(marked.text) if marked.text else "",
                    author=by.format(marked.author) if marked.author else "",
                )
            )
        return Markup("\n".join(rows))

    def misleading_rows(self, *, row: str, by: str, followed: str, unfollowed: str) -> Markup:
        """The misleading paths: ``row`` gets ``source`` and ``text`` of the path and ``next``:
        ``followed`` (``duration``, ``next_source``, ``next_text``) when the record shows the
        path followed next, else ``unfollowed``. A source is the linked time, then ``by``
        around the person's name if there is one."""

        _check_shapes({"row": row}, "source", "text", "next")
        _check_shapes({"followed": followed}, "duration", "next_source", "next_text")
        _check_shapes({"by": by}, "")
        _check_shapes({"unfollowed": unfollowed})

        def source(marked: MarkedLine) -> str:
            return marked.stamp + (by.format(marked.author) if marked.author else "")

        rows = []
        for path in self.misleading:
            marked, after = self.marked(path.line), unfollowed
            if path.next_line is not None:
                following = self.marked(path.next_line)
                duration = self.duration(path.line.at, path.next_line.at)
                after = followed.format(
                    duration=markdown_escape(duration),
                    next_source=source(following),
                    next_text=following.text,
                )
            rows.append(row.format(source=source(marked), text=marked.text, next=after))
        return Markup("\n".join(rows))

    def update_rows(self, *, row: str, nobody: str) -> Markup:
        """The status updates: ``row`` gets ``stamp``, ``author`` (``nobody`` if unknown) and
        ``text``."""
        _check_shapes({"row": row}, "stamp", "author", "text")
        rows = []
        for line in self.updates:
            marked = self.marked(line)
            author = marked.author or markdown_escape(nobody)
            rows.append(row.format(stamp=marked.stamp, author=author, text=marked.text))
        return Markup("\n".join(rows))

    def abbreviation(self, moment: datetime) -> str:
        """``EAT``: the zone's abbreviation at that moment."""
        return self.local(moment).tzname() or self.incident.timezone

    def moment(self, moment: datetime) -> str:
        """``June 8, 2023, 3:00 PM UTC``."""
        return f"{self.date(moment)}, {self.time(moment)} {self.abbreviation(moment)}"

    def same_day(self, first: datetime, second: datetime) -> bool:
        return self.local(first).date() == self.local(second).date()

    def duration(self, start: datetime | None, end: datetime | None) -> str | None:
        """``1 hour 45 minutes``; None when a side is missing or it ends before it starts."""
        if start is None or end is None or end < start:
            return None
        span = end - start
        if span >= _MONTH_AT_LEAST:  # months and years depend on the calendar, not the span
            return self.language.words(relativedelta(end, start))
        words = self._durations.get(span)
        if words is None:
            words = self._durations[span] = self.language.words(relativedelta(end, start))
        return words

    def between(self, metric: Metric) -> str | None:
        return self.duration(metric.start.at, metric.end.at) if metric.known else None

    @property
    def start(self) -> MilestoneTime:
        return self.milestones[Milestone.STARTED]

    @property
    def end(self) -> MilestoneTime:
        return self.milestones[Milestone.RESOLVED]


def _check_shapes(shapes: Mapping[str, str], *fields: str) -> None:
    """A row's shape may name only the fields it is given (``""``: one ``{}``): no attribute,
    index or conversion, which an operator's template in the sandbox must not reach through
    ``str.format``."""
    for name, shape in shapes.items():
        for _, field_name, spec, conversion in string.Formatter().parse(shape):
            if field_name is not None and (field_name not in fields or spec or conversion):
                raise ValueError(f"the {name} shape {shape!r} may name only {fields}")


def _zone(name: str) -> tzinfo | None:
    """The zone of that name: the standard library's (its conversions are C, a tenth of
    dateutil's time for the thousands of moments of a long draft), else dateutil's, which
    knows the same names from the same files and is what checked the name when it was set."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return tz.gettz(name)


# -- the record ----------------------------------------------------------------------------
@dataclass
class Record:
    """What a draft is written from, as stored."""

    incident: Incident
    entries: Sequence[TimelineEntry]
    escalations: Sequence[Escalation]
    roles: dict[str, str]
    actions: Sequence[ActionItem]
    milestone_changes: Sequence[MilestoneChange]
    edits: Mapping[str, PostmortemEdit] = field(default_factory=dict)
    # Tracker issues by the follow-up each files (bot/record/follow_ups.py).
    issues: Mapping[str, TrackerIssue] = field(default_factory=dict)
    public: PublicIncident | None = None
    public_updates: Sequence[PublicUpdate] = ()

    def user_ids(self) -> set[str]:
        """Every person the draft will name, including those mentioned in message text."""
        ids = {self.incident.commander, self.incident.declared_by, *self.roles.values()}
        ids |= {entry.author for entry in self.entries}
        ids |= {user for entry in self.entries for user in timeline.people_in(entry.facts)}
        for escalation in self.escalations:
            ids |= {escalation.requested_by, escalation.acknowledged_by}
            if escalation.target_kind == "user":
                ids.add(escalation.target_ref)
        ids |= {item.owner for item in self.actions} | {item.created_by for item in self.actions}
        ids |= {change.changed_by for change in self.milestone_changes}
        ids |= {edit.author for edit in self.edits.values()}
        texts = [entry.text for entry in self.entries] + [item.text for item in self.actions]
        ids |= {match for text in texts for match in mentioned_users(text)}
        return {user for user in ids if user and _USER_ID.match(user)}

    def unlinked(self) -> list[TimelineEntry | ActionItem]:
        """Rows that came from a Slack message whose permalink is not known yet."""
        rows: list[TimelineEntry | ActionItem] = [*self.entries, *self.actions]
        return [row for row in rows if row.slack_ts and row.slack_channel and not row.permalink]


async def load_record(session: AsyncSession, incident: Incident) -> Record:
    incident_id = incident.id or 0
    actions = await session.exec(
        select(ActionItem)
        .where(ActionItem.incident_id == incident_id)
        .order_by(col(ActionItem.created_at), col(ActionItem.id))
    )
    changes = await session.exec(
        select(MilestoneChange)
        .where(MilestoneChange.incident_id == incident_id)
        .order_by(col(MilestoneChange.id))
    )
    return Record(
        incident=incident,
        entries=await timeline.entries(session, incident_id),
        escalations=await escalations.escalations_of(session, incident_id),
        roles=await roles.roles_of(session, incident_id),
        actions=actions.all(),
        milestone_changes=changes.all(),
        edits=await postmortem_edits.current_edits(session, incident_id),
        issues=await follow_ups.issues_of(session, incident_id),
        public=await public.public_record(session, incident_id),
        public_updates=await public.updates_of(session, incident_id),
    )


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

    def line(entry: TimelineEntry) -> Line:
        text = sentence(entry)
        return Line(entry.occurred_at, entry.kind, text, name(entry.author), entry.permalink)

    lines = [line(entry) for entry in record.entries]
    milestones = _milestones(incident, record.milestone_changes, name)
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
        timeline=_timeline(lines, milestones),
        impacts=of_kind(TimelineKind.IMPACT),
        causes=of_kind(TimelineKind.ROOT_CAUSE),
        misleading=_misleading_paths(lines),
        mitigations=of_kind(TimelineKind.MITIGATION),
        escalations=[_escalation(escalation, name, said) for escalation in record.escalations],
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
    )


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
) -> Callable[[TimelineEntry], str]:
    """How a document says an entry, people by name: warroom's own entries in the language's
    sentences (templates/entries/), a person's words as they wrote them."""
    template = renderer.entries_for(language)

    def sentence(entry: TimelineEntry) -> str:
        if entry.facts is None:
            # A person's words, or a row from before entries kept facts: what the template
            # would say (its text, people by name), without a render for each of 10,000 lines.
            return readable(entry.text, names)
        return renderer.render_plain(template, entry=entry, names=names)

    return sentence


def escalation_words(
    renderer: Renderer, language: str, names: Mapping[str, str]
) -> Callable[[Escalation], tuple[str, str]]:
    """How a document says an escalation's target and reason: a policy level and why the
    policy escalated in the language's words (templates/entries/), a person's reason as they
    wrote it. Rows from before escalations kept ``why`` show their stored text."""
    template = renderer.entries_for(language)

    def said(escalation: Escalation) -> tuple[str, str]:
        target, reason = escalation.target, escalation.reason
        if escalation.target_kind == "policy" and escalation.policy and escalation.level:
            facts = {"kind": "policy", "id": escalation.policy, "level": escalation.level}
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


def _milestones(
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


def _timeline(lines: list[Line], milestones: dict[str, MilestoneTime]) -> list[Line]:
    """Curated entries in order, with the milestones people set by hand; impact start first."""
    hand_set = [
        Line(time.at, f"milestone_{time.milestone}", "", time.set_by)
        for time in milestones.values()
        if time.set_by and time.at is not None
    ]
    shown = [line for line in lines if line.kind != TimelineKind.IMPACT] + hand_set
    # At the same minute: impact start, then detection, then everything else in record order.
    first = {f"milestone_{Milestone.STARTED}": 0, TimelineKind.DETECTION.value: 1}
    order = {id(line): index for index, line in enumerate(shown)}
    return sorted(shown, key=lambda line: (line.at, first.get(line.kind, 2), order[id(line)]))


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


def _escalation(
    escalation: Escalation, name: Namer, said: Callable[[Escalation], tuple[str, str]]
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


__all__ = [
    "Action",
    "Draft",
    "EscalationLine",
    "Language",
    "Line",
    "MarkedLine",
    "Metric",
    "MilestoneTime",
    "MisleadingPath",
    "Publication",
    "Record",
    "Slot",
    "Written",
    "build_draft",
    "entry_sentences",
    "escalation_words",
    "load_record",
]
