"""The team's own model, through OpenAI's Chat Completions API as published: the two calls
that ask it for the postmortem draft's written sections, then (a second, separate request)
for a verdict on each sentence kept, against the words of the entries it cites.

``POST {WARROOM_AI_URL}/chat/completions`` (the operation ``createChatCompletion`` of OpenAI's
OpenAPI description, github.com/openai/openai-openapi) with ``model``, two ``messages``
(``system``: what to write and how to cite; ``user``: the record, a line per entry) and
``response_format: {"type": "json_schema", "json_schema": {"name", "strict": true,
"schema"}}`` (Structured Outputs: every property required, ``additionalProperties: false``).
``Authorization: Bearer <WARROOM_AI_KEY>`` when a key is set; it goes in that header alone,
never in a failure's text, a log line or the database.

The verdicts' request is the same call with the format ``warroom_verdicts``: ``{"verdicts":
[{"sentence": 3, "verdict": "supported" | "contradicted" | "not_stated", "entry": "E42",
"quote": "…"}]}``.

Possible causes during an incident are the same call with the format ``warroom_causes``
(``{"causes": [{"text": "…", "cites": ["E42"]}]}``), their sentences then checked and their
meaning verified as the draft's are; once the root cause is known, each proposal's grade is
asked with the format ``warroom_grades`` (``{"grades": [{"proposal": 1, "grade": 65,
"reason": "…"}]}``, a grade one of 100, 65, 35 and 0).

The answer is read as ``CreateChatCompletionResponse``: ``choices[0].message.content``, a
JSON text that must be the schema asked for. Every other outcome is a ``ModelFailure`` whose
``reason`` says what happened as data (``{"kind": "timeout", "seconds": 60}``), which the
draft says in its language: no answer in time, no connection, an HTTP status other than 200,
a body or a content that is not JSON, a refusal, or JSON that is not the schema.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import aiohttp

from bot.clients.vendor_http import VendorFailure, call_json
from bot.config.ai import AISettings
from bot.record.postmortem.suggestions import SECTIONS, Sentence
from bot.record.postmortem.verification import VERDICTS, Verdict

FORMAT_NAME = "postmortem_sections"
VERDICTS_FORMAT = "warroom_verdicts"
_SENTENCE = {
    "type": "object",
    "properties": {
        "text": {"type": "string", "description": "One sentence."},
        "cites": {
            "type": "array",
            "description": "The references of the record entries it rests on, like E42.",
            "items": {"type": "string"},
        },
    },
    "required": ["text", "cites"],
    "additionalProperties": False,
}
SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {name: {"type": "array", "items": _SENTENCE} for name in SECTIONS},
    "required": list(SECTIONS),
    "additionalProperties": False,
}


_VERDICT = {
    "type": "object",
    "properties": {
        "sentence": {"type": "integer", "description": "The sentence's number, as in [S3]."},
        "verdict": {"type": "string", "enum": list(VERDICTS)},
        "entry": {"type": "string", "description": "The entry the quote is from, like E42."},
        "quote": {"type": "string", "description": "Words copied exactly from that entry."},
    },
    "required": ["sentence", "verdict", "entry", "quote"],
    "additionalProperties": False,
}
VERDICTS_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {"verdicts": {"type": "array", "items": _VERDICT}},
    "required": ["verdicts"],
    "additionalProperties": False,
}


CAUSES_FORMAT = "warroom_causes"
CAUSES_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {"causes": {"type": "array", "items": _SENTENCE}},
    "required": ["causes"],
    "additionalProperties": False,
}
GRADES_FORMAT = "warroom_grades"
# incident.io's scale: bullseye, one hop short, right area, wrong.
GRADES = (100, 65, 35, 0)
_GRADE = {
    "type": "object",
    "properties": {
        "proposal": {"type": "integer", "description": "The proposal's number, as in [P2]."},
        "grade": {"type": "integer", "enum": list(GRADES)},
        "reason": {"type": "string", "description": "Why, in one sentence."},
    },
    "required": ["proposal", "grade", "reason"],
    "additionalProperties": False,
}
GRADES_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {"grades": {"type": "array", "items": _GRADE}},
    "required": ["grades"],
    "additionalProperties": False,
}


class ModelFailure(VendorFailure):
    """The model gave no usable answer; ``reason`` says why, as data (no connection, unless
    said otherwise)."""

    reason: Mapping[str, Any] = MappingProxyType({"kind": "unreachable"})


def _failed(failure: ModelFailure, **reason: Any) -> ModelFailure:
    failure.reason = reason
    return failure


def chat_request(
    model: str,
    instructions: str,
    record: str,
    *,
    name: str = FORMAT_NAME,
    schema: Mapping[str, Any] = SCHEMA,
) -> dict[str, Any]:
    """The body of the call (``CreateChatCompletionRequest``): the sections' by default."""
    return {
        "model": model,
        "messages": [
            {"role": "system", "content": instructions},
            {"role": "user", "content": record},
        ],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": name, "strict": True, "schema": schema},
        },
    }


