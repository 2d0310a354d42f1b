"""Tests for the fake PagerDuty Events API v2, driven over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from emulator.pagerduty import MAX_BODY_BYTES, FakePagerDuty, ReceivedRequest

KEY = "R0UT1NGKEY0123456789abcdefABCDEF"
OTHER_KEY = "0THERR0UT1NGKEY0123456789abcdef0"
assert len(KEY) == len(OTHER_KEY) == 32


@pytest.fixture
async def fake() -> AsyncIterator[FakePagerDuty]:
    async with FakePagerDuty() as pagerduty:
        yield pagerduty


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def trigger(dedup_key: str | None = "warroom-INC-42", **changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "routing_key": KEY,
        "event_action": "trigger",
        "payload": {
            "summary": "INC-42: checkout is down",
            "source": "checkout-api",
            "severity": "critical",
            "timestamp": "2026-08-01T10:00:00Z",
            "component": "payments",
            "group": "prod",
            "class": "outage",
            "custom_details": {"commander": "alice"},
        },
        "client": "warroom",
        "client_url": "https://slack.example/archives/C1",
        "links": [{"href": "https://slack.example/archives/C1", "text": "War room"}],
        "images": [{"src": "https://example.com/graph.png"}],
    }
    if dedup_key is not None:
        event["dedup_key"] = dedup_key
    event.update(changes)
    return event


def action(event_action: str, dedup_key: str = "warroom-INC-42", key: str = KEY) -> dict:
    return {"routing_key": key, "event_action": event_action, "dedup_key": dedup_key}


async def post(
    http: aiohttp.ClientSession, fake: FakePagerDuty, event: Any, **kwargs: Any
) -> tuple[int, dict[str, Any], aiohttp.ClientResponse]:
    async with http.post(fake.events_url, json=event, **kwargs) as response:
        return response.status, await response.json(), response


# -- accepted events ----------------------------------------------------------------------------
async def test_valid_trigger_is_accepted_and_echoes_dedup_key(fake, http):
    assert fake.events_url.startswith("http://127.0.0.1:")
    assert fake.events_url.endswith("/v2/enqueue")

    status, body, response = await post(http, fake, trigger())

    assert status == 202
    assert response.content_type == "application/json"
    assert body == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "warroom-INC-42",
    }
    assert fake.events == [trigger()]
    assert fake.events_for("warroom-INC-42") == [trigger()]
    assert fake.events_for("warroom-INC-7") == []
    assert fake.incidents() == {(KEY, "warroom-INC-42"): "triggered"}
    [request] = fake.requests
    assert isinstance(request, ReceivedRequest)
    assert (request.method, request.path, request.status) == ("POST", "/v2/enqueue", 202)
    assert request.headers["content-type"] == "application/json"  # case-insensitive
    assert "Authorization" not in request.headers
    assert json.loads(request.body) == trigger()
    assert request.event == trigger()
    assert request.response == body
    assert not request.stalled


async def test_minimal_trigger_without_optional_fields_is_accepted(fake, http):
    event = {
        "routing_key": KEY,
        "event_action": "trigger",
        "payload": {"summary": "s", "source": "h", "severity": "info"},
    }
    status, body, _ = await post(http, fake, event)
    assert status == 202, body


async def test_trigger_without_dedup_key_gets_a_generated_one(fake, http):
    status, body, _ = await post(http, fake, trigger(dedup_key=None))

    assert status == 202
    generated = body["dedup_key"]
    assert isinstance(generated, str) and 0 < len(generated) <= 255
    assert fake.events[0]["dedup_key"] == generated
    assert fake.events_for(generated) == fake.events
    assert fake.incidents() == {(KEY, generated): "triggered"}
    assert "dedup_key" not in fake.requests[0].event  # the body as sent is kept verbatim

    _, second, _ = await post(http, fake, trigger(dedup_key=None))
    assert second["dedup_key"] != generated


@pytest.mark.parametrize(
    "timestamp", ["2026-08-01T10:00:00Z", "2026-08-01T10:00:00.123+02:00", "2026-08-01"]
)
async def test_iso_8601_timestamps_are_accepted(fake, http, timestamp):
    event = trigger()
    event["payload"]["timestamp"] = timestamp
    status, body, _ = await post(http, fake, event)
    assert status == 202, body


# -- rejected events ----------------------------------------------------------------------------
def _without(event: dict[str, Any], *path: str) -> dict[str, Any]:
    target = event
    for name in path[:-1]:
        target = target[name]
    del target[path[-1]]
    return event


def _with_payload(**changes: Any) -> dict[str, Any]:
    event = trigger()
    event["payload"].update(changes)
    return event


INVALID_EVENTS = {
    "not an object": ([trigger()], "JSON object"),
    "missing routing_key": (_without(trigger(), "routing_key"), "'routing_key' is missing"),
    "blank routing_key": (trigger(routing_key="   "), "'routing_key' is missing"),
    "short routing_key": (trigger(routing_key="abc"), "Length of 'routing_key'"),
    "routing_key not a string": (trigger(routing_key=12345), "'routing_key' must be a string"),
    "missing event_action": (_without(trigger(), "event_action"), "'event_action' is missing"),
    "bad event_action": (trigger(event_action="escalate"), "'event_action' must be one of"),
    "missing payload": (_without(trigger(), "payload"), "'payload' is missing"),
    "payload not an object": (trigger(payload="down"), "'payload' must be an object"),
    "missing summary": (_without(trigger(), "payload", "summary"), "'payload.summary' is missing"),
    "empty summary": (_with_payload(summary=""), "'payload.summary' is missing"),
    "summary too long": (_with_payload(summary="x" * 1025), "'payload.summary' is too long"),
    "missing source": (_without(trigger(), "payload", "source"), "'payload.source' is missing"),
    "empty source": (_with_payload(source=""), "'payload.source' is missing"),
    "missing severity": (
        _without(trigger(), "payload", "severity"),
        "'payload.severity' is missing",
    ),
    "bad severity": (_with_payload(severity="sev1"), "'payload.severity' must be one of"),
    "bad timestamp": (_with_payload(timestamp="yesterday"), "'payload.timestamp'"),
    "dedup_key too long": (trigger(dedup_key="k" * 256), "'dedup_key' is too long"),
    "links not a list": (trigger(links={"href": "x"}), "'links' must be a list"),
    "link without href": (trigger(links=[{"text": "x"}]), "'links[0].href'"),
    "image without src": (trigger(images=[{"href": "x"}]), "'images[0].src'"),
    "acknowledge without dedup_key": (
        _without(action("acknowledge"), "dedup_key"),
        "'dedup_key' is missing",
    ),
    "resolve with blank dedup_key": (action("resolve", dedup_key=""), "'dedup_key' is missing"),
}


@pytest.mark.parametrize(("event", "error"), INVALID_EVENTS.values(), ids=INVALID_EVENTS.keys())
async def test_invalid_event_is_rejected_with_400(fake, http, event, error):
    status, body, _ = await post(http, fake, event)

    assert status == 400
    assert body["status"] == "invalid event"
    assert body["message"] == "Event object is invalid"
    assert any(error in message for message in body["errors"]), body["errors"]
    assert fake.events == []
    assert fake.incidents() == {}
    assert [r.status for r in fake.requests] == [400]


async def test_boundary_lengths_are_accepted(fake, http):
    event = trigger(dedup_key="k" * 255)
    event["payload"]["summary"] = "x" * 1024
    status, body, _ = await post(http, fake, event)
    assert status == 202, body


async def test_all_errors_are_listed_together(fake, http):
    event = {"routing_key": "short", "event_action": "trigger", "payload": {"severity": "bad"}}
    status, body, _ = await post(http, fake, event)

    assert status == 400
    assert len(body["errors"]) == 4  # routing_key, summary, source, severity


async def test_invalid_json_is_rejected_with_400(fake, http):
    headers = {"Content-Type": "application/json"}
    async with http.post(fake.events_url, data=b'{"routing_key": ', headers=headers) as response:
        status, body = response.status, await response.json()

    assert status == 400
    assert body["status"] == "invalid event"
    assert "not valid JSON" in body["errors"][0]
    assert fake.events == []
    assert fake.requests[0].body == b'{"routing_key": '
    assert fake.requests[0].event is None


async def test_wrong_content_type_is_rejected_with_400(fake, http):
    body = json.dumps(trigger()).encode()
    headers = {"Content-Type": "text/plain"}
    async with http.post(fake.events_url, data=body, headers=headers) as response:
        assert response.status == 400
        assert "Content-Type" in (await response.json())["errors"][0]
    assert fake.events == []


async def test_body_over_512_kb_is_rejected_with_413(fake, http):
    event = trigger()
    event["payload"]["custom_details"] = {"log": ""}
    padding = MAX_BODY_BYTES - len(json.dumps(event).encode())
    event["payload"]["custom_details"]["log"] = "x" * padding
    assert len(json.dumps(event).encode()) == MAX_BODY_BYTES

    async with http.post(fake.events_url, data=json.dumps(event), headers=_JSON) as response:
        assert response.status == 202  # exactly 512 KB is fine

    event["payload"]["custom_details"]["log"] += "x"
    async with http.post(fake.events_url, data=json.dumps(event), headers=_JSON) as response:
        assert response.status == 413

    assert [r.status for r in fake.requests] == [202, 413]
    assert len(fake.events) == 1


_JSON = {"Content-Type": "application/json"}


async def test_other_paths_and_methods_are_answered_and_recorded(fake, http):
    root = fake.events_url.removesuffix("/v2/enqueue")
    async with http.post(root + "/v2/enqueue/", json=trigger()) as response:
        assert response.status == 404
    async with http.get(fake.events_url) as response:
        assert response.status == 405
    assert [(r.method, r.path, r.status) for r in fake.requests] == [
        ("POST", "/v2/enqueue/", 404),
        ("GET", "/v2/enqueue", 405),
    ]
    assert fake.events == []


# -- injected failures --------------------------------------------------------------------------
async def test_fail_with_500_then_success(fake, http):
    fake.fail(500)

    status, body, _ = await post(http, fake, trigger())
    assert status == 500
    assert body["status"] == "error"
    assert fake.events == []
    assert fake.incidents() == {}

    status, _, _ = await post(http, fake, trigger())
    assert status == 202
    assert len(fake.events) == 1
    assert [r.status for r in fake.requests] == [500, 202]


async def test_fail_with_429_and_retry_after_several_times(fake, http):
    fake.fail(429, times=2, retry_after=7)

    for _ in range(2):
        status, body, response = await post(http, fake, trigger())
        assert status == 429
        assert response.headers["Retry-After"] == "7"
        assert body["status"] == "throttle event"

    status, _, response = await post(http, fake, trigger())
    assert status == 202
    assert "Retry-After" not in response.headers
    assert [r.status for r in fake.requests] == [429, 429, 202]
    assert len(fake.events) == 1


async def test_failure_applies_even_to_an_invalid_event(fake, http):
    fake.fail(503)
    status, _, _ = await post(http, fake, {"nonsense": True})
    assert status == 503


def test_fail_and_stall_reject_bad_arguments():
    pagerduty = FakePagerDuty()
    with pytest.raises(ValueError, match="4xx or 5xx"):
        pagerduty.fail(202)
    with pytest.raises(ValueError, match="times"):
        pagerduty.fail(500, times=0)
    with pytest.raises(ValueError, match="seconds"):
        pagerduty.stall(-1)
    with pytest.raises(RuntimeError, match="not started"):
        _ = pagerduty.events_url


async def test_stall_makes_the_client_time_out_and_is_not_accepted(fake, http):
    # The client gives up well before the stall ends, but only after its request has had time
    # to reach the fake on a busy machine: with 0.1 s it once gave up before the fake took the
    # request, and the retry was the one stalled (answered 504).
    fake.stall(2.0)

    with pytest.raises(TimeoutError):
        await post(http, fake, trigger(), timeout=aiohttp.ClientTimeout(total=0.5))

    status, _, _ = await post(http, fake, trigger())  # the retry
    assert status == 202

    [stalled] = await fake.wait_for(lambda: [r for r in fake.requests if r.stalled])
    assert stalled.status == 504
    assert stalled.event == trigger()
    assert len(fake.events) == 1
    assert fake.incidents() == {(KEY, "warroom-INC-42"): "triggered"}


async def test_stalled_request_is_answered_504_after_the_delay(fake, http):
    fake.stall(0.3, times=2)

    started = time.monotonic()
    results = await asyncio.gather(*(post(http, fake, trigger()) for _ in range(2)))
    elapsed = time.monotonic() - started

    assert [status for status, _, _ in results] == [504, 504]
    assert 0.3 <= elapsed < 5  # after the delay, and not held for ever
    assert fake.events == []
    status, _, _ = await post(http, fake, trigger())
    assert status == 202


async def test_fail_and_stall_are_consumed_in_call_order(fake, http):
    fake.fail(500)
    fake.stall(0.05)
    fake.fail(429, retry_after=1)

    statuses = [(await post(http, fake, trigger()))[0] for _ in range(4)]

    assert statuses == [500, 504, 429, 202]
    assert [r.stalled for r in fake.requests] == [False, True, False, False]


async def test_stop_ends_a_stall_at_once(http):
    pagerduty = FakePagerDuty()
    await pagerduty.start()
    pagerduty.stall(30)
    request = asyncio.create_task(post(http, pagerduty, trigger()))
    await asyncio.sleep(0.2)  # the request is now held by the stall

    started = time.monotonic()
    await pagerduty.stop()
    assert time.monotonic() - started < 5.0  # not the stall's 30 s (a loaded machine is slow)

    status, _, _ = await request
    assert status == 504
    assert [r.stalled for r in pagerduty.requests] == [True]
    assert pagerduty.events == []
    await pagerduty.stop()  # idempotent


# -- alert state --------------------------------------------------------------------------------
async def test_trigger_acknowledge_resolve_lifecycle(fake, http):
    alert = (KEY, "warroom-INC-42")

    assert (await post(http, fake, trigger()))[0] == 202
    assert fake.incidents() == {alert: "triggered"}

    assert (await post(http, fake, action("acknowledge")))[0] == 202
    assert fake.incidents() == {alert: "acknowledged"}

    assert (await post(http, fake, trigger()))[0] == 202  # joins the open alert
    assert fake.incidents() == {alert: "acknowledged"}

    _, body, _ = await post(http, fake, action("resolve"))
    assert body["dedup_key"] == "warroom-INC-42"
    assert fake.incidents() == {alert: "resolved"}

    assert (await post(http, fake, action("acknowledge")))[0] == 202  # closed: dropped
    assert fake.incidents() == {alert: "resolved"}

    assert (await post(http, fake, trigger()))[0] == 202  # a new alert
    assert fake.incidents() == {alert: "triggered"}

    actions = [event["event_action"] for event in fake.events_for("warroom-INC-42")]
    assert actions == ["trigger", "acknowledge", "trigger", "resolve", "acknowledge", "trigger"]


async def test_acknowledge_and_resolve_with_another_routing_key_are_dropped(fake, http):
    await post(http, fake, trigger())

    for event_action in ("acknowledge", "resolve"):
        status, body, _ = await post(http, fake, action(event_action, key=OTHER_KEY))
        assert status == 202  # accepted, as PagerDuty does ...
        assert body["status"] == "success"

    assert fake.incidents() == {(KEY, "warroom-INC-42"): "triggered"}  # ... but dropped
    assert len(fake.events) == 3


async def test_acknowledge_or_resolve_of_an_unknown_alert_is_dropped(fake, http):
    assert (await post(http, fake, action("acknowledge", dedup_key="nope")))[0] == 202
    assert (await post(http, fake, action("resolve", dedup_key="nope")))[0] == 202
    assert fake.incidents() == {}
    assert len(fake.events_for("nope")) == 2


async def test_same_dedup_key_on_two_routing_keys_are_two_alerts(fake, http):
    await post(http, fake, trigger())
    await post(http, fake, trigger(routing_key=OTHER_KEY))
    await post(http, fake, action("resolve", key=OTHER_KEY))

    assert fake.incidents() == {
        (KEY, "warroom-INC-42"): "triggered",
        (OTHER_KEY, "warroom-INC-42"): "resolved",
    }
    fake.incidents().clear()  # a copy
    assert len(fake.incidents()) == 2


# -- wait_for -----------------------------------------------------------------------------------
async def test_wait_for_returns_the_truthy_value(fake, http):
    async def send_later() -> None:
        await asyncio.sleep(0.05)
        await post(http, fake, trigger())

    task = asyncio.create_task(send_later())
    events = await fake.wait_for(lambda: fake.events_for("warroom-INC-42"))
    await task
    assert events == [trigger()]


async def test_wait_for_times_out_with_a_helpful_message(fake, http):
    await post(http, fake, trigger(event_action="escalate"))

    with pytest.raises(AssertionError) as raised:
        await fake.wait_for(lambda: fake.events, timeout=0.05)

    message = str(raised.value)
    assert "after 0.05s" in message
    assert "0 event(s) accepted, 1 request(s)" in message
    assert "POST /v2/enqueue -> 400" in message
    assert "'event_action' must be one of" in message
