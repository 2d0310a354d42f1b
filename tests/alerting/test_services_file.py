"""The services file: read and checked at start-up as the routes are, each
problem refused in words naming its service; a route naming a service takes what it gives.
Through ``warroom services list``, which reads the settings as ``serve`` does."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import main
from bot.config import Settings
from bot.record.alerting.services import ServiceError, parse_services
from tests.conftest import BOB

POLICIES = {"policies": {"payments": {"levels": [{"targets": [{"user": BOB}]}]}}}
OFFICE = {"zone": "Europe/Paris", "days": "mon-fri", "start": "09:00", "end": "18:00"}
CHECKOUT = {
    "name": "checkout",
    "description": "The shop's checkout",
    "owners": [{"usergroup": "payments-team"}, {"user": BOB}],
    "policy": "payments",
    "urgency": "low",
    "support_hours": OFFICE,
    "runbook": "https://wiki.example.com/checkout",
    "channel": "C0CHECKOUT",
    "depends_on": ["payments-api"],
}
PAYMENTS_API = {"name": "payments-api", "policy": "payments"}


def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **documents: Any) -> None:
    """Write each document as its file and point its variable at it (``services=...``)."""
    names = {
        "services": "WARROOM_SERVICES",
        "routes": "WARROOM_ALERT_ROUTES",
        "policies": "WARROOM_ESCALATION_POLICIES",
        "schedules": "WARROOM_ONCALL_SCHEDULES",
    }
    monkeypatch.setenv("WARROOM_ALERT_TOKEN", "t" * 32)
    for key, document in documents.items():
        path = tmp_path / f"{key}.yaml"
        path.write_text(yaml.safe_dump(document))
        monkeypatch.setenv(names[key], str(path))


def test_services_list_shows_each_service_as_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    files(tmp_path, monkeypatch, services={"services": [CHECKOUT, PAYMENTS_API]}, policies=POLICIES)
    assert main(["services", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [row["name"] for row in listed] == ["checkout", "payments-api"]
    assert listed[0]["owners"] == [
        {"kind": "usergroup", "ref": "payments-team"},
        {"kind": "user", "ref": BOB},
    ]
    assert listed[0]["urgency"] == "low" and listed[0]["depends_on"] == ["payments-api"]
    assert main(["services", "list"]) == 0
    said = capsys.readouterr().out
    assert "checkout: policy payments, low urgency, owned by usergroup payments-team" in said


def test_start_up_refuses_what_a_service_names_that_does_not_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = {
        **CHECKOUT,
        "policy": "dba",
        "owners": [{"schedule": "nights"}],
        "depends_on": ["billing"],
    }
    files(tmp_path, monkeypatch, services={"services": [broken]}, policies=POLICIES)
    assert main(["services", "list"]) == 2
    said = capsys.readouterr().err
    assert "service 'checkout': depends_on: no service named 'billing'" in said

    files(tmp_path, monkeypatch, services={"services": [{**broken, "depends_on": []}]})
    assert main(["services", "list"]) == 2
    said = capsys.readouterr().err
    assert "WARROOM_SERVICES: service 'checkout': no escalation policy named 'dba'" in said
    assert "service 'checkout': owner schedule: no on-call schedule named 'nights'" in said


@pytest.mark.parametrize(
    ("service", "problem"),
    [
        ({**CHECKOUT, "owners": [{"user": "alice"}]}, "owner 'alice' is not a Slack user id"),
        ({**CHECKOUT, "owners": [{"team": "x"}]}, "unknown owner kind 'team'"),
        ({**CHECKOUT, "urgency": "urgent"}, "urgency must be 'high' or 'low'"),
        ({**CHECKOUT, "urgency": "high"}, "support_hours delay only low-urgency alerts"),
        ({**CHECKOUT, "channel": "#checkout"}, "channel must be a channel id"),
        ({**CHECKOUT, "runbook": "wiki/checkout"}, "runbook must be an http(s) address"),
        ({**CHECKOUT, "colour": "red"}, "unknown key(s) colour"),
        ({"name": "Check Out"}, "'name' is required"),
    ],
)
def test_a_bad_service_is_refused_naming_it(service: dict[str, Any], problem: str) -> None:
    with pytest.raises(ServiceError) as refused:
        parse_services({"services": [service, PAYMENTS_API]})
    assert problem in str(refused.value)


def test_a_route_naming_a_service_takes_what_the_route_leaves_unset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    routes = {
        "routes": [
            {"name": "checkout", "service": "checkout", "action": "page"},
            {
                "name": "checkout-disk",
                "service": "checkout",
                "action": "page",
                "match": {"alertname": "DiskFull"},
                "urgency": "high",
                "channel": "C0DISKS",
            },
        ]
    }
    files(
        tmp_path,
        monkeypatch,
        services={"services": [CHECKOUT, PAYMENTS_API]},
        routes=routes,
        policies=POLICIES,
    )
    settings = Settings.from_env(os.environ)
    found = settings.alerting.routes
    taken, own = found.routes
    assert (taken.policy, taken.channel, taken.urgency) == ("payments", "C0CHECKOUT", "low")
    assert taken.support_hours is not None and taken.support_hours.zone == "Europe/Paris"
    assert taken.runbook == "https://wiki.example.com/checkout"
    # Without matchers it matches the alerts labelled with its service.
    assert found.route_for({"alertname": "Slow", "service": "checkout"}) is taken
    assert found.route_for({"alertname": "Slow", "service": "search"}) is found.default
    assert (own.channel, own.urgency, own.support_hours) == ("C0DISKS", "high", None)
    # An alert of another route carries the service its label names, when the file has it.
    assert found.service_for(found.default, {"service": "payments-api"}) == "payments-api"
    assert found.service_for(found.default, {"service": "search"}) is None


def test_a_route_naming_an_unknown_service_is_refused_at_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    routes = {
        "routes": [
            {"name": "search", "service": "search", "action": "page"},
            {"name": "api", "service": "payments-api", "action": "page"},
        ]
    }
    files(
        tmp_path,
        monkeypatch,
        services={"services": [PAYMENTS_API]},
        routes=routes,
        policies=POLICIES,
    )
    assert main(["services", "list"]) == 2
    said = capsys.readouterr().err
    assert "route 'search': no service named 'search' in WARROOM_SERVICES" in said
    assert "route 'api': a 'page' route needs 'channel', and service 'payments-api' names none" in (
        said
    )
