"""How a team's model may answer the verdicts request (bot/clients/ai.py, ``warroom_verdicts``),
played by the fake OpenAI-compatible model (emulator/openai_chat.py): a function of the request
that returns the message's content. Each reads only what the request holds, as a model does:
the sentences (``[S3] …``) and the record lines after each (``[E42] 03:42 UTC (kind) Author:
text``).

- ``truthful``: supports what is true, quoting the words that prove it (an identifier the
  sentence names, a cited entry's time for a duration, else the entry's words); says
  ``not_stated`` of the rest.
- ``agreeable``: supports every sentence, quoting real words of the entry it cites.
- ``naming_unsent``: supports every sentence, naming an entry it was not sent.
- ``skipping``: answers only the sentences it would support, and skips the rest.
- ``old_shape``, ``unusual_citations``, ``twins``: the adversaries of bot/admin/ai/adversaries.py
  (``agreeable`` is one too), each reading only the request.

A sentence that quotes an entry's words (“…”, « … ») is read against the lines
(``ChatRequest.reads_true``); any other sentence is true as ``is_true`` says (the labels of
the set) when the fake wrote it itself (``ChatRequest.written``; any, when it wrote none): a
control, one of its sentences changed by warroom (bot/record/postmortem/controls.py), is
false.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import Any

from bot.admin.ai import adversaries
from emulator.openai_chat import ChatRequest, RecordLine

Verifier = Callable[[ChatRequest], dict[str, Any]]
_QUOTED = re.compile(r"[“«]\s?(?P<words>.+?)\s?[”»]")
_IDENTIFIER = re.compile(r"\b[a-z]+-\d+(?:\.\d+)+\b|#\d+")
_DURATION = re.compile(
    r"\b(?:\d+|one|two|three|ten|twelve|thirteen|nineteen|twenty)\s(?:minutes?|hours?)\b"
)


def cited_lines(request: ChatRequest, refs: list[str]) -> list[RecordLine]:
    return [line for ref in refs if (line := request.record_line(ref)) is not None]


def verdict(number: int, said: str, entry: str, quote: str) -> dict[str, Any]:
    return {"sentence": number, "verdict": said, "entry": entry, "quote": quote}


def _proof(text: str, cited: list[RecordLine]) -> tuple[str, str]:
    """The entry and the words of it that prove a true sentence."""
    quoted = _QUOTED.search(text)
    if quoted is not None:
        line = next(line for line in cited if quoted["words"] in line.text)
        return line.ref, quoted["words"]
    for line in cited:
        for identifier in _IDENTIFIER.findall(text):
            if identifier in line.text:
                return line.ref, identifier
    if _DURATION.search(text.lower()) and len(cited) > 1:
        return cited[-1].ref, cited[-1].time
    return cited[0].ref, cited[0].text


def truthful(
    is_true: Callable[[str], bool],
    *,
    skip_refused: bool = False,
    whole: bool = False,
    also: Collection[str] = (),
) -> Verifier:
    """``whole``: quoting the whole of the first entry cited, whatever proves the sentence.
    ``also``: sentences someone else wrote (an agent's proposal), true as the fake's own."""

    def answer(request: ChatRequest) -> dict[str, Any]:
        said = []
        for number, (text, refs) in request.sentences.items():
            cited = cited_lines(request, refs)
            own = _own(request, text) or text in also
            read = request.reads_true(text, refs) if own else False
            if read if read is not None else is_true(text):
                proof = (cited[0].ref, cited[0].text) if whole else _proof(text, cited)
                said.append(verdict(number, "supported", *proof))
            elif not skip_refused:
                said.append(verdict(number, "not_stated", refs[0], ""))
        return {"verdicts": said}

    return answer


def _adversary(name: str) -> Verifier:
    _, adversary = adversaries.ADVERSARIES[name]

    def answer(request: ChatRequest) -> dict[str, Any]:
        lines = {}
        for refs in request.sentences.values():
            for ref in refs[1]:
                line = request.record_line(ref)
                if line is not None:
                    lines[ref] = adversaries.Line(line.time, line.kind, line.author, line.text)
        return {"verdicts": adversary(request.sentences, lines)}

    return answer


agreeable = _adversary("agreeable")
old_shape = _adversary("old_shape")
unusual_citations = _adversary("unusual_citations")
twins = _adversary("twins")


def naming_unsent(request: ChatRequest) -> dict[str, Any]:
    sent = {line[1 : line.index("]")] for line in request.lines}
    unsent = f"E{max(int(ref[1:]) for ref in sent) + 1}"
    return {
        "verdicts": [
            verdict(number, "supported", unsent, request.entry_text(refs[0]))
            for number, (_, refs) in request.sentences.items()
        ]
    }


def skipping(is_true: Callable[[str], bool]) -> Verifier:
    return truthful(is_true, skip_refused=True)


def reading_quotes(verifier: Verifier) -> Verifier:
    """``verifier``, but reading right every sentence that quotes an entry's words, and every
    control (as ``truthful`` does): a model scripted for the sentences of a test that still
    reads the record."""
    reader = truthful(lambda _: True)

    def answer(request: ChatRequest) -> dict[str, Any]:
        quoting = {
            number
            for number, (text, refs) in request.sentences.items()
            if request.reads_true(text, refs) is not None or not _own(request, text)
        }
        said = [each for each in verifier(request)["verdicts"] if each["sentence"] not in quoting]
        said += [each for each in reader(request)["verdicts"] if each["sentence"] in quoting]
        return {"verdicts": said}

    return answer


def _own(request: ChatRequest, text: str) -> bool:
    """Whether the fake wrote ``text`` itself (any sentence, when it wrote none)."""
    return not request.written or text in request.written


def real_sentences(request: ChatRequest) -> dict[int, tuple[str, list[str]]]:
    """The sentences of a request the fake wrote itself: the draft's own, not the controls."""
    return {
        number: (text, refs)
        for number, (text, refs) in request.sentences.items()
        if text in request.written
    }
