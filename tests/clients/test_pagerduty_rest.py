"""PagerDuty's REST API read by ``bot.clients.pagerduty.rest``, against the fake PagerDuty
(``emulator/pagerduty_rest.py``) over real HTTP on 127.0.0.1: every page followed, a 429
waited out for what ``ratelimit-reset`` says, each failure one line, and who is on call asked
of the schedule's final schedule a week at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from bot.clients.importing import ImportFailure, VendorApi
from bot.clients.pagerduty.rest import PagerDuty
from bot.record.oncall.importing.drafts import Person, ScheduleRef
from emulator.pagerduty_account import Account, documented_account
from emulator.pagerduty_rest import FakePagerDutyRest

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
YEAR = 2027


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def fake() -> AsyncIterator[FakePagerDutyRest]:
    async with FakePagerDutyRest(documented_account(YEAR)) as pagerduty:
        yield pagerduty


def api_of(http: aiohttp.ClientSession, fake: FakePagerDutyRest, token: str = "") -> VendorApi:
    return VendorApi(http, PagerDuty(), fake.root, token or fake.token, backoff_seconds=0.01)


async def test_every_page_of_users_is_read(http: aiohttp.ClientSession) -> None:
    account = documented_account(YEAR)
    account.users = [
        {"id": f"PU{n:05d}", "type": "user", "name": f"User {n}", "email": f"u{n}@example.com"}
        for n in range(230)
    ]
    async with FakePagerDutyRest(account) as fake:
        translation = await PagerDuty().read_account(api_of(http, fake), NOW)
    assert len(translation.users) == 230
    pages = [path for path in fake.requests if path.startswith("/users?")]
    assert pages == [
        "/users?limit=100&offset=0",
        "/users?limit=100&offset=100",
        "/users?limit=100&offset=200",
    ]


async def test_a_429_is_waited_out(fake: FakePagerDutyRest, http: aiohttp.ClientSession) -> None:
    fake.rate_limit(times=2, reset_seconds=0)
    translation = await PagerDuty().read_account(api_of(http, fake), NOW)
    assert len(translation.schedules) == 3
    assert fake.requests[:3] == ["/users?limit=100&offset=0"] * 3


def test_the_wait_is_what_ratelimit_reset_says() -> None:
    vendor = PagerDuty()
    assert vendor.rate_limit_wait({"ratelimit-reset": "12"}) == 12.0
    assert vendor.rate_limit_wait({"Retry-After": "3"}) == 3.0
    assert vendor.rate_limit_wait({"ratelimit-reset": "soon"}) is None
    assert vendor.rate_limit_wait({}) is None


@pytest.mark.parametrize(
    ("mishap", "said"),
    [
        (
            "token",
            "PagerDuty refused the token (HTTP 401 to GET /users?limit=100&offset=0: "
            "Authentication failed): check --token or PAGERDUTY_API_TOKEN",
        ),
        (
            "5xx",
            "PagerDuty answered HTTP 503 to GET /users?limit=100&offset=0: Internal Server Error",
        ),
        (
            "garbage",
            "PagerDuty answered GET /users?limit=100&offset=0 with something that is not JSON",
        ),
    ],
)
async def test_each_failure_is_one_line(
    fake: FakePagerDutyRest, http: aiohttp.ClientSession, mishap: str, said: str
) -> None:
    if mishap == "5xx":
        fake.fail(503)
    if mishap == "garbage":
        fake.answer_garbage()
    api = api_of(http, fake, token="wrong-token" if mishap == "token" else "")
    with pytest.raises(ImportFailure) as failure:
        await PagerDuty().read_account(api, NOW)
    assert failure.value.detail == said
    assert "wrong-token" not in failure.value.detail


async def test_an_object_unlike_the_description_is_one_line(
    http: aiohttp.ClientSession,
) -> None:
    account = documented_account(YEAR)
    account.schedules[0]["schedule_layers"][0]["rotation_turn_length_seconds"] = "daily"
    async with FakePagerDutyRest(account) as fake:
        with pytest.raises(ImportFailure) as failure:
            await PagerDuty().read_account(api_of(http, fake), NOW)
    assert failure.value.detail.startswith("PagerDuty answered with something its API does not")
    assert "rotation_turn_length_seconds" in failure.value.detail


async def test_who_is_on_call_is_read_a_week_at_a_time(
    fake: FakePagerDutyRest, http: aiohttp.ClientSession
) -> None:
    vendor, api = PagerDuty(), api_of(http, fake)
    start = datetime(YEAR, 3, 12, 23, tzinfo=UTC)  # the override: Rosa Diaz
    hours = [start + timedelta(hours=n) for n in range(24 * 10)]
    answers = [await vendor.on_call(api, ScheduleRef("PI7DH85"), at) for at in hours]
    assert answers[0] == frozenset({Person("PNYC001")})
    assert frozenset() in answers  # 17:00-19:00 New York: nobody
    reads = [path for path in fake.requests if path.startswith("/schedules/PI7DH85?")]
    assert len(reads) == 2
    render = fake.render("PI7DH85")
    expected = [render.on_call(at) for at in hours]
    assert answers == [frozenset({Person(user)} if user else ()) for user in expected]


async def test_an_empty_account_is_nothing_to_translate(http: aiohttp.ClientSession) -> None:
    async with FakePagerDutyRest(Account()) as fake:
        translation = await PagerDuty().read_account(api_of(http, fake), NOW)
    assert translation.schedules == () and translation.report == ()
