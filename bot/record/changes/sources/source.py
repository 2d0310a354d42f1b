"""What a source of change events is: ``ChangeSource``, the seam the dispatcher
(``bot.web.changes.receivers``) lets every sender's deliveries in through. It is the alert
sources' seam (``bot.record.alerting.sources.source``: where the key is, the body as kept,
its parser run in a worker process, its answers in the vendor's words) with a change event as
what a body is read into; the dispatcher's checks are the alert sources' own
(``bot.web.alerting.webhooks.admit``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from bot.record.alerting.sources.checks import time_of
from bot.record.alerting.sources.source import Delivery, KeyPlace, Refusal, Reply, warroom_refusal
from bot.record.changes.events import LINK_MAX, TEXT_MAX, ChangeSeen


class ChangeSource(Protocol):
    """One sender of change events: registered once in ``registry``."""

    @property
    def kind(self) -> str:
        """The integration kind whose keys open it (``pagerduty``, ``changes``)."""
        ...

    @property
    def name(self) -> str:
        """What its changes say they came from (``source``: pagerduty, github, api)."""
        ...

    @property
    def paths(self) -> tuple[str, ...]: ...

    @property
    def key_place(self) -> KeyPlace: ...

    def key(self, delivery: Delivery) -> str | None: ...

    def signed(self, delivery: Delivery, body: bytes, key: str) -> bool: ...

    def stored(self, delivery: Delivery, body: str) -> str:
        """The body as kept and parsed, with what the request's headers say of it folded in
        (GitHub's event name); a stored body is read again alone."""
        ...

    def parse(self, body: str, *, received_at: datetime) -> ChangeSeen:
        """Its body as a change, or PayloadError naming every field wrong; run in a worker
        process (it and its source picklable)."""
        ...

    def accepted(self, change_id: int | None, seen: ChangeSeen) -> Reply:
        """Its answer to a change kept (``change_id``), or to a body that is no change
        (None: ``seen.ignored`` says why)."""
        ...

    def refused(self, refusal: Refusal) -> Reply: ...


class WarroomAnswers:
    """The answers of a sender that expects none in particular (Argo CD, GitHub, the API):
    202 with the change's id, 200 with why for a body that is no change, and warroom's own
    refusals."""

    def accepted(self, change_id: int | None, seen: ChangeSeen) -> Reply:
        if change_id is None:
            return Reply(200, {"status": "ignored", "reason": seen.ignored or "not a change"})
        return Reply(202, {"status": "accepted", "id": change_id})

    def refused(self, refusal: Refusal) -> Reply:
        return warroom_refusal(refusal)


def body_digest(document: Mapping[str, Any]) -> str:
    """A body's own key when its sender gives none: the same JSON sent again is the same
    change."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def text_at(
    document: Mapping[str, Any],
    field: str,
    where: str,
    problems: list[str],
    *,
    required: bool = False,
    most: int = TEXT_MAX,
) -> str | None:
    """``document[field]`` as text (None when absent and not required); each problem named
    by ``where``."""
    value = document.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(f"'{where}' is missing or blank" if required else f"'{where}' must be text")
        return None
    if len(value) > most:
        problems.append(f"'{where}' is longer than {most} characters")
        return None
    return value.strip()


def time_at(value: object, where: str, problems: list[str]) -> datetime | None:
    """An ISO 8601 time with its offset, in UTC; None when absent."""
    try:
        return time_of(value)
    except ValueError as wrong:  # pydantic's custom error is a ValueError
        problems.append(f"'{where}': {wrong}")
        return None


def link_at(value: object, where: str, problems: list[str]) -> str | None:
    """An http(s) address; None when absent."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        problems.append(f"'{where}' must be an http(s) address")
        return None
    if len(value) > LINK_MAX:
        problems.append(f"'{where}' is longer than {LINK_MAX} characters")
        return None
    return value
