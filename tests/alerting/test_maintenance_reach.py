"""Which alert routes a maintenance window's labels reach
(bot/flows/alerting/maintenance_rights.py), and a policy's ``owners:``: pure, from the files as
operators write them."""

from __future__ import annotations

import pytest

from bot.flows.alerting.maintenance_rights import routes_reached
from bot.record.escalation.policies import PolicyError, parse_policies
from tests.helpers.alerts import routes

FILE = routes(
    {
        "routes": [
            {"name": "checkout", "match": {"service": "checkout"}, "policy": "payments"},
            {"name": "db", "match_re": {"alertname": "Postgres.*"}, "policy": "dba"},
            {"name": "prod", "match": {"env": "prod"}, "policy": "sre"},
        ],
        "default": {"action": "open", "policy": "web"},
    }
)


def reached(**labels: str) -> list[str]:
    return [route.name for route in routes_reached(labels, FILE)]


def test_a_route_every_such_alert_takes_ends_the_list() -> None:
    assert reached(service="checkout") == ["checkout"]
    assert reached(service="checkout", env="prod") == ["checkout"]


def test_a_route_a_label_contradicts_is_not_reached() -> None:
    assert reached(service="search") == ["db", "prod", "default"]
    assert reached(alertname="DiskFull", env="staging", service="search") == ["default"]


def test_a_label_the_window_leaves_open_reaches_every_route_that_may_match() -> None:
    assert reached(env="prod") == ["checkout", "db", "prod"]
    assert reached(alertname="PostgresDown") == ["checkout", "db"]
    assert reached(alertname="PostgresDown", service="search") == ["db"]


def test_a_policy_names_its_owners_by_slack_id() -> None:
    levels = [{"targets": [{"user": "U0BOB"}]}]
    policy = parse_policies({"policies": {"web": {"owners": ["U0ALICE"], "levels": levels}}})
    assert policy.by_name["web"].owners == ("U0ALICE",)
    with pytest.raises(PolicyError, match="owners must be a list of Slack user ids"):
        parse_policies({"policies": {"web": {"owners": "alice", "levels": levels}}})
