"""The fake Opsgenie API (emulator/opsgenie.py) driven over real HTTP on 127.0.0.1: strict as
Opsgenie's description, and who it says is on call worked out by hand from Opsgenie's rules
(so that ``warroom import --compare`` compares warroom with something that can be wrong)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from emulator import opsgenie_samples as samples
from emulator.opsgenie import API_KEY, FakeOpsgenie, OpsgenieAccount

YEAR = 2027  # the fake answers for any year; this one's dates are worked out below
AUTH = {"Authorization": f"GenieKey {API_KEY}"}


@pytest.fixture
async def opsgenie() -> AsyncIterator[FakeOpsgenie]:
    async with FakeOpsgenie(OpsgenieAccount.sample(YEAR)) as fake:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def get(
    http: aiohttp.ClientSession, url: str, headers: dict[str, str] = AUTH
) -> tuple[int, Any]:
    async with http.get(url, headers=headers) as response:
        return response.status, await response.json(content_type=None)


async def on_call(
    http: aiohttp.ClientSession, fake: FakeOpsgenie, schedule: str, at: str
) -> list[str]:
    url = f"{fake.root}/v2/schedules/{schedule}/on-calls?scheduleIdentifierType=id&date={at}"
    status, body = await get(http, url)
    assert status == 200, body
    return [p["name"] for p in body["data"]["onCallParticipants"]]


async def test_the_key_goes_in_a_genie_key_header(
    opsgenie: FakeOpsgenie, http: aiohttp.ClientSession
) -> None:
    for headers in ({}, {"Authorization": API_KEY}, {"Authorization": "GenieKey nope"}):
        status, body = await get(http, f"{opsgenie.root}/v2/teams", headers)
        assert status == 401
        assert body["message"] == "Could not authenticate"  # as the live API answers
        assert set(body) == {"message", "took", "requestId"}
    assert (await get(http, f"{opsgenie.root}/v2/teams"))[0] == 200


async def test_what_the_description_does_not_declare_is_refused(
    opsgenie: FakeOpsgenie, http: aiohttp.ClientSession
) -> None:
    assert (await get(http, f"{opsgenie.root}/v2/teams?expand=x"))[0] == 422
    assert (await get(http, f"{opsgenie.root}/v2/users?order=sideways"))[0] == 422
    assert (await get(http, f"{opsgenie.root}/v2/users?limit=500"))[0] == 422
    assert (await get(http, f"{opsgenie.root}/v2/incidents"))[0] == 404
    assert (await get(http, f"{opsgenie.root}/v2/integrations?teamName=SRE"))[0] == 422
    assert (await get(http, f"{opsgenie.root}/v2/integrations?owner=SRE"))[0] == 422
    async with http.post(f"{opsgenie.root}/v2/teams", headers=AUTH, json={}) as response:
        assert response.status == 405


async def test_users_come_in_pages_of_a_hundred(
    opsgenie: FakeOpsgenie, http: aiohttp.ClientSession
) -> None:
    status, first = await get(http, f"{opsgenie.root}/v2/users")
    assert status == 200 and len(first["data"]) == 100
    assert first["totalCount"] == len(samples.PEOPLE) + samples.FILLER_USERS
    status, second = await get(http, first["paging"]["next"])
    assert len(second["data"]) == first["totalCount"] - 100
    assert "next" not in second["paging"]
    names = [u["username"] for u in first["data"] + second["data"]]
    assert names == sorted(names) and len(set(names)) == len(names)


async def test_a_throttled_request_says_so_in_opsgenie_headers(
    opsgenie: FakeOpsgenie, http: aiohttp.ClientSession
) -> None:
    opsgenie.throttle(1, period=7)
    async with http.get(f"{opsgenie.root}/v2/teams", headers=AUTH) as response:
        assert response.status == 429
        assert response.headers["X-RateLimit-State"] == "THROTTLED"
        assert response.headers["X-RateLimit-Period-In-Sec"] == "7"
    assert (await get(http, f"{opsgenie.root}/v2/teams"))[0] == 200


async def test_rotations_are_listed_only_when_expanded(
    opsgenie: FakeOpsgenie, http: aiohttp.ClientSession
) -> None:
    _, plain = await get(http, f"{opsgenie.root}/v2/schedules")
    _, expanded = await get(http, f"{opsgenie.root}/v2/schedules?expand=rotation")
    assert all("rotations" not in s for s in plain["data"])
    assert all(s["rotations"] for s in expanded["data"])


@pytest.mark.parametrize(
    ("schedule", "at", "who"),
    [
        # Week 0 from Tuesday 5 January 09:00 CET: Alice, and Dave in the shadow.
        (samples.PLATFORM, f"{YEAR}-01-06T12:00:00Z", ["alice@example.com", "dave@example.com"]),
        # Week 1: Bob, and the shadow's turn is none's.
        (samples.PLATFORM, f"{YEAR}-01-13T12:00:00Z", ["bob@example.com"]),
        # 20 March 09:00 CET to 23 March: the whole schedule is Frank's (an override).
        (samples.PLATFORM, f"{YEAR}-03-21T12:00:00Z", ["frank@example.com"]),
        # Week 14 (from 13 April, CEST): Carol, and Grace in place of Erin in the shadow.
        (samples.PLATFORM, f"{YEAR}-04-15T12:00:00Z", ["carol@example.com", "grace@example.com"]),
        # Friday 8 January 12:00 in New York: the weekday rotation (day 3: Bob).
        (samples.SUPPORT, f"{YEAR}-01-08T17:00:00Z", ["bob@example.com"]),
        # Friday 8 January 20:00 in New York: the weekend (week 0 from Saturday 2nd: Carol).
        (samples.SUPPORT, f"{YEAR}-01-09T01:00:00Z", ["carol@example.com"]),
        # Monday 11 January 07:00 in New York: still the weekend's, now Dave's week.
        (samples.SUPPORT, f"{YEAR}-01-11T12:00:00Z", ["dave@example.com"]),
        # Tuesday 12 January 19:00 in New York: a weekday evening, nobody.
        (samples.SUPPORT, f"{YEAR}-01-13T00:00:00Z", []),
        # Sydney, 6 January 02:00 AEDT: the night that began on the 5th (Grace).
        (samples.NIGHTS, f"{YEAR}-01-05T15:00:00Z", ["grace@example.com"]),
        # Sydney, 6 January 12:00 AEDT: outside 22:00 to 06:00.
        (samples.NIGHTS, f"{YEAR}-01-06T01:00:00Z", []),
        # Sydney, 10 April 23:00 AEST: the override to nobody.
        (samples.NIGHTS, f"{YEAR}-04-10T13:00:00Z", []),
        # UTC, 5 January 13:00: the third six-hour turn (Carol).
        (samples.HOURLY, f"{YEAR}-01-05T13:00:00Z", ["carol@example.com"]),
    ],
)
async def test_who_is_on_call_follows_opsgenie_rules(
    opsgenie: FakeOpsgenie, http: aiohttp.ClientSession, schedule: str, at: str, who: list[str]
) -> None:
    assert await on_call(http, opsgenie, schedule, at) == who


async def test_a_rotation_of_an_escalation_is_not_guessed(
    opsgenie: FakeOpsgenie, http: aiohttp.ClientSession
) -> None:
    url = f"{opsgenie.root}/v2/schedules/{samples.LEGACY}/on-calls?date={YEAR}-02-01T12:00:00Z"
    status, body = await get(http, url)
    assert status == 422 and "cannot say" in body["message"]
