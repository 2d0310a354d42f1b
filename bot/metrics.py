"""What ``GET /metrics`` shows Prometheus: counters and histograms kept as work happens, and
gauges read from the database at scrape time (bot.record.gauges reads them).

Each application has its own registry (never prometheus_client's global one): tests build many
applications in one process, and each must count only its own work.
"""

from __future__ import annotations

import gc
import math
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from bot.basics.version import package_version, source_commit
from bot.record.gauges import DatabaseGauges
from bot.record.paging.contacts import provider_of
from bot.record.paging.slo import OUTCOMES, SloReport

# The text format every Prometheus (2.x and 3.x) parses; recent prometheus_client versions
# advertise 1.0.0 as "latest", which only matters for UTF-8 metric names (we have none).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Slack wants an answer within 3 s: the buckets are finer below that.
EVENT_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
# A garbage collection takes from a fraction of a millisecond (a young one) to tens of them (a
# full one over a big heap); every request in the process waits meanwhile.
GC_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25)
GC_GENERATIONS = ("0", "1", "2")
# A page's first notification should leave within seconds (README, "Paging": 2 s at p99); an
# acknowledgement takes a person minutes.
FIRST_NOTIFICATION_BUCKETS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
ACKNOWLEDGEMENT_BUCKETS = (30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0)
# Each app_rate_limited notice stands for one minute of events held back
# (https://docs.slack.dev/reference/events/app_rate_limited/, ``minute_rate_limited``).
SECONDS_HELD_BACK = 60.0


@dataclass(frozen=True)
class Scrape:
    """The scrape-time values: in-flight background work, and the database's counts
    (None when the database did not answer)."""

    background_tasks: int
    database: DatabaseGauges | None
    # With a pager process: whether its /metrics answered this scrape (None: no pager).
    pager_up: bool | None = None
    # Whether Slack's last auth.test (/readyz's, kept) answered ok (None: not asked yet).
    slack_up: bool | None = None
    # The paging SLO over the trailing 7 days (None when the database did not answer).
    paging: SloReport | None = None


