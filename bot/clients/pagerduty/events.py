"""PagerDuty Events API v2: the events warroom sends, and one call that sends them.

The routing key is a secret: it goes in the request body and nowhere else (not in errors,
logs, or the database, which keeps only the name of the variable that holds it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import aiohttp

from bot.clients.vendor_http import Answer, VendorFailure, call_json
from bot.config import Secret

EventAction = Literal["trigger", "acknowledge", "resolve"]
# Our severities in PagerDuty's words.
PAGER_SEVERITY = {"SEV1": "critical", "SEV2": "error", "SEV3": "warning", "SEV4": "info"}
SUMMARY_MAX = 1024


class PagerFailure(VendorFailure):
    """PagerDuty did not take the event; ``retryable`` says whether trying again may help."""


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
    answer = await call_json(session, "POST", url, event, timeout=timeout, failure=PagerFailure)
    if answer.status == 202:
        return
    retryable = answer.status == 429 or answer.status >= 500
    detail = f"HTTP {answer.status}"
    if not retryable:
        detail += f": {_rejection(answer)}"
    raise PagerFailure(
        detail, retryable=retryable, status=answer.status, retry_after=answer.retry_after
    )


def _rejection(answer: Answer) -> str:
    """PagerDuty's own words on a rejected event (its ``errors``), kept short."""
    errors = answer.body_object.get("errors") or []
    return "; ".join(str(error) for error in errors)[:300] or answer.text[:200]
