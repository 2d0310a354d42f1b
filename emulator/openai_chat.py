"""A fake OpenAI-compatible Chat Completions server on 127.0.0.1, for tests and the demo: the
team's own model, as Ollama, vLLM, llama.cpp's server or a hosted API would answer
``POST {base}/chat/completions``.

Strict: it refuses what OpenAI's published description does not allow. The rules come from
OpenAI's OpenAPI description (repository openai/openai-openapi, ``openapi.json``), whose
relevant part is cut unchanged into ``emulator/fixtures/openai_chat_completions.json`` with
its MIT license beside it (``openai-openapi.LICENSE``; the fixture's ``x-cut-from`` says
which commit and which parts), and from the Structured Outputs guide
(https://platform.openai.com/docs/guides/structured-outputs, "Supported schemas") for what a
``strict`` JSON schema may be. Each rule is in the docstring of the method that checks it.

What it answers is scripted per ``response_format.json_schema.name`` (warroom asks for two:
``postmortem_sections``, then ``warroom_verdicts``): ``reply`` queues the content of the next
answers to the sections (``verdicts``: to the verdicts; ``to=``: to any other name), as a dict
sent as JSON, a string sent as it is, or a function of the request that returns either;
``answer_raw`` an HTTP body that is not JSON at all; ``fail`` / ``stall`` (from
FakeHttpServer) a 4xx/5xx or no answer in time to the next request, ``fail_for`` /
``stall_for`` to the next request for one format. Unscripted, it answers the smallest value
of the schema asked for: every section empty, no verdicts.

    async with FakeChatModel(models={"llama3.1:8b"}) as model:
        settings = settings.replace(ai=AISettings(url=model.base_url, model="llama3.1:8b"))
        model.reply(lambda request: {"summary": [...], ...})
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections import deque
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from aiohttp import web

from emulator.fake_http import STALL_STATUS, FakeHttpServer
from emulator.json_schema import Problem, Schemas

FIXTURE = Path(__file__).parent / "fixtures" / "openai_chat_completions.json"
# OpenAI's server: ``servers[0].url`` of the description is https://api.openai.com/v1, and the
# operation's path is /chat/completions.
BASE_PATH = "/v1"
CHAT_PATH = BASE_PATH + "/chat/completions"
# The description of ResponseFormatJsonSchema.json_schema.name: "Must be a-z, A-Z, 0-9, or
# contain underscores and dashes, with a maximum length of 64."
FORMAT_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Structured Outputs, "Supported schemas": the types and keywords a strict schema may use.
STRICT_TYPES = frozenset({"string", "number", "boolean", "integer", "object", "array", "null"})
STRICT_KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "const",
        "anyOf",
        "$ref",
        "$defs",
        "description",
        "title",
        "pattern",
        "format",
        "minItems",
        "maxItems",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
    }
)
# Structured Outputs, "Supported schemas": "A schema may have up to 5000 object properties
# total, with up to 10 levels of nesting."
STRICT_MAX_DEPTH = 10
STRICT_MAX_PROPERTIES = 5000
# A record line as warroom sends it: "[E42] 03:42 UTC Dave: ...", and a sentence to judge:
# "[S3] The rollback ended the errors."
_REF = re.compile(r"^\[(E\d+)\]")
_SENTENCE = re.compile(r"^\[S(\d+)\] (.*)$")
_LINE = re.compile(
    r"^\[(?P<ref>E\d+)\] (?:\d{4}-\d{2}-\d{2} )?(?P<time>\d{2}:\d{2})(?: [^\s(]+)? "
    r"\((?P<kind>[^)]*)\) (?P<author>[^:]+): (?P<text>.*)$"
)
_QUOTED = re.compile(r"[“«]\s?(?P<words>.+?)\s?[”»]")
_CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b")
# The formats warroom asks for (bot/clients/ai.py).
SECTIONS = "postmortem_sections"
VERDICTS = "warroom_verdicts"

Content = dict[str, Any] | str
Reply = Content | Callable[["ChatRequest"], Content]


@cache
def description() -> Mapping[str, Any]:
    """OpenAI's description, as cut into the fixture."""
    loaded: Mapping[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return loaded


@dataclass(frozen=True)
class ChatRequest:
    """A request the fake took: its body, and the record lines warroom put in it.
    ``written``: the sentences the fake itself wrote in its earlier answers (for the written
    sections or the causes): what a model knows it said, as a test's truthful model, whose
    sentences are all true, tells them from the controls warroom made of them."""

    body: dict[str, Any]
    headers: Mapping[str, str]
    written: frozenset[str] = frozenset()

    @property
    def model(self) -> str:
        return str(self.body["model"])

    @property
    def texts(self) -> list[str]:
        """Each message's text (content parts joined)."""
        texts = []
        for message in self.body["messages"]:
            content = message.get("content")
            if isinstance(content, list):
                content = "".join(part.get("text", "") for part in content)
            texts.append(str(content or ""))
        return texts

    @property
    def format_name(self) -> str | None:
        """The ``json_schema.name`` of the format asked for, if any."""
        response_format = self.body.get("response_format") or {}
        return (response_format.get("json_schema") or {}).get("name")

    @property
    def sentences(self) -> dict[int, tuple[str, list[str]]]:
        """The sentences to judge, by number: each one's text and the references of the
        record lines after it (the entries it cites)."""
        found: dict[int, tuple[str, list[str]]] = {}
        current: list[str] | None = None
        for text in self.texts:
            for line in text.splitlines():
                sentence = _SENTENCE.match(line)
                if sentence:
                    current = []
                    found[int(sentence.group(1))] = (sentence.group(2), current)
                elif current is not None and (ref := _REF.match(line)):
                    current.append(ref.group(1))
        return found

    def entry_text(self, ref: str) -> str:
        """The text of the record line of ``ref`` (after its author's colon)."""
        for line in self.lines:
            if line.startswith(f"[{ref}] "):
                return line.split(": ", 1)[1]
        raise LookupError(f"no record line {ref}; lines: {self.lines}")

    @property
    def lines(self) -> list[str]:
        """Every line of the messages that starts with a record reference (``[E42] …``)."""
        return [line for text in self.texts for line in text.splitlines() if _REF.match(line)]

    def record_line(self, ref: str) -> RecordLine | None:
        """The record line of ``ref`` read into its parts (``[E42] 03:42 UTC (kind) Author:
        text``; a date may come before the time), None when there is no such line."""
        for line in self.lines:
            match = _LINE.match(line)
            if match and match["ref"] == ref:
                return RecordLine(
                    match["ref"], match["time"], match["kind"], match["author"], match["text"]
                )
        return None

    def reads_true(self, text: str, refs: Collection[str]) -> bool | None:
        """How a model reading the lines judges a sentence that quotes an entry's words (“…”
        or « … »): true when a cited line holds them, with the time, the author and (said as
        the cause) the kind the sentence gives them; None when the sentence quotes nothing."""
        quoted = _QUOTED.search(text)
        if quoted is None:
            return None
        before = text[: quoted.start()]
        for ref in refs:
            line = self.record_line(ref)
            if line is None or quoted["words"] not in line.text:
                continue
            times = [each.zfill(5) for each in _CLOCK.findall(before)]
            return (
                all(each == line.time for each in times)
                and line.author in before
                and ("cause" not in before or line.kind in ("root cause", "trigger"))
            )
        return False

    def ref_of(self, fragment: str) -> str:
        """The reference (``E42``) of the record line that contains ``fragment``."""
        found = [line for line in self.lines if fragment in line]
        if not found:
            raise LookupError(f"no record line contains {fragment!r}; lines: {self.lines}")
        match = _REF.match(found[0])
        assert match is not None
        return match.group(1)


@dataclass(frozen=True)
class RecordLine:
    """A record line as warroom sends it, in its parts."""

    ref: str
    time: str
    kind: str
    author: str
    text: str


@dataclass(frozen=True)
class Received:
    """One HTTP request the fake answered, whatever it was answered."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    status: int
    stalled: bool = False
    at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class RawAnswer:
    """An answer that is not the API's JSON (a proxy's error page, a half-written body)."""

    status: int
    text: str
    content_type: str = "text/plain"


class FakeChatModel(FakeHttpServer):
    """An OpenAI-compatible Chat Completions endpoint on 127.0.0.1.

    ``models``: the model ids it serves (another is answered 404 ``model_not_found``, as
    OpenAI does). ``key``: the API key it requires as a bearer token (None: none required,
    as a local Ollama or llama.cpp server). ``requests`` keeps every request; ``accepted``
    the valid ones, parsed; ``answered`` the content of each answer it gave them, by the
    format asked for.
    """

    def __init__(self, *, models: Collection[str] = ("local-model",), key: str | None = None):
        super().__init__()
        self.models = frozenset(models)
        self.key = key
        self.requests: list[Received] = []
        self.accepted: list[ChatRequest] = []
        self.answered: list[tuple[str | None, str]] = []
        self._replies: dict[str | None, deque[Reply | RawAnswer]] = {}
        self._mishaps_for: dict[str, deque[tuple[int | None, float | None]]] = {}
        self._schemas = Schemas(description())

    @property
    def base_url(self) -> str:
        """What WARROOM_AI_URL is set to: ``http://127.0.0.1:PORT/v1``."""
        return self.root + BASE_PATH

    # -- scripting -------------------------------------------------------------------------
    def reply(self, content: Reply, *, times: int = 1, to: str | None = SECTIONS) -> None:
        """Answer the next ``times`` valid requests for the format ``to`` (None: a request
        without one) with ``content`` as the message's content (a dict is sent as JSON text;
        a function gets the request and returns either)."""
        self._replies.setdefault(to, deque()).extend([content] * times)

    def verdicts(self, content: Reply, *, times: int = 1) -> None:
        """Answer the next ``times`` requests for verdicts with ``content``."""
        self.reply(content, times=times, to=VERDICTS)

    def answer_raw(
        self,
        text: str,
        *,
        status: int = 200,
        content_type: str = "text/plain",
        to: str | None = SECTIONS,
    ) -> None:
        """Answer the next valid request for the format ``to`` with a body that is not the
        API's JSON."""
        self._replies.setdefault(to, deque()).append(RawAnswer(status, text, content_type))

    def fail_for(self, name: str, status: int) -> None:
        """Answer the next valid request for the format ``name`` with HTTP ``status``."""
        self._mishaps_for.setdefault(name, deque()).append((status, None))

    def stall_for(self, name: str, seconds: float) -> None:
        """Hold the next valid request for the format ``name`` for ``seconds`` (then 504)."""
        self._mishaps_for.setdefault(name, deque()).append((None, seconds))

    def written(self) -> set[str]:
        """Every sentence's ``text`` in the answers it gave, but for verdicts."""
        found: set[str] = set()

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if isinstance(node.get("text"), str):
                    found.add(node["text"])
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        for format_name, text in self.answered:
            if format_name != VERDICTS:
                try:
                    walk(json.loads(text))
                except ValueError:
                    continue
        return found

    def describe(self) -> str:
        if not self.requests:
            return "no request received"
        return "; ".join(f"{r.method} {r.path} -> {r.status}" for r in self.requests)

    # -- HTTP ------------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        try:
            response, stalled = await self._answer(request, body)
        except asyncio.CancelledError:
            self._record(request, body, STALL_STATUS, stalled=True)
            raise
        self._record(request, body, response.status, stalled=stalled)
        return response

    async def _answer(self, request: web.Request, body: bytes) -> tuple[web.Response, bool]:
        if request.path != CHAT_PATH:
            return _error(404, f"Invalid URL ({request.method} {request.path})"), False
        if request.method != "POST":
            return _error(405, f"Invalid method for {CHAT_PATH}: {request.method}"), False
        if (refused := self.check_headers(request)) is not None:
            return refused, False
        if (mishap := await self.next_mishap()) is not None:
            answer = _error(mishap.status, "The server had an error processing your request.")
            answer.headers.update(mishap.headers)
            return answer, mishap.stalled
        try:
            payload = json.loads(body)
        except ValueError:
            return _error(400, "We could not parse the JSON body of your request."), False
        problems = self.check_body(payload)
        if problems:
            first = problems[0]
            message = "; ".join(str(problem) for problem in problems[:5])
            return _error(400, message, param=first.where or None), False
        if payload["model"] not in self.models:
            text = f"The model `{payload['model']}` does not exist or you do not have access to it."
            return _error(404, text, code="model_not_found"), False
        chat = ChatRequest(payload, dict(request.headers), frozenset(self.written()))
        pending = self._mishaps_for.get(chat.format_name or "")
        if pending:
            status, seconds = pending.popleft()
            if seconds is not None:
                await self.hold(seconds)
                return _error(STALL_STATUS, "The server took too long."), True
            return _error(status or 500, "The server had an error processing your request."), False
        self.accepted.append(chat)
        return self._completion(chat), False

    def check_headers(self, request: web.Request) -> web.Response | None:
        """The request's headers as the description requires them.

        - ``requestBody.content`` of the operation is ``application/json`` alone: another
          Content-Type is refused (415 is HTTP's answer to a media type not supported).
        - ``security: [{ApiKeyAuth: []}]`` with ``ApiKeyAuth`` an HTTP ``bearer`` scheme:
          ``Authorization: Bearer <key>`` (RFC 6750). Missing or wrong when the fake has a key:
          401 ``invalid_api_key``, OpenAI's code. A server without a key takes any request,
          but an Authorization header that is not a bearer token is still malformed.
        """
        if request.content_type != "application/json":
            return _error(415, f"Content-Type must be application/json, not {request.content_type}")
        authorization = request.headers.get("Authorization")
        scheme, _, token = (authorization or "").partition(" ")
        if authorization is not None and (scheme != "Bearer" or not token.strip()):
            return _error(401, "Malformed Authorization header: use Bearer <key>.")
        if self.key is not None and token != self.key:
            if authorization is None:
                text = "You didn't provide an API key. Provide it as Authorization: Bearer <key>."
                return _error(401, text)
            return _error(401, "Incorrect API key provided.", code="invalid_api_key")
        return None

    def check_body(self, payload: Any) -> list[Problem]:
        """The body as the description's ``CreateChatCompletionRequest`` allows it (closed:
        emulator/json_schema.py), then what its descriptions say in words:

        - ``messages`` has at least one item (``minItems: 1``), each a message of its role;
        - ``response_format`` of type ``json_schema``: ``json_schema.name`` of ``a-z, A-Z,
          0-9, _ and -``, at most 64 characters (its description), and, with ``strict: true``,
          a schema Structured Outputs supports (``check_strict_schema``);
        - ``stream: true`` answers server-sent events, which this fake does not: refused, so
          a client that asks for them is noticed.
        """
        problems = self._schemas.check(payload, "CreateChatCompletionRequest")
        if problems or not isinstance(payload, dict):
            return problems
        if payload.get("stream"):
            problems.append(Problem("stream", "streamed answers are not emulated"))
        response_format = payload.get("response_format") or {}
        if response_format.get("type") == "json_schema":
            json_schema = response_format["json_schema"]
            if not FORMAT_NAME.match(json_schema["name"]):
                problems.append(
                    Problem(
                        "response_format.json_schema.name",
                        "must be a-z, A-Z, 0-9, _ or -, 64 at most",
                    )
                )
            if json_schema.get("strict"):
                problems += check_strict_schema(json_schema.get("schema"))
        return problems

    def _completion(self, chat: ChatRequest) -> web.Response:
        """A ``CreateChatCompletionResponse``: ``id``, ``object: chat.completion``,
        ``created``, ``model``, ``choices`` (``index``, ``message`` with ``role: assistant``,
        ``content`` and ``refusal``, ``finish_reason``, ``logprobs``) and ``usage``."""
        queued = self._replies.get(chat.format_name)
        reply = queued.popleft() if queued else _smallest(chat.body)
        if isinstance(reply, RawAnswer):
            return web.Response(
                status=reply.status, text=reply.text, content_type=reply.content_type
            )
        content = reply(chat) if callable(reply) else reply
        text = content if isinstance(content, str) else json.dumps(content)
        self.answered.append((chat.format_name, text))
        prompt_tokens = sum(len(each.split()) for each in chat.texts)
        completion_tokens = len(text.split())
        answer = {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": chat.model,
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": text,
                        "refusal": None,
                        "annotations": [],
                    },
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
        return web.json_response(answer)

    def _record(self, request: web.Request, body: bytes, status: int, *, stalled: bool) -> None:
        self.requests.append(
            Received(request.method, request.path, dict(request.headers), body, status, stalled)
        )


