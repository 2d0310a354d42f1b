"""The on-call pages: every schedule with who is on call now (``/oncall``), and one schedule's
next two weeks with its overrides, which signed-in people add and cancel there
(``/oncall/<schedule>``).

Times are shown in the viewer's zone, chosen with ``?tz=`` as on the status page (by default
the list's in ``WARROOM_TIMEZONE``, a schedule's in its own zone). Overrides are added and
cancelled through ``/oncall``'s own flows (``bot.flows.oncall.overrides``): the same checks,
the same rule of who may (``bot.record.oncall.rights``), the same DM to the person; a refusal
redirects to the schedule's page, which says once, in a sentence naming the schedule and the
field, why, with what was typed (``bot.web.notices``); never a 5xx.
"""

from __future__ import annotations

import logging
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from markupsafe import Markup
from multidict import MultiDictProxy

from bot.basics.numbers import DATABASE_ID_MAX, parse_bounded_int
from bot.basics.slack_patterns import USER_ID
from bot.flows.oncall.calendars import calendar_link
from bot.flows.oncall.common import OncallRefused, overrides_around, read_time, require_person
from bot.flows.oncall.overrides import (
    cancel_kept,
    check_put_on_call,
    keep_override,
    layer_named,
)
from bot.flows.oncall.who import OnCall, on_call
from bot.flows.rights import NotTheirs
from bot.record.oncall.engine import LATEST, Override, Shift, displaced
from bot.record.oncall.overrides import (
    OverrideRefused,
    as_override,
    check_override,
    override_history,
)
from bot.record.oncall.rights import may_cancel, members
from bot.record.oncall.schedules import Schedule
from bot.record.people import known_people
from bot.store.db import session_scope
from bot.store.models import OncallOverride, OncallSwap
from bot.web.auth import check_csrf, csrf_token, page_viewer, viewer_and_csrf
from bot.web.context import WebContext, web_context
from bot.web.live_refresh import live_until
from bot.web.notices import forget, once_of, refused_back
from bot.web.oncall.charts import timeline
from bot.web.oncall.reading import (
    groups_of,
    names_of,
    now_on_call,
    people_of,
    schedule_for,
    schedules_for,
)
from bot.web.pages_common import (
    LIVE_SECONDS,
    ZONE_REFUSED,
    guests_refused,
    live_page,
    read_form,
    render_page,
    viewer_zone,
)
from bot.web.visibility import Viewer

log = logging.getLogger(__name__)
# The timeline's length, and how far back the list of overrides reaches.
TIMELINE_DAYS = 14
HISTORY_DAYS = 90
# What the form's list sends for "nobody on call" (a deliberate gap).
NOBODY = "nobody"
# Override ids are database integers.
MAX_OVERRIDE_ID = DATABASE_ID_MAX
# An override longer than this is confirmed explicitly ("Sat 09:00 → Fri 09:00" is six days).
LONG_OVERRIDE = timedelta(days=1)
# What a form's second step sends: the person saw the preview (or the question) and confirms.
CONFIRM = "confirm"
# A native date and time field's value (``<input type="datetime-local">``): 2026-03-13T18:00.
_NATIVE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?$")


async def oncall_list(request: web.Request) -> web.Response:
    """GET /oncall: each schedule, who is on call now and until when, and who is next."""
    web_ = web_context(request)
    viewer, csrf = viewer_and_csrf(request)
    if viewer.guest:
        return _guests_refused(request, viewer, csrf)
    zone, unknown = viewer_zone(request.query.get("tz"), web_.settings.incidents.timezone)
    schedules = await schedules_for(web_, viewer)
    now = web_.services.clock()
    board = await now_on_call(web_, schedules, now)
    shifts = [s for entry in board for s in (entry.now, entry.next) if s is not None]
    # Who is on call now changes at a shift's end, whoever wrote nothing.
    live_until(request, *(s.start for s in shifts), *(s.end for s in shifts))
    response = render_page(
        request,
        "web/oncall_list.html.j2",
        viewer=viewer,
        csrf=csrf,
        board=board,
        names=await names_of(web_, people_of((), shifts)),
        zone=zone,
        unknown_zone=unknown,
        status=ZONE_REFUSED if unknown else 200,
        now=now,
        live_seconds=LIVE_SECONDS,
    )
    return live_page(response)


