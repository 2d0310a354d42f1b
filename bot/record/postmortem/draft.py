"""A postmortem draft: the record's facts arranged by section (``Draft`` and its lines), with
the formatting of its language and the Markdown rows of its long sections, which templates
render. Nothing here invents a fact: a milestone the record lacks is ``None``, and the
templates show it as a gap for a person to fill.

Its lines and the rows of its sections are in ``parts``. The draft is built from the record
by bot.record.postmortem.writing.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from functools import partial
from itertools import groupby
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import tz
from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from bot.basics.markdown_text import (
    formatted_item_text_each,
    markdown_escape,
    markdown_escape_each,
    markdown_item,
    markdown_item_text_each,
    prose,
)
from bot.record.postmortem.figures import Figures
from bot.record.postmortem.language import Language, MinutesSaid, Words
from bot.record.postmortem.parts import (
    ALSO_ENDED,
    ALSO_ENDED_PROPOSED,
    ALSO_MILESTONE,
    ALSO_PAGED,
    ALSO_SAID,
    ALSO_SET,
    Action,
    Asked,
    Detection,
    EscalationLine,
    Lesson,
    Line,
    MarkedLines,
    Metric,
    MilestoneTime,
    MisleadingPath,
    MisleadingRow,
    Mitigation,
    PageMark,
    Publication,
    Repeat,
    RowLine,
    RowPerson,
    Slot,
    Stated,
    Suggested,
    Written,
)
from bot.record.postmortem.wording import defanged
from bot.store.models import ChangeEvent, Incident, Milestone, PublicIncident

# A citation in accepted text once escaped for Markdown: ``\[E42\]``.
_ESCAPED_CITE = re.compile(r"\\\[(E\d{1,12})\\\]")
# Text escaped already, as Markup: str's own constructor, in C (Markup() checks each value
# in Python: a fifth of the misleading paths' time in a long draft).
_escaped_already: Callable[[str], Markup] = partial(str.__new__, Markup)
# Spans shorter than the shortest month are days, hours and minutes whatever the dates.
_MONTH_AT_LEAST = timedelta(days=28)


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
    # Who moved the postmortem's review last, by name: who published it, when it is.
    reviewer: str | None = None
    # When the fix started and what confirmed it worked.
    mitigation: Mitigation = field(default_factory=lambda: Mitigation(None, None))
    # The first page of an alert it was declared from, when before the declaration: where
    # time to acknowledge starts (bot/record/postmortem/figures.py).
    paged: MilestoneTime | None = None
    # The alerts that opened the incident, with their labels and links.
    detections: list[Detection] = field(default_factory=list)
    # The changes made on its services in the impact's window (change events, not said in
    # the channel): context shown after the timeline, oldest first.
    changes: list[ChangeEvent] = field(default_factory=list)
    # The status pages: None when the incident was never made public.
    public: PublicIncident | None = None
    publications: list[Publication] = field(default_factory=list)
    # The custom fields' (label, value) rows, in the types file's order.
    fields: list[tuple[str, str]] = field(default_factory=list)
    # People's own text for written sections, by section key.
    written: dict[str, Written] = field(default_factory=dict)
    # The model's suggestions not accepted yet, by section key, and its latest request.
    suggestions: dict[str, Suggested] = field(default_factory=dict)
    asked: Asked | None = None
    # Each entry's link to its Slack message, by its reference (E42): what citations link to;
    # and its moment and author's name: what citations say ("(3:42 AM, Dave Kowalski)").
    links: Mapping[str, str | None] = field(default_factory=dict)
    sources: Mapping[str, tuple[datetime, str | None]] = field(default_factory=dict)
    # The participants' answers to the day-after question (bot/flows/postmortem/lessons.py).
    lessons: list[Lesson] = field(default_factory=list)
    # The triggering change, as people said it after the fact (the form offered on resolving).
    triggers: list[Line] = field(default_factory=list)
    # What people said on the draft's page where the record has nothing (by kind: who else
    # was brought in, ``brought_in``; that no path misled, ``misleading``: bot/record/
    # postmortem/statements.py), each as ``Stated`` (no text: nobody, none).
    said: dict[str, Stated] = field(default_factory=dict)
    # Earlier related incidents whose follow-ups are still open: this one may repeat them.
    repeats: list[Repeat] = field(default_factory=list)
    # The messages marked on the draft's page (misleading, the mitigation), and by whom.
    page_marks: list[PageMark] = field(default_factory=list)
    # The written sections the template asked for while rendering, in order.
    slots: list[Slot] = field(default_factory=list)
    # For the web view only: a token unique to this rendering that ``place`` writes around
    # each written section, so the page can put the section's form where it stands. Empty
    # (no marks at all) for the draft people read and download.
    places: str = ""
    # Each moment's (date, time) as said in the incident's zone and language.
    _moments: dict[int, tuple[str, str]] = field(default_factory=dict, repr=False)
    # Every line of the draft marked (``marked_lines``), and each one's row there by its id.
    _marked: MarkedLines | None = field(default=None, repr=False)
    _marked_row: dict[int, int] = field(default_factory=dict, repr=False)
    _timeline_marked: MarkedLines | None = field(default=None, repr=False)
    _escapes: dict[str, str] = field(default_factory=dict, repr=False)
    _durations: dict[timedelta, str] = field(default_factory=dict, repr=False)
    _zone: tzinfo | None = field(default=None, repr=False)
    _minutes_said: MinutesSaid | None = field(default=None, repr=False)

    @property
    def words(self) -> Words:
        """The language's words (``words.yaml``): the templates say everything in them."""
        return self.language.catalog

    def section(self, key: str, prompt: str) -> Written | None:
        """A written section of the template: what a person wrote for it, if anything.

        The template names the section as it renders, so the editor offers exactly the
        sections of the style in use, operator templates included.
        """
        if all(slot.key != key for slot in self.slots):
            self.slots.append(Slot(key, prompt))
        return self.written.get(key)

    def place(self, key: str, edge: str) -> str:
        """Where a written section starts (``edge`` "start") or ends ("end"), as a paragraph
        of its own holding ``places``, the section's number and the edge; nothing unless the
        web view asked for the marks. The number, not the key: a key's underscores are
        Markdown."""
        if not self.places:
            return ""
        number = next(index for index, slot in enumerate(self.slots) if slot.key == key)
        return f"\n\n{self.places}-{edge}-{number}\n\n"

    def waiting(self) -> list[Suggested]:
        """The suggestions shown in the draft that someone may accept: a section nobody has
        written, with a sentence kept (one with none has nothing to accept)."""
        return [
            each
            for key, each in self.suggestions.items()
            if key not in self.written and each.sentences
        ]

    def suggested(self, key: str) -> Suggested | None:
        """The model's suggestion for a section nobody has written yet."""
        return None if key in self.written else self.suggestions.get(key)

    def cited(self, sentence: Mapping[str, Any]) -> Markup:
        """A suggested sentence as Markdown, followed by its citations as the draft cites,
        each linked to its Slack message: ``… rolled back. ([4:10 AM, Bob Okafor](…))``."""
        cites = [self._citation(ref, sentence) for ref in sentence.get("cites") or []]
        said = markdown_escape(str(sentence["text"]))
        return Markup(f"{said} ({'; '.join(cites)})" if cites else said)

    def citations(self, sentence: Mapping[str, Any]) -> Markup:
        """The citations alone: ``[4:10 AM, Bob Okafor](…); E99`` (a reference not in the
        record is said as the model wrote it)."""
        return Markup("; ".join(self._citation(ref, sentence) for ref in sentence["cites"]))

    def cited_prose(self, text: str) -> Markup:
        """Accepted text (as suggested, or edited) as ``prose``, with each citation in it
        (``[E42]``) said as the draft cites, linked to its Slack message."""
        escaped = str(prose(text))
        return Markup(_ESCAPED_CITE.sub(lambda match: f"({self._citation(match[1], {})})", escaped))

    def from_record(self, said: str, lines: Sequence[Line | None]) -> Markup:
        """A sentence warroom wrote from the record (the catalog's words, each fact a line's,
        escaped by ``say``), followed by the entries it rests on as the draft cites them:
        ``… ([1:50 PM, Dave Kowalski](…); 2:00 PM, Alertmanager)``, each once."""
        cites: list[str] = []
        for line in lines:
            if line is None:
                continue
            shown = self._escaped(self.time(line.at))
            if line.author:
                shown += f", {self._escaped(line.author)}"
            cite = f"[{shown}]({markdown_escape(line.link)})" if line.link else shown
            if cite not in cites:
                cites.append(cite)
        return Markup(f"{said} ({'; '.join(cites)})" if cites else said)

    @property
    def noticed(self) -> Line | None:
        """Who noticed first, as the record says it: the line the detected milestone was set
        to, else the first alert that opened the incident, else its declaration."""
        detected = self.milestones.get(Milestone.DETECTED)
        if detected is not None and detected.line is not None:
            return detected.line
        if self.detections:
            return self.detections[0].line
        return next((line for line in self.timeline if line.kind == "declared"), None)

    def left_out(self, text: str) -> Markup:
        """A sentence left out, as a list item says it: escaped, its addresses unclickable
        (``https[:]//evil[.]example``)."""
        return Markup(markdown_item(defanged(text)))

    def where(self, said: Mapping[str, Any]) -> Markup:
        """Where a quote or a reason's entry is (``ref``, ``at``, ``author``): its time linked
        to its Slack message, and its author: ``[9:20 AM](…), Bob Okafor``."""
        ref = str(said.get("ref") or "")
        at = said.get("at")
        moment = datetime.fromisoformat(at) if isinstance(at, str) else self.sources.get(ref)
        if isinstance(moment, tuple):
            moment = moment[0]
        if not isinstance(moment, datetime):
            return Markup(markdown_escape(ref))
        link = self.links.get(ref)
        time = self._escaped(self.time(moment))
        shown = f"[{time}]({markdown_escape(link)})" if link else time
        author = said.get("author")
        return Markup(f"{shown}, {self._escaped(str(author))}" if author else shown)

    def _citation(self, ref: str, sentence: Mapping[str, Any]) -> str:
        """``[3:42 AM, Dave Kowalski](link)``: the entry's time and author, as the record
        has them now, else as they were when the sentence was checked."""
        source = self.sources.get(ref)
        kept = (sentence.get("sources") or {}).get(ref)
        if source is None and kept:
            source = (datetime.fromisoformat(kept["at"]), kept.get("author"))
        if source is None:
            return markdown_escape(ref)
        moment, author = source
        shown = self._escaped(self.time(moment))
        if author:
            shown += f", {self._escaped(author)}"
        link = self.links.get(ref)
        return f"[{shown}]({markdown_escape(link)})" if link else shown

    @property
    def went_well(self) -> list[Lesson]:
        """The answers that say something went well."""
        return [lesson for lesson in self.lessons if lesson.went_well]

    @property
    def went_wrong(self) -> list[Lesson]:
        """The answers that say something did not."""
        return [lesson for lesson in self.lessons if lesson.went_wrong]

    def unused_written(self) -> list[tuple[str, Written]]:
        """What people wrote for sections the template has not asked for (another style's);
        templates show them last, so a change of style never drops a person's text."""
        asked = {slot.key for slot in self.slots}
        return [(key, text) for key, text in self.written.items() if key not in asked]

    @property
    def zone(self) -> str:
        return self.incident.timezone

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self._local_zone())

    def _local_zone(self) -> tzinfo | None:
        if self._zone is None:
            self._zone = _zone(self.incident.timezone)
        return self._zone

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
        return self._said_minute(int(moment.timestamp()) // 60)

    def _said_minute(self, minute: int) -> tuple[str, str]:
        said = self._moments.get(minute)
        if said is None:
            if self._minutes_said is None:
                self._minutes_said = MinutesSaid(self.language, self._local_zone())
            said = self._moments[minute] = self._minutes_said(minute)
        return said

    def _escaped(self, text: str) -> str:
        """``markdown_escape`` of a value a draft repeats (a date, a time, a name), once."""
        escaped = self._escapes.get(text)
        if escaped is None:
            escaped = self._escapes[text] = markdown_escape(text)
        return escaped

    def marked_lines(self, lines: Sequence[Line]) -> MarkedLines:
        """The lines' parts as Markdown. Every line of the draft is marked once, the first
        time any is asked for; a section takes its lines' rows from there."""
        if self._marked is None:
            every = {id(line): line for line in self.timeline}
            # The timeline's lines are the first rows, when no line is in it twice: the
            # timeline, most of a draft, takes its rows as they are.
            timeline_first = len(every) == len(self.timeline)
            every |= {id(line): line for line in self._sections()}
            self._marked = self._mark(list(every.values()))
            self._marked_row = {key: row for row, key in enumerate(every)}
            if timeline_first:
                self._timeline_marked = MarkedLines(
                    *(column[: len(self.timeline)] for column in self._marked)
                )
        if lines is self.timeline and self._timeline_marked is not None:
            return self._timeline_marked
        try:
            rows = [self._marked_row[id(line)] for line in lines]
        except KeyError:  # not one of the draft's lines
            return self._mark(list(lines))
        return MarkedLines(*([column[row] for row in rows] for column in self._marked))

    def _sections(self) -> Iterator[Line]:
        """The lines of the sections after the timeline."""
        for section in (self.impacts, self.causes, self.mitigations, self.updates, self.triggers):
            yield from section
        for path in self.misleading:
            yield from path.lines
        for escalation in self.escalations:
            if escalation.joined is not None:
                yield escalation.joined

    def _mark(self, lines: list[Line]) -> MarkedLines:
        days, clocks = self._minutes([line.at for line in lines])
        links = markdown_escape_each([line.link or "" for line in lines])
        escaped = self._escaped
        return MarkedLines(
            days,
            [
                f"[{clock}]({link})" if link else clock
                for clock, link in zip(clocks, links, strict=True)
            ],
            [escaped(line.author) if line.author else "" for line in lines],
            formatted_item_text_each(
                [line.text for line in lines],
                own_italics=self.language.gap_mark.lstrip("_").strip(),
            ),
        )

    def _minutes(self, moments: list[datetime]) -> tuple[list[str], list[str]]:
        """The date and the time of each moment, escaped. Moments mostly come in time order:
        each is compared with the minute of the moment before (by its number: a datetime's
        ``replace`` costs several times ``timestamp``)."""
        days, clocks = [], []
        shown = None
        day = clock = ""
        for moment in moments:
            minute = int(moment.timestamp()) // 60
            if minute != shown:
                shown = minute
                said_day, said_clock = self._said_minute(minute)
                day, clock = self._escaped(said_day), self._escaped(said_clock)
            days.append(day)
            clocks.append(clock)
        return days, clocks

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
        also: Mapping[str, str] | None = None,
        sources: Mapping[str, str] | None = None,
        paged_person: str = "{person} ({methods})",
        methods: Mapping[str, str] | None = None,
    ) -> Markup:
        """The timeline under a heading per day: ``row`` gets ``stamp``, ``kind``, ``text``
        (``text`` around the line's text, if any) and ``author`` (``author``, or ``set_by`` for
        a milestone set by hand, around the person's name, if any). What else a line stands
        for (``Line.also``) follows the row, each in its shape in ``also`` by its key: ``by``
        (who set the milestone), ``source`` (where a proposed impact end is read from, in
        the words of ``sources``), ``milestone`` (the name, from ``kinds``, of a milestone
        set on a line of another kind), ``at`` (the line's time), ``people`` (whom an
        escalation paged: each ``paged_person``, its ``person`` and ``methods``, named by
        ``methods``) and ``said`` (the words of the key event that announced it)."""
        day, row, text, author, set_by, paged_person = map(
            str, (day, row, text, author, set_by, paged_person)
        )
        also = {key: str(shape) for key, shape in (also or {}).items()}
        fill = _shape("row", row, "stamp", "kind", "text", "author")
        _check_shapes({"day": day, "text": text, "author": author, "set_by": set_by}, "")
        _check_shapes(dict(also or {}), "by", "source", "milestone", "at", "people", "said")
        _check_shapes({"paged_person": paged_person}, "person", "methods")
        lines = self.timeline
        # Each kind's name escaped and its author's shape chosen once, not once a line (the
        # template's list of kinds is scanned by ``in``).
        kind_names = {
            kind: markdown_escape(kinds.get(kind, kind)) for kind in {line.kind for line in lines}
        }
        shapes = {kind: set_by if kind in set_by_kinds else author for kind in kind_names}
        marked = self.marked_lines(lines)
        filled = map(
            fill,
            marked.stamps,
            [kind_names[line.kind] for line in lines],
            [text.format(said) if said else "" for said in marked.texts],
            [
                shapes[line.kind].format(name) if name else ""
                for line, name in zip(lines, marked.authors, strict=True)
            ],
        )
        if also:
            words = _AlsoWords(also, sources or {}, kinds, paged_person, methods or {})
            said = [self._also(line, words) if line.also else "" for line in lines]
            filled = map(str.__add__, filled, said)
        rows: list[str] = []
        for shown, day_rows in groupby(zip(marked.days, filled, strict=True), key=itemgetter(0)):
            rows += [*([""] if rows else []), day.format(shown), ""]
            rows += [filled_row for _, filled_row in day_rows]
        return Markup("\n".join(rows))

    def _also(self, line: Line, words: _AlsoWords) -> str:
        """What else ``line`` stands for, in the template's shapes."""
        said = []
        for mark in line.also:
            shape = words.shapes.get(_ALSO_SHAPE.get(mark, mark))
            if shape is None:
                continue
            milestone = _milestone_named(mark, line.kind)
            time = self.milestones.get(milestone) if milestone else None
            by = self._escaped(time.set_by) if time and time.set_by else ""
            source = words.sources.get(time.source or "", "") if time else ""
            said.append(
                shape.format(
                    by=by,
                    source=source,
                    milestone=markdown_escape(words.kinds.get(mark, "")),
                    at=self._escaped(self.time(line.at)),
                    people=self._paged(line, words) if mark == ALSO_PAGED else "",
                    said=markdown_item(line.said) if mark == ALSO_SAID else "",
                )
            )
        return "".join(said)

    def _paged(self, line: Line, words: _AlsoWords) -> str:
        """Whom an escalation's line paged, and by what, in the template's words."""
        return "; ".join(
            words.paged_person.format(
                person=self._escaped(person),
                methods=", ".join(
                    markdown_escape(words.methods.get(method, method)) for method in methods
                ),
            )
            for person, methods in line.paged
        )

    def misleading_rows(self) -> list[MisleadingRow]:
        """The misleading paths as rows (``MisleadingRow``), each part escaped once: the idea,
        the message that ruled it out if the record says, how long after, and what a person
        said ruled it out (``MisleadingPath.stated``: theirs, never a message's)."""
        paths = self.misleading
        marked = self.marked_lines([path.line for path in paths])
        ends = [path.ruled_out for path in paths if path.ruled_out is not None]
        ending = iter(zip(*self.marked_lines(ends)[1:], strict=True))
        rows = []
        for path, stamp, author, text in zip(paths, *marked[1:], strict=True):
            ruled_out = None
            if path.ruled_out is not None:
                ruled_out = RowLine(*map(_escaped_already, next(ending)))
            end = path.ruled_out.at if path.ruled_out is not None else None
            person = path.stated
            if person is not None and ruled_out is None:
                end = person.at
            rows.append(
                MisleadingRow(
                    idea=RowLine(*map(_escaped_already, (stamp, author, text))),
                    ruled_out=ruled_out,
                    duration=self.duration(path.line.at, end),
                    person=self._row_person(person) if person is not None else None,
                )
            )
        return rows

    def misleading_list(self) -> Markup:
        """The misleading paths' rows (``misleading_rows``) in the catalog's words
        (``misleading``: the idea, then what ruled it out, what a person said of it, or the
        gap asking for it), filled here rather than row by row in Jinja2: a long incident has
        thousands, and their macros and messages doubled a 10,000-entry draft's time."""
        words = _MisleadingWords.of(self.words)
        return Markup(
            "\n".join(
                words.row.format(
                    text=path.idea.text,
                    source=words.source(path.idea),
                    end=self._misleading_end(path, words),
                )
                for path in self.misleading_rows()
            )
        )

    def _misleading_end(self, path: MisleadingRow, words: _MisleadingWords) -> str:
        """What ruled an idea out, in the catalog's words: the message (and what a person said
        of it), a person's own words, or the gap asking for it."""
        person = path.person
        where = ""
        if person is not None:
            where = words.on_page if person.where == "page" else words.in_slack
        if path.ruled_out is not None:
            said = words.ruled_out.format(
                source=words.source(path.ruled_out),
                text=path.ruled_out.text,
                duration=markdown_escape(path.duration or ""),
            )
            if person is not None and person.text:
                said += words.said.format(by=person.by, where=where, text=person.text)
            elif person is not None:
                said += words.chosen.format(by=person.by, where=where)
            return said
        if person is None:
            return words.unknown
        length = (
            words.took.format(duration=markdown_escape(path.duration))
            if path.duration
            else words.no_time
        )
        return words.stated.format(
            at=words.at.format(at=person.time) if person.time else "",
            by=person.by,
            where=where,
            text=person.text,
            duration=length,
        )

    def _row_person(self, person: Stated) -> RowPerson:
        return RowPerson(
            by=_escaped_already(self._escaped(person.by or "")),
            where=person.where,
            text=_escaped_already(markdown_item_text_each([person.text])[0]),
            time=_escaped_already(self._escaped(self.time(person.at)) if person.at else ""),
        )

    def rows(self, lines: Sequence[Line], *, row: str, by: str) -> Markup:
        """A section's lines (the impacts, the causes, the mitigations), a row each: ``row``
        gets ``source`` (the linked time, then ``by`` around the person's name, if any),
        ``text``, and apart: ``stamp`` (the linked time), ``zone`` (its abbreviation in the
        incident's zone) and ``by`` (``by`` around the person's name, if any)."""
        row, by = str(row), str(by)
        fill = _shape("row", row, "source", "text", "stamp", "zone", "by")
        _check_shapes({"by": by}, "")
        for line in lines:
            if not isinstance(line, Line):  # a template hands in the draft's own lines only
                raise TypeError(f"not a line of the draft: {type(line).__name__}")
        marked = self.marked_lines(lines)
        zones = [markdown_escape(self.abbreviation(line.at)) for line in lines]
        names = [by.format(name) if name else "" for name in marked.authors]
        return Markup(
            "\n".join(map(fill, _sources(marked, by), marked.texts, marked.stamps, zones, names))
        )

    def update_rows(self, *, row: str, nobody: str) -> Markup:
        """The status updates: ``row`` gets ``stamp``, ``author`` (``nobody`` if unknown) and
        ``text``."""
        fill = _shape("row", row, "stamp", "author", "text")
        marked = self.marked_lines(self.updates)
        nobody = markdown_escape(str(nobody))
        authors = [name or nobody for name in marked.authors]
        return Markup("\n".join(map(fill, marked.stamps, authors, marked.texts)))

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
    def figures(self) -> Figures:
        """The incident's figures as this draft states them (bot/record/postmortem/figures.py)."""
        return Figures(self.milestones, self.mitigation, self.paged)

    @property
    def start(self) -> MilestoneTime:
        return self.milestones[Milestone.STARTED]

    @property
    def end(self) -> MilestoneTime:
        """When the impact ended: its own milestone, else the resolution."""
        ended = self.milestones[Milestone.ENDED]
        return ended if ended.at is not None else self.resolved

    @property
    def resolved(self) -> MilestoneTime:
        return self.milestones[Milestone.RESOLVED]