class Metrics:
    """The application's metrics, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._time_requests()
        self._count_work()
        self.watchdog = WatchdogMetrics(self.registry)
        self.verdict_requests = Counter(
            "warroom_ai_verdict_requests_total",
            "Requests for the team's model's verdicts on the draft's sentences, by outcome "
            "(passed: every control answered right; failed_control: a control, one of the "
            "sentences changed to be false, called supported, its verdicts void; no_controls: "
            "no control could be made from the sentences, the model not asked; no_verdicts: "
            "no usable answer).",
            ["outcome"],
            registry=self.registry,
        )
        self._scrape_collector = _ScrapeCollector()
        self.registry.register(self._scrape_collector)
        self.registry.register(_BuildInfo())
        self._watch_the_process()

    def _time_requests(self) -> None:
        """The counters and timings of what is asked of the process: HTTP requests, Slack's
        Web API calls and their retries, Slack's events."""
        # Counted once or twice for every request: tallied in plain Python (see Tally).
        self.http_requests = Tally(
            "warroom_http_requests",
            "HTTP requests served, by route, method and status.",
            ("endpoint", "method", "status"),
        )
        self.http_duration = Tally(
            "warroom_http_request_duration_seconds",
            "Time to answer an HTTP request, by route.",
            ("endpoint",),
            buckets=Histogram.DEFAULT_BUCKETS,
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
        self.event_processing = Tally(
            "warroom_event_processing_seconds",
            "Time from receiving a Slack request at /slack/events to answering it, by type.",
            ("type",),
            buckets=EVENT_BUCKETS,
        )
        for tally in (self.http_requests, self.http_duration, self.event_processing):
            self.registry.register(tally)

    def _watch_the_process(self) -> None:
        """The process's own: its garbage collections' pauses, its CPU, memory and files,
        and Python's."""
        self.gc_pauses = Histogram(
            "warroom_gc_pause_seconds",
            "Python's garbage collections in this process, by generation, and how long each "
            "held the interpreter (only in `warroom serve`).",
            ["generation"],
            buckets=GC_BUCKETS,
            registry=self.registry,
        )
        # The process's own (CPU, memory, open files, start time: process_*) and Python's
        # (python_info, python_gc_*), in this registry: prometheus_client registers them in its
        # global one at import, which warroom never serves.
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)

    def _count_work(self) -> None:
        """The counters of what arrives and what is done with it: deliveries of alerts and
        change events, jobs, Slack's holding back, people's notifications and pages (those in
        ``_count_pages``)."""
        self.alert_payloads = Counter(
            "warroom_alert_payloads_total",
            "Alert webhook deliveries, by source and outcome.",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.change_events = Counter(
            "warroom_change_events_total",
            "Change event deliveries (deploys, flags, configuration), by source and outcome.",
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
            "warroom_slack_events_rate_limited_seconds_total",
            "Time Slack held back this app's events (app_rate_limited: over 30,000 an hour), "
            "60 s for each minute Slack said it held them.",
            registry=self.registry,
        )
        self._count_pages()

    def _count_pages(self) -> None:
        """The counters of paging: what became of people's notifications, how soon the first
        left and the page was acknowledged, the drill's checks."""
        self.notifications = Counter(
            "warroom_notifications_total",
            "What became of people's notifications, by provider, method and outcome (sent, "
            "delivered, answered, failed, undelivered, no_answer, busy; unconfirmed: no delivery "
            "report within WARROOM_PAGING_DELIVERY_WAIT).",
            ["provider", "method", "outcome"],
            registry=self.registry,
        )
        self.first_notification = Histogram(
            "warroom_page_first_notification_seconds",
            "From the arrival of what started a page (the alert's HTTP request, the /incident "
            "start command; a later level's start, for a level that started by itself) to its "
            "first notification leaving, by method and page (incident, alert: an alert's page "
            "with no incident).",
            ["method", "page"],
            buckets=FIRST_NOTIFICATION_BUCKETS,
            registry=self.registry,
        )
        self.acknowledgements = Histogram(
            "warroom_page_acknowledgement_seconds",
            "From a page's start to its acknowledgement, by how (slack, sms, voice, ntfy, email).",
            ["via"],
            buckets=ACKNOWLEDGEMENT_BUCKETS,
            registry=self.registry,
        )
        self.drill_checks = Counter(
            "warroom_paging_drill_checks_total",
            "Providers exercised by the paging drill in this process, by provider and "
            "outcome (ok, failed).",
            ["provider", "outcome"],
            registry=self.registry,
        )

    def observe_request(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        self.http_requests.count((endpoint, method, str(status)))
        self.http_duration.observe((endpoint,), seconds)

    def slack_call(self, method: str, outcome: str) -> None:
        self.slack_calls.labels(method, outcome).inc()

    def slack_retry(self, method: str, reason: str) -> None:
        self.slack_retries.labels(method, reason).inc()

    def observe_slack_request(self, payload_type: str, seconds: float) -> None:
        self.event_processing.observe((payload_type,), seconds)

    def alert_payload(self, source: str, outcome: str) -> None:
        self.alert_payloads.labels(source, outcome).inc()

    def change_event(self, source: str, outcome: str) -> None:
        self.change_events.labels(source, outcome).inc()

    def notification(self, method: str, outcome: str, *, provider: str | None = None) -> None:
        """One notification's outcome; ``provider``: who carried it when not the method's
        own company (an SMS through a second phone provider)."""
        outcome = outcome.replace("-", "_")  # a call's no-answer, as a label value
        self.notifications.labels(provider or provider_of(method), method, outcome).inc()

    def first_notification_sent(self, method: str, seconds: float, *, page: str) -> None:
        """A page's first notification left ``seconds`` after what started it arrived;
        ``page``: incident, or alert (an alert's page with no incident)."""
        self.first_notification.labels(method, page).observe(max(seconds, 0.0))

    def page_acknowledged(self, via: str, seconds: float) -> None:
        self.acknowledgements.labels(via).observe(max(seconds, 0.0))

    def drill_checked(self, provider: str, ok: bool) -> None:
        self.drill_checks.labels(provider, "ok" if ok else "failed").inc()

    def verdicts_request(self, outcome: str) -> None:
        self.verdict_requests.labels(outcome).inc()

    def job_run(self, kind: str, outcome: str) -> None:
        self.jobs_run.labels(kind, outcome).inc()

    def events_held_back(self) -> None:
        """Slack held back this app's events for a minute (``app_rate_limited``)."""
        self.events_rate_limited.inc(SECONDS_HELD_BACK)

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

    def exposition(self, scrape: Scrape, merged: Iterable[Metric] = ()) -> bytes:
        """Everything, in Prometheus text format, with ``scrape``'s gauges and the families of
        another process (``merged``: the pager's, their samples labelled already) folded in."""
        # Synchronous from here to the end: no other scrape can interleave its values.
        self._scrape_collector.current = scrape
        try:
            return generate_latest(_Exposed(self.registry, merged))
        finally:
            self._scrape_collector.current = None


class Tally(Collector):
    """A counter (no ``buckets``) or a histogram by label values, counted in plain Python.

    prometheus_client's own take a lock for each value they add to and look their labels up
    through a second lock: three metrics a Slack event cost more CPU than the checks warroom
    adds to Bolt's (bench/RESULTS.md). These are only added to by the event loop's thread
    (request handlers, one at a time), so a list a series serves, and its text is the same
    as prometheus_client's (``_total``; ``_bucket``, ``_count``, ``_sum``).
    """

    def __init__(
        self,
        name: str,
        documentation: str,
        labels: tuple[str, ...],
        buckets: Iterable[float] = (),
    ) -> None:
        self.name, self.documentation, self.labels = name, documentation, labels
        bounds = [float(bound) for bound in buckets]
        if bounds and bounds[-1] != math.inf:
            bounds.append(math.inf)
        self.bounds = tuple(bounds)
        # By label values: a histogram's count in each bucket (not cumulative) and its sum
        # last; a counter's one count.
        self.series: dict[tuple[str, ...], list[float]] = {}

    def count(self, labels: tuple[str, ...]) -> None:
        """One more, in the series of ``labels`` (a counter)."""
        series = self.series.get(labels)
        if series is None:
            series = self.series[labels] = [0]
        series[0] += 1

    def observe(self, labels: tuple[str, ...], value: float) -> None:
        """``value`` into the series of ``labels`` (a histogram)."""
        series = self.series.get(labels)
        if series is None:
            series = self.series[labels] = [0] * len(self.bounds) + [0.0]
        series[bisect_left(self.bounds, value)] += 1
        series[-1] += value

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterable[Metric]:
        labels = list(self.labels)
        if not self.bounds:
            counter = CounterMetricFamily(self.name, self.documentation, labels=labels)
            for values, series in list(self.series.items()):
                counter.add_metric(list(values), series[0])
            yield counter
            return
        histogram = HistogramMetricFamily(self.name, self.documentation, labels=labels)
        edges = [floatToGoString(bound) for bound in self.bounds]
        for values, series in list(self.series.items()):
            cumulative = accumulate(series[:-1])  # Prometheus' buckets count all below too
            histogram.add_metric(
                list(values), list(zip(edges, cumulative, strict=True)), series[-1]
            )
        yield histogram


class WatchdogMetrics:
    """The watchdog's (bot/flows/paging/watchdog.py): its pings by outcome, the rounds whose
    check failed by part, and when a round last passed and was answered."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.pings = Counter(
            "warroom_watchdog_pings_total",
            "Watchdog pings to WARROOM_WATCHDOG_URL by outcome (ok: answered 2xx; failed: "
            "an error status or no answer), sent only when warroom's own check passed.",
            ["outcome"],
            registry=registry,
        )
        self.check_failures = Counter(
            "warroom_watchdog_check_failures_total",
            "Watchdog rounds whose check failed, so no ping was sent, by the part that failed "
            "(database, jobs, pager, providers).",
            ["part"],
            registry=registry,
        )
        self._last_ok = _LastOk()
        registry.register(self._last_ok)

    def pinged(self, *, ok: bool, at: datetime | None = None) -> None:
        """A ping, answered 2xx (``ok``, at ``at``) or not."""
        self.pings.labels("ok" if ok else "failed").inc()
        if ok and at is not None:
            self._last_ok.at = at.timestamp()

    def check_failed(self, part: str) -> None:
        self.check_failures.labels(part).inc()


class _LastOk(Collector):
    """``warroom_watchdog_last_ok_timestamp_seconds``: shown once a round passed and its ping
    was answered 2xx in this process (a process that never pinged shows no series, so a
    ``max`` over replicas reads the latest of those that did)."""

    def __init__(self) -> None:
        self.at: float | None = None

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterable[Metric]:
        if self.at is None:
            return
        yield GaugeMetricFamily(
            "warroom_watchdog_last_ok_timestamp_seconds",
            "When warroom's own check last passed and the watchdog's ping was answered 2xx "
            "(Unix time).",
            value=self.at,
        )


class _BuildInfo(Collector):
    """``warroom_build_info{version, commit} 1``: which release each replica runs (join on it
    to split any series by version during a rollout)."""

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterable[Metric]:
        info = GaugeMetricFamily(
            "warroom_build_info",
            "The running warroom's version and the commit it was built from; always 1.",
            labels=["version", "commit"],
        )
        info.add_metric([package_version(), source_commit()], 1)
        yield info


class _Exposed(Collector):
    """What a scrape shows: the registry's families without their ``_created`` samples, and
    another process's families merged in, each sample under the family of its name.

    ``_created`` (each counter's and histogram's start time) doubles the series and no query
    of warroom's reads it; prometheus_client leaves it out only through a process-wide switch
    (``disable_created_metrics()`` or PROMETHEUS_DISABLE_CREATED_SERIES), which would reach
    every registry of the process: it is left out here, per scrape.
    """

    def __init__(self, registry: CollectorRegistry, merged: Iterable[Metric]) -> None:
        self.registry, self.merged = registry, merged

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterable[Metric]:
        families: dict[str, Metric] = {}
        for family in (*self.registry.collect(), *self.merged):
            kept = [s for s in family.samples if not _is_created(family, s.name)]
            if family.name in families and families[family.name].type == family.type:
                families[family.name].samples.extend(kept)
                continue
            copy = Metric(family.name, family.documentation, family.type, family.unit)
            copy.samples = kept
            families.setdefault(family.name, copy)
        return list(families.values())


def labelled(text: str, **labels: str) -> list[Metric]:
    """The families of another process's exposition (``text``), each sample given ``labels``
    too (``process="pager"``): merged into a scrape, they stay series of their own."""
    families = list(text_string_to_metric_families(text))
    for family in families:
        family.samples = [
            sample._replace(labels={**sample.labels, **labels}) for sample in family.samples
        ]
    return families


def _is_created(family: Metric, sample: str) -> bool:
    return family.type in _WITH_CREATED and sample == family.name + "_created"


_WITH_CREATED = frozenset({"counter", "histogram", "summary", "gaugehistogram"})


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
        yield from _process_gauges(scrape)
        if scrape.database is None:
            return
        yield from _work_gauges(scrape.database)
        yield from _drill_gauges(scrape.database)
        if scrape.paging is not None:
            yield from _paging_slo(scrape.paging)
        yield _gauge(
            "warroom_jobs_scheduled",
            "Unfinished jobs due later (escalation timers, reminders), by kind.",
            ["kind"],
            scrape.database.jobs_later,
        )


def _work_gauges(database: DatabaseGauges) -> Iterable[Metric]:
    """The record's open incidents, the jobs due and the outbox's writes, by state."""
    yield _gauge(
        "warroom_open_incidents",
        "Incidents not resolved, by severity.",
        ["severity"],
        database.open_incidents,
    )
    yield _gauge(
        "warroom_job_queue_depth",
        "Unfinished jobs whose time has come (waiting or running), by kind.",
        ["kind"],
        database.jobs_due,
    )
    yield GaugeMetricFamily(
        "warroom_outbox_waiting",
        "Slack writes kept in the outbox that Slack has not taken yet.",
        value=database.outbox_waiting,
    )
    yield GaugeMetricFamily(
        "warroom_outbox_given_up",
        "Slack writes given up: refused for good, or still failing after a day (alert on it).",
        value=database.outbox_given_up,
    )
    yield GaugeMetricFamily(
        "warroom_outbox_set_aside",
        "Slack writes refused until a person mends the app's scopes or the workspace's "
        "settings; the channel's other writes went on (alert on it).",
        value=database.outbox_set_aside,
    )


def _drill_gauges(database: DatabaseGauges) -> Iterable[Metric]:
    """When the paging drill last exercised each provider, and whether it passed."""
    drill_at = GaugeMetricFamily(
        "warroom_paging_drill_last_run_timestamp_seconds",
        "When the paging drill last exercised each provider (Unix time), from the record.",
        labels=["provider"],
    )
    drill_ok = GaugeMetricFamily(
        "warroom_paging_drill_last_ok",
        "1 when the provider passed its last drill, 0 when it failed (alert on it).",
        labels=["provider"],
    )
    for provider, (at, ok) in sorted(database.drills.items()):
        drill_at.add_metric([provider], at)
        drill_ok.add_metric([provider], 1 if ok else 0)
    yield drill_at
    yield drill_ok


def _process_gauges(scrape: Scrape) -> Iterable[Metric]:
    """What the process itself knows: its background work, the pager's and Slack's last
    answers, whether the database answered this scrape."""
    yield GaugeMetricFamily(
        "warroom_background_tasks",
        "Work running after Slack was answered.",
        value=scrape.background_tasks,
    )
    if scrape.pager_up is not None:
        yield GaugeMetricFamily(
            "warroom_pager_up",
            "With WARROOM_PAGER_PROCESS=on, 1 when the pager process's series are in this "
            'scrape (label process="pager"), 0 when it did not answer.',
            value=1 if scrape.pager_up else 0,
        )
    if scrape.slack_up is not None:
        yield GaugeMetricFamily(
            "warroom_slack_up",
            "1 when Slack's last auth.test (the one /readyz keeps) answered and took the "
            "token, 0 when it did not (pages go by phone meanwhile; alert on it).",
            value=1 if scrape.slack_up else 0,
        )
    yield GaugeMetricFamily(
        "warroom_database_up",
        "1 when the database answered this scrape, 0 when it did not.",
        value=1 if scrape.database is not None else 0,
    )


def _paging_slo(report: SloReport) -> Iterable[Metric]:
    """The paging SLO over the trailing 7 days, from the record: every replica shows the same
    figures (a counter per process could not say "never", decided by no event)."""
    alerts = GaugeMetricFamily(
        "warroom_paging_first_delivery_alerts",
        "High-urgency alerts of the trailing 7 days by the provider that first reached a "
        "person (not reached: the one tried first) and outcome (within_60s, late, never), "
        "from the record.",
        labels=["provider", "outcome"],
    )
    for provider, tally in report.by_provider().items():
        for outcome, count in zip(OUTCOMES, (tally.within, tally.late, tally.never), strict=True):
            alerts.add_metric([provider, outcome], count)
    yield alerts
    ratio = report.overall.ratio
    yield GaugeMetricFamily(
        "warroom_paging_first_delivery_ratio",
        "The share of the trailing 7 days' high-urgency alerts confirmed to reach a person "
        "within 60 s of arriving (1 when there were none); the target is 0.999.",
        value=1.0 if ratio is None else ratio,
    )


def _gauge(
    name: str, documentation: str, labels: list[str], values: Mapping[str, int]
) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=labels)
    for label, value in sorted(values.items()):
        family.add_metric([label], value)
    return family
