"""Counting the bot's Slack Web API traffic, through slack_sdk's retry handler hook.

slack_sdk shows every answer (and every failed connection) to the client's retry handlers, in
order, before deciding whether to try again. ``CountCalls`` goes first, never asks for a retry,
and counts each attempt; ``CountRetries`` wraps a real handler and counts the retries it makes.
Bolt's per-request clients copy the bot client's handlers, so its calls are counted too.
"""

from __future__ import annotations

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.clients.slack.ratelimit import api_method
from bot.metrics import Metrics

OK, ERROR, RATE_LIMITED, SERVER_ERROR, CONNECTION_ERROR = (
    "ok",
    "error",
    "rate_limited",
    "server_error",
    "connection_error",
)


def outcome_of(response: HttpResponse | None, error: Exception | None) -> str:
    """How one attempt went: ok, error (Slack said ok=false), rate_limited, server_error, or
    connection_error (no answer)."""
    if response is None:
        return ERROR if isinstance(error, SlackApiError) else CONNECTION_ERROR
    if response.status_code == 429:
        return RATE_LIMITED
    if response.status_code >= 500:
        return SERVER_ERROR
    if response.status_code >= 400:
        return ERROR
    body = response.body
    if isinstance(body, dict) and body.get("ok") is False:
        return ERROR
    return OK


class _Labeller:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def method(self, request: HttpRequest) -> str:
        # Only Web API methods are labels; file uploads go to one-off URLs of their own.
        if not request.url.startswith(self.base_url):
            return "file_upload"
        return api_method(request.url)


class CountCalls(AsyncRetryHandler):
    """Count every attempt by method and outcome; never retries anything itself."""

    def __init__(self, metrics: Metrics, base_url: str) -> None:
        super().__init__(max_retry_count=0)
        self.metrics = metrics
        self._labels = _Labeller(base_url)

    async def can_retry_async(
        self,
        *,
        state: RetryState,  # noqa: ARG002
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        self.metrics.slack_call(self._labels.method(request), outcome_of(response, error))
        return False


class CountRetries(AsyncRetryHandler):
    """``inner``, with each retry it makes counted by method and reason."""

    def __init__(self, inner: AsyncRetryHandler, metrics: Metrics, base_url: str) -> None:
        super().__init__(max_retry_count=inner.max_retry_count)
        self.inner = inner
        self.metrics = metrics
        self._labels = _Labeller(base_url)

    async def can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return await self.inner.can_retry_async(
            state=state, request=request, response=response, error=error
        )

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        self.metrics.slack_retry(self._labels.method(request), outcome_of(response, error))
        await self.inner.prepare_for_next_attempt_async(
            state=state, request=request, response=response, error=error
        )


def counted(
    handlers: list[AsyncRetryHandler], metrics: Metrics, base_url: str
) -> list[AsyncRetryHandler]:
    """``handlers`` with every attempt and every retry counted in ``metrics``."""
    return [
        CountCalls(metrics, base_url),
        *(CountRetries(handler, metrics, base_url) for handler in handlers),
    ]
