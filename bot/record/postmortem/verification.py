"""The meaning of the model's sentences, checked against the words of the entries they cite
(WARROOM_AI_VERIFY): after the mechanical checks (checks.py), the model is asked a second,
separate question, each kept sentence (``[S3] …``) followed by the record lines of the entries
it cites (``[E42] …``): is the sentence stated by them? It answers a verdict a sentence,
``supported``, ``contradicted`` or ``not_stated``, with an entry and words copied from it.

A sentence stays only when its verdict is ``supported`` and its quote is, word for word (case
and whitespace aside), in the entry it names, that entry is one the sentence cites, and the
quote shares a content word with the sentence. Any other verdict leaves it out with why, as
data (``{"rule": "contradicted", "ref": "E42", "at": …, "author": …, "quote": …}``). A
sentence the model gave no usable verdict for (no answer, not the schema, no verdict for it,
an entry not in the record, a quote longer than its entry) is kept, marked "meaning not
checked" with why: never as checked.

Pure: the request's text and the model's answer come and go through
bot/flows/postmortem/verification.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.record.postmortem.evidence import Evidence, record_lines, spans_days
from bot.record.postmortem.suggestions import Checked, Sentence, Unsupported
from bot.record.postmortem.wording import content_words, share

SUPPORTED, CONTRADICTED, NOT_STATED = "supported", "contradicted", "not_stated"
VERDICTS = (SUPPORTED, CONTRADICTED, NOT_STATED)
# What a sentence's ``meaning`` says.
CHECKED, NOT_CHECKED, OFF = "checked", "not_checked", "off"
_WORDS = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*")


@dataclass(frozen=True)
class Verdict:
    """What the model said of one sentence: its number as sent, the verdict, the entry it
    names (``E42``) and the words it copied from it."""

    sentence: int
    verdict: str
    entry: str
    quote: str


@dataclass(frozen=True)
class Numbered:
    """A kept sentence as the model is asked about it: its number (``[S3]``), its section,
    its place there."""

    number: int
    section: str
    index: int
    sentence: Sentence


def numbered(checked: Mapping[str, Checked]) -> list[Numbered]:
    """Every kept sentence, numbered from 1 across the sections."""
    found: list[Numbered] = []
    for section, each in checked.items():
        for index, sentence in enumerate(each.kept):
            found.append(Numbered(len(found) + 1, section, index, sentence))
    return found


def question_lines(asked: Sequence[Numbered], evidence: Mapping[str, Evidence]) -> list[Any]:
    """What the template of the question (templates/ai/verify.j2) makes lines of: each
    sentence (number, text), then the record lines of the entries it cites."""
    cited = [evidence[ref] for each in asked for ref in each.sentence.cites if ref in evidence]
    dated = spans_days(cited)
    return [
        {
            "number": each.number,
            "text": each.sentence.text,
            "entries": record_lines(
                [evidence[ref] for ref in each.sentence.cites if ref in evidence], dated=dated
            ),
        }
        for each in asked
    ]


def sources_of(refs: Sequence[str], evidence: Mapping[str, Evidence]) -> dict[str, dict[str, Any]]:
    """Where each cited entry is: its moment (ISO 8601, the incident's zone) and author."""
    return {ref: where_of(evidence[ref]) for ref in refs if ref in evidence}


def judged(
    checked: Mapping[str, Checked],
    evidence: Mapping[str, Evidence],
    verdicts: Sequence[Verdict] | None,
    *,
    failure: Mapping[str, Any] | None = None,
    off: bool = False,
) -> dict[str, Checked]:
    """Each section after the verdicts: the sentences kept (their meaning checked, or marked
    not checked with why), those left out with why. ``verdicts`` None: the model gave none
    (``failure`` says why), or was not asked (``off``: WARROOM_AI_VERIFY is off)."""
    asked = numbered(checked)
    first: dict[int, Verdict] = {}
    for verdict in verdicts or ():
        first.setdefault(verdict.sentence, verdict)
    kept: dict[str, list[Sentence]] = {name: [] for name in checked}
    left: dict[str, list[Unsupported]] = {
        name: [_with_sources(each, evidence) for each in checked[name].unsupported]
        for name in checked
    }
    for each in asked:
        sentence = replace(each.sentence, sources=sources_of(each.sentence.cites, evidence))
        if off:
            kept[each.section].append(replace(sentence, meaning={"state": OFF}))
            continue
        if verdicts is None:
            why = dict(failure or {"kind": "unreachable"})
            kept[each.section].append(replace(sentence, meaning={"state": NOT_CHECKED, "why": why}))
            continue
        outcome = _judge(sentence, first.get(each.number), evidence)
        if isinstance(outcome, Sentence):
            kept[each.section].append(outcome)
        else:
            left[each.section].append(Unsupported(sentence, (outcome,)))
    return {name: Checked(tuple(kept[name]), tuple(left[name])) for name in checked}


def _judge(
    sentence: Sentence, verdict: Verdict | None, evidence: Mapping[str, Evidence]
) -> Sentence | dict[str, Any]:
    """The sentence kept (meaning checked, or not checked and why), or why it is left out."""

    def unchecked(**why: Any) -> Sentence:
        return replace(sentence, meaning={"state": NOT_CHECKED, "why": why})

    if verdict is None:
        return unchecked(kind="no_verdict")
    entry = evidence.get(verdict.entry)
    quote = " ".join(verdict.quote.split())
    if verdict.verdict != SUPPORTED:
        reason: dict[str, Any] = {"rule": verdict.verdict}
        if entry is not None:
            reason |= {"ref": entry.ref, **where_of(entry)}
            if quote and quoted(quote, entry.text):
                reason["quote"] = quote
        return reason
    if entry is None:
        return unchecked(kind="unknown_entry", ref=verdict.entry[:24])
    if len(quote) > len(entry.text):
        return unchecked(kind="quote_too_long", ref=entry.ref, **where_of(entry))
    where = {"ref": entry.ref, **where_of(entry), "quote": quote}
    if not quote or not quoted(quote, entry.text):
        return {"rule": "quote_not_found", **where}
    if entry.ref not in sentence.cites:
        return {"rule": "quote_not_cited", **where}
    if not share(content_words(sentence.text), content_words(quote)):
        return {"rule": "quote_unrelated", **where}
    return replace(sentence, meaning={"state": CHECKED}, quote=where)


def quoted(quote: str, text: str) -> bool:
    """Whether ``quote`` is in ``text`` word for word, case and whitespace aside (and the
    punctuation between words: a quote may stop before a comma)."""
    words, said = _words(quote), _words(text)
    if not words:
        return False
    size = len(words)
    return any(said[at : at + size] == words for at in range(len(said) - size + 1))


def _words(text: str) -> list[str]:
    return [word.replace("’", "'") for word in _WORDS.findall(text.casefold())]


def meaning_of(sentences: Sequence[Mapping[str, Any]]) -> str:
    """Whether the meaning of these kept sentences (as kept) was checked: ``checked`` (every
    one), ``off`` (WARROOM_AI_VERIFY was off), ``not_checked`` (none: no sentence, or kept
    before the model was asked), or ``mixed``."""
    states = {str((each.get("meaning") or {}).get("state") or NOT_CHECKED) for each in sentences}
    if len(states) == 1:
        return states.pop()
    return "mixed" if states else NOT_CHECKED


def where_of(entry: Evidence) -> dict[str, Any]:
    """Where an entry is, as a reason says it: its moment (ISO 8601) and its author."""
    return {"at": entry.at.isoformat(), "author": entry.author}


def _with_sources(left: Unsupported, evidence: Mapping[str, Evidence]) -> Unsupported:
    """A sentence the mechanical checks left out, with where its citations are."""
    sources = sources_of(left.sentence.cites, evidence)
    padding = [
        {"ref": ref, **where_of(evidence[ref])}
        for reason in left.why
        if reason.get("rule") == "padding"
        for ref in reason.get("refs") or []
        if ref in evidence
    ]
    why = tuple(
        {**reason, "sources": padding} if reason.get("rule") == "padding" else reason
        for reason in left.why
    )
    return Unsupported(replace(left.sentence, sources=sources), why)
