"""The fake Grafana OnCall API follows its reference: driven over real HTTP on 127.0.0.1.

What it must do is what Grafana's API reference says (docs/sources/oncall-api-reference/):
the key alone in ``Authorization``, pages with ``next`` links, 429 past the rate limit,
final shifts by level with overrides on top. These tests hold it to that, so that
``warroom import --compare`` against it means something.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from emulator.grafana_oncall import FakeGrafanaOnCall
from emulator.grafana_oncall_shifts import utc_of

KEY = "meowmeowmeow"
ALICE, BOB, CAROL, DAVE, ERIN = (
    "UC2CHRT5SD34X",
    "U7S8H84ARFTGN",
    "UCAR0LXQ3M2ZB",
    "UDAVEK7W1NQ4H",
    "UER1NB5TF9XJ2",
)
PAYMENTS, SUN = "SPAYM3NTSPR1M", "SF0LL0WTHESUN"


@pytest.fixture
async def fake() -> AsyncIterator[FakeGrafanaOnCall]:
    async with FakeGrafanaOnCall(KEY, page_size=2) as grafana:
        grafana.load("team")
        yield grafana


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def get(
    http: aiohttp.ClientSession, url: str, key: str | None = KEY
) -> tuple[int, Any, dict[str, str]]:
    headers = {"Authorization": key} if key is not None else {}
    async with http.get(url, headers=headers) as response:
        return response.status, await response.json(), dict(response.headers)


async def on_call(
    http: aiohttp.ClientSession, fake: FakeGrafanaOnCall, schedule: str, at: datetime
) -> set[str]:
    """Who the fake's final shifts put on call at ``at``, every page read."""
    day = at.date().isoformat()
    url: str | None = (
        f"{fake.root}/api/v1/schedules/{schedule}/final_shifts?start_date={day}&end_date={day}"
    )
    people = set()
    while url:
        status, body, _ = await get(http, url)
        assert status == 200, body
        for row in body["results"]:
            start = datetime.fromisoformat(row["shift_start"])
            end = datetime.fromisoformat(row["shift_end"])
            if start <= at < end:
                people.add(row["user_pk"])
        url = body["next"]
    return people


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def test_the_key_goes_alone_in_the_authorization_header(
    fake: FakeGrafanaOnCall, http: aiohttp.ClientSession
) -> None:
    url = f"{fake.root}/api/v1/users/"
    assert (await get(http, url))[0] == 200
    for refused in (None, f"Bearer {KEY}", "wrong"):
        status, body, _ = await get(http, url, refused)
        assert (status, body) == (401, {"detail": "Invalid token."})


async def test_lists_come_in_pages_linked_by_next(
    fake: FakeGrafanaOnCall, http: aiohttp.ClientSession
) -> None:
    url: str | None = f"{fake.root}/api/v1/users/"
    seen = []
    while url:
        status, body, _ = await get(http, url)
        assert status == 200 and body["count"] == 5 and body["page_size"] == 2
        seen += [user["username"] for user in body["results"]]
        url = body["next"]
    assert seen == ["alice", "bob", "carol", "dave", "erin"]
    status, body, _ = await get(http, f"{fake.root}/api/v1/users/?page=9")
    assert (status, body) == (404, {"detail": "Invalid page."})


async def test_documented_filters_are_applied_and_others_refused(
    fake: FakeGrafanaOnCall, http: aiohttp.ClientSession
) -> None:
    status, body, _ = await get(http, f"{fake.root}/api/v1/on_call_shifts/?schedule_id={SUN}")
    assert status == 200 and body["count"] == 3
    status, body, _ = await get(http, f"{fake.root}/api/v1/on_call_shifts/?team=x")
    assert status == 400 and "team" in body["detail"]
    async with http.post(f"{fake.root}/api/v1/schedules/", headers={"Authorization": KEY}) as r:
        assert r.status == 405


async def test_past_the_rate_limit_it_answers_429_with_retry_after(
    http: aiohttp.ClientSession,
) -> None:
    async with FakeGrafanaOnCall(KEY, rate_limit=2, rate_window=60) as fake:
        url = f"{fake.root}/api/v1/users/"
        assert [(await get(http, url))[0] for _ in range(2)] == [200, 200]
        status, body, headers = await get(http, url)
        assert status == 429 and "throttled" in body["detail"]
        assert 1 <= int(headers["Retry-After"]) <= 60


