"""How long a postmortem draft takes to render, by the size of its timeline.

Renders the in-memory record of ``tests/records.py`` with 100, 1,000 and 10,000 timeline
entries through the same code the bot uses (``render_draft``: the Draft builder and the
sandboxed Markdown template), several times each, and prints the median. The baseline,
measured in the same run, is a bare Jinja2 loop printing one line per entry with the same
time formatting: what any template of the timeline must cost. Figures are medians and ratios,
because these machines are noisy, of CPU time (this process's), which work on the other core
does not inflate as it does wall-clock time.

Run: ``python -m bench.postmortem_render`` (``--runs N``).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial

from jinja2 import Environment

from bot.basics.render import Renderer, builtin_templates_dir
from bot.record.postmortem.language import Language
from bot.record.postmortem.writing import Record, render_draft
from tests.records import NAMES, large_record, minutes

SIZES = (100, 1_000, 10_000)
TARGET = "10,000-entry draft <= 100 ms"  # the (#18)
TARGET_SECONDS = 0.100
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


def draft(renderer: Renderer, record: Record, language: Language) -> str:
    _, markdown = render_draft(
        renderer, record, NAMES, language=language, style="default", now=minutes(0)
    )
    return markdown


if __name__ == "__main__":
    main()
