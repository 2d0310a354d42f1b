"""A service's alerts page its escalation policy when no route names the service, as
PagerDuty and Opsgenie page an integration's service: the switching guide
(docs/importing.md, "1. Repoint") followed word for word. A services file as
docs/services.md shows it, no routes file, ``warroom integrations create --service checkout
--kind pagerduty`` run as the operator runs it (the CLI, the operator's environment), then a
PagerDuty Events API v2 trigger sent over HTTP as a vendor client sends it, and an Opsgenie
``POST /v2/alerts`` with ``Authorization: GenieKey``: Carol, on call at the policy's first
level, is pushed to (the fake ntfy), the alert is its own (``action: page``) in the service's
channel. An alert labelled with a service pages the same; an alert of no service still takes
the default route; a route that matches by other labels stays the operator's choice; and
``warroom services list``, ``/services/<name>`` and ``warroom config check`` say where each
service's alerts go."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import col, select

from bot.record.alerting.services import load_services
from bot.store.db import session_scope
from bot.store.models import AlertGroup, Incident
from emulator import Channel, FakeNtfy, SlackEmulator
from tests.alerting.test_alert_worklist import STARTED, TOPIC, worklist_settings
from tests.alerting.test_own_alerts import only_message
from tests.alerting.test_services import page
from tests.alerting.test_vendor_apis import (
    OpsgenieClient,
    PagerDutyEventsClient,
    create_by_cli,
    integration,
)
from tests.conftest import BOB, CAROL, Warroom
from tests.helpers.alerts import QUEUES_POLICIES, TOKEN, alert, alertmanager, post_alert
from tests.helpers.processes import run_warroom
from tests.helpers.web_view import browser, sign_in
from tests.paging.scenario import person_pages

# The services file as the guide shows it: checkout and payments page the queues policy
# (Carol's night schedule, then Bob) in #ops-alerts; search has no policy yet.
SERVICES_FILE = """\
services:
  - name: checkout
    description: The shop's checkout
    policy: queues
    channel: {channel}
  - name: payments
    policy: queues
    channel: {channel}
  - name: search
    description: Its policy is not chosen yet
"""


@pytest.fixture
def routes_file() -> dict[str, Any]:
    """No routes file: the guide's first step makes none."""
    return {}


@pytest.fixture
def warroom_settings(
    slack: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    ntfy: FakeNtfy,
    routes_file: dict[str, Any],
) -> dict[str, object]:
    return worklist_settings(
        slack,
        database_url,
        tmp_path,
        ntfy,
        lambda _: routes_file,
        QUEUES_POLICIES,
        services_file(tmp_path),
    )


def services_file(tmp_path: Path) -> Callable[[str], dict[str, Any]]:
    """The services file written for #ops-alerts' id, read as serve reads it."""

    def written(channel: str) -> dict[str, Any]:
        path = tmp_path / "services.yaml"
        path.write_text(SERVICES_FILE.format(channel=channel))
        return {"alerting__catalog": load_services(path)}

    return written


def operator_env(
    warroom: Warroom, database_url: str, tmp_path: Path, routes_file: dict[str, Any]
) -> dict[str, str]:
    """The environment the operator's commands run in: the same files as the server's."""
    env = {
        "DATABASE_URL": database_url,
        "WARROOM_PUBLIC_URL": warroom.url,
        "WARROOM_SERVICES": str(tmp_path / "services.yaml"),
        "WARROOM_ESCALATION_POLICIES": str(tmp_path / "policies.yaml"),
        "WARROOM_ONCALL_SCHEDULES": str(tmp_path / "schedules.yaml"),
    }
    if routes_file:
        path = tmp_path / "routes.yaml"
        path.write_text(yaml.safe_dump(routes_file))
        env |= {"WARROOM_ALERT_ROUTES": str(path), "WARROOM_ALERT_TOKEN": TOKEN}
    return env


def ops_channel(warroom: Warroom) -> Channel:
    ops = warroom.slack.channel_by_name("ops-alerts")
    assert ops is not None
    return ops


async def groups(warroom: Warroom) -> list[AlertGroup]:
    async with session_scope(warroom.engine) as session:
        return list((await session.exec(select(AlertGroup).order_by(col(AlertGroup.id)))).all())