async def test_final_shifts_refuse_what_the_caveats_forbid(
    fake: FakeGrafanaOnCall, http: aiohttp.ClientSession
) -> None:
    base = f"{fake.root}/api/v1/schedules/{PAYMENTS}/final_shifts"
    for query in (
        "",
        "?start_date=2027-03-02",
        "?start_date=2027-03-02&end_date=2027-03-01",
        "?start_date=2027-01-01&end_date=2028-01-05",
        "?start_date=x&end_date=y",
    ):
        assert (await get(http, base + query))[0] == 400, query


async def test_a_higher_level_wins_and_an_override_is_on_top(
    fake: FakeGrafanaOnCall, http: aiohttp.ClientSession
) -> None:
    # Monday 1 March 2027 in New York (EST): at 07:00 the weekly turn of the week before (it
    # hands over at 09:00), at 10:00 the weekday layer above it.
    assert await on_call(http, fake, PAYMENTS, utc("2027-03-01T12:00:00")) == {CAROL}
    weekday = await on_call(http, fake, PAYMENTS, utc("2027-03-01T15:00:00"))  # 10:00
    assert weekday != {CAROL} and len(weekday) == 1
    fake.add(
        "on_call_shifts",
        {
            "id": "OOVERRIDE0001",
            "name": "cover",
            "type": "override",
            "team_id": None,
            "time_zone": None,
            "level": 0,
            "start": "2027-03-01T09:30:00",
            "duration": 3600,
            "users": [CAROL],
            "schedule": PAYMENTS,
        },
    )
    assert await on_call(http, fake, PAYMENTS, utc("2027-03-01T15:00:00")) == {CAROL}


async def test_daily_shifts_on_given_days_give_each_event_to_the_next_users(
    fake: FakeGrafanaOnCall, http: aiohttp.ClientSession
) -> None:
    # on_call_shifts.md: rolling_users iterate "for every time frame": with by_day, each
    # weekday's event is the next list's, so three people go round five days.
    days = ["2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08", "2026-01-09", "2026-01-12"]
    holders = [await on_call(http, fake, PAYMENTS, utc(f"{day}T15:00:00")) for day in days]
    assert holders == [{DAVE}, {ERIN}, {ALICE}, {DAVE}, {ERIN}, {ALICE}]


async def test_a_turn_of_nobody_shows_the_layer_below(
    fake: FakeGrafanaOnCall, http: aiohttp.ClientSession
) -> None:
    # Weeknights (level 2): bob, then an empty list of users, week about; below them the
    # weekly layer: alice, bob, carol. Tuesdays at 22:00 in New York.
    tuesdays = ["2026-01-07", "2026-01-21", "2026-01-28"]
    holders = [await on_call(http, fake, PAYMENTS, utc(f"{day}T03:00:00")) for day in tuesdays]
    assert holders == [{BOB}, {BOB}, {ALICE}]  # week 0 bob, week 2 bob (not carol), week 3


async def test_hourly_frames_follow_the_zone_s_wall_clock(
    fake: FakeGrafanaOnCall, http: aiohttp.ClientSession
) -> None:
    # Halves: 12-hour frames from 08:00 New York, erin then alice. A Saturday (no London or
    # Sydney) before and after the clocks go forward on 14 March 2027.
    before = [
        await on_call(http, fake, SUN, utc(t))
        for t in ("2027-03-13T12:59:00", "2027-03-13T13:00:00")
    ]
    after = [
        await on_call(http, fake, SUN, utc(t))
        for t in ("2027-03-20T11:59:00", "2027-03-20T12:00:00")
    ]
    assert before[0] != before[1] and after[0] != after[1]


def test_a_time_the_clocks_skip_is_the_instant_they_jump() -> None:
    assert utc_of(datetime(2027, 3, 14, 2, 30), "America/New_York") == utc("2027-03-14T07:00:00")
    assert utc_of(datetime(2027, 11, 7, 1, 30), "America/New_York") == utc("2027-11-07T05:30:00")
