"""iCal layers: a layer whose turns come from an external calendar feed (a team leaving
Opsgenie or PagerDuty points warroom at the export), fetched from a server on 127.0.0.1 on a
timer, its last good copy kept in the database through failures, garbage, oversized answers
and restarts, and read by the engine like any other layer."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlmodel import select
from yarl import URL

from bot.basics.addresses import allowed_hosts
from bot.clients.ical_feeds import FeedUnreachable, fetch_feed
from bot.record.oncall.engine import Override, final_shifts, layer_shifts, on_call_at
from bot.record.oncall.feed_addresses import url_refusal
from bot.record.oncall.ical_layers import FeedEvent, FeedRefused, layer_shifts_of, read_feed
from bot.record.oncall.schedules import IcalSource, ScheduleError, load_schedules, parse_schedules
from bot.store.db import session_scope
from bot.store.models import OncallIcalCopy
from emulator import SlackEmulator
from tests.conftest import Clock, Warroom, running_warroom
from tests.helpers.web_view import API_TOKEN, web_warroom
from tests.oncall.ical_source import OPSGENIE_STYLE, CalendarSource, calendar_source
from tests.oncall.test_cli import warroom_cli as run_cli

NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)
ALICE, BOB, CAROL = "U0ALICE", "U0BOB", "U0CAROL"


def schedule_file(tmp_path: Path, url: str, extra: str = "") -> Path:
    """Carol holds the schedule every week; the feed's turns (Alice and Bob) win over her."""
    path = tmp_path / "schedules.yaml"
    path.write_text(
        f"""
schedules:
  payments:
    timezone: Europe/Paris
    layers:
      - {{name: fallback, start: 2026-03-02 09:00, rotation: weekly, members: [{CAROL}]}}
      - name: opsgenie
        ical_url: {url}
        ical_user_map: {{alice@example.com: {ALICE}, Bob Okafor: {BOB}}}
{extra}"""
    )
    return path


@pytest.fixture
async def source() -> AsyncIterator[CalendarSource]:
    async with calendar_source() as running:
        yield running


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


# The feeds are served on 127.0.0.1, over http: the operator allows that host by name.
LOCAL = frozenset({"127.0.0.1"})


def cli(path: Path, database: str, *args: str, allowed: str = "127.0.0.1") -> Any:
    """``warroom oncall ARGS`` as an operator runs it; the finished process. While a warroom
    runs in this event loop, call it in a thread (``asyncio.to_thread``): a process waiting
    on SQLite's lock would otherwise wait on the loop it blocks, holding that lock."""
    env = {
        "WARROOM_ONCALL_SCHEDULES": str(path),
        "DATABASE_URL": database,
        "WARROOM_ICAL_ALLOWED_HOSTS": allowed,
    }
    return run_cli("oncall", *args, env=env)


def who(path: Path, database: str, at: str) -> dict[str, Any]:
    done = cli(path, database, "who", "payments", "--at", at, "--json")
    assert done.returncode == 0, done.stderr
    [answer] = json.loads(done.stdout)
    return dict(answer)


async def started(
    slack: SlackEmulator,
    database: str,
    path: Path,
    clock: Clock,
    allowed: frozenset[str] = LOCAL,
) -> AsyncIterator[Warroom]:
    schedules = load_schedules(path, now=datetime.now(UTC))
    async with running_warroom(
        slack, database, clock, oncall__schedules=schedules, oncall__ical_allowed_hosts=allowed
    ) as warroom:
        await warroom.run_jobs()  # the refresh every start asks for
        yield warroom


# What the export says, read in Paris and stacked over Carol's weeks.
ALICE_FIRST_WEEK = {"user": ALICE, "start": "2026-03-02T08:00:00Z", "end": "2026-03-09T08:00:00Z"}
# Bob's week of 23 March holds the change to summer time: 167 hours, 09:00 to 09:00 in Paris.
BOB_SPRING_WEEK = {"user": BOB, "start": "2026-03-23T08:00:00Z", "end": "2026-03-30T07:00:00Z"}
# Alice's week of 30 March is taken out (EXDATE): the layer below, Carol, holds it.
CAROL_EXDATE_WEEK = {"user": CAROL, "start": "2026-03-30T07:00:00Z", "end": "2026-04-06T07:00:00Z"}