async def incidents(warroom: Warroom) -> list[Incident]:
    async with session_scope(warroom.engine) as session:
        return list((await session.exec(select(Incident).order_by(col(Incident.id)))).all())


async def test_the_switching_guide_word_for_word_pages_the_services_policy(
    warroom: Warroom, database_url: str, tmp_path: Path, ntfy: FakeNtfy
) -> None:
    env = operator_env(warroom, database_url, tmp_path, {})
    events_url, routing_key = await create_by_cli(env, "pagerduty", "checkout")
    pagerduty = PagerDutyEventsClient(events_url, routing_key)
    await pagerduty.send(
        "trigger",
        "checkout-5xx",
        summary="Checkout 5xx above 5%",
        source="checkout-api",
        severity="critical",
    )
    await warroom.run_jobs()
    # Carol, on call at the first level of checkout's policy, is pushed to at once.
    (push,) = ntfy.phone(TOPIC)
    assert "Checkout 5xx above 5%" in push.title
    assert [p.user_id for p in await person_pages(warroom)] == [CAROL]
    (paged,) = await groups(warroom)
    assert (paged.route, paged.service, paged.policy) == ("service:checkout", "checkout", "queues")
    assert (paged.state, paged.urgency) == ("triggered", "high")  # critical: high urgency
    # An alert of its own, in checkout's channel: no incident.
    assert "Checkout 5xx above 5%" in only_message(ops_channel(warroom)).text
    assert await incidents(warroom) == []

    api_url, genie_key = await create_by_cli(env, "opsgenie", "payments")
    opsgenie = OpsgenieClient(api_url, genie_key)
    await opsgenie.call(
        "/v2/alerts", {"message": "Card payments declined", "alias": "declines", "priority": "P1"}
    )
    await warroom.run_jobs()
    assert len(ntfy.phone(TOPIC)) == 2
    assert [p.user_id for p in await person_pages(warroom)] == [CAROL, CAROL]
    _, payments = await groups(warroom)
    assert (payments.route, payments.service, payments.title) == (
        "service:payments",
        "payments",
        "Card payments declined",
    )
    assert (payments.state, payments.urgency) == ("triggered", "high")  # P1: high urgency
    assert await incidents(warroom) == []


async def test_a_service_label_pages_its_policy_and_no_service_takes_the_default_route(
    warroom: Warroom, ntfy: FakeNtfy
) -> None:
    # Alertmanager's alert labelled service: checkout, on the default key (no integration).
    labels = {"service": "checkout"}
    body = alertmanager(
        "CheckoutLatency", [alert("CheckoutLatency", "web-1", STARTED)], common=labels
    )
    assert (await post_alert(warroom.url, "alertmanager", body))[0] == 202
    # A generic webhook's alert labelled service: payments.
    generic = {
        "title": "Payments queue stuck",
        "dedup_key": "pay-q",
        "labels": {"service": "payments"},
    }
    assert (await post_alert(warroom.url, "generic", generic))[0] == 202
    await warroom.run_jobs()
    assert len(ntfy.phone(TOPIC)) == 2
    by_service = {g.service: g.route for g in await groups(warroom)}
    assert by_service == {"checkout": "service:checkout", "payments": "service:payments"}

    # No service, and a service with no policy: the default route, an incident at SEV3.
    for dedup_key, labels in (("disk", {}), ("search", {"service": "search"})):
        body = {"title": f"Alert {dedup_key}", "dedup_key": dedup_key, "labels": labels}
        assert (await post_alert(warroom.url, "generic", body, token=TOKEN))[0] == 202
    await warroom.run_jobs()
    opened = sorted(await incidents(warroom), key=lambda incident: incident.title)
    assert [(i.title, i.severity, i.service) for i in opened] == [
        ("Alert disk", "SEV3", None),
        ("Alert search", "SEV3", "search"),
    ]
    assert [g.route for g in await groups(warroom)][2:] == ["default", "default"]
    assert len(ntfy.phone(TOPIC)) == 2  # nobody more paged


