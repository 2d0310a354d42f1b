"""Operations: GET /metrics scraped over HTTP while real flows run, and the JSON log lines."""

from __future__ import annotations

import gc
import io
import json
import logging
import re
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.http_exceptions import BadHttpMessage
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from slack_sdk.http_retry.response import HttpResponse

from bot.basics.logs import JsonFormatter, TextFormatter, current_incident, install_log_redaction
from bot.clients.slack.telemetry import outcome_of
from bot.config import Secret
from bot.keys import metrics_key
from bot.metrics import Tally
from emulator import Channel, SlackEmulator
from tests.conftest import ALICE, BOB, Warroom, running_warroom
from tests.helpers.incidents import open_incident
from tests.helpers.logs import Everything
from tests.helpers.metrics import names, scrape, value
from tests.helpers.processes import bot_env, free_port, serve
from tests.helpers.web_view import web_settings


async def get(warroom: Warroom, path: str) -> int:
    async with aiohttp.ClientSession() as client, client.get(f"{warroom.url}{path}") as response:
        return response.status


async def settle(warroom: Warroom) -> None:
    """Wait for everything the last requests set off (background work, event deliveries)."""
    await warroom.finish_background()
    await warroom.slack.drain()


async def test_requests_slack_calls_and_open_incidents_are_counted(warroom: Warroom) -> None:
    slack = warroom.slack
    channel = await open_incident(warroom)
    message = await slack.post_message(channel.id, "the dashboards are red", user=BOB)
    await slack.add_reaction(channel.id, message.ts, "pushpin", user=BOB)
    general = slack.channel_by_name("general")
    assert general is not None
    refused = await slack.send_command(
        "start Evil", user=ALICE, channel=general.id, signing_secret="not-the-secret"
    )
    assert refused.status == 401
    assert await get(warroom, "/no/such/page") == 404
    await settle(warroom)

    samples = await scrape(warroom)

    requests = "warroom_http_requests_total"
    events = {"endpoint": "/slack/events", "method": "POST"}
    assert (value(samples, requests, **events, status="200") or 0) >= 3
    assert value(samples, requests, **events, status="401") == 1
    assert value(samples, requests, endpoint="unmatched", method="GET", status="404") == 1
    durations = value(
        samples, "warroom_http_request_duration_seconds_count", endpoint="/slack/events"
    )
    assert durations is not None and durations >= 4

    calls = "warroom_slack_api_calls_total"
    assert value(samples, calls, method="conversations.create", outcome="ok") == 1
    assert (value(samples, calls, method="chat.postMessage", outcome="ok") or 0) >= 1
    assert value(samples, calls, method="conversations.create", outcome="rate_limited") is None

    assert value(samples, "warroom_open_incidents", severity="SEV3") == 1
    for severity in ("SEV1", "SEV2", "SEV4"):
        assert value(samples, "warroom_open_incidents", severity=severity) == 0
    assert value(samples, "warroom_database_up") == 1
    assert value(samples, "warroom_background_tasks") == 0
    # The update reminder waits 30 minutes: scheduled, not yet in the queue.
    assert value(samples, "warroom_job_queue_depth", kind="update_reminder") == 0
    assert value(samples, "warroom_outbox_waiting") == 0  # every channel write was taken
    assert value(samples, "warroom_jobs_scheduled", kind="update_reminder") == 1

    processing = "warroom_event_processing_seconds_count"
    assert (value(samples, processing, type="slash_command") or 0) >= 1
    assert value(samples, processing, type="event_callback:reaction_added") == 1
    assert value(samples, processing, type="unverified") == 1


async def test_a_job_run_is_counted_and_leaves_the_queue(warroom: Warroom) -> None:
    await open_incident(warroom)
    await warroom.advance(minutes=31)  # the update reminder falls due and runs

    samples = await scrape(warroom)

    assert value(samples, "warroom_jobs_run_total", kind="update_reminder", outcome="again") == 1
    assert value(samples, "warroom_job_queue_depth", kind="update_reminder") == 0
    assert value(samples, "warroom_jobs_scheduled", kind="update_reminder") == 1


