"""A fake ntfy server (JSON publishing, ``POST /``) on 127.0.0.1, for tests and the demo.

Strict where ntfy's documentation is (https://docs.ntfy.sh/publish/, "Publish as JSON",
"Message priority", "Click action", "Action buttons", "Access tokens"); each rule cites its
section in the method that checks it. It keeps every published message per topic (``phone``:
what a subscribed phone would show), can require a token, and can inject failures (``fail``,
``stall``, from FakeHttpServer) answered with ntfy's error bodies.

    async with FakeNtfy(token="tk_...") as ntfy:
        settings = settings.changed(paging__ntfy_url=ntfy.root, paging__ntfy_token=...)
        ...
        await ntfy.wait_for(lambda: ntfy.phone("erin-7f3a9c"))
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from emulator.fake_http import FakeHttpServer

# "Publish as JSON": the JSON fields ntfy takes; anything else is refused (ntfy decodes the
# body into its message struct with unknown fields disallowed).
JSON_FIELDS = frozenset(
    {
        "topic", "message", "title", "tags", "priority", "actions", "click", "attach",
        "markdown", "icon", "filename", "delay", "email", "call", "sequence_id", "id",
    }
)  # fmt: skip
# "Publishing": topics are letters, digits, _ and -, 1 to 64 characters.
TOPIC = re.compile(r"^[-_A-Za-z0-9]{1,64}$")
# "Action buttons": up to three; types view, broadcast, http, copy.
MAX_ACTIONS = 3
ACTION_TYPES = frozenset({"view", "broadcast", "http", "copy"})
HTTP_METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"})
# "Limitations": a message above 4,096 bytes becomes an attachment; the fake refuses it so a
# notification that would arrive as a file is caught.
MAX_MESSAGE_BYTES = 4096


@dataclass(frozen=True)
class Published:
    """One message ntfy accepted, as a subscriber receives it."""

    id: str
    topic: str
    message: str
    title: str | None
    priority: int
    click: str | None
    actions: list[dict[str, Any]]
    tags: list[str]
    at: float = field(default_factory=time.monotonic)

    def action(self, label: str) -> dict[str, Any]:
        return next(a for a in self.actions if a["label"] == label)


class FakeNtfy(FakeHttpServer):
    """An ntfy server that takes JSON publishes at its root and keeps them per topic.

    ``token``: when set, every publish needs ``Authorization: Bearer <token>`` ("Access
    tokens"), as on a server with ``auth-default-access: deny-all``.
    """

    def __init__(self, token: str | None = None) -> None:
        super().__init__()
        self.token = token
        self.published: list[Published] = []
        self.refused: list[tuple[int, dict[str, Any]]] = []

    def phone(self, topic: str) -> list[Published]:
        """What a phone subscribed to ``topic`` has received, oldest first."""
        return [message for message in self.published if message.topic == topic]

    def describe(self) -> str:
        lines = [f"{len(self.published)} published, {len(self.refused)} refused"]
        lines += [f"  refused {status}: {body}" for status, body in self.refused]
        return "\n".join(lines)

    async def tap(
        self, message: Published, label: str, *, reach: tuple[str, str] = ("", "")
    ) -> int:
        """Tap an ``http`` action button as the ntfy app does: the request it describes
        ("Send HTTP request": POST unless ``method`` says otherwise, with its headers and
        body); the status answered. ``reach``: (public address, where it leads), as a
        proxy in front of the server would take the phone's request there."""
        action = message.action(label)
        assert action["action"] == "http", action
        public, actual = reach
        url = action["url"].replace(public, actual, 1) if public else action["url"]
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                action.get("method", "POST"),
                url,
                headers=action.get("headers") or {},
                data=action.get("body", ""),
            ) as response,
        ):
            await response.read()
            return response.status

    # -- HTTP ------------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        status, answer = await self._answer(request, body)
        if status != 200:
            self.refused.append((status, answer))
        return web.json_response(answer, status=status)

    async def _answer(self, request: web.Request, body: bytes) -> tuple[int, dict[str, Any]]:
        if request.method not in ("POST", "PUT"):
            return _error(405, 40500, "method not allowed")
        # "Publish as JSON": to the root URL, not the topic URL.
        if request.path != "/":
            return _error(400, 40000, "publish JSON to the root URL, not to a topic URL")
        if (refused := self._unauthorized(request)) is not None:
            return refused
        if (mishap := await self.next_mishap()) is not None:
            return _error(mishap.status, mishap.status * 100, "injected failure")
        try:
            data = json.loads(body)
        except ValueError:
            return _error(400, 40017, "invalid request: request body must be message JSON")
        if not isinstance(data, dict):
            return _error(400, 40017, "invalid request: request body must be message JSON")
        if problem := _problem(data):
            return _error(400, 40000, problem)
        message = Published(
            id=secrets.token_urlsafe(9),
            topic=data["topic"],
            message=data.get("message") or "triggered",
            title=data.get("title"),
            priority=data.get("priority", 3),
            click=data.get("click"),
            actions=list(data.get("actions") or []),
            tags=list(data.get("tags") or []),
        )
        self.published.append(message)
        await asyncio.sleep(0)
        return 200, {
            "id": message.id,
            "time": int(time.time()),
            "event": "message",
            "topic": message.topic,
            "message": message.message,
        }

    def _unauthorized(self, request: web.Request) -> tuple[int, dict[str, Any]] | None:
        """ "Access tokens": ``Authorization: Bearer tk_…``; a wrong one is 401, none 403."""
        if self.token is None:
            return None
        given = request.headers.get("Authorization")
        if given is None:
            return _error(403, 40301, "forbidden")
        if given != f"Bearer {self.token}":
            return _error(401, 40101, "unauthorized")
        return None


