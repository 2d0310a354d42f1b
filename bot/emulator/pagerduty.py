"""A fake PagerDuty Events API v2 (`POST /v2/enqueue`) on 127.0.0.1, for tests and the demo.

It validates events the way PagerDuty documents them, answers 202/400/413 with PagerDuty's
bodies, keeps every request and every accepted event, models alert state per
(routing_key, dedup_key), and can inject failures (`fail`) and slow answers (`stall`).

    async with FakePagerDuty() as pagerduty:
        settings.pagerduty_events_url = pagerduty.events_url
        ...
        await pagerduty.wait_for(lambda: pagerduty.events_for("warroom-INC-42"))
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from typing import Any, Self

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

ENQUEUE_PATH = "/v2/enqueue"
MAX_BODY_BYTES = 512 * 1024
ROUTING_KEY_LENGTH = 32
MAX_SUMMARY_LENGTH = 1024
MAX_DEDUP_KEY_LENGTH = 255
EVENT_ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
STALL_STATUS = 504  # what a stalled request is finally answered with (if the client still waits)

# aiohttp's own limit: well above MAX_BODY_BYTES so that oversized bodies reach the handler,
# get PagerDuty's 413 and are recorded.
_READ_LIMIT = 16 * 1024 * 1024
_POLL_INTERVAL = 0.01


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


@dataclass
class _Mishap:
    """A pending `fail` or `stall` for the next `times` requests."""

    times: int
    status: int = STALL_STATUS
    retry_after: int | None = None
    stall: float | None = None  # seconds; None for an immediate failure


class FakePagerDuty:
    """A PagerDuty Events API v2 endpoint on 127.0.0.1 that records what it is sent.

    `events` holds the body of every accepted event in arrival order (a trigger sent without
    a dedup_key gets the generated one filled in, as PagerDuty does); `requests` holds every
    request, including rejected, failed and stalled ones.
    """

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.requests: list[ReceivedRequest] = []
        self._alerts: dict[tuple[str, str], str] = {}
        self._mishaps: deque[_Mishap] = deque()
        self._runner: web.AppRunner | None = None
        self._root: str | None = None
        self._closing = asyncio.Event()

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host:port (port 0 picks a free one); see `events_url`."""
        if self._runner is not None:
            raise RuntimeError("FakePagerDuty is already running")
        self._closing = asyncio.Event()
        app = web.Application(client_max_size=_READ_LIMIT)
        app.router.add_route("*", "/{path:.*}", self._handle)
        # A short shutdown timeout: a test's stop() must not hang on a client's keep-alive.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        self._root = f"http://{host}:{runner.addresses[0][1]}"

    async def stop(self) -> None:
        """Stop listening; requests still stalled are answered at once. Safe to call twice."""
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def events_url(self) -> str:
        """The enqueue URL, e.g. "http://127.0.0.1:PORT/v2/enqueue" (only once started)."""
        if self._root is None:
            raise RuntimeError("FakePagerDuty is not started")
        return self._root + ENQUEUE_PATH

    # -- failure injection -----------------------------------------------------------------
    def fail(self, status: int, *, times: int = 1, retry_after: int | None = None) -> None:
        """Answer the next `times` events with HTTP `status` (4xx/5xx); none is accepted.

        `retry_after` adds a Retry-After header (seconds), as on a 429. `fail` and `stall`
        queue up in call order: each request to /v2/enqueue takes the oldest pending one.
        """
        if not 400 <= status <= 599:
            raise ValueError(f"fail() needs a 4xx or 5xx status, not {status}")
        self._queue(_Mishap(_positive(times), status, retry_after))

    def stall(self, seconds: float, *, times: int = 1) -> None:
        """Hold the next `times` events for `seconds` before answering (to make clients time out).

        A stalled event is never accepted: if the client is still waiting it finally gets
        HTTP 504. `stop()` ends a stall early. Queued with `fail` in call order.
        """
        if seconds < 0:
            raise ValueError(f"stall() needs seconds >= 0, not {seconds}")
        self._queue(_Mishap(_positive(times), stall=seconds))

    def _queue(self, mishap: _Mishap) -> None:
        self._mishaps.append(mishap)

    def _take_mishap(self) -> _Mishap | None:
        if not self._mishaps:
            return None
        mishap = self._mishaps[0]
        mishap.times -= 1
        if mishap.times <= 0:
            self._mishaps.popleft()
        return mishap

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

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Poll `predicate` until it returns something truthy and return that.

        Raises AssertionError after `timeout` seconds, listing what the fake received.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if loop.time() >= deadline:
                name = getattr(predicate, "__qualname__", repr(predicate))
                raise AssertionError(
                    f"FakePagerDuty.wait_for({name}) still falsy ({value!r}) after {timeout}s; "
                    f"{self._describe()}"
                )
            await asyncio.sleep(_POLL_INTERVAL)

    def _describe(self) -> str:
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
    async def _handle(self, request: web.Request) -> web.Response:
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
        if (mishap := self._take_mishap()) is not None:
            if mishap.stall is not None:
                await self._sleep(mishap.stall)
                return STALL_STATUS, _error_body(STALL_STATUS), {}, True
            headers: dict[str, str] = {}
            if mishap.retry_after is not None:
                headers["Retry-After"] = str(mishap.retry_after)
            return mishap.status, _error_body(mishap.status), headers, False
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

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake early when the server stops."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

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
    routing_key = event.get("routing_key")
    if not _present(routing_key):
        errors.append("'routing_key' is missing or blank")
    elif not isinstance(routing_key, str):
        errors.append("'routing_key' must be a string")
    elif len(routing_key) != ROUTING_KEY_LENGTH:
        errors.append(
            f"Length of 'routing_key' is incorrect (should be {ROUTING_KEY_LENGTH} characters)"
        )
    action = event.get("event_action")
    if not _present(action):
        errors.append("'event_action' is missing or blank")
    elif action not in EVENT_ACTIONS:
        errors.append(f"'event_action' must be one of {', '.join(EVENT_ACTIONS)}, not {action!r}")
    dedup_key = event.get("dedup_key")
    if dedup_key is not None:
        if not isinstance(dedup_key, str):
            errors.append("'dedup_key' must be a string")
        elif len(dedup_key) > MAX_DEDUP_KEY_LENGTH:
            errors.append(f"'dedup_key' is too long (maximum is {MAX_DEDUP_KEY_LENGTH} characters)")
    if action in ("acknowledge", "resolve") and not _present(dedup_key):
        errors.append(f"'dedup_key' is missing or blank (required to {action})")
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
    summary = payload.get("summary")
    if not _present(summary):
        errors.append("'payload.summary' is missing or blank")
    elif not isinstance(summary, str):
        errors.append("'payload.summary' must be a string")
    elif len(summary) > MAX_SUMMARY_LENGTH:
        errors.append(f"'payload.summary' is too long (maximum is {MAX_SUMMARY_LENGTH} characters)")
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


def _positive(times: int) -> int:
    if times < 1:
        raise ValueError(f"times must be >= 1, not {times}")
    return times