@dataclass(frozen=True)
class _MisleadingWords:
    """The catalog's words for the misleading paths (``misleading``), as format strings read
    once a draft (``Draft.misleading_list``), the two gaps already filled."""

    row: str
    ruled_out: str
    said: str
    chosen: str
    stated: str
    at: str
    took: str
    unknown: str  # with its gap: what ruled the idea out
    no_time: str  # the gap: how long after the idea
    on_page: str
    in_slack: str
    source_by: str

    @classmethod
    def of(cls, words: Words) -> _MisleadingWords:
        said = words.subgroup("misleading")
        gap = words.shape("gap")
        shapes = {
            key: said.shape(key)
            for key in ("row", "ruled_out", "said", "chosen", "stated", "at", "took")
        }
        return cls(
            **shapes,
            unknown=said.shape("unknown").format(gap=gap.format(what=said.shape("what_ruled_out"))),
            no_time=gap.format(what=said.shape("no_time")),
            on_page=words.shape("on_page"),
            in_slack=words.shape("in_slack"),
            source_by=words.shape("source_by"),
        )

    def source(self, line: RowLine) -> str:
        """Where a row's line comes from: its linked time, then who said it (as strings:
        Markup's + would escape the name, escaped already, once more)."""
        if not line.author:
            return str(line.stamp)
        return str(line.stamp) + self.source_by.format(author=line.author)


