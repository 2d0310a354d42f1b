"""What the record's facts mean for a draft: when the mitigation worked and when the impact
ended, where a milestone set by hand stands in the timeline, what each misleading path was and
what ruled it out, and whether each escalation was answered. Pure: the record is read by
bot.record.postmortem.writing, and nothing here invents a fact. What is read rather than
recorded says where it comes from, and a proposal says it is one.

The rules, with their reasons (README, "The postmortem draft"):

- A mitigation (an action marked :white_check_mark:) is when the fix started; it is confirmed
  by the next recovery signal: a message marked recovered, the incident's alerts all
  resolving, impact ended set by hand, or ``/incident time mitigated``.
- Impact ended is a milestone of its own. Unset, it is proposed from the alerts' resolution,
  else the last message marked recovered, else the confirmed mitigation, and marked "to
  confirm".
- One fact, one line: a milestone set by hand to the moment of a line of its kind is that
  line, else the line of a message its setter said in that minute and marked with a
  reaction, else of the marked message one other person said then (the commander setting the
  time of a teammate's message); a resolve typed after a resolution time set by hand stands
  at that time; impact ended in the same minute as the resolution is said on the
  resolution's line.
- A misleading path runs from the idea to what ruled it out: the first reply in the idea's
  thread, else the next message marked with any of the incident's reactions. A person may
  say, answering the :x:'s prompt, that the marked message is what ruled out an earlier idea.
- A person may say, answering an idea's own question (in Slack or on the draft's page), which
  later message ruled it out and/or what did in their words, with its time if they know it:
  the draft shows it as theirs, never as a message of the channel.
- An escalation is answered by an acknowledgement or by the first message of a person it
  brought in, whichever came first; when the record has neither, by who a person said
  answered and when, or that nobody did, as they said it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar, cast

from bot.record.incident.timeline import EntryMoment
from bot.record.postmortem.parts import (
    ALSO_ENDED,
    ALSO_ENDED_PROPOSED,
    ALSO_FOLLOWED,
    ALSO_MILESTONE,
    ALSO_PAGED,
    ALSO_SAID,
    ALSO_SET,
    FROM_ALERT,
    FROM_ENDED,
    FROM_MITIGATION,
    FROM_RECOVERED,
    FROM_SAID,
    FROM_SET,
    Line,
    MilestoneTime,
    MisleadingPath,
    Mitigation,
    Stated,
)
from bot.store.models import Milestone, TimelineKind

# The kinds of line a milestone set by hand is, when it names that line's moment.
_MATCHING: Mapping[Milestone, frozenset[str]] = {
    Milestone.STARTED: frozenset(),
    Milestone.DETECTED: frozenset({TimelineKind.DETECTION.value}),
    Milestone.DECLARED: frozenset({TimelineKind.DECLARED.value}),
    Milestone.ACKNOWLEDGED: frozenset({TimelineKind.ACKNOWLEDGED.value}),
    Milestone.MITIGATED: frozenset({TimelineKind.MITIGATION.value}),
    Milestone.ENDED: frozenset({TimelineKind.RECOVERED.value}),
    Milestone.RESOLVED: frozenset({TimelineKind.RESOLVED.value}),
}


# The kinds of entry a reaction makes of a message (WARROOM_REACTIONS maps only to these).
MARKED_KINDS = frozenset(
    {
        TimelineKind.KEY_EVENT.value,
        TimelineKind.INVESTIGATION.value,
        TimelineKind.MISLEADING.value,
        TimelineKind.ROOT_CAUSE.value,
        TimelineKind.MITIGATION.value,
        TimelineKind.RECOVERED.value,
        TimelineKind.FOLLOW_UP.value,
    }
)


# Kinds compared with each of thousands of lines, as plain strings (an enum member's lookup
# costs more than the comparison).
_MITIGATION = TimelineKind.MITIGATION.value
_RECOVERED = TimelineKind.RECOVERED.value
_MISLEADING = TimelineKind.MISLEADING.value
_INVESTIGATION = TimelineKind.INVESTIGATION.value
_KEY_EVENT = TimelineKind.KEY_EVENT.value
# A message marked misleading that a person said rules out an earlier idea (writing.RULED_OUT).
_RULED_OUT = "ruled_out"


def minute(moment: datetime) -> int:
    """The minute a moment falls in: people type minutes, and Slack's messages have seconds."""
    return int(moment.timestamp()) // 60


