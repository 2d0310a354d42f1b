"""A postmortem draft: the record's facts arranged by section (``Draft``), what templates
render: its written sections and suggestions, its citations, its milestones. Nothing here
invents a fact: a milestone the record lacks is ``None``, and the templates show it as a gap
for a person to fill.

How it says moments and lines in its language is ``draft_format``; the Markdown rows of its
long sections, ``draft_rows``; its lines and the rows' types, ``parts``. The draft is built
from the record by bot.record.postmortem.writing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from markupsafe import Markup

from bot.basics.markdown_text import (
    markdown_escape,
    markdown_item,
    prose,
)
from bot.record.postmortem.draft_rows import DraftRows
from bot.record.postmortem.figures import Figures
from bot.record.postmortem.language import Language, MinutesSaid, Words
from bot.record.postmortem.parts import (
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
    Mitigation,
    PageMark,
    Publication,
    Repeat,
    Slot,
    Stated,
    Suggested,
    Written,
)
from bot.record.postmortem.wording import defanged
from bot.store.models import ChangeEvent, Incident, Milestone, PublicIncident

# A citation in accepted text once escaped for Markdown: ``\[E42\]``.
_ESCAPED_CITE = re.compile(r"\\\[(E\d{1,12})\\\]")


@dataclass
class Draft(DraftRows):
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
