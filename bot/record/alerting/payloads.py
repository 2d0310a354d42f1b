"""Webhook bodies from Alertmanager, Grafana and anything else, parsed into one shape.

Parsing is strict about what processing relies on (statuses, times, the group key) and
lenient about the rest, because versions differ (``notification_reason`` and ``routeLabels``
are recent Alertmanager fields; Grafana adds its own). Every problem is named at once, so
the sender's 400 says everything that is wrong.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, TypeVar

from dateutil import parser as dateparser
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

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
T = TypeVar("T")
_LINK_ANNOTATIONS = (("runbook_url", "Runbook"), ("runbook", "Runbook"), ("dashboard", "Dashboard"))


class PayloadError(ValueError):
    """The body is not a notification warroom can apply; ``problems`` says why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems

    def __reduce__(self) -> tuple[type[PayloadError], tuple[list[str]]]:
        # Raised in a worker process (bot/basics/untrusted.py) and rebuilt here whole.
        return (PayloadError, (self.problems,))


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


def labels_fingerprint(labels: Mapping[str, str]) -> str:
    """A stable id for an alert from its labels, for senders that give none."""
    canonical = json.dumps(dict(sorted(labels.items())), separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _wrong(problem: str) -> PydanticCustomError:
    """A value that is not what its field needs; ``problem`` says why, without the field."""
    return PydanticCustomError("alert_payload", "{problem}", {"problem": problem})


def _noted(
    problems: list[str], where: str, check: Callable[[object], T], value: object, fallback: T
) -> T:
    """``check(value)``, or ``fallback`` with the problem noted under ``where``."""
    try:
        return check(value)
    except PydanticCustomError as error:
        problems.append(f"{where}: {error.message()}")
        return fallback


def _status(value: object, where: str, problems: list[str]) -> str:
    return _noted(problems, where, _status_of, value, "firing")


def _string_map(value: object, where: str, problems: list[str]) -> dict[str, str]:
    return _noted(problems, where, _strings_of, value, {})


def _time(value: object, where: str, problems: list[str], *, required: bool) -> datetime | None:
    check = _required_time_of if required else _time_of
    return _noted(problems, where, check, value, None)


def _status_of(value: object) -> str:
    if value not in STATUSES:
        raise _wrong(f"must be 'firing' or 'resolved', got {value!r}")
    return str(value)


def _strings_of(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        raise _wrong("must be an object of strings")
    # Values are strings on the wire; numbers from hand-written senders are kept as text.
    if not all(isinstance(item, str | int | float | bool) for item in value.values()):
        raise _wrong("values must be strings")
    return {key: str(item) for key, item in value.items()}


def _required_time_of(value: object) -> datetime | None:
    return _time_of(value, required=True)


def _time_of(value: object, *, required: bool = False) -> datetime | None:
    """An RFC 3339 time in UTC; Go's zero time and absence are None."""
    if value is None or value == "":
        if required:
            raise _wrong("required, an RFC 3339 time")
        return None
    if not isinstance(value, str):
        raise _wrong("must be an RFC 3339 time string")
    try:
        moment = dateparser.isoparse(value)
    except (ValueError, OverflowError):
        raise _wrong(f"not an RFC 3339 time: {value!r}") from None
    if moment.year == _GO_ZERO_YEAR:
        if required:
            raise _wrong("required, got the zero time")
        return None
    if moment.tzinfo is None:
        raise _wrong(f"needs a UTC offset (Z or +hh:mm): {value!r}")
    try:
        # 9999-12-31T23:59:59-01:00 is a valid time whose UTC is in year 10000: it overflows.
        utc = moment.astimezone(UTC)
    except OverflowError:
        utc = None
    # A margin of days from the calendar's ends: the time is shown in any zone and has days
    # added to it (reminders, windows) without overflowing there.
    if utc is None or not _EARLIEST <= utc <= _LATEST:
        raise _wrong(f"must fall well within years 1 to 9999 in UTC: {value!r}")
    return utc


def _required_text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _wrong("required, a non-empty string")
    return value


def _dedup_key(value: object) -> str:
    key = _required_text(value)
    if len(key) > 255:
        raise _wrong("at most 255 characters")
    return key


def _text_of(value: object) -> str:
    if not isinstance(value, str):
        raise _wrong("must be a string")
    return value


def _optional_text(value: object) -> str | None:
    return None if value is None else _text_of(value)


def _link_list(value: object) -> list[object]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _wrong("must be a list of URLs or {href, text} objects")
    return value


def _link_of(item: object) -> Link:
    if isinstance(item, str) and _is_url(item):
        return Link("Link", item)
    if isinstance(item, dict) and _is_url(item.get("href")):
        return Link(str(item.get("text") or "Link"), str(item["href"]))
    raise _wrong("must be an http(s) URL or {href, text}")


# A link of the generic shape: a URL, or {href, text}.
GenericLink = Annotated[Link, BeforeValidator(_link_of)]


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


# -- the generic shape ---------------------------------------------------------------------
class GenericNotification(BaseModel):
    """The generic shape (README, "Alerts"): one alert, named by ``dedup_key``. Every field's
    problem is named at once, fields in this order, in the words the Alertmanager shape's
    checks use (the same checkers)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    title: Annotated[str, BeforeValidator(_required_text)] = Field(
        default=None, validate_default=True
    )
    dedup_key: Annotated[str, BeforeValidator(_dedup_key)] = Field(
        default=None, validate_default=True
    )
    status: Annotated[str, BeforeValidator(_status_of)] = "firing"
    started_at: Annotated[datetime | None, BeforeValidator(_time_of)] = None
    ended_at: Annotated[datetime | None, BeforeValidator(_time_of)] = None
    labels: Annotated[dict[str, str], BeforeValidator(_strings_of)] = Field(default_factory=dict)
    severity: Annotated[str | None, BeforeValidator(_optional_text)] = None
    source: Annotated[str, BeforeValidator(_text_of)] = ""
    description: Annotated[str, BeforeValidator(_text_of)] = ""
    links: Annotated[list[GenericLink], BeforeValidator(_link_list)] = Field(default_factory=list)

    def notification(self, received_at: datetime) -> Notification:
        """The notification this body makes; ``received_at`` stands in for missing times."""
        ended_at = self.ended_at
        if self.status == "resolved" and ended_at is None:
            ended_at = received_at
        severity, source = self.severity, self.source
        labels = {**self.labels, **({"severity": severity} if severity else {})}
        labels = {**labels, **({"source": source} if source else {})}
        annotations = {
            "summary": self.title.strip(),
            **({"description": self.description} if self.description else {}),
        }
        alert = AlertSeen(
            fingerprint=self.dedup_key,
            status=self.status,
            labels=labels,
            annotations=annotations,
            starts_at=self.started_at or received_at,
            ends_at=ended_at,
            links=tuple(self.links),
            start_given=self.started_at is not None,
        )
        stated = severity.upper() if severity else ""
        return Notification(
            source="generic",
            group_key=self.dedup_key,
            status=self.status,
            alerts=(alert,),
            common_labels=labels,
            common_annotations=annotations,
            title=self.title.strip(),
            message=self.description,
            severity=stated if stated in {"SEV1", "SEV2", "SEV3", "SEV4"} else None,
            sender=source or SOURCE_NAMES["generic"],
        )


def _parse_generic(document: dict[str, Any], received_at: datetime) -> Notification:
    try:
        body = GenericNotification.model_validate(document)
    except ValidationError as error:
        raise PayloadError([_problem(problem) for problem in error.errors()]) from None
    return body.notification(received_at)


def _problem(error: ErrorDetails) -> str:
    """``links[0]: must be ...``: where, then what is wrong (the checker's words)."""
    where = "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]
    ).lstrip(".")
    return f"{where}: {error['msg']}"
