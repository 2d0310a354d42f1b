"""The on-call benchmark still runs, checks the engine against the reference on its sample,
and ends with the verdict line `python -m bench` puts in the results table."""

from __future__ import annotations

from bench.__main__ import _target_row
from bench.oncall import TARGET
from bench.oncall_command import TARGET as COMMAND_TARGET
from tests.helpers.processes import run_quick


def test_the_oncall_benchmark_runs_and_agrees_with_the_reference() -> None:
    output = run_quick("bench.oncall")
    lines = output.splitlines()
    assert any(
        line.startswith("engine and reference agree on 5,760 of 5,760 minutes") for line in lines
    )
    assert any(line.startswith("where it goes (warm): layers ") for line in lines), output
    verdict = next(line for line in lines if line.startswith(TARGET))
    assert verdict.endswith(": not judged (5 schedules, a --quick run)"), verdict


def test_a_verdict_line_becomes_a_row_of_the_targets_table() -> None:
    line = f"{TARGET}: 38.1 ms of CPU (cold; warm 30.2 ms): MET"
    assert (
        _target_row([line], TARGET) == f"| {TARGET} | 38.1 ms of CPU (cold; warm 30.2 ms) | MET |"
    )
    assert _target_row([], TARGET) == f"| {TARGET} | not measured | NOT MET |"


def test_the_oncall_command_benchmark_answers_with_every_schedule() -> None:
    """A real `warroom serve` with five schedules answers `/oncall` naming all five."""
    output = run_quick("bench.oncall_command")
    lines = output.splitlines()
    assert "/oncall answered with 5 schedules; median " in output, output
    baseline = "baseline, /incident help through the same server"
    assert any(line.startswith(baseline) for line in lines), output
    verdict = next(line for line in lines if line.startswith(COMMAND_TARGET))
    assert verdict.endswith(": not judged (5 schedules, a --quick run)"), verdict
