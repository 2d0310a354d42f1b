"""``warroom import <vendor> --out DIR``: a team's schedules, escalation policies and overrides
carried over from Opsgenie, PagerDuty or Grafana OnCall.

The vendors' clients (``bot.clients.opsgenie``...) read the account through their documented
REST API and translate it (``bot.record.oncall.importing``); this module does the rest, the
same for every vendor: people matched to Slack, names given, ``schedules.yaml``,
``policies.yaml`` and ``import-report.md`` written into DIR in one move, the overrides kept in
the database, and ``--compare`` asking the vendor and warroom's engine who is on call.

Exit 0: everything carried exactly; 3: something approximate or left out; 1: an error (one
line on stderr saying which); 2: the command line itself.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path

from bot.clients.importing import Vendor
from bot.clients.pagerduty_rest import PagerDuty

# Every vendor ``warroom import`` reads, by its word on the command line.
VENDORS: Mapping[str, Vendor] = {"pagerduty": PagerDuty()}

EXACT = 0
FAILED = 1
APPROXIMATE = 3


def add_import_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``warroom import <vendor> ...``: its options."""
    command = sub.add_parser(
        "import",
        help="carry schedules, escalation policies and overrides over from another tool",
        description="Read an Opsgenie, PagerDuty or Grafana OnCall account through its REST "
        "API and write schedules.yaml, policies.yaml and import-report.md into DIR; current "
        "and future overrides go to DATABASE_URL's database. Exit 0 when all was carried "
        "exactly, 3 when something is approximate or left out, 1 on an error.",
    )
    command.add_argument("vendor", choices=sorted(VENDORS), help="the tool to import from")
    command.add_argument("--out", type=Path, required=True, metavar="DIR", help="where to write")
    command.add_argument("--api-url", metavar="URL", help="the vendor's API (default its own)")
    command.add_argument(
        "--token", help="the vendor's API key (default: the vendor's variable, see README)"
    )
    command.add_argument(
        "--users-map",
        type=Path,
        metavar="FILE",
        help="a CSV of email,slack_user_id lines (default: Slack's users.lookupByEmail)",
    )
    command.add_argument("--force", action="store_true", help="replace what DIR holds")
    command.add_argument(
        "--dry-run", action="store_true", help="keep no override: list them in the report"
    )
    command.add_argument(
        "--compare",
        type=int,
        metavar="DAYS",
        help="then ask the vendor and warroom who is on call at every handoff and hour of "
        "DAYS days, and print each disagreement",
    )
    command.add_argument(
        "--from",
        dest="compare_from",
        metavar="WHEN",
        help="with --compare: where the days begin (default now), e.g. '2026-03-01 00:00 UTC'",
    )
