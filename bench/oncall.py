"""How long the final on-call schedule of a year takes: 50 schedules x 3 layers x 10 members.

Each schedule has a weekly (or daily) layer all week, a daily layer on weekdays 09:00 to
18:00 and a weekly one on weekends 08:00 to 20:00, ten members each, in one of eight zones
(clock changes of an hour, of half an hour, and none; both hemispheres). ``final_shifts``
computes each schedule's 2026, 2026-01-01 to 2027-01-01 UTC. The figure is the median CPU
time (this process's: work on the other core does not inflate it as it does wall-clock time)
of several runs, each after clearing the engine's caches (zones' offset tables, instants'
datetimes: "cold", as after a start), and of as many runs with them kept ("warm", as a bot
that answers again and again sees it). Both are measured twice: first with every object
this process made at start-up in the garbage collector's sight, then with the collector as
``warroom serve`` has it (``settle_the_collector``: it freezes what start-up made, so a full
collection walks only what requests made, where it walked the 80,000 objects of the imports
here every other run; and young collections wait for 10,000 new objects). The target is
judged on the second, cold. Where the time goes: the engine's three steps timed apart, and
the runs again with Python's cyclic garbage collector off.

The baseline, in the same run, is the reference evaluator of the property tests
(tests/oncall/reference.py: every minute read in local time, the rules applied one by one).
A whole year that way would take minutes, so it runs on a sample (four schedules, a few
days each) and the two are compared per minute of schedule computed; the reference's
warm-up (two days of clock readings before each window) is timed apart and left out. The
sample is also checked minute by minute against the engine's answer.

Run: ``python -m bench.oncall`` (``--runs N``; ``--quick``: 5 schedules, 3 runs).
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.record.oncall import engine, zones
from bot.record.oncall.engine import Shift, final_shifts
from bot.record.oncall.schedules import Schedule, parse_schedules
from bot.server import settle_the_collector
from tests.oncall.reference import ZONES as TESTED_ZONES
from tests.oncall.reference import reference_users

TARGET = "final schedule, 50 schedules x 3 layers x 10 members over a year <= 50 ms"
TARGET_SECONDS = 0.050
YEAR_START, YEAR_END = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
# The property tests' zones, and two more of the busiest.
ZONES = (*TESTED_ZONES, "Europe/London", "Australia/Sydney")
WEEKDAYS = {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "18:00"}
WEEKENDS = {"days": ["sat", "sun"], "from": "08:00", "to": "20:00"}


def build_schedules(count: int, seed: int = 26) -> list[Schedule]:
    """``count`` schedules of three layers of ten members each, the same for a seed."""
    document = schedule_document(count, seed)
    return list(parse_schedules(document, now=YEAR_START).by_name.values())


def schedule_document(count: int, seed: int = 26) -> dict[str, Any]:
    """The schedule file of ``build_schedules``, as YAML would load it."""
    rng = random.Random(seed)
    body = {
        f"team-{number}": {
            "timezone": ZONES[number % len(ZONES)],
            "layers": [
                _layer(rng, number, "base", rng.choice(("weekly", "daily")), []),
                _layer(rng, number, "office-hours", "daily", [WEEKDAYS]),
                _layer(rng, number, "weekends", "weekly", [WEEKENDS]),
            ],
        }
        for number in range(count)
    }
    return {"schedules": body}


def _layer(
    rng: random.Random, team: int, name: str, rotation: str, rules: list[dict[str, Any]]
) -> dict[str, Any]:
    start = datetime(2025, 12, rng.randint(1, 28), rng.choice((8, 9, 10)), 0)
    people = [f"U{team:03d}P{member}" for member in range(10)]
    return {
        "name": name,
        "start": f"{start:%Y-%m-%d %H:%M}",
        "rotation": rotation,
        "members": rng.sample(people, len(people)),
        "restrictions": rules,
    }


def year_of_all(schedules: Sequence[Schedule]) -> list[list[Shift]]:
    return [final_shifts(schedule, [], YEAR_START, YEAR_END) for schedule in schedules]


def clear_caches() -> None:
    """As after a start: no zone's offset table, no instant's datetime, no week of
    restrictions made yet."""
    zones._changes_in.cache_clear()
    engine._moment.cache_clear()
    engine._week_of.cache_clear()


def cpu_seconds(work: Callable[[], object]) -> float:
    started = time.process_time()
    work()
    return time.process_time() - started


def median_cpu(work: Callable[[], object], runs: int, *, before: Callable[[], object]) -> float:
    timings = []
    for _ in range(runs):
        before()
        timings.append(cpu_seconds(work))
    return statistics.median(timings)


def without_gc(work: Callable[[], object]) -> Callable[[], object]:
    def run() -> object:
        gc.disable()
        try:
            return work()
        finally:
            gc.enable()

    return run


def steps(schedules: Sequence[Schedule], runs: int) -> dict[str, float]:
    """Median CPU time of the engine's steps (its own private functions, timed one by one):
    each layer's turns and restrictions, stacking the layers, making the Shifts."""
    low, high = zones.instant_of(YEAR_START), zones.instant_of(YEAR_END)
    timings: dict[str, list[float]] = {"layers": [], "stacking": [], "Shifts": []}
    for _ in range(runs):
        started = time.process_time()
        stacks, peoples = [], []
        for schedule in schedules:
            zone, people = schedule.timezone, engine._People()
            clock = engine._clock_for(schedule, zone, low, high)
            stacks.append(
                [
                    engine._layer_segments(one, zone, clock, low, high, people)
                    for one in schedule.layers
                ]
            )
            peoples.append(people)
        stacked = time.process_time()
        tops = [
            engine._stacked(schedule.overlap, stack, engine._NONE, low, high, people)
            for schedule, stack, people in zip(schedules, stacks, peoples, strict=True)
        ]
        made = time.process_time()
        for (begins, crews), people in zip(tops, peoples, strict=True):
            engine._shifts_of(begins, crews, high, people)
        done = time.process_time()
        for name, spent in zip(
            timings, (stacked - started, made - stacked, done - made), strict=True
        ):
            timings[name].append(spent)
    return {name: statistics.median(spent) for name, spent in timings.items()}