async def ask_for_sections(
    http: aiohttp.ClientSession, ai: AISettings, *, instructions: str, record: str
) -> dict[str, list[Sentence]]:
    """The sections the model wrote, by the schema's names; ModelFailure otherwise."""
    body = await complete(http, ai, chat_request(ai.model, instructions, record), ai.timeout)
    return sections_in(body)


async def ask_for_verdicts(
    http: aiohttp.ClientSession,
    ai: AISettings,
    *,
    instructions: str,
    sentences: str,
    timeout: float,
) -> list[Verdict]:
    """The model's verdict on each sentence (``sentences``: the ``[S3]`` lines, each with its
    entries' lines); ModelFailure when it gives none that can be read."""
    body = chat_request(
        ai.model, instructions, sentences, name=VERDICTS_FORMAT, schema=VERDICTS_SCHEMA
    )
    return verdicts_in(await complete(http, ai, body, timeout))


async def ask_for_causes(
    http: aiohttp.ClientSession, ai: AISettings, *, instructions: str, record: str
) -> list[Sentence]:
    """The possible causes the model proposes, each a sentence and its citations;
    ModelFailure otherwise."""
    body = chat_request(ai.model, instructions, record, name=CAUSES_FORMAT, schema=CAUSES_SCHEMA)
    return causes_in(await complete(http, ai, body, ai.timeout))


async def ask_for_grades(
    http: aiohttp.ClientSession, ai: AISettings, *, instructions: str, proposals: str
) -> dict[int, tuple[int, str]]:
    """The grade the model gives each proposal (by its number) and why; ModelFailure
    otherwise."""
    body = chat_request(ai.model, instructions, proposals, name=GRADES_FORMAT, schema=GRADES_SCHEMA)
    return grades_in(await complete(http, ai, body, ai.timeout))


async def complete(
    http: aiohttp.ClientSession, ai: AISettings, body: Mapping[str, Any], timeout: float
) -> Any:
    """POST the request; the 200 answer's body, ModelFailure otherwise."""
    headers = {"Authorization": f"Bearer {ai.key}"} if ai.key else None
    try:
        answer = await call_json(
            http,
            "POST",
            f"{ai.url}/chat/completions",
            dict(body),
            timeout=timeout,
            failure=ModelFailure,
            headers=headers,
        )
    except ModelFailure as failure:
        if failure.timed_out:
            raise _failed(failure, kind="timeout", seconds=timeout) from None
        if failure.redirected_to:
            # Not followed: a 307 or 308 would send the incident's record there.
            raise _failed(failure, kind="redirected", to=failure.redirected_to) from None
        raise
    if answer.status != 200:
        retryable = answer.status == 429 or answer.status >= 500
        refused = ModelFailure(
            f"HTTP {answer.status}",
            retryable=retryable,
            status=answer.status,
            retry_after=answer.retry_after,
        )
        raise _failed(refused, kind="status", status=answer.status)
    return answer.body


def sections_in(body: Any) -> dict[str, list[Sentence]]:
    """The sections in a 200 answer's body; ModelFailure when it is not a completion whose
    content is the schema."""
    return _read_sections(_content(body))


def verdicts_in(body: Any) -> list[Verdict]:
    """The verdicts in a 200 answer's body, read strictly: ModelFailure when it is not a
    completion whose content is the verdicts' schema."""
    content = _content(body)
    if not isinstance(content, dict) or set(content) != {"verdicts"}:
        raise _failure("not_schema", "the content is not {verdicts}", "")
    items = content["verdicts"]
    if not isinstance(items, list):
        raise _failure("not_schema", "verdicts is not a list", "verdicts")
    read = []
    for index, item in enumerate(items):
        where = f"verdicts[{index}]"
        if not isinstance(item, dict) or set(item) != {"sentence", "verdict", "entry", "quote"}:
            raise _failure(
                "not_schema", f"{where} is not {{sentence, verdict, entry, quote}}", where
            )
        number, verdict = item["sentence"], item["verdict"]
        entry, quote = item["entry"], item["quote"]
        if not isinstance(number, int) or isinstance(number, bool):
            raise _failure("not_schema", f"{where}.sentence is not an integer", where)
        if verdict not in VERDICTS:
            raise _failure("not_schema", f"{where}.verdict is not one of {VERDICTS}", where)
        if not isinstance(entry, str) or not isinstance(quote, str):
            raise _failure("not_schema", f"{where}.entry or .quote is not text", where)
        read.append(Verdict(number, verdict, entry.strip().strip("[]").upper(), quote))
    return read


