"""A fake PagerDuty Events API v2 (`POST /v2/enqueue`) on 127.0.0.1, for tests and the demo.

It validates events the way PagerDuty documents them, answers 202/400/413 with PagerDuty's
bodies, keeps every request and every accepted event, models alert state per
(routing_key, dedup_key), and can inject failures (`fail`) and slow answers (`stall`).

    async with FakePagerDuty() as pagerduty:
        settings = settings.changed(escalation__pagerduty_events_url=pagerduty.events_url)
        ...
        await pagerduty.wait_for(lambda: pagerduty.events_for("warroom-INC-42"))
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from typing import Any

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from emulator.fake_http import STALL_STATUS, FakeHttpServer

ENQUEUE_PATH = "/v2/enqueue"
MAX_BODY_BYTES = 512 * 1024
ROUTING_KEY_LENGTH = 32
MAX_SUMMARY_LENGTH = 1024
MAX_DEDUP_KEY_LENGTH = 255
EVENT_ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")


@dataclass(frozen=True)
class ReceivedRequest:
    """One HTTP request the fake answered (accepted, rejected, failed or stalled)."""

    method: str
    path: str
    headers: Mapping[str, str]  # case-insensitive
    body: bytes
    status: int  # the status answered
    response: dict[str, Any]  # the JSON body answered
    stalled: bool = False
    at: float = field(default_factory=time.monotonic)  # time.monotonic() when answered

    @property
    def event(self) -> dict[str, Any] | None:
        """The body parsed as a JSON object, or None when it is not one."""
        try:
            data = json.loads(self.body)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None


class FakePagerDuty(FakeHttpServer):
    """A PagerDuty Events API v2 endpoint on 127.0.0.1 that records what it is sent.

    `events` holds the body of every accepted event in arrival order (a trigger sent without
    a dedup_key gets the generated one filled in, as PagerDuty does); `requests` holds every
    request, including rejected, failed and stalled ones. `fail` and `stall` (from
    FakeHttpServer) apply to requests to /v2/enqueue, valid or not.
    """

    # Well above MAX_BODY_BYTES so that oversized bodies reach the handler, get PagerDuty's
    # 413 and are recorded.
    client_max_size = 16 * 1024 * 1024

    def __init__(self) -> None:
        super().__init__()
        self.events: list[dict[str, Any]] = []
        self.requests: list[ReceivedRequest] = []
        self._alerts: dict[tuple[str, str], str] = {}

    @property
    def events_url(self) -> str:
        """The enqueue URL, e.g. "http://127.0.0.1:PORT/v2/enqueue" (only once started)."""
        return self.root + ENQUEUE_PATH

    # -- queries ---------------------------------------------------------------------------
    def events_for(self, dedup_key: str) -> list[dict[str, Any]]:
        """The accepted events with this dedup_key (any routing_key), in arrival order."""
        return [event for event in self.events if event.get("dedup_key") == dedup_key]

    def incidents(self) -> dict[tuple[str, str], str]:
        """(routing_key, dedup_key) -> "triggered" | "acknowledged" | "resolved".

        Modelled on PagerDuty: a trigger opens an alert (or adds to the open one, which keeps
        its state); acknowledge and resolve only change an open alert with the same
        routing_key and dedup_key, and are otherwise accepted but dropped.
        """
        return dict(self._alerts)

    def describe(self) -> str:
        """Every request and what it was answered (for a failed `wait_for`)."""
        if not self.requests:
            return "no request received"
        lines = [f"{len(self.events)} event(s) accepted, {len(self.requests)} request(s):"]
        for request in self.requests:
            event = request.event or {}
            line = f"  {request.method} {request.path} -> {request.status}"
            if request.stalled:
                line += " (stalled)"
            if event:
                line += f" {event.get('event_action')!r} dedup_key={event.get('dedup_key')!r}"
            if errors := request.response.get("errors"):
                line += f" errors={errors}"
            lines.append(line)
        return "\n".join(lines)

    # -- HTTP ------------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        stalled = False
        try:
            status, answer, headers, stalled = await self._answer(request, body)
        except asyncio.CancelledError:
            # The server is shutting down in the middle of a stall: still record the request.
            self._record(request, body, STALL_STATUS, _error_body(STALL_STATUS), stalled=True)
            raise
        self._record(request, body, status, answer, stalled=stalled)
        return web.json_response(answer, status=status, headers=headers)

    async def _answer(
        self, request: web.Request, body: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str], bool]:
        """(status, JSON body, headers, stalled) for one request."""
        if request.path != ENQUEUE_PATH:
            return 404, _error_body(404), {}, False
        if request.method != "POST":
            return 405, _error_body(405), {"Allow": "POST"}, False
        if (mishap := await self.next_mishap()) is not None:
            return mishap.status, _error_body(mishap.status), mishap.headers, mishap.stalled
        if len(body) > MAX_BODY_BYTES:
            return 413, _error_body(413), {}, False
        if request.content_type != "application/json":
            errors = [f"Content-Type must be application/json, not {request.content_type!r}"]
            return 400, _invalid(errors), {}, False
        try:
            event = json.loads(body)
        except ValueError as error:
            return 400, _invalid([f"Request body is not valid JSON: {error}"]), {}, False
        if errors := validate_event(event):
            return 400, _invalid(errors), {}, False
        dedup_key = self._accept(event)
        answer = {"status": "success", "message": "Event processed", "dedup_key": dedup_key}
        return 202, answer, {}, False

    def _accept(self, event: dict[str, Any]) -> str:
        """Record a valid event, update the alert it belongs to and return its dedup_key."""
        if not _present(event.get("dedup_key")):
            event["dedup_key"] = uuid.uuid4().hex  # what PagerDuty does for a trigger
        dedup_key: str = event["dedup_key"]
        self.events.append(event)
        alert = (event["routing_key"], dedup_key)
        state = self._alerts.get(alert)
        is_open = state in ("triggered", "acknowledged")
        action = event["event_action"]
        if action == "trigger" and not is_open:
            self._alerts[alert] = "triggered"
        elif action == "acknowledge" and is_open:
            self._alerts[alert] = "acknowledged"
        elif action == "resolve" and is_open:
            self._alerts[alert] = "resolved"
        return dedup_key

    def _record(
        self,
        request: web.Request,
        body: bytes,
        status: int,
        answer: dict[str, Any],
        *,
        stalled: bool,
    ) -> None:
        headers = CIMultiDictProxy(CIMultiDict(request.headers))
        self.requests.append(
            ReceivedRequest(request.method, request.path, headers, body, status, answer, stalled)
        )


# -- validation -------------------------------------------------------------------------------
def validate_event(event: Any) -> list[str]:
    """Everything wrong with an Events API v2 event (an empty list when it is valid)."""
    if not isinstance(event, dict):
        return ["Event must be a JSON object"]
    errors: list[str] = []
    errors += _routing_key_errors(event.get("routing_key"))
    action = event.get("event_action")
    if not _present(action):
        errors.append("'event_action' is missing or blank")
    elif action not in EVENT_ACTIONS:
        errors.append(f"'event_action' must be one of {', '.join(EVENT_ACTIONS)}, not {action!r}")
    errors += _dedup_key_errors(event.get("dedup_key"), action)
    if action == "trigger":
        errors += _payload_errors(event.get("payload"))
    for name in ("client", "client_url"):
        if event.get(name) is not None and not isinstance(event[name], str):
            errors.append(f"'{name}' must be a string")
    errors += _list_errors(event, "links", "href")
    errors += _list_errors(event, "images", "src")
    return errors


def _payload_errors(payload: Any) -> list[str]:
    if payload is None:
        return ["'payload' is missing (required to trigger)"]
    if not isinstance(payload, dict):
        return ["'payload' must be an object"]
    errors: list[str] = []
    errors += _summary_errors(payload.get("summary"))
    source = payload.get("source")
    if not _present(source):
        errors.append("'payload.source' is missing or blank")
    elif not isinstance(source, str):
        errors.append("'payload.source' must be a string")
    severity = payload.get("severity")
    if not _present(severity):
        errors.append("'payload.severity' is missing or blank")
    elif severity not in SEVERITIES:
        errors.append(
            f"'payload.severity' must be one of {', '.join(SEVERITIES)}, not {severity!r}"
        )
    timestamp = payload.get("timestamp")
    if timestamp is not None and not _is_iso8601(timestamp):
        errors.append(f"'payload.timestamp' is not a valid ISO 8601 timestamp: {timestamp!r}")
    for name in ("component", "group", "class"):
        if payload.get(name) is not None and not isinstance(payload[name], str):
            errors.append(f"'payload.{name}' must be a string")
    return errors


def _routing_key_errors(routing_key: Any) -> list[str]:
    """The event's ``routing_key``: present, a string of its length."""
    errors: list[str] = []
    if not _present(routing_key):
        errors.append("'routing_key' is missing or blank")
    elif not isinstance(routing_key, str):
        errors.append("'routing_key' must be a string")
    elif len(routing_key) != ROUTING_KEY_LENGTH:
        errors.append(
            f"Length of 'routing_key' is incorrect (should be {ROUTING_KEY_LENGTH} characters)"
        )
    return errors