async def test_an_exported_rotation_becomes_the_layers_turns(
    slack: SlackEmulator, sqlite_url: str, tmp_path: Path, source: CalendarSource, clock: Clock
) -> None:
    path = schedule_file(tmp_path, source.url)
    async for _ in started(slack, sqlite_url, path, clock):
        assert source.requests == 1
    assert who(path, sqlite_url, "2026-03-04 12:00 UTC") == {
        "schedule": "payments",
        **ALICE_FIRST_WEEK,
    }
    assert who(path, sqlite_url, "2026-03-29 12:00 UTC") == {
        "schedule": "payments",
        **BOB_SPRING_WEEK,
    }
    assert who(path, sqlite_url, "2026-04-01 12:00 UTC") == {
        "schedule": "payments",
        **CAROL_EXDATE_WEEK,
    }
    feeds = cli(path, sqlite_url, "feeds")
    assert feeds.returncode == 0, feeds.stderr
    assert feeds.stdout == (
        "schedule 'payments': layer 'opsgenie': feed last refreshed at 2026-03-20 12:00 UTC "
        # A turn a week from 2 March to 400 days ahead but one (EXDATE), and the holiday.
        "(60 events); events naming nobody in ical_user_map are left out ('Easter Monday')\n"
    )


async def test_a_failing_source_keeps_the_last_good_copy_and_says_why(
    slack: SlackEmulator, sqlite_url: str, tmp_path: Path, source: CalendarSource, clock: Clock
) -> None:
    path = schedule_file(tmp_path, source.url)
    async for warroom in started(slack, sqlite_url, path, clock):
        good = await _copy(warroom)
        failures = [
            (500, b"Internal Server Error", "answered HTTP 500 Internal Server Error"),
            (
                200,
                b"<!DOCTYPE html>\n<html><body>Sign in</body></html>",
                "begins with '<!DOCTYPE html>'",
            ),
            (200, b"BEGIN:VCALENDAR\r\nthis is not a content line\r\n", "not a readable iCalendar"),
        ]
        for minutes, (status, body, reason) in enumerate(failures, start=1):
            source.status, source.body = status, body
            await warroom.advance(minutes=15)
            assert source.requests == 1 + minutes
            row = await _copy(warroom)
            # The copy is as it was; the row says since when it fails, and why.
            assert (row.events, row.fetched_at) == (good.events, NOW)
            assert row.failing_since == NOW + timedelta(minutes=15) and reason in (row.error or "")
            done = await asyncio.to_thread(cli, path, sqlite_url, "feeds")
            assert done.returncode == 1
            assert done.stdout.startswith(
                "schedule 'payments': layer 'opsgenie': feed last refreshed at 2026-03-20 12:00 "
                "UTC (60 events), failing since 2026-03-20 12:15 UTC: "
            ), done.stdout
            assert reason in done.stdout
            # Who is on call is read from the copy, with a word on stderr.
            answer = await asyncio.to_thread(
                cli, path, sqlite_url, "who", "payments", "--at", "2026-03-29 12:00 UTC", "--json"
            )
            assert json.loads(answer.stdout)[0]["user"] == BOB
            assert "failing since 2026-03-20 12:15 UTC" in answer.stderr
        # The source comes back: the copy is new and nothing fails any more.
        source.status, source.body = 200, OPSGENIE_STYLE.replace("Alice Smith", "Alice S.").encode()
        await warroom.advance(minutes=15)
        row = await _copy(warroom)
        assert row.failing_since is None and row.error is None and row.events != good.events
        assert row.fetched_at == NOW + timedelta(minutes=60)
    assert cli(path, sqlite_url, "feeds").returncode == 0


