"""How long a postmortem draft takes to write, by the size of its timeline.

First the render alone: the in-memory record of ``tests/helpers/records.py`` with 100, 1,000 and
10,000 timeline entries through the same code the bot uses (``render_draft``: the Draft
builder and the sandboxed Markdown template), several times each, the median. Its baseline,
measured in the same run, is a bare Jinja2 loop printing one line per entry with the same
time formatting: what any template of the timeline must cost.

Then the whole of it, what the issue's target is about (#28: a 10,000-entry draft written in
100 ms): ``read_draft`` on an incident of 10,000 entries in SQLite, the record read and the
draft rendered, as the web view and the posting job do. Its baseline: the same rows fetched
by the ``sqlite3`` module and printed by the bare loop.

Figures are medians and ratios, because these machines are noisy, of CPU time (this
process's, every thread), which work on the other core does not inflate as it does
wall-clock time. The read and written draft is measured as in `warroom serve`, with the
garbage collector as it has it (``settle_the_collector``: what start-up made frozen out of its
sight, young collections every 10,000 new objects).

Run: ``python -m bench.postmortem_render`` (``--runs N``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

from jinja2 import Environment
from sqlalchemy.ext.asyncio import create_async_engine

from bench.harness import python
from bench.web_pages import seed
from bot.basics.render import Renderer, builtin_templates_dir
from bot.record.postmortem.language import Language
from bot.record.postmortem.sources import Record
from bot.record.postmortem.written import read_draft, render_draft
from bot.server import settle_the_collector
from tests.helpers.records import NAMES, large_record, minutes

SIZES = (100, 1_000, 10_000)
TARGET = "10,000-entry draft rendered from memory <= 100 ms"  # #18's: the render alone
TARGET_SECONDS = 0.100
WRITTEN_TARGET = "10,000-entry draft read and written <= 100 ms"  # #28: from the database
WRITTEN_ENTRIES = 10_000
# What the baseline reads: the columns a draft's timeline shows.
BARE_READ = (
    "SELECT occurred_at, kind, text, author, permalink FROM timeline_entry"
    " WHERE incident_id = 1 ORDER BY occurred_at, id"
)
BASELINE = Environment().from_string(
    "{% for e in entries %}- {{ e.occurred_at.strftime('%I:%M %p') }} {{ e.kind }}: "
    "{{ e.text }}\n{% endfor %}"
)


def median_seconds(work: Callable[[], object], runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.process_time()
        work()
        timings.append(time.process_time() - started)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    renderer = Renderer()
    language = Language.load(builtin_templates_dir() / "postmortem" / "en")
    # The collector as `warroom serve` has it once started, where drafts are written:
    # without the freeze, the full collections a 10,000-entry draft sets off walk every
    # module's objects too, a large part of its CPU time in this process (RESULTS.md, "Figures
    # behind the code's choices"), which imports far more than the server.
    settle_the_collector()
    print(f"postmortem render, CPU time, median of {args.runs} runs (ratio to a bare Jinja2 loop)")
    print(
        f"{'entries':>8} {'draft':>10} {'baseline':>10} {'ratio':>7} {'per entry':>10} {'size':>9}"
    )
    for size in SIZES:
        record = large_record(size)
        drafted = median_seconds(partial(draft, renderer, record, language), args.runs)
        bare = median_seconds(partial(BASELINE.render, entries=record.entries), args.runs)
        size_kib = len(draft(renderer, record, language)) / 1024
        print(
            f"{size:>8} {drafted * 1000:>8.1f}ms {bare * 1000:>8.1f}ms {drafted / bare:>6.1f}x "
            f"{drafted / size * 1e6:>8.1f}µs {size_kib:>7.0f}KiB"
        )
    met = "MET" if drafted <= TARGET_SECONDS else "NOT MET"
    print(f"{TARGET}: {drafted * 1000:.0f} ms of CPU, {drafted / bare:.1f}x the bare loop: {met}")
    with tempfile.TemporaryDirectory(prefix="warroom-draft-") as tmp:
        written, bare = asyncio.run(from_database(Path(tmp), renderer, args.runs))
    met = "MET" if written <= TARGET_SECONDS else "NOT MET"
    print(
        f"{WRITTEN_TARGET}: {written * 1000:.0f} ms of CPU (SQLite), bare read and loop "
        f"{bare * 1000:.0f} ms, {written / bare:.1f}x: {met}"
    )


async def from_database(workdir: Path, renderer: Renderer, runs: int) -> tuple[float, float]:
    """CPU time of ``read_draft`` for an incident of 10,000 entries, and of the baseline."""
    database = workdir / "warroom.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "WARROOM_LOG_LEVEL": "WARNING"}
    subprocess.run([python(), "-m", "bot", "db", "upgrade"], env=env, check=True)
    await seed(f"sqlite:///{database}", "T0BENCH", 1, WRITTEN_ENTRIES)
    engine = create_async_engine(f"sqlite+aiosqlite:///{database}")
    now = minutes(0)

    async def written() -> None:
        await read_draft(engine, renderer, 1, language="en", style="default", now=now)

    async def bare() -> None:
        with sqlite3.connect(database) as connection:
            rows = connection.execute(BARE_READ).fetchall()
        BARE_ROWS.render(rows=rows)

    try:
        return await async_median_seconds(written, runs), await async_median_seconds(bare, runs)
    finally:
        await engine.dispose()


BARE_ROWS = Environment().from_string(
    "{% for at, kind, text, author, link in rows %}- [{{ at[11:16] }}]({{ link }}) {{ kind }}: "
    "{{ text }} ({{ author }})\n{% endfor %}"
)


async def async_median_seconds(work: Callable[[], Awaitable[None]], runs: int) -> float:
    await work()  # warm: templates compiled, connections open
    settle_the_collector()
    timings = []
    for _ in range(runs):
        started = time.process_time()
        await work()
        timings.append(time.process_time() - started)
    return statistics.median(timings)


def draft(renderer: Renderer, record: Record, language: Language) -> str:
    _, markdown = render_draft(
        renderer, record, NAMES, language=language, style="default", now=minutes(0)
    )
    return markdown


if __name__ == "__main__":
    main()