def check_strict_schema(schema: Any) -> list[Problem]:
    """What Structured Outputs refuses in a ``strict`` schema ("Supported schemas"):

    - "the root level object must be an object, and not use anyOf";
    - "all fields must be required": every object's ``required`` lists all its properties;
    - "additionalProperties: false must always be set in objects";
    - only the supported types and keywords; at most 10 levels of nesting and 5000
      properties in all.
    """
    where = "response_format.json_schema.schema"
    if not isinstance(schema, dict) or schema.get("type") != "object" or "anyOf" in schema:
        return [Problem(where, "the root must be an object (type: object), not anyOf")]
    problems: list[Problem] = []
    counted = [0]

    def walk(node: Any, at: str, depth: int) -> None:
        if not isinstance(node, dict):
            problems.append(Problem(at, "must be a schema object"))
            return
        if depth > STRICT_MAX_DEPTH:
            problems.append(Problem(at, f"nests deeper than {STRICT_MAX_DEPTH} levels"))
            return
        problems.extend(_keyword_problems(node, at))
        properties = node.get("properties")
        if node.get("type") == "object" or properties is not None:
            properties = properties or {}
            counted[0] += len(properties)
            problems.extend(_object_problems(node, properties, at))
            for name, inner in properties.items():
                walk(inner, f"{at}.properties.{name}", depth + 1)
        if "items" in node:
            walk(node["items"], f"{at}.items", depth + 1)
        for index, branch in enumerate(node.get("anyOf") or []):
            walk(branch, f"{at}.anyOf[{index}]", depth + 1)
        for name, inner in (node.get("$defs") or {}).items():
            walk(inner, f"{at}.$defs.{name}", depth)

    walk(schema, where, 1)
    if counted[0] > STRICT_MAX_PROPERTIES:
        problems.append(Problem(where, f"more than {STRICT_MAX_PROPERTIES} properties"))
    return problems


