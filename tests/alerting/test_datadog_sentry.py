"""Datadog's Webhooks integration and Sentry's alert webhooks, received as those vendors send
them: each vendor's documented examples (``tests/payloads/vendors/``, with the
page each comes from) sent over HTTP to a running warroom page, deduplicate and resolve as
the vendor's own semantics say; a wrong, missing or unsigned key stores nothing and names no
service; a body wrong is refused naming its field; one over the limit 413.

- Datadog: https://docs.datadoghq.com/integrations/webhooks/ (the default payload, its
  variables; custom headers carry the key).
- Sentry: https://docs.sentry.io/organization/integrations/integration-platform/webhooks/
  (``Sentry-Hook-Resource``, ``Sentry-Hook-Signature``: the hex HMAC-SHA256 of the body with
  the integration's client secret), .../webhooks/issue-alerts/ and .../webhooks/metric-alerts/.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.record.alerting import integrations
from bot.record.alerting.sources.source import hmac_sha256
from bot.store.db import session_scope
from bot.store.models import AlertPayload, Integration
from emulator import Channel, FakeNtfy
from tests.alerting.conftest import NIGHT as NOW
from tests.alerting.conftest import TOPIC, night_paging
from tests.alerting.test_vendor_apis import (
    MIB,
    documented,
    groups,
    integration,
    opsgenie_says,
    post,
)
from tests.conftest import Warroom
from tests.helpers.alerts import TOKEN, count
from tests.helpers.processes import REPO

CLIENT_SECRET = "9c0f5d3a7e1b4c2d8f6a0b3e5d7c9a1f2e4b6d8c0a2e4f6b8d0c2e4a6b8d0f2"


@pytest.fixture
def warroom_settings(
    database_url: str, tmp_path: Path, ops: Channel, ntfy: FakeNtfy
) -> dict[str, object]:
    """Checkout's alerts page the queues policy (Carol, on call), each its own; the rest are
    posted."""
    checkout = {"match": {"service": "checkout"}, "action": "page", "policy": "queues"}
    routes_file = {
        "routes": [{"name": "checkout", **checkout, "channel": ops.id, "group_window": "0"}],
        "default": {"action": "post", "channel": ops.id},
    }
    return night_paging(database_url, tmp_path, ntfy, routes_file, alerting__max_body_bytes=MIB)


COMMAND = (sys.executable, "-m", "bot", "integrations", "create")


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def datadog(example: str) -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(documented("datadog_webhooks.json")[example])
    return body


# Datadog ---------------------------------------------------------------------------------


async def test_datadogs_default_payload_pages_dedups_and_recovers(
    warroom: Warroom, ntfy: FakeNtfy, ops: Channel
) -> None:
    key = await integration(warroom, "datadog", "checkout")
    status, answer = await post(warroom, "/alerts/datadog", datadog("default"), bearer(key))
    assert (status, answer["status"]) == (202, "accepted")
    await warroom.run_jobs()
    (push,) = ntfy.phone(TOPIC)
    assert "[Memory Alert]" in push.title
    (group,) = await groups(warroom)
    assert group.state == "triggered"
    # Re-Triggered (the same monitor, notified again): the same alert, nobody paged twice.
    again = datadog("default")
    again["title"] = "[Re-Triggered] [Memory Alert]"
    status, _ = await post(warroom, "/alerts/datadog", again, bearer(key))
    assert status == 202
    await warroom.run_jobs()
    assert len(ntfy.phone(TOPIC)) == 1 and len(await groups(warroom)) == 1
    status, _ = await post(warroom, "/alerts/datadog", datadog("default_recovered"), bearer(key))
    assert status == 202
    await warroom.run_jobs()
    (group,) = await groups(warroom)
    assert group.state == "resolved"
    assert "Resolved" in ops.messages[0].text


async def test_datadogs_variables_key_the_alert_by_aggregation_and_priority_sets_urgency(
    warroom: Warroom, ntfy: FakeNtfy
) -> None:
    key = await integration(warroom, "datadog", "checkout")
    status, _ = await post(warroom, "/alerts/datadog", datadog("variables"), bearer(key))
    assert status == 202
    await warroom.run_jobs()
    (group,) = await groups(warroom)
    assert (group.state, group.urgency, group.title) == ("triggered", "high", "Host is Down")
    assert "Host is Down" in ntfy.phone(TOPIC)[0].title
    # A warning on another monitor, without a priority: low urgency.
    warn = datadog("variables")
    warn |= {"aggreg_key": "other", "alert_transition": "Warn", "alert_priority": ""}
    status, _ = await post(warroom, "/alerts/datadog", warn, bearer(key))
    assert status == 202
    # Recovered, by the first one's aggregation key: that one resolves, the warning stays.
    recovered = datadog("variables") | {"alert_transition": "Recovered"}
    status, _ = await post(warroom, "/alerts/datadog", recovered, bearer(key))
    assert status == 202
    await warroom.run_jobs()
    first, warning = await groups(warroom)
    assert (first.state, first.urgency) == ("resolved", "high")
    assert (warning.state, warning.urgency) == ("triggered", "low")


async def test_datadog_refuses_keys_fields_and_size_storing_nothing(warroom: Warroom) -> None:
    key = await integration(warroom, "datadog", "checkout")
    opsgenie = await integration(warroom, "opsgenie", "checkout")
    for headers in (bearer("wrong"), bearer(opsgenie), {}, {"Authorization": f"GenieKey {key}"}):
        status, answer = await post(warroom, "/alerts/datadog", datadog("default"), headers)
        assert (status, answer["error"]) == (401, "missing or wrong bearer token")
        assert "checkout" not in json.dumps(answer)
    untitled = datadog("default")
    del untitled["title"]
    status, answer = await post(warroom, "/alerts/datadog", untitled, bearer(key))
    assert status == 400
    assert [p.split(":")[0] for p in answer["problems"]] == ["alert_transition", "title"]
    null = datadog("variables") | {"alert_transition": "Null"}
    status, answer = await post(warroom, "/alerts/datadog", null, bearer(key))
    assert status == 400 and answer["problems"][0].startswith("alert_transition: 'Null'")
    status, answer = await post(warroom, "/alerts/datadog", b"[1, 2]", bearer(key))
    assert (status, answer["problems"]) == (400, ["body must be a JSON object"])
    status, _ = await post(warroom, "/alerts/datadog", b" " * (MIB + 1), bearer(key))
    assert status == 413
    assert await count(warroom, AlertPayload) == 0
    # The default key opens it too.
    status, _ = await post(warroom, "/alerts/datadog", datadog("default"), bearer(TOKEN))
    assert status == 202


# Sentry ----------------------------------------------------------------------------------


def sentry(example: str, **changes: Any) -> tuple[bytes, str]:
    """The documented body of ``example``, as Sentry sends it (``changes`` made to its top
    level), and its resource."""
    kept = documented("sentry_webhooks.json")[example]
    return json.dumps({**kept["body"], **changes}).encode(), kept["resource"]


def signed(body: bytes, resource: str, secret: str = CLIENT_SECRET) -> dict[str, str]:
    """Sentry's headers: the resource, the request's id, its time and the body's signature."""
    return {
        "Request-ID": "a3d6d8c0-0d1f-4b7a-9f43-6f0a1c2b3d4e",
        "Sentry-Hook-Resource": resource,
        # Unix seconds at sending, as Sentry's code sets it (``str(int(time()))``): the
        # tests' warroom runs at NIGHT.
        "Sentry-Hook-Timestamp": str(int(NOW.timestamp())),
        "Sentry-Hook-Signature": hmac_sha256(secret, body),
    }