@dataclass(frozen=True)
class _AlsoWords:
    """The template's words for what else a line stands for (``Draft.timeline_rows``)."""

    shapes: Mapping[str, str]
    sources: Mapping[str, str]
    kinds: Mapping[str, str]
    paged_person: str
    methods: Mapping[str, str]


# The shape a mark is said in, when it is not the mark itself.
_ALSO_SHAPE = {f"{ALSO_MILESTONE}{milestone.value}": "milestone" for milestone in Milestone}


def _milestone_named(mark: str, kind: str) -> str | None:
    """The milestone a mark on a line of ``kind`` is about, if any."""
    if mark == ALSO_SET:
        return _milestone_of(kind)
    if mark in (ALSO_ENDED, ALSO_ENDED_PROPOSED):
        return Milestone.ENDED.value
    if mark.startswith(ALSO_MILESTONE):
        return mark.removeprefix(ALSO_MILESTONE)
    return None


def _milestone_of(kind: str) -> str | None:
    """The milestone a line of this kind stands for when one is set by hand to its moment."""
    return _KIND_MILESTONES.get(kind)


_KIND_MILESTONES = {
    "detection": Milestone.DETECTED.value,
    "declared": Milestone.DECLARED.value,
    "acknowledged": Milestone.ACKNOWLEDGED.value,
    "mitigation": Milestone.MITIGATED.value,
    "recovered": Milestone.ENDED.value,
    "resolved": Milestone.RESOLVED.value,
}


