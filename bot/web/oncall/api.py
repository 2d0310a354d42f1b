"""The on-call part of the JSON API: who is on call now for every schedule
(``/api/oncall``), one schedule's final shifts in a window
(``/api/oncall/{schedule}?from=&to=``). Times are ISO 8601 in UTC; ``users`` are everyone on
call (several with ``overlap: all``), empty in a gap, and ``user`` the first of them (null in a
gap); and overrides made and cancelled by script, with the API token only
(``POST /api/oncall/{schedule}/overrides``, ``DELETE .../overrides/{override}``), through
the same flow as ``/oncall override`` and the web view's forms.

``ONCALL_OPERATIONS`` joins the API's table in api.py, so the route table registers them
and the OpenAPI document describes them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiohttp import web
from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, Field, ValidationError

from bot.basics.numbers import DATABASE_ID_MAX, parse_bounded_int
from bot.flows.oncall.common import OncallRefused
from bot.flows.oncall.overrides import cancel_kept, put_on_call_for_operator
from bot.flows.oncall.who import OnCall
from bot.record.oncall.engine import EARLIEST, LATEST, Shift, final_shifts
from bot.record.oncall.overrides import overrides_between
from bot.record.oncall.schedules import Schedule
from bot.store.db import session_scope
from bot.store.models import OncallOverride
from bot.web.api.answers import api_caller, api_error, json_answer, person_public, token_caller
from bot.web.api.models import (
    ErrorPublic,
    OncallListPublic,
    OncallNowPublic,
    OncallShiftPublic,
    OncallShiftsPublic,
    OverrideCreate,
    OverridePublic,
)
from bot.web.context import WebContext, web_context
from bot.web.oncall.reading import names_of, now_on_call, people_of, schedule_for, schedules_for
from bot.web.openapi import Answer, Operation, path_parameter, query_parameters
from bot.web.visibility import Viewer

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


async def add_oncall_override(request: web.Request) -> web.Response:
    """POST /api/oncall/{schedule}/overrides"""
    web_ = web_context(request)
    viewer = token_caller(request)
    schedule = _configured(web_, request.match_info["schedule"])
    asked = await _asked_override(request, schedule.name)
    try:
        override, taken = await put_on_call_for_operator(
            web_.services,
            schedule,
            by=viewer.author,
            user=asked.user,
            start=asked.start,
            end=asked.end,
            layer=asked.layer,
        )
    except OncallRefused as refusal:
        raise api_error(400, "refused", _refusal_text(web_, refusal)) from None
    people = {user for shift in taken for user in shift.users} | set(override.users)
    names = await names_of(web_, people)
    async with session_scope(web_.services.engine) as session:
        row = await session.get(OncallOverride, override.id)
    assert row is not None  # kept just now, never deleted
    return json_answer(_override_public(row, names, taken), status=201)


async def cancel_oncall_override(request: web.Request) -> web.Response:
    """DELETE /api/oncall/{schedule}/overrides/{override}"""
    web_ = web_context(request)
    viewer = token_caller(request)
    schedule = _configured(web_, request.match_info["schedule"])
    number = parse_bounded_int(request.match_info["override"], 1, DATABASE_ID_MAX)
    if number is None:
        raise api_error(404, "not_found", f"Schedule {schedule.name!r} has no such override.")
    try:
        row, _ = await cancel_kept(
            web_.services,
            by=viewer.author,
            override_id=number,
            zone="UTC",
            schedule=schedule.name,
            operator=True,
        )
    except OncallRefused as refusal:
        status = 404 if refusal.context["problem"] == "no_override" else 409
        raise api_error(status, _CODES[status], _refusal_text(web_, refusal)) from None
    names = await names_of(web_, {row.user_id} if row.user_id else set())
    return json_answer(_override_public(row, names, []))


_CODES = {404: "not_found", 409: "cancelled_or_over"}


def _configured(web_: WebContext, name: str) -> Schedule:
    """The schedule the path names (names ignore case); 404 when there is none."""
    schedule = web_.settings.oncall.schedules.get(name)
    if schedule is None:
        raise api_error(404, "not_found", f"There is no schedule called {name[:80]!r}.")
    return schedule


async def _asked_override(request: web.Request, schedule: str) -> OverrideCreate:
    """The body, read as ``OverrideCreate``; 400 naming what is wrong."""
    try:
        body = await request.json()
    except ValueError:
        raise api_error(
            400, "bad_body", f"schedule {schedule!r}: the body must be JSON, like {_EXAMPLE}"
        ) from None
    try:
        asked = OverrideCreate.model_validate(body)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, problem['loc'])) or 'body'}: {problem['msg']}"
            for problem in error.errors()[:5]
        )
        raise api_error(400, "bad_body", f"schedule {schedule!r}: {problems}") from None
    for name, moment in (("start", asked.start), ("end", asked.end)):
        if moment.tzinfo is None:
            raise api_error(
                400,
                "bad_body",
                f"schedule {schedule!r}: {name}: give the time with its offset, like "
                "2026-03-13T18:00:00Z",
            )
    return asked


_EXAMPLE = '{"user": "U024BE7LH", "start": "2026-03-13T18:00:00Z", "end": "2026-03-16T08:00:00Z"}'


def _refusal_text(web_: WebContext, refusal: OncallRefused) -> str:
    """The refusal's sentence, as the web view words it, in plain text (times in UTC)."""
    context = {**refusal.context, "names": {}, "page_zone": "UTC"}
    return web_.services.renderer.render_plain("web/_oncall_refused.html.j2", **context)


