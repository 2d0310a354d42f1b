"""PagerDuty's Events API v2, answered as PagerDuty documents it, so a team repoints an
integration by its URL and key alone.

Requests (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/, the source
https://github.com/PagerDuty/developer-docs/blob/main/docs/events-API-v2/02-Trigger-Events.md):
``POST /v2/enqueue`` with ``routing_key`` (an integration's key, of kind ``pagerduty``),
``event_action`` (``trigger``, ``acknowledge`` or ``resolve``), ``dedup_key`` (at most 255
characters; a trigger without one is kept with a new one, so that it is a new alert, and
it is returned), and for a trigger ``payload.summary`` (at most 1024), ``payload.source``,
``payload.severity`` (``critical``, ``error``, ``warning``, ``info``), optionally
``payload.timestamp``, ``component``, ``group``, ``class``, ``custom_details``, and ``links``
and ``images``, all kept with the alert. ``critical`` and ``error`` page at high urgency,
``warning`` and ``info`` at low.

Answers (the Events API v2 overview, "Response Codes & Retry Logic", and its OpenAPI
reference https://developer.pagerduty.com/api-reference/368ae3d938c9e-send-an-event-to-pager-duty):
202 ``{"status": "success", "message": "Event processed", "dedup_key": …}``; 400
``{"status": "invalid event", "message": "Event object is invalid", "errors": […]}`` naming
each field, a routing key nobody has included (``"Invalid routing key"``: which services
exist is never said); 429 when a key sends too many (retried later); 5xx when it should be
sent again. "Events API payloads are limited to **512 KB**" (the overview's "API Limits"):
no PagerDuty client sends more, and a larger body is refused (413) before it is read.

The key is read from the body before the body is parsed (``routing_key``): a body that holds
no key anyone has is refused without a parse.

The Events API v1, which Nagios and Zabbix scripts still call, on the same integrations
(PagerDuty's own client libraries and examples: PagerDuty/API_Python_Examples,
EVENTS_API_V1; PagerDuty/go-pagerduty's event.go, ``Event`` and ``EventResponse``):
``POST /generic/2010-04-15/create_event.json`` with ``service_key`` (the integration's key),
``event_type`` (``trigger``, ``acknowledge``, ``resolve``), ``incident_key`` (the v2
``dedup_key``: required to acknowledge or resolve, made when a trigger has none, as
PagerDuty makes one), ``description`` (required for a trigger, at most 1024), ``client``,
``client_url`` and ``details`` (an object). It is read as the v2 event it is the same as
(a v1 trigger has no severity: ``error``, high urgency, as PagerDuty pages a v1 event at
its service's urgency), and answered ``{"status": "success", "message": "Event processed",
"incident_key": …}``; its refusals are the v2 refusals' shape, which v1 shares.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.record.alerting.payloads import (
    ACKNOWLEDGED,
    AlertSeen,
    Link,
    Notification,
    PayloadError,
    json_document,
    json_object,
)
from bot.record.alerting.sources.source import STATUS, Delivery, Refusal, Reply, Why

ACTIONS = {"trigger": "firing", "acknowledge": ACKNOWLEDGED, "resolve": "resolved"}
URGENCY = {"critical": "high", "error": "high", "warning": "low", "info": "low"}
OPTIONAL = ("component", "group", "class")
# The largest body PagerDuty's Events API takes (its overview's "API Limits": 512 KB).
MOST_BYTES = 512 * 1024


# The Events API v1's path (its events answered as v2's, ``from_v1``).
V1_PATH = "/generic/2010-04-15/create_event.json"
V1_CLIENT = "PagerDuty Events API v1"


def routing_key(body: bytes, field: str = "routing_key") -> str:
    """A body's top-level ``routing_key`` (v1: ``service_key``), read before the body is
    parsed: JSON read by the standard library's C reader, nothing walked in Python;
    PayloadError when the body is no JSON object or holds no key."""
    try:
        document = json_document(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise PayloadError(["body is not UTF-8 text"]) from None
    if not isinstance(document, dict):
        raise PayloadError(["body must be a JSON object"])
    key = document.get(field)
    if not isinstance(key, str) or not key.strip():
        raise PayloadError([f"'{field}' is missing or blank"])
    return key


def from_v1(document: dict[str, Any]) -> dict[str, Any]:
    """An Events API v1 event as the v2 event it is the same as (the module's docstring);
    a v2 event as it is."""
    if "service_key" not in document or "routing_key" in document:
        return document
    event: dict[str, Any] = {
        "routing_key": document["service_key"],
        "event_action": document.get("event_type"),
        "client": document.get("client") or V1_CLIENT,
        "events_api": "v1",
    }
    if document.get("incident_key") is not None:
        event["dedup_key"] = document["incident_key"]
    if isinstance(document.get("client_url"), str) and document["client_url"]:
        event["links"] = [{"href": document["client_url"], "text": event["client"]}]
    if document.get("event_type") == "trigger":
        payload: dict[str, Any] = {
            "summary": document.get("description"),
            "source": event["client"],
            "severity": "error",
        }
        if document.get("details") is not None:
            payload["custom_details"] = document["details"]
        event["payload"] = payload
    return event


def _text(document: dict[str, Any], field: str, where: str, problems: list[str]) -> str:
    value = document.get(field)
    if not isinstance(value, str) or not value.strip():
        problems.append(f"'{where}' is missing or blank")
        return ""
    return value


def _links(document: dict[str, Any], problems: list[str]) -> tuple[Link, ...]:
    links: list[Link] = []
    for field, url_field, text_field in (("links", "href", "text"), ("images", "src", "alt")):
        given = document.get(field, [])
        if not isinstance(given, list):
            problems.append(f"'{field}' must be an array of objects")
            continue
        for index, each in enumerate(given):
            url = each.get(url_field) if isinstance(each, dict) else None
            if not isinstance(url, str) or not url:
                problems.append(f"'{field}[{index}].{url_field}' is missing or blank")
                continue
            text = each.get(text_field) if isinstance(each, dict) else None
            links.append(Link(text=text if isinstance(text, str) and text else url, url=url))
    return tuple(links)


def read_event(body: str, received_at: datetime) -> Notification:
    """An alert event in the one shape; PayloadError names every field wrong, in PagerDuty's
    words."""
    document = from_v1(json_object(body))
    problems: list[str] = []
    # Read before the parse (``routing_key``); said here too, for a body parsed alone.
    _text(document, "routing_key", "routing_key", problems)
    action = document.get("event_action")
    if action not in ACTIONS:
        problems.append("'event_action' must be one of trigger, acknowledge, resolve")
    dedup_key = document.get("dedup_key")
    if dedup_key is not None and (not isinstance(dedup_key, str) or len(dedup_key) > 255):
        problems.append("'dedup_key' must be a string of at most 255 characters")
    elif not dedup_key and action in ("acknowledge", "resolve"):
        problems.append(f"'dedup_key' is required for {action} events")
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    if action == "trigger":
        labels, annotations = _triggered(document.get("payload"), problems)
    if document.get("events_api") == "v1":  # answered in v1's words (``accepted``)
        annotations["events_api"] = "v1"
    links = _links(document, problems)
    if problems:
        raise PayloadError(problems)
    status = ACTIONS[str(action)]
    if not dedup_key:
        # Kept with one (``stored``); a body parsed alone gets one of its own.
        dedup_key = hashlib.sha256(f"{received_at.isoformat()}\n{body}".encode()).hexdigest()
    alert = AlertSeen(
        fingerprint=str(dedup_key),
        status=status,
        labels=labels,
        annotations=annotations,
        starts_at=received_at,
        ends_at=received_at if status == "resolved" else None,
        links=links,
        start_given=False,
    )
    return Notification(
        source="pagerduty",
        group_key=str(dedup_key),
        status=status,
        alerts=(alert,),
        common_labels=labels,
        common_annotations=annotations,
        title=annotations.get("summary", ""),
        message=annotations.get("custom_details", ""),
        sender=str(document.get("client") or labels.get("source") or "PagerDuty Events API"),
        urgency=URGENCY.get(str(labels.get("severity"))),
    )


def _triggered(payload: Any, problems: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """A trigger's payload read: its labels and annotations; problems said."""
    if not isinstance(payload, dict):
        problems.append("'payload' is missing or not an object")
        payload = {}
    summary = _text(payload, "summary", "payload.summary", problems)
    if len(summary) > 1024:
        problems.append("'payload.summary' is longer than 1024 characters")
    source = _text(payload, "source", "payload.source", problems)
    severity = payload.get("severity")
    if severity not in URGENCY:
        problems.append("'payload.severity' must be one of critical, error, warning, info")
    details = payload.get("custom_details")
    if details is not None and not isinstance(details, dict):
        problems.append("'payload.custom_details' must be an object")
    labels = {"severity": str(severity), "source": source}
    labels |= {f: payload[f] for f in OPTIONAL if isinstance(payload.get(f), str)}
    annotations = {"summary": summary.strip()}
    if details:
        annotations["custom_details"] = json.dumps(details, sort_keys=True)
    if isinstance(payload.get("timestamp"), str):
        annotations["timestamp"] = payload["timestamp"]
    return labels, annotations


@dataclass(frozen=True)
class PagerDutyEvents:
    """The Events API v2's alert events, the key in the body as ``routing_key``."""

    def key(self, delivery: Delivery) -> str | None:
        v1 = delivery.path.rstrip("/") == V1_PATH
        return routing_key(delivery.body, "service_key" if v1 else "routing_key")

    def stored(self, _delivery: Delivery, body: str) -> str:
        """A trigger without a ``dedup_key`` (v1: ``incident_key``) is kept with one of its
        own, made now: a new alert, as PagerDuty makes one (a UUID), the same each time the
        body is parsed."""
        try:
            document = json.loads(body)
        except ValueError:
            return body  # the parse says what is wrong with it
        if not isinstance(document, dict):
            return body
        v1 = "service_key" in document and "routing_key" not in document
        action, key = ("event_type", "incident_key") if v1 else ("event_action", "dedup_key")
        if document.get(action) == "trigger" and document.get(key) is None:
            return json.dumps({**document, key: uuid.uuid4().hex})
        return body

    def parse(self, body: str, *, received_at: datetime) -> Notification:
        return read_event(body, received_at)

    def accepted(self, _kept: int, notification: Notification) -> Reply:
        body = {"status": "success", "message": "Event processed"}
        if notification.alerts and notification.alerts[0].annotations.get("events_api") == "v1":
            # v1 answers 200 with the incident's key (go-pagerduty's EventResponse).
            return Reply(200, {**body, "incident_key": notification.group_key})
        return Reply(202, {**body, "dedup_key": notification.group_key})

    def refused(self, refusal: Refusal) -> Reply:
        # A key nobody has is an invalid event to PagerDuty: 400, the field named.
        invalid = refusal.why in (Why.INVALID, Why.UNAUTHORIZED)
        errors = list(refusal.problems) or [
            "Invalid routing key" if refusal.why is Why.UNAUTHORIZED else refusal.message
        ]
        message = "Event object is invalid" if invalid else refusal.message
        return Reply(
            400 if invalid else STATUS[refusal.why],
            {"status": "invalid event", "message": message, "errors": errors},
        )


PAGERDUTY = PagerDutyEvents()