async def test_a_feed_over_10_mb_is_refused_as_it_streams(
    slack: SlackEmulator, sqlite_url: str, tmp_path: Path, source: CalendarSource, clock: Clock
) -> None:
    path = schedule_file(tmp_path, source.url)
    async for warroom in started(slack, sqlite_url, path, clock):
        good = await _copy(warroom)
        source.stream_extra = 60 * 1024 * 1024  # a calendar that goes on and on
        await warroom.advance(minutes=15)
        row = await _copy(warroom)
        assert row.events == good.events and "a feed of more than 10 MB is refused" in (
            row.error or ""
        )
    # warroom hung up after 10 MB: the source could not send all it meant to.
    assert source.sent < 40 * 1024 * 1024


async def test_the_copy_serves_every_replica_and_outlives_a_restart(
    slack: SlackEmulator, database_url: str, tmp_path: Path, source: CalendarSource, clock: Clock
) -> None:
    path = schedule_file(tmp_path, source.url)
    async for _ in started(slack, database_url, path, clock):
        pass
    source.status = 503
    async for warroom in started(slack, database_url, path, clock):  # the next start
        assert source.requests == 2  # it asked at once, and was refused
        row = await _copy(warroom)
        assert (
            row.fetched_at == NOW and row.failing_since == NOW and "HTTP 503" in (row.error or "")
        )
    assert who(path, database_url, "2026-03-29 12:00 UTC")["user"] == BOB


async def test_a_copy_of_another_address_is_not_used(
    slack: SlackEmulator, sqlite_url: str, tmp_path: Path, source: CalendarSource, clock: Clock
) -> None:
    """The file names a new feed: until it is fetched the layer names nobody, never the
    people of the old feed."""
    path = schedule_file(tmp_path, source.url)
    async for _ in started(slack, sqlite_url, path, clock):
        pass
    moved = schedule_file(tmp_path, source.url.replace("/payments.ics", "/moved.ics"))
    async for _ in started(slack, sqlite_url, moved, clock):
        pass  # the new address answers 404
    assert who(moved, sqlite_url, "2026-03-29 12:00 UTC")["user"] == CAROL
    done = cli(moved, sqlite_url, "feeds")
    assert done.returncode == 1
    assert "no good copy of the feed yet, failing since 2026-03-20 12:00 UTC" in done.stdout
    assert "answered HTTP 404" in done.stdout and "/moved.ics" not in done.stdout


# -- where feeds are fetched from ----------------------------------------------------------
async def test_a_redirect_to_another_host_is_not_followed_and_the_layer_says_why(
    slack: SlackEmulator, sqlite_url: str, tmp_path: Path, source: CalendarSource, clock: Clock
) -> None:
    """The feed answers 302 to another loopback address (standing in for 169.254.169.254,
    a cloud's metadata service): warroom does not go there, even with both hosts allowed,
    and that answer decides nothing; the layer says why."""
    async with calendar_source("127.0.0.2") as elsewhere:
        elsewhere.body = OPSGENIE_STYLE.replace("Bob Okafor", "Alice Smith").encode()
        source.redirect = elsewhere.url
        path = schedule_file(tmp_path, source.url)
        both = frozenset({"127.0.0.1", "127.0.0.2"})
        async for warroom in started(slack, sqlite_url, path, clock, allowed=both):
            row = await _copy(warroom)
            assert source.requests == 1 and elsewhere.requests == 0
            assert row.fetched_at is None and row.failing_since == NOW
            assert f"redirected to another host (http://127.0.0.2:{URL(elsewhere.url).port}/…)" in (
                row.error or ""
            ), row.error
    feeds = cli(path, sqlite_url, "feeds", allowed="127.0.0.1,127.0.0.2")
    assert feeds.returncode == 1 and "redirected to another host" in feeds.stdout
    assert "/payments.ics" not in feeds.stdout  # the host only, never the address's secret
    # Bob's week is Carol's: the layer names nobody until its own feed answers.
    assert who(path, sqlite_url, "2026-03-29 12:00 UTC")["user"] == CAROL


async def test_a_redirect_on_the_same_host_is_followed(
    slack: SlackEmulator, sqlite_url: str, tmp_path: Path, source: CalendarSource, clock: Clock
) -> None:
    source.redirect = "/renamed.ics"
    path = schedule_file(tmp_path, source.url)
    async for warroom in started(slack, sqlite_url, path, clock):
        row = await _copy(warroom)
        assert source.requests == 2 and row.fetched_at == NOW and row.error is None
    assert who(path, sqlite_url, "2026-03-29 12:00 UTC")["user"] == BOB