def _problem(data: dict[str, Any]) -> str | None:
    """Why ntfy would refuse this JSON message, or None."""
    unknown = sorted(set(data) - JSON_FIELDS)
    if unknown:
        return f"unknown field(s) {', '.join(unknown)}"
    topic = data.get("topic")
    if not isinstance(topic, str) or not TOPIC.match(topic):
        return "topic: required, letters, digits, _ and - (at most 64)"
    # "Message priority": an int, one of 1, 2, 3, 4 or 5.
    if "priority" in data and data["priority"] not in (1, 2, 3, 4, 5):
        return "priority: one of 1, 2, 3, 4, 5"
    for name in ("message", "title", "click"):
        if name in data and not isinstance(data[name], str):
            return f"{name}: a string"
    if len(str(data.get("message", "")).encode()) > MAX_MESSAGE_BYTES:
        return "message: longer than 4096 bytes"
    # "Click action": a URL opened when the notification is tapped.
    if "click" in data and not data["click"].startswith(("http://", "https://")):
        return "click: a URL"
    return _actions_problem(data.get("actions"))


def _actions_problem(actions: Any) -> str | None:
    """ "Action buttons": up to three; each has ``action`` and ``label``; ``view`` and
    ``http`` need ``url``; ``http`` takes ``method``, ``headers`` (strings) and ``body``."""
    if actions is None:
        return None
    if not isinstance(actions, list) or len(actions) > MAX_ACTIONS:
        return "actions: a list of at most 3"
    for action in actions:
        if not isinstance(action, dict) or action.get("action") not in ACTION_TYPES:
            return "actions: each needs action: view, broadcast, http or copy"
        if not isinstance(action.get("label"), str) or not action["label"]:
            return "actions: each needs a label"
        if action["action"] in ("view", "http"):
            url = action.get("url")
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                return f"actions: {action['action']} needs a url"
        if action["action"] == "http":
            if action.get("method", "POST") not in HTTP_METHODS:
                return "actions: http method not allowed"
            headers = action.get("headers", {})
            if not isinstance(headers, dict) or not all(
                isinstance(v, str) for v in headers.values()
            ):
                return "actions: http headers are a map of strings"
            if not isinstance(action.get("body", ""), str):
                return "actions: http body is a string"
    return None


def _error(status: int, code: int, text: str) -> tuple[int, dict[str, Any]]:
    """ntfy's error body: ``{"code", "http", "error", "link"}``."""
    return status, {
        "code": code,
        "http": status,
        "error": text,
        "link": "https://ntfy.sh/docs/publish/",
    }