async def schedule_page(request: web.Request) -> web.Response:
    """GET /oncall/<schedule>: the next 14 days, the overrides, and the forms."""
    web_ = web_context(request)
    viewer, csrf = viewer_and_csrf(request)
    if viewer.guest:
        return _guests_refused(request, viewer, csrf)
    schedule = await schedule_for(web_, viewer, request.match_info["schedule"])
    if schedule is None:
        return _no_schedule(request, viewer, csrf)
    zone, unknown = viewer_zone(request.query.get("tz"), schedule.timezone)
    once = await once_of(request, viewer)
    shown = _Shown(
        zone=zone,
        unknown_zone=unknown,
        added=parse_bounded_int(request.query.get("added"), 1, MAX_OVERRIDE_ID),
        cancelled=parse_bounded_int(request.query.get("cancelled"), 1, MAX_OVERRIDE_ID),
        form=once.fields("form"),
        said=once.words("said"),
        said_at=once.words("field"),
    )
    status = ZONE_REFUSED if unknown else once.status
    response = await _render_schedule(request, web_, viewer, csrf, schedule, shown, status=status)
    forget(request, response)
    return response


async def add_override_form(request: web.Request) -> web.Response:
    """POST /oncall/<schedule>/overrides: put someone on call, through ``/oncall override``'s
    flow (the same checks, the same DM to the person), in two steps: the first answers the
    page with the override in words (who covers, from when to when, how long, instead of
    whom) and a Confirm button; the second (``step=confirm``) keeps it. One longer than a day
    is kept only with its length ticked (``long=yes``); whatever is refused is answered 400
    at the field, the form as it was sent."""
    web_, viewer, csrf, form = await _posted(request)
    schedule = await schedule_for(web_, viewer, request.match_info["schedule"])
    if schedule is None:
        return _no_schedule(request, viewer, csrf)
    fields = {key: _text(form.get(key)) for key in ("user", "layer", "start", "end", "tz")}
    confirmed = _text(form.get("step")) == CONFIRM
    zone, unknown = viewer_zone(fields["tz"] or None, schedule.timezone)
    services, now = web_.services, web_.services.clock()
    try:
        if unknown is not None:
            raise OncallRefused("zone", schedule=schedule.name, field="zone", text=unknown)
        user = _who(schedule, fields["user"])
        layer = layer_named(schedule, fields["layer"] or None)
        if viewer.user_id:
            await check_put_on_call(services, schedule, by=viewer.user_id, user=user)
        elif user is not None:  # sign-in off: whoever runs warroom, whom the rule does not bind
            await require_person(services, schedule, user, "person")
        start = read_time(
            schedule, _typed_time(fields["start"]), field="start", now=now, after=now, zone=zone
        )
        end = read_time(
            schedule, _typed_time(fields["end"]), field="end", now=now, after=start, zone=zone
        )
        _check_window(schedule, user, start, end, layer, now)
        if not confirmed or (end - max(start, now) > LONG_OVERRIDE and form.get("long") != "yes"):
            pending = Override(
                id=None,
                schedule=schedule.name,
                user=user,
                start=max(start, now),  # who was on call is history: it starts now at the earliest
                end=end,
                created_by=viewer.author,
                created_at=now,
                layer=layer,
            )
            shown = _Shown(zone=zone, unknown_zone=None, form=fields, pending=pending)
            status = 400 if confirmed else 200  # confirmed without ticking its length
            return await _render_schedule(
                request, web_, viewer, csrf, schedule, shown, status=status
            )
        override, _ = await keep_override(
            services, schedule, by=viewer.author, user=user, start=start, end=end, layer=layer
        )
    except NotTheirs:  # a guest Slack names now, the session being older: no schedule
        return _no_schedule(request, viewer, csrf)
    except OncallRefused as refusal:
        return await _refused(request, web_, viewer, schedule, refusal, zone, fields)
    log.info("on call %s: override %s added by %s", schedule.name, override.id, viewer.author)
    services.wake_jobs()  # the handoffs and notices it planned again
    query = urllib.parse.urlencode({"added": override.id, "tz": zone})
    raise web.HTTPSeeOther(f"/oncall/{schedule.name}?{query}#notice")