def _this_machine() -> str:
    """A name of this machine (not ``localhost``, which the file's check refuses by name),
    resolving to loopback or private addresses only."""
    name = socket.gethostname()
    try:
        found = {info[4][0] for info in socket.getaddrinfo(name, 443)}
    except OSError:
        pytest.skip(f"this machine's name {name!r} does not resolve")
    if any(ipaddress.ip_address(address).is_global for address in found):
        pytest.skip(f"this machine's name {name!r} resolves to a public address")
    return name


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        (
            "{url}",
            "http:// is refused: feeds are fetched over https:// unless "
            "WARROOM_ICAL_ALLOWED_HOSTS names the host (127.0.0.1)",
        ),
        (
            "https://127.0.0.1:{port}/payments.ics",
            "127.0.0.1 is a loopback address: warroom fetches no feed from loopback, "
            "link-local, private or reserved addresses unless WARROOM_ICAL_ALLOWED_HOSTS "
            "names the host",
        ),
        ("https://{machine}:{port}/payments.ics", "resolves to "),
    ],
)
async def test_a_feed_on_this_machine_is_refused_unless_its_host_is_allowed(
    slack: SlackEmulator,
    sqlite_url: str,
    tmp_path: Path,
    source: CalendarSource,
    clock: Clock,
    address: str,
    reason: str,
) -> None:
    """Without WARROOM_ICAL_ALLOWED_HOSTS naming it, a loopback feed is not fetched, whether
    the address says so or only the name's resolution does (checked as warroom connects)."""
    machine = _this_machine() if "{machine}" in address else ""
    url = address.format(url=source.url, port=URL(source.url).port, machine=machine)
    path = schedule_file(tmp_path, url)
    async for warroom in started(slack, sqlite_url, path, clock, allowed=frozenset()):
        row = await _copy(warroom)
        assert source.requests == 0, "nothing was asked of the feed"
        assert row.failing_since == NOW and reason in (row.error or ""), row.error
        if machine:
            assert "is a loopback address" in (row.error or "") or "private" in (row.error or "")


def test_the_schedule_files_check_says_which_feed_addresses_are_refused(tmp_path: Path) -> None:
    """`warroom oncall check` (and the start-up's check) names each refused address and
    why; naming the host in WARROOM_ICAL_ALLOWED_HOSTS lets it through."""
    path = schedule_file(tmp_path, "http://127.0.0.1:8080/payments.ics")
    refused = run_cli("oncall", "check", str(path), env={})
    assert refused.returncode == 1, refused.stdout
    assert (
        "schedule 'payments': layer 'opsgenie': ical_url: http:// is refused: feeds are "
        "fetched over https:// unless WARROOM_ICAL_ALLOWED_HOSTS names the host (127.0.0.1)"
    ) in refused.stderr
    allowed = run_cli("oncall", "check", str(path), env={"WARROOM_ICAL_ALLOWED_HOSTS": "127.0.0.1"})
    assert allowed.returncode == 0, allowed.stderr
    serve = run_cli("serve", env={"WARROOM_ONCALL_SCHEDULES": str(path)})
    assert serve.returncode == 2 and "Traceback" not in serve.stderr
    assert "WARROOM_ONCALL_SCHEDULES: schedule 'payments': layer 'opsgenie': ical_url: " in (
        serve.stderr
    )


@pytest.mark.parametrize("host", ["127.1", "2130706434", "0177.0.0.2", "0x7f000002"])
async def test_numeric_spellings_of_loopback_are_refused_before_any_connection(
    tmp_path: Path, host: str
) -> None:
    """inet_aton's spellings of 127.0.0.1 and 127.0.0.2 (where a feed server listens): the
    schedule file's check refuses them, and so does the fetch, before connecting, even with
    127.0.0.2 allowed by its dotted name; whatever the HTTP library would make of them."""
    async with calendar_source("127.0.0.2") as feed:
        url = f"https://{host}:{URL(feed.url).port}/payments.ics"
        path = schedule_file(tmp_path, url)
        refused = run_cli("oncall", "check", str(path), env={})
        with pytest.raises(FeedUnreachable) as fetched:
            await fetch_feed(url, allowed=frozenset({"127.0.0.2"}), limit=10**6, timeout=5)
        assert feed.requests == 0
    assert refused.returncode == 1, refused.stdout
    assert f"ical_url: {host} resolves to 127.0.0." in refused.stderr
    assert "which is a loopback address" in refused.stderr
    assert "is a loopback address" in str(fetched.value)


