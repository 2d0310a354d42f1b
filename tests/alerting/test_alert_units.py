"""Alert parsing and routing without HTTP: the rules operators and senders rely on."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings
from bot.record.alerting.payloads import PayloadError
from bot.record.alerting.routes import RouteError, load_routes, parse_routes
from bot.record.alerting.sources.registry import parse
from tests.helpers.alerts import payload

RECEIVED = datetime(2026, 8, 1, 10, 30, tzinfo=UTC)
ROUTES = {
    "routes": [
        {
            "name": "db-critical",
            "match": {"team": "db", "severity": "critical"},
            "severity": "SEV1",
        },
        {"name": "db-any", "match_re": {"team": "db|database"}, "severity": "SEV2"},
        {
            "name": "disk",
            "match": {"alertname": "DiskSpaceLow"},
            "action": "post",
            "channel": "C0OPS",
        },
    ],
    "default": {"severity": "SEV4", "channel_prefix": "alert"},
}


def test_the_first_matching_route_wins_and_the_rest_go_to_the_default() -> None:
    routes = parse_routes(ROUTES)
    assert routes.route_for({"team": "db", "severity": "critical"}).name == "db-critical"
    assert routes.route_for({"team": "db", "severity": "warning"}).name == "db-any"
    assert routes.route_for({"team": "database"}).name == "db-any"
    # Regular expressions match the whole value, as Alertmanager's do.
    assert routes.route_for({"team": "dbx"}).name == "default"
    default = routes.route_for({})
    assert (default.severity, default.channel_prefix, default.action) == ("SEV4", "alert", "open")


def test_without_a_routes_file_every_alert_opens_a_sev3_incident() -> None:
    route = Settings().alerting.routes.route_for({"anything": "at all"})
    assert (route.action, route.severity) == ("open", None)  # None: the alert's own, else SEV3


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"routes": [{"match": {"a": "b"}}]}, "'name' is required"),
        ({"routes": [{"name": "x", "colour": "red"}]}, "unknown key(s) colour"),
        ({"routes": [{"name": "x", "match_re": {"a": "("}}]}, "not a regular expression"),
        ({"routes": [{"name": "x", "action": "post"}]}, "needs 'channel'"),
        ({"routes": [{"name": "x", "severity": "P1"}]}, "severity must be one of"),
        ({"routes": [{"name": "x", "title": "{{ oops"}]}, "not a valid template"),
        ({"routes": [{"name": "x"}, {"name": "x"}]}, "must be unique"),
        ({"routes": [{"name": "x", "on_resolved": "close"}]}, "on_resolved must be"),
        ({"default": {"match": {"a": "b"}}}, "without matchers"),
    ],
)
def test_a_bad_routes_file_says_what_is_wrong(document: dict[str, object], problem: str) -> None:
    with pytest.raises(RouteError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        parse_routes(document)


def test_routes_are_checked_against_the_policies_and_need_no_token(tmp_path: Path) -> None:
    routes_file = tmp_path / "routes.yaml"
    routes_file.write_text(json.dumps({"routes": [{"name": "db", "policy": "dba"}]}))
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"WARROOM_ALERT_ROUTES": str(routes_file)})
    assert "no escalation policy named dba" in str(error.value)
    # Integrations carry their own keys: the global token is optional.
    assert "WARROOM_ALERT_TOKEN" not in str(error.value)
    assert load_routes(routes_file).routes[0].policy == "dba"


def test_titles_are_sandboxed_and_fall_back_when_a_template_fails() -> None:
    routes = parse_routes(
        {
            "routes": [
                {"name": "escape", "match": {"a": "1"}, "title": "{{ ''.__class__.__mro__ }}"},
                {"name": "plain", "title": "{{ labels.service | upper }} down"},
            ]
        }
    )
    context = {"labels": {"service": "api"}, "annotations": {"summary": "API is down"}}
    assert routes.route_for({"a": "1"}).render_title(context) == "API is down"
    assert routes.route_for({}).render_title(context) == "API down"


def test_alertmanager_times_and_fingerprints() -> None:
    body = payload("alertmanager_firing.json")
    body["alerts"][0]["startsAt"] = "2026-08-01T12:00:00.123+02:00"
    del body["alerts"][0]["fingerprint"]  # Alertmanager before 0.19
    notification = parse("alertmanager", json.dumps(body), received_at=RECEIVED)
    (alert,) = notification.alerts
    assert alert.starts_at == datetime(2026, 8, 1, 10, 0, 0, 123000, tzinfo=UTC)
    assert alert.ends_at is None, "Go's zero time means still firing"
    assert len(alert.fingerprint) == 16
    assert notification.route_labels["team"] == "db"
    assert [link.text for link in alert.links] == ["Source", "Runbook"]


def test_a_resolved_alert_needs_its_end_and_times_need_an_offset() -> None:
    body = payload("alertmanager_firing.json")
    body["alerts"][0]["status"] = "resolved"
    body["alerts"][0]["startsAt"] = "2026-08-01T10:00:00"
    with pytest.raises(PayloadError) as error:
        parse("alertmanager", json.dumps(body), received_at=RECEIVED)
    assert error.value.problems == [
        "alerts[0].startsAt: needs a UTC offset (Z or +hh:mm): '2026-08-01T10:00:00'",
    ]


def test_the_generic_shape_fills_what_the_sender_leaves_out() -> None:
    notification = parse(
        "generic",
        json.dumps({"title": "Backups late", "dedup_key": "backups", "status": "resolved"}),
        received_at=RECEIVED,
    )
    (alert,) = notification.alerts
    assert (alert.starts_at, alert.ends_at, alert.start_given) == (RECEIVED, RECEIVED, False)
    assert notification.sender == "webhook" and notification.severity is None
    with pytest.raises(PayloadError) as error:
        parse(
            "generic",
            json.dumps({"title": "", "dedup_key": "k", "links": ["ftp://x"], "labels": [1]}),
            received_at=RECEIVED,
        )
    assert error.value.problems == [
        "title: required, a non-empty string",
        "labels: must be an object of strings",
        "links[0]: must be an http(s) URL or {href, text}",
    ]


def test_an_older_grafana_without_a_group_key_is_grouped_by_receiver_and_labels() -> None:
    body = payload("grafana_firing.json")
    del body["groupKey"]
    body["groupLabels"] = {"alertname": "High memory usage"}
    notification = parse("grafana", json.dumps(body), received_at=RECEIVED)
    assert notification.group_key == 'My Super Webhook:{"alertname": "High memory usage"}'
    del body["groupLabels"]
    with pytest.raises(PayloadError, match="groupKey: required"):
        parse("grafana", json.dumps(body), received_at=RECEIVED)


def test_a_route_removed_from_the_file_falls_back_to_the_default() -> None:
    routes = parse_routes(ROUTES)
    assert routes.named("db-any").severity == "SEV2"
    assert routes.named("gone") is routes.default
