"""The one shape every alert source's body is parsed into: a ``Notification`` (one delivery:
a group of alerts) of ``AlertSeen`` (one alert: its fingerprint, status, labels, annotations,
times and links), or ``PayloadError`` naming every problem at once, so the sender's 400 says
everything that is wrong. Each source's parser is in its folder of ``sources/``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import accumulate
from typing import Any

from bot.store.db import without_nul

STATUSES = ("firing", "resolved")
# A vendor's API may acknowledge an alert (PagerDuty's ``acknowledge``, Opsgenie's
# ``/acknowledge``): a notification of this status has one alert, acknowledged by its sender.
ACKNOWLEDGED = "acknowledged"
# Opsgenie's "Add Note to Alert": a notification of this status has one alert, and its note.
NOTED = "noted"


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
class Note:
    """Words a sender adds to its alert: the note, who (None: the integration) and from
    where (None: not said)."""

    text: str
    user: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Notification:
    """One webhook delivery: a group of alerts and where each stands."""

    source: str
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
    # The urgency the sender states (PagerDuty's severity, Opsgenie's priority): it wins over
    # the route's. None: the route's.
    urgency: str | None = None
    # The sender names its alert by warroom's number instead of its key (Opsgenie's tiny id):
    # applied to that alert when the same sender sent it, else as a key nobody sent.
    alert_number: int | None = None
    # A ``NOTED`` notification's note.
    note: Note | None = None

    @property
    def firing(self) -> tuple[AlertSeen, ...]:
        return tuple(alert for alert in self.alerts if alert.status == "firing")

    @property
    def route_labels(self) -> dict[str, str]:
        """What routes match on: the labels every alert of the group shares."""
        return {**self.group_labels, **self.common_labels}


def labels_fingerprint(labels: Mapping[str, str]) -> str:
    """A stable id for an alert from its labels, for senders that give none."""
    canonical = json.dumps(dict(sorted(labels.items())), separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


# How deep a body's arrays and objects may nest (serde_json's default limit): deeper is
# refused, so that nothing that walks a parsed body (json.dumps, a check) meets Python's
# recursion limit, whose depth left depends on how deep the reader is called.
NESTING_MAX = 128
# A JSON string, escapes and all (possessive: a valid document's strings, read in one pass).
_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"')
# Outside its strings, a document's brackets alone, each kind as ``[`` and ``]`` (nesting is
# all that is counted, and a valid document closes what it opens).
_BRACKETS = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(set(range(128)) - set(b"[]{}"))
_PASSES = 4
_STEP = {ord("["): 1, ord("]"): -1}
_TOO_DEEP = f"body nests arrays or objects deeper than {NESTING_MAX}"


def nests_too_deep(text: str) -> bool:
    """Whether a valid JSON document nests arrays or objects deeper than ``NESTING_MAX``:
    read by the regular expression engine and bytes' own methods, not a walk in Python."""
    if text.count("[") + text.count("{") <= NESTING_MAX:
        return False  # nearly every body: too few brackets to nest that deep
    outside = _STRING.sub("", text).encode()  # ASCII: JSON's tokens are
    brackets = outside.translate(_BRACKETS, _NOT_BRACKETS)
    # Each pass takes away the innermost pairs, which hold the deepest points: one level
    # less; a wide body (a long array of objects) is mostly gone after a pass or two.
    levels = 0
    while levels < _PASSES and (fewer := brackets.replace(b"[]", b"")) != brackets:
        brackets, levels = fewer, levels + 1
    depth = max(accumulate(map(_STEP.__getitem__, brackets)), default=0)
    return levels + depth > NESTING_MAX


def json_document(body: str) -> Any:
    """A body's JSON, read; PayloadError says why it is none (or nests too deep)."""
    try:
        document = json.loads(body)
    except json.JSONDecodeError as error:
        raise PayloadError([f"body is not JSON: {error}"]) from None
    except ValueError:  # a number of more than 4,300 digits: Python refuses to read it
        raise PayloadError(["body has a number too long to read"]) from None
    except RecursionError:
        raise PayloadError([_TOO_DEEP]) from None
    if nests_too_deep(body):
        raise PayloadError([_TOO_DEEP])
    return document


def json_object(body: str) -> dict[str, Any]:
    """A body that must be a JSON object, read; PayloadError says why it is not one."""
    document = json_document(body)
    if not isinstance(document, dict):
        raise PayloadError(["body must be a JSON object"])
    # The database drops NULs from what it stores; without them here too, the alerts told
    # apart in memory (fingerprints, labels) are the ones told apart in the database.
    cleaned: dict[str, Any] = without_nul(document)
    return cleaned