def _check_window(
    schedule: Schedule,
    user: str | None,
    start: datetime,
    end: datetime,
    layer: str | None,
    now: datetime,
) -> None:
    """What keeping the override would refuse, refused before the preview: an end before
    its start or past, one more than a year long (the record's checks), at the field "to"."""
    try:
        check_override(schedule, user, start, end, layer=layer)
    except OverrideRefused as error:
        raise OncallRefused(
            "record", schedule=schedule.name, field="end", message=str(error)
        ) from None
    if end <= now:
        raise OncallRefused(
            "over", schedule=schedule.name, field="end", end=end, shown_zone=schedule.timezone
        )


def _typed_time(text: str) -> str:
    """A time as the form sends it: a native field's ``2026-03-13T18:00`` read as
    ``2026-03-13 18:00``; text typed otherwise (``Fri 18:00``, by a script) as it is."""
    native = _NATIVE_TIME.match(text.strip())
    return f"{native.group(1)} {native.group(2)}" if native else text


def native_value(text: str) -> str:
    """A time kept in the form, as a native date and time field shows it (``T`` between the
    date and the time); anything else as it was typed."""
    native = _NATIVE_TIME.match(text.strip())
    return f"{native.group(1)}T{native.group(2)}" if native else text


async def calendar_link_form(request: web.Request) -> web.Response:
    """POST /oncall/<schedule>/calendar: a secret link to the schedule's calendar feed for
    the signed-in person, as ``/oncall calendar <schedule>`` gives one (shown once)."""
    web_, viewer, csrf, form = await _posted(request)
    schedule = await schedule_for(web_, viewer, request.match_info["schedule"])
    if schedule is None:
        return _no_schedule(request, viewer, csrf)
    zone, _ = viewer_zone(_text(form.get("tz")) or None, schedule.timezone)
    if not viewer.user_id:  # sign-in off: nobody to give the link to
        refusal = OncallRefused("calendar_needs_person", schedule=schedule.name)
        return await _refused(request, web_, viewer, schedule, refusal, zone)
    try:
        link = await calendar_link(
            web_.services, user=viewer.user_id, schedule=schedule, rotate=False
        )
    except NotTheirs:
        return _no_schedule(request, viewer, csrf)
    log.info("on call %s: calendar link given to %s", schedule.name, viewer.user_id)
    shown = _Shown(zone=zone, unknown_zone=None, calendar=link.url)
    return await _render_schedule(request, web_, viewer, csrf, schedule, shown)