# -- mitigation and impact ended -----------------------------------------------------------
def mitigation_of(
    lines: Sequence[Line],
    milestones: Mapping[str, MilestoneTime],
    alerts_resolved: Line | None,
    said_back: Sequence[Line] = (),
) -> Mitigation:
    """The first action marked mitigation, and what confirmed it worked (None: nothing yet).
    ``said_back``: messages after it saying the service is back, when nobody marked
    recovery; the first is proposed, to confirm, when nothing else says it worked."""
    started = next((line for line in lines if line.kind == _MITIGATION), None)
    mitigated = milestones[Milestone.MITIGATED]
    if mitigated.set_by and mitigated.at is not None:
        confirmed = MilestoneTime(
            Milestone.MITIGATED.value, mitigated.at, mitigated.set_by, source=FROM_SET
        )
        return Mitigation(started, confirmed)
    if started is None:
        return Mitigation(None, None)
    since = minute(started.at)
    signals: list[tuple[datetime, str, Line | None]] = [
        (line.at, FROM_RECOVERED, line)
        for line in lines
        if line.kind == _RECOVERED and minute(line.at) >= since
    ]
    if alerts_resolved is not None and minute(alerts_resolved.at) >= since:
        signals.append((alerts_resolved.at, FROM_ALERT, alerts_resolved))
    ended = milestones[Milestone.ENDED]
    if ended.set_by and ended.at is not None and minute(ended.at) >= since:
        signals.append((ended.at, FROM_ENDED, None))
    if not signals:
        back = next((line for line in said_back if minute(line.at) >= since), None)
        if back is None:
            return Mitigation(started, None)
        proposed = MilestoneTime(
            Milestone.MITIGATED.value, back.at, source=FROM_SAID, proposed=True, line=back
        )
        return Mitigation(started, proposed)
    at, source, line = min(signals, key=lambda signal: signal[0])
    return Mitigation(
        started, MilestoneTime(Milestone.MITIGATED.value, at, source=source, line=line)
    )


def impact_end(
    lines: Sequence[Line],
    milestones: Mapping[str, MilestoneTime],
    alerts_resolved: Line | None,
    mitigation: Mitigation,
    said_back: Sequence[Line] = (),
) -> MilestoneTime:
    """Impact ended as set, else proposed from the record (to confirm), else unknown."""
    ended = milestones[Milestone.ENDED]
    if ended.at is not None:
        return ended

    def proposed(at: datetime, source: str, line: Line | None) -> MilestoneTime:
        return MilestoneTime(ended.milestone, at, source=source, proposed=True, line=line)

    if alerts_resolved is not None:
        return proposed(alerts_resolved.at, FROM_ALERT, alerts_resolved)
    recovered = [line for line in lines if line.kind == _RECOVERED]
    if recovered:  # the last: a service back in parts is back when its last part is
        return proposed(recovered[-1].at, FROM_RECOVERED, recovered[-1])
    confirmed = mitigation.confirmed
    if confirmed is not None and confirmed.at is not None and confirmed.source != FROM_SAID:
        return proposed(confirmed.at, FROM_MITIGATION, confirmed.line)
    if mitigation.started is not None:
        since = minute(mitigation.started.at)
        back = [line for line in said_back if minute(line.at) >= since]
        if back:  # the last, as for messages marked recovered
            return proposed(back[-1].at, FROM_SAID, back[-1])
    return ended


# -- where milestones set by hand stand ---------------------------------------------------
class Standing(Protocol):
    """What decides where a line stands in the timeline: its moment and its kind."""

    @property
    def at(self) -> datetime: ...

    @property
    def kind(self) -> str: ...


StandingT = TypeVar("StandingT", bound=Standing)


@dataclass
class Places:
    """Where the milestones go in a timeline: lines of their own (``alone``), lines moved to
    a milestone's moment (by the line's ``id``), and what else a line stands for (``also``)."""

    alone: list[Line] = field(default_factory=list)
    moved: dict[int, datetime] = field(default_factory=dict)
    also: dict[int, tuple[str, ...]] = field(default_factory=dict)

    def add(self, line: object, mark: str) -> None:
        self.also[id(line)] = (*self.also.get(id(line), ()), mark)

    def place(self, line: StandingT) -> StandingT:
        """The line where it stands, with what else it stands for (lines only)."""
        key = id(line)
        moved, also = self.moved.get(key), self.also.get(key)
        if moved is None and also is None:
            return line
        if isinstance(line, Line):
            changed = line._replace(at=moved or line.at, also=(*line.also, *(also or ())))
            return cast(StandingT, changed)
        if isinstance(line, EntryMoment) and moved is not None:
            return cast(StandingT, line._replace(at=moved))
        return line


