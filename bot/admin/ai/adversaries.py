"""Verifiers that do not read the record, as ``warroom ai eval`` measures the controls against
them (bot/admin/ai/ai_eval.py) and the tests play them over HTTP (tests/helpers/verifiers.py):
each answers a verdicts request from what it holds alone, the sentences (number, text, the
entries cited) and the record lines after them, and each must keep no untrue sentence as
checked.

- ``agreeable``: every sentence supported, quoting the whole of the first entry it cites;
- ``old_shape``: reads right the sentences shaped as the controls once were ("At 09:20 PST,
  Bob Nguyen wrote: “…”", "… marked the cause: “…”"), agrees with everything else;
- ``unusual_citations``: refuses the sentences whose citations no other sentence shares (an
  entry cited once, a set of entries cited once), agrees with everything else;
- ``twins``: refuses every sentence that has a near twin (the same entries cited, most of
  its words shared: a control and the sentence it was made from), agrees with the rest.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

SUPPORTED, NOT_STATED = "supported", "not_stated"
# What a verifier is asked: each sentence by number, its text and the entries it cites.
Asked = Mapping[int, tuple[str, Sequence[str]]]


@dataclass(frozen=True)
class Line:
    """A record line as the request gives it: its time (``03:42``), kind, author, text."""

    time: str
    kind: str
    author: str
    text: str


Adversary = Callable[[Asked, Mapping[str, Line]], list[dict[str, object]]]
_OLD_SHAPE = re.compile(
    r"^At (?P<time>\d{1,2}:\d{2})(?: [A-Z]{2,5})?, (?P<author>.+?) "
    r"(?P<how>wrote|marked the cause): “(?P<words>.+)”$"
)
_WORD = re.compile(r"[^\W_]+")
# Two sentences sharing at least this share of their words are near twins.
TWIN_SHARE = 0.6


def verdict(number: int, said: str, entry: str, quote: str) -> dict[str, object]:
    return {"sentence": number, "verdict": said, "entry": entry, "quote": quote}


def _agree(number: int, cites: Sequence[str], lines: Mapping[str, Line]) -> dict[str, object]:
    first = cites[0] if cites else ""
    line = lines.get(first)
    return verdict(number, SUPPORTED, first, line.text if line else "")


def _refuse(number: int, cites: Sequence[str]) -> dict[str, object]:
    return verdict(number, NOT_STATED, cites[0] if cites else "", "")


def agreeable(asked: Asked, lines: Mapping[str, Line]) -> list[dict[str, object]]:
    return [_agree(number, cites, lines) for number, (_, cites) in asked.items()]


def old_shape(asked: Asked, lines: Mapping[str, Line]) -> list[dict[str, object]]:
    said = []
    for number, (text, cites) in asked.items():
        shaped = _OLD_SHAPE.match(text)
        if shaped is None:
            said.append(_agree(number, cites, lines))
            continue
        line = lines.get(cites[0]) if cites else None
        true = (
            line is not None
            and shaped["words"] in line.text
            and shaped["time"].zfill(5) == line.time
            and shaped["author"] == line.author
            and (shaped["how"] == "wrote" or line.kind in ("root cause", "trigger"))
        )
        said.append(_agree(number, cites, lines) if true else _refuse(number, cites))
    return said


def unusual_citations(asked: Asked, lines: Mapping[str, Line]) -> list[dict[str, object]]:
    sets = Counter(frozenset(cites) for _, cites in asked.values())
    entries = Counter(ref for _, cites in asked.values() for ref in set(cites))
    said = []
    for number, (_, cites) in asked.items():
        unusual = sets[frozenset(cites)] < 2 or any(entries[ref] < 2 for ref in cites)
        said.append(_refuse(number, cites) if unusual else _agree(number, cites, lines))
    return said


def twins(asked: Asked, lines: Mapping[str, Line]) -> list[dict[str, object]]:
    words = {number: set(_WORD.findall(text.casefold())) for number, (text, _) in asked.items()}
    said = []
    for number, (_, cites) in asked.items():
        twinned = any(
            other != number
            and set(other_cites) == set(cites)
            and len(words[number] & words[other]) >= TWIN_SHARE * max(len(words[number]), 1)
            for other, (_, other_cites) in asked.items()
        )
        said.append(_refuse(number, cites) if twinned else _agree(number, cites, lines))
    return said


ADVERSARIES: dict[str, tuple[str, Adversary]] = {
    "agreeable": ("a model agreeing with everything", agreeable),
    "old_shape": ("a model reading only the old control shape right", old_shape),
    "unusual_citations": (
        "a model refusing sentences whose citations are unusual",
        unusual_citations,
    ),
    "twins": ("a model refusing every sentence that has a near twin", twins),
}
