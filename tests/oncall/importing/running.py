"""``warroom import`` run as people run it: ``python -m bot import ...`` in a process of its
own (so the test's event loop keeps serving the fakes meanwhile), with none of the caller's
warroom settings."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Ran:
    """A finished command: its exit status and what it printed."""

    code: int
    out: str
    err: str


async def warroom_cli(*args: str, env: dict[str, str] | None = None) -> Ran:
    """``python -m bot ARGS`` to its end, awaited (the fakes answer meanwhile)."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("SLACK_", "WARROOM_", "DATABASE_URL", "OPSGENIE_", "PAGERDUTY_", "GRAFANA_")
        )
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=REPO,
        env={**inherited, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=240)
    assert process.returncode is not None
    return Ran(process.returncode, out.decode(), err.decode())