def places(lines: Sequence[Standing], milestones: Mapping[str, MilestoneTime]) -> Places:
    """Where each milestone set by hand, and impact ended, stand among ``lines``."""
    placed = Places()
    resolution: Standing | None = None
    for time in milestones.values():
        milestone = Milestone(time.milestone)
        if milestone == Milestone.ENDED or not time.set_by or time.at is None:
            continue
        target = _named_line(lines, milestone, time.at)
        said = None if target is not None else _said_then(lines, time.set_by, time.at)
        if said is not None:
            placed.add(said, f"{ALSO_MILESTONE}{milestone.value}")
            target = said
        elif target is None:
            target = Line(time.at, f"milestone_{milestone.value}", "", time.set_by)
            placed.alone.append(target)
        else:
            placed.add(target, ALSO_SET)
            if minute(target.at) != minute(time.at):
                placed.moved[id(target)] = _last_in_minute(lines, time.at)
        if milestone == Milestone.RESOLVED:
            resolution = target
    resolved = milestones.get(Milestone.RESOLVED)
    if resolution is None and resolved is not None and resolved.at is not None:
        resolution = _last(lines, {TimelineKind.RESOLVED.value}, minute(resolved.at))
    ended = milestones.get(Milestone.ENDED)
    if ended is not None:
        _place_end(lines, ended, resolution, placed)
    return placed


def _place_end(
    lines: Sequence[Standing],
    ended: MilestoneTime,
    resolution: Standing | None,
    placed: Places,
) -> None:
    """Impact ended: on the resolution's line when in its minute (one line saying both), on
    the line it was proposed from, on a line marked recovered in its minute, else alone."""
    if ended.at is None or not (ended.set_by or ended.proposed):
        return
    mark = ALSO_ENDED_PROPOSED if ended.proposed else ALSO_ENDED
    if resolution is not None:
        standing = placed.moved.get(id(resolution), resolution.at)
        if minute(standing) == minute(ended.at):
            placed.add(resolution, mark)
            return
    if ended.proposed:
        source = ended.line
        if source is not None:  # the line itself, or the same line drawn again (a page's)
            found = next((line for line in lines if _same(line, source)), None)
            if found is not None:
                placed.add(found, mark)
        return
    target = _named_line(lines, Milestone.ENDED, ended.at)
    said = _said_then(lines, ended.set_by, ended.at) if target is None else None
    if target is not None:
        placed.add(target, mark)
    elif said is not None:
        placed.add(said, f"{ALSO_MILESTONE}{Milestone.ENDED.value}")
    else:
        placed.alone.append(Line(ended.at, f"milestone_{Milestone.ENDED.value}", "", ended.set_by))


def _said_then(lines: Sequence[Standing], person: str | None, at: datetime) -> Standing | None:
    """The message a milestone set by hand to ``at``'s minute points at, one line: the first
    that ``person`` (its setter) said then and a reaction marked, else the only marked
    message anyone said then (a commander setting the time of a teammate's message); two
    people's in that minute leave the milestone a line of its own."""
    if not person:
        return None
    marked = [line for line in lines if line.kind in MARKED_KINDS and minute(line.at) == minute(at)]
    own = next((line for line in marked if getattr(line, "author", None) == person), None)
    if own is not None:
        return own
    authors = {getattr(line, "author", None) for line in marked}
    return marked[0] if len(authors) == 1 else None


def _same(line: Standing, other: Line) -> bool:
    """The same line, or the same one drawn again (a page's): its moment, kind and words;
    a line the draft made for a moment its timeline did not hold says no words."""
    if line is other:
        return True
    if not isinstance(line, Line) or (line.at, line.kind) != (other.at, other.kind):
        return False
    return not other.text or line.text == other.text


def _last_in_minute(lines: Sequence[Standing], at: datetime) -> datetime:
    """``at``, or the latest moment of a line in its minute: a resolve moved back to the time
    set for it stands after what else happened in that minute (the fix, its confirmation)."""
    same = [line.at for line in lines if minute(line.at) == minute(at)]
    return max([at, *same])


