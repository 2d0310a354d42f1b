"""Control sentences: what keeps a model that agrees with everything from passing the meaning
check (verification.py). Every verdicts request carries, shuffled among the real sentences,
sentences warroom built from the record itself whose truth it knows: false ones (an entry's
words at another time, said by another person, or given as the cause when the entry marked as
the cause says otherwise) and a true one (an entry's words, its time and its author). A model
that calls a false control supported, or does not support the true one with its words, has
not read the entries: that request's verdicts are void.

Pure: the wording of a control comes from a function the caller renders (templates/ai/
control.j2, in the draft's language); the order from the caller's random source.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.record.postmortem.evidence import Evidence
from bot.record.postmortem.wording import content_words

# A control says an entry's words whole; an entry longer than this is said by its start.
WORDS_MAX_CHARS = 240
# False controls a request carries (of the kinds the record allows), and true ones.
FALSE_CONTROLS = 2
TRUE_CONTROLS = 1
# Kinds of control: true, and how a false one is false.
TRUE, TIME, PERSON, CAUSE = "true", "time", "person", "cause"
CAUSE_KINDS = frozenset({"root_cause", "trigger"})

# (how it is said: "wrote" or "cause", the time as the record line gives it, the author or
# None for warroom's own entries, the entry's words) -> the sentence.
Say = Callable[[str, str, str | None, str], str]


@dataclass(frozen=True)
class Control:
    """A sentence built from the record, the entry it cites, whether it is true, and how it
    was made false (``kind``)."""

    text: str
    cites: tuple[str, ...]
    true: bool
    kind: str


def controls_of(
    evidence: Mapping[str, Evidence],
    cited: Sequence[str],
    say: Say,
    rng: random.Random,
    *,
    false: int = FALSE_CONTROLS,
    true: int = TRUE_CONTROLS,
) -> list[Control]:
    """Controls for one request: ``false`` false ones (each of another kind, as far as the
    record allows) and ``true`` true ones, about entries the real sentences cite (``cited``)
    where there are such, so that no entry is there only for a control."""
    usable = [each for each in evidence.values() if _words(each)]
    if not usable:
        return []
    near = [
        evidence[ref] for ref in dict.fromkeys(cited) if ref in evidence and _words(evidence[ref])
    ]
    pool = near or usable
    made: list[Control] = []
    kinds = [TIME, PERSON, CAUSE]
    rng.shuffle(kinds)
    for kind in kinds:
        if sum(not each.true for each in made) >= false:
            break
        control = _false(kind, pool, usable, say, rng)
        if control is not None:
            made.append(control)
    for _ in range(true):
        entry = rng.choice(pool)
        made.append(
            Control(
                say("wrote", clock(entry.at), entry.author, _words(entry)), (entry.ref,), True, TRUE
            )
        )
    return made


def _false(
    kind: str, pool: Sequence[Evidence], usable: Sequence[Evidence], say: Say, rng: random.Random
) -> Control | None:
    if kind == TIME:
        entry = rng.choice(pool)
        moment = _another_time(entry, rng)
        return Control(
            say("wrote", clock(moment), entry.author, _words(entry)), (entry.ref,), False, TIME
        )
    if kind == PERSON:
        authors = sorted({each.author for each in usable if each.author})
        choices = [
            (entry, person)
            for entry in pool
            for person in authors
            if person not in entry.people
            and person != entry.author
            and person.split()[0].casefold() not in entry.text.casefold()
        ]
        if not choices:
            return None
        entry, person = rng.choice(choices)
        return Control(
            say("wrote", clock(entry.at), person, _words(entry)), (entry.ref,), False, PERSON
        )
    causes = [each for each in usable if each.kind in CAUSE_KINDS]
    pairs = [
        (cause, other)
        for cause in causes
        for other in usable
        if other.ref != cause.ref
        and other.kind not in CAUSE_KINDS
        and not content_words(_words(other)) <= content_words(cause.text)
    ]
    if not pairs:
        return None
    cause, other = rng.choice(pairs)
    return Control(
        say("cause", clock(cause.at), cause.author, _words(other)), (cause.ref,), False, CAUSE
    )


def clock(at: datetime) -> str:
    """A moment as the record lines give it (bot.record.postmortem.evidence.record_lines)."""
    return f"{at:%H:%M} {at.tzname() or ''}".strip()


def _another_time(entry: Evidence, rng: random.Random) -> datetime:
    """A moment some minutes from the entry's, at a clock time neither it nor its text holds."""
    for _ in range(20):
        moment = entry.at + timedelta(minutes=rng.choice((-1, 1)) * rng.randint(7, 47))
        said = {f"{moment:%H:%M}", f"{moment.hour}:{moment:%M}"}
        if moment.strftime("%H:%M") != entry.at.strftime("%H:%M") and not any(
            each in entry.text for each in said
        ):
            return moment
    return entry.at + timedelta(hours=5, minutes=17)


def _words(entry: Evidence) -> str:
    """An entry's words as a control says them: whole, or their start when long; empty when
    they say nothing (no content word)."""
    text = " ".join(entry.text.split())
    if len(text) > WORDS_MAX_CHARS:
        text = text[:WORDS_MAX_CHARS].rsplit(" ", 1)[0]
    return text if content_words(text) else ""
