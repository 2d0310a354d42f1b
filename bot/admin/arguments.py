"""The options of the commands whose work is heavy (``oncall``, ``workflows``, ``import``,
``ai``, ``integrations``), apart from that work: ``warroom <command> --help`` reads only this
module (bot/cli.py's FEATURES), and each command imports its feature when it runs.

The choices below are the features' own, said again here so as not to import them; a test
(tests/application/test_command_line.py) checks each against its source. The integrations'
kinds are read from the sources' registry itself (``bot.record.alerting.sources.registry``),
whose lines import nothing heavier than the standard library.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.admin.listing import add_json_flag

# bot.store.models.SEVERITIES and Status.
SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
STATUSES = ("investigating", "identified", "monitoring", "resolved")
# bot.record.workflows.definitions.TRIGGERS and OPEN_FOR, without their "incident." or "alert.".
WORKFLOW_EVENTS = (
    "declared",
    "severity_changed",
    "status_changed",
    "type_changed",
    "field_changed",
    "role_assigned",
    "resolved",
    "received",
    "open_for",
)
# bot.admin.importing.importing.VENDORS.
IMPORT_VENDORS = ("grafana-oncall", "opsgenie", "pagerduty")
# `warroom ai eval`'s thresholds (bot/admin/ai/ai_eval.py applies them): below these, the model
# is not fit to check a team's drafts (README).
MIN_PRECISION = 0.95
MIN_RECALL = 0.8


def add_oncall_arguments(oncall: argparse.ArgumentParser) -> None:
    """``warroom oncall ...``: its actions and their options."""
    actions = oncall.add_subparsers(dest="oncall_command", required=True, metavar="ACTION")
    who = actions.add_parser(
        "who",
        help="who is on call now (or --at WHEN), with the shift's start and end",
        description="For each schedule of WARROOM_ONCALL_SCHEDULES (or the one named), the "
        "person on call, overrides in the database included.",
    )
    who.add_argument("schedule", nargs="?", help="one schedule (default: every schedule)")
    who.add_argument(
        "--at",
        metavar="WHEN",
        help="a time like '2026-03-06 18:00', '14:05' or 'yesterday 09:00 UTC', read in each "
        "schedule's zone unless it names one (default: now)",
    )
    who.add_argument(
        "--json",
        action="store_true",
        help='print a list of {"schedule", "user", "start", "end"} (ISO 8601, UTC; '
        '"user": null in a gap), a row per person on call',
    )
    check = actions.add_parser("check", help="check a schedule file; exit 1 naming each problem")
    check.add_argument("file", type=Path, help="the schedule file (YAML)")
    feeds = actions.add_parser(
        "feeds",
        help="how the iCal feeds refresh (layers, holiday and leave calendars); exit 1 when "
        "one is failing",
        description="For each iCal layer (ical_url) and holiday calendar of "
        "WARROOM_ONCALL_SCHEDULES (or of the schedule named), and each leave calendar of their "
        "people: when its feed was last refreshed, and since when and why it fails.",
    )
    feeds.add_argument("schedule", nargs="?", help="one schedule (default: every schedule)")


def add_workflows_arguments(workflows: argparse.ArgumentParser) -> None:
    """``warroom workflows ...``: its actions and their options."""
    actions = workflows.add_subparsers(dest="workflows_command", required=True, metavar="ACTION")
    check = actions.add_parser(
        "check",
        help="check the types and workflows files; print each workflow in plain English",
        description="Reads WARROOM_INCIDENT_TYPES and WARROOM_WORKFLOWS (or FILE), and the "
        "policies, schedules and webhook secrets they name; exit 1 naming each problem.",
    )
    check.add_argument(
        "file", nargs="?", type=Path, help="a workflows file (default: $WARROOM_WORKFLOWS)"
    )
    test = actions.add_parser(
        "test", help="which workflows an event would start, and what they would do (no Slack)"
    )
    test.add_argument("file", type=Path, help="the workflows file (YAML)")
    test.add_argument("--event", required=True, choices=WORKFLOW_EVENTS, help="what happened")
    test.add_argument("--severity", default="SEV3", type=str.upper, choices=SEVERITIES)
    test.add_argument("--status", default="investigating", choices=STATUSES)
    test.add_argument("--type", dest="incident_type", default=None, help="the incident type")
    test.add_argument("--private", action="store_true", help="a private incident")
    test.add_argument(
        "--field", action="append", default=[], metavar="NAME=VALUE", help="a field's value"
    )
    test.add_argument(
        "--label", action="append", default=[], metavar="NAME=VALUE", help="an alert's label"
    )


def add_import_arguments(command: argparse.ArgumentParser) -> None:
    """``warroom import <vendor> ...``: its options."""
    command.description = (
        "Read an Opsgenie, PagerDuty or Grafana OnCall account through its REST "
        "API and write schedules.yaml, policies.yaml and import-report.md into DIR; current "
        "and future overrides go to DATABASE_URL's database. Exit 0 when all was carried "
        "exactly, 3 when something is approximate or left out, 1 on an error."
    )
    _add_import_source(command)
    command.add_argument("--force", action="store_true", help="replace what DIR holds")
    command.add_argument(
        "--dry-run", action="store_true", help="keep no override: list them in the report"
    )
    _add_import_compare(command)
    _add_vendor_answers(command)
    command.add_argument(
        "--json", action="store_true", help="print the report as JSON instead of the summary"
    )


def _add_import_source(command: argparse.ArgumentParser) -> None:
    """``warroom import``'s vendor, where it writes, and how it reaches the vendor and Slack."""
    command.add_argument("vendor", choices=IMPORT_VENDORS, help="the tool to import from")
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