def _named_line(lines: Sequence[Standing], milestone: Milestone, at: datetime) -> Standing | None:
    """The line a milestone set by hand names: one of its kind in its minute; for the
    resolution, the last resolve typed at or after it (the time was set back to the fix)."""
    kinds = _MATCHING[milestone]
    if milestone == Milestone.RESOLVED:
        later = [line for line in lines if line.kind in kinds and minute(line.at) >= minute(at)]
        return later[-1] if later else None
    return _last(lines, kinds, minute(at), first=True)


def _last(
    lines: Sequence[Standing], kinds: Collection[str], at_minute: int, *, first: bool = False
) -> Standing | None:
    """The last (or ``first``) line of ``kinds`` in that minute."""
    found = [line for line in lines if line.kind in kinds and minute(line.at) == at_minute]
    return (found[0] if first else found[-1]) if found else None


# -- one fact, one line: a message's marks, an escalation's pages and its announcement ----
# Words that say a message announces an escalation (en, fr), by how they begin.
_ESCALATING = ("escalat", "escalad", "paging", "bringing in", "looping in", "j'appelle")
_WORD = re.compile(r"\w{3,}")
_TARGET_NOISE = frozenset({"level", "niveau", "call", "astreinte", "the", "team"})


def announces(said: str, target: str) -> bool:
    """Whether a person's words announce an escalation to ``target``: they say they
    escalate (page, bring in), or name the target (a person, a group, a schedule)."""
    words = said.casefold()
    if any(marker in words for marker in _ESCALATING):
        return True
    named = set(_WORD.findall(target.casefold())) - _TARGET_NOISE
    return bool(named & set(_WORD.findall(words)))


def one_line_each(
    lines: Sequence[Line],
    stamps: Sequence[str | None],
    paged: Mapping[int, tuple[str, tuple[tuple[str, tuple[str, ...]], ...]]],
) -> list[Line]:
    """The timeline's lines with each fact once. ``stamps``: each line's Slack message (its
    ts); ``paged``: by the index of an escalation's line, its target and whom it paged how.

    - An escalation's line says whom it paged and how (its notifications are no lines of
      their own: ``curated_timeline`` leaves them out).
    - A message marked investigation and then otherwise (a dead end, the cause) is one line,
      of the other kind, saying it was followed first.
    - A message marked key event that announces an escalation its author made in the same
      minute is that escalation's line, linked to the message and quoting it.
    """
    shown: list[Line | None] = list(lines)
    for index, line in enumerate(lines):
        if index in paged and paged[index][1]:
            shown[index] = line._replace(paged=paged[index][1], also=(*line.also, ALSO_PAGED))
    for followed, later in followed_first([line.kind for line in lines], stamps).items():
        shown[followed] = None
        kept = shown[later]
        if kept is not None and ALSO_FOLLOWED not in kept.also:
            shown[later] = kept._replace(also=(*kept.also, ALSO_FOLLOWED))
    for index, line in enumerate(lines):
        if line.kind == _KEY_EVENT and line.author:
            _announced(shown, index, line, paged)
    return [line for line in shown if line is not None]


def followed_first(kinds: Sequence[str], stamps: Sequence[str | None]) -> dict[int, int]:
    """By its index, each line of a message marked investigation that was also marked
    otherwise (a dead end, the cause): the index of the line that says both (the last other
    mark). A long timeline's pages decide the same from the entries' moments."""
    # The messages marked investigation first (a few of a long timeline's lines), then the
    # other marks of those messages alone: not a list for every marked message.
    investigated: dict[str, list[int]] = {}
    for index, (kind, ts) in enumerate(zip(kinds, stamps, strict=True)):
        if ts and kind == _INVESTIGATION:
            investigated.setdefault(ts, []).append(index)
    if not investigated:
        return {}
    last_other: dict[str, int] = {}
    for index, (kind, ts) in enumerate(zip(kinds, stamps, strict=True)):
        if (
            ts in investigated
            and kind != _INVESTIGATION
            and (kind in MARKED_KINDS or kind == _RULED_OUT)
        ):
            last_other[ts] = index
    return {
        at: last_other[ts]
        for ts, indexes in investigated.items()
        if ts in last_other
        for at in indexes
    }


