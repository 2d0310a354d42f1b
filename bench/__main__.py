"""Every benchmark in order: event ingestion, alert storm, postmortem rendering and posting,
on-call schedules, the /oncall command, workflow evaluation and the web pages at 10,000.

``python -m bench`` prints the figures and writes nothing. ``python -m bench
--write-results`` also writes them into ``bench/RESULTS.md`` (or ``--results PATH``): the
figures, the date, the machine they come from, the issue's targets with their verdicts, and,
for every target not met, a profile of the server under the ingestion load (py-spy) that shows
where the time goes. It writes only between the two marker comments (``BEGIN`` and ``END``
below) and leaves the rest of the file, written by hand, as it is; a file without them is
refused. ``--quick`` runs everything small (a smoke test).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench import (
    alert_storm,
    draft_posting,
    ingestion,
    oncall,
    oncall_command,
    postmortem_render,
    profiling,
    web_pages,
    workflows,
)
from bench.harness import REPO, Machine, machine, verdict

PROG = "python -m bench"
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
BEGIN = "<!-- python -m bench --write-results writes from here -->"
END = "<!-- python -m bench --write-results writes up to here -->"
STORM_TARGET = 1.05  # all channels exist within this many times the floor Slack's limits set


class NoMarkers(ValueError):
    """The results file lacks the marker comments that say where figures may be written."""


def splice(document: str, generated: str) -> str:
    """``document`` with what stands between its markers replaced by ``generated``; the hand-
    written rest kept byte for byte."""
    start, end = document.find(BEGIN), document.find(END)
    if start < 0 or end < start:
        raise NoMarkers(
            f"the results file needs {BEGIN!r} and, after it, {END!r} on lines of their own"
        )
    head, tail = document[: start + len(BEGIN)], document[end:]
    return f"{head}\n{generated.strip()}\n{tail}"


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}{' with uncommitted changes' if dirty else ''}"


def run_alone(module: str, extra: Sequence[str] = ()) -> list[str]:
    """A CPU-bound benchmark as its own process (a heap of its own: the garbage collector's
    work depends on everything the process holds); its output, also printed."""
    done = subprocess.run(
        [sys.executable, "-m", module, *extra],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    print(done.stdout, end="", flush=True)
    if done.returncode:
        print(done.stderr, file=sys.stderr)
        raise SystemExit(f"{module} failed ({done.returncode})")
    return done.stdout.splitlines()


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--write-results", action="store_true", help="write bench/RESULTS.md")
    parser.add_argument("--quick", action="store_true", help="small numbers, for a smoke test")
    parser.add_argument("--database-url", help="run ingestion and storm on this database")
    parser.add_argument(
        "--results", type=Path, default=RESULTS, help="the results file (default bench/RESULTS.md)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = arguments(argv)
    if args.write_results:
        try:  # refused now, not after the runs
            splice(args.results.read_text(encoding="utf-8"), "")
        except (OSError, NoMarkers) as error:
            raise SystemExit(f"{PROG}: {args.results}: {error}") from None
    common = ["--quick"] if args.quick else []
    if args.database_url:
        common += ["--database-url", args.database_url]
    host = machine()
    host.extra["load average before"] = load_average()
    started = datetime.now(UTC)

    with tempfile.TemporaryDirectory(prefix="warroom-bench-") as tmp:
        profile_path = Path(tmp) / "ingestion.pyspy.txt"
        want_profile = args.write_results and profiling.available()
        print("== event ingestion ==", flush=True)
        ingest_argv = [*common, *(["--profile", str(profile_path)] if want_profile else [])]
        ingest = ingestion.main(ingest_argv)
        print("\n== alert storm ==", flush=True)
        storm = alert_storm.main(common)
        print("\n== postmortem render ==", flush=True)
        render = run_alone("bench.postmortem_render", ["--runs", "1"] if args.quick else [])
        print("\n== postmortem draft posted ==", flush=True)
        posting = run_alone("bench.draft_posting", ["--quick"] if args.quick else [])
        print("\n== on-call schedules ==", flush=True)
        schedules = run_alone("bench.oncall", ["--quick"] if args.quick else [])
        print("\n== /oncall ==", flush=True)
        command = run_alone("bench.oncall_command", ["--quick"] if args.quick else [])
        print("\n== workflows ==", flush=True)
        evaluation = run_alone("bench.workflows", ["--quick"] if args.quick else [])
        print("\n== web pages ==", flush=True)
        pages = run_alone("bench.web_pages", ["--quick"] if args.quick else [])
        host.extra["load average after"] = load_average()

        if not args.write_results:
            return 0 if storm.finished else 1
        targets = ingestion.summary(ingest)
        profile_lines: list[str] = []
        if not all(target.met for target in ingestion.targets(ingest)):
            profile_lines = profile_section(ingest, profile_path if want_profile else None)
    generated = results(
        args,
        host,
        started,
        ingest,
        storm,
        (render, posting, schedules, command, evaluation, pages),
        targets,
        profile_lines,
    )
    document = args.results.read_text(encoding="utf-8")
    args.results.write_text(splice(document, generated), encoding="utf-8")
    print(f"\nwrote the figures into {args.results}")
    return 0 if storm.finished else 1


def profile_section(ingest: ingestion.Outcome, profile_path: Path | None) -> list[str]:
    lines = ["### Where the time goes (targets not met)", ""]
    statements = asyncio.run(profiling.statements_per_event())
    profile = profiling.read_collapsed(profile_path) if profile_path else None
    lines += explanation(ingest, statements, profile)
    lines += [
        "",
        "#### SQL per event",
        "",
        "What warroom runs for one event alone, a batch of one (counted with a listener on the "
        "engine, on SQLite; under load a batch of many events runs the same statements once):",
        "",
        *profiling.statements_summary(statements),
        "",
    ]
    if profile is None:
        lines.append("(py-spy is not installed: `pip install py-spy` for the CPU profile.)")
        return lines
    lines += [
        "#### CPU profile of `warroom serve` under the ingestion load",
        "",
        f"Taken after the measured runs, {ingest.profile_concurrency} events in flight.",
        "",
        *profiling.summary(profile, ingest.snapshots),
        "",
    ]
    bare = ingestion.bare_profile(profile_path) if profile_path else None
    if bare is not None and bare.exists():
        lines += [
            "#### What warroom adds to each event, beside bare Bolt",
            "",
            "The same deliveries sent to bare Bolt after warroom, sampled the same way.",
            "",
            *profiling.per_event(profile, profiling.read_collapsed(bare), ingest.profile_events),
            "",
        ]
    half = ingestion.half_rate_profile(profile_path) if profile_path else None
    if half is not None and half.exists() and ingestion.bare_profile(half).exists():
        lines += [
            "#### At half bare Bolt's rate (the p99 target), beside bare Bolt",
            "",
            f"One more open-loop run of {ingest.half_rate_events} deliveries at "
            f"{ingest.fixed_rate:.0f}/s to each server, sampled the same way.",
            "",
            *profiling.per_event(
                profiling.read_collapsed(half),
                profiling.read_collapsed(ingestion.bare_profile(half)),
                ingest.half_rate_events,
            ),
            "",
        ]
    return lines


def explanation(
    ingest: ingestion.Outcome,
    statements: dict[str, list[str]],
    profile: profiling.Profile | None,
) -> list[str]:
    """The profile in plain words, from the figures of this run."""
    per_message = len(statements.get("message", []))
    per_reaction = len(statements.get("reaction", []))
    per_promotion = len(statements.get("reaction that promotes", []))
    cost, bare = ingest.cpu_per_event * 1e3, ingest.bare_cpu_per_event * 1e3
    lines = [
        f"**CPU per event.** warroom spent {cost:.2f} ms of CPU on each event at "
        f"{ingest.best_concurrency} in flight, bare Bolt {bare:.2f} ms at the same concurrency "
        f"({cost / bare:.1f}x): a core of its own would give warroom at most "
        f"~{1e3 / cost:.0f} events/s.",
        "",
        f"**Statements.** Events are written by one writer per process, many per transaction "
        f"(group commit). An event alone is a batch of one: {per_message} statements for a "
        f"message, {per_reaction} for a reaction, {per_promotion} for one that puts its "
        "message in the timeline (listed below); under load a batch of dozens runs the same "
        "statements once.",
    ]
    if profile is not None and profile.samples:
        top = profile.layers.most_common(6)
        shares = ", ".join(f"{name} {profile.share(count)}" for name, count in top)
        lines += ["", f"**Where the CPU goes** (innermost frame's layer): {shares}."]
    snapshots = ingest.snapshots
    if snapshots.taken and snapshots.busy_waiting / snapshots.taken >= 1:
        lines += [
            "",
            "**Writers waiting for SQLite's lock.** Events have one writer per process, but "
            "other work (jobs, the outbox, web edits) writes too, and SQLite lets one writer "
            "in while the others wait in its busy handler, which sleeps and polls (1, 2, 5, 10 "
            f"… up to 100 ms) instead of queueing: {snapshots.sentence()}. While they wait the "
            "core is partly idle and the tail grows with the busy handler's sleeps.",
        ]
        late = {c: n for c, n in ingest.late.items() if n}
        if late:
            where = ", ".join(f"{n} at {c} in flight" for c, n in late.items())
            lines[-1] += (
                f" Some answers even took longer than Slack's 3 seconds ({where}, over all "
                "runs): Slack counts those deliveries as failed and sends them again."
            )
    return lines


def _target_row(output: list[str], target: str) -> str:
    """A results-table row from a benchmark's ``TARGET: figure: VERDICT`` line."""
    line = next((line for line in output if line.startswith(target)), "")
    figure, _, said = line.removeprefix(target + ": ").rpartition(": ")
    return f"| {target} | {figure or 'not measured'} | {said or verdict(False)} |"