async def cancel_override_form(request: web.Request) -> web.Response:
    """POST /oncall/<schedule>/overrides/<id>/cancel: cancel an override (its row stays),
    through ``/oncall cancel``'s flow, in two steps: the first asks "Cancel it?" with the
    override in words (no JavaScript needed); the second (``step=confirm``) cancels."""
    web_, viewer, csrf, form = await _posted(request)
    schedule = await schedule_for(web_, viewer, request.match_info["schedule"])
    if schedule is None:
        return _no_schedule(request, viewer, csrf)
    zone, _ = viewer_zone(_text(form.get("tz")) or None, schedule.timezone)
    wanted = request.match_info["override"]
    number = parse_bounded_int(wanted, 1, MAX_OVERRIDE_ID)
    if number is not None and _text(form.get("step")) != CONFIRM:
        asked = await _cancellable(web_, schedule, viewer, number)
        if asked is not None:
            shown = _Shown(zone=zone, unknown_zone=None, cancelling=asked)
            return await _render_schedule(request, web_, viewer, csrf, schedule, shown)
    try:
        if number is None:
            raise OncallRefused(
                "override_id", schedule=schedule.name, field="override id", text=wanted[:20]
            )
        await cancel_kept(
            web_.services,
            by=viewer.author,
            override_id=number,
            zone=zone,
            schedule=schedule.name,
            operator=viewer.user_id is None,
        )
    except NotTheirs:
        return _no_schedule(request, viewer, csrf)
    except OncallRefused as refusal:
        return await _refused(request, web_, viewer, schedule, refusal, zone)
    log.info("on call %s: override %s cancelled by %s", schedule.name, number, viewer.author)
    web_.services.wake_jobs()
    query = urllib.parse.urlencode({"cancelled": number, "tz": zone})
    raise web.HTTPSeeOther(f"/oncall/{schedule.name}?{query}#notice")


async def _cancellable(
    web_: WebContext, schedule: Schedule, viewer: Viewer, number: int
) -> int | None:
    """The override to ask about: one of this schedule's, in force or to come, that the
    viewer may cancel; None otherwise (the flow then says why it cannot be cancelled)."""
    async with session_scope(web_.services.engine) as session:
        row = await session.get(OncallOverride, number)
        if row is None or row.schedule != schedule.name or row.cancelled_at is not None:
            return None
        swap = await session.get(OncallSwap, row.swap_id) if row.swap_id is not None else None
    if row.end_at <= web_.services.clock() or not _may_cancel(schedule, viewer, row, swap):
        return None
    return number


async def _posted(request: web.Request) -> tuple[WebContext, Viewer, str, MultiDictProxy[Any]]:
    """A form posted on a schedule's page: who sent it (its token checked: 403 otherwise),
    the token the page shown again carries, and the fields."""
    web_ = web_context(request)
    viewer = page_viewer(request)
    form = await read_form(request)
    check_csrf(request, viewer, form.get("csrf"))
    return web_, viewer, csrf_token(request, viewer), form


async def _refused(
    request: web.Request,
    web_: WebContext,
    viewer: Viewer,
    schedule: Schedule,
    refusal: OncallRefused,
    zone: str,
    typed: Mapping[str, str] | None = None,
) -> web.Response:
    """A form of the schedule's page refused: 303 to the page (in the viewer's zone), which
    says why at its field once, with what was ``typed``."""
    names = await names_of(web_, _people_of_refusal(refusal))
    said = {
        "said": str(_refusal_words(web_, refusal, names, zone)),
        "field": refusal.context.get("field"),
        "form": dict(typed or {}),
    }
    location = f"/oncall/{schedule.name}?{urllib.parse.urlencode({'tz': zone})}"
    raise await refused_back(request, viewer, location, said)


# -- the schedule's page -------------------------------------------------------------------
@dataclass(frozen=True)
class _Shown:
    """How the schedule's page is shown: its zone, and what the last request did."""

    zone: str
    unknown_zone: str | None
    added: int | None = None
    cancelled: int | None = None
    # A form's refusal, said once after its redirect (an HTML fragment warroom rendered),
    # and the field it is about.
    said: str | None = None
    said_at: str | None = None
    form: Mapping[str, str] = field(default_factory=dict)
    # The override the form asks to add, shown in words before it is kept.
    pending: Override | None = None
    # The override whose cancelling is asked about.
    cancelling: int | None = None
    # A calendar feed's link just given (shown once).
    calendar: str | None = None


