"""``warroom workflows check`` and ``warroom workflows test``: workflows on the command line,
without a database.

``check`` reads ``WARROOM_INCIDENT_TYPES`` and ``WARROOM_WORKFLOWS`` (or the file given), and
the policies, schedules and webhook secrets they name, and prints each workflow in plain
English, or names every problem and exits 1; with ``SLACK_BOT_TOKEN`` set it also asks Slack
whether the bot is in each channel the files name (bot/flows/named_channels.py), and names
the channels by their names. ``test`` says which workflows an event would start, and what
they would do, without Slack.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Mapping
from pathlib import Path

from bot.admin import USAGE_ERROR
from bot.basics.render import Renderer
from bot.config import ConfigError, Settings, incident_types_from_env
from bot.record.incident.incident_types import IncidentTypes
from bot.record.workflows.conditions import Facts
from bot.record.workflows.definitions import (
    OPEN_FOR,
    TRIGGERS,
    WorkflowError,
    load_workflows,
)


def run_workflows(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    if args.workflows_command == "check":
        return check(args.file, environ)
    return test(args, environ)


def check(path: Path | None, environ: Mapping[str, str]) -> int:
    """Check the files (through the settings, as ``warroom serve`` does); print each
    workflow, or each problem (exit 1)."""
    if path is not None:
        environ = {**environ, "WARROOM_WORKFLOWS": str(path)}
    try:
        settings = Settings.from_env(environ)
    except ConfigError as error:
        print(f"warroom: {error}", file=sys.stderr)
        return 1
    if not settings.workflows.definitions:
        print("warroom: no workflows: give a file, or set WARROOM_WORKFLOWS", file=sys.stderr)
        return 1
    problems, names = asyncio.run(_channels_checked(settings))
    for workflow in settings.workflows.definitions.by_name.values():
        print(f"{workflow.name}: {_with_names(workflow.reads(), names)}")
    if problems:
        for problem in problems:
            print(f"warroom: {problem}", file=sys.stderr)
        return 1
    print(f"{len(settings.workflows.definitions.by_name)} workflow(s), no problems.")
    return 0


async def _channels_checked(settings: Settings) -> tuple[list[str], dict[str, str]]:
    """Whether the bot is in each channel the files name: asked of Slack when a token is set;
    without one, a line says the channels were not checked."""
    # Imported here: only this check reads the channels and talks to Slack, and the Slack
    # client, aiohttp and the application's wiring were most of the start of every other
    # `warroom` command that people type (bot/cli.py).
    import aiohttp

    from bot.app import build_slack_workspace
    from bot.flows.named_channels import channel_problems, named_channels

    channels = named_channels(settings)
    if not channels:
        return [], {}
    if not str(settings.slack.bot_token):
        print("Channels not checked: set SLACK_BOT_TOKEN to ask Slack whether the bot is in them.")
        return [], {}
    async with aiohttp.ClientSession() as http:
        slack = build_slack_workspace(settings, http, Renderer(settings.incidents.templates_dir))
        problems, names = await channel_problems(slack, channels)
    return [str(problem) for problem in problems], names


def _with_names(words: str, names: Mapping[str, str]) -> str:
    """The plain English with each channel Slack named as people know it (#exec-updates)."""
    for channel_id, name in names.items():
        words = words.replace(f"channel {channel_id}", f"#{name}")
    return words


def _pairs(given: list[str], what: str) -> dict[str, str] | str:
    pairs = {}
    for item in given:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            return f"--{what} {item!r}: write it NAME=VALUE"
        pairs[name.strip()] = value.strip()
    return pairs


def test(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """Which workflows the event would start for an incident like the one described; the
    type and fields are checked against ``WARROOM_INCIDENT_TYPES`` when it is set."""
    try:
        workflows = load_workflows(args.file)
    except WorkflowError as error:
        for problem in error.problems:
            print(f"warroom: {args.file}: {problem}", file=sys.stderr)
        return 1
    try:
        types = incident_types_from_env(environ) or None
    except ConfigError as error:
        print(f"warroom: {error}", file=sys.stderr)
        return 1
    fields, labels = _pairs(args.field, "field"), _pairs(args.label, "label")
    for refused in (fields, labels, _unknown(types, args.incident_type, fields)):
        if isinstance(refused, str):
            print(f"warroom: {refused}", file=sys.stderr)
            return USAGE_ERROR
    assert isinstance(fields, dict) and isinstance(labels, dict)
    trigger = next(t for t in (*TRIGGERS, OPEN_FOR) if t.endswith(f".{args.event}"))
    facts = Facts(
        severity=args.severity,
        status=args.status,
        type=args.incident_type.lower() if args.incident_type else None,
        private=args.private,
        fields={name: _value(value) for name, value in fields.items()},
        labels=labels,
    )
    started = workflows.matching(trigger, facts)
    if trigger == OPEN_FOR:  # a status timer counts in its status only
        started = [w for w in started if w.in_status in (None, facts.status)]
    if not started:
        print(f"No workflow starts on {trigger} for that incident.")
        return 0
    for workflow in started:
        when = f" ({workflow.reads().split(':', 1)[0]})" if trigger == OPEN_FOR else ""
        print(f"{workflow.name} would run{when}:")
        for number, action in enumerate(workflow.actions, 1):
            print(f"  {number}. {action.words}")
    return 0


def _unknown(
    types: IncidentTypes | None, type_name: str | None, fields: dict[str, str] | str
) -> str | None:
    """What --type or --field names that the types file does not declare."""
    if types is None:
        return None
    if type_name and types.get(type_name) is None:
        return f"--type {type_name}: no such type (the file has {_names(types.types)})"
    unknown = sorted(set(fields) - set(types.fields)) if isinstance(fields, dict) else []
    if unknown:
        return f"--field {unknown[0]}: no such field (the file has {_names(types.fields)})"
    return None


def _names(named: Mapping[str, object]) -> str:
    return ", ".join(named) or "none"


def _value(raw: str) -> object:
    """A field's value as given: a number when it reads as one, a list when it has commas."""
    if "," in raw:
        return [part.strip() for part in raw.split(",") if part.strip()]
    try:
        return float(raw)
    except ValueError:
        return raw