def _dedup_key_errors(dedup_key: Any, action: Any) -> list[str]:
    """The event's ``dedup_key``: a string within its length, required to acknowledge or resolve."""
    errors: list[str] = []
    if dedup_key is not None:
        if not isinstance(dedup_key, str):
            errors.append("'dedup_key' must be a string")
        elif len(dedup_key) > MAX_DEDUP_KEY_LENGTH:
            errors.append(f"'dedup_key' is too long (maximum is {MAX_DEDUP_KEY_LENGTH} characters)")
    if action in ("acknowledge", "resolve") and not _present(dedup_key):
        errors.append(f"'dedup_key' is missing or blank (required to {action})")
    return errors


def _summary_errors(summary: Any) -> list[str]:
    """The payload's ``summary``: present, a string within its length."""
    errors: list[str] = []
    if not _present(summary):
        errors.append("'payload.summary' is missing or blank")
    elif not isinstance(summary, str):
        errors.append("'payload.summary' must be a string")
    elif len(summary) > MAX_SUMMARY_LENGTH:
        errors.append(f"'payload.summary' is too long (maximum is {MAX_SUMMARY_LENGTH} characters)")
    return errors


def _list_errors(event: dict[str, Any], name: str, required: str) -> list[str]:
    """`links` / `images`: if present, a list of objects each with a string `required` key."""
    items = event.get(name)
    if items is None:
        return []
    if not isinstance(items, list):
        return [f"'{name}' must be a list"]
    errors = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append(f"'{name}[{index}]' must be an object")
        elif not isinstance(item.get(required), str):
            errors.append(f"'{name}[{index}].{required}' is missing or not a string")
    return errors


def _present(value: Any) -> bool:
    """PagerDuty treats a missing, null or whitespace-only value as absent."""
    return value is not None and not (isinstance(value, str) and not value.strip())


def _is_iso8601(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _invalid(errors: list[str]) -> dict[str, Any]:
    return {"status": "invalid event", "message": "Event object is invalid", "errors": errors}


def _error_body(status: int) -> dict[str, Any]:
    if status == 429:
        return {"status": "throttle event", "message": "Requests are arriving too quickly"}
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return {"status": "error", "message": phrase}
