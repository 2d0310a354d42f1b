"""The parts of a postmortem draft: its lines (``Line``, with what else each stands for), the
milestones' times and where they come from, and the rows of its sections (metrics,
escalations, actions, lessons, publications, written and suggested text). ``Draft`` in
``draft`` holds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from markupsafe import Markup

from bot.record.postmortem.suggestions import joined
from bot.record.postmortem.verification import CHECKED, meaning_of
from bot.store.models import Milestone, TrackerIssue

# A citation in accepted text once escaped for Markdown: ``\[E42\]``.


class Line(NamedTuple):
    """One fact from the record, as a draft shows it (a tuple: a long draft makes 10,000,
    and a frozen dataclass's ``__init__`` cost more than the rest of building each)."""

    at: datetime
    kind: str
    text: str
    author: str | None = None  # a person's name
    link: str | None = None  # the Slack message it came from
    # What else this one line stands for, so that one fact is one line (``ALSO_*``): a
    # milestone set by hand at its moment, impact ended then (set, or proposed from it).
    also: tuple[str, ...] = ()
    # An escalation's line: whom it paged and by what (each person's name, and the methods
    # of the notifications that went out, in order), said on the line and not apart; and the
    # words of the message marked key event that announced it in the same minute.
    paged: tuple[tuple[str, tuple[str, ...]], ...] = ()
    said: str = ""


# A line's ``also``: the milestone of this line's kind was set by hand to its moment (the
# person is the milestone's ``set_by``); impact ended at this line's moment, set by hand or
# proposed from the record (to confirm).
ALSO_SET = "set"
ALSO_ENDED = "ended"
ALSO_ENDED_PROPOSED = "ended_proposed"
# The line's message was first marked investigation (followed), then as this line's kind.
ALSO_FOLLOWED = "followed"
# A milestone of another kind than the line's set by hand to its minute by its author: the
# milestone's own line kind after this prefix (``milestone_started``).
ALSO_MILESTONE = "milestone_"
# Whom an escalation's line paged (``Line.paged``); the key event that announced it.
ALSO_PAGED = "paged"
ALSO_SAID = "said"


class MarkedLines(NamedTuple):
    """Lines' parts as Markdown, each escaped once, a column per part and a row per line: a
    long draft shows a line in several sections (the timeline, a misleading path and the
    next, the updates), and 10,000 lines escaped one call at a time cost more than the rest."""

    days: list[str]
    stamps: list[str]  # the time, linked to its Slack message when there is one
    authors: list[str]
    texts: list[str]  # as a list item's text: continuation lines indented


class RowLine(NamedTuple):
    """A line as a row of a section shows it, in Markdown, each part escaped once: its time
    (linked to its Slack message when there is one), its author's name ("" when none) and its
    text. The template says it in the language's words."""

    stamp: Markup
    author: Markup
    text: Markup


class RowPerson(NamedTuple):
    """What a person said ruled an idea out (``Stated``), in Markdown: their name ("" when
    unknown), ``where`` they said it (``page``: the draft's page; else Slack), their words
    ("": they only picked the message) and the time they gave ("": none)."""

    by: Markup
    where: str | None
    text: Markup
    time: Markup


class MisleadingRow(NamedTuple):
    """A misleading path as its row: the idea, what ruled it out (a message, or None), how
    long after the idea it was ruled out (None: not in the record) and what a person said of
    it (None: nobody did). No words: the language's catalog says them (``misleading`` in its
    words.yaml), filled by ``Draft.misleading_list``; a template may loop over the rows."""

    idea: RowLine
    ruled_out: RowLine | None
    duration: str | None
    person: RowPerson | None


@dataclass(frozen=True)
class MisleadingPath:
    """An idea that turned out a dead end, and what ruled it out (when the record says):
    ``how`` it is known (``ANSWERED``: a person said, answering the :x:'s prompt, that the
    marked message ruled out this earlier idea; ``STATED``: a person said, answering this
    idea's question in Slack or on the draft's page, which later message ruled it out and/or
    what did in their words, ``stated``; ``REPLY``: the first reply in the idea's thread;
    ``MARKED``: the next message marked with one of the incident's reactions). ``ts``: the
    idea's Slack message."""

    ANSWERED = "answered"
    STATED = "stated"
    REPLY = "reply"
    MARKED = "marked"

    line: Line  # the idea
    ruled_out: Line | None
    how: str | None = None
    stated: Stated | None = None
    ts: str | None = None

    @property
    def lines(self) -> tuple[Line, ...]:
        return (self.line,) if self.ruled_out is None else (self.line, self.ruled_out)

    @property
    def open(self) -> bool:
        """Nothing in the record says what ruled the idea out."""
        return self.ruled_out is None and self.stated is None


@dataclass(frozen=True)
class Stated:
    """What a person said ruled an idea out: their words (empty: they only picked the
    message), their name, where they said it (``page``: the draft's page; None: Slack), and
    the time they gave it (None: none given, the path's length is unknown)."""

    text: str
    by: str | None
    where: str | None
    at: datetime | None


@dataclass(frozen=True)
class PageMark:
    """A message marked on the draft's page as a reaction in Slack marks it: the kind of its
    line (``misleading``, ``mitigation``), the message's moment, and who marked it."""

    kind: str
    at: datetime
    by: str | None


@dataclass(frozen=True)
class MilestoneTime:
    """When a milestone happened, and who set it by hand (``None``: warroom recorded it)."""

    milestone: str
    at: datetime | None
    set_by: str | None = None
    # Impact start copied from the detection because the record has no earlier sign of it.
    assumed: bool = False
    # Read from the record rather than set (``FROM_*``): impact ended proposed from the
    # alerts' resolution, a message marked recovered or the confirmed mitigation, to be
    # confirmed by a person; a mitigation confirmed by a recovery signal.
    source: str | None = None
    proposed: bool = False
    # The line it was read from, when there is one.
    line: Line | None = None


# Where a milestone read from the record comes from.
FROM_ALERT = "alert"  # the incident's alerts all resolved
FROM_RECOVERED = "recovered"  # a message marked with the recovered reaction
FROM_MITIGATION = "mitigation"  # the confirmed mitigation
FROM_ENDED = "ended"  # impact ended, set by hand
FROM_SET = "set"  # ``/incident time mitigated``
# A message after the mitigation saying the service is back, nobody having marked recovery
# (bot/record/postmortem/back_words.py): proposed, never confirmed.
FROM_SAID = "said"


@dataclass(frozen=True)
class Mitigation:
    """When the fix was applied (the first action marked mitigation) and when it was known
    to work: the next recovery signal (``confirmed``: its time and source)."""

    started: Line | None
    confirmed: MilestoneTime | None


@dataclass(frozen=True)
class Detection:
    """An alert that opened the incident, as the draft's Detection shows it, once: its
    timeline line (which names the alerts only), the labels that describe them, and their
    links (text, address)."""

    line: Line
    labels: list[tuple[str, str]]
    links: list[tuple[str, str]]


@dataclass(frozen=True)
class Metric:
    """A time between two milestones; unknown when either is missing. ``words``: its name's
    key in the words (``IncidentMetric.words``)."""

    key: str
    start: MilestoneTime
    end: MilestoneTime
    words: str

    @property
    def known(self) -> bool:
        return self.start.at is not None and self.end.at is not None and not self.unmeasured

    @property
    def unmeasured(self) -> bool:
        """Time to detect when impact start was taken from the detection: no measure at all."""
        return self.start.assumed and self.end.milestone == Milestone.DETECTED

    @property
    def negative(self) -> bool:
        start, end = self.start.at, self.end.at
        return self.known and start is not None and end is not None and end < start


@dataclass(frozen=True)
class Reached:
    """How one person an escalation paged was reached: each notification that went out
    (method, when, what became of it) and their acknowledgement (``via``: how)."""

    person: str
    notified: tuple[tuple[str, datetime, str], ...]
    acknowledged_at: datetime | None = None
    via: str | None = None


@dataclass(frozen=True)
class EscalationLine:
    target: str
    at: datetime
    by: str | None  # None: the escalation policy's timer
    reason: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    # Answered: acknowledged, or a person it brought in said something first (``joined``:
    # that message's line), whichever came first.
    answered_at: datetime | None = None
    answered_by: str | None = None
    joined: Line | None = None
    # How it was answered (semantics.Answer: acknowledged, joined, stated, nobody), and for
    # an answer a person said (stated, nobody), who said it and where (``page``: the draft's).
    answered_how: str | None = None
    said_by: str | None = None
    said_where: str | None = None
    # Whom the escalation paged and how each was reached (none: nobody was paged beyond Slack).
    reached: tuple[Reached, ...] = ()
    # Those it brought in whom an alert attached to the incident had paged before it: not
    # paged again (the alert's row says how they were reached).
    paged_before: tuple[str, ...] = ()
    # The escalation policy it started, when it started one (its page links it).
    policy: str | None = None
    id: int | None = None  # the escalation's, which the draft page's form names


@dataclass(frozen=True)
class MergeNote:
    """A follow-up merged into another by a person: its words, who merged it, when."""

    text: str
    by: str | None
    at: datetime


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
    # When it is due (``--due``), and whether that had passed when the draft was written.
    due_at: datetime | None = None
    overdue: bool = False
    # Who marked it done (the reminder's button), when someone did.
    done_by: str | None = None
    marked_done: bool = False
    # The earlier follow-up of the incident this one is possibly the same as (its words, or
    # the team's model): flagged for a person to merge with one click, never merged by itself.
    alike: Action | None = None
    # The follow-up it is (``action_item:7``, ``timeline_entry:12``): what a merge names.
    ref: str = ""
    # The tasks people merged into this one (the incident's record of who and when).
    merged_from: tuple[MergeNote, ...] = ()

    @property
    def done(self) -> bool:
        """Marked done, or closed in its tracker: the draft ticks its box."""
        return self.marked_done or (self.issue is not None and self.issue.state == "closed")


@dataclass(frozen=True)
class OpenTask:
    """A follow-up of an earlier incident not done yet, as the record has it: its words, its
    owner's name, its Slack message's link, its tracker issue (key and link) if filed."""

    text: str
    owner: str | None
    link: str | None
    issue_key: str | None = None
    issue_url: str | None = None


@dataclass(frozen=True)
class Repeat:
    """An earlier related incident (bot/record/incident/related.py: the same service, component,
    alert or labels) whose follow-ups are not all done: this incident may repeat it."""

    reference: str
    title: str
    declared_at: datetime
    tasks: tuple[OpenTask, ...]


@dataclass(frozen=True)
class Lesson:
    """One participant's answer to the day-after question: a thing that went well, one that
    did not (either may be missing), as readable text, and who said it when."""

    author: str | None
    went_well: str | None
    went_wrong: str | None
    at: datetime


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
    """What a person wrote for a section of the draft, in the web view, or the model's
    suggestion a person accepted (``suggested_by``: the model)."""

    text: str
    author: str | None
    at: datetime
    suggested_by: str | None = None


@dataclass(frozen=True)
class Suggested:
    """The model's suggestion for a section, not accepted yet: the sentences the checks
    kept and those they left out, as kept (``SectionSuggestion``: text, cites, sources,
    meaning, quote; and why, for those left out)."""

    id: int
    key: str
    model: str
    made_at: datetime
    sentences: list[Mapping[str, Any]]
    unsupported: list[Mapping[str, Any]]

    @property
    def plain(self) -> str:
        """Its text as a person edits and accepts it, citations in brackets."""
        return joined(self.sentences, self.key)

    @property
    def meaning(self) -> str:
        """Whether its sentences' meaning was checked (``verification.meaning_of``)."""
        return meaning_of(self.sentences, self.unsupported)

    @property
    def checked_sentences(self) -> list[Mapping[str, Any]]:
        """The sentences a valid verdict supported with words of the entry they cite: the
        only ones the draft shows in its text before a person accepts them."""
        return [each for each in self.sentences if _meaning_state(each) == CHECKED]

    @property
    def unchecked_sentences(self) -> list[Mapping[str, Any]]:
        """The sentences whose meaning was not checked (void, missing or no verdicts; the
        meaning check off): listed apart, "Suggested, meaning not checked", never in the
        draft's text until a person accepts them, as theirs."""
        return [each for each in self.sentences if _meaning_state(each) != CHECKED]


def _meaning_state(sentence: Mapping[str, Any]) -> str:
    return str((sentence.get("meaning") or {}).get("state") or "")


@dataclass(frozen=True)
class Asked:
    """The latest time the model was asked for the written sections, and how it went
    (``answered``, ``failed`` with ``failure`` as data, ``private``: not sent)."""

    model: str
    at: datetime
    outcome: str
    failure: Mapping[str, object] | None = None


@dataclass(frozen=True)
class Slot:
    """A section of a template that a person writes: its key and what it asks for."""

    key: str
    prompt: str
