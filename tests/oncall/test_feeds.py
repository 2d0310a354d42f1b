"""The on-call calendar feeds, as a calendar app subscribes to them: the link ``/oncall
calendar`` gives, fetched over HTTP from the running bot, parsed with the iCalendar library,
and compared with ``warroom oncall who`` and the engine it runs on."""

from __future__ import annotations

import asyncio
import json
import random
import re
from bisect import bisect_right
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import aiohttp
import icalendar
import pytest

from bot.basics.errors import UsageError
from bot.flows.oncall.common import OncallRefused
from bot.record.oncall.engine import HORIZON, on_call_at
from bot.record.oncall.feed_copies import with_feed_copies
from bot.record.oncall.overrides import add_override, overrides_between
from bot.record.oncall.schedules import Schedule, load_schedules
from bot.record.people import remember_names
from bot.store.db import session_scope
from commands.base import CommandRequest, Subcommand
from commands.oncall import calendar
from emulator import SlackEmulator
from tests.conftest import Clock, Warroom, running_warroom
from tests.oncall.test_cli import warroom_cli as run_cli
from tests.oncall.test_schedule_file import ISSUE_FILE

NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)  # the feeds hold both 2026 spring clock changes
PUBLIC = "https://warroom.example.com"
ALICE, BOB, CAROL, DAVE, ERIN = "U0ALICE", "U0BOB", "U0CAROL", "U0DAVE", "U0ERIN"
NAMES = {
    ALICE: "Alice Moreau",
    BOB: "Bob Okafor",
    CAROL: "Carol Tanaka",
    DAVE: "Dave Ito",
    ERIN: "Erin Díaz",
    "U0FRANK": "Frank Ng",
}
# The issue's schedule (a weekly layer under weekday days), a plain weekly one whose turn of
# 23 March holds Paris's change to summer time, and twelve-hour turns across New York's.
FILE = (
    ISSUE_FILE
    + """
  platform:
    timezone: Europe/Paris
    layers:
      - {name: weekly, start: 2026-03-02 09:00, rotation: weekly, members: [U0ALICE, U0BOB]}
  night-watch:
    timezone: America/New_York
    layers:
      - {name: halves, start: 2026-03-01 08:00, rotation: 12h, members: [U0FRANK, U0CAROL]}
"""
)
# /oncall's table is being written; this test routes through a table of its own.
TABLE: tuple[Subcommand, ...] = (calendar.SUBCOMMAND,)
_LINK = re.compile(r"`(?:https://warroom\.example\.com)?(/oncall/\S+)`")


@dataclass
class Feeds:
    warroom: Warroom
    path: Path
    database: str


@asynccontextmanager
async def serving(slack: SlackEmulator, database: str, tmp_path: Path) -> AsyncIterator[Feeds]:
    """The bot serving the schedules, with names known and two overrides made."""
    path = tmp_path / "schedules.yaml"
    path.write_text(FILE)
    schedules = load_schedules(path, now=datetime.now(UTC))
    # Everyone the schedules name is a member of the workspace (Slack knows them).
    for user in sorted(set(NAMES) | set(re.findall(r"U0[A-Z]+", FILE))):
        if user not in slack.users:
            slack.add_user(user, user.lower())
    async with running_warroom(
        slack, database, Clock(NOW), oncall__schedules=schedules, web__public_url=PUBLIC
    ) as warroom:
        primary = schedules.get("payments-primary")
        assert primary is not None
        async with session_scope(warroom.engine) as session:
            await remember_names(session, NAMES, NOW)
            for user, start, hours in (
                (ERIN, datetime(2026, 3, 13, 17, tzinfo=UTC), 60),  # a weekend
                (BOB, datetime(2026, 3, 25, 10, tzinfo=UTC), 3),  # inside Dave's day
            ):
                await add_override(
                    session,
                    schedule=primary,
                    user=user,
                    start=start,
                    end=start + timedelta(hours=hours),
                    created_by=BOB,
                    created_at=NOW - timedelta(days=10),
                )
            await session.commit()
        yield Feeds(warroom, path, database)


