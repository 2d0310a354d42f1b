"""One person's on-call page (``/oncall/people/<user id>``): their shifts to come and their
schedules, how pages reach them (their contact methods, masked; the rules in force and
whose; their last test page), and a warning when they are next on call with no method that
rings a phone; for signed-in members of the workspace. On their own page a person adds,
verifies, tests and removes their own contact methods (``bot.web.oncall.contacts``) and adds
and removes their leave (``bot.web.oncall.leave``; everyone sees the leave to come). Guests
see no schedule, and no one's contacts either. A person the bot knows nothing of (no name
kept, in no schedule, no contact) is a 404, as a schedule that does not exist."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web

from bot.clients.phone import registry
from bot.record.oncall.calendar import REACH, whole_shifts
from bot.record.oncall.engine import Override, Shift
from bot.record.oncall.overrides import overrides_between
from bot.record.oncall.schedules import Schedule
from bot.record.paging.contacts import Person, Rule
from bot.record.paging.own import effective, has_own, reachable
from bot.store.db import session_scope
from bot.web.auth import viewer_and_csrf
from bot.web.context import web_context
from bot.web.notices import forget, notice_of
from bot.web.oncall.contacts import answer_markup, offered_kinds, own_methods
from bot.web.oncall.leave import leave_feed, leave_to_come
from bot.web.oncall.reading import names_of, people_of, schedules_for
from bot.web.pages_common import ZONE_REFUSED, guests_refused, render_page, viewer_zone

# How far ahead the page lists a person's shifts, and how many at most.
SHIFTS_AHEAD = timedelta(days=28)
MOST_SHIFTS = 12
# The methods that make a phone ring: a text, a call, an ntfy push (sent at priority 4 or 5,
# which sound: bot/flows/paging/pages.py), a Pushover push (high or emergency priority).
# Slack, email, webhooks and Teams may stay silent.
RINGING_KINDS = ("sms", "voice", "ntfy", "pushover")


@dataclass(frozen=True)
class ShiftOf:
    """One of the person's stretches on call, with the schedule it is in (shown in its zone)."""

    schedule: Schedule
    shift: Shift


async def person_page(request: web.Request) -> web.Response:
    """GET /oncall/people/<user id>: their shifts and schedules, how pages reach them."""
    web_ = web_context(request)
    viewer, csrf = viewer_and_csrf(request)
    user = request.match_info["user"]
    if viewer.guest:
        return guests_refused(request, "oncall_guests", viewer=viewer, csrf=csrf)
    zone, unknown = viewer_zone(request.query.get("tz"), web_.settings.incidents.timezone)
    now = web_.services.clock()
    schedules = await schedules_for(web_, viewer)
    theirs = [schedule for schedule in schedules if user in people_of([schedule])]
    contacts = web_.settings.paging.contacts
    async with session_scope(web_.services.engine) as session:
        paging = await reachable(session, contacts, user, registry.title)
        person, rules = await effective(session, contacts, user)
        own = await has_own(session, user)
        overrides = await overrides_between(
            session, start=now - REACH, end=now + SHIFTS_AHEAD + REACH
        )
    shifts = upcoming(schedules, overrides, user, now)
    names = await names_of(web_, {user} | {u for s in shifts for u in s.shift.users})
    known = (
        user in names
        or user == viewer.user_id
        or bool(theirs or shifts or own)
        or user in contacts.people
    )
    if not known:
        return render_page(
            request,
            "web/error.html.j2",
            status=404,
            problem="no_person",
            name=user[:40],
            viewer=viewer,
            csrf=csrf,
        )
    own_page = bool(viewer.user_id) and viewer.user_id == user
    notice = await notice_of(request, viewer) if own_page else None
    response = render_page(
        request,
        "web/oncall_person.html.j2",
        viewer=viewer,
        csrf=csrf,
        user=user,
        names=names,
        paging=paging,
        schedules=theirs,
        shifts=shifts,
        shifts_days=SHIFTS_AHEAD.days,
        silent=not rings_a_phone(person, rules),
        own_page=own_page,
        own_methods=await own_methods(web_.services.engine, user) if own_page else [],
        offered=offered_kinds(web_.settings) if own_page else [],
        answer=answer_markup(notice),
        leave=await leave_to_come(web_.services.engine, user, now),
        leave_feed=(await leave_feed(web_.services.engine, user)) if own_page else (None, None),
        leave_answer=answer_markup(notice, "leave"),
        answer_refused=bool(notice and notice.get("refused")),
        typed=(notice or {}).get("typed") or {},
        now=now,
        zone=zone,
        unknown_zone=unknown,
        status=ZONE_REFUSED if unknown else 200,
    )
    forget(request, response)
    return response


def upcoming(
    schedules: Sequence[Schedule], overrides: Sequence[Override], user: str, now: datetime
) -> list[ShiftOf]:
    """``user``'s stretches on call (the one under way first) that end after ``now`` and start
    within ``SHIFTS_AHEAD``, in every schedule, by start; ``MOST_SHIFTS`` at most."""
    found = [
        ShiftOf(schedule, shift)
        for schedule in schedules
        for shift in whole_shifts(schedule, overrides, now, now + SHIFTS_AHEAD, user=user)
        if shift.end > now
    ]
    found.sort(key=lambda each: (each.shift.start, each.schedule.name))
    return found[:MOST_SHIFTS]


def rings_a_phone(person: Person, rules: Sequence[Rule]) -> bool:
    """Whether a page would make ``person``'s phone ring: some rule notifies through a
    method of theirs that does (a method no rule names is never used)."""
    return any(
        person.contacts[name].kind in RINGING_KINDS
        for rule in rules
        for name in rule.notify
        if name in person.contacts
    )