def reference_per_minute(schedules: Sequence[Schedule], days: int) -> tuple[float, int, int]:
    """The reference's CPU time per minute of schedule (warm-up left out), the minutes it
    read, and how many of them the engine answers differently."""
    spent, minutes, disagreements = 0.0, 0, 0
    for number, schedule in enumerate(schedules):
        start = YEAR_START + timedelta(days=60 + 37 * number)  # late March onwards
        end = start + timedelta(days=days)
        warm_up, _ = timed_reference(schedule, start, start + MINUTE)
        whole, answers = timed_reference(schedule, start, end)
        spent += max(0.0, whole - warm_up)
        minutes += len(answers)
        engine_answers = engine_minutes(schedule, start, end)
        disagreements += sum(a != b for a, b in zip(engine_answers, answers, strict=True))
    return spent / minutes, minutes, disagreements


def timed_reference(
    schedule: Schedule, start: datetime, end: datetime
) -> tuple[float, list[tuple[str, ...]]]:
    """The reference's answer for each minute, and the CPU time it took."""
    started = time.process_time()
    answers = reference_users(schedule, [], start, end)
    return time.process_time() - started, answers


def engine_minutes(schedule: Schedule, start: datetime, end: datetime) -> list[tuple[str, ...]]:
    """The engine's answer read minute by minute."""
    shifts = final_shifts(schedule, [], start, end)
    users, index, moment = [], 0, start
    while moment < end:
        while shifts[index].end <= moment:
            index += 1
        users.append(shifts[index].users)
        moment += MINUTE
    return users


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="5 schedules, 3 runs, a day's sample")
    args = parser.parse_args(argv)
    count, runs, sample_days = (5, 3, 1) if args.quick else (50, args.runs, 2)
    schedules = build_schedules(count)
    every = sum(map(len, year_of_all(schedules)))

    def year() -> object:
        return year_of_all(schedules)

    cold_unfrozen = median_cpu(year, runs, before=clear_caches)
    warm_unfrozen = median_cpu(year, runs, before=lambda: None)
    settle_the_collector()  # as warroom serve does once it has started (bot/server.py)
    cold = median_cpu(year, runs, before=clear_caches)
    warm = median_cpu(year, runs, before=lambda: None)
    warm_no_gc = median_cpu(without_gc(year), runs, before=lambda: None)
    parts = steps(schedules, runs)
    per_minute, sampled, disagreements = reference_per_minute(schedules[:4], sample_days)
    year_minutes = count * ((YEAR_END - YEAR_START) // MINUTE)
    engine_per_minute = cold / year_minutes
    print(f"on-call schedules: {count} schedules x 3 layers x 10 members over 2026, CPU time")
    print(f"final shifts: {every:,} ({every / count:.0f} per schedule)")
    print(
        f"engine, start-up objects not frozen: cold {cold_unfrozen * 1e3:.1f} ms, warm "
        f"{warm_unfrozen * 1e3:.1f} ms (medians of {runs})"
    )
    print(f"engine, cold (caches cleared before each run), median of {runs}: {cold * 1e3:.1f} ms")
    print(f"engine, warm, median of {runs}: {warm * 1e3:.1f} ms")
    print(
        f"where it goes (warm): layers {parts['layers'] * 1e3:.1f} ms, stacking "
        f"{parts['stacking'] * 1e3:.1f} ms, making the Shifts {parts['Shifts'] * 1e3:.1f} ms; "
        f"with the garbage collector off, {warm_no_gc * 1e3:.1f} ms in all"
    )
    print(
        f"reference (minute by minute): {per_minute * 1e6:.2f} µs per schedule-minute over "
        f"{sampled:,} sampled minutes; the engine, cold: {engine_per_minute * 1e9:.2f} ns "
        f"({per_minute / engine_per_minute:,.0f}x less); the reference would take "
        f"~{per_minute * year_minutes:.0f} s for the whole year"
    )
    print(f"engine and reference agree on {sampled - disagreements:,} of {sampled:,} minutes")
    met = "MET" if cold <= TARGET_SECONDS else "NOT MET"
    if count != 50:
        met = f"not judged ({count} schedules, a --quick run)"
    print(f"{TARGET}: {cold * 1e3:.1f} ms of CPU (cold; warm {warm * 1e3:.1f} ms): {met}")
    return 1 if disagreements else 0


if __name__ == "__main__":
    raise SystemExit(main())
