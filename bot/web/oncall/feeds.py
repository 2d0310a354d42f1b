"""The on-call calendar feeds, for Google Calendar, Outlook and Apple Calendar to subscribe to:
``GET /oncall/<schedule>.ics?token=…`` and ``GET /oncall/people/<user id>.ics?token=…``.

iCalendar (RFC 5545), written with the ``icalendar`` library: one VEVENT per shift, times in
UTC, a UID that stays the same at every request, and RFC 7986's REFRESH-INTERVAL (with the
X-PUBLISHED-TTL Outlook reads) asking for an hourly look. Shifts are TRANSPARENT: being on
call does not make a person busy to meeting planners.

The token in the address is the only key (calendar apps send no cookie and no header). A
missing or wrong token is answered 404, the same answer as a schedule or person that does
not exist: nothing says whether a feed is there. Not 401: a 401 without a
``WWW-Authenticate`` challenge is malformed (RFC 9110, 15.5.2), and with a Basic challenge
Outlook and Apple Calendar ask the person for a password that does not exist; on 404 calendar
apps simply stop showing the feed. The token is never logged (the access log has paths only)
and the answer asks browsers not to send the address on (``Referrer-Policy``). A schedule's
feed answers 404 to a link a guest of the workspace holds (Slack is asked each time), and 503
with ``Retry-After`` when Slack will not say.
"""

from __future__ import annotations

from datetime import timedelta

import icalendar
from aiohttp import web
from icalendar import vDuration

from bot.flows.oncall.calendars import Feed, HolderUnknown, open_feed
from bot.record.oncall.calendar import FeedKind
from bot.services import Services
from bot.web.context import web_context

CALENDAR_TYPE = "text/calendar"
# How often calendar apps are asked to look again.
REFRESH = timedelta(hours=1)
# Seconds a calendar app is asked to wait when Slack cannot say who holds a link.
RETRY_AFTER = 300
_HEADERS = {
    # A feed names people and their hours: not for shared caches.
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


async def schedule_calendar(request: web.Request) -> web.Response:
    """GET /oncall/<schedule>.ics?token=…: every shift of the schedule, gaps included."""
    return await _calendar(request, "schedule", request.match_info["schedule"])


async def person_calendar(request: web.Request) -> web.Response:
    """GET /oncall/people/<user id>.ics?token=…: the person's shifts in every schedule."""
    return await _calendar(request, "person", request.match_info["user"])


async def _calendar(request: web.Request, kind: FeedKind, subject: str) -> web.Response:
    services = web_context(request).services
    token = request.query.get("token", "")
    try:
        feed = await open_feed(services, kind=kind, subject=subject, token=token)
    except HolderUnknown:
        # Not a 404: calendar apps drop a feed that answers 404, and Slack will answer again.
        headers = {**_HEADERS, "Retry-After": str(RETRY_AFTER)}
        return web.Response(status=503, text="Try again later\n", headers=headers)
    if feed is None:
        return web.Response(status=404, text="Not found\n", headers=_HEADERS)
    return web.Response(
        body=calendar_of(services, feed),
        content_type=CALENDAR_TYPE,
        charset="utf-8",
        headers=_HEADERS,
    )


def calendar_of(services: Services, feed: Feed) -> bytes:
    """The feed as an iCalendar document."""
    render = services.renderer.render_plain
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//warroom//on-call calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    name = render("calendar/name.j2", kind=feed.kind, subject=feed.subject, names=feed.names)
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH).to_ical().decode())
    for entry in feed.entries:
        shift = entry.shift
        context = {
            "kind": feed.kind,
            "schedule": entry.schedule,
            "users": shift.users,
            "names": feed.names,
            "start": shift.start,
            "end": shift.end,
        }
        event = icalendar.Event()
        event.add("uid", entry.uid)
        event.add("dtstamp", feed.now)
        event.add("dtstart", shift.start)
        event.add("dtend", shift.end)
        event.add("summary", render("calendar/summary.j2", **context))
        event.add("description", render("calendar/description.j2", **context))
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    written: bytes = calendar.to_ical()
    return written