async def test_rate_limits_server_errors_and_refusals_are_counted(warroom: Warroom) -> None:
    slack = warroom.slack
    slack.fail_with_error("conversations.create", "name_taken")  # the bot tries the next name
    slack.fail("chat.postMessage", status=429, retry_after=1)
    slack.fail("conversations.setTopic", status=500)
    channel = await open_incident(warroom)
    await slack.wait_for(lambda: "Checkout down" in channel.topic, timeout=10)
    await settle(warroom)

    samples = await scrape(warroom)

    calls, retries = "warroom_slack_api_calls_total", "warroom_slack_api_retries_total"
    assert value(samples, calls, method="conversations.create", outcome="error") == 1
    assert value(samples, calls, method="conversations.create", outcome="ok") == 1
    assert value(samples, calls, method="chat.postMessage", outcome="rate_limited") == 1
    assert value(samples, calls, method="conversations.setTopic", outcome="server_error") == 1
    assert value(samples, calls, method="conversations.setTopic", outcome="ok") == 1
    assert value(samples, retries, method="chat.postMessage", reason="rate_limited") == 1
    assert value(samples, retries, method="conversations.setTopic", reason="server_error") == 1
    # Slack's ok=false answers are the caller's to handle, not retried.
    assert value(samples, retries, method="conversations.create", reason="error") is None


