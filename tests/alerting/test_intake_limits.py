"""Alert intake a stranger cannot stall, over real HTTP (raw sockets for a body that trickles):

- a PagerDuty body's ``routing_key`` is read before the body is parsed: bodies that hold no
  key anyone has are refused naming the key alone (a parse would name every field wrong),
  counted so on /metrics, and a body over PagerDuty's own 512 KB limit ("Events API payloads
  are limited to 512 KB", the Events API v2 overview's "API Limits") is 413 unread;
- a body nested deeper than ``NESTING_MAX`` is 400 on every receiver, never a 500 with a
  ``RecursionError`` in the log;
- a body that stops arriving is cut off after ``WARROOM_BODY_READ_SECONDS``: 408, and the
  connection closed;
- a key that sends more than ``WARROOM_ALERT_RATE_PER_MINUTE`` is answered 429 with
  ``Retry-After`` (PagerDuty's overview: "429 | Too many API calls at a time | Yes - retry
  after some time"; Opsgenie's https://docs.opsgenie.com/docs/api-rate-limiting: "429 - Too
  Many Requests", a token bucket), while another key is let in, and its change events are
  counted apart from its alerts.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from bot.config import Secret
from bot.record.alerting.payloads import NESTING_MAX
from bot.record.alerting.services import parse_services
from bot.record.alerting.sources.pagerduty.receiver import MOST_BYTES
from bot.store.models import AlertPayload, ChangeEvent
from tests.alerting.test_vendor_apis import integration, pd_event
from tests.conftest import Clock, Warroom, WarroomFactory
from tests.helpers.alerts import TOKEN, count
from tests.helpers.metrics import scrape, value

NOW = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
SERVICES = {"services": [{"name": "checkout"}, {"name": "payments"}]}
PAYLOADS = "warroom_alert_payloads_total"
CHANGES = "warroom_change_events_total"
INVALID = {"status": "invalid event", "message": "Event object is invalid"}


@pytest.fixture
def warroom_settings(database_url: str) -> dict[str, object]:
    return {
        "database_url": database_url,
        "clock": Clock(NOW),
        "alerting__token": Secret(TOKEN),
        "alerting__catalog": parse_services(SERVICES),
    }


async def send(
    http: aiohttp.ClientSession,
    warroom: Warroom,
    path: str,
    body: dict[str, Any] | bytes,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """(the status, the JSON answer, the answer's headers)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", **(headers or {})}
    async with http.post(f"{warroom.url}{path}", data=data, headers=headers) as answer:
        return answer.status, await answer.json(), dict(answer.headers)


def padded(event: dict[str, Any], size: int) -> bytes:
    """``event`` with a ``custom_details`` of many small objects, ``size`` bytes in all: a
    body whose parse takes time (every object walked)."""
    details = {"pad": "PAD"}
    body = json.dumps({**event, "payload": {**event["payload"], "custom_details": details}})
    unit = '{"k": [1, 2]}, '
    fill = "[" + unit * ((size - len(body)) // len(unit) - 1) + "{}]"
    return body.replace('"PAD"', fill).encode()


async def test_bodies_without_a_known_key_are_refused_before_they_are_parsed(
    warroom: Warroom,
) -> None:
    key = await integration(warroom, "pagerduty", "checkout")
    # Every field wrong but the key: a parse would name them all.
    wrong = pd_event("trigger", "R0UT1NGKEY0000000000000000000000")
    wrong["event_action"] = "page"
    keyless = {k: v for k, v in wrong.items() if k != "routing_key"}
    near_limit = MOST_BYTES - 1024
    bodies = [padded(wrong, near_limit) for _ in range(4)] + [
        padded(keyless, near_limit) for _ in range(4)
    ]
    assert all(len(body) < MOST_BYTES for body in bodies)
    over = [padded(keyless, 1_000_000) for _ in range(8)]  # 1 MB: within 1 MiB, over 512 KB
    valid = pd_event("trigger", key, dedup_key="disk-full")
    async with aiohttp.ClientSession() as http:
        answers = await asyncio.gather(
            *(send(http, warroom, "/v2/enqueue", body) for body in [*bodies, *over]),
            send(http, warroom, "/v2/enqueue", valid),
        )
    *strangers, (status, answer, _) = answers
    assert status == 202, answer
    errors = [(status, answer.get("errors")) for status, answer, _ in strangers]
    assert errors == (
        [(400, ["Invalid routing key"])] * 4
        + [(400, ["'routing_key' is missing or blank"])] * 4
        + [(413, [f"body is larger than {MOST_BYTES} bytes"])] * 8
    )
    assert all(answer["status"] == "invalid event" for _, answer, _ in strangers)
    samples = await scrape(warroom)
    counted = {
        outcome: value(samples, PAYLOADS, source="pagerduty", outcome=outcome)
        for outcome in ("accepted", "unauthorized", "invalid", "too_large", "too_slow")
    }
    assert counted == {
        "accepted": 1.0,
        "unauthorized": 4.0,
        "invalid": 4.0,
        "too_large": 8.0,
        "too_slow": None,
    }
    assert await count(warroom, AlertPayload) == 1


def deep(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


async def test_a_body_nested_too_deep_is_400_on_every_receiver_and_nothing_is_logged(
    warroom: Warroom, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    pagerduty = await integration(warroom, "pagerduty", "checkout")
    changes = await integration(warroom, "changes", "checkout")
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    receivers = {
        "/v2/enqueue": ({"routing_key": pagerduty}, {}),
        "/v2/change/enqueue": ({"routing_key": pagerduty}, {}),
        "/alerts/alertmanager": ({}, bearer),
        "/alerts/generic": ({"title": "Deep"}, bearer),
        "/alerts/datadog": ({}, bearer),
        "/v2/alerts": ({"message": "Deep"}, {"Authorization": f"GenieKey {TOKEN}"}),
        "/api/changes": ({"kind": "deploy"}, {"Authorization": f"Bearer {changes}"}),
    }
    # Just past the limit, near Python's recursion limit (which a walk of the parsed body
    # would meet), and far past it (which the JSON reader meets).
    # (The body's own object is a level: its field holds depth - 1 more.)
    depths = (100_000, 960, NESTING_MAX)
    async with aiohttp.ClientSession() as http:
        for path, (fields, headers) in receivers.items():
            for depth in depths:
                body = json.dumps({**fields, "nested": "DEEP"}).replace('"DEEP"', deep(depth))
                status, answer, _ = await send(http, warroom, path, body.encode(), headers)
                assert status == 400, (path, depth, answer)
                said = json.dumps(answer)
                assert f"nests arrays or objects deeper than {NESTING_MAX}" in said, path
            # Within the limit: read as ever (accepted, or refused for what it lacks).
            body = json.dumps({**fields, "nested": "DEEP"}).replace('"DEEP"', deep(NESTING_MAX - 1))
            status, answer, _ = await send(http, warroom, path, body.encode(), headers)
            assert "nests arrays" not in json.dumps(answer), path
    problems = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not problems, [r.getMessage()[:200] for r in problems]
    assert await count(warroom, ChangeEvent) == 0


async def half_sent(warroom: Warroom, path: str, headers: dict[str, str]) -> bytes:
    """Everything the server sends back to a request that declares a 1,000-byte body, sends
    100 bytes of it and stalls, until the server closes the connection (at most 30 s)."""
    host, port = warroom.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = "".join(f"{name}: {given}\r\n" for name, given in headers.items())
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: 1000\r\n{head}\r\n".encode()
        + b'{"routing_key": "'
        + b"x" * 83
    )
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(), 30)  # to the end: the server closed
    except TimeoutError:
        return b"(still open after 30 s)"
    finally:
        writer.close()


async def test_a_body_that_stops_arriving_is_cut_off_with_408_and_its_connection_closed(
    warroom_with: WarroomFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    warroom = await warroom_with(alerting__token=Secret(TOKEN), runtime__body_read_seconds=0.5)
    receivers = {
        "/v2/enqueue": {},
        "/alerts/alertmanager": {"Authorization": f"Bearer {TOKEN}"},
        "/slack/events": {},
    }
    answers = await asyncio.gather(
        *(half_sent(warroom, path, headers) for path, headers in receivers.items())
    )
    for path, answer in zip(receivers, answers, strict=True):
        assert answer.startswith(b"HTTP/1.1 408 "), (path, answer[:200])
        assert b"did not arrive within 0.5 s" in answer, path
    samples = await scrape(warroom)
    assert value(samples, PAYLOADS, source="pagerduty", outcome="body_timeout") == 1.0
    assert value(samples, PAYLOADS, source="alertmanager", outcome="body_timeout") == 1.0
    problems = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not problems, [r.getMessage()[:200] for r in problems]
    assert await count(warroom, AlertPayload) == 0


async def test_a_key_past_its_pace_is_429_with_retry_after_and_another_key_is_let_in(
    warroom_with: WarroomFactory, warroom_settings: dict[str, Any]
) -> None:
    warroom = await warroom_with(**warroom_settings, alerting__rate_per_minute=120)
    busy = await integration(warroom, "pagerduty", "checkout")
    other = await integration(warroom, "pagerduty", "payments")

    def event(key: str, n: int) -> dict[str, Any]:
        return pd_event("acknowledge", key, dedup_key=f"disk-{n}")

    def change(key: str, n: int) -> dict[str, Any]:
        return {"routing_key": key, "payload": {"summary": f"Deployed v{n}", "source": "ci"}}

    async with aiohttp.ClientSession() as http:
        for n in range(120):
            status, answer, _ = await send(http, warroom, "/v2/enqueue", event(busy, n))
            assert status == 202, (n, answer)
        status, answer, headers = await send(http, warroom, "/v2/enqueue", event(busy, 120))
        assert status == 429, answer
        assert answer["status"] == "invalid event" and "too many" in answer["message"]
        assert int(headers["Retry-After"]) >= 1
        # Another key is let in; the busy key's change events are counted apart.
        assert (await send(http, warroom, "/v2/enqueue", event(other, 0)))[0] == 202
        assert (await send(http, warroom, "/v2/change/enqueue", change(busy, 0)))[0] == 202
        for n in range(1, 120):
            status, answer, _ = await send(http, warroom, "/v2/change/enqueue", change(busy, n))
            assert status == 202, (n, answer)
        status, _, headers = await send(http, warroom, "/v2/change/enqueue", change(busy, 120))
        assert status == 429 and int(headers["Retry-After"]) >= 1
        # A minute on, the bucket is full again.
        warroom.clock.now += timedelta(minutes=1)
        assert (await send(http, warroom, "/v2/enqueue", event(busy, 121)))[0] == 202
    samples = await scrape(warroom)
    assert value(samples, PAYLOADS, source="pagerduty", outcome="rate_limited") == 1.0
    assert value(samples, PAYLOADS, source="pagerduty", outcome="accepted") == 122.0
    # The change events turned away are counted too, apart from the alerts.
    assert value(samples, CHANGES, source="pagerduty", outcome="rate_limited") == 1.0
    assert value(samples, CHANGES, source="pagerduty", outcome="accepted") == 120.0
    assert await count(warroom, AlertPayload) == 122
    assert await count(warroom, ChangeEvent) == 120
