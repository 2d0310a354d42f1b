"""PagerDuty's change events (Events API v2), answered as PagerDuty documents them, so a
pipeline that sends them to PagerDuty sends them here by changing the URL and key alone.

Requests ("Send a Change Event", https://developer.pagerduty.com/docs/events-api-v2/send-change-events/,
its source https://github.com/PagerDuty/developer-docs/blob/main/docs/events-API-v2/03-Change-Events.md):
``POST /v2/change/enqueue`` with ``routing_key`` (an integration's key, of kind ``pagerduty``:
"the same Integration Key can be used for both alert and change events"), ``payload.summary``
(required, at most 1024 characters), optionally ``payload.source``, ``payload.timestamp``,
``payload.custom_details`` (an object) and ``links`` (``href`` required, ``text``). PagerDuty
has no kind and no author: ``custom_details`` may say them (``kind`` or ``change_type``, one
of ``KINDS``; ``who``, ``author`` or ``user``), else the change is ``other`` by nobody named.
A change event has no dedup key: the same body sent again is one change.

Answers (the Events API v2 overview, "Response Codes & Retry Logic"): 202 with the success
body of alert events without a ``dedup_key``, ``{"status": "success", "message": "Event
processed"}``; 400 ``{"status": "invalid event", "message": "Event object is invalid",
"errors": […]}``, an unknown routing key included (PagerDuty's alert events' refusals, one
place: ``bot.record.alerting.sources.pagerduty.receiver``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.record.alerting.payloads import PayloadError, json_object
from bot.record.alerting.sources.pagerduty.receiver import PAGERDUTY, routing_key
from bot.record.alerting.sources.source import Delivery, Refusal, Reply
from bot.record.changes.events import KINDS, SUMMARY_MAX, ChangeSeen
from bot.record.changes.sources.checks import body_digest, link_at, text_at, time_at

KIND_FIELDS = ("kind", "change_type")
WHO_FIELDS = ("who", "author", "user")


def _first_link(document: dict[str, Any], problems: list[str]) -> str | None:
    links = document.get("links", [])
    if not isinstance(links, list):
        problems.append("'links' must be an array of objects")
        return None
    found = None
    for index, each in enumerate(links):
        href = each.get("href") if isinstance(each, dict) else None
        if href is None:
            problems.append(f"'links[{index}].href' is missing")
            continue
        found = found or link_at(href, f"links[{index}].href", problems)
    return found


def read_change(body: str, received_at: datetime) -> ChangeSeen:  # noqa: ARG001
    """A change event; PayloadError names every field wrong, in PagerDuty's words."""
    document = json_object(body)
    problems: list[str] = []
    # Read before the parse (``routing_key``); said here too, for a body parsed alone.
    text_at(document, "routing_key", "routing_key", problems, required=True)
    payload = document.get("payload")
    if not isinstance(payload, dict):
        problems.append("'payload' is missing or not an object")
        payload = {}
    summary = text_at(
        payload, "summary", "payload.summary", problems, required=True, most=SUMMARY_MAX
    )
    origin = text_at(payload, "source", "payload.source", problems)
    at = time_at(payload.get("timestamp"), "payload.timestamp", problems)
    details = payload.get("custom_details")
    if details is not None and not isinstance(details, dict):
        problems.append("'payload.custom_details' must be an object")
        details = {}
    details = details or {}
    link = _first_link(document, problems)
    if problems:
        raise PayloadError(problems)
    kind = next((details[f] for f in KIND_FIELDS if details.get(f) in KINDS), "other")
    who = next((details[f] for f in WHO_FIELDS if isinstance(details.get(f), str)), None)
    return ChangeSeen(
        kind=kind,
        summary=summary or "",
        at=at,
        who=who[:255] if who else None,
        link=link,
        origin=origin,
        event_key=body_digest({k: v for k, v in document.items() if k != "routing_key"}),
    )


@dataclass(frozen=True)
class PagerDutyChanges:
    """The Events API v2's change events, the key in the body as ``routing_key``."""

    def key(self, delivery: Delivery) -> str | None:
        return routing_key(delivery.body)

    def parse(self, body: str, *, received_at: datetime) -> ChangeSeen:
        return read_change(body, received_at)

    def accepted(self, _kept: int | None, _seen: ChangeSeen) -> Reply:
        return Reply(202, {"status": "success", "message": "Event processed"})

    def refused(self, refusal: Refusal) -> Reply:
        # PagerDuty refuses a change event as it refuses an alert event.
        return PAGERDUTY.refused(refusal)


PAGERDUTY_CHANGES = PagerDutyChanges()
