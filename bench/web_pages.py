"""How long the web view's pages take at the size of a long history: the list with 10,000
incidents, an incident's page with 10,000 timeline entries, and the insights over 10,000
incidents (the issue asks 150 ms each, #28).

One ``warroom serve`` (SQLite, sign-in off, its own process) over a database seeded with
10,000 incidents across a year (severities, statuses, types, resolved ones with their
milestones) and, on INC-1, 10,000 timeline entries. Each page is asked many times one after
another; the figure is the median time from the request leaving to its last byte arriving.
The baseline of each page, in the same run: the same bytes served by a bare aiohttp handler
in a process of its own (what answering that page costs with no database and no template),
so the ratio is warroom's work.

Run: ``python -m bench.web_pages`` (``--asks N``; ``--quick``: 300 of each, a smoke run;
``--database-url postgresql://…/<an empty database>``: served from PostgreSQL instead).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import sqlalchemy

from bench.harness import Server, free_port, plan_cores, python, slack_env, verdict
from bot.store.db import create_engine
from bot.store.models import Incident, TimelineEntry
from emulator import SlackEmulator

TARGET_SECONDS = 0.150
# Each page: its address, and the target for it.
PAGES = {
    "incident list": ("/", "incident list with 10,000 incidents <= 150 ms"),
    # The list searched by words (every title and first report read): shown beside it.
    "incident list, searched": ("/?q=checkout", ""),
    # Words in any order and case (#75 item 6): those of every title, and those of one
    # incident's timeline among 10,000 entries (the list says where they were found).
    "incident list, words": (
        "/?q=REGION+errors+checkout",
        "incident list searched by words <= 150 ms",
    ),
    "incident list, timeline words": ("/?q=pool+primary", ""),
    "incident page": ("/incidents/INC-1", "incident page with 10,000 entries <= 150 ms"),
    "insights": ("/insights", "insights over 10,000 incidents <= 150 ms"),
    # Not one of the issue's pages: the draft of INC-1's 10,000 entries on a page of its own
    # (its target is the draft's, bench.postmortem_render), shown so its cost stays seen.
    "postmortem page": ("/incidents/INC-1/postmortem", ""),
}
TARGETS = tuple(target for _, target in PAGES.values() if target)
START = datetime(2025, 11, 1, tzinfo=UTC)
SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
KINDS = ("key_event", "investigation", "update", "misleading", "mitigation")
# INC-1's messages, as Slack sends a channel's text (entities encoded, links and mentions
# as constructs): what a war room says, code, links, a mention, an entity, a list, emphasis,
# and one in eight plain words. Plain words alone had made the draft's escaping look free.
MESSAGES = (
    "Seeing 502s from `checkout-api` since the deploy, error rate {n}%",
    "<@U0BOB> can you check the `db_primary` pool? pool_size=20 looks low",
    "Dashboard: <https://grafana.example.com/d/abc?orgId=1&amp;from=now-1h|checkout errors>",
    "Rolled back <https://github.com/acme/checkout/pull/{n}|#{n}>",
    "Not the CDN: hit ratio is normal (98%) &gt; moving on",
    "Step {n}: restarted web-3, error rate down to 4%",
    "1. drain node-7\n2. restart kubelet on node-{n}",
    "*Update*: customers see _Payment failed_ at checkout ({n} in the last 5 min)",
)


async def seed(database_url: str, team_id: str, incidents: int, entries: int) -> None:
    """The incidents and INC-1's entries, written with Core (the bench's set-up, not timed)."""
    engine = create_engine(database_url)
    rows = []
    for n in range(1, incidents + 1):
        declared = START + timedelta(minutes=52 * n)
        resolved = n % 10 != 0
        rows.append(
            {
                "team_id": team_id,
                "number": n,
                "title": f"Checkout errors in region {n % 7}",
                "description": "",
                "severity": SEVERITIES[n % 4],
                "status": "resolved" if resolved else ("investigating", "monitoring")[n % 2],
                "channel_id": f"C{n:09d}",
                "channel_name": f"inc-{n}",
                "declared_by": "U0ALICE",
                "commander": ("U0ALICE", "U0BOB", "U0CAROL")[n % 3],
                "timezone": "Europe/Paris",
                "started_at": declared - timedelta(minutes=12),
                "detected_at": declared - timedelta(minutes=5),
                "declared_at": declared,
                "acknowledged_at": declared + timedelta(minutes=3),
                "mitigated_at": declared + timedelta(minutes=40) if resolved else None,
                "resolved_at": declared + timedelta(minutes=55) if resolved else None,
                "is_private": False,
                "incident_type": None,
            }
        )
    timeline = [
        {
            "incident_id": 1,
            "kind": KINDS[n % len(KINDS)],
            "text": MESSAGES[n % len(MESSAGES)].format(n=n),
            "author": ("U0ALICE", "U0BOB", "U0CAROL")[n % 3],
            "occurred_at": START + timedelta(seconds=30 * n),
            "slack_channel": "C000000001",
            "slack_ts": f"{1761955200 + 30 * n}.000100",
            # As chat.getPermalink gives it: warroom keeps each line's once a draft is posted.
            "permalink": f"https://acme.slack.com/archives/C000000001/p{1761955200 + 30 * n}000100",
            "recorded_at": START + timedelta(seconds=30 * n),
        }
        for n in range(entries)
    ]
    async with engine.begin() as connection:
        await connection.execute(sqlalchemy.insert(Incident.__table__), rows)  # type: ignore[attr-defined]
        await connection.execute(sqlalchemy.insert(TimelineEntry.__table__), timeline)  # type: ignore[attr-defined]
    if engine.dialect.name == "postgresql":
        # The planner's statistics, as autovacuum keeps them for tables grown over a year:
        # freshly loaded, PostgreSQL takes each incident's timeline for 44 rows, not 10,000.
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(sqlalchemy.text("ANALYZE"))
    await engine.dispose()


BARE = """
import sys
from aiohttp import web
body = open(sys.argv[2], "rb").read()
async def page(request):
    return web.Response(body=body, content_type="text/html")