async def _render_schedule(
    request: web.Request,
    web_: WebContext,
    viewer: Viewer,
    csrf: str,
    schedule: Schedule,
    shown: _Shown,
    *,
    status: int = 200,
) -> web.Response:
    now = web_.services.clock()
    async with session_scope(web_.services.engine) as session:
        overrides = await overrides_around(session, now)
        history = await override_history(
            session, schedule=schedule.name, start=now - timedelta(days=HISTORY_DAYS), end=LATEST
        )
        swaps = {
            row.swap_id: await session.get(OncallSwap, row.swap_id)
            for row in history
            if row.swap_id is not None
        }
    first_day = now.astimezone(ZoneInfo(shown.zone)).date()
    board = on_call(schedule, overrides, now)
    people, instead = _people_shown(schedule, overrides, board, history, shown, viewer)
    names = await names_of(web_, people)
    looks_after = _looks_after(schedule, viewer)
    others = await _workspace_people(web_, schedule) if looks_after else []
    names = {**names, **dict(others)}
    drawing = timeline(
        schedule,
        overrides,
        zone=shown.zone,
        first_day=first_day,
        days=TIMELINE_DAYS,
        names=names,
        now=now,
    )
    added = next((row for row in history if row.id == shown.added), None)
    return render_page(
        request,
        "web/oncall_schedule.html.j2",
        status=status,
        viewer=viewer,
        csrf=csrf,
        schedule=schedule,
        board=board,
        timeline=drawing,
        history_days=HISTORY_DAYS,
        history=sorted(history, key=lambda row: (row.created_at, row.id or 0), reverse=True),
        added=added,
        taken_over=displaced(schedule, overrides, as_override(added)) if added else [],
        cancelled=next((row for row in history if row.id == shown.cancelled), None),
        names=names,
        choices=_choices(schedule, names),
        others=[user for user, _ in others],
        now=now,
        zone=shown.zone,
        unknown_zone=shown.unknown_zone,
        # Rendered by warroom's own template before the redirect, kept sealed on the server.
        refusal=Markup(shown.said) if shown.said else None,
        refused_field=shown.said_at,
        form=shown.form,
        native_value=native_value,
        pending=shown.pending,
        instead=_instead_of(instead),
        long_override=LONG_OVERRIDE,
        cancelling=next((row for row in history if row.id == shown.cancelling), None),
        calendar=shown.calendar,
        policies=_policies_paging(web_, schedule),
        # Its user group by the handle and name Slack has for it, not the file's ref.
        groups=await groups_of(web_, [schedule.usergroup] if schedule.usergroup else []),
        default_user=viewer.user_id or "",
        looks_after=_looks_after(schedule, viewer),
        may_cancel=lambda row: _may_cancel(schedule, viewer, row, swaps.get(row.swap_id)),
    )


def _people_shown(
    schedule: Schedule,
    overrides: Sequence[Override],
    board: OnCall,
    history: Sequence[OncallOverride],
    shown: _Shown,
    viewer: Viewer,
) -> tuple[set[str], list[Shift]]:
    """Everyone the page names (whose names Slack is asked for), and the shifts an override
    asked for would take over."""
    people = people_of([schedule], [board.now, *([board.next] if board.next else [])])
    people |= {name for row in history for name in _people_of_row(row)}
    instead: list[Shift] = []
    if shown.pending is not None:
        instead = displaced(schedule, overrides, shown.pending)
        people |= {user for shift in instead for user in shift.users}
        people |= set(shown.pending.users)
    if viewer.user_id:
        people.add(viewer.user_id)
    return people, instead


def _policies_paging(web_: WebContext, schedule: Schedule) -> list[str]:
    """The escalation policies with a level that brings in whoever ``schedule`` names."""
    targets = web_.settings.escalation.policies.schedule_targets()
    wanted = schedule.name.lower()
    return list(dict.fromkeys(name for name, _, ref in targets if ref.lower() == wanted))


def _instead_of(shifts: list[Shift]) -> list[str | None]:
    """Whom an override takes the schedule from, each once, in order (None: a gap)."""
    found: list[str | None] = []
    for shift in shifts:
        for user in shift.users or (None,):
            if user not in found:
                found.append(user)
    return found


