"""The seam of alert sources: a source added through the registry alone, with no
product file edited, is received on its own path, keyed, limited and answered in its own
words, and its alert pages the person on call. The fake source has the shape of a vendor's
events API whose key is in the body (PagerDuty's Events API v2,
https://developer.pagerduty.com/docs/events-api-v2/trigger-events/: ``routing_key``,
``event_action``, ``dedup_key``, ``payload``; 202 ``{"status": "success", "message": "Event
processed", "dedup_key": …}``, 400 ``{"status": "invalid event", …, "errors": […]}``), the
hardest case for the seam: the key can only be checked once the body is read (and is, before
it is parsed)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.cli import main
from bot.record.alerting.payloads import AlertSeen, Notification, json_object
from bot.record.alerting.sources.generic.receiver import read_generic
from bot.record.alerting.sources.registry import SOURCES, parse
from bot.record.alerting.sources.source import (
    STATUS,
    Carries,
    Delivery,
    KeyPlace,
    Refusal,
    Reply,
    SourceEntry,
    Why,
    hmac_sha256,
    same_key,
)
from bot.record.alerting.sources.webhook import WebhookSource
from bot.record.oncall.importing import opsgenie_services
from bot.store.models import AlertPayload
from emulator import Channel, FakeNtfy
from tests.alerting.conftest import NIGHT, TOPIC, night_paging
from tests.conftest import CAROL, Warroom
from tests.helpers.alerts import TOKEN, count
from tests.helpers.metrics import scrape, value
from tests.paging.scenario import person_pages

NOW = NIGHT
PATH = "/fake/v1/enqueue"
PAYLOADS = "warroom_alert_payloads_total"


def one_alert(
    kind: str,
    *,
    key: str,
    status: str,
    name: str,
    summary: str,
    received_at: datetime,
    sender: str,
) -> Notification:
    """A notification of one critical alert named ``name``, as a made-up source reads one."""
    labels = {"alertname": name, "severity": "critical"}
    alert = AlertSeen(
        fingerprint=key,
        status=status,
        labels=labels,
        annotations={"summary": summary},
        starts_at=received_at,
        ends_at=received_at if status == "resolved" else None,
        start_given=False,
    )
    return Notification(
        source=kind,
        group_key=key,
        status=status,
        alerts=(alert,),
        common_labels=labels,
        common_annotations={"summary": summary},
        title=summary,
        sender=sender,
    )


@dataclass(frozen=True)
class FakeEvents:
    """A vendor's events API as an alert source, written as a new source's folder would be:
    its key read from the body, its answers its vendor's."""

    def key(self, delivery: Delivery) -> str | None:
        # Read before the body is parsed; a body that is no JSON object is refused here.
        key = json_object(delivery.body.decode()).get("routing_key")
        return key if isinstance(key, str) else None

    def parse(self, body: str, *, received_at: datetime) -> Notification:
        document = json_object(body)
        payload = document.get("payload") or {}
        action = document.get("event_action")
        status = {"trigger": "firing", "resolve": "resolved"}.get(str(action), "")
        return one_alert(
            FAKE_KIND,
            key=str(document.get("dedup_key", "")),
            status=status,
            name=str(payload.get("component", "")),
            summary=str(payload.get("summary", "")),
            received_at=received_at,
            sender="Fake events",
        )

    def accepted(self, payload_id: int, notification: Notification) -> Reply:
        body = {"status": "success", "message": "Event processed"}
        return Reply(202, {**body, "dedup_key": notification.group_key})

    def refused(self, refusal: Refusal) -> Reply:
        # The vendor answers a wrong key as an invalid event, naming the field.
        status = 400 if refusal.why in (Why.INVALID, Why.UNAUTHORIZED) else STATUS[refusal.why]
        errors = list(refusal.problems) or [
            "Invalid routing key" if refusal.why is Why.UNAUTHORIZED else refusal.message
        ]
        return Reply(
            status,
            {"status": "invalid event", "message": "Event object is invalid", "errors": errors},
        )


FAKE_KIND = "fake_events"
# Its registry line: the only change anywhere.
FAKE = SourceEntry(FAKE_KIND, Carries.ALERTS, (PATH,), KeyPlace.BODY, FakeEvents())
SIGNED_PATH = "/fake/v1/hooks"


@dataclass(frozen=True)
class SignedHooks(WebhookSource):
    """A vendor's webhooks signed with the integration's key, as Sentry signs its own
    (https://docs.sentry.io/organization/integrations/integration-platform/webhooks/:
    ``Sentry-Hook-Signature``, the hex HMAC-SHA256 of the body with the client secret), in the
    generic shape and warroom's answers."""

    def signed(self, delivery: Delivery, body: bytes, key: str) -> bool:
        return same_key(delivery.headers.get("Fake-Hook-Signature"), hmac_sha256(key, body))


