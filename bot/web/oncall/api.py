"""The on-call part of the JSON API: who is on call now for every schedule
(``/api/oncall``), and one schedule's final shifts in a window
(``/api/oncall/{schedule}?from=&to=``). Times are ISO 8601 in UTC; ``users`` are everyone on
call (several with ``overlap: all``), empty in a gap, and ``user`` the first of them (null in a
gap).

``ONCALL_OPERATIONS`` joins the API's table in api.py, so the route table registers them
and the OpenAPI document describes them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiohttp import web
from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, Field

from bot.flows.oncall.who import OnCall
from bot.record.oncall.engine import EARLIEST, LATEST, Shift, final_shifts
from bot.record.oncall.overrides import overrides_between
from bot.store.db import session_scope
from bot.web.api_answers import api_caller, api_error, json_answer, person_public
from bot.web.api_models import (
    ErrorPublic,
    OncallListPublic,
    OncallNowPublic,
    OncallShiftPublic,
    OncallShiftsPublic,
)
from bot.web.context import web_context
from bot.web.oncall.reading import names_of, now_on_call, people_of, schedule_for, schedules_for
from bot.web.openapi import Answer, Operation, path_parameter, query_parameters

# The window asked for when ``to`` is not given, and the longest one answered.
DEFAULT_WINDOW = timedelta(days=14)
LONGEST_WINDOW = relativedelta(years=1)
_MAX_TIME_CHARS = 64


class WindowRefused(ValueError):
    """A window that cannot be answered; the message names the parameter."""


class OncallWindowParameters(BaseModel):
    """The query parameters of ``/api/oncall/{schedule}``, as the OpenAPI document shows
    them (``parse_window`` reads them and keeps its own messages)."""

    from_: datetime | None = Field(
        default=None,
        alias="from",
        description="The window's start, ISO 8601 with its offset (2026-03-01T00:00:00Z); "
        "default: now.",
    )
    to: datetime | None = Field(
        default=None,
        description="The window's end, after from and at most a year later; default: 14 days "
        "after from.",
    )


def parse_window(
    raw_from: str | None, raw_to: str | None, *, now: datetime
) -> tuple[datetime, datetime]:
    """The window ``from`` to ``to`` asked for, in UTC; WindowRefused says what is wrong."""
    start = _instant("from", raw_from) or now
    end = _instant("to", raw_to) or min(start + DEFAULT_WINDOW, LATEST)
    if end <= start:
        raise WindowRefused(f"to: {_utc(end)} is not after from ({_utc(start)})")
    if end > start + LONGEST_WINDOW:
        raise WindowRefused(
            f"to: the window is at most a year; {_utc(start)} to {_utc(end)} is longer"
        )
    if start < EARLIEST or end > LATEST:
        raise WindowRefused(f"from: the window must lie between {EARLIEST:%Y} and {LATEST:%Y}")
    return start, end


def _instant(name: str, text: str | None) -> datetime | None:
    if text is None or not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip()[:_MAX_TIME_CHARS])
    except ValueError:
        raise WindowRefused(
            f"{name}: {text[:40]!r} is not an ISO 8601 time, like 2026-03-01T00:00:00Z"
        ) from None
    if moment.tzinfo is None:
        raise WindowRefused(f"{name}: give the time with its offset, like 2026-03-01T00:00:00Z")
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # early in year 1, east of UTC: no UTC time
        raise WindowRefused(
            f"{name}: the window must lie between {EARLIEST:%Y} and {LATEST:%Y}"
        ) from None


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _shift(shift: Shift, names: dict[str, str]) -> OncallShiftPublic:
    everyone = [person_public(user, names) for user in shift.users]
    return OncallShiftPublic(
        start=shift.start,
        end=shift.end,
        user=person_public(shift.user, names),
        users=[person for person in everyone if person is not None],
    )


def _now(entry: OnCall, names: dict[str, str]) -> OncallNowPublic:
    return OncallNowPublic(
        schedule=entry.schedule.name,
        timezone=entry.schedule.timezone,
        current=_shift(entry.now, names),
        next=_shift(entry.next, names) if entry.next else None,
        url=f"/oncall/{entry.schedule.name}",
    )


async def list_oncall(request: web.Request) -> web.Response:
    """GET /api/oncall"""
    web_ = web_context(request)
    viewer = api_caller(request)
    now = web_.services.clock()
    board = await now_on_call(web_, await schedules_for(web_, viewer), now)
    shifts = [s for entry in board for s in (entry.now, entry.next) if s is not None]
    names = await names_of(web_, people_of((), shifts))
    return json_answer(OncallListPublic(at=now, items=[_now(entry, names) for entry in board]))


async def get_oncall_shifts(request: web.Request) -> web.Response:
    """GET /api/oncall/{schedule}"""
    web_ = web_context(request)
    viewer = api_caller(request)
    name = request.match_info["schedule"]
    schedule = await schedule_for(web_, viewer, name)
    if schedule is None:
        raise api_error(404, "not_found", f"There is no schedule called {name[:80]!r}.")
    now = web_.services.clock()
    try:
        start, end = parse_window(request.query.get("from"), request.query.get("to"), now=now)
    except WindowRefused as refusal:
        raise api_error(400, "bad_window", f"schedule {schedule.name!r}: {refusal}") from None
    async with session_scope(web_.services.engine) as session:
        overrides = await overrides_between(session, start=start, end=end, schedule=schedule.name)
    shifts = final_shifts(schedule, overrides, start, end)
    names = await names_of(web_, people_of((), shifts))
    return json_answer(
        OncallShiftsPublic(
            schedule=schedule.name,
            timezone=schedule.timezone,
            from_=start,
            to=end,
            shifts=[_shift(shift, names) for shift in shifts],
        )
    )


_UNAUTHORIZED = Answer("Not signed in and no valid bearer token.", ErrorPublic)
ONCALL_OPERATIONS = (
    Operation(
        "/api/oncall",
        list_oncall,
        "listOncall",
        "Who is on call now for every schedule, and who is next",
        answers={200: Answer("Every schedule.", OncallListPublic), 401: _UNAUTHORIZED},
    ),
    Operation(
        "/api/oncall/{schedule}",
        get_oncall_shifts,
        "getOncallShifts",
        "A schedule's final shifts (overrides included) in a window",
        parameters=(
            path_parameter("schedule", "The schedule's name, e.g. payments-primary."),
            *query_parameters(OncallWindowParameters),
        ),
        answers={
            200: Answer("The shifts, consecutive, cut at the window's edges.", OncallShiftsPublic),
            400: Answer("A window that cannot be answered.", ErrorPublic),
            404: Answer("No such schedule.", ErrorPublic),
            401: _UNAUTHORIZED,
        },
    ),
)

__all__ = ["ONCALL_OPERATIONS", "OncallWindowParameters", "parse_window"]