@pytest.mark.parametrize(
    ("url", "allowed", "refusal"),
    [
        ("https://oncall.example.com/p.ics", "", None),
        ("http://oncall.example.com/p.ics", "", "http:// is refused"),
        ("http://calendar.internal/p.ics", "Calendar.Internal", None),
        ("http://calendar.internal/p.ics", "internal", "http:// is refused"),
        ("https://169.254.169.254/latest/meta-data", "", "is a link-local address"),
        ("https://10.1.2.3/p.ics", "", "is a private address"),
        ("https://[::1]:8443/p.ics", "", "is a loopback address"),
        ("https://[::ffff:127.0.0.1]/p.ics", "", "is a loopback address"),
        ("https://100.64.0.1/p.ics", "", "is a non-public address"),
        ("https://224.0.0.1/p.ics", "", "is a multicast address"),
        ("https://0.0.0.0/p.ics", "", "is a unspecified address"),
        ("https://localhost/p.ics", "", "localhost is this machine"),
        ("https://0x7f.1/p.ics", "", "resolves to 127.0.0.1, which is a loopback address"),
        ("https://10.258/p.ics", "", "resolves to 10.0.1.2, which is a private address"),
        ("https://3232235777/p.ics", "", "resolves to 192.168.1.1, which is a private address"),
        ("https://0251.0376.0251.0376/p.ics", "", "169.254.169.254, which is a link-local"),
        ("https://0x/p.ics", "", "resolves to 0.0.0.0, which is a unspecified address"),
        ("https://1e100.net/p.ics", "", None),
        ("https://08.8.8.8/p.ics", "", None),
        ("https://10.1.2.3/p.ics", "10.1.2.3", None),
        ("https://[::1]/p.ics", "[::1]", None),
    ],
)
def test_which_addresses_a_feed_may_be_fetched_from(
    url: str, allowed: str, refusal: str | None
) -> None:
    said = url_refusal(url, allowed_hosts(allowed))
    assert (said is None) if refusal is None else (said is not None and refusal in said), said


async def _copy(warroom: Warroom) -> OncallIcalCopy:
    async with session_scope(warroom.engine) as session:
        return (await session.exec(select(OncallIcalCopy))).one()


# -- the feed read ------------------------------------------------------------------------------
WINDOW = {"start": datetime(2026, 3, 1, tzinfo=UTC), "end": datetime(2026, 5, 1, tzinfo=UTC)}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "it begins with 'nothing'"),
        (b"<html><body>502 Bad Gateway</body></html>", "it begins with '<html><body>502"),
        (b"\xff\xfe\x00\x01", "not an iCalendar feed"),
        (b"BEGIN:VCALENDAR\r\nno colon here\r\nEND:VCALENDAR\r\n", "not a readable iCalendar"),
        (
            b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:soon\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "its events cannot be read",
        ),
        (
            b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20260301T000000Z\r\nDURATION:PT1M\r\n"
            b"RRULE:FREQ=MINUTELY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "more than 50,000 events",
        ),
    ],
)
def test_garbage_is_refused_with_the_reason(body: bytes, reason: str) -> None:
    with pytest.raises(FeedRefused) as refused:
        read_feed(body, zone="Europe/Paris", **WINDOW)
    assert reason in str(refused.value)


