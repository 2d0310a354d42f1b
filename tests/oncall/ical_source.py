"""A calendar tool's feed for the tests: an aiohttp server on 127.0.0.1 that answers what the
test sets (a calendar, an error status, a web page, a body too large to keep), and counts what
it was asked and what it managed to send."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web

# The first lines of an Opsgenie-style export: its zone with the rules of its clock changes.
PARIS_VTIMEZONE = """BEGIN:VTIMEZONE
TZID:Europe/Paris
X-LIC-LOCATION:Europe/Paris
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE"""

# Two people a week each by turns from Monday 2 March 2026, 09:00 in Paris, as Opsgenie and
# PagerDuty export a rotation: one weekly RRULE per person (every other week), times in the
# schedule's zone with its VTIMEZONE. Alice is named as an attendee (by e-mail), Bob only in
# the summary. The week of 30 March is taken out of Alice's turns (EXDATE), so nobody in the
# feed holds it; Bob's week of 23 March holds the change to summer time (167 hours).
OPSGENIE_STYLE = f"""BEGIN:VCALENDAR
PRODID:-//Example On-call Tool//Schedule Export//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:PUBLISH
X-WR-CALNAME:payments_schedule
X-WR-TIMEZONE:Europe/Paris
{PARIS_VTIMEZONE}
BEGIN:VEVENT
UID:payments-rotation-alice@oncall.example.com
DTSTAMP:20260301T000000Z
DTSTART;TZID=Europe/Paris:20260302T090000
DTEND;TZID=Europe/Paris:20260309T090000
RRULE:FREQ=WEEKLY;INTERVAL=2
EXDATE;TZID=Europe/Paris:20260330T090000
SUMMARY:Alice Smith
ATTENDEE;CN=Alice Smith;ROLE=REQ-PARTICIPANT:mailto:alice@example.com
END:VEVENT
BEGIN:VEVENT
UID:payments-rotation-bob@oncall.example.com
DTSTAMP:20260301T000000Z
DTSTART;TZID=Europe/Paris:20260309T090000
DTEND;TZID=Europe/Paris:20260316T090000
RRULE:FREQ=WEEKLY;INTERVAL=2
SUMMARY:On Call - Bob Okafor - Payments
END:VEVENT
BEGIN:VEVENT
UID:payments-holiday@oncall.example.com
DTSTAMP:20260301T000000Z
DTSTART;VALUE=DATE:20260406
DTEND;VALUE=DATE:20260407
SUMMARY:Easter Monday
END:VEVENT
END:VCALENDAR
""".replace("\n", "\r\n")


@dataclass
class CalendarSource:
    """What the feed answers next, and what happened so far."""

    url: str = ""
    status: int = 200
    body: bytes = OPSGENIE_STYLE.encode()
    content_type: str = "text/calendar"
    # Sent as a stream of this many bytes of padding after ``body`` (no Content-Length).
    stream_extra: int = 0
    requests: int = 0
    sent: int = 0
    aborted: list[str] = field(default_factory=list)
    # Answered with a 302 to this address (absolute, or a path on the same host) when set.
    redirect: str = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        if self.redirect and request.path == "/payments.ics":
            raise web.HTTPFound(self.redirect)
        if not self.stream_extra:
            return web.Response(status=self.status, body=self.body, content_type=self.content_type)
        response = web.StreamResponse(status=self.status)
        response.content_type = self.content_type
        await response.prepare(request)
        line = b"X-PADDING:" + b"x" * 60 + b"\r\n"
        try:
            await response.write(self.body.removesuffix(b"END:VCALENDAR\r\n"))
            while self.sent < self.stream_extra:
                await response.write(line * 1024)
                self.sent += len(line) * 1024
            await response.write(b"END:VCALENDAR\r\n")
        except (ConnectionError, RuntimeError) as error:  # the reader hung up
            self.aborted.append(type(error).__name__)
        return response


@asynccontextmanager
async def calendar_source(host: str = "127.0.0.1") -> AsyncIterator[CalendarSource]:
    """A CalendarSource listening on ``host`` (a loopback address) until the block ends;
    ``url`` is its feed, also served at /renamed.ics (a redirect's target)."""
    source = CalendarSource()
    app = web.Application()
    app.router.add_get("/payments.ics", source.handle)
    app.router.add_get("/renamed.ics", source.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, host, 0).start()
    source.url = f"http://{host}:{runner.addresses[0][1]}/payments.ics"
    try:
        yield source
    finally:
        await runner.cleanup()