def _announced(
    shown: list[Line | None],
    index: int,
    key: Line,
    paged: Mapping[int, tuple[str, tuple[tuple[str, tuple[str, ...]], ...]]],
) -> None:
    """The key event at ``index`` said on the line of the escalation it announces, if any."""
    for at, (target, _) in paged.items():
        line = shown[at]
        if (
            line is not None
            and line.author == key.author
            and minute(line.at) == minute(key.at)
            and announces(key.text, target)
        ):
            shown[at] = line._replace(
                link=key.link or line.link, said=key.text, also=(*line.also, ALSO_SAID)
            )
            shown[index] = None
            return


# -- misleading paths ----------------------------------------------------------------------
@dataclass(frozen=True)
class PathFacts:
    """What the record says about the paths besides their lines: by the marked message's
    ts, the first reply in its thread and the earlier idea a prompt's answer says it rules
    out (each as the line a draft shows), and what a person said ruled the idea out (the
    message they picked, if any, and their words)."""

    replies: Mapping[str, Line] = field(default_factory=dict)
    ideas: Mapping[str, Line] = field(default_factory=dict)
    ends: Mapping[str, tuple[Line | None, Stated]] = field(default_factory=dict)


def misleading_paths(
    lines: Sequence[Line],
    stamps: Sequence[str | None],
    facts: PathFacts,
    marked_kinds: Collection[str],
) -> list[MisleadingPath]:
    """Each misleading path with what ruled it out, in the order the ideas came (an idea a
    later marked message ruled out stands at its own time). ``stamps``: each line's Slack
    message (its ts), None for a line that came from none; ``marked_kinds``: the kinds the
    incident's reactions make."""
    result: list[MisleadingPath] = []
    for index in [at for at, line in enumerate(lines) if line.kind == _MISLEADING]:
        line, ts = lines[index], stamps[index]
        idea = facts.ideas.get(ts) if ts else None
        if idea is not None:  # the marked message is what ruled out an earlier idea
            result.append(MisleadingPath(idea, line, MisleadingPath.ANSWERED, ts=ts))
            continue
        end = facts.ends.get(ts) if ts else None
        if end is not None:  # a person said what ruled it out, answering its question
            result.append(MisleadingPath(line, end[0], MisleadingPath.STATED, end[1], ts))
            continue
        reply = facts.replies.get(ts) if ts else None
        if reply is not None:
            result.append(MisleadingPath(line, reply, MisleadingPath.REPLY, ts=ts))
            continue
        marked = _next_marked(lines, stamps, index, marked_kinds)
        how = MisleadingPath.MARKED if marked is not None else None
        result.append(MisleadingPath(line, marked, how, ts=ts))
    return sorted(result, key=lambda path: path.line.at)


def _next_marked(
    lines: Sequence[Line], stamps: Sequence[str | None], index: int, kinds: Collection[str]
) -> Line | None:
    """The next line, after ``lines[index]``, of a message marked with any of the reactions
    (another of the same message's marks does not count)."""
    line, ts = lines[index], stamps[index]
    for later in range(index + 1, len(lines)):
        candidate = lines[later]
        if candidate.kind in kinds and candidate.at >= line.at and stamps[later] != ts:
            return candidate
    return None


# -- escalations ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Answer:
    """How an escalation was answered: when, by whom, and how (``ACKNOWLEDGED`` or
    ``JOINED``, by a first message; ``STATED``: as a person said, or ``NOBODY`` answered, as
    a person said, ``said_by``, ``where``), with the message when there is one."""

    ACKNOWLEDGED = "acknowledged"
    JOINED = "joined"
    STATED = "stated"
    NOBODY = "nobody"

    at: datetime | None
    by: str | None
    how: str
    line: Line | None = None
    said_by: str | None = None
    where: str | None = None


def answer_of(
    acknowledged_at: datetime | None,
    acknowledged_by: str | None,
    joined: Line | None,
    said: Answer | None = None,
) -> Answer | None:
    """The earlier of the acknowledgement and the first message; else what a person said
    (``said``: the record's facts win over it); None if nothing."""
    if joined is not None and (acknowledged_at is None or joined.at < acknowledged_at):
        return Answer(joined.at, joined.author, Answer.JOINED, joined)
    if acknowledged_at is not None:
        return Answer(acknowledged_at, acknowledged_by, Answer.ACKNOWLEDGED)
    return said
