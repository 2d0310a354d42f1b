"""Leave and holiday calendars: a person's iCal feed of their time off (``/oncall leave feed``)
and a schedule's holiday calendar (``holidays: ical_url``), served by a calendar tool on
127.0.0.1, fetched at once and then on the iCal layers' timer, their last good copy kept
through a failure, and read by rotations as leave and holidays.

The clock stands on Wednesday 11 March 2026, 10:00 UTC; payments-primary is Alice, Bob and
Carol a week each from Monday 2 March, 09:00 in Paris (Bob's week now); everyone reads UTC.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from bot.record.oncall.schedules import Schedules, parse_schedules
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom, WarroomFactory
from tests.helpers.incidents import settle
from tests.oncall.ical_source import CalendarSource, calendar_source
from tests.oncall.test_ical_layers import cli
from tests.oncall.test_leave import oncall, stored_leave

T0 = datetime(2026, 3, 11, 10, tzinfo=UTC)
PAYMENTS = "payments-primary"
LOCAL = frozenset({"127.0.0.1"})


def calendar(*events: str) -> bytes:
    """A calendar of ``events`` (each its DTSTART and DTEND lines), as an HR tool exports
    time off: all-day events, or hours of a day."""
    body = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Example HR//Time off//EN",
    ]
    for number, dates in enumerate(events):
        body += [
            "BEGIN:VEVENT",
            f"UID:time-off-{number}@hr.example.com",
            "DTSTAMP:20260301T000000Z",
            *dates.split("|"),
            "SUMMARY:Out of office",
            "END:VEVENT",
        ]
    return ("\r\n".join([*body, "END:VCALENDAR"]) + "\r\n").encode()


# The 11th and 12th (an all-day event ends the day after its last), and two hours of the 20th.
TIME_OFF_FIRST = "DTSTART;VALUE=DATE:20260311|DTEND;VALUE=DATE:20260313"
TIME_OFF = calendar(TIME_OFF_FIRST, "DTSTART:20260320T140000Z|DTEND:20260320T160000Z")


def schedules(holidays: dict[str, Any] | None = None) -> Schedules:
    return parse_schedules({"schedules": {PAYMENTS: schedule_body(holidays)}}, now=T0)


def schedule_body(holidays: dict[str, Any] | None = None) -> dict[str, Any]:
    """payments-primary as the schedule file says it (with ``holidays``, if given)."""
    body: dict[str, Any] = {
        "timezone": "Europe/Paris",
        "layers": [
            {
                "name": "weekly",
                "start": "2026-03-02 09:00",
                "rotation": "weekly",
                "members": [ALICE, BOB, CAROL],
            }
        ],
    }
    if holidays:
        body["holidays"] = holidays
    return body


@pytest.fixture
async def source() -> AsyncIterator[CalendarSource]:
    async with calendar_source() as running:
        yield running


async def started(
    warroom_with: WarroomFactory, database_url: str, holidays: dict[str, Any] | None = None
) -> Warroom:
    warroom = await warroom_with(
        database_url=database_url,
        clock=Clock(T0),
        oncall__schedules=schedules(holidays),
        oncall__ical_allowed_hosts=LOCAL,
    )
    await warroom.run_jobs()  # the refreshes every start asks for
    return warroom


async def test_a_leave_calendar_gives_leave_and_keeps_it_through_a_failure(
    warroom_with: WarroomFactory, source: CalendarSource, database_url: str
) -> None:
    source.body = TIME_OFF
    warroom = await started(warroom_with, database_url)
    said = await oncall(warroom, f"leave feed {source.url}", user=BOB)
    host = source.url.split("/payments.ics")[0]
    assert f"Your leave calendar ({host}/…) is fetched now" in said
    assert source.url not in said  # its address may hold a secret: the host only
    assert source.requests == 1

    listed = await oncall(warroom, "leave", user=BOB)
    assert "2026-03-11 to 2026-03-12 (UTC), from your leave calendar" in listed
    assert "2026-03-20 14:00–16:00 (UTC), from your leave calendar" in listed
    assert f"Your leave calendar: {host}/…, 2 events at its last refresh" in listed
    said = await oncall(warroom, PAYMENTS)
    assert f":palm_tree: <@{BOB}> is on leave; <@{CAROL}> takes the turn." in said
    # Leave from the calendar is removed there, not here.
    first = (await stored_leave(warroom))[0]
    said = await oncall(warroom, f"leave remove {first.id}", user=BOB)
    assert "comes from your leave calendar: remove it there" in said

    # The calendar tool fails: the leave it gave stays, and the list says why.
    source.status = 503
    await warroom.advance(minutes=16)
    assert source.requests == 2
    listed = await oncall(warroom, "leave", user=BOB)
    assert "its last refresh failed" in listed and "answered HTTP 503" in listed
    assert len(await stored_leave(warroom)) == 2

    # Back, with the 20th taken out: the next refresh replaces what it gave.
    source.status, source.body = 200, calendar(TIME_OFF_FIRST)
    await warroom.advance(minutes=16)
    rows = await stored_leave(warroom)
    assert [(row.first_day, row.last_day, row.source) for row in rows] == [
        ("2026-03-11", "2026-03-12", "feed")
    ]

    said = await oncall(warroom, "leave feed off", user=BOB)
    assert "Your leave calendar is removed, and the leave it gave with it." in said
    assert await stored_leave(warroom) == []
    await warroom.advance(minutes=16)
    assert source.requests == 3  # no more rounds once it is removed
    said = await oncall(warroom, PAYMENTS)
    assert f"*{PAYMENTS}*: <@{BOB}>" in said


async def test_an_event_of_hours_is_leave_for_those_hours_alone(
    warroom_with: WarroomFactory, source: CalendarSource, database_url: str
) -> None:
    # Bob is out from 10:00 to 14:30 on the 11th, written in Paris time (09:00 to 13:30 UTC),
    # as a calendar tool writes an appointment: his week's turn passes only for those hours.
    paris = "DTSTART;TZID=Europe/Paris:20260311T100000|DTEND;TZID=Europe/Paris:20260311T143000"
    source.body = calendar(paris)
    warroom = await started(warroom_with, database_url)
    await oncall(warroom, f"leave feed {source.url}", user=BOB)
    (row,) = await stored_leave(warroom)
    assert (row.first_day, row.last_day, row.source) == ("2026-03-11", "2026-03-11", "feed")
    assert (row.start_at.astimezone(UTC), row.end_at.astimezone(UTC)) == (
        datetime(2026, 3, 11, 9, tzinfo=UTC),
        datetime(2026, 3, 11, 13, 30, tzinfo=UTC),
    )
    listed = await oncall(warroom, "leave", user=BOB)
    assert f"#{row.id} 2026-03-11 09:00–13:30 (UTC), from your leave calendar" in listed
    said = await oncall(warroom, PAYMENTS)  # 10:00 UTC: during it
    assert f":palm_tree: <@{BOB}> is on leave; <@{CAROL}> takes the turn." in said
    # His App Home says the hours too.
    published = len(warroom.slack.calls_to("views.publish"))
    await warroom.slack.open_app_home(BOB)
    await settle(warroom)
    await warroom.slack.wait_for(lambda: len(warroom.slack.calls_to("views.publish")) > published)
    home = "\n".join(warroom.slack.home_lines(BOB))
    assert f"• #{row.id} 2026-03-11 09:00–13:30 (UTC), from your leave calendar" in home

    await warroom.advance(hours=3, minutes=30)  # 13:30 UTC: back, his turn again
    said = await oncall(warroom, PAYMENTS)
    assert f"*{PAYMENTS}*: <@{BOB}>" in said and "on leave" not in said
    # Not the whole day: the 12th has no leave, and the evening of the 11th neither.
    assert len(await stored_leave(warroom)) == 1


async def test_a_holiday_calendar_skips_its_people_on_its_days(
    warroom_with: WarroomFactory, source: CalendarSource, database_url: str
) -> None:
    source.body = calendar("DTSTART;VALUE=DATE:20260311|DTEND;VALUE=DATE:20260312")
    holidays = {"ical_url": source.url, "people": [BOB], "dates": ["2026-03-13"]}
    warroom = await started(warroom_with, database_url, holidays)
    assert source.requests == 1
    said = await oncall(warroom, PAYMENTS)
    # The 11th in Paris, from the calendar (and the 13th, from the file): Carol has it.
    assert f"*{PAYMENTS}*: <@{CAROL}> until Wed 11 Mar 23:00 UTC, then <@{BOB}>" in said
    assert f":palm_tree: <@{BOB}> is off for a holiday; <@{CAROL}> takes the turn." in said


async def test_a_holiday_calendar_that_cannot_be_read_skips_nobody_but_its_dates(
    warroom_with: WarroomFactory, source: CalendarSource, database_url: str
) -> None:
    source.status = 500
    holidays = {"ical_url": source.url, "dates": ["2026-03-12"]}
    warroom = await started(warroom_with, database_url, holidays)
    said = await oncall(warroom, PAYMENTS)
    assert f"*{PAYMENTS}*: <@{BOB}> until Wed 11 Mar 23:00 UTC, then nobody (a gap)" in said


async def test_warroom_oncall_feeds_lists_holiday_and_leave_calendars_and_fails_with_them(
    warroom_with: WarroomFactory, source: CalendarSource, database_url: str, tmp_path: Path
) -> None:
    """``warroom oncall feeds`` is the one place an operator reads every calendar warroom
    fetches: the holiday calendar and Bob's leave calendar (its host only) beside the layers';
    one failing exits 1, saying why."""
    source.body = TIME_OFF
    holidays = {"ical_url": source.url, "people": [BOB]}
    warroom = await started(warroom_with, database_url, holidays)
    await oncall(warroom, f"leave feed {source.url}", user=BOB)
    path = tmp_path / "schedules.yaml"
    path.write_text(json.dumps({"schedules": {PAYMENTS: schedule_body(holidays)}}))
    done = await asyncio.to_thread(cli, path, database_url, "feeds")
    assert done.returncode == 0, done.stderr
    host = urlsplit(source.url).hostname
    assert done.stdout.splitlines() == [
        f"schedule '{PAYMENTS}': holiday calendar: feed last refreshed at 2026-03-11 10:00 UTC "
        "(2 events)",
        f"leave calendar of {BOB} (at {host}): feed last refreshed at 2026-03-11 10:00 UTC "
        "(2 events)",
    ]
    assert source.url not in done.stdout
    source.status = 503
    await warroom.advance(minutes=16)
    done = await asyncio.to_thread(cli, path, database_url, "feeds")
    assert done.returncode == 1
    failing = [line for line in done.stdout.splitlines() if "failing since" in line]
    assert len(failing) == 2 and all("answered HTTP 503" in line for line in failing), done.stdout
