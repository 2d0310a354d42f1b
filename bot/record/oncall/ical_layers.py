"""An iCal layer's feed read: its events, recurrences expanded, and whom each one names.

``read_feed`` turns the bytes an external calendar sent into events between two instants
(``icalendar`` parses; ``recurrence`` expands RRULE, RDATE, EXDATE and moved instances in
each event's own zone, VTIMEZONE included), or refuses them with the reason: not iCalendar at all
(a login page, an error message), unreadable, or too many events. ``layer_shifts_of`` then
says whom each event names, by the layer's ``ical_user_map``:

* an attendee whose address (or name, CN) the map lists, as Opsgenie and PagerDuty write
  them; otherwise
* the event's summary, when it is exactly a name the map lists; otherwise
* a name the map lists that appears in the summary as whole words ("On call - Alice Smith -
  Payments"). An event naming two different people, or nobody the map knows, is left out
  and counted.

Where a feed's events overlap, the one that began later holds the layer until it ends (as
the newest override does), so a layer's turns never overlap. Pure functions: no database,
no HTTP.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from heapq import heappop, heappush
from itertools import pairwise

import icalendar

from bot.record.oncall.recurrence import Occurrence, occurrences
from bot.record.oncall.schedules import identity_key
from bot.record.oncall.zones import known_zone

# A copy keeps the events from this long before it was fetched to this long after: the
# calendar feeds look 30 days back, insights 90, and who is on call up to a year ahead.
KEEP_BEFORE = timedelta(days=100)
KEEP_AHEAD = timedelta(days=400)
# More events than this in that window is no rotation (an RRULE every minute, say).
MAX_EVENTS = 50_000
# How much of an answer that is not iCalendar is quoted back, to recognise it by.
_QUOTED = 60
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
# What a third-party parser may raise on bytes from anywhere: each means "unreadable".
_UNREADABLE = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError)


class FeedRefused(ValueError):
    """The feed's answer is not a calendar warroom can use; the message says why."""


@dataclass(frozen=True)
class FeedEvent:
    """One occurrence of an event in the feed: Unix seconds, and who it names as written;
    ``all_day`` when it is whole days (a DATE, not a DATE-TIME), which a leave calendar's
    events take whole (left out of its copies, and of what makes two events the same)."""

    start: int
    end: int
    summary: str
    attendees: tuple[str, ...]
    all_day: bool = field(default=False, compare=False)

    def as_row(self) -> list[object]:
        return [self.start, self.end, self.summary, list(self.attendees)]

    @classmethod
    def of_row(cls, row: Sequence[object]) -> FeedEvent:
        start, end, summary, attendees = row
        return cls(int(start), int(end), str(summary), tuple(map(str, attendees)))  # type: ignore[call-overload]


def read_feed(body: bytes, *, zone: str, start: datetime, end: datetime) -> list[FeedEvent]:
    """The events of the feed ``body`` that overlap ``start`` to ``end``, recurrences expanded,
    in order of start; times without a zone (floating, all-day) read in the feed's
    X-WR-TIMEZONE (Google's), else in ``zone``."""
    calendar = _calendar(body)
    declared = str(calendar.get("X-WR-TIMEZONE", ""))
    floating = declared if declared and known_zone(declared) else zone
    found: dict[FeedEvent, None] = {}
    try:
        # One unreadable event refuses the whole feed: the copy kept stays whole, never part.
        for occurrence in occurrences(calendar, zone=floating, start=start, end=end):
            found[_event(occurrence)] = None
            if len(found) > MAX_EVENTS:
                raise FeedRefused(
                    f"more than {MAX_EVENTS:,} events from {start:%Y-%m-%d} to {end:%Y-%m-%d}: "
                    "not an on-call rotation"
                )
    except _UNREADABLE as error:
        if isinstance(error, FeedRefused):
            raise
        raise FeedRefused(f"its events cannot be read ({_said(str(error))})") from None
    return sorted(found, key=lambda event: (event.start, event.end))


def _calendar(body: bytes) -> icalendar.Calendar:
    text = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text[:15].upper().startswith(b"BEGIN:VCALENDAR"):
        first = _said(text.split(b"\n", 1)[0].decode("utf-8", "replace")) or "nothing"
        raise FeedRefused(f"not an iCalendar feed: it begins with {first!r}, not BEGIN:VCALENDAR")
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except _UNREADABLE as error:
        raise FeedRefused(f"not a readable iCalendar feed ({_said(str(error))})") from None
    if not isinstance(calendar, icalendar.Calendar):
        raise FeedRefused("not an iCalendar feed (no VCALENDAR)")
    return calendar


