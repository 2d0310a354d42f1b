"""A fake Microsoft Teams Workflows webhook ("Send webhook alerts to a channel") on 127.0.0.1,
for tests and the demo.

Strict where the published formats are: the body is the Bot Framework message the template
reads (``{"type": "message", "attachments": [{"contentType":
"application/vnd.microsoft.card.adaptive", "content": {...}}]}``, Microsoft Learn, "Create
incoming webhooks with Workflows for Microsoft Teams"); the card follows the Adaptive Card
schema (https://adaptivecards.io/explorer/): ``type`` AdaptiveCard, a ``version`` Teams renders
(1.0 to 1.5), body elements of known types (a TextBlock's ``text`` a string, a FactSet's facts
``{title, value}`` strings), actions of known types, an Action.OpenUrl with a ``title`` and an
absolute http(s) ``url``. Anything else is answered 400, as the flow fails to post it.
Accepted cards are kept (``cards``) and answered 202, as Workflows does.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from emulator.fake_http import FakeHttpServer

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
VERSIONS = frozenset({"1.0", "1.1", "1.2", "1.3", "1.4", "1.5"})
ELEMENTS = frozenset(
    {"TextBlock", "FactSet", "ColumnSet", "Container", "Image", "RichTextBlock", "ActionSet"}
)
ACTIONS = frozenset({"Action.OpenUrl", "Action.ShowCard", "Action.ToggleVisibility"})


class FakeTeamsWorkflow(FakeHttpServer):
    def __init__(self) -> None:
        super().__init__()
        self.cards: list[dict[str, Any]] = []
        self.refused: list[tuple[int, str]] = []

    @property
    def url(self) -> str:
        """The flow's URL as Teams shows it: its signature in the query."""
        return f"{self.root}/workflows/0f1e/triggers/manual/paths/invoke?api-version=1&sig=s3cr3t"

    def describe(self) -> str:
        return f"{len(self.cards)} cards, refused: {self.refused}"

    async def handle(self, request: web.Request) -> web.Response:
        status, why = await self._answer(request)
        if status != 202:
            self.refused.append((status, why))
        return web.json_response({"error": why} if why else {}, status=status)

    async def _answer(self, request: web.Request) -> tuple[int, str]:
        if request.method != "POST":
            return 405, "POST only"
        if request.query.get("sig") != "s3cr3t":
            return 401, "the URL's signature is wrong"
        if (mishap := await self.next_mishap()) is not None:
            return mishap.status, "injected failure"
        try:
            body = json.loads(await request.read())
        except ValueError:
            return 400, "not JSON"
        if problem := message_problem(body):
            return 400, problem
        self.cards.append(body["attachments"][0]["content"])
        return 202, ""


def message_problem(body: Any) -> str | None:
    if not isinstance(body, dict) or body.get("type") != "message":
        return 'type: "message"'
    attachments = body.get("attachments")
    if not isinstance(attachments, list) or len(attachments) != 1:
        return "attachments: one card"
    attachment = attachments[0]
    if not isinstance(attachment, dict) or attachment.get("contentType") != CARD_TYPE:
        return f"contentType: {CARD_TYPE}"
    return card_problem(attachment.get("content"))


def card_problem(card: Any) -> str | None:
    if not isinstance(card, dict) or card.get("type") != "AdaptiveCard":
        return "content: an AdaptiveCard"
    if card.get("version") not in VERSIONS:
        return f"version: one of {sorted(VERSIONS)}"
    body = card.get("body")
    if not isinstance(body, list) or not body:
        return "body: a list of elements"
    for element in body:
        if problem := _element_problem(element):
            return problem
    for action in card.get("actions", []):
        if problem := _action_problem(action):
            return problem
    return None


def _element_problem(element: Any) -> str | None:
    kind = element.get("type") if isinstance(element, dict) else None
    if kind not in ELEMENTS:
        return f"body: unknown element {kind!r}"
    if kind == "TextBlock" and not isinstance(element.get("text"), str):
        return "TextBlock: text, a string"
    if kind == "FactSet":
        facts = element.get("facts")
        if not isinstance(facts, list) or not all(
            isinstance(f, dict) and set(f) == {"title", "value"}
            and all(isinstance(v, str) for v in f.values())
            for f in facts
        ):  # fmt: skip
            return "FactSet: facts of {title, value} strings"
    return None


def _action_problem(action: Any) -> str | None:
    kind = action.get("type") if isinstance(action, dict) else None
    if kind not in ACTIONS:
        return f"actions: unknown or unsupported action {kind!r}"
    if kind == "Action.OpenUrl":
        url = action.get("url")
        if not isinstance(action.get("title"), str) or not isinstance(url, str):
            return "Action.OpenUrl: title and url"
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            return "Action.OpenUrl: an absolute http(s) url"
    return None