def storm_note(storm: alert_storm.Outcome) -> list[str]:
    """Why recording lags acceptance, when it does by more than a rate-limit window."""
    m = storm.milestones
    if not m.recorded - m.accepted > storm.window:
        return []
    return [
        f"Every webhook was answered 202 within {m.accepted:.1f} s, but the last alert row "
        f"was written {m.recorded - m.accepted:.1f} s later: applying a payload is a job, a "
        "replica runs one job at a time, and a job that opens a war room waits out Slack's "
        "`Retry-After` inside the job, so the payload jobs queued behind it wait too.",
        "",
    ]


def results(
    args: argparse.Namespace,
    host: Machine,
    started: datetime,
    ingest: ingestion.Outcome,
    storm: alert_storm.Outcome,
    outputs: tuple[list[str], list[str], list[str], list[str], list[str], list[str]],
    targets: list[str],
    profile_lines: list[str],
) -> str:
    """What goes between the markers of the results file."""
    render, posting, schedules, command, evaluation, pages = outputs
    m = storm.milestones
    storm_ratio = m.channels / storm.floor if storm.floor else math.nan
    written_by = "python -m bench --write-results" + (" --quick" if args.quick else "")
    parts = [
        "## Latest run",
        "",
        f"Written by `{written_by}` on {started:%Y-%m-%d %H:%M} UTC (commit {commit()}); "
        "everything from this heading to the marker below is rewritten by each such run.",
        "",
        "### Machine",
        "",
        *[f"- {line}" for line in host.lines()],
        "- The machine is shared: other work ran on the same cores during the run (see the "
        "load averages), so the figures are medians and ratios to a baseline measured in the "
        "same run, and the CPU time per event is given next to the rates.",
        "",
        "### Targets of the run",
        "",
        "| target | measured | |",
        "|---|---|---|",
        *[
            f"| {target.name} | {target.measured} | {verdict(target.met)} |"
            for target in ingestion.targets(ingest)
        ],
        f"| storm: all channels exist within {STORM_TARGET:g}x the floor Slack's limits set | "
        f"{m.channels:.1f} s against a floor of {storm.floor:.0f} s ({storm_ratio:.2f}x) | "
        f"{verdict(storm_ratio <= STORM_TARGET)} |",
        _target_row(render, postmortem_render.TARGET),
        _target_row(render, postmortem_render.WRITTEN_TARGET),
        _target_row(posting, draft_posting.TARGET),
        _target_row(schedules, oncall.TARGET),
        _target_row(command, oncall_command.TARGET),
        _target_row(evaluation, workflows.TARGET),
        *(_target_row(pages, target) for target in web_pages.TARGETS),
        "",
        "### Event ingestion",
        "",
        f"`python -m bench.ingestion` on {ingest.database}: signed `message` and "
        "`reaction_added` deliveries to one `warroom serve`, and the same requests to a bare "
        "slack-bolt AsyncApp that only acks (`bench/bare_bolt.py`), both pinned to one core.",
        "",
        "```",
        *ingest.lines,
        "",
        *targets,
        "```",
        "",
        "### Memory",
        "",
        f"`warroom serve` under the ingestion benchmark: peak resident memory "
        f"{ingest.hwm_kib / 1024:.0f} MiB (VmHWM; {ingest.peak_rss_kib / 1024:.0f} MiB the "
        f"largest VmRSS sampled every 0.1 s; {ingest.start_rss_kib / 1024:.0f} MiB before the "
        "load). During the alert storm: "
        f"{storm.peak_rss_kib / 1024:.0f} MiB (largest VmRSS sampled).",
        "",
        "### Alert storm",
        "",
        f"`python -m bench.alert_storm`: {storm.alerts} alerts in {storm.groups} groups. "
        f"All channels existed after **{m.channels:.1f} s**, every alert was recorded after "
        f"**{m.recorded:.1f} s** and shown in its channel after **{m.shown:.1f} s**, with "
        f"Slack's limits passing {storm.compress:g} times faster than in Slack (the floor they "
        f"set: {storm.floor:.0f} s here, {storm.floor * storm.compress / 60:.1f} min in Slack).",
        "",
        *storm_note(storm),
        "```",
        *storm.lines,
        "```",
        "",
        "### Postmortem render",
        "",
        "`python -m bench.postmortem_render`:",
        "",
        "```",
        *render,
        "```",
        "",
        "### Postmortem draft posted",
        "",
        "`python -m bench.draft_posting`:",
        "",
        "```",
        *posting,
        "```",
        "",
        "### On-call schedules",
        "",
        "`python -m bench.oncall`:",
        "",
        "```",
        *schedules,
        "```",
        "",
        "### /oncall",
        "",
        "`python -m bench.oncall_command`:",
        "",
        "```",
        *command,
        "```",
        "",
        "### Workflows",
        "",
        "`python -m bench.workflows`:",
        "",
        "```",
        *evaluation,
        "```",
        "",
        "### Web pages",
        "",
        "`python -m bench.web_pages`:",
        "",
        "```",
        *pages,
        "```",
        "",
    ]
    if profile_lines:
        parts += profile_lines
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":
    sys.exit(main())