app = web.Application()
app.router.add_get("/{tail:.*}", page)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
"""


async def median_time(http: aiohttp.ClientSession, url: str, asks: int) -> tuple[float, bytes]:
    timings, body = [], b""
    for _ in range(asks):
        started = time.perf_counter()
        async with http.get(url) as answer:
            body = await answer.read()
            assert answer.status == 200, (url, answer.status, body[:300])
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), body


async def measure(
    incidents: int, entries: int, asks: int, workdir: Path, database_url: str | None = None
) -> list[str]:
    database_url = database_url or f"sqlite:///{workdir / 'warroom.db'}"
    lines = []
    async with SlackEmulator() as slack:
        env = slack_env(slack, DATABASE_URL=database_url, WARROOM_WEB_AUTH="none")
        # Quiet: the migrations' log is not the bench's (it ran under the lead's eyes: 167 lines).
        upgraded = subprocess.run(
            [python(), "-m", "bot", "db", "upgrade"],
            env={**env, "WARROOM_LOG_LEVEL": "WARNING"},
            capture_output=True,
            text=True,
        )
        if upgraded.returncode != 0:
            sys.exit(f"warroom db upgrade failed:\n{upgraded.stderr}")
        await seed(database_url, slack.team_id, incidents, entries)
        port = free_port()
        server = Server(
            "warroom serve",
            [python(), "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
            {**env, "WARROOM_LOG_LEVEL": "WARNING"},
            workdir / "warroom.log",
            plan_cores(),
        )
        try:
            root = f"http://127.0.0.1:{port}"
            await server.wait_ready(f"{root}/healthz")
            async with aiohttp.ClientSession(trust_env=False) as http:
                for name, (path, target) in PAGES.items():
                    await median_time(http, root + path, 2)  # warm
                    cpu_before = server.cpu_seconds()
                    seconds, body = await median_time(http, root + path, asks)
                    # The server's CPU per ask: what the page costs whatever else the machine
                    # is doing (on a busy machine the wall time also waits for a core).
                    cpu = (server.cpu_seconds() - cpu_before) / asks
                    bare = await bare_time(body, asks, workdir)
                    ratio = f"{seconds / bare:.0f}x the bare page"
                    lines.append(
                        f"  {name:24} {seconds * 1e3:7.1f} ms   server CPU {cpu * 1e3:6.1f} ms   "
                        f"bare {bare * 1e3:6.1f} ms   {len(body) / 1024:7.0f} KiB   "
                        f"{seconds / bare:5.1f}x"
                    )
                    if target:
                        met = verdict(seconds <= TARGET_SECONDS)
                        lines.append(
                            f"{target}: {seconds * 1e3:.1f} ms (median, {ratio}; server CPU"
                            f" {cpu * 1e3:.1f} ms a page): {met}"
                        )
        finally:
            server.stop()
    return lines


async def bare_time(body: bytes, asks: int, workdir: Path) -> float:
    page = workdir / "page.html"
    page.write_bytes(body)
    port = free_port()
    process = subprocess.Popen([python(), "-c", BARE, str(port), str(page)])
    try:
        async with aiohttp.ClientSession(trust_env=False) as http:
            for _ in range(100):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/"):
                        break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.05)
            await median_time(http, f"http://127.0.0.1:{port}/", 2)
            seconds, _ = await median_time(http, f"http://127.0.0.1:{port}/", asks)
    finally:
        process.terminate()
        process.wait()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--asks", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    parser.add_argument(
        "--database-url",
        default=None,
        help="an empty PostgreSQL database to seed and serve from (default: SQLite in a"
        " temporary directory)",
    )
    args = parser.parse_args()
    size = 300 if args.quick else 10_000
    asks = 2 if args.quick else args.asks
    with tempfile.TemporaryDirectory(prefix="warroom-pages-") as tmp:
        lines = asyncio.run(measure(size, size, asks, Path(tmp), args.database_url))
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"web pages ({database}): {size:,} incidents, {size:,} entries on INC-1,"
        f" median of {asks} asks"
    )
    print("\n".join(lines))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