def _override_public(
    row: OncallOverride, names: dict[str, str], taken: list[Shift]
) -> OverridePublic:
    assert row.id is not None
    return OverridePublic(
        id=row.id,
        schedule=row.schedule,
        layer=row.layer,
        user=person_public(row.user_id, names),
        start=row.start_at,
        end=row.end_at,
        created_by=row.created_by,
        created_at=row.created_at,
        cancelled_by=row.cancelled_by,
        cancelled_at=row.cancelled_at,
        displaced=[_shift(shift, names) for shift in taken],
    )


async def list_oncall(request: web.Request) -> web.Response:
    """GET /api/oncall"""
    web_ = web_context(request)
    viewer = api_caller(request)
    return json_answer(await oncall_board(web_, viewer, web_.services.clock()))


async def oncall_board(web_: WebContext, viewer: Viewer, at: datetime) -> OncallListPublic:
    """Who is on call at ``at`` and next, for every schedule the viewer may see (the API's
    list and the agents' who_is_on_call)."""
    board = await now_on_call(web_, await schedules_for(web_, viewer), at)
    shifts = [s for entry in board for s in (entry.now, entry.next) if s is not None]
    names = await names_of(web_, people_of((), shifts))
    return OncallListPublic(at=at, items=[_now(entry, names) for entry in board])


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
    return json_answer(await oncall_shifts(web_, schedule, start, end))


async def oncall_shifts(
    web_: WebContext, schedule: Schedule, start: datetime, end: datetime
) -> OncallShiftsPublic:
    """The schedule's final shifts from ``start`` to ``end`` (the API's and the agents'
    get_schedule)."""
    async with session_scope(web_.services.engine) as session:
        overrides = await overrides_between(session, start=start, end=end, schedule=schedule.name)
    shifts = final_shifts(schedule, overrides, start, end)
    names = await names_of(web_, people_of((), shifts))
    return OncallShiftsPublic(
        schedule=schedule.name,
        timezone=schedule.timezone,
        from_=start,
        to=end,
        shifts=[_shift(shift, names) for shift in shifts],
    )


_UNAUTHORIZED = Answer("Not signed in and no valid bearer token.", ErrorPublic)
_TOKEN_ONLY = Answer("No valid bearer token (a change takes the API token).", ErrorPublic)
_SCHEDULE = path_parameter("schedule", "The schedule's name, e.g. payments-primary.")
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
        parameters=(_SCHEDULE, *query_parameters(OncallWindowParameters)),
        answers={
            200: Answer("The shifts, consecutive, cut at the window's edges.", OncallShiftsPublic),
            400: Answer("A window that cannot be answered.", ErrorPublic),
            404: Answer("No such schedule.", ErrorPublic),
            401: _UNAUTHORIZED,
        },
    ),
    Operation(
        "/api/oncall/{schedule}/overrides",
        add_oncall_override,
        "addOncallOverride",
        "Put someone, or nobody, on call for a schedule or one of its layers for a while",
        parameters=(_SCHEDULE,),
        method="POST",
        body=OverrideCreate,
        answers={
            201: Answer("The override, kept, with whom it displaced.", OverridePublic),
            400: Answer("A body that cannot be read, or an override refused.", ErrorPublic),
            404: Answer("No such schedule.", ErrorPublic),
            401: _TOKEN_ONLY,
        },
    ),
    Operation(
        "/api/oncall/{schedule}/overrides/{override}",
        cancel_oncall_override,
        "cancelOncallOverride",
        "Cancel an override (it stays in the record, cancelled)",
        parameters=(_SCHEDULE, path_parameter("override", "The override's number, e.g. 12.")),
        method="DELETE",
        answers={
            200: Answer("The override, cancelled.", OverridePublic),
            404: Answer("No such schedule, or no such override of it.", ErrorPublic),
            409: Answer("An override cancelled already, or over.", ErrorPublic),
            401: _TOKEN_ONLY,
        },
    ),
)

__all__ = ["ONCALL_OPERATIONS", "OncallWindowParameters", "parse_window"]