@pytest.mark.parametrize("tzid", ["Europe/Paris", "W. Europe Standard Time", "Custom Paris"])
def test_the_feeds_own_vtimezone_is_read_whatever_its_name(tzid: str) -> None:
    """Outlook names zones its own way, others make names up: the VTIMEZONE's rules count
    (here Paris's, with its change to summer time on 29 March)."""
    body = OPSGENIE_STYLE.replace("Europe/Paris", tzid).encode()
    window = {"start": datetime(2026, 3, 20, tzinfo=UTC), "end": datetime(2026, 4, 1, tzinfo=UTC)}
    events = read_feed(body, zone="Asia/Tokyo", **window)
    spring = [(e.start, e.end) for e in events if "Bob" in e.summary]
    assert spring == [
        (
            int(datetime(2026, 3, 23, 8, tzinfo=UTC).timestamp()),
            int(datetime(2026, 3, 30, 7, tzinfo=UTC).timestamp()),
        )
    ]


def _events_of(text: str, zone: str = "Europe/Paris") -> list[tuple[str, str, str]]:
    body = ("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\n" + text + "END:VCALENDAR\n").encode()
    return [
        (
            f"{datetime.fromtimestamp(event.start, UTC):%m-%d %H:%M}",
            f"{datetime.fromtimestamp(event.end, UTC):%m-%d %H:%M}",
            event.summary,
        )
        for event in read_feed(body, zone=zone, **WINDOW)
    ]


def test_recurrences_count_until_rdate_and_moved_or_cancelled_instances() -> None:
    """Daily 09:00-17:00 in Paris from 2 March, five times; the 4th moved to the afternoon
    and renamed, the 3rd cancelled; an extra day by RDATE; a weekly one until 16 March,
    that day included."""
    text = """BEGIN:VEVENT
UID:days
DTSTART;TZID=Europe/Paris:20260302T090000
DTEND;TZID=Europe/Paris:20260302T170000
RRULE:FREQ=DAILY;COUNT=5
RDATE;TZID=Europe/Paris:20260310T090000
SUMMARY:Alice Smith
END:VEVENT
BEGIN:VEVENT
UID:days
RECURRENCE-ID;TZID=Europe/Paris:20260305T090000
DTSTART;TZID=Europe/Paris:20260305T130000
DTEND;TZID=Europe/Paris:20260305T200000
SUMMARY:Bob Okafor
END:VEVENT
BEGIN:VEVENT
UID:days
RECURRENCE-ID;TZID=Europe/Paris:20260304T090000
DTSTART;TZID=Europe/Paris:20260304T090000
DTEND;TZID=Europe/Paris:20260304T170000
STATUS:CANCELLED
SUMMARY:Alice Smith
END:VEVENT
BEGIN:VEVENT
UID:weeks
DTSTART:20260302T000000Z
DTEND:20260302T010000Z
RRULE:FREQ=WEEKLY;UNTIL=20260316T000000Z
SUMMARY:weekly
END:VEVENT
"""
    assert _events_of(text) == [
        ("03-02 00:00", "03-02 01:00", "weekly"),
        ("03-02 08:00", "03-02 16:00", "Alice Smith"),
        ("03-03 08:00", "03-03 16:00", "Alice Smith"),
        ("03-05 12:00", "03-05 19:00", "Bob Okafor"),
        ("03-06 08:00", "03-06 16:00", "Alice Smith"),
        ("03-09 00:00", "03-09 01:00", "weekly"),
        ("03-10 08:00", "03-10 16:00", "Alice Smith"),
        ("03-16 00:00", "03-16 01:00", "weekly"),  # UNTIL counts itself in
    ]


def test_a_rule_in_local_time_keeps_its_hour_and_an_hour_the_clocks_skip_still_counts() -> None:
    """An hour every night from 02:30 in Paris: on 29 March the clocks skip 02:00 to 03:00.
    That night's 02:30 is read with the offset before the jump (RFC 5545, 3.3.5), 01:30 UTC,
    and it lasts its hour; the next nights are at 02:30 summer time."""
    text = """BEGIN:VEVENT
UID:nights
DTSTART;TZID=Europe/Paris:20260328T023000
DTEND;TZID=Europe/Paris:20260328T033000
RRULE:FREQ=DAILY;COUNT=3
SUMMARY:nights
END:VEVENT
"""
    assert [(start, end) for start, end, _ in _events_of(text)] == [
        ("03-28 01:30", "03-28 02:30"),
        ("03-29 01:30", "03-29 02:30"),
        ("03-30 00:30", "03-30 01:30"),
    ]


