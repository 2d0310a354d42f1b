"""The record as the team's model reads it, and as the checks of its sentences read it: one
``Evidence`` per timeline entry, with its reference (``E42``: the entry's id, the same for
every draft of the incident), its moment in the incident's zone, its author, its text as the
draft reads it, the people it is by or names, and its link to Slack.

The model is sent the lines ``record_lines`` makes of them (``[E42] 03:42 UTC Dave Kowalski
(misleading path): Database is healthy``), nothing else of the record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from bot.basics.slack_text import mentioned_users
from bot.record.incident import timeline
from bot.record.incident.timeline import EntryRow

# A record this long (in characters) is cut in its middle before it is sent: the start and the
# end of an incident say most of what a summary needs, and a local model's context is finite.
RECORD_MAX_CHARS = 120_000
_REF_PREFIX = "E"


@dataclass(frozen=True)
class Evidence:
    """One entry of the record, as sentences are checked against it."""

    ref: str
    kind: str
    at: datetime  # in the incident's zone
    author: str | None
    text: str
    people: frozenset[str]  # the names of those it is by or names
    link: str | None
    # The Slack user whose words these are (a message's author, the person who declared or
    # wrote the entry); None when no person wrote them (an alert, a change, warroom itself).
    # An address a sentence gives is held only by an entry a member of the workspace wrote.
    writer: str | None = None


def entry_ref(entry_id: int) -> str:
    """``E42``: how the model and the draft cite the entry with id 42."""
    return f"{_REF_PREFIX}{entry_id}"


def evidence_of(
    entries: Iterable[EntryRow],
    names: Mapping[str, str],
    sentence: Callable[[EntryRow], str],
    zone: tzinfo | None,
) -> dict[str, Evidence]:
    """Each entry of the record by its reference; ``sentence`` says an entry as the draft
    does (bot.record.postmortem.writing.entry_sentences)."""

    def name(user: str | None) -> str | None:
        return names.get(user, user) if user else None

    found = {}
    for entry in entries:
        if entry.id is None:
            continue
        people = {entry.author} if entry.author else set()
        if entry.facts:
            people |= set(timeline.people_in(entry.facts))
        if "<@" in entry.text:
            people |= set(mentioned_users(entry.text))
        found[entry_ref(entry.id)] = Evidence(
            ref=entry_ref(entry.id),
            kind=entry.kind,
            at=entry.occurred_at.astimezone(zone),
            author=name(entry.author),
            text=" / ".join(part for part in sentence(entry).splitlines() if part.strip()),
            people=frozenset(filter(None, (name(user) for user in people))),
            link=entry.permalink,
            writer=entry.author,
        )
    return found


def record_lines(evidence: Iterable[Evidence], *, dated: bool) -> list[dict[str, Any]]:
    """What the template of the model's request (templates/ai/) makes a line each:
    reference, time in the incident's zone (``03:42 UTC``; with the date first when the
    incident spans days: ``dated``), kind, author and text."""
    lines = []
    for each in evidence:
        clock = f"{each.at:%H:%M} {each.at.tzname() or ''}".strip()
        lines.append(
            {
                "ref": each.ref,
                "time": f"{each.at:%Y-%m-%d} {clock}" if dated else clock,
                "kind": each.kind,
                "author": each.author,
                "text": each.text,
            }
        )
    return lines


def within(lines: list[dict[str, Any]], limit: int = RECORD_MAX_CHARS) -> tuple[list[Any], int]:
    """The lines, cut in the middle to about ``limit`` characters; and how many were left out
    (the template says so where they were)."""
    sizes = [len(str(line["text"])) + 40 for line in lines]
    if sum(sizes) <= limit:
        return lines, 0
    head: list[dict[str, Any]] = []
    tail: list[dict[str, Any]] = []
    budget = limit // 2
    for line, size in zip(lines, sizes, strict=True):
        if size > budget:
            break
        head.append(line)
        budget -= size
    budget = limit // 2
    for line, size in zip(reversed(lines[len(head) :]), reversed(sizes[len(head) :]), strict=True):
        if size > budget:
            break
        tail.append(line)
        budget -= size
    tail.reverse()
    return [*head, None, *tail], len(lines) - len(head) - len(tail)


def spans_days(evidence: Iterable[Evidence]) -> bool:
    return len({each.at.date() for each in evidence}) > 1
