"""Alertmanager's webhook shape (``version: "4"``), which Grafana's webhook contact point
extends: a group of alerts, each with its labels, annotations, times and links.

Strict about what processing relies on (statuses, times, the group key) and lenient about the
rest, because versions differ (``notification_reason`` and ``routeLabels`` are recent
Alertmanager fields; Grafana adds its own).
"""

from __future__ import annotations

from typing import Any

from bot.record.alerting.payloads import (
    AlertSeen,
    Link,
    Notification,
    PayloadError,
    labels_fingerprint,
)
from bot.record.alerting.sources import checks

_LINK_FIELDS = (
    ("generatorURL", "Source"),
    ("dashboardURL", "Dashboard"),
    ("panelURL", "Panel"),
    ("silenceURL", "Silence"),
)


def parse_alertmanager_shape(document: dict[str, Any], source: str, sender: str) -> Notification:
    """A body of Alertmanager's webhook shape (Grafana's extends it) from ``source``."""
    problems: list[str] = []
    status = checks.status_at(document.get("status"), "status", problems)
    group_key = document.get("groupKey")
    if not isinstance(group_key, str) or not group_key:
        problems.append("groupKey: required, a non-empty string")
    raw_alerts = document.get("alerts")
    if not isinstance(raw_alerts, list) or not raw_alerts:
        problems.append("alerts: required, a non-empty list")
        raw_alerts = []
    alerts = [
        _alertmanager_alert(raw, f"alerts[{index}]", problems)
        for index, raw in enumerate(raw_alerts)
    ]
    group_labels = checks.strings_at(document.get("groupLabels"), "groupLabels", problems)
    common_labels = checks.strings_at(document.get("commonLabels"), "commonLabels", problems)
    common_annotations = checks.strings_at(
        document.get("commonAnnotations"), "commonAnnotations", problems
    )
    truncated = document.get("truncatedAlerts", 0)
    if not isinstance(truncated, int) or isinstance(truncated, bool) or truncated < 0:
        problems.append("truncatedAlerts: must be a whole number")
    if problems:
        raise PayloadError(problems)
    return Notification(
        source=source,
        group_key=str(group_key),
        status=status,
        alerts=tuple(alert for alert in alerts if alert is not None),
        group_labels=group_labels,
        common_labels=common_labels,
        common_annotations=common_annotations,
        title=checks.text_or_empty(document.get("title")),
        message=checks.text_or_empty(document.get("message")),
        external_url=checks.text_or_empty(document.get("externalURL")),
        truncated_alerts=truncated,
        sender=sender,
    )


def _alertmanager_alert(raw: object, where: str, problems: list[str]) -> AlertSeen | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be an object")
        return None
    before = len(problems)
    status = checks.status_at(raw.get("status"), f"{where}.status", problems)
    labels = checks.strings_at(raw.get("labels"), f"{where}.labels", problems)
    annotations = checks.strings_at(raw.get("annotations"), f"{where}.annotations", problems)
    starts_at = checks.time_at(raw.get("startsAt"), f"{where}.startsAt", problems, required=True)
    ends_at = checks.time_at(raw.get("endsAt"), f"{where}.endsAt", problems, required=False)
    if status == "resolved" and ends_at is None and len(problems) == before:
        problems.append(f"{where}.endsAt: a resolved alert needs its end time")
    if len(problems) > before or starts_at is None:
        return None
    fingerprint = raw.get("fingerprint")
    links = [Link(text, raw[key]) for key, text in _LINK_FIELDS if checks.is_url(raw.get(key))]
    return AlertSeen(
        # Alertmanager before 0.19 sent no fingerprint; the labels identify the alert too.
        fingerprint=str(fingerprint) if fingerprint else labels_fingerprint(labels),
        status=status,
        labels=labels,
        annotations=annotations,
        starts_at=starts_at,
        ends_at=ends_at,
        links=tuple(links + checks.annotation_links(annotations)),
    )
