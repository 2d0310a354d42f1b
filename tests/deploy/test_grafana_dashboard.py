"""deploy/grafana/warroom.json: a dashboard Grafana imports, whose every PromQL query names only
series that a real scrape of warroom's ``/metrics`` shows (over HTTP on 127.0.0.1, once warroom
has served requests, paged, been acknowledged and drilled, its pager process on)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bench.harness import free_port
from bot.keys import metrics_key
from bot.store.db import session_scope
from bot.store.models import DrillCheck
from bot.web.health import readiness_key
from emulator import SlackEmulator
from tests.conftest import running_warroom
from tests.deploy.test_prometheus_rules import exercise
from tests.helpers.incidents import open_incident

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "warroom.json"
# PromQL's words that are not series: functions, aggregations and their modifiers, Grafana's
# variables ($job, $__rate_interval) are cut before.
_WORDS = frozenset(
    {
        "sum", "max", "min", "avg", "count", "by", "without", "rate", "increase", "irate",
        "histogram_quantile", "time", "label_values", "and", "or", "unless", "on", "ignoring",
        "group_left", "group_right", "offset", "bool", "topk", "bottomk", "abs", "clamp_min",
    }
)  # fmt: skip
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\[\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring)\s*\([^()]*\)")
_VARIABLE = re.compile(r"\$\{?\w+\}?")
_NAME = re.compile(r"(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*")


def dashboard() -> dict[str, Any]:
    return dict(json.loads(DASHBOARD.read_text()))


def queries(document: dict[str, Any]) -> Iterator[str]:
    """Every PromQL expression: each panel's targets, and the template variables' queries."""
    for panel in document["panels"]:
        for target in panel.get("targets", []):
            yield target["expr"]
    for variable in document["templating"]["list"]:
        query = variable.get("query")
        if isinstance(query, dict):
            yield query["query"]


def series_named(expression: str) -> set[str]:
    """The series ``expression`` reads: what is left once strings, label matchers, ranges,
    groupings, variables, numbers and PromQL's own words are cut."""
    for pattern in (_STRING, _MATCHERS, _RANGE, _GROUPING, _VARIABLE):
        expression = pattern.sub(" ", expression)
    expression = re.sub(r"label_values\(\s*([a-zA-Z_:][\w:]*)\s*,\s*\w+\s*\)", r"\1", expression)
    return {name for name in _NAME.findall(expression) if name not in _WORDS}


def test_the_dashboard_is_grafana_json_with_a_query_in_every_panel() -> None:
    document = dashboard()
    assert document["uid"] == "warroom" and document["title"]
    panels = [panel for panel in document["panels"] if panel["type"] != "row"]
    assert panels
    for panel in panels:
        assert panel["targets"], panel["title"]
        assert {"x", "y", "w", "h"} <= set(panel["gridPos"]), panel["title"]
    ids = [panel["id"] for panel in document["panels"]]
    assert len(ids) == len(set(ids))


def test_the_parser_finds_the_series_of_a_query() -> None:
    expression = (
        'sum by (le) (rate(warroom_x_bucket{job=~"$job",a="b c"}[$__rate_interval])) '
        "/ on (instance) process_y"
    )
    assert series_named(expression) == {"warroom_x_bucket", "process_y"}


async def test_every_series_the_dashboard_reads_is_in_a_scrape(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    # A closed port: the pager's part of the scrape is there, saying it did not answer.
    async with running_warroom(
        slack, sqlite_url, runtime__pager_metrics_port=free_port()
    ) as warroom:
        warroom.app[readiness_key].pager.on = True
        await open_incident(warroom)
        metrics = warroom.app[metrics_key]
        exercise(metrics)
        # What a test's application does not do by itself: a job run, a Slack call retried,
        # serve's watch over garbage collections, a drill settled in the record.
        metrics.job_run("update_reminder", "done")
        metrics.slack_retry("chat.postMessage", "rate_limited")
        metrics.watch_garbage_collections()()
        now = warroom.clock.now
        async with session_scope(warroom.engine) as session:
            session.add(
                DrillCheck(
                    drill="weekly", provider="ntfy", method="ntfy", state="ok",
                    started_at=now, settled_at=now,
                )
            )  # fmt: skip
            await session.commit()
        async with aiohttp.ClientSession() as client:
            async with client.get(f"{warroom.url}/readyz") as answer:
                await answer.read()
            async with client.get(f"{warroom.url}/metrics") as answer:
                assert answer.status == 200
                text = await answer.text()
    scraped = {s.name for family in text_string_to_metric_families(text) for s in family.samples}
    read = {name for expression in queries(dashboard()) for name in series_named(expression)}
    assert read, "the dashboard reads no series"
    assert read <= scraped, sorted(read - scraped)
    # Each paging SLI the rules alert on has a panel.
    for name in (
        "warroom_page_first_notification_seconds_bucket",
        "warroom_notifications_total",
        "warroom_paging_drill_last_ok",
    ):
        assert name in read, name
