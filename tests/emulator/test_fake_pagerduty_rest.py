"""The fake PagerDuty REST API v2 (what ``warroom import pagerduty`` reads), over real HTTP on
127.0.0.1: it refuses what PagerDuty's description does not document, and says who is on call
the way PagerDuty's documentation describes layers (checked here on hand-worked instants)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from emulator.pagerduty_account import documented_account
from emulator.pagerduty_rest import ACCEPT, FakePagerDutyRest

YEAR = 2027


@pytest.fixture
async def fake() -> AsyncIterator[FakePagerDutyRest]:
    async with FakePagerDutyRest(documented_account(YEAR)) as pagerduty:
        yield pagerduty


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def get(
    http: aiohttp.ClientSession,
    fake: FakePagerDutyRest,
    path: str,
    *,
    token: str | None = None,
    accept: str = ACCEPT,
) -> tuple[int, Any, Any]:
    headers = {"Authorization": f"Token token={token or fake.token}", "Accept": accept}
    async with http.get(f"{fake.root}{path}", headers=headers) as response:
        return response.status, await response.json(content_type=None), response.headers


async def test_the_token_goes_in_the_documented_header(
    fake: FakePagerDutyRest, http: aiohttp.ClientSession
) -> None:
    status, body, _ = await get(http, fake, "/users", token="wrong")
    assert status == 401 and body["error"]["message"]
    async with http.get(f"{fake.root}/users", headers={"Accept": ACCEPT}) as response:
        assert response.status == 401
    bearer = {"Authorization": f"Bearer {fake.token}", "Accept": ACCEPT}
    async with http.get(f"{fake.root}/users", headers=bearer) as response:
        assert response.status == 401


async def test_the_versioning_header_is_required(
    fake: FakePagerDutyRest, http: aiohttp.ClientSession
) -> None:
    status, body, _ = await get(http, fake, "/users", accept="application/json")
    assert status == 400 and body["error"]["code"] == 2001


async def test_undocumented_parameters_and_paths_are_refused(
    fake: FakePagerDutyRest, http: aiohttp.ClientSession
) -> None:
    status, body, _ = await get(http, fake, "/users?page=2")
    assert status == 400 and "page is not a parameter" in body["error"]["errors"][0]
    status, body, _ = await get(http, fake, "/schedules/NOPE")
    assert status == 404 and body["error"] == {"message": "Not Found", "code": 2100}
    status, _, _ = await get(http, fake, "/maintenance_windows")
    assert status == 404
    status, _, _ = await get(http, fake, "/users/PXPGF42/notification_rules?urgency=some")
    assert status == 400
    status, body, _ = await get(http, fake, "/schedules/PI7DH85/overrides")
    assert status == 400 and "since and until are required" in body["error"]["errors"]


async def test_classic_pagination(fake: FakePagerDutyRest, http: aiohttp.ClientSession) -> None:
    status, first, _ = await get(http, fake, "/users?limit=4&total=true")
    assert status == 200
    assert (first["offset"], first["limit"], first["more"], first["total"]) == (0, 4, True, 9)
    _, last, _ = await get(http, fake, "/users?limit=4&offset=8")
    assert (len(last["users"]), last["more"], last["total"]) == (1, False, None)
    ids = [u["id"] for u in first["users"]]
    assert ids[:2] == ["PXPGF42", "PAM4FGS"]  # the description's example users come first
    assert all("@" in u["email"] for u in first["users"])
    status, _, _ = await get(http, fake, "/users?limit=101")
    assert status == 400


async def test_a_rate_limit_answers_429_with_the_documented_headers(
    fake: FakePagerDutyRest, http: aiohttp.ClientSession
) -> None:
    fake.rate_limit(reset_seconds=7)
    status, body, headers = await get(http, fake, "/users")
    assert status == 429 and body["error"]["message"]
    assert headers["ratelimit-reset"] == "7" and headers["ratelimit-remaining"] == "0"
    status, _, _ = await get(http, fake, "/users")
    assert status == 200


async def test_the_list_leaves_the_layers_out_and_the_schedule_has_them(
    fake: FakePagerDutyRest, http: aiohttp.ClientSession
) -> None:
    _, listed, _ = await get(http, fake, "/schedules")
    assert all("schedule_layers" not in s for s in listed["schedules"])
    _, one, _ = await get(http, fake, "/schedules/PI7DH85")
    layers = one["schedule"]["schedule_layers"]
    assert [layer["name"] for layer in layers] == ["Layer 1", "Weeknights", "Weekends"]
    assert "final_schedule" not in one["schedule"]


async def final(
    http: aiohttp.ClientSession, fake: FakePagerDutyRest, schedule: str, since: str, until: str
) -> list[tuple[str, str, str]]:
    path = f"/schedules/{schedule}?since={since}&until={until}"
    status, body, _ = await get(http, fake, path.replace("+", "%2B"))
    assert status == 200
    entries = body["schedule"]["final_schedule"]["rendered_schedule_entries"]
    return [(e["start"], e["end"], e["user"]["id"]) for e in entries]


async def test_weeknights_run_into_the_next_morning_and_the_later_layer_wins(
    fake: FakePagerDutyRest, http: aiohttp.ClientSession
) -> None:
    """Monday 18 January: the Weekends span (a later layer) holds until 08:00, Layer 1
    (08:00 for 9 hours daily) by day, nobody from 17:00 to 19:00, Weeknights from 19:00 into
    Tuesday 07:00 (Monday is its first night: no night began on Sunday). Weekends' turn 53
    from 9 January 2026 is its third user's, Earline, who holds Layer 1's Monday too: one
    stretch; Weeknights' turn 54 is its first user's."""
    entries = await final(
        http, fake, "PI7DH85", f"{YEAR}-01-18T00:00:00-05:00", f"{YEAR}-01-19T12:00:00-05:00"
    )
    assert [(start[8:16], end[8:16], user) for start, end, user in entries] == [
        ("18T00:00", "18T17:00", "PXPGF42"),
        ("18T19:00", "19T07:00", "PEYSGVF"),
        ("19T08:00", "19T12:00", "PAM4FGS"),
    ]


async def test_a_daily_handoff_stays_at_its_local_time_across_the_clock_change(
    fake: FakePagerDutyRest,
) -> None:
    """Layer 1 turns daily at 20:00 New York time from November 2015: 01:00 UTC in winter,
    00:00 UTC in summer; its 08:00-17:00 window ends at 17:00 on the clock either way."""
    render = fake.render("PI7DH85")
    layer = render.layers[0]
    first = render.turn(layer, datetime(YEAR, 1, 4, tzinfo=UTC))
    handoffs = [render.handoff(layer, n) for n in range(first, first + 240)]
    assert {h.astimezone(render.zone).hour for h in handoffs} == {20}
    assert {h.hour for h in handoffs if h.month == 1} == {1}
    assert {h.hour for h in handoffs if h.month == 7} == {0}
    assert render.layer_user(layer, datetime(YEAR, 7, 7, 20, 59, tzinfo=UTC)) is not None
    assert render.layer_user(layer, datetime(YEAR, 7, 7, 21, 0, tzinfo=UTC)) is None


async def test_turns_of_36_hours_count_elapsed_time(fake: FakePagerDutyRest) -> None:
    """From 5 January 2026 08:00 CET: every 36 real hours, so the handoffs move on Berlin's
    clock by an hour once summer time begins."""
    render = fake.render("PPLT036")
    layer = render.layers[0]
    handoffs = [render.handoff(layer, n).astimezone(render.zone) for n in range(0, 400)]
    assert {h.hour for h in handoffs if h.month == 1} == {8, 20}
    assert {h.hour for h in handoffs if h.month == 6} == {9, 21}


async def test_follow_the_sun_hands_over_at_the_schedules_utc_hours(
    fake: FakePagerDutyRest, http: aiohttp.ClientSession
) -> None:
    entries = await final(
        http, fake, "PFTS001", f"{YEAR}-03-16T00:00:00Z", f"{YEAR}-03-17T00:00:00Z"
    )
    assert [(start[11:16], end[11:16]) for start, end, _ in entries] == [
        ("00:00", "07:00"),
        ("07:00", "15:00"),
        ("15:00", "23:00"),
        ("23:00", "00:00"),
    ]


async def test_an_override_beats_every_layer(
    fake: FakePagerDutyRest, http: aiohttp.ClientSession
) -> None:
    override = fake.account.overrides["PI7DH85"][0]
    start = datetime.fromisoformat(override["start"])
    render = fake.render("PI7DH85")
    assert render.on_call(start) == "PNYC001"
    assert render.on_call(datetime.fromisoformat(override["end"])) != "PNYC001"


async def test_oncalls_follow_the_policies_and_their_schedules(
    fake: FakePagerDutyRest, http: aiohttp.ClientSession
) -> None:
    at = f"{YEAR}-03-16T16:00:00Z"
    path = f"/oncalls?since={at}&until={at}&schedule_ids[]=PFTS001"
    status, body, _ = await get(http, fake, path)
    assert status == 200
    assert [(o["escalation_level"], o["user"]["id"]) for o in body["oncalls"]] == [(1, "PNYC001")]
    status, body, _ = await get(http, fake, f"/oncalls?since={at}&until={at}&user_ids[]=PXPGF42")
    permanent = [o for o in body["oncalls"] if o["schedule"] is None]
    assert [(o["escalation_policy"]["id"], o["start"]) for o in permanent] == [("PSUNEP1", None)]


async def test_values_follow_the_described_types_and_enums(
    fake: FakePagerDutyRest, http: aiohttp.ClientSession
) -> None:
    for path, said in [
        ("/users?include[]=secrets", "include[]: 'secrets' is not one of"),
        ("/users?total=yes", "total: 'yes' is not true or false"),
        ("/users?limit=ten", "limit: 'ten' is not a whole number"),
        ("/users?limit=10&limit=20", "limit is given 2 times"),
        ("/schedules/PI7DH85?since=yesterday", "since: 'yesterday' is not an ISO 8601"),
        (
            "/schedules/PI7DH85?time_zone=Mars/Olympus",
            "time_zone: 'Mars/Olympus' is not a time zone",
        ),
    ]:
        status, body, _ = await get(http, fake, path)
        assert status == 400, path
        assert any(e.startswith(said) for e in body["error"]["errors"]), body
    status, body, _ = await get(http, fake, "/users?include[]=teams&include[]=contact_methods")
    assert status == 200
    status, body, _ = await get(http, fake, "/schedules?query=sun")
    assert [s["name"] for s in body["schedules"]] == ["Follow the Sun"]
