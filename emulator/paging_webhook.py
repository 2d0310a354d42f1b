"""A team's paging webhook receiver on 127.0.0.1 (its own SMS gateway, a Signal bridge), as
warroom's README tells receivers to be written ("Paging webhooks"), for tests and the demo.

Strict: a request is refused 401 unless ``X-Warroom-Timestamp`` is whole Unix seconds within
the replay window of the receiver's clock, ``X-Warroom-Signature`` is ``v1=`` and the hex
HMAC-SHA256, with the shared secret, of the timestamp, a dot and the raw body (compared in
constant time), and the same signed request was not seen before; 400 unless the body is the
documented JSON (version 1, an incident's page, an alert's page or a test, every field of
it). ``fail``/``stall`` (from FakeHttpServer) and ``redirect`` inject the answers a broken
receiver gives.

    async with FakeWebhookReceiver("s3cret", clock=lambda: warroom.clock.now.timestamp()) as r:
        ...
        (page,) = r.pages
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from emulator.fake_http import FakeHttpServer

REPLAY_WINDOW = 300.0
SIGNATURE = re.compile(r"^v1=[0-9a-f]{64}$")
PAGE_KEYS = frozenset(
    {"version", "type", "delivery", "sent_at", "incident", "paged", "escalation",
     "acknowledge_url"}
)  # fmt: skip
INCIDENT_KEYS = frozenset({"reference", "title", "severity", "status", "url", "slack_url"})
PAGED_KEYS = frozenset({"user", "name", "rule"})
ESCALATION_KEYS = frozenset({"policy", "level", "requested_by"})
TEST_KEYS = frozenset({"version", "type", "text", "sent_at"})
# An alert's page (no incident): the alert, and the links to act on it.
ALERT_PAGE_KEYS = frozenset(
    {"version", "type", "delivery", "sent_at", "alert", "paged", "escalation",
     "acknowledge_url", "escalate_url", "console_url"}
)  # fmt: skip
ALERT_KEYS = frozenset(
    {"id", "title", "severity", "urgency", "state", "route", "service", "url", "slack_url"}
)


class FakeWebhookReceiver(FakeHttpServer):
    """Keeps every page and test it took (``pages``, ``tests``) and every refusal."""

    def __init__(self, secret: str, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.secret = secret
        self.clock = clock
        self.pages: list[dict[str, Any]] = []
        self.tests: list[dict[str, Any]] = []
        self.deliveries: list[str] = []
        self.refused: list[tuple[int, str]] = []
        self._seen: set[str] = set()
        self._redirects = 0

    def redirect(self, times: int = 1) -> None:
        """Answer the next ``times`` requests 302 to another host."""
        self._redirects += times

    def describe(self) -> str:
        lines = [f"{len(self.pages)} pages, {len(self.tests)} tests, {len(self.refused)} refused"]
        return "\n".join([*lines, *(f"  refused {s}: {why}" for s, why in self.refused)])

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        status, why = await self._answer(request, body)
        if status >= 300:
            self.refused.append((status, why))
        if 300 <= status < 400:
            raise web.HTTPFound("https://elsewhere.example.net/hook")
        return web.Response(status=status, text=why)

    async def _answer(self, request: web.Request, body: bytes) -> tuple[int, str]:
        if request.method != "POST":
            return 405, "POST only"
        if self._redirects:
            self._redirects -= 1
            return 302, "moved"
        if (mishap := await self.next_mishap()) is not None:
            return mishap.status, "injected failure"
        if request.content_type != "application/json":
            return 415, "application/json only"
        if problem := self._unsigned(request, body):
            return 401, problem
        try:
            document = json.loads(body)
        except ValueError:
            return 400, "not JSON"
        if problem := _document_problem(document, request.headers.get("X-Warroom-Delivery")):
            return 400, problem
        (self.tests if document["type"] == "test" else self.pages).append(document)
        self.deliveries.append(request.headers.get("X-Warroom-Delivery", ""))
        return 204, ""

    def _unsigned(self, request: web.Request, body: bytes) -> str | None:
        stamp = request.headers.get("X-Warroom-Timestamp", "")
        given = request.headers.get("X-Warroom-Signature", "")
        if not stamp.isdigit():
            return "X-Warroom-Timestamp: whole Unix seconds"
        if abs(self.clock() - int(stamp)) > REPLAY_WINDOW:
            return "X-Warroom-Timestamp: outside the replay window"
        if not SIGNATURE.match(given):
            return "X-Warroom-Signature: v1= and 64 hex digits"
        signed = stamp.encode() + b"." + body
        expected = "v1=" + hmac.new(self.secret.encode(), signed, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, given):
            return "X-Warroom-Signature: wrong signature"
        if given in self._seen:
            return "replayed: this signed request was taken already"
        self._seen.add(given)
        return None


def _document_problem(document: Any, delivery: str | None) -> str | None:
    if not isinstance(document, dict) or document.get("version") != 1:
        return "a JSON object of version 1"
    if document.get("type") == "test":
        return None if set(document) == TEST_KEYS else f"a test has exactly {sorted(TEST_KEYS)}"
    if document.get("type") == "alert":
        if set(document) != ALERT_PAGE_KEYS:
            return f"an alert's page has exactly {sorted(ALERT_PAGE_KEYS)}"
        about = ("alert", ALERT_KEYS)
    elif document.get("type") != "page" or set(document) != PAGE_KEYS:
        return f"a page has exactly {sorted(PAGE_KEYS)}"
    else:
        about = ("incident", INCIDENT_KEYS)
    parts = (about, ("paged", PAGED_KEYS), ("escalation", ESCALATION_KEYS))
    for name, keys in parts:
        if not isinstance(document[name], dict) or set(document[name]) != keys:
            return f"{name}: exactly {sorted(keys)}"
    if delivery != document["delivery"]:
        return "X-Warroom-Delivery differs from the body's delivery"
    return None