def _said(text: str) -> str:
    """Some text from the feed, made safe to quote in a log line or a message."""
    cleaned = _CONTROL.sub(" ", text).strip()
    return cleaned if len(cleaned) <= _QUOTED else cleaned[: _QUOTED - 1] + "…"


def _event(occurrence: Occurrence) -> FeedEvent:
    """The occurrence with whom it names, as the feed writes them."""
    raw = occurrence.event.get("ATTENDEE", [])
    attendees = raw if isinstance(raw, list) else [raw]
    named: list[str] = []
    for attendee in attendees:
        named.append(str(attendee))
        common_name = getattr(attendee, "params", {}).get("CN")
        if common_name:
            named.append(str(common_name))
    summary = str(occurrence.event.get("SUMMARY", ""))
    starts = getattr(occurrence.event.get("DTSTART"), "dt", None)
    all_day = isinstance(starts, date) and not isinstance(starts, datetime)
    return FeedEvent(occurrence.start, occurrence.end, summary, tuple(named), all_day)


# -- whom the events name ---------------------------------------------------------------------
@dataclass(frozen=True)
class LayerReading:
    """What a copy of the feed says for one layer: its turns, and the events left out."""

    shifts: tuple[tuple[int, int, str], ...]  # microseconds, sorted and disjoint
    unmatched: tuple[str, ...]  # the summaries of events naming nobody the map knows
    ambiguous: tuple[str, ...]  # ... and of events naming two people


def layer_shifts_of(
    events: Iterable[FeedEvent], user_map: tuple[tuple[str, str], ...]
) -> LayerReading:
    """The layer's turns from the feed's events, by ``user_map`` (see the module's doc)."""
    named: list[tuple[int, int, str]] = []
    unmatched: dict[str, None] = {}
    ambiguous: dict[str, None] = {}
    for event in events:
        users = _users_named(event.summary, event.attendees, user_map)
        if len(users) == 1:
            named.append((event.start * 1_000_000, event.end * 1_000_000, users[0]))
        else:
            (ambiguous if users else unmatched)[_said(event.summary) or "(no summary)"] = None
    return LayerReading(_latest_on_top(named), tuple(unmatched), tuple(ambiguous))


@lru_cache(maxsize=4096)
def _users_named(
    summary: str, attendees: tuple[str, ...], user_map: tuple[tuple[str, str], ...]
) -> tuple[str, ...]:
    """The Slack users an event names (cached: a rotation repeats a few summaries)."""
    by_identity = dict(user_map)
    for candidates in (
        [identity_key(attendee) for attendee in attendees],
        [identity_key(summary)],
    ):
        users = {by_identity[key] for key in candidates if key in by_identity}
        if users:
            return tuple(sorted(users))
    words = identity_key(summary)
    return tuple(
        sorted(
            {
                user
                for identity, user in user_map
                if re.search(rf"(?<!\w){re.escape(identity)}(?!\w)", words)
            }
        )
    )


def _latest_on_top(shifts: list[tuple[int, int, str]]) -> tuple[tuple[int, int, str], ...]:
    """Overlapping turns made disjoint: at each instant, the turn that began last (then the
    one that ends last, then by user, so the answer never depends on the feed's order)."""
    ordered = sorted(shifts, key=lambda shift: (shift[0], shift[1], shift[2]))
    points = sorted({point for begin, end, _ in ordered for point in (begin, end)})
    holding: list[tuple[int, int, int, str]] = []  # (-rank, -begin, end, user)
    result: list[tuple[int, int, str]] = []
    index = 0
    for begin, end in pairwise(points):
        while index < len(ordered) and ordered[index][0] <= begin:
            start_, finish, user = ordered[index]
            heappush(holding, (-index, -start_, finish, user))
            index += 1
        while holding and holding[0][2] <= begin:
            heappop(holding)
        if not holding:
            continue
        user = holding[0][3]
        if result and result[-1][2] == user and result[-1][1] == begin:
            result[-1] = (result[-1][0], end, user)
        else:
            result.append((begin, end, user))
    return tuple(result)
