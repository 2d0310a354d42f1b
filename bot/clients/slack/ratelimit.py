"""Slack's rate limits, honoured by every call the process makes.

Slack answers 429 with ``Retry-After`` per method. Retrying each call on its own (what
slack_sdk's handler does) lets a burst of callers keep hitting the limit, each burning
its retries. Here a 429 closes the method's gate for ``Retry-After`` seconds; every call
of that method, new or retrying, waits at the gate, so calls queue up instead of failing.

``chat.postMessage`` is limited per channel instead, about one message a second with short
bursts (https://docs.slack.dev/apis/web-api/rate-limits, "Posting messages"): its gate is
the channel's, so one busy incident channel never holds back the others.

A caller that has better things to do than wait (the job runner: a job waiting at a gate
would hold its place in the queue) sets a patience with ``waiting_at_most``: a call whose
gate stays closed longer raises ``SlackRateLimited`` at once, with the seconds left.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.basics import precedence
from bot.basics.numbers import parse_bounded_int
from bot.clients.slack.errors import RETRY_AFTER_MAX, SlackRateLimited, SlackTurnLater
from bot.clients.slack.pacing import SlackPacer

log = logging.getLogger(__name__)
# A rate-limited call waits this many times before its caller sees the 429: with a shared
# gate the waits are the queue, not wasted attempts. Jobs retry beyond that.
RATE_LIMIT_RETRIES = 30


# Methods Slack limits per channel rather than per workspace.
PER_CHANNEL_METHODS = frozenset({"chat.postMessage"})
# The gate of the call under way, for the retry handler (which sees only the HTTP request).
_current_gate: ContextVar[str | None] = ContextVar("slack_rate_limit_gate", default=None)
# The longest a call may wait at a closed gate (None: as long as the gate says).
_patience: ContextVar[float | None] = ContextVar("slack_rate_limit_patience", default=None)
# The longest it may wait for its turn in a method's pace (None: as at a gate).
_turn_patience: ContextVar[float | None] = ContextVar("slack_turn_patience", default=None)


@contextmanager
def waiting_at_most(seconds: float, *, turns: float | None = None) -> Iterator[None]:
    """Calls made inside raise ``SlackRateLimited`` instead of waiting longer than ``seconds``
    at a closed gate or for a channel's next post, so the caller can do other work and come
    back when it opens; and ``SlackTurnLater`` instead of waiting longer than ``turns`` (if
    given) for their turn in a method's pace, which comes when the calls ahead of it have
    gone, in a burst when a window frees: a caller back at its turn loses nothing."""
    token, turn_token = _patience.set(seconds), _turn_patience.set(turns)
    try:
        yield
    finally:
        _patience.reset(token)
        _turn_patience.reset(turn_token)


def too_long(seconds: float, *, turn: bool = False) -> bool:
    """Whether waiting ``seconds`` (for a turn in a method's pace: ``turn``) is beyond the
    current caller's patience."""
    patience = _patience.get()
    if turn and _turn_patience.get() is not None:
        patience = _turn_patience.get()
    return patience is not None and seconds > patience


def gate_of(method: str, arguments: dict[str, Any]) -> str:
    """The gate a call waits at: its method's, or its method's in one channel."""
    channel = arguments.get("channel")
    if method in PER_CHANNEL_METHODS and isinstance(channel, str) and channel:
        return f"{method} {channel}"
    return method


class RateLimitGate:
    """When each Slack method may be called again, learnt from 429 answers."""

    def __init__(self) -> None:
        self._open_at: dict[str, float] = {}
        self.limited = 0  # 429 answers seen, for logs and tests

    async def wait(self, method: str) -> None:
        """Return once ``method`` (a gate: a method, or a method in one channel) is not rate
        limited."""
        while (delay := self._open_at.get(method, 0.0) - time.monotonic()) > 0:
            # A little jitter, so the queue does not stampede the moment the gate opens.
            await asyncio.sleep(delay + random.uniform(0, 0.25))

    def closed_for(self, method: str) -> float:
        """Seconds until ``method``'s gate opens (0 when it is open)."""
        return max(0.0, self._open_at.get(method, 0.0) - time.monotonic())

    def close(self, method: str, seconds: float) -> None:
        """Slack said ``method`` is rate limited for ``seconds``."""
        self.limited += 1
        open_at = time.monotonic() + seconds
        if open_at > self._open_at.get(method, 0.0):
            log.warning("Slack rate-limited %s; calls wait %.0f s", method, seconds)
            self._open_at[method] = open_at


class RateLimitRetryHandler(AsyncRetryHandler):
    """Retry 429 answers after the method's gate opens again."""

    def __init__(self, gate: RateLimitGate, max_retry_count: int = RATE_LIMIT_RETRIES) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.gate = gate

    async def _can_retry_async(
        self,
        *,
        state: RetryState,  # noqa: ARG002
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        # Asked again about an earlier 429 when a later attempt raised: not a new 429.
        if error is not None or response is None or response.status_code != 429:
            return False
        gate = _current_gate.get() or api_method(request.url)
        self.gate.close(gate, retry_after(response))
        # An impatient caller hears the 429 (as SlackRateLimited) rather than wait for it.
        return not too_long(self.gate.closed_for(gate))

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,  # noqa: ARG002
        error: Exception | None = None,  # noqa: ARG002
    ) -> None:
        await self.gate.wait(_current_gate.get() or api_method(request.url))
        state.next_attempt_requested = True
        state.increment_current_attempt()


class GatedWebClient(AsyncWebClient):
    """The Web API client whose every call first waits for its turn under Slack's limits
    (the pacer), then at its method's gate (closed by a 429)."""

    def __init__(
        self, *, gate: RateLimitGate, pacer: SlackPacer | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.gate = gate
        self.pacer = pacer or SlackPacer()

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        arguments = {**(kwargs.get("params") or {}), **(kwargs.get("json") or {})}
        gate = gate_of(api_method, arguments)
        channel = arguments.get("channel")
        channel = channel if isinstance(channel, str) and channel else None
        # Held for the pages in flight first, so that the waits judged below are those
        # of when the call goes, not of before the hold.
        await precedence.after_pages()
        token = _current_gate.set(gate)
        try:
            closed, turn = self.gate.closed_for(gate), self.pacer.expected_wait(api_method, channel)
            per_channel = gate != api_method  # a channel's posts: waited for as at a gate
            if too_long(closed) or (per_channel and too_long(turn)):
                raise SlackRateLimited(api_method, "ratelimited", retry_after=max(closed, turn))
            if not per_channel and too_long(turn, turn=True):  # a turn in the method's pace
                raise SlackTurnLater(api_method, "ratelimited", retry_after=max(closed, turn))
            await self.pacer.take(api_method, channel)
            await self.gate.wait(gate)
            return await super().api_call(api_method, **kwargs)
        finally:
            _current_gate.reset(token)


def api_method(url: str) -> str:
    """``chat.postMessage`` from ``https://slack.com/api/chat.postMessage?...``."""
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def retry_after(response: HttpResponse) -> float:
    """Seconds Slack asks to wait (whole seconds, an hour at most); 1 when it does not say."""
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            seconds = parse_bounded_int(str(values[0]).strip(), 0, RETRY_AFTER_MAX)
            return 1.0 if seconds is None else float(seconds)
    return 1.0