async def sentry_integration(warroom: Warroom, service: str = "checkout") -> None:
    async with session_scope(warroom.engine) as session:
        await integrations.create(
            session,
            kind="sentry",
            service=service,
            name=None,
            now=warroom.clock(),
            secret=CLIENT_SECRET,
        )
        await session.commit()


async def test_sentrys_issue_and_metric_alerts_page_dedup_and_resolve(
    warroom: Warroom, ntfy: FakeNtfy
) -> None:
    await sentry_integration(warroom)
    body, resource = sentry("event_alert")
    status, answer = await post(warroom, "/alerts/sentry", body, signed(body, resource))
    assert (status, answer["status"]) == (202, "accepted")
    await warroom.run_jobs()
    (push,) = ntfy.phone(TOPIC)
    assert "ReferenceError: heck is not defined" in push.title
    # The same issue's rule firing again: the same alert.
    status, _ = await post(warroom, "/alerts/sentry", body, signed(body, resource))
    assert status == 202
    await warroom.run_jobs()
    assert len(ntfy.phone(TOPIC)) == 1
    (issue,) = await groups(warroom)
    assert issue.state == "triggered"

    critical, resource = sentry("metric_alert", action="critical")
    status, _ = await post(warroom, "/alerts/sentry", critical, signed(critical, resource))
    assert status == 202
    await warroom.run_jobs()
    metric = [g for g in await groups(warroom) if g.id != issue.id]
    assert [(g.state, g.urgency) for g in metric] == [("triggered", "high")]
    resolved, resource = sentry("metric_alert")
    status, _ = await post(warroom, "/alerts/sentry", resolved, signed(resolved, resource))
    assert status == 202
    await warroom.run_jobs()
    states = {g.id: g.state for g in await groups(warroom)}
    assert states == {issue.id: "triggered", metric[0].id: "resolved"}
    async with session_scope(warroom.engine) as session:
        (row,) = (await session.exec(select(Integration))).all()
    assert (row.kind, row.alerts) == ("sentry", 4)


