"""How long ``/oncall`` takes to answer with 50 schedules: the issue asks under 100 ms.

One ``warroom serve`` (SQLite, its own process) with the 50 schedules of ``bench.oncall``
(three layers of ten members each, eight zones). The figure is the time from the signed
slash command leaving the emulator to its answer arriving there (the acknowledgement, then
the reply through the response URL), median of many asks one after another. The baseline, in
the same run and the same server, is ``/incident help``: the same path through Slack's
request, Bolt and the reply, with no on-call work. The reference evaluator of the property
tests answers "who is on call now" for the same 50 schedules beside it, for scale.

Run: ``python -m bench.oncall_command`` (``--asks N``; ``--quick``: 5 schedules, 5 asks).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from bench.harness import Server, free_port, plan_cores, python, slack_env
from bench.oncall import schedule_document
from bot.record.oncall.schedules import parse_schedules
from emulator import SlackEmulator
from tests.oncall.reference import reference_users

TARGET = "/oncall answers with 50 schedules in under 100 ms"
TARGET_SECONDS = 0.100
ASKER = "U0ASKER"


async def answer_time(slack: SlackEmulator, text: str, command: str, channel: str) -> float:
    """Seconds from sending the command to its reply arriving at the emulator."""
    before = len(slack.ephemeral_for(ASKER))
    started = time.perf_counter()
    await slack.send_command(text, user=ASKER, channel=channel, command=command)
    await slack.wait_for(lambda: len(slack.ephemeral_for(ASKER)) > before, interval=0.001)
    return time.perf_counter() - started


async def measure(count: int, asks: int, workdir: Path) -> tuple[float, float, int]:
    """Median answer time of ``/oncall`` and of ``/incident help``, and the schedules
    ``/oncall`` listed in its last answer."""
    path = workdir / "schedules.yaml"
    path.write_text(yaml.safe_dump(schedule_document(count)), encoding="utf-8")
    async with SlackEmulator() as slack:
        slack.add_user(ASKER, "asker", "Asker", tz="Europe/Paris")
        general = slack.create_channel("general", creator=ASKER, members=[ASKER])
        port = free_port()
        server = Server(
            "warroom serve",
            [python(), "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
            slack_env(
                slack,
                DATABASE_URL=f"sqlite:///{workdir / 'warroom.db'}",
                WARROOM_ONCALL_SCHEDULES=str(path),
                WARROOM_LOG_LEVEL="WARNING",
            ),
            workdir / "warroom.log",
            plan_cores(),
        )
        try:
            await server.wait_ready(f"http://127.0.0.1:{port}/healthz")
            slack.events_url = f"http://127.0.0.1:{port}/slack/events"
            for _ in range(3):  # warm: the asker's zone asked of Slack once, imports done
                await answer_time(slack, "", "/oncall", general.id)
                await answer_time(slack, "help", "/incident", general.id)
            oncall, helps = [], []
            for _ in range(asks):
                oncall.append(await answer_time(slack, "", "/oncall", general.id))
                helps.append(await answer_time(slack, "help", "/incident", general.id))
            listed = slack.ephemeral_for(ASKER)[-2].text.count("• *")
        except BaseException:
            print(f"--- {server.name} log:\n{server.log_tail()}", file=sys.stderr)
            raise
        finally:
            await slack.drain()
            server.stop()
    return statistics.median(oncall), statistics.median(helps), listed


def reference_seconds(count: int) -> float:
    """The reference evaluator's CPU time to say who is on call now for ``count`` schedules."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    schedules = parse_schedules(schedule_document(count), now=now).by_name.values()
    started = time.process_time()
    for schedule in schedules:
        reference_users(schedule, [], now, now + timedelta(minutes=1))
    return time.process_time() - started


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--asks", type=int, default=40)
    parser.add_argument("--quick", action="store_true", help="5 schedules, 5 asks")
    args = parser.parse_args(argv)
    count, asks = (5, 5) if args.quick else (50, args.asks)
    with tempfile.TemporaryDirectory(prefix="warroom-bench-oncall-") as tmp:
        oncall, helps, listed = asyncio.run(measure(count, asks, Path(tmp)))
    reference = reference_seconds(count)
    print(f"/oncall with {count} schedules, {asks} asks one after another, wall-clock time")
    print(f"/oncall answered with {listed} schedules; median {oncall * 1e3:.1f} ms")
    print(
        f"baseline, /incident help through the same server: median {helps * 1e3:.1f} ms "
        f"(/oncall takes {oncall / helps:.2f}x)"
    )
    print(
        f"the reference evaluator (minute by minute) says who is on call now for the "
        f"{count} schedules in {reference * 1e3:.1f} ms of CPU"
    )
    met = "MET" if oncall <= TARGET_SECONDS else "NOT MET"
    if count != 50:
        met = f"not judged ({count} schedules, a --quick run)"
    print(f"{TARGET}: {oncall * 1e3:.1f} ms (median): {met}")
    return 0 if listed == count else 1


if __name__ == "__main__":
    raise SystemExit(main())