def _keyword_problems(node: dict[str, Any], at: str) -> list[Problem]:
    """A schema object's keywords and types that strict mode does not support."""
    problems: list[Problem] = []
    unknown = sorted(set(node) - STRICT_KEYWORDS)
    if unknown:
        problems.append(Problem(at, f"keywords not supported in strict mode: {unknown}"))
    named = node.get("type")
    for each in [named] if isinstance(named, str) else list(named or []):
        if each not in STRICT_TYPES:
            problems.append(Problem(at, f"type {each!r} is not supported"))
    return problems


def _object_problems(node: dict[str, Any], properties: dict[str, Any], at: str) -> list[Problem]:
    """An object's that strict mode refuses: other properties allowed, a property optional."""
    problems: list[Problem] = []
    if node.get("additionalProperties") is not False:
        problems.append(Problem(at, "additionalProperties: false must be set"))
    missing = sorted(set(properties) - set(node.get("required") or []))
    if missing:
        problems.append(Problem(at, f"all fields must be required; not: {missing}"))
    return problems


def _smallest(body: Mapping[str, Any]) -> Content:
    """The smallest value of the schema a request asks for: its objects with every property,
    arrays empty, text empty, numbers 0, an enum's first value (every section empty; no
    verdicts). A request without a schema gets an empty object."""
    response_format = body.get("response_format") or {}
    schema = (response_format.get("json_schema") or {}).get("schema") or {"type": "object"}

    def smallest(node: Mapping[str, Any]) -> Any:
        if "enum" in node:
            return node["enum"][0]
        kind = node.get("type")
        if kind == "object":
            return {name: smallest(inner) for name, inner in (node.get("properties") or {}).items()}
        return {"array": [], "string": "", "integer": 0, "number": 0, "boolean": False}.get(
            str(kind)
        )

    value = smallest(schema)
    return value if isinstance(value, dict) else {}


def _error(
    status: int, message: str, *, param: str | None = None, code: str | None = None
) -> web.Response:
    """OpenAI's ``ErrorResponse``: ``{"error": {"message", "type", "param", "code"}}``, all
    four required (``Error.required``)."""
    kind = "server_error" if status >= 500 else "invalid_request_error"
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return web.json_response(body, status=status)
