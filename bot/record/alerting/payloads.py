"""Webhook bodies from Alertmanager, Grafana and anything else, parsed into one shape.

Parsing is strict about what processing relies on (statuses, times, the group key) and
lenient about the rest, because versions differ (``notification_reason`` and ``routeLabels``
are recent Alertmanager fields; Grafana adds its own). Every problem is named at once, so
the sender's 400 says everything that is wrong.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from dateutil import parser as dateparser

from bot.store.db import without_nul

Source = Literal["alertmanager", "grafana", "generic"]
SOURCES: tuple[Source, ...] = ("alertmanager", "grafana", "generic")
SOURCE_NAMES: Mapping[str, str] = {
    "alertmanager": "Alertmanager",
    "grafana": "Grafana",
    "generic": "webhook",
}
STATUSES = ("firing", "resolved")
# Go's zero time: what Alertmanager and Grafana send as ``endsAt`` of an alert still firing.
_GO_ZERO_YEAR = 1
_EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=7)
_LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=7)
_LINK_FIELDS = (
    ("generatorURL", "Source"),
    ("dashboardURL", "Dashboard"),
    ("panelURL", "Panel"),
    ("silenceURL", "Silence"),
)
_LINK_ANNOTATIONS = (("runbook_url", "Runbook"), ("runbook", "Runbook"), ("dashboard", "Dashboard"))


class PayloadError(ValueError):
    """The body is not a notification warroom can apply; ``problems`` says why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Link:
    text: str
    url: str


@dataclass(frozen=True)
class AlertSeen:
    """One alert as a notification describes it."""

    fingerprint: str
    status: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: datetime
    ends_at: datetime | None
    links: tuple[Link, ...] = ()
    # False when the sender gave no start time (the receipt time stands in for it).
    start_given: bool = True

    @property
    def name(self) -> str:
        return self.labels.get("alertname") or self.annotations.get("summary") or self.fingerprint

    @property
    def summary(self) -> str:
        return self.annotations.get("summary") or self.annotations.get("description") or ""


@dataclass(frozen=True)
class Notification:
    """One webhook delivery: a group of alerts and where each stands."""

    source: Source
    group_key: str
    status: str
    alerts: tuple[AlertSeen, ...]
    group_labels: Mapping[str, str] = field(default_factory=dict)
    common_labels: Mapping[str, str] = field(default_factory=dict)
    common_annotations: Mapping[str, str] = field(default_factory=dict)
    title: str = ""
    message: str = ""
    external_url: str = ""
    truncated_alerts: int = 0
    # A severity the sender states itself (the generic shape), e.g. SEV2.
    severity: str | None = None
    sender: str = ""

    @property
    def firing(self) -> tuple[AlertSeen, ...]:
        return tuple(alert for alert in self.alerts if alert.status == "firing")

    @property
    def route_labels(self) -> dict[str, str]:
        """What routes match on: the labels every alert of the group shares."""
        return {**self.group_labels, **self.common_labels}


def parse(source: str, body: bytes | str, *, received_at: datetime) -> Notification:
    """Parse a webhook body from ``source``; PayloadError lists what is wrong.

    ``received_at`` stands in for the times a generic sender leaves out.
    """
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PayloadError([f"body is not JSON: {error}"]) from None
    except ValueError:  # a number of more than 4,300 digits: Python refuses to read it
        raise PayloadError(["body has a number too long to read"]) from None
    except RecursionError:
        raise PayloadError(["body nests arrays or objects too deeply"]) from None
    if not isinstance(document, dict):
        raise PayloadError(["body must be a JSON object"])
    # The database drops NULs from what it stores; without them here too, the alerts told
    # apart in memory (fingerprints, labels) are the ones told apart in the database.
    document = without_nul(document)
    if source == "alertmanager":
        return _parse_alertmanager(document, "alertmanager")
    if source == "grafana":
        return _parse_alertmanager(document, "grafana")
    if source == "generic":
        return _parse_generic(document, received_at)
    raise PayloadError([f"unknown alert source {source!r}"])


def _parse_alertmanager(document: dict[str, Any], source: Source) -> Notification:
    problems: list[str] = []
    status = _status(document.get("status"), "status", problems)
    group_key = document.get("groupKey")
    if not group_key and source == "grafana" and isinstance(document.get("groupLabels"), dict):
        # Older Grafana releases send no groupKey; its receiver and group labels stand in.
        group_key = (
            f"{document.get('receiver', '')}:{json.dumps(document['groupLabels'], sort_keys=True)}"
        )
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
    group_labels = _string_map(document.get("groupLabels"), "groupLabels", problems)
    common_labels = _string_map(document.get("commonLabels"), "commonLabels", problems)
    common_annotations = _string_map(
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
        title=_text(document.get("title")),
        message=_text(document.get("message")),
        external_url=_text(document.get("externalURL")),
        truncated_alerts=truncated,
        sender=SOURCE_NAMES[source],
    )


def _alertmanager_alert(raw: object, where: str, problems: list[str]) -> AlertSeen | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be an object")
        return None
    before = len(problems)
    status = _status(raw.get("status"), f"{where}.status", problems)
    labels = _string_map(raw.get("labels"), f"{where}.labels", problems)
    annotations = _string_map(raw.get("annotations"), f"{where}.annotations", problems)
    starts_at = _time(raw.get("startsAt"), f"{where}.startsAt", problems, required=True)
    ends_at = _time(raw.get("endsAt"), f"{where}.endsAt", problems, required=False)
    if status == "resolved" and ends_at is None and len(problems) == before:
        problems.append(f"{where}.endsAt: a resolved alert needs its end time")
    if len(problems) > before or starts_at is None:
        return None
    fingerprint = raw.get("fingerprint")
    links = [Link(text, raw[key]) for key, text in _LINK_FIELDS if _is_url(raw.get(key))]
    return AlertSeen(
        # Alertmanager before 0.19 sent no fingerprint; the labels identify the alert too.
        fingerprint=str(fingerprint) if fingerprint else labels_fingerprint(labels),
        status=status,
        labels=labels,
        annotations=annotations,
        starts_at=starts_at,
        ends_at=ends_at,
        links=tuple(links + _annotation_links(annotations)),
    )


