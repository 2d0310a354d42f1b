"""Warroom's own change events, ``POST /api/changes``, for whatever else changes a service (a
deploy script, a CI job, a feature-flag tool): a JSON object with ``kind`` (one of
``KINDS``), ``summary`` (at most 1024 characters), and optionally ``who``, ``at`` (ISO 8601
with its offset; the time it arrived when absent), ``link`` (http(s)), ``source`` (the
sending system's name, "jenkins") and ``idempotency_key`` (at most 255: the same key sent
again is one change; without one, the same body is). The service is the key's integration's
(kind ``changes``); a ``service`` naming another is refused.

Its key is a bearer token, one integration each (``warroom integrations create --kind
changes``), as alert senders' are, rather than the API's one token: a key opens one
service's changes only, is revoked alone, and does not read the record. Answers follow the
JSON API's: 202 ``{"status": "accepted", "id": …}``, errors ``{"error": …, "message": …}``
(400 naming each field, 401, 413).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.record.alerting.payloads import PayloadError, json_object
from bot.record.alerting.sources.source import (
    STATUS,
    Refusal,
    Reply,
    Why,
)
from bot.record.changes.events import KINDS, SUMMARY_MAX, ChangeSeen
from bot.record.changes.sources.checks import (
    body_digest,
    link_at,
    text_at,
    time_at,
)

FIELDS = ("kind", "summary", "who", "at", "link", "source", "idempotency_key", "service")
# The JSON API's error codes (``ErrorPublic.error``), by why a body was refused.
CODES = {
    Why.OFF: "unavailable",
    Why.UNAUTHORIZED: "unauthorized",
    Why.TOO_LARGE: "too_large",
    Why.INVALID: "invalid",
    Why.TOO_SLOW: "too_slow",
    Why.UNAVAILABLE: "unavailable",
    Why.RATE_LIMITED: "rate_limited",
    Why.BODY_TIMEOUT: "body_timeout",
}


def read_change(body: str, received_at: datetime) -> ChangeSeen:  # noqa: ARG001
    """A change as warroom's JSON says it; PayloadError names every field wrong."""
    document: dict[str, Any] = json_object(body)
    problems = [
        f"'{field}' is not a field of a change" for field in document if field not in FIELDS
    ]
    kind = document.get("kind")
    if kind not in KINDS:
        problems.append(f"'kind' must be one of {', '.join(KINDS)}")
    summary = text_at(document, "summary", "summary", problems, required=True, most=SUMMARY_MAX)
    who = text_at(document, "who", "who", problems)
    origin = text_at(document, "source", "source", problems)
    service = text_at(document, "service", "service", problems)
    given_key = text_at(document, "idempotency_key", "idempotency_key", problems)
    at = time_at(document.get("at"), "at", problems)
    link = link_at(document.get("link"), "link", problems)
    if problems:
        raise PayloadError(problems)
    return ChangeSeen(
        kind=str(kind),
        summary=summary or "",
        at=at,
        who=who,
        link=link,
        origin=origin,
        event_key=f"key:{given_key}" if given_key else f"body:{body_digest(document)}",
        service=service,
    )


@dataclass(frozen=True)
class ApiChanges:
    """``POST /api/changes``, the key a bearer token of a ``changes`` integration, answered as
    the JSON API answers."""

    def parse(self, body: str, *, received_at: datetime) -> ChangeSeen:
        return read_change(body, received_at)

    def refused(self, refusal: Refusal) -> Reply:
        message = "; ".join(refusal.problems) or refusal.message
        unauthorized = refusal.why is Why.UNAUTHORIZED
        headers = {"WWW-Authenticate": 'Bearer realm="warroom"'} if unauthorized else {}
        body = {"error": CODES[refusal.why], "message": message}
        return Reply(STATUS[refusal.why], body, headers)


API_CHANGES = ApiChanges()