def test_cancelled_and_empty_events_are_no_turns_and_floating_times_are_the_schedules() -> None:
    body = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
        b"BEGIN:VEVENT\r\nUID:1\r\nDTSTART:20260302T090000\r\nDTEND:20260303T090000\r\n"
        b"SUMMARY:floating\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nUID:2\r\nDTSTART:20260304T090000Z\r\nDTEND:20260305T090000Z\r\n"
        b"STATUS:CANCELLED\r\nSUMMARY:cancelled\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nUID:3\r\nDTSTART:20260306T090000Z\r\nSUMMARY:no time\r\nEND:VEVENT\r\n"
        b"END:VCALENDAR\r\n"
    )
    [event] = read_feed(body, zone="Europe/Paris", **WINDOW)
    assert event.summary == "floating"
    assert datetime.fromtimestamp(event.start, UTC) == datetime(2026, 3, 2, 8, tzinfo=UTC)


# -- the schedule file --------------------------------------------------------------------------
def ical_layer(**changes: Any) -> dict[str, Any]:
    layer: dict[str, Any] = {
        "name": "opsgenie",
        "ical_url": "https://oncall.example.com/payments.ics?token=s3cret",
        "ical_user_map": {"alice@example.com": ALICE},
    }
    layer.update(changes)
    layer = {key: value for key, value in layer.items() if value is not None}
    return {"schedules": {"payments": {"timezone": "Europe/Paris", "layers": [layer]}}}


def problems_of(document: dict[str, Any]) -> list[str]:
    with pytest.raises(ScheduleError) as refused:
        parse_schedules(document, now=NOW)
    return list(refused.value.problems)


def test_an_ical_layer_reads_as_written_and_webcal_is_https() -> None:
    document = ical_layer(
        ical_url="webcal://oncall.example.com/p.ics",
        ical_user_map={"Alice@Example.com": ALICE, "  Bob   Okafor ": BOB},
    )
    schedule = parse_schedules(document, now=NOW).get("payments")
    assert schedule is not None
    [layer] = schedule.layers
    assert (layer.start, layer.rotation, layer.members) == (None, None, (ALICE, BOB))
    assert layer.ical == IcalSource(
        "https://oncall.example.com/p.ics", (("alice@example.com", ALICE), ("bob okafor", BOB))
    )


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        (
            {"rotation": "weekly"},
            "rotation: a layer takes its turns from start, rotation and "
            "members, or from ical_url and ical_user_map, not both",
        ),
        ({"members": [ALICE]}, "members: a layer takes its turns from"),
        ({"ical_url": None}, "ical_url: needed beside ical_user_map"),
        ({"ical_url": "ftp://example.com/a.ics"}, "ical_url: expected the feed's address"),
        ({"ical_url": "https://"}, "ical_url: expected the feed's address"),
        ({"ical_user_map": None}, "ical_user_map: needs a mapping of the people the feed names"),
        ({"ical_user_map": [ALICE]}, "ical_user_map: needs a mapping"),
        (
            {"ical_user_map": {"alice": "alice"}},
            "ical_user_map: 'alice' maps to 'alice', not a Slack user id",
        ),
        (
            {"ical_user_map": {"Alice": ALICE, "ALICE": BOB}},
            "ical_user_map: 'ALICE' is given twice",
        ),
        ({"ical_user_map": {" ": ALICE}}, "ical_user_map: ' ' is not a name or an e-mail"),
    ],
)
def test_an_ical_layers_problem_names_the_schedule_layer_and_field(
    changes: dict[str, Any], problem: str
) -> None:
    found = problems_of(ical_layer(**changes))
    assert len(found) == 1, found
    assert found[0].startswith(f"schedule 'payments': layer 'opsgenie': {problem}"), found


def test_a_bad_ical_url_is_not_repeated_whole() -> None:
    [problem] = problems_of(ical_layer(ical_url="x" * 5000))
    assert len(problem) < 250


