"""Sentry's alerts through an internal integration's webhooks, as Sentry documents them
(https://docs.sentry.io/organization/integrations/integration-platform/webhooks/, and its
pages "Issue Alerts" .../webhooks/issue-alerts/ and "Metric Alerts" .../webhooks/metric-alerts/).

Headers: ``Sentry-Hook-Resource`` names what the body is (``event_alert``: an issue alert
rule fired; ``metric_alert``: a metric alert changed), ``Sentry-Hook-Signature`` is the hex
HMAC-SHA256 of the body with the integration's client secret. The client secret is the
warroom integration's key: a body whose signature no ``sentry`` integration's secret (nor
``WARROOM_ALERT_TOKEN``) makes is refused 401 before it is read as JSON; which secret made it
says which integration (and service) it is. A delivery whose ``Sentry-Hook-Timestamp`` (Unix
seconds at sending) is more than five minutes from now is refused 401 as a replay. Sentry
signs the body alone (the docs' ``verifySignature``), so this stops a delivery replayed as it
was captured, not one whose header was rewritten; such a replay still needs a body Sentry
signed, and an issue's repeat is the same alert (it pages nobody twice).

What maps to what:

- ``event_alert`` (``action`` always ``triggered``): an alert keyed by the issue
  (``data.event.issue_id``), so the same issue firing again is the same alert; its title
  ``data.event.title``, link ``data.event.web_url``, labels the rule
  (``data.triggered_rule``), ``level``, ``project``, ``platform`` and the event's
  ``environment`` and ``release`` tags. Sentry sends no resolve for it: it is resolved in
  warroom.
- ``metric_alert``: an alert keyed by the alert rule (``data.metric_alert.alert_rule.id``);
  ``action`` ``critical`` pages at high urgency, ``warning`` at low, ``resolved`` resolves
  it; its title ``data.description_title``, description ``data.description_text``, link
  ``data.web_url``.

Any other resource (``installation``, ``issue``, ``error``, ``comment``) is refused 400
naming ``Sentry-Hook-Resource``: warroom pages on alerts only.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.record.alerting.payloads import AlertSeen, Link, Notification, PayloadError, json_object
from bot.record.alerting.sources import checks
from bot.record.alerting.sources.source import (
    Delivery,
    Refusal,
    Reply,
    hmac_sha256,
    warroom_refusal,
)

ISSUE_ALERT, METRIC_ALERT = "event_alert", "metric_alert"
METRIC_ACTIONS = {"critical": "high", "warning": "low", "resolved": None}
RESOURCE_HEADER, SIGNATURE_HEADER = "Sentry-Hook-Resource", "Sentry-Hook-Signature"
# When Sentry sent the request: Unix seconds, as Sentry's own code sets it at sending
# (getsentry/sentry, src/sentry/sentry_apps/api/parsers/... ``"Sentry-Hook-Timestamp":
# str(int(time()))``); the docs list the header (.../integration-platform/webhooks/,
# "Headers"). A delivery older than ``FRESH`` (or as far ahead) is a replay, refused as the
# Slack signature's timestamp is (five minutes).
TIMESTAMP_HEADER = "Sentry-Hook-Timestamp"
FRESH = timedelta(minutes=5)
_EVENT_TAGS = ("environment", "release")


def _node(document: Any, path: str) -> Any:
    """What is at ``data.event.title``; None when any step is missing or no object."""
    value = document
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _at(document: Any, path: str, problems: list[str], *, required: bool = True) -> str:
    """The text at ``data.event.title`` (a number as text); noted when required and absent."""
    value = _node(document, path)
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        if required:
            problems.append(f"{path}: required, a non-empty string")
        return ""
    return str(value).strip()


def _link(url: str, text: str, problems: list[str], where: str) -> tuple[Link, ...]:
    if not url:
        return ()
    if not checks.is_url(url):
        problems.append(f"{where}: must be an http(s) URL")
        return ()
    return (Link(text, url),)


def _issue_alert(document: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    action = document.get("action")
    if action != "triggered":
        problems.append(f"action: an event_alert's is 'triggered', got {action!r}")
    title = _at(document, "data.event.title", problems)
    issue = _at(document, "data.event.issue_id", problems)
    labels = {"alertname": title[:200], "resource": ISSUE_ALERT}
    for name, path in (
        ("rule", "data.triggered_rule"),
        ("level", "data.event.level"),
        ("project", "data.event.project"),
        ("platform", "data.event.platform"),
    ):
        if value := _at(document, path, problems, required=False):
            labels[name] = value
    tags = _node(document, "data.event.tags")
    for pair in tags if isinstance(tags, list) else []:
        if isinstance(pair, list) and len(pair) == 2 and pair[0] in _EVENT_TAGS:
            labels.setdefault(str(pair[0]), str(pair[1]))
    web_url = _at(document, "data.event.web_url", problems, required=False)
    return {
        "key": f"issue:{issue}",
        "status": "firing",
        "title": title,
        "message": "",
        "labels": labels,
        "links": _link(web_url, "Sentry issue", problems, "data.event.web_url"),
        "urgency": None,
    }


def _metric_alert(document: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    action = document.get("action")
    if action not in METRIC_ACTIONS:
        problems.append(f"action: must be one of critical, warning, resolved, got {action!r}")
    rule = _at(document, "data.metric_alert.alert_rule.id", problems)
    title = _at(document, "data.description_title", problems)
    labels = {"alertname": title[:200], "resource": METRIC_ALERT, "action": str(action)}
    if name := _at(document, "data.metric_alert.alert_rule.name", problems, required=False):
        labels["rule"] = name
    web_url = _at(document, "data.web_url", problems, required=False)
    return {
        "key": f"metric_alert:{rule}",
        "status": "resolved" if action == "resolved" else "firing",
        "title": title,
        "message": _at(document, "data.description_text", problems, required=False),
        "labels": labels,
        "links": _link(web_url, "Sentry alert", problems, "data.web_url"),
        "urgency": METRIC_ACTIONS.get(str(action)),
    }


def read_hook(stored: str, received_at: datetime) -> Notification:
    """A stored delivery (its resource and body) in the one shape; PayloadError names each
    field wrong."""
    request = json.loads(stored)
    resource = request.get("resource")
    if resource not in (ISSUE_ALERT, METRIC_ALERT):
        raise PayloadError(
            [
                f"{RESOURCE_HEADER}: warroom receives {ISSUE_ALERT} and {METRIC_ALERT}, "
                f"got {resource!r}"
            ]
        )
    document = json_object(request["body"])
    problems: list[str] = []
    read = _issue_alert if resource == ISSUE_ALERT else _metric_alert
    alert = read(document, problems)
    if problems:
        raise PayloadError(problems)
    annotations = {"summary": alert["title"]}
    if alert["message"]:
        annotations["description"] = alert["message"]
    seen = AlertSeen(
        fingerprint=alert["key"],
        status=alert["status"],
        labels=alert["labels"],
        annotations=annotations,
        starts_at=received_at,
        ends_at=received_at if alert["status"] == "resolved" else None,
        links=alert["links"],
        start_given=False,
    )
    return Notification(
        source="sentry",
        group_key=alert["key"],
        status=alert["status"],
        alerts=(seen,),
        common_labels=alert["labels"],
        common_annotations=annotations,
        title=alert["title"],
        message=alert["message"],
        sender="Sentry",
        urgency=alert["urgency"],
    )


def fresh(headers: Mapping[str, str], now: datetime) -> bool:
    """Whether the delivery's ``Sentry-Hook-Timestamp`` is within ``FRESH`` of ``now``; a
    missing or unreadable one is not (Sentry sends it with every webhook)."""
    given = headers.get(TIMESTAMP_HEADER, "").strip()
    if not given.isdigit() or len(given) > 12:
        return False
    sent = datetime.fromtimestamp(int(given), tz=UTC)
    return abs(now - sent) <= FRESH


@dataclass(frozen=True)
class SentryHooks:
    """Sentry's alert webhooks: the key is the client secret the body is signed with."""

    def signed(self, delivery: Delivery, body: bytes, key: str) -> bool:
        given = delivery.headers.get(SIGNATURE_HEADER, "")
        return bool(given) and hmac.compare_digest(
            given.strip().lower().encode("utf-8", "replace"), hmac_sha256(key, body).encode()
        )

    def stored(self, delivery: Delivery, body: str) -> str:
        return json.dumps({"resource": delivery.headers.get(RESOURCE_HEADER), "body": body})

    def parse(self, body: str, *, received_at: datetime) -> Notification:
        return read_hook(body, received_at)

    def refused(self, refusal: Refusal) -> Reply:
        reply = warroom_refusal(refusal)
        return Reply(reply.status, reply.body)  # no WWW-Authenticate: a signature, no bearer


SENTRY = SentryHooks()