async def test_sentry_refuses_a_bad_signature_a_resource_and_a_field_storing_nothing(
    warroom: Warroom,
) -> None:
    await sentry_integration(warroom)
    body, resource = sentry("event_alert")
    tampered = body.replace(b"heck is not defined", b"all is well")
    for headers in (
        signed(body, resource, "not-the-client-secret"),
        {**signed(body, resource), "Sentry-Hook-Signature": ""},
        {"Sentry-Hook-Resource": resource},
        signed(body, resource),  # the body below is not the one signed
    ):
        status, answer = await post(warroom, "/alerts/sentry", tampered, headers)
        assert (status, answer) == (401, {"error": "missing or wrong signature"})
    installation = b'{"action": "created", "data": {}}'
    status, answer = await post(
        warroom, "/alerts/sentry", installation, signed(installation, "installation")
    )
    assert status == 400
    assert answer["problems"][0].startswith("Sentry-Hook-Resource:")
    nameless, resource = sentry("metric_alert", action="firing", data={"web_url": "x"})
    status, answer = await post(warroom, "/alerts/sentry", nameless, signed(nameless, resource))
    assert status == 400
    assert [p.split(":")[0] for p in answer["problems"]] == [
        "action",
        "data.metric_alert.alert_rule.id",
        "data.description_title",
        "data.web_url",
    ]
    big = b'{"pad": "' + b"x" * MIB + b'"}'
    status, _ = await post(warroom, "/alerts/sentry", big, signed(big, "metric_alert"))
    assert status == 413
    assert await count(warroom, AlertPayload) == 0
    # Revoked: its secret opens nothing from then on.
    async with session_scope(warroom.engine) as session:
        await integrations.revoke(session, "checkout-sentry", now=warroom.clock())
        await session.commit()
    status, _ = await post(warroom, "/alerts/sentry", body, signed(body, resource))
    assert status == 401
    assert await count(warroom, AlertPayload) == 0


async def test_a_sentry_delivery_sent_more_than_five_minutes_from_now_is_refused(
    warroom: Warroom,
) -> None:
    """``Sentry-Hook-Timestamp`` (the docs' "Headers": https://docs.sentry.io/organization/
    integrations/integration-platform/webhooks/; Unix seconds at sending in Sentry's own code)
    older or later than five minutes, or missing, is refused 401 as a replay, as a Slack
    request's timestamp is; nothing is stored."""
    await sentry_integration(warroom)
    body, resource = sentry("event_alert")
    now = int(NOW.timestamp())
    for given in (str(now - 301), str(now + 301), "", "yesterday", str(now) + "000000"):
        headers = {**signed(body, resource), "Sentry-Hook-Timestamp": given}
        status, answer = await post(warroom, "/alerts/sentry", body, headers)
        assert (status, answer) == (
            401,
            {"error": "Sentry-Hook-Timestamp is missing or more than five minutes from now"},
        ), given
    headers = signed(body, resource)
    del headers["Sentry-Hook-Timestamp"]
    status, _ = await post(warroom, "/alerts/sentry", body, headers)
    assert status == 401
    assert await count(warroom, AlertPayload) == 0
    # Within five minutes either way: taken.
    for given in (str(now - 299), str(now + 299)):
        headers = {**signed(body, resource), "Sentry-Hook-Timestamp": given}
        status, _ = await post(warroom, "/alerts/sentry", body, headers)
        assert status == 202
    assert await count(warroom, AlertPayload) == 2


