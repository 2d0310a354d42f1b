"""Datadog monitors' notifications through Datadog's Webhooks integration
(https://docs.datadoghq.com/integrations/webhooks/): a monitor that names
``@webhook-<NAME>`` POSTs the webhook's payload, JSON, to its URL, with the webhook's custom
headers (JSON). Datadog retries a delivery only on a 5xx (or a connection missed); any 4xx is
dropped.

The key: the webhook's custom headers ``{"Authorization": "Bearer <key>"}``, as warroom's own
sources take it (a key in the URL would be in every access log).

The body is the webhook's payload: Datadog's default one (``title`` ``$EVENT_TITLE``, ``body``
``$EVENT_MSG``, ``event_type``, ``date``, ``org``, ``id``) or one naming more of the
documented variables. What warroom reads of it:

- the transition: ``alert_transition`` (``$ALERT_TRANSITION``: ``Triggered``/``Re-Triggered``,
  ``Warn``/``Re-Warn``, ``No Data``/``Re-No Data``, ``Renotify`` page; ``Recovered``
  resolves), or else the bracket ``$EVENT_TITLE`` starts with (``[Triggered] …``,
  ``[Recovered on {host:a}] …``, after a ``[P1]`` priority); anything else is refused, naming
  the field (Datadog's ``Null`` included: it says nothing of the alert);
- the alert's key: ``aggreg_key`` (``$AGGREG_KEY``, "ID to aggregate events belonging
  together"), or else ``alert_id`` (``$ALERT_ID``, the monitor) with ``alert_scope``
  (``$ALERT_SCOPE``, its group), or else the title without its transition: the same monitor
  and group is one alert from trigger to recovery;
- the title: ``alert_title`` or the title without its brackets; ``body`` the description;
  ``link`` (``$LINK``) a link; ``tags`` (``$TAGS``, ``key:value`` comma-separated) and
  ``alert_scope`` labels; ``host_name``, ``alert_metric``, ``alert_id``, ``alert_type``,
  ``org.name`` labels too;
- urgency: ``alert_priority`` (``$ALERT_PRIORITY``, ``P1``–``P5``): P1 and P2 high, P3–P5
  low; without one, a ``Warn`` is low and the rest the route's.

A variable Datadog leaves empty (``""``) counts as absent.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from bot.record.alerting.payloads import AlertSeen, Link, Notification, PayloadError
from bot.record.alerting.sources import checks
from bot.record.alerting.sources.webhook import WebhookSource

FIRING = ("Triggered", "Re-Triggered", "Warn", "Re-Warn", "No Data", "Re-No Data", "Renotify")
RESOLVED = ("Recovered",)
WARNINGS = ("Warn", "Re-Warn")
URGENCY = {"P1": "high", "P2": "high", "P3": "low", "P4": "low", "P5": "low"}
# ``[P1] [Triggered on {host:a}] Host is down``: the priority, the transition (and its
# scope), the rest.
_TITLE = re.compile(
    r"^\s*(?:\[P[1-5]\]\s*)?\[(?P<transition>[A-Za-z -]+?)(?: on \{[^}]*\})?\]\s*(?P<rest>.*)$",
    re.DOTALL,
)
_TEXTS = (
    "title",
    "body",
    "alert_transition",
    "aggreg_key",
    "alert_id",
    "alert_scope",
    "alert_title",
    "alert_priority",
    "alert_metric",
    "alert_type",
    "alert_status",
    "host_name",
    "tags",
    "link",
    "event_type",
    "id",
    "date",
)
_LABELS = {
    "host_name": "host",
    "alert_metric": "metric",
    "alert_id": "monitor_id",
    "alert_type": "alert_type",
    "event_type": "event_type",
}
_TAG_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,62}")


def _texts(document: dict[str, Any], problems: list[str]) -> dict[str, str]:
    """The fields warroom reads, as text (numbers as Datadog may send ``$ALERT_ID`` unquoted
    in a custom payload); empty ones left out."""
    texts: dict[str, str] = {}
    for name in _TEXTS:
        value = document.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            problems.append(f"{name}: must be a string")
            continue
        if str(value).strip():
            texts[name] = str(value).strip()
    return texts


def _transition(texts: dict[str, str], problems: list[str]) -> tuple[str, str]:
    """(the transition, the title without it)."""
    title = texts.get("title", "")
    matched = _TITLE.match(title)
    rest = matched["rest"].strip() if matched else title
    if "alert_transition" in texts:
        return texts["alert_transition"], rest
    if matched:
        return matched["transition"].strip(), rest
    where = "title" if title else "alert_transition"
    problems.append(
        f"{where}: no transition: send alert_transition ($ALERT_TRANSITION) or a title "
        "($EVENT_TITLE) starting with one, such as [Triggered]"
    )
    return "", rest


def _tags(value: str) -> dict[str, str]:
    """``env:prod, team:web`` as labels (a key that is no label name is left in ``tags``)."""
    labels: dict[str, str] = {}
    for tag in value.split(","):
        key, colon, item = tag.strip().partition(":")
        if colon and _TAG_KEY.fullmatch(key) and item:
            labels.setdefault(key, item)
    return labels


def read_datadog(document: dict[str, Any], received_at: datetime) -> Notification:
    """A Datadog webhook's payload in the one shape; PayloadError names each field wrong."""
    problems: list[str] = []
    texts = _texts(document, problems)
    transition, rest = _transition(texts, problems)
    if transition and transition not in FIRING + RESOLVED:
        known = ", ".join(FIRING + RESOLVED)
        problems.append(f"alert_transition: {transition!r} is none of {known}")
    stated = texts.get("alert_title", "")
    title = (matched["rest"].strip() if (matched := _TITLE.match(stated)) else stated) or rest
    if not title:
        problems.append("title: required, a non-empty string ($EVENT_TITLE)")
    priority = texts.get("alert_priority", "")
    if priority and priority not in URGENCY:
        problems.append(f"alert_priority: must be one of P1 to P5, got {priority!r}")
    link = texts.get("link")
    if link and not checks.is_url(link):
        problems.append("link: must be an http(s) URL")
    if problems:
        raise PayloadError(problems)
    key = _key(texts, rest)
    status = "resolved" if transition in RESOLVED else "firing"
    labels = _labels(document, texts, title, transition, priority)
    annotations = _annotations(texts, title)
    alert = AlertSeen(
        fingerprint=key,
        status=status,
        labels=labels,
        annotations=annotations,
        starts_at=received_at,
        ends_at=received_at if status == "resolved" else None,
        links=(Link("Datadog", link),) if link else (),
        start_given=False,
    )
    urgency = URGENCY.get(priority) or ("low" if transition in WARNINGS else None)
    return Notification(
        source="datadog",
        group_key=key,
        status=status,
        alerts=(alert,),
        common_labels=labels,
        common_annotations=annotations,
        title=title,
        message=texts.get("body", ""),
        external_url=link or "",
        sender="Datadog",
        urgency=urgency,
    )


