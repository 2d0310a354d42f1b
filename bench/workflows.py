"""How long evaluating the workflows for one event takes, with 200 workflows loaded.

Builds 200 workflows (a mix of triggers, nested all/any/not conditions on severity, status,
type, privacy, fields and alert labels, as ``WARROOM_WORKFLOWS`` would hold them), and times
``Workflows.matching`` for one event, the work done in the transaction of every change. The
baseline, measured in the same run, is a bare loop testing the same 200 conditions written as
plain Python comparisons with no index by trigger: what any evaluation must cost. CPU time,
median of many batches.

Run: ``python -m bench.workflows`` (``--runs N``).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from bench.harness import verdict
from bot.record.workflows.conditions import Facts
from bot.record.workflows.definitions import TRIGGERS, parse_workflows

COUNT = 200
BATCH = 200
TARGET = "200 workflows, one event <= 1 ms"  # the (#27)
TARGET_SECONDS = 0.001


def document(count: int = COUNT) -> dict[str, object]:
    flows = {}
    for n in range(count):
        flows[f"wf-{n}"] = {
            "on": TRIGGERS[n % len(TRIGGERS)],
            "when": {
                "all": [
                    {"severity": ["SEV1", "SEV2"] if n % 3 else "SEV3"},
                    {"any": [{"type": "customer-facing"}, {"not": {"private": True}}]},
                    {"field": "customer_impact", "in": ["degraded", "outage"]},
                    {"labels": {"team": ["payments", f"team-{n}"]}},
                ]
            },
            "do": [{"post": {"text": "{{ incident.reference }}: {{ incident.title }}"}}],
        }
    return {"workflows": flows}


FACTS = Facts(
    severity="SEV1",
    status="investigating",
    type="customer-facing",
    private=False,
    fields={"customer_impact": "outage"},
    labels={"team": "payments"},
)


def baseline_conditions(count: int = COUNT) -> list[Callable[[Facts], bool]]:
    def condition(n: int) -> Callable[[Facts], bool]:
        severities = ("SEV1", "SEV2") if n % 3 else ("SEV3",)
        teams = ("payments", f"team-{n}")
        return lambda f: (
            f.severity in severities
            and (f.type == "customer-facing" or not f.private)
            and f.fields.get("customer_impact") in ("degraded", "outage")
            and f.labels.get("team") in teams
        )

    return [condition(n) for n in range(count)]


def per_event(work: Callable[[], object], runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.process_time()
        for _ in range(BATCH):
            work()
        timings.append((time.process_time() - started) / BATCH)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
    workflows = parse_workflows(document())
    conditions = baseline_conditions()
    trigger = TRIGGERS[0]
    matched = len(workflows.matching(trigger, FACTS))
    indexed = per_event(lambda: workflows.matching(trigger, FACTS), runs)
    bare = per_event(lambda: [c for c in conditions if c(FACTS)], runs)
    print(f"workflows: {COUNT} loaded, one {trigger} event ({matched} match), CPU time")
    print(
        f"  evaluation {indexed * 1e6:8.1f} µs   bare loop over all {COUNT}: {bare * 1e6:8.1f} µs"
    )
    print(f"{TARGET}: {indexed * 1e3:.3f} ms (median): {verdict(indexed <= TARGET_SECONDS)}")


if __name__ == "__main__":
    main()