@pytest.fixture
async def feeds(slack: SlackEmulator, sqlite_url: str, tmp_path: Path) -> AsyncIterator[Feeds]:
    async with serving(slack, sqlite_url, tmp_path) as running:
        yield running


@pytest.fixture
async def feeds_any_db(
    slack: SlackEmulator, database_url: str, tmp_path: Path
) -> AsyncIterator[Feeds]:
    """The same, on SQLite and on PostgreSQL: where the tokens are kept."""
    async with serving(slack, database_url, tmp_path) as running:
        yield running


async def ask(feeds: Feeds, user: str, text: str = "") -> str:
    """``/oncall calendar TEXT`` as ``user``, routed by the local table; the private reply.
    ``user`` is a member of the workspace (a feed is refused to whoever Slack does not know)."""
    slack = feeds.warroom.slack
    if user not in slack.users:
        slack.add_user(user, user.lower())
    name, _, args = f"calendar {text}".strip().partition(" ")
    subcommand = next(s for s in TABLE if s.name == name)
    subcommand.validate(args)
    request = CommandRequest("T0WARROOM", user, "C0GENERAL", name, args, "", "", TABLE)
    reply = await subcommand.handler(request, feeds.warroom.services)
    assert reply is not None
    return reply


def link_in(reply: str) -> str:
    """The feed's address in the reply, as a path on warroom."""
    found = _LINK.search(reply)
    assert found is not None, reply
    return found.group(1)


async def fetch(feeds: Feeds, path: str) -> tuple[int, str, str]:
    """GET ``path`` from the running bot, as a calendar app does: status, type, body."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(feeds.warroom.url + path) as response,
    ):
        return response.status, response.headers.get("Content-Type", ""), await response.text()


@dataclass(frozen=True)
class Event:
    uid: str
    start: datetime
    end: datetime
    summary: str


def events_of(body: str) -> list[Event]:
    """The VEVENTs of a feed, read with the iCalendar library."""
    calendar_ = icalendar.Calendar.from_ical(body)
    assert calendar_["VERSION"] == "2.0" and "warroom" in str(calendar_["PRODID"])
    found = []
    for event in calendar_.walk("VEVENT"):
        assert event["DTSTAMP"].dt.tzinfo is not None
        start, end = event["DTSTART"].dt, event["DTEND"].dt
        assert start.utcoffset() == timedelta(0) and end.utcoffset() == timedelta(0)
        found.append(Event(str(event["UID"]), start, end, str(event["SUMMARY"])))
    return found


async def subscribe(feeds: Feeds, user: str, text: str = "") -> list[Event]:
    status, kind, body = await fetch(feeds, link_in(await ask(feeds, user, text)))
    assert (status, kind) == (200, "text/calendar; charset=utf-8")
    return events_of(body)


def holder(events: list[Event], at: datetime) -> Event | None:
    """The event holding ``at`` in ``events`` (sorted by start, none overlapping), if any."""
    index = bisect_right(events, at, key=lambda event: event.start) - 1
    return events[index] if index >= 0 and at < events[index].end else None


def by_start(events: list[Event]) -> list[Event]:
    """``events`` sorted by start, checked not to overlap (one holder at a time)."""
    ordered = sorted(events, key=lambda event: event.start)
    assert all(one.end <= two.start for one, two in pairwise(ordered)), ordered
    return ordered


def user_of(event: Event) -> str | None:
    """Whom a schedule feed's event names: ``On call: x (Alice Moreau)``, or nobody."""
    if event.summary.startswith("Nobody on call: "):
        return None
    name = re.fullmatch(r"On call: [a-z-]+ \((.+)\)", event.summary)
    assert name is not None, event.summary
    return next(user for user, known in NAMES.items() if known == name.group(1))


