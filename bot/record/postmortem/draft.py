"""A postmortem draft: the record's facts arranged by section (``Draft`` and its lines), with
the formatting of its language and the Markdown rows of its long sections, which templates
render. Nothing here invents a fact: a milestone the record lacks is ``None``, and the
templates show it as a gap for a person to fill.

The draft is built from the record by bot.record.postmortem.writing.
"""

from __future__ import annotations

import string
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from functools import partial
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import tz
from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from bot.basics.render import markdown_escape, markdown_item_text
from bot.record.postmortem.language import Language
from bot.store.models import Incident, Milestone, PublicIncident, TrackerIssue

# Spans shorter than the shortest month are days, hours and minutes whatever the dates.
_MONTH_AT_LEAST = timedelta(days=28)


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
    # The custom fields' (label, value) rows, in the types file's order.
    fields: list[tuple[str, str]] = field(default_factory=list)
    # People's own text for written sections, by section key.
    written: dict[str, Written] = field(default_factory=dict)
    # The written sections the template asked for while rendering, in order.
    slots: list[Slot] = field(default_factory=list)
    # Each moment's (date, time) as said in the incident's zone and language.
    _moments: dict[int, tuple[str, str]] = field(default_factory=dict, repr=False)
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
        UTC decides the minute shown, kept by its number (hashing an aware datetime costs more
        than the rest of a cached answer)."""
        key = int(moment.timestamp()) // 60
        said = self._moments.get(key)
        if said is None:
            fields = self.language.fields(self.local(moment.replace(second=0, microsecond=0)))
            said = (
                self.language.date_format.format(**fields),
                self.language.time_format.format(**fields),
            )
            self._moments[key] = said
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
        source = partial(_source, by=by)
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

    def rows(self, lines: Sequence[Line], *, row: str, by: str) -> Markup:
        """A section's lines (the impacts, the causes, the mitigations), a row each: ``row``
        gets ``source`` (the linked time, then ``by`` around the person's name, if any) and
        ``text``."""
        _check_shapes({"row": row}, "source", "text")
        _check_shapes({"by": by}, "")
        rows = []
        for line in lines:
            if not isinstance(line, Line):  # a template hands in the draft's own lines only
                raise TypeError(f"not a line of the draft: {type(line).__name__}")
            marked = self.marked(line)
            rows.append(row.format(source=_source(marked, by=by), text=marked.text))
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


def _source(marked: MarkedLine, *, by: str) -> str:
    """Where a line comes from: its linked time, then ``by`` around the person's name."""
    return marked.stamp + (by.format(marked.author) if marked.author else "")


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