def _parse_generic(document: dict[str, Any], received_at: datetime) -> Notification:
    problems: list[str] = []
    title = document.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append("title: required, a non-empty string")
    dedup_key = document.get("dedup_key")
    if not isinstance(dedup_key, str) or not dedup_key.strip():
        problems.append("dedup_key: required, a non-empty string")
    elif len(dedup_key) > 255:
        problems.append("dedup_key: at most 255 characters")
    status = _status(document.get("status", "firing"), "status", problems)
    started_at = _time(document.get("started_at"), "started_at", problems, required=False)
    ended_at = _time(document.get("ended_at"), "ended_at", problems, required=False)
    if status == "resolved" and ended_at is None:
        ended_at = received_at
    labels = _string_map(document.get("labels"), "labels", problems)
    severity = document.get("severity")
    if severity is not None and not isinstance(severity, str):
        problems.append("severity: must be a string")
    source = document.get("source", "")
    if not isinstance(source, str):
        problems.append("source: must be a string")
    description = document.get("description", "")
    if not isinstance(description, str):
        problems.append("description: must be a string")
    links = _generic_links(document.get("links"), problems)
    if problems:
        raise PayloadError(problems)
    assert isinstance(title, str) and isinstance(dedup_key, str)
    labels = {**labels, **({"severity": severity} if severity else {})}
    labels = {**labels, **({"source": source} if source else {})}
    annotations = {
        "summary": title.strip(),
        **({"description": description} if description else {}),
    }
    alert = AlertSeen(
        fingerprint=dedup_key,
        status=status,
        labels=labels,
        annotations=annotations,
        starts_at=started_at or received_at,
        ends_at=ended_at,
        links=tuple(links),
        start_given=started_at is not None,
    )
    stated = severity.upper() if isinstance(severity, str) else ""
    return Notification(
        source="generic",
        group_key=dedup_key,
        status=status,
        alerts=(alert,),
        common_labels=labels,
        common_annotations=annotations,
        title=title.strip(),
        message=description,
        severity=stated if stated in {"SEV1", "SEV2", "SEV3", "SEV4"} else None,
        sender=source or SOURCE_NAMES["generic"],
    )


def labels_fingerprint(labels: Mapping[str, str]) -> str:
    """A stable id for an alert from its labels, for senders that give none."""
    canonical = json.dumps(dict(sorted(labels.items())), separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _status(value: object, where: str, problems: list[str]) -> str:
    if value not in STATUSES:
        problems.append(f"{where}: must be 'firing' or 'resolved', got {value!r}")
        return "firing"
    return str(value)


def _string_map(value: object, where: str, problems: list[str]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        problems.append(f"{where}: must be an object of strings")
        return {}
    # Values are strings on the wire; numbers from hand-written senders are kept as text.
    if not all(isinstance(item, str | int | float | bool) for item in value.values()):
        problems.append(f"{where}: values must be strings")
        return {}
    return {key: str(item) for key, item in value.items()}


def _time(value: object, where: str, problems: list[str], *, required: bool) -> datetime | None:
    """An RFC 3339 time in UTC; Go's zero time and absence are None."""
    if value is None or value == "":
        if required:
            problems.append(f"{where}: required, an RFC 3339 time")
        return None
    if not isinstance(value, str):
        problems.append(f"{where}: must be an RFC 3339 time string")
        return None
    try:
        moment = dateparser.isoparse(value)
    except (ValueError, OverflowError):
        problems.append(f"{where}: not an RFC 3339 time: {value!r}")
        return None
    if moment.year == _GO_ZERO_YEAR:
        if required:
            problems.append(f"{where}: required, got the zero time")
        return None
    if moment.tzinfo is None:
        problems.append(f"{where}: needs a UTC offset (Z or +hh:mm): {value!r}")
        return None
    try:
        # 9999-12-31T23:59:59-01:00 is a valid time whose UTC is in year 10000: it overflows.
        utc = moment.astimezone(UTC)
    except OverflowError:
        utc = None
    # A margin of days from the calendar's ends: the time is shown in any zone and has days
    # added to it (reminders, windows) without overflowing there.
    if utc is None or not _EARLIEST <= utc <= _LATEST:
        problems.append(f"{where}: must fall well within years 1 to 9999 in UTC: {value!r}")
        return None
    return utc


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _is_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def _annotation_links(annotations: Mapping[str, str]) -> list[Link]:
    return [
        Link(text, annotations[key])
        for key, text in _LINK_ANNOTATIONS
        if _is_url(annotations.get(key))
    ]


def _generic_links(value: object, problems: list[str]) -> list[Link]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append("links: must be a list of URLs or {href, text} objects")
        return []
    links = []
    for index, item in enumerate(value):
        if isinstance(item, str) and _is_url(item):
            links.append(Link("Link", item))
        elif isinstance(item, dict) and _is_url(item.get("href")):
            links.append(Link(str(item.get("text") or "Link"), str(item["href"])))
        else:
            problems.append(f"links[{index}]: must be an http(s) URL or {{href, text}}")
    return links
