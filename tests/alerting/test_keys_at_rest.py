"""No key in clear in the database, on SQLite and PostgreSQL: each
receiver's documented example (``tests/payloads/vendors/``, the fakes of
``test_every_receiver.py``: AWS SNS's signed alarm, Sentry's signed issue alert; the SMTP
listener for e-mail) sent with an integration's own key of each kind, and the default key
(WARROOM_ALERT_TOKEN), as each vendor sends it; then every row of every table read, as a
backup would hold it: no key and no e-mail integration's address is in it, the integration's
id stands where the key was, and every body kept is applied again from what was kept. A
signed kind's secret (Sentry's client secret) is kept, once, in its integration's row: an
HMAC is checked with the secret itself.

And migration 0093, which takes the keys out of the bodies kept before it: a PagerDuty
body's ``routing_key`` (its integration's or the default key), an e-mail's address in its
headers, in any case.
"""

from __future__ import annotations

import copy
import json
import ssl
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from sqlmodel import col, select

from bot.basics.key_digest import digest
from bot.config import Secret
from bot.record.alerting import integrations
from bot.record.alerting.sources.email.receiver import EMAIL
from bot.record.alerting.sources.pagerduty.receiver import PAGERDUTY
from bot.record.alerting.sources.source import hmac_sha256
from bot.record.changes.sources.pagerduty import PAGERDUTY_CHANGES
from bot.store.db import create_engine, session_scope
from bot.store.migrate import upgrade_database
from bot.store.models import AlertPayload, ChangeEvent, Integration
from emulator import Channel, FakeNtfy
from tests.alerting.conftest import NIGHT, night_paging
from tests.alerting.test_cloudwatch_sns import (
    ARN,
    HOST,
    FakeSns,
    Signer,
    ToFake,
    alarm,
    tls_contexts,
)
from tests.alerting.test_email_integrations import DOMAIN, send
from tests.alerting.test_vendor_apis import checkout_routes, documented, integration, pd_event
from tests.conftest import Warroom
from tests.helpers.alerts import TOKEN, payload
from tests.helpers.databases import dumped
from tests.helpers.mail import free_port

SENTRY_SECRET = "5e1f0c3b9a7d4e2f8c6b0a1d3e5f7a9c2b4d6e8f0a1c3e5b7d9f1a3c5e7b9d1f"
# The kinds given a key of their own here, each sending its documented example.
KINDS = ("alertmanager", "grafana", "generic", "pagerduty", "opsgenie", "datadog", "changes")
# The alert sources whose bodies are kept here: every one, the HTTP ones and e-mail.
SOURCES = (*KINDS[:-1], "cloudwatch", "sentry", "email")


@pytest.fixture
async def sns(tmp_path: Path) -> AsyncIterator[tuple[Signer, FakeSns, ssl.SSLContext]]:
    """Amazon SNS's signer and its certificate served (as test_cloudwatch_sns.py serves it),
    and what trusts it."""
    signer = Signer()
    server, client = tls_contexts(tmp_path, HOST)
    async with FakeSns(signer, server) as fake:
        yield signer, fake, client


@pytest.fixture
def warroom_settings(
    database_url: str,
    tmp_path: Path,
    ops: Channel,
    ntfy: FakeNtfy,
    sns: tuple[Signer, FakeSns, ssl.SSLContext],
) -> dict[str, object]:
    """Checkout's alerts page Carol; SNS's certificate from the fake; the inbound SMTP
    listener for e-mail integrations."""

    async def reach_sns(running: Warroom) -> None:
        _, fake, trust = sns
        running.services.sns.resolver = ToFake(fake.port)
        running.services.sns.ssl = trust

    return {
        **night_paging(
            database_url,
            tmp_path,
            ntfy,
            checkout_routes(ops),
            bounces__domain=DOMAIN,
            bounces__secret=Secret("b" * 64),
            bounces__smtp_host="127.0.0.1",
            bounces__smtp_port=free_port(),
        ),
        "ready": reach_sns,
    }


async def post(warroom: Warroom, path: str, body: bytes, headers: dict[str, str]) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{warroom.url}{path}", data=body, headers=headers) as answer,
    ):
        await answer.read()
        return answer.status


# As SNS posts a notification (test_cloudwatch_sns.py's ``post``).
SNS_HEADERS = {"Content-Type": "text/plain", "x-amz-sns-message-type": "Notification"}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}


