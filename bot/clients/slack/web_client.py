"""The bot's Slack Web API client, as slack_sdk builds it: Slack's base URL, the retries of a
rate limit (``Retry-After`` honoured), a 5xx answer or a dropped connection, paced under
Slack's published limits, and one rate-limit gate for every call the process makes."""

from __future__ import annotations

import random

import aiohttp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.jitter import Jitter
from slack_sdk.web.async_client import AsyncWebClient

from bot.clients.slack.pacing import SlackPacer
from bot.clients.slack.ratelimit import GatedWebClient, RateLimitGate, RateLimitRetryHandler
from bot.clients.slack.telemetry import counted
from bot.config import Settings
from bot.metrics import Metrics


def build_web_client(
    settings: Settings, session: aiohttp.ClientSession | None, metrics: Metrics | None = None
) -> AsyncWebClient:
    """The bot's Web API client: Slack's base URL from settings, retries on by default, and
    one rate-limit gate for every call it makes (each attempt and retry counted in
    ``metrics``, when given)."""
    gate = RateLimitGate()
    backoff = _backoff(settings.slack.rate_window)
    retry_handlers: list[AsyncRetryHandler] = [
        AsyncConnectionErrorRetryHandler(max_retry_count=3, interval_calculator=backoff),
        RateLimitRetryHandler(gate),
        AsyncServerErrorRetryHandler(max_retry_count=3, interval_calculator=backoff),
    ]
    if metrics is not None:
        retry_handlers = counted(retry_handlers, metrics, settings.slack.api_url)
    return GatedWebClient(
        gate=gate,
        pacer=SlackPacer(window=settings.slack.rate_window, replicas=settings.runtime.replicas),
        token=str(settings.slack.bot_token) or None,
        base_url=settings.slack.api_url,
        session=session,
        retry_handlers=retry_handlers,
    )


class _ScaledJitter(Jitter):
    """slack_sdk's random jitter (up to a second), scaled as the backoff is."""

    def __init__(self, scale: float) -> None:
        self.scale = scale

    def recalculate(self, duration: float) -> float:
        return duration + random.random() * self.scale


def _backoff(rate_window: float) -> BackoffRetryIntervalCalculator:
    """slack_sdk's default backoff between retries of a 5xx or a dropped connection (0.5 s,
    1 s, 2 s, each plus up to a second), in Slack's time: compressed as its rate-limit
    window is against the emulator (``WARROOM_SLACK_RATE_WINDOW``), so that a Slack outage
    there costs what it costs against Slack, in the emulator's seconds."""
    scale = rate_window / 60.0
    return BackoffRetryIntervalCalculator(backoff_factor=0.5 * scale, jitter=_ScaledJitter(scale))
