"""The incident list's filters, read from a query string (pages and API alike)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Protocol

from dateutil import tz

from bot.basics.numbers import parse_bounded_int
from bot.config import SEVERITIES
from bot.record.incident_queries import IncidentQuery
from bot.store.models import Status

PER_PAGE_MAX = 100
PAGE_MAX = 1_000_000
STATUSES = tuple(status.value for status in Status)


class QueryString(Protocol):
    def getall(self, key: str, default: list[str]) -> list[str]: ...
    def get(self, key: str, default: str | None = None) -> str | None: ...


class FilterError(ValueError):
    """A filter value that cannot be used; the message says which and why."""


def parse_filters(query: QueryString, *, zone: str, team_id: str | None) -> IncidentQuery:
    """``status``, ``severity`` (repeatable), ``from`` and ``to`` (dates, inclusive, in the
    zone given), ``page`` and ``per_page``."""
    statuses = _choices(query.getall("status", []), STATUSES, "status")
    severities = _choices([s.upper() for s in query.getall("severity", [])], SEVERITIES, "severity")
    # An end before the start is a range with nothing in it, not an error.
    since = _day(query.get("from"), zone, "from")
    until = _day(query.get("to"), zone, "to")
    return IncidentQuery(
        team_id=team_id,
        statuses=statuses,
        severities=severities,
        since=since,
        until=_day_after(until) if until else None,
        page=_number(query.get("page"), "page", 1, PAGE_MAX),
        per_page=_number(query.get("per_page"), "per_page", 25, PER_PAGE_MAX),
    )


def filter_values(query: IncidentQuery, raw: Mapping[str, str]) -> dict[str, object]:
    """What the filter form shows again."""
    return {
        "statuses": query.statuses,
        "severities": query.severities,
        "from": raw.get("from", ""),
        "to": raw.get("to", ""),
    }


def _choices(values: list[str], allowed: tuple[str, ...], name: str) -> tuple[str, ...]:
    chosen = tuple(value for value in values if value)
    wrong = [value for value in chosen if value not in allowed]
    if wrong:
        raise FilterError(f"Unknown {name} {wrong[0][:40]!r}: use one of {', '.join(allowed)}.")
    return chosen


def _day(value: str | None, zone: str, name: str) -> datetime | None:
    if not value:
        return None
    try:
        day = datetime.strptime(value.strip(), "%Y-%m-%d").date()
        # Early in year 1 a zone east of UTC has no UTC time: such a date is out of range.
        return datetime.combine(day, time(0), tzinfo=tz.gettz(zone)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise FilterError(f"The {name} date must look like 2026-03-14.") from None


def _day_after(day: datetime) -> datetime | None:
    """The end of a day; None (no end) for the last days a calendar has."""
    try:
        return day + timedelta(days=1)
    except OverflowError:
        return None


def _number(value: str | None, name: str, default: int, most: int) -> int:
    if value is None or value == "":
        return default
    number = parse_bounded_int(value, 1, most)
    if number is None:
        raise FilterError(f"{name} must be a whole number from 1 to {most}.")
    return number