def deliveries(keys: dict[str, str], signer: Signer) -> list[tuple[str, bytes, dict[str, str]]]:
    """Each receiver's documented example, with its kind's own key, as its vendor sends it;
    a generic one that repeats its key in a field, as a sender pasting its configuration
    would; PagerDuty's trigger with the default key too."""
    json_body = {"Content-Type": "application/json"}
    generic = {"title": "Queue depth", "dedup_key": "queue", "labels": {"token": keys["generic"]}}
    sentry = documented("sentry_webhooks.json")["event_alert"]
    raw = json.dumps(sentry["body"]).encode()
    change = {
        "kind": "configuration",
        "summary": "Gateway timeout lowered to 2 s",
        "at": "2026-03-03T01:30:00+01:00",
        "idempotency_key": "run-42",
    }
    pd_change = {**documented("pagerduty_change_events.json")["change"]}
    return [
        ("/alerts/alertmanager", json.dumps(payload("alertmanager_firing.json")).encode(),
         bearer(keys["alertmanager"])),
        ("/alerts/grafana", json.dumps(payload("grafana_firing.json")).encode(),
         bearer(keys["grafana"])),
        ("/alerts/generic", json.dumps(generic).encode(), bearer(keys["generic"])),
        ("/v2/enqueue", json.dumps(pd_event("trigger", keys["pagerduty"])).encode(), json_body),
        ("/v2/enqueue", json.dumps(pd_event("trigger", TOKEN, dedup_key="default")).encode(),
         json_body),
        ("/v2/alerts", json.dumps(documented("opsgenie_alert_api.json")["create"]["body"]).encode(),
         {**json_body, "Authorization": f"GenieKey {keys['opsgenie']}"}),
        ("/alerts/datadog", json.dumps(documented("datadog_webhooks.json")["default"]).encode(),
         bearer(keys["datadog"])),
        (f"/alerts/cloudwatch/{keys['cloudwatch']}",
         json.dumps(signer.sign(alarm("ALARM"))).encode(), SNS_HEADERS),
        ("/alerts/sentry", raw, {
            "Sentry-Hook-Resource": sentry["resource"],
            "Sentry-Hook-Timestamp": str(int(NIGHT.timestamp())),
            "Sentry-Hook-Signature": hmac_sha256(SENTRY_SECRET, raw),
        }),
        ("/v2/change/enqueue", json.dumps({**pd_change, "routing_key": keys["pagerduty"]}).encode(),
         json_body),
        ("/api/changes", json.dumps(change).encode(), bearer(keys["changes"])),
    ]  # fmt: skip


def mail(key: str) -> bytes:
    """A monitor's alert mail to the integration's address, its key in the headers as relays
    write them (one in capitals)."""
    return "\r\n".join(
        [
            f"Received: from relay.example.com by mx for <{key}@{DOMAIN}>; Mon, 2 Mar 2026",
            f"Delivered-To: {key.upper()}@{DOMAIN}",
            "From: Monitor <monitor@example.com>",
            f"To: <{key}@{DOMAIN}>",
            "Subject: Disk full on db-1",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "",
            "/var is at 99%.",
            "",
        ]
    ).encode()


