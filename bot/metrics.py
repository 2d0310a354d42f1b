"""What ``GET /metrics`` shows Prometheus: counters and histograms kept as work happens, and
gauges read from the database at scrape time (bot.record.gauges reads them).

Each application has its own registry (never prometheus_client's global one): tests build many
applications in one process, and each must count only its own work.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector

from bot.record.gauges import DatabaseGauges

# The text format every Prometheus (2.x and 3.x) parses; recent prometheus_client versions
# advertise 1.0.0 as "latest", which only matters for UTF-8 metric names (we have none).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Slack wants an answer within 3 s: the buckets are finer below that.
EVENT_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
# A garbage collection takes from a fraction of a millisecond (a young one) to tens of them (a
# full one over a big heap); every request in the process waits meanwhile.
GC_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25)
GC_GENERATIONS = ("0", "1", "2")


@dataclass(frozen=True)
class Scrape:
    """The scrape-time values: in-flight background work, and the database's counts
    (None when the database did not answer)."""

    background_tasks: int
    database: DatabaseGauges | None


class Metrics:
    """The application's metrics, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http_requests = Counter(
            "warroom_http_requests_total",
            "HTTP requests served, by route, method and status.",
            ["endpoint", "method", "status"],
            registry=self.registry,
        )
        self.http_duration = Histogram(
            "warroom_http_request_duration_seconds",
            "Time to answer an HTTP request, by route.",
            ["endpoint"],
            registry=self.registry,
        )
        self.slack_calls = Counter(
            "warroom_slack_api_calls_total",
            "Slack Web API requests (each attempt), by method and outcome.",
            ["method", "outcome"],
            registry=self.registry,
        )
        self.slack_retries = Counter(
            "warroom_slack_api_retries_total",
            "Slack Web API requests tried again, by method and why.",
            ["method", "reason"],
            registry=self.registry,
        )
        self.event_processing = Histogram(
            "warroom_event_processing_seconds",
            "Time from receiving a Slack request at /slack/events to answering it, by type.",
            ["type"],
            buckets=EVENT_BUCKETS,
            registry=self.registry,
        )
        self.alert_payloads = Counter(
            "warroom_alert_payloads_total",
            "Alert webhook deliveries, by source and outcome.",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.jobs_run = Counter(
            "warroom_jobs_run_total",
            "Jobs run by this replica, by kind and outcome (done, again, retry, failed, "
            "rate_limited: put back until Slack's gate opens, stopped: put back until the "
            "Slack app is installed again).",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.events_rate_limited = Counter(
            "warroom_slack_events_rate_limited_total",
            "Minutes Slack held back this app's events (app_rate_limited: over 30,000 an hour).",
            registry=self.registry,
        )
        self._scrape_collector = _ScrapeCollector()
        self.registry.register(self._scrape_collector)
        self.gc_pauses = Histogram(
            "warroom_gc_pause_seconds",
            "Python's garbage collections in this process, by generation, and how long each "
            "held the interpreter (only in `warroom serve`).",
            ["generation"],
            buckets=GC_BUCKETS,
            registry=self.registry,
        )

    def observe_request(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        self.http_requests.labels(endpoint, method, str(status)).inc()
        self.http_duration.labels(endpoint).observe(seconds)

    def slack_call(self, method: str, outcome: str) -> None:
        self.slack_calls.labels(method, outcome).inc()

    def slack_retry(self, method: str, reason: str) -> None:
        self.slack_retries.labels(method, reason).inc()

    def observe_slack_request(self, payload_type: str, seconds: float) -> None:
        self.event_processing.labels(payload_type).observe(seconds)

    def alert_payload(self, source: str, outcome: str) -> None:
        self.alert_payloads.labels(source, outcome).inc()

    def job_run(self, kind: str, outcome: str) -> None:
        self.jobs_run.labels(kind, outcome).inc()

    def events_held_back(self) -> None:
        self.events_rate_limited.inc()

    def watch_garbage_collections(self) -> Callable[[], None]:
        """Time each of this process's garbage collections from now on; stop by calling what
        this returns. For the server's own process: collections belong to the process, and
        tests build many applications in one."""
        for generation in GC_GENERATIONS:
            self.gc_pauses.labels(generation)  # a series from the start, at zero
        started = 0.0

        # Collections never overlap (each holds the interpreter), so one start time serves.
        def on_collection(phase: str, info: dict[str, Any]) -> None:
            nonlocal started
            if phase == "start":
                started = time.perf_counter()
            else:
                took = time.perf_counter() - started
                self.gc_pauses.labels(str(info["generation"])).observe(took)

        gc.callbacks.append(on_collection)
        return lambda: gc.callbacks.remove(on_collection)

    def exposition(self, scrape: Scrape) -> bytes:
        """Everything, in Prometheus text format, with ``scrape``'s gauges."""
        # Synchronous from here to the end: no other scrape can interleave its values.
        self._scrape_collector.current = scrape
        try:
            return generate_latest(self.registry)
        finally:
            self._scrape_collector.current = None


class _ScrapeCollector(Collector):
    """Yields the gauges of the scrape being rendered; the database ones only when it answered."""

    def __init__(self) -> None:
        self.current: Scrape | None = None

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterable[Metric]:
        scrape = self.current
        if scrape is None:
            return
        yield GaugeMetricFamily(
            "warroom_background_tasks",
            "Work running after Slack was answered.",
            value=scrape.background_tasks,
        )
        yield GaugeMetricFamily(
            "warroom_database_up",
            "1 when the database answered this scrape, 0 when it did not.",
            value=1 if scrape.database is not None else 0,
        )
        if scrape.database is None:
            return
        yield _gauge(
            "warroom_open_incidents",
            "Incidents not resolved, by severity.",
            ["severity"],
            scrape.database.open_incidents,
        )
        yield _gauge(
            "warroom_job_queue_depth",
            "Unfinished jobs whose time has come (waiting or running), by kind.",
            ["kind"],
            scrape.database.jobs_due,
        )
        yield GaugeMetricFamily(
            "warroom_outbox_waiting",
            "Slack writes kept in the outbox that Slack has not taken yet.",
            value=scrape.database.outbox_waiting,
        )
        yield GaugeMetricFamily(
            "warroom_outbox_given_up",
            "Slack writes given up: refused for good, or still failing after a day (alert on it).",
            value=scrape.database.outbox_given_up,
        )
        yield GaugeMetricFamily(
            "warroom_outbox_set_aside",
            "Slack writes refused until a person mends the app's scopes or the workspace's "
            "settings; the channel's other writes went on (alert on it).",
            value=scrape.database.outbox_set_aside,
        )
        yield _gauge(
            "warroom_jobs_scheduled",
            "Unfinished jobs due later (escalation timers, reminders), by kind.",
            ["kind"],
            scrape.database.jobs_later,
        )


def _gauge(
    name: str, documentation: str, labels: list[str], values: Mapping[str, int]
) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=labels)
    for label, value in sorted(values.items()):
        family.add_metric([label], value)
    return family
