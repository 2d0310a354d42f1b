"""deploy/prometheus/: the example rules for warroom's service levels load in Prometheus
(``promtool check rules``), their alerts fire on the series they read (``promtool test
rules``, the file beside them), and every series they name is one warroom exports on
/metrics. promtool comes from Debian's ``prometheus`` package; where it is not installed, the
rules are still parsed and their series checked."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import Metrics, Scrape
from bot.record.gauges import DatabaseGauges
from bot.record.paging.slo import SloReport

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
# A series a rule names: warroom's own (recording rules' names have colons, not underscores).
SERIES = re.compile(r"\bwarroom_[a-z0-9_]+")


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load((RULES / "warroom-rules.yml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def exercise(metrics: Metrics) -> None:
    """Count one of each paging SLI's events: a payload, a page, its acknowledgement, a drill,
    a watchdog round that pinged and one that did not."""
    metrics.alert_payload("alertmanager", "accepted")
    metrics.notification("sms", "undelivered")
    metrics.first_notification_sent("ntfy", 0.4, page="incident")
    metrics.page_acknowledged("voice", 120)
    metrics.drill_checked("twilio", ok=False)
    metrics.watchdog.pinged(ok=True, at=datetime(2026, 11, 26, 3, 0, tzinfo=UTC))
    metrics.watchdog.check_failed("providers")


def exported() -> set[str]:
    """Every sample name /metrics shows once warroom has paged, been acknowledged and drilled,
    its pager process on."""
    metrics = Metrics()
    exercise(metrics)
    database = DatabaseGauges({}, {}, {}, drills={"twilio": (1_700_000_000.0, False)})
    week = SloReport(datetime(2026, 11, 19, tzinfo=UTC), datetime(2026, 11, 26, tzinfo=UTC), [])
    text = metrics.exposition(Scrape(0, database, pager_up=True, paging=week)).decode()
    return {s.name for family in text_string_to_metric_families(text) for s in family.samples}


def test_every_series_the_rules_read_is_one_warroom_exports() -> None:
    found = exported()
    named = {name for rule in rules() for name in SERIES.findall(rule["expr"])}
    assert named, "the rules read no warroom series"
    assert named <= found, sorted(named - found)


def test_each_alert_says_what_it_means() -> None:
    alerts = [rule for rule in rules() if "alert" in rule]
    assert {rule["alert"] for rule in alerts} >= {
        "WarroomFirstNotificationSlow",
        "WarroomProviderFailing",
        "WarroomPagingDrillFailed",
        "WarroomPagingDrillMissing",
        "WarroomPagingSloBelowTarget",
    }
    for rule in alerts:
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_promtool_loads_the_rules_and_their_alerts_fire() -> None:
    for command in (
        ["check", "rules", "warroom-rules.yml"],
        ["test", "rules", "warroom-rules.test.yml"],
    ):
        done = subprocess.run(
            ["promtool", *command], cwd=RULES, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