def _choices(schedule: Schedule, names: Mapping[str, str]) -> list[str]:
    """Whom the form offers to put on call: the schedule's members and owners by name (the
    viewer among them, when they are one), those without a kept name last."""
    people = members(schedule) | set(schedule.owners)
    return sorted(people, key=lambda user: (user not in names, names.get(user, user).casefold()))


# How many people of the workspace the form offers beyond the schedule's (by name).
OTHERS_OFFERED = 500


async def _workspace_people(web_: WebContext, schedule: Schedule) -> list[tuple[str, str]]:
    """Whom else the form offers to those who look after the schedule: the people of the
    workspace warroom knows by name, the schedule's own left out (they come first), and
    those Slack said lately are guests left out too; a guest chosen all the same is refused
    at the field (``require_person`` asks Slack afresh)."""
    own = members(schedule) | set(schedule.owners)
    async with session_scope(web_.services.engine) as session:
        known = await known_people(session, OTHERS_OFFERED)
    slack = web_.services.slack
    return [
        (user, name)
        for user, name in known
        if user not in own
        and USER_ID.match(user)
        and not ((kept := slack.kept_facts(user)) is not None and kept[0].guest)
    ]


def _people_of_row(row: OncallOverride) -> list[str]:
    return [user for user in (row.user_id, row.created_by, row.cancelled_by) if user]


def _people_of_refusal(refusal: OncallRefused) -> set[str]:
    override = refusal.context.get("override")
    found = [refusal.context.get("user")]
    if isinstance(override, OncallOverride):
        found += [override.user_id, override.created_by]
    return {user for user in found if isinstance(user, str) and user}


def _refusal_words(
    web_: WebContext, refusal: OncallRefused, names: Mapping[str, str], zone: str
) -> Markup:
    """Why the form was refused, as the page says it (an HTML fragment)."""
    context = {**refusal.context, "names": names, "page_zone": zone}
    return Markup(web_.services.renderer.render("web/_oncall_refused.html.j2", **context))


def _may_cancel(
    schedule: Schedule, viewer: Viewer, row: OncallOverride, swap: OncallSwap | None
) -> bool:
    """Whether the viewer may cancel ``row`` (with sign-in off, anyone on this machine)."""
    if viewer.user_id:
        return may_cancel(schedule, row, by=viewer.user_id, swap=swap)
    return viewer.sees_everything


def _looks_after(schedule: Schedule, viewer: Viewer) -> bool:
    """Whether the viewer may put anyone on call: a member, an owner, or (sign-in off) anyone."""
    if viewer.user_id:
        return viewer.user_id in schedule.owners or viewer.user_id in members(schedule)
    return viewer.sees_everything


def _who(schedule: Schedule, chosen: str) -> str | None:
    """The person the override puts on call: the one chosen from the form's list (a Slack
    user id; ``U…`` or ``@U…`` typed by hand is read too), ``nobody`` for a deliberate gap
    (None). Nothing chosen is refused: the list starts empty, so nobody is put on call by
    a default they did not see."""
    if chosen.strip().lower() == NOBODY:
        return None
    user = chosen.strip().removeprefix("@").upper()
    if not USER_ID.match(user):
        raise OncallRefused("person", schedule=schedule.name, field="person", text=chosen[:40])
    return user


def _text(value: object) -> str:
    """A form field as text (a file upload or a missing field: empty), at most 200 characters."""
    return value[:200] if isinstance(value, str) else ""


def _guests_refused(request: web.Request, viewer: Viewer, csrf: str) -> web.Response:
    return guests_refused(request, "oncall_guests", viewer=viewer, csrf=csrf)


def _no_schedule(request: web.Request, viewer: Viewer, csrf: str) -> web.Response:
    return render_page(
        request,
        "web/error.html.j2",
        status=404,
        problem="no_schedule",
        name=request.match_info["schedule"][:80],
        viewer=viewer,
        csrf=csrf,
    )
