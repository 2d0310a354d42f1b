"""PagerDuty Events API v2: the events warroom sends, and one call that sends them.

The routing key is a secret: it goes in the request body and nowhere else (not in errors,
logs, or the database, which keeps only the name of the variable that holds it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import aiohttp

from bot.basics.numbers import parse_bounded_int
from bot.config import Secret

EventAction = Literal["trigger", "acknowledge", "resolve"]
# Our severities in PagerDuty's words.
PAGER_SEVERITY = {"SEV1": "critical", "SEV2": "error", "SEV3": "warning", "SEV4": "info"}
SUMMARY_MAX = 1024
# A longer Retry-After is read as a day: the page is retried, not parked for years.
RETRY_AFTER_MAX_SECONDS = 86_400


class PagerFailure(Exception):
    """PagerDuty did not take the event; ``retryable`` says whether trying again may help."""

    def __init__(self, detail: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass(frozen=True)
class PagerAlert:
    """What a trigger event says about the incident."""

    summary: str
    source: str
    severity: str  # SEV1..SEV4
    timestamp: datetime
    link: str | None
    link_text: str
    details: dict[str, Any]


def trigger_event(routing_key: Secret, dedup_key: str, alert: PagerAlert) -> dict[str, Any]:
    summary = alert.summary if len(alert.summary) <= SUMMARY_MAX else alert.summary[:1023] + "…"
    event: dict[str, Any] = {
        "routing_key": str(routing_key),
        "event_action": "trigger",
        "dedup_key": dedup_key,
        "payload": {
            "summary": summary,
            "source": alert.source,
            "severity": PAGER_SEVERITY.get(alert.severity, "error"),
            "timestamp": alert.timestamp.isoformat(),
            "component": "warroom",
            "class": "incident",
            "custom_details": alert.details,
        },
        "client": "warroom",
    }
    if alert.link:
        event["client_url"] = alert.link
        event["links"] = [{"href": alert.link, "text": alert.link_text}]
    return event


def follow_up_event(routing_key: Secret, dedup_key: str, action: EventAction) -> dict[str, Any]:
    """``acknowledge`` or ``resolve`` for an alert opened with ``dedup_key``."""
    return {"routing_key": str(routing_key), "event_action": action, "dedup_key": dedup_key}


async def send_event(
    session: aiohttp.ClientSession, url: str, event: dict[str, Any], *, timeout: float
) -> None:
    """POST one event; raise PagerFailure unless PagerDuty accepted it (HTTP 202)."""
    try:
        limit = aiohttp.ClientTimeout(total=timeout)
        async with session.post(url, json=event, timeout=limit) as response:
            if response.status == 202:
                return
            body = await response.text()
            retry_after = retry_after_seconds(response.headers.get("Retry-After"))
    except TimeoutError:
        raise PagerFailure(f"no answer within {timeout:g} seconds", retryable=True) from None
    except aiohttp.ClientError as error:
        raise PagerFailure(f"connection failed ({type(error).__name__})", retryable=True) from None
    retryable = response.status == 429 or response.status >= 500
    detail = f"HTTP {response.status}"
    if not retryable:
        detail += f": {_rejection(body)}"
    raise PagerFailure(detail, retryable=retryable, retry_after=retry_after)


def retry_after_seconds(raw: str | None) -> float | None:
    """Seconds from a Retry-After header; float() would take "inf", "nan" and "1e400", whose
    timedelta overflows, so only whole ASCII seconds count, and no more than a day."""
    seconds = parse_bounded_int(raw, 0, 10**12)
    return float(min(seconds, RETRY_AFTER_MAX_SECONDS)) if seconds is not None else None


def _rejection(body: str) -> str:
    """PagerDuty's own words on a rejected event (its ``errors``), kept short."""
    try:
        errors = json.loads(body).get("errors") or []
    except (ValueError, AttributeError):
        return body[:200]
    return "; ".join(str(error) for error in errors)[:300] or body[:200]
