"""What every receiver does, read from the registry so that a receiver added later is held to
it too:

- a body over the size limit (``WARROOM_ALERT_MAX_BODY_BYTES``, 1 MiB by default) is 413 on every
  path an alert source or a change source is received on, before its key (a signature, a
  body's ``routing_key``) is looked at where that needs the body, and nothing is stored;
- every receiver answers within 2 s on a busy host: each vendor's documented example sent to
  each receiver at once, several each (after one of each, as a running warroom has had),
  while Slack answers every message 5 s late: the receiver stores and answers (a page's
  first notifications in the same transaction), what Slack shows is jobs.

E-mail's size limit is the SMTP listener's (``tests/alerting/test_email_integrations.py``,
``test_unknown_addresses_large_and_subjectless_mail_are_refused``)."""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.record.alerting.sources.registry import SOURCES
from bot.record.alerting.sources.source import Carries, KeyPlace, hmac_sha256
from bot.store.models import AlertPayload, ChangeEvent
from emulator import Channel, FakeNtfy
from tests.alerting.conftest import NIGHT, night_paging
from tests.alerting.test_cloudwatch_sns import HOST, FakeSns, Signer, ToFake, alarm, tls_contexts
from tests.alerting.test_vendor_apis import (
    MIB,
    checkout_routes,
    documented,
    integration,
    pd_event,
)
from tests.conftest import Warroom
from tests.helpers.alerts import TOKEN, count, payload

ANSWER_WITHIN = 2.0
EACH = 3  # deliveries of each example, all at once


@pytest.fixture
def signer() -> Signer:
    return Signer()


@pytest.fixture
async def fake_sns(signer: Signer, tmp_path: Path) -> AsyncIterator[tuple[FakeSns, ssl.SSLContext]]:
    """Amazon SNS's certificate, served as test_cloudwatch_sns.py serves it."""
    server, client = tls_contexts(tmp_path, HOST)
    async with FakeSns(signer, server) as fake:
        yield fake, client


@pytest.fixture
def warroom_settings(
    database_url: str,
    tmp_path: Path,
    ops: Channel,
    ntfy: FakeNtfy,
    fake_sns: tuple[FakeSns, ssl.SSLContext],
) -> dict[str, object]:
    """Checkout's alerts page Carol; bodies up to 1 MiB; SNS's certificate from the fake."""

    async def reach_sns(running: Warroom) -> None:
        fake, trust = fake_sns
        running.services.sns.resolver = ToFake(fake.port)
        running.services.sns.ssl = trust

    return {**night_paging(database_url, tmp_path, ntfy, checkout_routes(ops)), "ready": reach_sns}


def key_headers(path: str, change_keys: dict[str, str]) -> dict[str, str]:
    """A working key where the path's source looks for it: the default one
    (WARROOM_ALERT_TOKEN), or an integration's of its kind for a change source whose key is
    a bearer token (the default opens no change source)."""
    if path.startswith("/v2/alerts"):
        return {"Authorization": f"GenieKey {TOKEN}"}
    return {"Authorization": f"Bearer {change_keys.get(path, TOKEN)}"}


def filled(path: str) -> str:
    return path.replace("{key}", TOKEN).replace("{identifier}", "x").replace("{integration}", "x")


async def send(
    http: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str]
) -> tuple[int, float]:
    """(the status, the seconds the answer took)."""
    started = time.monotonic()
    async with http.post(url, data=body, headers=headers) as answer:
        await answer.read()
        return answer.status, time.monotonic() - started


async def test_a_body_over_the_limit_is_413_on_every_receiver(warroom: Warroom) -> None:
    # Every path of the sources' registry, of alerts and of changes.
    paths = [*SOURCES.paths(Carries.ALERTS), *SOURCES.paths(Carries.CHANGES)]
    assert {"/v2/enqueue", "/v2/alerts", "/alerts/cloudwatch/{key}", "/alerts/sentry"} <= set(paths)
    assert {"/v2/change/enqueue", "/api/changes", "/changes/github/{integration}"} <= set(paths)
    change_keys = {
        path: await integration(warroom, entry.kind, "checkout")
        for entry in SOURCES.entries(Carries.CHANGES)
        if entry.key is KeyPlace.BEARER
        for path in entry.paths
    }
    big = b'{"pad": "' + b"x" * MIB + b'"}'
    async with aiohttp.ClientSession() as http:
        for path in paths:
            headers = {"Content-Type": "application/json", **key_headers(path, change_keys)}
            status, _ = await send(http, f"{warroom.url}{filled(path)}", big, headers)
            assert status == 413, path
    assert await count(warroom, AlertPayload) == 0
    assert await count(warroom, ChangeEvent) == 0