def causes_in(body: Any) -> list[Sentence]:
    """The causes in a 200 answer's body, read strictly (the sentences' shape)."""
    content = _content(body)
    if not isinstance(content, dict) or set(content) != {"causes"}:
        raise _failure("not_schema", "the content is not {causes}", "")
    return _sentences(content["causes"], "causes")


def grades_in(body: Any) -> dict[int, tuple[int, str]]:
    """The grades in a 200 answer's body, read strictly; the first given for a number."""
    content = _content(body)
    if not isinstance(content, dict) or set(content) != {"grades"}:
        raise _failure("not_schema", "the content is not {grades}", "")
    items = content["grades"]
    if not isinstance(items, list):
        raise _failure("not_schema", "grades is not a list", "grades")
    read: dict[int, tuple[int, str]] = {}
    for index, item in enumerate(items):
        where = f"grades[{index}]"
        if not isinstance(item, dict) or set(item) != {"proposal", "grade", "reason"}:
            raise _failure("not_schema", f"{where} is not {{proposal, grade, reason}}", where)
        number, grade, reason = item["proposal"], item["grade"], item["reason"]
        if not isinstance(number, int) or isinstance(number, bool):
            raise _failure("not_schema", f"{where}.proposal is not an integer", where)
        if grade not in GRADES or isinstance(grade, bool):
            raise _failure("not_schema", f"{where}.grade is not one of {GRADES}", where)
        if not isinstance(reason, str):
            raise _failure("not_schema", f"{where}.reason is not text", where)
        read.setdefault(number, (int(grade), reason.strip()[:500]))
    return read


def content_of(body: Any) -> Any:
    """The JSON content of a completion's first choice; ModelFailure when there is none."""
    return _content(body)


def _content(body: Any) -> Any:
    """The JSON content of a completion's first choice."""
    if not isinstance(body, dict):
        raise _failure("not_json", "the answer is not JSON")
    choices = body.get("choices")
    first = choices[0] if isinstance(choices, list) and choices else None
    message = first.get("message") if isinstance(first, dict) else None
    if not isinstance(message, dict):
        raise _failure("not_schema", "the answer has no choices[0].message", "choices")
    if message.get("refusal"):
        raise _failure("refused", "the model refused")
    if first is not None and first.get("finish_reason") == "length":
        raise _failure("not_schema", "the answer was cut at the token limit", "content")
    content = message.get("content")
    if not isinstance(content, str):
        raise _failure("not_schema", "the message has no text content", "content")
    try:
        return json.loads(content)
    except ValueError:
        raise _failure("not_json", "the message's content is not JSON") from None


def _read_sections(sections: Any) -> dict[str, list[Sentence]]:
    """The schema, read strictly: the four sections and nothing else, each a list of
    sentences of a text and a list of references."""
    if not isinstance(sections, dict):
        raise _failure("not_schema", "the content is not an object", "")
    if set(sections) != set(SECTIONS):
        missing = sorted(set(SECTIONS) - set(sections))
        extra = sorted(set(sections) - set(SECTIONS))
        where = missing[0] if missing else extra[0]
        raise _failure("not_schema", f"sections missing {missing}, unknown {extra}", where)
    read: dict[str, list[Sentence]] = {}
    for name in SECTIONS:
        items = sections[name]
        if not isinstance(items, list):
            raise _failure("not_schema", f"{name} is not a list", name)
        read[name] = _sentences(items, name)
    return read


def _sentences(items: Any, name: str) -> list[Sentence]:
    """A list of sentences, each a text and a list of references, read strictly."""
    if not isinstance(items, list):
        raise _failure("not_schema", f"{name} is not a list", name)
    read = []
    for index, item in enumerate(items):
        where = f"{name}[{index}]"
        if not isinstance(item, dict) or set(item) != {"text", "cites"}:
            raise _failure("not_schema", f"{where} is not {{text, cites}}", where)
        text, cites = item["text"], item["cites"]
        if not isinstance(text, str):
            raise _failure("not_schema", f"{where}.text is not text", f"{where}.text")
        if not isinstance(cites, list) or not all(isinstance(c, str) for c in cites):
            raise _failure("not_schema", f"{where}.cites is not a list of text", f"{where}.cites")
        read.append(Sentence(text, tuple(cites)))
    return read


def _failure(kind: str, detail: str, where: str | None = None) -> ModelFailure:
    where_said = {} if where is None else {"where": where}
    return _failed(ModelFailure(detail, retryable=False), kind=kind, **where_said)