async def engine_answers(
    feeds: Feeds, instants: list[datetime]
) -> dict[tuple[str, datetime], tuple[str | None, datetime, datetime]]:
    """What the engine the CLI runs says at each instant, read as ``warroom oncall who`` reads
    the record (overrides around the instants, iCal layers' copies)."""
    configured = list(feeds.warroom.services.settings.oncall.schedules.by_name.values())
    async with session_scope(feeds.warroom.engine) as session:
        overrides = await overrides_between(
            session, start=min(instants) - HORIZON, end=max(instants) + HORIZON
        )
        schedules: list[Schedule] = await with_feed_copies(session, configured)
    answers = {}
    for schedule in schedules:
        for at in instants:
            shift = on_call_at(schedule, overrides, at)
            answers[(schedule.name, at)] = (shift.user, shift.start, shift.end)
    return answers


# Twenty runs of the command line take two minutes or more on a loaded machine.
@pytest.mark.timeout(900)
async def test_the_feeds_give_the_shifts_who_gives_at_1000_instants(feeds: Feeds) -> None:
    names = ("payments-primary", "platform", "night-watch")
    schedule_feeds = {name: by_start(await subscribe(feeds, ALICE, name)) for name in names}
    person_feeds = {}
    for user in NAMES:
        events = await subscribe(feeds, user)
        assert {e.summary for e in events} <= {f"On call: {name}" for name in names}
        for name in names:
            mine = [e for e in events if e.summary == f"On call: {name}"]
            person_feeds[user, name] = by_start(mine)
    rng = random.Random(26)
    low, high = NOW - timedelta(days=30), NOW + timedelta(days=90)
    span = int((high - low).total_seconds())
    instants = [low + timedelta(seconds=rng.randrange(span)) for _ in range(1000)]
    answers = await engine_answers(feeds, instants)
    before_start = 0
    for (schedule, at), (user, start, end) in answers.items():
        event = holder(schedule_feeds[schedule], at)
        if event is None:  # before the schedule begins: no gap of it, and no shift either
            assert user is None and start == at - HORIZON, (schedule, at)
            assert at < datetime(2026, 3, 2, 8, tzinfo=UTC), (schedule, at)
            before_start += 1
        else:
            assert user_of(event) == user and same_span(event, at, start, end), (schedule, at)
        for person in NAMES:
            mine = holder(person_feeds[person, schedule], at)
            if person == user:
                assert mine is not None and same_span(mine, at, start, end), (schedule, at)
            else:
                assert mine is None, (schedule, at, person)
    # The schedules begin on 1 and 2 March: some instants fall before that.
    assert before_start > 0
    # And the command line itself, at twenty of them (whole minutes, as people type them).
    sample = [at.replace(second=0) for at in instants[:20]]
    env = {"WARROOM_ONCALL_SCHEDULES": str(feeds.path), "DATABASE_URL": feeds.database}

    def who(at: datetime) -> list[dict[str, str | None]]:
        done = run_cli("oncall", "who", "--at", f"{at:%Y-%m-%d %H:%M} UTC", "--json", env=env)
        assert done.returncode == 0, done.stderr
        return list(json.loads(done.stdout))

    # In threads the loop awaits, never blocking it: warroom runs in this loop, and a round of
    # its jobs holding SQLite's lock when the loop stopped would keep every process waiting.
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=2) as pool:
        said = await asyncio.gather(*(loop.run_in_executor(pool, who, at) for at in sample))
    checked = 0
    for at, rows in zip(sample, said, strict=True):
        for row in rows:
            event = holder(schedule_feeds[str(row["schedule"])], at)
            start, end = _moment(row["start"]), _moment(row["end"])
            if event is None:
                assert row["user"] is None and start == at - HORIZON, (row, at)
            else:
                assert user_of(event) == row["user"], (row, at)
                assert same_span(event, at, start, end), (row, at)
            checked += 1
    assert checked == 3 * len(sample)


def same_span(event: Event, at: datetime, start: datetime, end: datetime) -> bool:
    """Whether the feed's event is the stretch ``who`` says. ``who`` looks a year either
    way and says a longer stretch is cut there (the gap before a schedule begins); a feed
    shows the stretch whole, whenever it is asked, so it reaches at least as far."""
    cut_start, cut_end = start == at - HORIZON, end == at + HORIZON
    return (event.start <= start if cut_start else event.start == start) and (
        event.end >= end if cut_end else event.end == end
    )


