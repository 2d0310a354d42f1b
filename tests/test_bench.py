"""The benchmarks still run: each in its --quick form, as its own process, bounded in time.

They print figures and never fail on them; these only check that they finish and summarise.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY")


def run_quick(module: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in PROXIES}
    done = subprocess.run(
        [sys.executable, "-m", module, "--quick"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"{module} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_ingestion_benchmark_runs_and_summarises() -> None:
    output = run_quick("bench.ingestion")
    starts = ("throughput: ", "latency: p99 ", "framework ceiling: ", "stored: ", "memory: ")
    for start in starts:
        assert any(line.startswith(start) for line in output.splitlines()), output


def test_alert_storm_benchmark_runs_and_summarises() -> None:
    output = run_quick("bench.alert_storm")
    assert "alert storm: 25 channels in " in output, output
    assert "all 200 alerts recorded after " in output, output