async def test_alert_deliveries_are_counted_by_source_and_outcome(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with (
        running_warroom(slack, sqlite_url, alerting__token=Secret("alert-token")) as warroom,
        aiohttp.ClientSession() as client,
    ):
        wrong = {"Authorization": "Bearer not-it"}
        async with client.post(f"{warroom.url}/alerts/grafana", json={}, headers=wrong) as answer:
            assert answer.status == 401
        async with client.post(f"{warroom.url}/alerts/nagios", json={}) as answer:
            assert answer.status == 404

        samples = await scrape(warroom)

    payloads, requests = "warroom_alert_payloads_total", "warroom_http_requests_total"
    assert value(samples, payloads, source="grafana", outcome="unauthorized") == 1
    assert value(samples, payloads, source="unknown", outcome="unknown_source") == 1
    route = {"endpoint": "/alerts/{source}", "method": "POST"}
    assert value(samples, requests, **route, status="401") == 1
    assert value(samples, requests, **route, status="404") == 1


async def test_garbage_collections_are_timed_by_generation_while_watched(warroom: Warroom) -> None:
    """`warroom serve` watches its process's collections (an in-process bot does not: tests
    build many in one process); each shows in /metrics under its generation, until the watch
    stops."""
    metrics = warroom.app[metrics_key]
    before = await scrape(warroom)
    assert value(before, "warroom_gc_pause_seconds_count", generation="2") is None
    stop_watching = metrics.watch_garbage_collections()
    started = time.perf_counter()
    try:
        gc.collect()  # a full collection: generation 2
        gc.collect(0)
        watched = await scrape(warroom)
    finally:
        stop_watching()
    elapsed = time.perf_counter() - started
    full = value(watched, "warroom_gc_pause_seconds_count", generation="2")
    young = value(watched, "warroom_gc_pause_seconds_count", generation="0")
    assert full is not None and full >= 1 and young is not None and young >= 1
    spent = value(watched, "warroom_gc_pause_seconds_sum", generation="2")
    # In seconds: no more than the time the collections took (a busy machine's full
    # collection of a long test process's heap took 5 s once; milliseconds would be 5,000).
    assert spent is not None and 0 < spent <= elapsed
    gc.collect()
    after = await scrape(warroom)
    assert value(after, "warroom_gc_pause_seconds_count", generation="2") == full


def test_the_plain_tallies_read_as_prometheus_clients_own_metrics() -> None:
    """The request metrics are tallied without prometheus_client's locks: Prometheus must read
    the same series from them as from prometheus_client's Counter and Histogram."""
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    buckets = (0.01, 0.1, 1.0)
    histogram = Tally("t_seconds", "Time.", ("route",), buckets=buckets)
    counter = Tally("t_requests", "Requests.", ("route", "status"))
    ours.register(histogram)
    ours.register(counter)
    reference = Histogram("t_seconds", "Time.", ["route"], buckets=buckets, registry=theirs)
    counted = Counter("t_requests", "Requests.", ["route", "status"], registry=theirs)
    # On a bound, between bounds, above the last, and a second series.
    for route, seconds in [("/a", 0.01), ("/a", 0.05), ("/a", 7.0), ("/b", 0.0), ("/a", 0.1)]:
        histogram.observe((route,), seconds)
        reference.labels(route).observe(seconds)
        counter.count((route, "200"))
        counted.labels(route, "200").inc()

    def read(registry: CollectorRegistry) -> set[tuple[str, tuple[tuple[str, str], ...], float]]:
        text = generate_latest(registry).decode()
        return {
            (sample.name, tuple(sorted(sample.labels.items())), sample.value)
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if not sample.name.endswith("_created")  # when a series began: not kept here
        }

    assert read(ours) == read(theirs)
    assert ("t_seconds_bucket", (("le", "0.01"), ("route", "/a")), 1.0) in read(ours)
    assert ("t_requests_total", (("route", "/a"), ("status", "200")), 4.0) in read(ours)


def test_an_attempt_without_an_answer_is_a_connection_error() -> None:
    assert outcome_of(None, ConnectionResetError()) == "connection_error"
    answered = HttpResponse(status_code=503, headers={}, body={"ok": False})
    assert outcome_of(answered, None) == "server_error"


async def test_a_database_gone_away_reports_down_and_the_scrape_still_works(
    slack: SlackEmulator, tmp_path: Path
) -> None:
    directory = tmp_path / "data"
    directory.mkdir()
    earlier = set(threading.enumerate())  # other tests' leftovers are not this test's business
    async with running_warroom(slack, f"sqlite:///{directory / 'warroom.db'}") as warroom:
        await open_incident(warroom)
        await settle(warroom)
        # The disk is gone: pooled connections closed, and the file cannot be opened again.
        await warroom.engine.dispose()
        shutil.rmtree(directory)

        samples = await scrape(warroom)

        assert value(samples, "warroom_database_up") == 0
        assert "warroom_open_incidents" not in names(samples)
        assert "warroom_job_queue_depth" not in names(samples)
        assert (
            value(
                samples,
                "warroom_slack_api_calls_total",
                method="conversations.create",
                outcome="ok",
            )
            == 1
        )
        assert await get(warroom, "/healthz") == 503
    # aiosqlite stops the thread of a connection that failed to open without waiting for it;
    # let those threads end while this test's event loop still runs.
    await slack.wait_for(
        lambda: not any(map(_is_aiosqlite_worker, set(threading.enumerate()) - earlier))
    )


def _is_aiosqlite_worker(thread: threading.Thread) -> bool:
    return thread.name.endswith("(_connection_worker_thread)")


# -- logs -------------------------------------------------------------------------------------
@contextmanager
def json_logs() -> Iterator[io.StringIO]:
    """Everything logged (DEBUG and up) while the block runs, through the JSON formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def parsed(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


async def command(warroom: Warroom, channel: Channel, text: str) -> None:
    await warroom.slack.send_command(text, user=ALICE, channel=channel.id)
    await settle(warroom)


async def test_log_lines_are_json_and_name_their_incident(warroom: Warroom) -> None:
    slack = warroom.slack
    with json_logs() as stream:
        first = await open_incident(warroom)
        await command(warroom, first, "sev 2")
        message = await slack.post_message(first.id, "rolled back the deploy", user=BOB)
        await slack.add_reaction(first.id, message.ts, "white_check_mark", user=BOB)
        general = slack.channel_by_name("general")
        assert general is not None
        await slack.send_command("start Search is slow", user=ALICE, channel=general.id)
        second = await slack.wait_for(lambda: slack.channel_by_name("inc-2-search-is-slow"))
        await slack.wait_for(lambda: second.pins)
        await command(warroom, second, "status monitoring")
        await warroom.advance(minutes=31)  # both update reminders run, one job after the other
        await settle(warroom)
    lines = parsed(stream)

    time_format = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
    for line in lines:
        assert {"time", "level", "logger", "message"} <= line.keys()
        assert time_format.match(line["time"]), line

    def about(
        reference: str, containing: str, logger: str = "bot.record.incident.incidents"
    ) -> dict[str, Any]:
        return next(
            line
            for line in lines
            if line["logger"] == logger
            and reference in line["message"]
            and containing in line["message"]
        )

    assert about("INC-1", "opened").get("incident") == "INC-1"
    assert about("INC-1", "severity raised from SEV3 to SEV2").get("incident") == "INC-1"
    assert about("INC-2", "opened").get("incident") == "INC-2"
    assert about("INC-2", "status changed").get("incident") == "INC-2"
    # Every line the bot writes naming one incident is labelled with that incident.
    for line in lines:
        if line["logger"].startswith("bot."):  # the emulator's loggers are emulator.*
            for reference in ("INC-1", "INC-2"):
                if re.search(rf"\b{reference}\b", line["message"]):
                    assert line.get("incident") == reference, line
    # The job runner binds each job's incident and unbinds it after: no leak into the next job.
    reminders = [line for line in lines if line["message"].startswith("running job reminder:")]
    assert sorted(line.get("incident") for line in reminders) == ["INC-1", "INC-2"]
    assert current_incident() is None

    text = stream.getvalue()
    assert slack.bot_token not in text
    assert slack.signing_secret not in text


async def test_a_whole_incident_at_debug_logs_no_response_url_and_no_secret(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """Issue 24, item 16: anyone holding a response_url may post as the app in that
    conversation for 30 minutes, so it is masked like the tokens, by every logger."""
    web = web_settings(slack)
    handler, root = Everything(), logging.getLogger()  # what any handler is given
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        async with running_warroom(slack, sqlite_url, **web) as warroom:
            channel = await open_incident(warroom)
            await command(warroom, channel, "update Rolled back the deploy; errors falling")
            await command(warroom, channel, "escalate <@U0BOB|bob> primary DB is refusing")
            await command(warroom, channel, "sev 1")
            await command(warroom, channel, "resolve")
            await warroom.advance(minutes=31)
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    text = "\n".join(handler.lines)
    secrets = {
        **{
            f"the response_url {n}": f"/response/{url_id}"
            for n, url_id in enumerate(slack.response_urls)
        },
        "the bot token": slack.bot_token,
        "the signing secret": slack.signing_secret,
        "the client secret": slack.oidc_client_secret,
        "the session secret": str(web["web__session_secret"]),
        "the API token": str(web["web__api_token"]),
    }
    assert len(slack.response_urls) >= 5, "every command had its response_url"
    assert "chat.postMessage" in text, "slack_sdk's debug lines are there"
    assert "Sending a request - url: http://127.0.0.1:" in text, "the replies' lines are there"
    for what, secret in secrets.items():
        assert secret not in text, (
            f"{what} is in the logs: "
            + text[max(0, text.find(secret) - 300) : text.find(secret) + 80]
        )


def test_slack_webhook_addresses_are_masked_wherever_they_show() -> None:
    """Real response_urls and incoming webhooks are on hooks.slack.com: whichever logger or
    exception shows one (formatted by ours), it is masked like a token."""
    hook = "https://hooks.slack.com/commands/T0TEAM/1234/AbCdEf0123"
    record = logging.LogRecord("bot.x", logging.WARNING, "", 0, "reply to %s failed", (hook,), None)
    for formatted in (JsonFormatter().format(record), TextFormatter().format(record)):
        assert "hooks.slack.com/[redacted]" in formatted and "AbCdEf0123" not in formatted
    install_log_redaction()
    library = logging.getLogger("aiohttp.client").makeRecord(
        "aiohttp.client", logging.DEBUG, "", 0, "POST %s: 404", (hook,), None
    )
    assert "AbCdEf0123" not in library.getMessage()


def test_a_request_aiohttp_cannot_parse_is_one_info_line_without_its_header() -> None:
    """aiohttp logs a request it cannot parse with a traceback quoting the raw header line (an
    Authorization value, anyone can send one): the record becomes one INFO line saying what
    was refused (the logs module no longer imports aiohttp to recognise its error)."""
    install_log_redaction()
    try:
        raise BadHttpMessage("Invalid header value char:\n\n  b'Authorization: Bearer Mk7q'")
    except BadHttpMessage:
        record = logging.getLogger("aiohttp.server").makeRecord(
            "aiohttp.server",
            logging.ERROR,
            "",
            0,
            "Error handling request from %s",
            ("127.0.0.1",),
            sys.exc_info(),
        )
    assert (record.levelname, record.exc_info) == ("INFO", None)
    assert record.getMessage() == (
        "malformed HTTP request from 127.0.0.1 refused (400: Invalid header value char)"
    )
    assert "Mk7q" not in TextFormatter().format(record)


async def test_a_scrape_holds_the_process_and_python_collectors_and_no_created_series(
    warroom: Warroom,
) -> None:
    await open_incident(warroom)  # counters and histograms with series of their own
    await settle(warroom)
    samples = await scrape(warroom)
    found = names(samples)
    for name in (
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_start_time_seconds",
        "python_info",
        "python_gc_collections_total",
        "warroom_slack_api_calls_total",
        "warroom_http_request_duration_seconds_bucket",
    ):
        assert name in found, name
    assert not [name for name in found if name.endswith("_created")]


async def test_metrics_token_is_required_when_set(slack: SlackEmulator, sqlite_url: str) -> None:
    token = "metrics-" + "7" * 24
    async with (
        running_warroom(slack, sqlite_url, runtime__metrics_token=Secret(token)) as warroom,
        aiohttp.ClientSession() as client,
    ):
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": token}):
            async with client.get(f"{warroom.url}/metrics", headers=headers) as answer:
                assert answer.status == 401, headers
                assert answer.headers["WWW-Authenticate"].startswith("Bearer")
                assert token not in await answer.text()
        bearer = {"Authorization": f"Bearer {token}"}
        async with client.get(f"{warroom.url}/metrics", headers=bearer) as answer:
            assert answer.status == 200
            assert "warroom_database_up 1.0" in await answer.text()
        # The probes stay open to orchestrators.
        async with client.get(f"{warroom.url}/livez") as answer:
            assert answer.status == 200


async def test_metrics_on_a_port_of_their_own_are_off_serve_s_port(
    slack: SlackEmulator, tmp_path: Path
) -> None:
    """WARROOM_METRICS_PORT: Prometheus scrapes a port Slack never reaches; serve's own port
    answers /metrics 404, and the token still applies on the metrics port."""
    port, token = free_port(), "metrics-" + "7" * 24
    env = {
        **bot_env(slack, f"sqlite:///{tmp_path / 'warroom.db'}"),
        "WARROOM_METRICS_PORT": str(port),
        "WARROOM_METRICS_TOKEN": token,
    }
    async with serve(env, tmp_path / "serve.log") as served, aiohttp.ClientSession() as client:
        bearer = {"Authorization": f"Bearer {token}"}
        async with client.get(f"{served.url}/metrics", headers=bearer) as answer:
            assert answer.status == 404
        async with client.get(f"http://127.0.0.1:{port}/metrics") as answer:
            assert answer.status == 401
        async with client.get(f"http://127.0.0.1:{port}/metrics", headers=bearer) as answer:
            assert answer.status == 200
            assert "warroom_build_info{" in await answer.text()
        async with client.get(f"http://127.0.0.1:{port}/livez") as answer:
            assert answer.status == 404  # the metrics port answers /metrics only