SIGNED = SourceEntry(
    "fake_hooks", Carries.ALERTS, (SIGNED_PATH,), KeyPlace.SIGNATURE, SignedHooks(read_generic)
)


def event(action: str, *, key: str = TOKEN) -> dict[str, Any]:
    return {
        "routing_key": key,
        "event_action": action,
        "dedup_key": "queue-lag-worker-1",
        "payload": {"summary": "Queue lag on worker-1", "component": "QueueLag"},
    }


@pytest.fixture
def fake_source() -> Iterator[SourceEntry]:
    """The fake sources in the registry for the test's time: the only change anywhere."""
    with SOURCES.registered(SIGNED), SOURCES.registered(FAKE):
        yield FAKE


@pytest.fixture
def warroom_settings(
    fake_source: SourceEntry, database_url: str, tmp_path: Path, ops: Channel, ntfy: FakeNtfy
) -> dict[str, object]:
    route = {
        "name": "queues",
        "match": {"alertname": "QueueLag"},
        "action": "page",
        "policy": "queues",
        "channel": ops.id,
        "severity": "SEV3",
    }
    return night_paging(
        database_url, tmp_path, ntfy, {"routes": [route]}, alerting__max_body_bytes=4096
    )


async def send(
    warroom: Warroom,
    body: dict[str, Any] | bytes,
    path: str = PATH,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    """POST to a fake vendor's own path, as its clients do: no Authorization header."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{warroom.url}{path}", data=data, headers=headers) as answer,
    ):
        return answer.status, await answer.json()


async def test_a_source_added_through_the_registry_alone_pages_in_its_own_words(
    warroom: Warroom, ntfy: FakeNtfy, ops: Channel
) -> None:
    # Triggered on its own path with the key in the body: the vendor's 202, its dedup key.
    status, answer = await send(warroom, event("trigger"))
    assert (status, answer) == (
        202,
        {"status": "success", "message": "Event processed", "dedup_key": "queue-lag-worker-1"},
    )
    await warroom.run_jobs()
    # Carol, on call, is paged at once; the route's channel shows the alert.
    (push,) = ntfy.phone(TOPIC)
    assert "Queue lag on worker-1" in push.title
    (page,) = await person_pages(warroom)
    assert page.user_id == CAROL
    (message,) = ops.messages
    assert "Queue lag on worker-1" in message.text

    # Resolved by the same dedup key: the alert's message says so, nobody is paged again.
    status, answer = await send(warroom, event("resolve"))
    assert status == 202, answer
    await warroom.run_jobs()
    assert len(ntfy.phone(TOPIC)) == 1
    assert "Resolved" in ops.messages[0].text


async def test_the_dispatchers_limits_and_keys_hold_for_a_new_source(warroom: Warroom) -> None:
    # A key no integration has: the vendor's own 400, nothing stored.
    status, answer = await send(warroom, event("trigger", key="someone-elses-key"))
    assert (status, answer["status"], answer["errors"]) == (
        400,
        "invalid event",
        ["Invalid routing key"],
    )
    # Over the body limit: 413 before any parse, in the vendor's shape.
    status, answer = await send(warroom, b'{"pad": "' + b"x" * 5000 + b'"}')
    assert (status, answer["status"]) == (413, "invalid event")
    # Not JSON: the parser's problem, named.
    status, answer = await send(warroom, b"{not json")
    assert status == 400
    assert answer["errors"][0].startswith("body is not JSON")
    assert await count(warroom, AlertPayload) == 0
    # Each counted under its own kind, as every source's deliveries are.
    samples = await scrape(warroom)
    # (a wrong key answered 400 in the vendor's words is still counted as unauthorized).
    for outcome in ("unauthorized", "too_large", "invalid"):
        assert value(samples, PAYLOADS, source=FAKE_KIND, outcome=outcome) == 1, outcome


async def test_a_signed_source_is_checked_by_its_signature_before_its_body_is_parsed(
    warroom: Warroom,
) -> None:
    body = json.dumps({"title": "Checkout errors", "dedup_key": "checkout-errors"}).encode()
    signature = {"Fake-Hook-Signature": hmac_sha256(TOKEN, body)}
    status, answer = await send(warroom, body, SIGNED_PATH, signature)
    assert (status, answer["status"]) == (202, "accepted")
    # Signed with another key, or not at all: 401, nothing stored.
    wrong = {"Fake-Hook-Signature": hmac_sha256("another-key", body)}
    for headers in (wrong, {}):
        status, answer = await send(warroom, body, SIGNED_PATH, headers)
        assert (status, answer) == (401, {"error": "missing or wrong signature"})
    # The signature of a body over the limit is never computed: 413.
    status, _ = await send(warroom, b" " * 5000, SIGNED_PATH, signature)
    assert status == 413
    assert await count(warroom, AlertPayload) == 1


def test_a_stored_body_is_parsed_again_by_its_sources_kind(fake_source: SourceEntry) -> None:
    body = json.dumps(event("trigger"))
    notification = parse(fake_source.kind, body, received_at=NOW)
    assert notification.group_key == "queue-lag-worker-1"
    assert notification.sender == "Fake events"


def test_a_kind_or_path_is_registered_once(fake_source: SourceEntry) -> None:
    with pytest.raises(ValueError, match="registered already"):
        SOURCES.register(SourceEntry(FAKE_KIND, Carries.ALERTS, ("/elsewhere",), KeyPlace.BODY, ""))
    with pytest.raises(ValueError, match="taken already"):
        SOURCES.register(SourceEntry("another", Carries.ALERTS, (PATH,), KeyPlace.BODY, ""))


def test_a_source_without_the_capability_its_key_needs_is_refused_when_loaded() -> None:
    """A key in the body needs ``key``, a signature needs ``signed``: a source missing one
    is refused the first time it is loaded, never at its first delivery."""
    for place in (KeyPlace.BODY, KeyPlace.SIGNATURE, KeyPlace.REQUEST):
        lacking = SourceEntry(
            "lacking", Carries.ALERTS, ("/lacking",), place, WebhookSource(read_generic)
        )
        with SOURCES.registered(lacking), pytest.raises(TypeError, match="capability"):
            SOURCES.receiver(lacking)


# -- the recipe: a source's registry line is all the rest of warroom needs ---------------------
TOY_KIND = "toy_monitor"


@dataclass(frozen=True)
class ToyMonitor:
    """A monitoring system's webhook as a new source's folder holds it: a JSON body read into
    the one shape, and nothing else (the key a bearer token, warroom's own answers)."""

    def parse(self, body: str, *, received_at: datetime) -> Notification:
        document = json_object(body)
        return one_alert(
            TOY_KIND,
            key=str(document.get("check", "")),
            status="resolved" if document.get("ok") else "firing",
            name=str(document.get("check", "")),
            summary=str(document.get("said", "")),
            received_at=received_at,
            sender="Toy monitor",
        )


# Its one line: its kind, its path, its key a bearer token, what Opsgenie's importer calls it.
TOY = SourceEntry(
    TOY_KIND,
    Carries.ALERTS,
    (f"/alerts/{TOY_KIND}",),
    KeyPlace.BEARER,
    ToyMonitor(),
    imported_as={"opsgenie": ("ToyMonitor",)},
)


def integrations_create(kind: str) -> int:
    """``warroom integrations create --service queues --kind KIND``, as an operator types it
    (in this process, where the toy's line is registered): its exit code."""
    try:
        return main(["integrations", "create", "--service", "queues", "--kind", kind])
    except SystemExit as refused:  # argparse's usage error, naming the kinds
        return int(refused.code or 0)


async def test_a_sources_registry_line_is_all_integrations_create_and_its_webhook_need(
    warroom: Warroom,
    ntfy: FakeNtfy,
    ops: Channel,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    with SOURCES.registered(TOY):
        code = await asyncio.to_thread(integrations_create, TOY_KIND)
        said = capsys.readouterr()
        assert code == 0, said.err
        assert f"integration queues-{TOY_KIND} ({TOY_KIND}, service queues):" in said.out
        assert f"URL: http://localhost:8080/alerts/{TOY_KIND}" in said.out
        key = next(line for line in said.out.splitlines() if line.startswith("key: "))[5:]

        # Its webhook takes the integration's key as a bearer token, and its alert pages.
        body = {"check": "QueueLag", "said": "Queue lag on worker-3"}
        headers = {"Authorization": f"Bearer {key}"}
        status, answer = await send(
            warroom, json.dumps(body).encode(), f"/alerts/{TOY_KIND}", headers
        )
        assert (status, answer["status"]) == (202, "accepted")
        status, answer = await send(
            warroom, json.dumps(body).encode(), f"/alerts/{TOY_KIND}", {"Authorization": "Bearer x"}
        )
        assert (status, answer) == (401, {"error": "missing or wrong bearer token"})
        await warroom.run_jobs()
        (push,) = ntfy.phone(TOPIC)
        assert "Queue lag on worker-3" in push.title
        (message,) = ops.messages
        assert "Queue lag on worker-3" in message.text

        # Opsgenie's importer carries a "ToyMonitor" integration over as one of its kind.
        drafts, _ = opsgenie_services.integrations(
            [{"id": "i-1", "name": "Toy checks", "type": "ToyMonitor"}], []
        )
        assert [draft.kind for draft in drafts] == [TOY_KIND]

    # Its line gone, the kind is refused again, as any unknown one is.
    code = await asyncio.to_thread(integrations_create, TOY_KIND)
    assert code == 2
    assert f"invalid choice: '{TOY_KIND}'" in capsys.readouterr().err