def _key(texts: dict[str, str], rest: str) -> str:
    """The alert's key: the aggregation key, else the monitor and its scope, else the title."""
    key = texts.get("aggreg_key") or (
        f"monitor:{texts['alert_id']}/{texts.get('alert_scope', '')}"
        if "alert_id" in texts
        else f"title:{rest}"
    )
    return key[:255]


def _labels(
    document: dict[str, Any], texts: dict[str, str], title: str, transition: str, priority: str
) -> dict[str, str]:
    """The alert's labels: its tags, the fields kept as labels, its name, transition,
    priority, scope and organization."""
    labels = _tags(texts.get("tags", ""))
    labels |= {label: texts[field] for field, label in _LABELS.items() if field in texts}
    labels |= {"alertname": title[:200], "transition": transition}
    labels |= {k: v for k, v in (("tags", texts.get("tags")), ("priority", priority)) if v}
    labels |= {"scope": texts["alert_scope"]} if "alert_scope" in texts else {}
    org = document.get("org")
    if isinstance(org, dict) and isinstance(org.get("name"), str) and org["name"].strip():
        labels["org"] = org["name"].strip()
    return labels


def _annotations(texts: dict[str, str], title: str) -> dict[str, str]:
    """The alert's summary (its title), description (the body) and status."""
    annotations = {"summary": title}
    if "body" in texts:
        annotations["description"] = texts["body"]
    if "alert_status" in texts:
        annotations["status"] = texts["alert_status"]
    return annotations


DATADOG = WebhookSource(reader=read_datadog)