# -- the engine ---------------------------------------------------------------------------------
def _micro(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000


def test_the_engine_takes_an_ical_layers_turns_like_any_other_layers() -> None:
    restriction = {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "18:00"}
    document = ical_layer(restrictions=[restriction])
    fallback = {"name": "fallback", "start": "2026-03-02 09:00", "rotation": "weekly"}
    document["schedules"]["payments"]["layers"].insert(0, fallback | {"members": [CAROL]})
    schedule = parse_schedules(document, now=NOW).get("payments")
    assert schedule is not None
    # Without a copy of the feed (never fetched) the layer names nobody: Carol all along.
    monday_noon = datetime(2026, 3, 2, 11, tzinfo=UTC)
    monday_night = datetime(2026, 3, 2, 21, tzinfo=UTC)
    assert {s.user for s in final_shifts(schedule, [], monday_noon, monday_night)} == {CAROL}
    # The copy has Alice all week from Monday 2 March 09:00 in Paris.
    week = (
        _micro(datetime(2026, 3, 2, 8, tzinfo=UTC)),
        _micro(datetime(2026, 3, 9, 8, tzinfo=UTC)),
    )
    below, feed = schedule.layers
    assert feed.ical is not None
    copied = replace(feed, ical=replace(feed.ical, shifts=((*week, ALICE),)))
    filled = replace(schedule, layers=(below, copied))
    assert on_call_at(filled, [], monday_noon).user == ALICE  # inside its window: the feed
    assert on_call_at(filled, [], monday_night).user == CAROL  # outside: the layer below
    day = layer_shifts(
        filled, copied, datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC)
    )
    assert [(turn.start.hour, turn.end.hour, turn.user) for turn in day] == [(8, 17, ALICE)]
    # An override beats it as it beats every layer.
    override = Override(
        None, "payments", BOB, monday_noon, monday_noon + timedelta(hours=1), BOB, NOW
    )
    assert on_call_at(filled, [override], monday_noon).user == BOB


def test_overlapping_events_the_one_that_began_last_holds_the_layer() -> None:
    hour = 3600
    events = [
        FeedEvent(0, 10 * hour, "Alice Smith", ()),
        FeedEvent(2 * hour, 4 * hour, "Bob Okafor", ()),  # Bob inside Alice's turn
        FeedEvent(8 * hour, 12 * hour, "", ("mailto:ALICE@example.com",)),
        FeedEvent(12 * hour, 13 * hour, "Alice Smith and Bob Okafor", ()),
    ]
    user_map = (("alice smith", ALICE), ("alice@example.com", ALICE), ("bob okafor", BOB))
    reading = layer_shifts_of(events, user_map)
    assert [(s // 3_600_000_000, e // 3_600_000_000, user) for s, e, user in reading.shifts] == [
        (0, 2, ALICE),
        (2, 4, BOB),
        (4, 12, ALICE),  # Alice's two events, one after the other: one turn
    ]
    assert reading.ambiguous == ("Alice Smith and Bob Okafor",) and reading.unmatched == ()


async def test_the_web_api_reads_the_layers_copy_as_slack_does(
    slack: SlackEmulator, sqlite_url: str, tmp_path: Path, source: CalendarSource, clock: Clock
) -> None:
    """The web view and its API read the feed's last good copy, as /oncall and who do: the
    export's Bob holds his spring week there too, not nobody."""
    path = schedule_file(tmp_path, source.url)
    schedules = load_schedules(path, now=datetime.now(UTC))
    async with (
        web_warroom(
            slack, sqlite_url, clock, oncall__schedules=schedules, oncall__ical_allowed_hosts=LOCAL
        ) as warroom,
        aiohttp.ClientSession() as client,
    ):
        await warroom.run_jobs()  # the refresh every start asks for
        window = "from=2026-03-29T12:00:00Z&to=2026-03-29T13:00:00Z"
        url = f"{warroom.url}/api/oncall/payments?{window}"
        async with client.get(url, headers={"Authorization": f"Bearer {API_TOKEN}"}) as answer:
            assert answer.status == 200, await answer.text()
            shifts = (await answer.json())["shifts"]
    assert [shift["user"] and shift["user"]["id"] for shift in shifts] == [BOB]