async def test_integrations_create_prints_datadogs_and_sentrys_urls(
    warroom: Warroom, database_url: str
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("WARROOM_", "DATABASE_"))},
        "DATABASE_URL": database_url,
        "WARROOM_PUBLIC_URL": warroom.url,
    }

    def create(kind: str, stdin: str = "") -> str:
        made = subprocess.run(
            [*COMMAND, "--service", "checkout", "--kind", kind],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=REPO,
            env=env,
        )
        assert made.returncode == 0, made.stderr
        return made.stdout

    made = await asyncio.to_thread(create, "datadog")
    assert f"URL: {warroom.url}/alerts/datadog" in made
    key = re.search(r"^key: (\S+)", made, re.M)
    assert key is not None and '{"Authorization": "Bearer <key>"}' in made
    status, _ = await post(warroom, "/alerts/datadog", datadog("default"), bearer(key[1]))
    assert status == 202
    made = await asyncio.to_thread(create, "sentry", CLIENT_SECRET + "\n")
    assert f"URL: {warroom.url}/alerts/sentry" in made
    assert CLIENT_SECRET not in made and "key:" not in made
    body, resource = sentry("event_alert")
    status, _ = await post(warroom, "/alerts/sentry", body, signed(body, resource))
    assert status == 202
    # Without its secret, a Sentry integration is not made.
    refused = await asyncio.to_thread(
        subprocess.run,
        [*COMMAND, "--service", "web", "--kind", "sentry"],
        input="",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env=env,
    )
    assert refused.returncode == 1 and "signing secret" in refused.stderr


# Opsgenie's identifiers ------------------------------------------------------------------


async def test_opsgenie_names_identifier_types_and_an_unknown_alias_changes_nothing(
    warroom: Warroom, ntfy: FakeNtfy, ops: Channel
) -> None:
    """Opsgenie's close and acknowledge take ``identifierType`` id, alias or tiny
    (https://docs.opsgenie.com/docs/alert-api#close-alert); warroom's alerts answer to their
    alias. A close of an alias nobody sent, or of an id warroom never gave, is accepted, as
    Opsgenie accepts every valid request (202, "processed asynchronously":
    https://docs.opsgenie.com/docs/response), and changes nothing."""
    key = await integration(warroom, "opsgenie", "checkout")
    headers = {"Authorization": f"GenieKey {key}"}
    for identifier, kind, field, why in (
        ("3", "number", "identifierType", "one of id, alias, tiny"),
        ("three", "tiny", "identifier", "the alert's number"),
    ):
        path = f"/v2/alerts/{identifier}/close?identifierType={kind}"
        status, answer = await post(warroom, path, {}, headers)
        assert status == 422, kind
        assert answer["message"] == opsgenie_says("unprocessable")
        assert why in answer["errors"][field], kind
    assert await count(warroom, AlertPayload) == 0
    for path in ("/v2/alerts/never-sent/close?identifierType=alias", "/v2/alerts/3/close"):
        status, answer = await post(warroom, path, {}, headers)
        assert (status, answer["result"]) == (202, opsgenie_says("accepted")), path
    await warroom.run_jobs()
    assert ntfy.phone(TOPIC) == [] and ops.messages == []


async def test_opsgenie_acknowledges_and_closes_by_tiny_the_alerts_number_its_own_only(
    warroom: Warroom, ntfy: FakeNtfy
) -> None:
    """``identifierType=tiny``: the alert's number in warroom (its page, ``/alerts/<n>``),
    as Opsgenie's tiny id is the short number its pages show. Another integration's tiny of
    the same number changes nothing: nothing from one integration touches another's."""
    key = await integration(warroom, "opsgenie", "checkout")
    other = await integration(warroom, "opsgenie", "payments", name="payments-scripts")
    headers = {"Authorization": f"GenieKey {key}"}
    create = {"message": "Checkout 5xx", "alias": "checkout-5xx", "priority": "P1"}
    status, _ = await post(warroom, "/v2/alerts", create, headers)
    assert status == 202
    await warroom.run_jobs()
    (group,) = await groups(warroom)
    assert group.state == "triggered" and len(ntfy.phone(TOPIC)) == 1
    path = f"/v2/alerts/{group.id}/close?identifierType=tiny"
    status, _ = await post(warroom, path, {}, {"Authorization": f"GenieKey {other}"})
    assert status == 202
    await warroom.run_jobs()
    (group,) = [g for g in await groups(warroom) if g.id == group.id]
    assert group.state == "triggered"
    for action, state in (("acknowledge", "acknowledged"), ("close", "resolved")):
        path = f"/v2/alerts/{group.id}/{action}?identifierType=tiny"
        status, answer = await post(warroom, path, {"note": "by number"}, headers)
        assert (status, answer["result"]) == (202, opsgenie_says("accepted"))
        await warroom.run_jobs()
        (group,) = [g for g in await groups(warroom) if g.id == group.id]
        assert group.state == state, action