def _moment(text: str | None) -> datetime:
    assert text is not None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_a_shift_across_a_clock_change_is_written_in_utc(feeds: Feeds) -> None:
    status, _, body = await fetch(feeds, link_in(await ask(feeds, BOB, "platform")))
    assert status == 200
    # Bob's week of 23 March, 09:00 to 09:00 in Paris, holds the change to summer time: 167
    # hours, from 08:00 UTC to 07:00 UTC, written as such in the feed itself.
    unfolded = body.replace("\r\n ", "")
    block = next(
        part for part in unfolded.split("BEGIN:VEVENT") if "DTSTART:20260323T080000Z" in part
    )
    assert "DTEND:20260330T070000Z" in block and "SUMMARY:On call: platform (Bob Okafor)" in block
    # Bob's own feed says the same, titled with the schedule alone.
    [spring] = [
        e for e in await subscribe(feeds, BOB) if e.start == datetime(2026, 3, 23, 8, tzinfo=UTC)
    ]
    assert (spring.end, spring.summary) == (
        datetime(2026, 3, 30, 7, tzinfo=UTC),
        "On call: platform",
    )
    assert spring.end - spring.start == timedelta(hours=167)


async def test_a_shift_keeps_its_uid_across_requests_and_changes(feeds: Feeds) -> None:
    path = link_in(await ask(feeds, ALICE, "platform"))
    first = events_of((await fetch(feeds, path))[2])
    feeds.warroom.clock.now += timedelta(days=1)  # the window moves on a day
    second = events_of((await fetch(feeds, path))[2])
    assert {(e.uid, e.start) for e in first[1:-1]} <= {(e.uid, e.start) for e in second}
    assert len({e.uid for e in second}) == len(second)
    # An override cuts Bob's spring week short: the same event ends sooner.
    platform = feeds.warroom.services.settings.oncall.schedules.get("platform")
    assert platform is not None
    async with session_scope(feeds.warroom.engine) as session:
        await add_override(
            session,
            schedule=platform,
            user=CAROL,
            start=datetime(2026, 3, 28, 8, tzinfo=UTC),
            end=datetime(2026, 3, 30, 7, tzinfo=UTC),
            created_by=BOB,
            created_at=NOW,
        )
        await session.commit()
    third = events_of((await fetch(feeds, path))[2])
    before = {e.uid: e for e in second}
    spring = next(e for e in third if e.start == datetime(2026, 3, 23, 8, tzinfo=UTC))
    assert spring.end == datetime(2026, 3, 28, 8, tzinfo=UTC)
    assert before[spring.uid].end == datetime(2026, 3, 30, 7, tzinfo=UTC)


async def test_a_wrong_or_missing_token_opens_nothing_and_says_nothing(feeds_any_db: Feeds) -> None:
    feeds = feeds_any_db
    alices = link_in(await ask(feeds, ALICE))
    platform = link_in(await ask(feeds, ALICE, "platform"))
    token = alices.partition("?token=")[2]
    refused = [
        "/oncall/people/U0ALICE.ics",  # no token
        "/oncall/people/U0ALICE.ics?token=",
        "/oncall/people/U0ALICE.ics?token=" + token[:-1] + ("A" if token[-1] != "A" else "B"),
        f"/oncall/people/U0BOB.ics?token={token}",  # Alice's token on Bob's feed
        f"/oncall/platform.ics?token={token}",  # her own feed's token on a schedule's
        platform.replace("/platform.ics", "/payments-primary.ics"),
        f"/oncall/nope.ics?token={token}",  # no such schedule
        f"/oncall/people/nobody.ics?token={token}",  # no such person
        "/oncall/people/U0ALICE.ics?token=" + "x" * 5000,
    ]
    answers = {await fetch(feeds, path) for path in refused}
    assert answers == {(404, "text/plain; charset=utf-8", "Not found\n")}
    assert (await fetch(feeds, alices))[0] == (await fetch(feeds, platform))[0] == 200