def _add_import_compare(command: argparse.ArgumentParser) -> None:
    """``warroom import``'s ``--compare DAYS`` and where those days begin."""
    command.add_argument(
        "--compare",
        type=int,
        metavar="DAYS",
        help="then ask the vendor and warroom who is on call at every handoff and hour of "
        "DAYS days, and print each disagreement",
    )
    command.add_argument(
        "--compare-from",
        dest="compare_from",
        metavar="WHEN",
        help="with --compare: where the days begin (default now), e.g. '2026-03-01 00:00 UTC'",
    )


def _add_vendor_answers(command: argparse.ArgumentParser) -> None:
    """Where ``warroom import`` gets the vendor's answers: its region, or a saved folder
    (``--save`` writes one, ``--from`` reads it)."""
    command.add_argument(
        "--region",
        metavar="REGION",
        help="the vendor's service region: 'eu' for Opsgenie's or PagerDuty's EU service "
        "(api.eu.opsgenie.com, api.eu.pagerduty.com); --api-url wins over it",
    )
    saved = command.add_mutually_exclusive_group()
    saved.add_argument(
        "--save",
        type=Path,
        metavar="DIR",
        help="also write every answer the vendor gives into DIR, a file per request (no key)",
    )
    saved.add_argument(
        "--from",
        dest="saved_from",
        type=Path,
        metavar="DIR",
        help="read the vendor's answers from a folder --save wrote: no key, no network",
    )


def add_ai_arguments(ai: argparse.ArgumentParser) -> None:
    """``warroom ai eval``: its options."""
    actions = ai.add_subparsers(dest="ai_command", required=True, metavar="ACTION")
    evaluate = actions.add_parser(
        "eval",
        help="run the configured model over the shipped replays; exit 1 below the thresholds",
        description="Sends WARROOM_AI_MODEL at WARROOM_AI_URL both requests a draft makes, "
        "over replays shipped with warroom and labelled sentences, and prints per category "
        f"what was kept and left out. Exits 1 when the precision of what was kept is below "
        f"{MIN_PRECISION:.0%}, when fewer than {MIN_RECALL:.0%} of the true sentences are "
        "kept, when the model fails a control (one of the sentences changed by warroom to be "
        "false), or when a sentence's meaning could not be checked.",
    )
    evaluate.add_argument("--out", type=Path, help="also write the figures as JSON to this file")
    evaluate.add_argument(
        "--replay",
        action="store_true",
        help="replay the shipped seeds with what was known at declaration plus N minutes, ask "
        "for causes and grade them by the seeds' labels (the causing change and what it did); "
        "exit 1 when too few are right",
    )
    _add_replay_arguments(evaluate)


def _add_replay_arguments(evaluate: argparse.ArgumentParser) -> None:
    """``warroom ai eval``'s options that only ``--replay`` takes: its cut-offs, which
    incidents, which models."""
    evaluate.add_argument(
        "--minutes",
        default="0,15,30,60",
        metavar="N,N,...",
        help="with --replay: the cut-offs, minutes after the declaration (default 0,15,30,60)",
    )
    evaluate.add_argument(
        "--only",
        choices=("seeds", "incidents"),
        help="with --replay: only the shipped seeds, or only the team's closed incidents "
        "(read from DATABASE_URL; both by default when it is set)",
    )
    evaluate.add_argument(
        "--since",
        metavar="DATE",
        help="with --replay: the team's incidents declared since this date (2026-09-01)",
    )
    evaluate.add_argument(
        "--limit",
        metavar="N",
        help="with --replay: the latest N closed incidents (default 20)",
    )
    evaluate.add_argument("--team", help="with --replay: the incidents of this Slack workspace")
    evaluate.add_argument(
        "--model",
        action="append",
        metavar="NAME",
        help="with --replay: this model at WARROOM_AI_URL instead of WARROOM_AI_MODEL "
        "(repeat it to compare models: a table each)",
    )


def replay_options_given(args: argparse.Namespace) -> str | None:
    """The first option given that only ``--replay`` takes (``warroom ai eval`` alone
    replays nothing), or None."""
    for option in ("only", "since", "limit", "team", "model"):
        if getattr(args, option, None) is not None:
            return f"--{option}"
    if getattr(args, "minutes", "0,15,30,60") != "0,15,30,60":
        return "--minutes"
    return None


def add_integrations_arguments(parser: argparse.ArgumentParser) -> None:
    """``warroom integrations ...``: its actions and options."""
    actions = parser.add_subparsers(dest="integrations_command", required=True, metavar="ACTION")
    create = actions.add_parser(
        "create",
        help="make an integration: prints its URL and key (shown once, kept hashed)",
        description="Prints the URL to send to and the key once: warroom keeps only its "
        "SHA-256. Its alerts carry the service as their `service` label.",
    )
    create.add_argument("--service", required=True, help="the service its alerts are for")
    # Every kind of the sources' registry: its lines import nothing heavier than the
    # standard library, so `--help` stays instant and a source's line is all it takes.
    from bot.record.alerting.sources.registry import SOURCES

    create.add_argument("--kind", required=True, choices=SOURCES.kinds(), help="the API it speaks")
    create.add_argument("--name", help="what the list calls it (default SERVICE-KIND)")
    create.add_argument(
        "--topic-arn",
        help="cloudwatch: the SNS topic (its ARN) whose subscription it confirms and whose "
        "messages it takes",
    )
    create.epilog = (
        "--kind sentry: its key is the Sentry integration's client secret, read from standard "
        "input (kept as given: each body's signature is checked with it)."
    )
    listing = actions.add_parser(
        "list", help="every integration: kind, service, last alert, count (never the key)"
    )
    add_json_flag(listing)
    revoke = actions.add_parser("revoke", help="stop an integration now")
    revoke.add_argument("name", metavar="NAME")