def _sources(marked: MarkedLines, by: str) -> list[str]:
    """Where each line comes from: its linked time, then ``by`` around the person's name."""
    return [
        stamp + (by.format(name) if name else "")
        for stamp, name in zip(marked.stamps, marked.authors, strict=True)
    ]


def _shape(name: str, shape: str, *fields: str) -> Callable[..., str]:
    """A row's shape as a function of its fields, given in that order (a positional
    ``str.format``: mapped over columns, no Python call per row)."""
    _check_shapes({name: shape}, *fields)
    positional = "".join(
        literal.replace("{", "{{").replace("}", "}}")
        + ("" if field is None else f"{{{fields.index(field)}}}")
        for literal, field, _, _ in string.Formatter().parse(shape)
    )
    return positional.format


def _check_shapes(shapes: Mapping[str, str], *fields: str) -> None:
    """A row's shape may name only the fields it is given (``""``: one ``{}``): no attribute,
    index or conversion, which an operator's template in the sandbox must not reach through
    ``str.format``."""
    for name, shape in shapes.items():
        for _, field_name, spec, conversion in string.Formatter().parse(shape):
            if field_name is not None and (field_name not in fields or spec or conversion):
                raise ValueError(f"the {name} shape {shape!r} may name only {fields}")


def zone_named(name: str) -> tzinfo | None:
    """The zone of that name, as a draft reads its incident's (the record's checks too)."""
    return _zone(name)


def _zone(name: str) -> tzinfo | None:
    """The zone of that name: the standard library's (its conversions are C, a tenth of
    dateutil's time for the thousands of moments of a long draft), else dateutil's, which
    knows the same names from the same files and is what checked the name when it was set."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return tz.gettz(name)