async def test_a_schedules_feed_stops_for_a_link_a_guest_holds(feeds: Feeds) -> None:
    slack = feeds.warroom.slack
    platform, own = link_in(await ask(feeds, ALICE, "platform")), link_in(await ask(feeds, ALICE))
    bobs = link_in(await ask(feeds, BOB, "platform"))
    slack.users[ALICE].is_restricted = True  # made a guest after she had her links
    assert (await fetch(feeds, platform))[0] == 404
    assert (await fetch(feeds, bobs))[0] == (await fetch(feeds, own))[0] == 200
    # When Slack will not say, the calendar app is asked to come back, not told it is gone.
    slack.users[ALICE].is_restricted = False
    slack.fail_with_error("users.info", "fatal_error")
    async with (
        aiohttp.ClientSession() as http,
        http.get(feeds.warroom.url + platform) as response,
    ):
        assert response.status == 503 and response.headers["Retry-After"] == "300"
        assert "BEGIN:VCALENDAR" not in await response.text()
    assert (await fetch(feeds, platform))[0] == 200


async def test_rotating_ends_the_earlier_links_and_only_those(feeds_any_db: Feeds) -> None:
    feeds = feeds_any_db
    phone, laptop = link_in(await ask(feeds, ALICE)), link_in(await ask(feeds, ALICE))
    bobs = link_in(await ask(feeds, BOB, "platform"))
    alices_platform = link_in(await ask(feeds, ALICE, "platform"))
    assert [(await fetch(feeds, path))[0] for path in (phone, laptop)] == [200, 200]
    reply = await ask(feeds, ALICE, "rotate")
    assert "your earlier links to it no longer work" in reply
    new = link_in(reply)
    assert [(await fetch(feeds, path))[0] for path in (phone, laptop, new)] == [404, 404, 200]
    # Her link to a schedule, and Bob's, are other feeds' links: they still work.
    assert [(await fetch(feeds, path))[0] for path in (alices_platform, bobs)] == [200, 200]
    reply = await ask(feeds, ALICE, "rotate platform")
    assert [(await fetch(feeds, path))[0] for path in (alices_platform, bobs)] == [404, 200]
    assert (await fetch(feeds, link_in(reply)))[0] == 200


async def test_each_ask_gives_a_link_and_five_work_at_once(feeds_any_db: Feeds) -> None:
    feeds = feeds_any_db
    links = [link_in(await ask(feeds, CAROL)) for _ in range(5)]
    sixth = await ask(feeds, CAROL)
    assert "Your oldest link to it stopped working: 5 work at once." in sixth
    statuses = [(await fetch(feeds, path))[0] for path in [*links, link_in(sixth)]]
    assert statuses == [404, 200, 200, 200, 200, 200]


async def test_the_reply_says_what_the_link_is_and_refuses_what_is_not_a_schedule(
    feeds: Feeds,
) -> None:
    reply = await ask(feeds, ALICE, "Platform")
    assert reply.startswith(":calendar: A calendar link to the schedule *platform*:\n`https://")
    assert "Google Calendar" in reply and "`/oncall calendar rotate platform`" in reply
    with pytest.raises(OncallRefused) as unknown:
        await ask(feeds, ALICE, "payments")
    context = {"subcommand": None, **unknown.value.context}  # the router adds the usage
    text = feeds.warroom.services.renderer.render(unknown.value.template, **context)
    assert "there is no schedule `payments`" in text
    assert "`payments-primary`, `platform`, `night-watch`" in text
    for bad in ("a b", "<@U0BOB>", "rotate a b"):
        with pytest.raises(UsageError):
            calendar.validate(bad)


async def test_without_a_public_address_the_reply_gives_the_path_and_says_so(
    slack: SlackEmulator, sqlite_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "schedules.yaml"
    path.write_text(FILE)
    schedules = load_schedules(path, now=datetime.now(UTC))
    async with running_warroom(slack, sqlite_url, Clock(NOW), oncall__schedules=schedules) as bot:
        feeds = Feeds(bot, path, sqlite_url)
        reply = await ask(feeds, DAVE)
        assert "`/oncall/people/U0DAVE.ics?token=" in reply
        assert "`WARROOM_PUBLIC_URL` is not set, so this is only the path" in reply
        events = events_of((await fetch(feeds, link_in(reply)))[2])
        assert events and {e.summary for e in events} == {"On call: payments-primary"}