async def test_no_key_or_address_given_out_is_in_the_database(
    warroom: Warroom, sns: tuple[Signer, FakeSns, ssl.SSLContext]
) -> None:
    signer, _, _ = sns
    keys = {kind: await integration(warroom, kind, "checkout") for kind in KINDS}
    keys["cloudwatch"] = await integration(warroom, "cloudwatch", "checkout", topic=ARN)
    keys["email"] = await integration(warroom, "email", "checkout")
    async with session_scope(warroom.engine) as session:
        await integrations.create(
            session, kind="sentry", service="checkout", name=None, now=NIGHT, secret=SENTRY_SECRET
        )
        await session.commit()
    for path, body, headers in deliveries(keys, signer):
        assert await post(warroom, path, body, headers) < 300, path
    address = f"{keys['email']}@{DOMAIN}"
    await send(warroom, address, mail(keys["email"]))
    await warroom.run_jobs()

    tables = await dumped(warroom.engine)
    everything = "\n".join(tables.values()).lower()
    for kind, key in {**keys, "default": TOKEN}.items():
        assert key.lower() not in everything, kind
    assert address.lower() not in everything
    # A signed kind's secret: in its integration's row alone (its HMAC needs it).
    assert [name for name, rows in tables.items() if SENTRY_SECRET in rows] == ["integration"]
    async with session_scope(warroom.engine) as session:
        kept = (await session.exec(select(AlertPayload).order_by(col(AlertPayload.id)))).all()
        made = {row.kind: row.id for row in (await session.exec(select(Integration))).all()}
        (change, _) = (await session.exec(select(ChangeEvent).order_by(col(ChangeEvent.id)))).all()
    # Each body applied from what was kept (none failed to read again), the key's place
    # holding the integration's id.
    assert {(row.source, row.state) for row in kept} == {
        (source, "processed") for source in SOURCES
    }
    routing = [json.loads(row.body)["routing_key"] for row in kept if row.source == "pagerduty"]
    assert routing == [f"integration-{made['pagerduty']}", "integration-default"]
    assert json.loads(change.body)["routing_key"] == f"integration-{made['pagerduty']}"
    (by_mail,) = (row.body for row in kept if row.source == "email")
    assert f"To: <integration-{made['email']}@{DOMAIN}>" in by_mail
    generic = next(row.body for row in kept if row.source == "generic")
    assert json.loads(generic)["labels"]["token"] == f"integration-{made['generic']}"


# Migration 0093 ---------------------------------------------------------------------------

PD_KEY = "wr_int_" + "Pq7" * 11
MAIL_KEY = "wr_int_" + "0a1b2c3d4e" * 4
AT = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


async def test_0093_takes_the_keys_out_of_the_bodies_kept_before_it(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade_database(engine, "0092_notification_reported")
        event = pd_event("trigger", PD_KEY)
        by_default = pd_event("trigger", TOKEN, dedup_key="default")
        letter = mail(MAIL_KEY).decode()
        untouched = json.dumps(payload("alertmanager_firing.json"))
        async with session_scope(engine) as session:
            for kind, key in (("pagerduty", PD_KEY), ("email", MAIL_KEY)):
                session.add(
                    Integration(
                        kind=kind, name=kind, service="checkout", key_hash=digest(key),
                        created_at=AT,
                    )
                )  # fmt: skip
            await session.flush()
            rows = [
                ("pagerduty", json.dumps(event), 1),
                ("pagerduty", json.dumps(by_default), None),
                ("email", letter, 2),
                ("alertmanager", untouched, None),
            ]
            for source, body, holder in rows:
                session.add(
                    AlertPayload(
                        source=source, body=body, group_key="g", received_at=AT,
                        integration_id=holder,
                    )
                )  # fmt: skip
            change = copy.deepcopy(documented("pagerduty_change_events.json")["change"])
            session.add(
                ChangeEvent(
                    service="checkout", kind="other", at=AT, summary="s", source="pagerduty",
                    body=json.dumps({**change, "routing_key": PD_KEY}), key_hash="k",
                    integration_id=1, received_at=AT,
                )
            )  # fmt: skip
            await session.commit()
        await upgrade_database(engine)
        tables = await dumped(engine)
        async with session_scope(engine) as session:
            kept = (await session.exec(select(AlertPayload).order_by(col(AlertPayload.id)))).all()
            (change_row,) = (await session.exec(select(ChangeEvent))).all()
    finally:
        await engine.dispose()
    everything = "\n".join(tables.values()).lower()
    assert PD_KEY.lower() not in everything and MAIL_KEY not in everything
    assert TOKEN not in everything
    first, second, by_mail, other = (row.body for row in kept)
    assert json.loads(first) == {**event, "routing_key": "integration-1"}
    assert json.loads(second) == {**by_default, "routing_key": "integration-default"}
    assert by_mail == letter.replace(MAIL_KEY, "integration-2").replace(
        MAIL_KEY.upper(), "integration-2"
    )
    assert other == untouched
    assert json.loads(change_row.body) == {**change, "routing_key": "integration-1"}
    # Each reads again as it did.
    assert (
        PAGERDUTY.parse(first, received_at=AT).title
        == PAGERDUTY.parse(json.dumps(event), received_at=AT).title
    )
    assert EMAIL.parse(by_mail, received_at=AT).title == "Disk full on db-1"
    assert PAGERDUTY_CHANGES.parse(change_row.body, received_at=AT).summary