@pytest.mark.parametrize(
    "routes_file",
    [{"routes": [{"name": "criticals", "match": {"severity": "critical"}, "severity": "SEV1"}]}],
)
async def test_a_route_matching_by_other_labels_stays_the_operators_choice(
    warroom: Warroom, ntfy: FakeNtfy
) -> None:
    key = await integration(warroom, "pagerduty", "checkout")
    client = PagerDutyEventsClient(f"{warroom.url}/v2/enqueue", key)
    await client.send("trigger", "a", summary="Checkout down", source="lb", severity="critical")
    await warroom.run_jobs()
    # The route the operator wrote matches it: it opens a SEV1 incident of checkout.
    (opened,) = await incidents(warroom)
    assert (opened.severity, opened.service) == ("SEV1", "checkout")
    assert ntfy.phone(TOPIC) == []
    # An error matches no route: paged to checkout's policy, not the default route.
    await client.send("trigger", "b", summary="Checkout slow", source="lb", severity="error")
    await warroom.run_jobs()
    assert [g.route for g in await groups(warroom)] == ["criticals", "service:checkout"]
    (push,) = ntfy.phone(TOPIC)
    assert "Checkout slow" in push.title


CHECKOUT_CRITICAL = {
    "routes": [
        {
            "name": "checkout-critical",
            "service": "checkout",
            "match": {"severity": "critical"},
            "action": "page",
        }
    ]
}


def warroom_cli(env: dict[str, str], *args: str) -> tuple[int, str]:
    ran = run_warroom(*args, env=env, clean=True)
    return ran.returncode, ran.stdout + ran.stderr


@pytest.mark.parametrize("routes_file", [CHECKOUT_CRITICAL])
async def test_services_list_its_page_and_config_check_say_where_its_alerts_go(
    warroom: Warroom, database_url: str, tmp_path: Path, routes_file: dict[str, Any]
) -> None:
    env = operator_env(warroom, database_url, tmp_path, routes_file)
    code, listed = await asyncio.to_thread(warroom_cli, env, "services", "list")
    assert code == 0, listed
    lines = listed.splitlines()
    assert lines[1] == (
        "  alerts: route checkout-critical, policy queues; its other alerts: paged to its "
        "policy queues"
    )
    assert lines[3] == "  alerts: no route names it: paged to its policy queues"
    assert lines[5] == "  alerts: no route names it: it has no policy, the default route, no policy"
    code, listed = await asyncio.to_thread(
        warroom_cli, {**env, "WARROOM_LANGUAGE": "fr"}, "services", "list"
    )
    assert "  alertes : aucune route ne le nomme : envoyées à sa politique queues" in listed
    code, listed = await asyncio.to_thread(warroom_cli, env, "services", "list", "--json")
    by_name = {row["name"]: row for row in json.loads(listed)}
    assert by_name["checkout"]["routes"] == [
        {"name": "checkout-critical", "action": "page", "policy": "queues"}
    ]
    assert by_name["payments"]["otherwise"] == {
        "route": "service:payments",
        "own": True,
        "policy": "queues",
    }
    assert by_name["search"]["otherwise"]["route"] == "default"

    # config check names the service whose alerts page nobody of its own (serve would start
    # with it: this warroom lacks only its Slack app's secrets).
    code, checked = await asyncio.to_thread(warroom_cli, env, "config", "check")
    assert (
        "  WARROOM_SERVICES: service 'search': its alerts page nobody of its own: no route "
        "names it and it has no escalation policy; they take the default route"
    ) in checked
    assert "service 'checkout'" not in checked and "service 'payments'" not in checked
    # A policy the policies file lacks: serve refuses, naming the service.
    (tmp_path / "services.yaml").write_text(
        (tmp_path / "services.yaml")
        .read_text()
        .replace("Its policy is not chosen yet", "x\n    policy: dba")
    )
    code, checked = await asyncio.to_thread(warroom_cli, env, "config", "check")
    assert code == 1
    assert "WARROOM_SERVICES: service 'search': no escalation policy named 'dba'" in checked

    async with browser() as bob:
        await sign_in(bob, warroom, BOB)
        said = {}
        for name in ("checkout", "payments", "search"):
            status, text = await page(bob, f"{warroom.url}/services/{name}")
            assert status == 200
            said[name] = text.split("Its alerts take ", 1)[1].split(" Alerts go to", 1)[0]
    assert said == {
        "checkout": "route checkout-critical, policy queues; its other alerts: paged to its "
        "policy queues",
        "payments": "no route names it: paged to its policy queues",
        "search": "no route names it: it has no policy, the default route, no policy",
    }