def deliveries(signer: Signer) -> list[tuple[str, bytes, dict[str, str]]]:
    """Each receiver's documented example, ``EACH`` times (each its own alert), as its
    vendor sends it with the default key."""
    bearer = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    made: list[tuple[str, bytes, dict[str, str]]] = []
    for n in range(EACH):
        alertmanager = payload("alertmanager_firing.json")
        alertmanager["groupKey"] = f"{alertmanager.get('groupKey', '')}-{n}"
        made.append(("/alerts/alertmanager", json.dumps(alertmanager).encode(), bearer))
        grafana = payload("grafana_firing.json")
        grafana["groupKey"] = f"{grafana.get('groupKey', '')}-{n}"
        made.append(("/alerts/grafana", json.dumps(grafana).encode(), bearer))
        generic = {"title": f"Queue depth {n}", "dedup_key": f"queue-{n}"}
        made.append(("/alerts/generic", json.dumps(generic).encode(), bearer))
        event = pd_event("trigger", TOKEN, dedup_key=f"disk-{n}")
        made.append(("/v2/enqueue", json.dumps(event).encode(), {}))
        create = dict(documented("opsgenie_alert_api.json")["create"]["body"], alias=f"og-{n}")
        genie = {"Authorization": f"GenieKey {TOKEN}"}
        made.append(("/v2/alerts", json.dumps(create).encode(), genie))
        datadog = dict(documented("datadog_webhooks.json")["default"], id=f"98765{n}")
        made.append(("/alerts/datadog", json.dumps(datadog).encode(), bearer))
        message = alarm("ALARM")
        body = json.loads(message["Message"])
        body["AlarmArn"] = f"{body['AlarmArn']}-{n}"
        sns = signer.sign({**message, "Message": json.dumps(body), "MessageId": f"m-{n}"})
        made.append((f"/alerts/cloudwatch/{TOKEN}", json.dumps(sns).encode(), {}))
        sentry = documented("sentry_webhooks.json")["event_alert"]
        issue = json.loads(json.dumps(sentry["body"]))
        issue["data"]["event"]["issue_id"] = f"4242{n}"
        raw = json.dumps(issue).encode()
        hook = {
            "Sentry-Hook-Resource": sentry["resource"],
            "Sentry-Hook-Timestamp": str(int(NIGHT.timestamp())),
            "Sentry-Hook-Signature": hmac_sha256(TOKEN, raw),
        }
        made.append(("/alerts/sentry", raw, hook))
    return made


async def test_every_receiver_answers_within_two_seconds_on_a_busy_host(
    warroom: Warroom, signer: Signer, ntfy: FakeNtfy
) -> None:
    # Slack is slow: any answer that waited for it would take 5 s.
    for method in ("chat.postMessage", "chat.update", "conversations.create"):
        warroom.slack.delay(method, 5.0, times=1000)
    sent = deliveries(signer)
    kinds = {path.split("/")[2] if path.startswith("/alerts/") else path for path, _, _ in sent}
    assert len(kinds) == 8  # every HTTP alert source (e-mail is SMTP's)
    # The first of each, one by one: a running warroom has its parse workers and SNS's
    # certificate already; then the rest all at once, each answer timed.
    first, rest = sent[: len(kinds)], sent[len(kinds) :]
    async with aiohttp.ClientSession() as http:
        for path, body, headers in first:
            assert (await send(http, f"{warroom.url}{path}", body, headers))[0] < 300, path
        answers = await asyncio.gather(
            *(send(http, f"{warroom.url}{path}", body, headers) for path, body, headers in rest)
        )
    late = [(path, status, round(took, 2)) for (path, _, _), (status, took) in zip(
        rest, answers, strict=True) if took > ANSWER_WITHIN or status >= 300]  # fmt: skip
    assert late == []
    # Each was stored as it was answered; what follows (Slack's messages) is jobs'.
    assert await count(warroom, AlertPayload) == len(sent)
