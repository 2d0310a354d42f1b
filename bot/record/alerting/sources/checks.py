"""The checks of a body's fields every source's parser shares, in the same words for every
source: a status, a map of strings, an RFC 3339 time, a text, a link. Each ``*_of`` raises
pydantic's custom error (so a pydantic model uses it as a validator); ``noted`` and the
``*_at`` helpers note the problem under where it is and go on, so every problem is named at
once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from dateutil import parser as dateparser
from pydantic_core import PydanticCustomError

from bot.record.alerting.payloads import STATUSES, Link

T = TypeVar("T")
# Go's zero time: what Alertmanager and Grafana send as ``endsAt`` of an alert still firing.
_GO_ZERO_YEAR = 1
_EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=7)
_LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=7)
_LINK_ANNOTATIONS = (("runbook_url", "Runbook"), ("runbook", "Runbook"), ("dashboard", "Dashboard"))


def wrong(problem: str) -> PydanticCustomError:
    """A value that is not what its field needs; ``problem`` says why, without the field."""
    return PydanticCustomError("alert_payload", "{problem}", {"problem": problem})


def noted(
    problems: list[str], where: str, check: Callable[[object], T], value: object, fallback: T
) -> T:
    """``check(value)``, or ``fallback`` with the problem noted under ``where``."""
    try:
        return check(value)
    except PydanticCustomError as error:
        problems.append(f"{where}: {error.message()}")
        return fallback


def status_at(value: object, where: str, problems: list[str]) -> str:
    return noted(problems, where, status_of, value, "firing")


def strings_at(value: object, where: str, problems: list[str]) -> dict[str, str]:
    return noted(problems, where, strings_of, value, {})


def time_at(value: object, where: str, problems: list[str], *, required: bool) -> datetime | None:
    check = required_time_of if required else time_of
    return noted(problems, where, check, value, None)


def status_of(value: object) -> str:
    if value not in STATUSES:
        raise wrong(f"must be 'firing' or 'resolved', got {value!r}")
    return str(value)


def strings_of(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        raise wrong("must be an object of strings")
    # Values are strings on the wire; numbers from hand-written senders are kept as text.
    if not all(isinstance(item, str | int | float | bool) for item in value.values()):
        raise wrong("values must be strings")
    return {key: str(item) for key, item in value.items()}


def required_time_of(value: object) -> datetime | None:
    return time_of(value, required=True)


def time_of(value: object, *, required: bool = False) -> datetime | None:
    """An RFC 3339 time in UTC; Go's zero time and absence are None."""
    if value is None or value == "":
        if required:
            raise wrong("required, an RFC 3339 time")
        return None
    if not isinstance(value, str):
        raise wrong("must be an RFC 3339 time string")
    try:
        moment = dateparser.isoparse(value)
    except (ValueError, OverflowError):
        raise wrong(f"not an RFC 3339 time: {value!r}") from None
    if moment.year == _GO_ZERO_YEAR:
        if required:
            raise wrong("required, got the zero time")
        return None
    if moment.tzinfo is None:
        raise wrong(f"needs a UTC offset (Z or +hh:mm): {value!r}")
    try:
        # 9999-12-31T23:59:59-01:00 is a valid time whose UTC is in year 10000: it overflows.
        utc = moment.astimezone(UTC)
    except OverflowError:
        utc = None
    # A margin of days from the calendar's ends: the time is shown in any zone and has days
    # added to it (reminders, windows) without overflowing there.
    if utc is None or not _EARLIEST <= utc <= _LATEST:
        raise wrong(f"must fall well within years 1 to 9999 in UTC: {value!r}")
    return utc


def required_text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise wrong("required, a non-empty string")
    return value


def dedup_key(value: object) -> str:
    key = required_text(value)
    if len(key) > 255:
        raise wrong("at most 255 characters")
    return key


def text_of(value: object) -> str:
    if not isinstance(value, str):
        raise wrong("must be a string")
    return value


def optional_text(value: object) -> str | None:
    return None if value is None else text_of(value)


def link_list(value: object) -> list[object]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise wrong("must be a list of URLs or {href, text} objects")
    return value


def link_of(item: object) -> Link:
    if isinstance(item, str) and is_url(item):
        return Link("Link", item)
    if isinstance(item, dict) and is_url(item.get("href")):
        return Link(str(item.get("text") or "Link"), str(item["href"]))
    raise wrong("must be an http(s) URL or {href, text}")


def text_or_empty(value: object) -> str:
    return value if isinstance(value, str) else ""


def is_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def annotation_links(annotations: Mapping[str, str]) -> list[Link]:
    return [
        Link(text, annotations[key])
        for key, text in _LINK_ANNOTATIONS
        if is_url(annotations.get(key))
    ]
