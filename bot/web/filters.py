"""The incident list's filters, read from a query string (pages and API alike)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from dateutil import tz
from multidict import MultiMapping
from pydantic import BaseModel, Field

from bot.basics.numbers import parse_bounded_int
from bot.record.incident.incident_types import NO_TYPES, FieldValueError, IncidentTypes
from bot.record.incident.queries import IncidentQuery
from bot.record.postmortem.review import Review
from bot.store.models import SEVERITIES, Status

PER_PAGE_MAX = 100
PER_PAGE_DEFAULT = 25
PAGE_MAX = 1_000_000
# The longest search kept (a title is one line; a longer search matches nothing anyway).
SEARCH_MAX = 200
STATUSES = tuple(status.value for status in Status)
# The same values as types, for the API's models and its OpenAPI document.
StatusName = Literal[STATUSES]  # type: ignore[valid-type]
SeverityName = Literal[SEVERITIES]  # type: ignore[valid-type]
REVIEWS = tuple(review.value for review in Review)
ReviewName = Literal[REVIEWS]  # type: ignore[valid-type]


FIELD_PREFIX = "field."


# A request's query, as aiohttp parses it.
QueryString = MultiMapping[str]


class FilterError(ValueError):
    """A filter value that cannot be used; the message says which and why, ``field`` which
    of the form's fields it is about (a page that shows its form again says it there)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def parse_filters(
    query: QueryString, *, zone: str, team_id: str | None, types: IncidentTypes = NO_TYPES
) -> IncidentQuery:
    """``status``, ``severity``, ``type``, ``review`` (the postmortem's review state; each
    repeatable), ``field.<name>`` (a custom field's value), ``from`` and ``to`` (dates,
    inclusive, in the zone given), ``q`` (words searched for by record/incident/search.py, or a
    reference: ``INC-123``), ``page`` and ``per_page``."""
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
        # A type the file does not have (any more) matches nothing: no error, as old links
        # to a renamed type still answer.
        incident_types=tuple(t.strip().lower() for t in query.getall("type", []) if t.strip()),
        fields=_field_filters(query, types),
        reviews=_choices(query.getall("review", []), REVIEWS, "review"),
        search=" ".join((query.get("q") or "").split())[:SEARCH_MAX],
        page=_number(query.get("page"), "page", 1, PAGE_MAX),
        per_page=_number(query.get("per_page"), "per_page", PER_PAGE_DEFAULT, PER_PAGE_MAX),
    )


class FilterParameters(BaseModel):
    """The query parameters parse_filters reads, as the OpenAPI document describes them.

    It parses nothing (parse_filters keeps its own messages); it sits here, built from the
    same constants, so the document's choices and bounds are the parser's. An absent
    parameter is the default (or no filter)."""

    status: list[StatusName] = Field(default=[], description="Repeatable: any of these.")
    severity: list[SeverityName] = Field(default=[], description="Repeatable: any of these.")
    from_: date | None = Field(
        default=None,
        alias="from",
        description="Declared on or after this day (YYYY-MM-DD, in warroom's time zone).",
    )
    to: date | None = Field(
        default=None, description="Declared on or before this day (YYYY-MM-DD)."
    )
    type: list[str] = Field(
        default=[],
        description="Repeatable: incidents of any of these types (WARROOM_INCIDENT_TYPES).",
    )
    review: list[ReviewName] = Field(
        default=[],
        description="Repeatable: incidents whose postmortem is in any of these review states.",
    )
    q: str | None = Field(
        default=None,
        description="Words, every one in any order and any case, each also as the start of a "
        "longer word, in the title, first report, updates, timeline or follow-ups; or a "
        f"reference: INC-123 (the first {SEARCH_MAX} characters are searched for).",
    )
    page: int = Field(default=1, ge=1, le=PAGE_MAX)
    per_page: int = Field(default=PER_PAGE_DEFAULT, ge=1, le=PER_PAGE_MAX)


def filter_values(query: IncidentQuery, raw: Mapping[str, str]) -> dict[str, object]:
    """What the filter form shows again."""
    return {
        "statuses": query.statuses,
        "severities": query.severities,
        "from": raw.get("from", ""),
        "to": raw.get("to", ""),
        "types": query.incident_types,
        "fields": dict(query.fields),
        "reviews": query.reviews,
        "q": query.search,
    }


def _field_filters(query: QueryString, types: IncidentTypes) -> tuple[tuple[str, str], ...]:
    """``field.customer_impact=outage``: (field, value as stored) pairs, each value checked
    against its field (an option's spelling as the file has it, a number as stored)."""
    pairs = []
    for key in dict.fromkeys(str(k) for k in query):
        if not key.startswith(FIELD_PREFIX):
            continue
        name = key.removeprefix(FIELD_PREFIX)
        field = types.field(name)
        if field is None:
            known = ", ".join(types.fields) or "none are configured"
            raise FilterError(f"Unknown field {name[:40]!r}: fields are {known}.")
        for raw in query.getall(key, []):
            if not raw.strip():
                continue
            try:
                if field.kind == "number":
                    number = field.number(raw)
                    text = repr(number) if isinstance(number, float) else str(number)
                elif field.has_options:
                    text = field.option(raw)
                else:
                    text = raw.strip()
            except FieldValueError as error:
                raise FilterError(str(error)) from None
            pairs.append((field.name, text))
    return tuple(pairs)


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
