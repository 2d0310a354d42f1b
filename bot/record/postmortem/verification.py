"""The meaning of the model's sentences, checked against the words of the entries they cite
(WARROOM_AI_VERIFY): after the mechanical checks (checks.py), the model is asked a second,
separate question, each kept sentence (``[S3] …``) followed by the record lines of the entries
it cites (``[E42] …``): is the sentence stated by them? It answers a verdict a sentence,
``supported``, ``contradicted`` or ``not_stated``, with an entry and words copied from it.

A sentence stays only when its verdict is ``supported`` and its quote is, word for word (case
and whitespace aside), in the entry it names, that entry is one the sentence cites, and the
quote shares a content word or an identifier with the sentence (a duration: the quote may be
the time of a cited entry, as its line gives it). Any other verdict leaves it out with why, as
data (``{"rule": "contradicted", "ref": "E42", "at": …, "author": …, "quote": …}``), and so
does no verdict at all, or one naming an entry the request did not hold.

Controls (controls.py), the sentences themselves each changed in one checkable way, are
numbered among them: a model that calls one supported (a negation: and its sentence too) has
its request's verdicts void, and every sentence is kept marked "meaning not checked: the
model failed a control", as when it gave no verdicts (no answer, not the schema) or when no
control could be made (``no_controls``: a record or a draft too small): never as checked, and
never in the draft's text (a person accepts it there, as theirs). A sentence the model
"supported" with a quote no entry holds is refused all the same, void verdicts or not.

Pure: the request's text and the model's answer come and go through
bot/flows/postmortem/verification.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.record.postmortem.controls import NEGATION, Control, clock
from bot.record.postmortem.evidence import Evidence, record_lines, spans_days
from bot.record.postmortem.suggestions import Checked, Sentence, Unsupported
from bot.record.postmortem.wording import (
    content_words,
    share_words,
    stated_minutes,
    states_duration,
)

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


@dataclass(frozen=True)
class Question:
    """What one verdicts request asks: the kept sentences and the controls (controls.py),
    numbered in one shuffled order so that the model cannot tell them apart."""

    asked: tuple[Numbered, ...]
    controls: tuple[tuple[int, Control], ...] = ()

    @property
    def sent(self) -> frozenset[str]:
        """The entries whose lines the request holds."""
        refs = {ref for each in self.asked for ref in each.sentence.cites}
        return frozenset(refs | {ref for _, control in self.controls for ref in control.cites})


def question_of(
    checked: Mapping[str, Checked],
    controls: Sequence[Control] = (),
    shuffle: Callable[[list[Any]], None] | None = None,
) -> Question:
    """The kept sentences and the controls, shuffled (``shuffle``: the caller's random
    source's) and numbered from 1."""
    items: list[Numbered | Control] = [*numbered(checked), *controls]
    if shuffle is not None:
        shuffle(items)
    asked: list[Numbered] = []
    mixed: list[tuple[int, Control]] = []
    for number, item in enumerate(items, start=1):
        if isinstance(item, Control):
            mixed.append((number, item))
        else:
            asked.append(replace(item, number=number))
    return Question(tuple(asked), tuple(mixed))


def question_lines(question: Question, evidence: Mapping[str, Evidence]) -> list[Any]:
    """What the template of the question (templates/ai/verify.j2) makes lines of: each
    sentence (number, text), then the record lines of the entries it cites, in the numbers'
    order."""
    said = [(each.number, each.sentence.text, each.sentence.cites) for each in question.asked]
    said += [(number, control.text, control.cites) for number, control in question.controls]
    said.sort()
    cited = [evidence[ref] for _, _, cites in said for ref in cites if ref in evidence]
    dated = spans_days(cited)
    return [
        {
            "number": number,
            "text": text,
            "entries": record_lines(
                [evidence[ref] for ref in cites if ref in evidence], dated=dated
            ),
        }
        for number, text, cites in said
    ]


def sources_of(refs: Sequence[str], evidence: Mapping[str, Evidence]) -> dict[str, dict[str, Any]]:
    """Where each cited entry is: its moment (ISO 8601, the incident's zone) and author."""
    return {ref: where_of(evidence[ref]) for ref in refs if ref in evidence}


def failed_controls(question: Question, verdicts: Sequence[Verdict]) -> dict[str, int]:
    """How the model did on the controls: the false ones it called supported (a negation
    counts when it called its sentence supported too: one of the two is false), or, when it
    answered none of them, how many it left unanswered (it gave no sign of reading them).
    Empty when it passed them all."""
    first = _first(verdicts)
    numbers = {(each.sentence.text, each.sentence.cites): each.number for each in question.asked}
    wrong = 0
    for number, control in question.controls:
        verdict = first.get(number)
        if verdict is None or verdict.verdict != SUPPORTED:
            continue
        if control.kind == NEGATION:
            base = first.get(numbers.get((control.base, control.cites), 0))
            if base is None or base.verdict != SUPPORTED:
                continue
        wrong += 1
    if question.controls and not any(number in first for number, _ in question.controls):
        return {"unanswered": len(question.controls)}
    return {"false_supported": wrong} if wrong else {}


def judged(
    checked: Mapping[str, Checked],
    evidence: Mapping[str, Evidence],
    verdicts: Sequence[Verdict] | None,
    *,
    question: Question | None = None,
    failure: Mapping[str, Any] | None = None,
    off: bool = False,
    controlled: bool = True,
) -> dict[str, Checked]:
    """Each section after the verdicts: the sentences kept (their meaning checked, or marked
    not checked with why), those left out with why. ``verdicts`` None: the model gave none
    (``failure`` says why), or was not asked (``off``: WARROOM_AI_VERIFY is off).
    ``question``: what was asked (the sentences as numbered, and the controls): a model that
    failed a control has its verdicts void, and every sentence is marked not checked; so are
    verdicts given with no control among the sentences (``controlled``: unless the caller
    measures what verdicts without controls would keep)."""
    question = question or question_of(checked)
    first = _first(verdicts or ())
    verdicts, failure = _voided(question, verdicts, failure, controlled=controlled)
    kept: dict[str, list[Sentence]] = {name: [] for name in checked}
    left: dict[str, list[Unsupported]] = {
        name: [_with_sources(each, evidence) for each in checked[name].unsupported]
        for name in checked
    }
    twins = {(control.base, control.cites) for _, control in question.controls}
    for each in sorted(question.asked, key=lambda asked: (asked.section, asked.index)):
        sentence = replace(each.sentence, sources=sources_of(each.sentence.cites, evidence))
        if off:
            kept[each.section].append(replace(sentence, meaning={"state": OFF}))
            continue
        said = first.get(each.number)
        contradicted = said is not None and said.verdict == CONTRADICTED
        proved = None if off or contradicted else spanned(sentence, evidence)
        if proved is not None:
            kept[each.section].append(proved)
            continue
        if verdicts is None:
            outcome = _not_checked(sentence, said, evidence, question, failure)
        else:
            outcome = _judge(sentence, said, evidence, question.sent)
            if controlled:
                outcome = _untested(outcome, twins)
        if isinstance(outcome, Sentence):
            kept[each.section].append(outcome)
        else:
            left[each.section].append(Unsupported(sentence, (outcome,)))
    return {name: Checked(tuple(kept[name]), tuple(left[name])) for name in checked}


def _voided(
    question: Question,
    verdicts: Sequence[Verdict] | None,
    failure: Mapping[str, Any] | None,
    *,
    controlled: bool,
) -> tuple[Sequence[Verdict] | None, Mapping[str, Any] | None]:
    """The verdicts and the failure, the verdicts void (None, with why) when no control was
    among the sentences (unless not ``controlled``) or the model failed one."""
    if verdicts is not None and failure is None and controlled and not question.controls:
        return None, {"kind": "no_controls"}
    if verdicts is not None and failure is None:
        failed = failed_controls(question, verdicts)
        if failed:
            return None, {"kind": "failed_control", **failed}
    return verdicts, failure


def _not_checked(
    sentence: Sentence,
    said: Verdict | None,
    evidence: Mapping[str, Evidence],
    question: Question,
    failure: Mapping[str, Any] | None,
) -> Sentence | dict[str, Any]:
    """A sentence without verdicts, marked not checked with why. Void verdicts (a failed
    control) still refuse a sentence "supported" by words its entry does not hold, or by an
    entry the request did not hold: an invented quote is a lie whatever else the request's
    verdicts are."""
    invented = _invented(sentence, said, evidence, question.sent)
    if invented is not None:
        return invented
    why = dict(failure or {"kind": "unreachable"})
    return replace(sentence, meaning={"state": NOT_CHECKED, "why": why})


def _first(verdicts: Sequence[Verdict]) -> dict[int, Verdict]:
    """Each sentence's verdict: the first the model gave for its number."""
    first: dict[int, Verdict] = {}
    for verdict in verdicts:
        first.setdefault(verdict.sentence, verdict)
    return first


def _judge(
    sentence: Sentence,
    verdict: Verdict | None,
    evidence: Mapping[str, Evidence],
    sent: frozenset[str],
) -> Sentence | dict[str, Any]:
    """The sentence kept, its meaning checked, or why it is left out: a verdict other than
    supported, none at all, one naming an entry the request did not hold, a quote that is not
    that entry's words, not of an entry the sentence cites, or unrelated to it."""
    span = spanned(sentence, evidence)
    if span is not None and (verdict is None or verdict.verdict != CONTRADICTED):
        # Proved by the times of its entries, whatever the model said of its words.
        return span
    if verdict is None:
        return {"rule": "no_verdict"}
    entry = evidence.get(verdict.entry) if verdict.entry in sent else None
    quote = " ".join(verdict.quote.split())
    if verdict.verdict != SUPPORTED:
        reason: dict[str, Any] = {"rule": verdict.verdict}
        if entry is not None:
            reason |= {"ref": entry.ref, **where_of(entry)}
            if quote and quoted(quote, entry.text):
                reason["quote"] = quote
        return reason
    if entry is None:
        return {"rule": "entry_not_sent", "ref": verdict.entry[:24]}
    where = {"ref": entry.ref, **where_of(entry), "quote": _cut(quote)}
    # A duration is held by the times of the entries the sentence cites: the time of one, as
    # its line gives it, proves it as well as its words, when the times agree with it (within
    # a minute); they say otherwise: refused.
    timed = states_duration(sentence.text) and quote in {f"{entry.at:%H:%M}", clock(entry.at)}
    if timed and not within_spans(sentence, evidence):
        return {"rule": "duration", "said": _cut(sentence.text, 80), "refs": list(sentence.cites)}
    if not timed and (not quote or not quoted(quote, entry.text)):
        return {"rule": "quote_not_found", **where}
    if entry.ref not in sentence.cites:
        return {"rule": "quote_not_cited", **where}
    if not timed and not share_words(sentence.text, quote):
        return {"rule": "quote_unrelated", **where}
    return replace(sentence, meaning={"state": CHECKED}, quote=where)


def _invented(
    sentence: Sentence,
    verdict: Verdict | None,
    evidence: Mapping[str, Evidence],
    sent: frozenset[str],
) -> dict[str, Any] | None:
    """Why a sentence is refused although the request's verdicts are void: the model called
    it supported with a quote no entry it names holds (``quote_not_found``) or naming an entry
    the request did not hold (``entry_not_sent``); None for any other verdict, or none."""
    if verdict is None or verdict.verdict != SUPPORTED:
        return None
    outcome = _judge(sentence, verdict, evidence, sent)
    if isinstance(outcome, dict) and outcome.get("rule") in {"quote_not_found", "entry_not_sent"}:
        return outcome
    return None


# What a sentence that gives a span may say besides the entries' own words ("The outage
# lasted 13 minutes.", "La panne a duré 13 minutes.").
_SPAN_WORDS = content_words(
    "lasted last lasting took take taking outage outages impact impacts incident incidents "
    "total whole span duration later after between until till minutes minute hours hour "
    "overall about roughly around within dura durée duré panne incident impact plus tard "
    "après entre jusqu'à environ heures heure"
)
# How far a stated duration may be from the span of the entries' times.
SPAN_SLACK_MINUTES = 1.0


def _spans(cited: Sequence[Evidence], minutes: int) -> tuple[Evidence, Evidence] | None:
    """Two of the cited entries whose times are ``minutes`` apart, within a minute."""
    for earlier in cited:
        for later in cited:
            apart = (later.at - earlier.at).total_seconds() / 60
            if later.at > earlier.at and abs(apart - minutes) <= SPAN_SLACK_MINUTES:
                return earlier, later
    return None


def within_spans(sentence: Sentence, evidence: Mapping[str, Evidence]) -> bool:
    """Whether each duration the sentence states is the span between two entries it cites
    (within a minute); true of a sentence that cites fewer than two (nothing to measure)."""
    cited = [evidence[ref] for ref in sentence.cites if ref in evidence]
    if len(cited) < 2:
        return True
    return all(_spans(cited, minutes) is not None for minutes in stated_minutes(sentence.text))


def spanned(sentence: Sentence, evidence: Mapping[str, Evidence]) -> Sentence | None:
    """A sentence giving a duration and nothing its entries' words do not (``The outage
    lasted 13 minutes.`` citing the impact's start and its end), proved by their times
    within a minute: kept, checked, its proof the two moments. None otherwise."""
    stated = stated_minutes(sentence.text)
    cited = [evidence[ref] for ref in sentence.cites if ref in evidence]
    if not stated or len(cited) < 2:
        return None
    held = set().union(*(content_words(each.text) for each in cited))
    if content_words(sentence.text) - held - _SPAN_WORDS:
        return None
    pairs = [_spans(cited, minutes) for minutes in stated]
    if any(pair is None for pair in pairs):
        return None
    earlier, later = pairs[0] or (cited[0], cited[-1])
    quote = f"{clock(earlier.at)} – {clock(later.at)}"
    where = {"ref": later.ref, **where_of(later), "quote": quote, "span": earlier.ref}
    return replace(sentence, meaning={"state": CHECKED, "by": "times"}, quote=where)


def _cut(quote: str, limit: int = 300) -> str:
    return quote if len(quote) <= limit else quote[:limit].rsplit(" ", 1)[0] + "…"


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


# The reasons a sentence is left out that are a verdict of the model's, judged: the model
# was asked, and answered of that sentence.
VERDICT_RULES = frozenset(
    {
        CONTRADICTED,
        NOT_STATED,
        "no_verdict",
        "entry_not_sent",
        "quote_not_found",
        "quote_not_cited",
        "quote_unrelated",
    }
)


def meaning_of(
    sentences: Sequence[Mapping[str, Any]], left_out: Sequence[Mapping[str, Any]] = ()
) -> str:
    """Whether the meaning of these kept sentences (as kept) was checked: ``checked`` (every
    one), ``off`` (WARROOM_AI_VERIFY was off), ``not_checked`` (none: no sentence, or kept
    before the model was asked), or ``mixed``. A sentence ``left_out`` for its verdict was
    checked too: a section whose every sentence the model refused is checked, not
    "not checked"."""
    states = {str((each.get("meaning") or {}).get("state") or NOT_CHECKED) for each in sentences}
    if any(
        reason.get("rule") in VERDICT_RULES for each in left_out for reason in each.get("why") or ()
    ):
        states.add(CHECKED)
    if len(states) == 1:
        return states.pop()
    return "mixed" if states else NOT_CHECKED


def failed_a_control(sentences: Sequence[Mapping[str, Any]]) -> bool:
    """Whether these sentences' meaning went unchecked because the model failed a control."""
    return any(
        ((each.get("meaning") or {}).get("why") or {}).get("kind") == "failed_control"
        for each in sentences
    )


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


def _untested(
    outcome: Sentence | dict[str, Any], twins: Collection[tuple[str, tuple[str, ...]]]
) -> Sentence | dict[str, Any]:
    """A sentence a verdict checked that no control was made from: its verdict was never
    tested, so its meaning is not checked (one the times of its entries proved stays)."""
    if not isinstance(outcome, Sentence) or (outcome.meaning or {}).get("by") == "times":
        return outcome
    if (outcome.text, outcome.cites) in twins:
        return outcome
    why = {"kind": "no_control"}
    return replace(outcome, meaning={"state": NOT_CHECKED, "why": why}, quote=None)
