"""Control sentences: what keeps a model that agrees with everything, or that has learnt what
a control looks like, from passing the meaning check (verification.py). Every verdicts request
carries, shuffled among the real sentences, controls made from those sentences themselves:
each a real suggested sentence changed in one checkable way, citing the entries it cites.

- ``time``: a clock time it gives moved to one no cited entry holds or was written at;
- ``person``: a person it names replaced by another of the record whom no cited entry names;
- ``count``: a number it gives changed to one no cited entry holds;
- ``cause``: another entry's words, one it does not cite and its entries do not hold, given
  as the reason ("…, because slow queries on the orders database");
- ``negation``: said the other way ("was" → "was not", "did not" → "did").

The first four are false whatever the sentence was: the mechanical checks (checks.py) held
its times, people and numbers to its entries, and the change puts in one they do not hold.
A negation is false when its sentence is true: a model that supports both is wrong about one
of them. Either way a model that calls a control supported (a negation: with its sentence)
has not read the entries, and the request's verdicts are void.

How many: one control a sentence, so that a control has no shape of its own to be told by
(its citations, its length, its words are a real sentence's, and every sentence has a near
twin); which kinds: each sentence gets the kind least used so far among those it allows, so
a draft of five sentences or more carries every kind its sentences allow. A sentence that
allows none gets none; a request none of whose sentences allows one has no controls, and its
verdicts are not trusted (verification.py, ``no_controls``).

Pure: the words of a cause come from a function the caller renders (templates/ai/
control.j2, in the draft's language); the choices from the caller's random source.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.record.postmortem.evidence import Evidence
from bot.record.postmortem.wording import content_words, negates

# Kinds of control: how a sentence was made false.
TIME, PERSON, COUNT, CAUSE, NEGATION = "time", "person", "count", "cause", "negation"
KINDS = (TIME, PERSON, COUNT, CAUSE, NEGATION)
# The words of another entry given as a cause: at most this many.
CAUSE_WORDS_MAX = 14

# (the sentence without its last full stop, another entry's words) -> the sentence giving
# those words as its cause.
Say = Callable[[str, str], str]


@dataclass(frozen=True)
class Control:
    """A false sentence made from a real one (``base``, its text): the text, the entries it
    cites (the real sentence's), and how it was made false (``kind``)."""

    text: str
    cites: tuple[str, ...]
    kind: str
    base: str


@dataclass(frozen=True)
class Real:
    """A real sentence a control may be made from: its text and the entries it cites."""

    text: str
    cites: tuple[str, ...]


def controls_of(
    sentences: Sequence[Real],
    evidence: Mapping[str, Evidence],
    say: Say,
    rng: random.Random,
    *,
    language: str = "en",
) -> list[Control]:
    """One control for each sentence that allows one: first, for each kind (the rarest
    first), one sentence that allows it, so that every kind the sentences allow is there;
    then each other sentence the kind least used so far among those it allows (ties broken by
    ``rng``)."""
    people = _people(evidence)
    allowed: list[dict[str, str]] = []
    for sentence in sentences:
        cited = [evidence[ref] for ref in sentence.cites if ref in evidence]
        made = {}
        for kind in KINDS if cited else ():
            text = _changed(kind, sentence, cited, evidence, people, say, rng, language)
            if text is not None and text != sentence.text:
                made[kind] = text
        allowed.append(made)
    chosen: dict[int, str] = {}
    kinds = list(KINDS)
    rng.shuffle(kinds)
    for kind in sorted(kinds, key=lambda kind: sum(kind in each for each in allowed)):
        able = [at for at, each in enumerate(allowed) if kind in each and at not in chosen]
        if able:
            chosen[rng.choice(able)] = kind
    used = Counter(chosen.values())
    rest = [at for at in range(len(sentences)) if at not in chosen and allowed[at]]
    rng.shuffle(rest)
    for at in rest:
        kinds = list(allowed[at])
        rng.shuffle(kinds)
        kind = min(kinds, key=lambda kind: used[kind])
        chosen[at] = kind
        used[kind] += 1
    return [
        Control(allowed[at][kind], sentences[at].cites, kind, sentences[at].text)
        for at, kind in sorted(chosen.items())
    ]


def _changed(
    kind: str,
    sentence: Real,
    cited: Sequence[Evidence],
    evidence: Mapping[str, Evidence],
    people: Sequence[str],
    say: Say,
    rng: random.Random,
    language: str,
) -> str | None:
    if kind == TIME:
        return _another_time(sentence.text, cited, rng)
    if kind == PERSON:
        return _another_person(sentence.text, cited, people, rng)
    if kind == COUNT:
        return _another_count(sentence.text, cited, rng)
    if kind == CAUSE:
        return _another_cause(sentence, cited, evidence, people, say, rng)
    return negated(sentence.text, language)


# -- another time ------------------------------------------------------------------------------
_TIME = re.compile(r"(?<![\w:.])([01]?\d|2[0-3]):([0-5]\d)(?![\w:])")


def _another_time(text: str, cited: Sequence[Evidence], rng: random.Random) -> str | None:
    """A clock time of the sentence moved 7 to 47 minutes, to one no cited entry was written
    at or says."""
    found = list(_TIME.finditer(text))
    if not found:
        return None
    match = rng.choice(found)
    held = {f"{each.at:%H:%M}" for each in cited}
    said = " ".join(each.text for each in cited)
    for _ in range(20):
        minutes = int(match[1]) * 60 + int(match[2])
        minutes += rng.choice((-1, 1)) * rng.randint(7, 47)
        hour, minute = divmod(minutes % (24 * 60), 60)
        padded = f"{hour:02d}:{minute:02d}"
        shown = padded if len(match[1]) == 2 else f"{hour}:{minute:02d}"
        if padded not in held and shown not in said and padded not in said:
            return text[: match.start()] + shown + text[match.end() :]
    return None


# -- another person ----------------------------------------------------------------------------
# Entries no person writes: their authors (Alertmanager, a deploy tool) are no one to name.
MACHINE_KINDS = frozenset({"alert", "detection", "paged", "change"})


def _people(evidence: Mapping[str, Evidence]) -> list[str]:
    """The people of the record: whoever wrote an entry a person writes, or is named by one."""
    machines = {each.author for each in evidence.values() if each.kind in MACHINE_KINDS}
    found = {each.author for each in evidence.values() if each.kind not in MACHINE_KINDS}
    found |= {person for each in evidence.values() for person in each.people}
    return sorted(
        person for person in found if person and person[0].isalpha() and person not in machines
    )


def _another_person(
    text: str, cited: Sequence[Evidence], people: Sequence[str], rng: random.Random
) -> str | None:
    """A person the sentence names (whole name or first name) replaced by another of the
    record whom no cited entry names or was written by."""
    named: set[str] = set()
    for each in cited:
        named |= set(each.people) | ({each.author} if each.author else set())
    said = " ".join(each.text for each in cited).casefold()
    for person in rng.sample(list(people), len(people)):
        for name in (person, person.split()[0]):
            found = re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", text)
            if found is None:
                continue
            others = [
                other
                for other in people
                if other not in named
                and other.split()[0] != person.split()[0]
                and other.split()[0].casefold() not in said
                and other.split()[0] not in text
            ]
            if not others:
                return None
            other = rng.choice(others)
            said_as = other if name == person else other.split()[0]
            return text[: found.start()] + said_as + text[found.end() :]
    return None


# -- a wrong count -----------------------------------------------------------------------------
_COUNT = re.compile(r"(?<![\w.:#/,-])(\d{1,6})(?![\w:/-]|[.,]\d)")


def _another_count(text: str, cited: Sequence[Evidence], rng: random.Random) -> str | None:
    """A number the sentence gives (not part of a time, a release, an address) changed to one
    no cited entry holds."""
    found = [match for match in _COUNT.finditer(text) if not _inside_time(text, match)]
    if not found:
        return None
    match = rng.choice(found)
    value = int(match[1])
    held = set(re.findall(r"\d+", " ".join(each.text for each in cited)))
    held |= {f"{each.at:%H}".lstrip("0") for each in cited} | {f"{each.at:%M}" for each in cited}
    choices = [value * 2, value * 3, value + 7, value + 11, max(value - 5, 1) if value > 6 else 0]
    rng.shuffle(choices)
    for other in choices:
        if other != value and other > 0 and str(other) not in held:
            return text[: match.start()] + str(other) + text[match.end() :]
    return None


def _inside_time(text: str, match: re.Match[str]) -> bool:
    return (
        any(each.start() <= match.start() < each.end() for each in _TIME.finditer(text))
        or text[max(0, match.start() - 1) : match.start()] == ":"
    )


# -- another cause -----------------------------------------------------------------------------
def _another_cause(
    sentence: Real,
    cited: Sequence[Evidence],
    evidence: Mapping[str, Evidence],
    people: Sequence[str],
    say: Say,
    rng: random.Random,
) -> str | None:
    """The sentence, given as its reason the words of an entry it does not cite and that its
    entries do not hold."""
    held = set().union(*(content_words(each.text) for each in cited))
    others = [
        words
        for each in evidence.values()
        if each.ref not in sentence.cites
        and (words := _phrase(each.text, people))
        and not content_words(words) <= held | content_words(sentence.text)
    ]
    if not others:
        return None
    stem = sentence.text.rstrip().rstrip(".!")
    return " ".join(say(stem, rng.choice(others)).split())


def _phrase(text: str, people: Sequence[str]) -> str:
    """An entry's words as a reason: their first sentence (or part, up to a " · "), without
    its last punctuation, at
    most CAUSE_WORDS_MAX words, its first letter lower case (a name's kept); empty when they
    say nothing."""
    first = re.split(r"(?<=[.!?])\s|\s·\s", " ".join(text.split()), maxsplit=1)[0]
    words = first.rstrip(".!?:;,").split()[:CAUSE_WORDS_MAX]
    if not words or "http" in first or "`" in first or "“" in first or "«" in first:
        return ""
    head = words[0]
    names = {person.split()[0] for person in people}
    if len(head) > 1 and head[1:].islower() and head not in names:
        words[0] = head[0].lower() + head[1:]
    phrase = " ".join(words).rstrip(".!?:;,")
    return phrase if content_words(phrase) else ""


# -- a negation --------------------------------------------------------------------------------
_EN_AUXILIARY = re.compile(
    r"(?<![\w'’])(was|were|is|are|had|has|have|could|would|will|can|should|did|does|do)"
    r"(\s+not\b|n[’']t\b)?",
    re.IGNORECASE,
)
_EN_UNSAID = re.compile(r"(?<![\w'’])(wasn|weren|isn|aren|hadn|hasn|haven|couldn|wouldn|didn)[’']t")
_FR_AUXILIARY = re.compile(
    r"(?<![\w'’])(n['’]|ne\s+)?(a|ont|est|sont|était|étaient|avait|avaient)(\s+pas\b)?(?![\w'’])"
)


def negated(text: str, language: str = "en") -> str | None:
    """The sentence said the other way: its first auxiliary verb negated, or its negation
    taken away; None when it has no auxiliary to turn."""
    if language == "fr":
        match = _FR_AUXILIARY.search(text)
        if match is None or match.start() == 0:
            return None
        verb = match[2]
        if match[1] and match[3]:
            said = verb
        elif match[1] or match[3]:
            return None
        else:
            said = f"n'{verb} pas" if verb[0] in "aeéiou" else f"ne {verb} pas"
        return text[: match.start()] + said + text[match.end() :]
    unsaid = _EN_UNSAID.search(text)
    match = _EN_AUXILIARY.search(text)
    if unsaid is not None and (match is None or unsaid.start() <= match.start()):
        whole = {"wasn": "was", "weren": "were", "isn": "is", "aren": "are", "hadn": "had"}
        whole |= {"hasn": "has", "haven": "have", "couldn": "could", "wouldn": "would"}
        whole |= {"didn": "did"}
        word = unsaid[1]
        said = whole[word.lower()]
        said = said.capitalize() if word[0].isupper() else said
        return text[: unsaid.start()] + said + text[unsaid.end() :]
    if match is None or match.start() == 0 or (not match[2] and negates(text)):
        return None
    if match[2]:
        return text[: match.end(1)] + text[match.end() :]
    return text[: match.end(1)] + " not" + text[match.end(1) :]


def clock(at: datetime) -> str:
    """A moment as the record lines give it (bot.record.postmortem.evidence.record_lines)."""
    return f"{at:%H:%M} {at.tzname() or ''}".strip()
