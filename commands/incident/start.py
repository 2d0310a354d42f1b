"""``/incident start [--type TYPE] [--service NAME] [--private] [sev1-4] <title>``: declare an
incident and open its channel. The options come in any order before the title; ``--service``
names a service of ``WARROOM_SERVICES`` the incident is about.

A type whose fields must be answered at declaration cannot be declared from one line: the
declare form opens instead, filled with what the command said, its required fields waiting.
At 3 a.m. that is one more click, where a refusal would be a command to type again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot.basics.errors import UsageError
from bot.basics.slack_text import SlackText
from bot.flows.incident.declare import Declaration, declare_incident
from bot.services import Services
from bot.store.columns import utcnow
from commands.base import CommandRequest, Subcommand, never
from commands.incident.modal import TITLE_MAX, form_from_command, open_declare_modal

_LEADING_SEVERITY = re.compile(r"^sev([1-4])(?:\s+|$)", re.IGNORECASE)
_PRIVATE_FLAG = re.compile(r"^--private(?:\s+|$)", re.IGNORECASE)
_NAMED_OPTION = re.compile(r"^--(type|service)(?:=|\s+)([^\s]+)(?:\s+|$)", re.IGNORECASE)
_OTHER_OPTION = re.compile(r"^--\S+")


@dataclass(frozen=True)
class StartRequest:
    severity: str
    title: str
    private: bool
    incident_type: str | None = None
    # Whether the command named the severity (else the type's, then the default, applies).
    severity_given: bool = False
    service: str | None = None


def parse_start(args: str, default_severity: str) -> StartRequest:
    """Split ``[--type TYPE] [--service NAME] [--private] [sev1-4] <title>`` (options in any
    order)."""
    text = " ".join(args.split())
    severity, private, given = default_severity, False, False
    named: dict[str, str] = {}
    while text:
        if match := _PRIVATE_FLAG.match(text):
            private = True
        elif match := _LEADING_SEVERITY.match(text):
            severity, given = f"SEV{match.group(1)}", True
        elif match := _NAMED_OPTION.match(text):
            named[match.group(1).lower()] = match.group(2).lower()
        elif match := _OTHER_OPTION.match(text):
            if text.lower().startswith("--type"):
                raise UsageError("Name the type after --type, like `--type security`.")
            if text.lower().startswith("--service"):
                raise UsageError("Name the service after --service, like `--service checkout`.")
            raise UsageError(
                f"Unknown option {match.group(0)[:30]}: use --type, --service, --private, sev1-4."
            )
        else:
            break
        text = text[match.end() :]
    if not text:
        raise UsageError("Give the incident a title.")
    if len(text) > TITLE_MAX:
        raise UsageError(f"Keep the title under {TITLE_MAX} characters; details go in the channel.")
    return StartRequest(
        severity, SlackText(text), private, named.get("type"), given, named.get("service")
    )


def validate(args: str) -> None:
    parse_start(args, "SEV3")


def arrived_by_clock(services: Services, arrived: datetime | None) -> datetime | None:
    """When the command reached warroom, by ``services.clock`` (a real-clock stamp moved by
    the time since, so a page's start and its arrival are read on one clock)."""
    if arrived is None:
        return None
    return services.clock() - (utcnow() - arrived)


async def start(request: CommandRequest, services: Services) -> str | None:
    asked = parse_start(request.args, services.settings.incidents.default_severity)
    types = services.settings.incidents.types
    kind = types.get(asked.incident_type)
    if asked.incident_type and kind is None:
        known = ", ".join(types.types) or "none are configured"
        raise UsageError(f"There is no incident type {asked.incident_type!r} (types: {known}).")
    type_name = kind.name if kind else None
    catalog = services.settings.alerting.catalog
    if asked.service and catalog.get(asked.service) is None:
        known = ", ".join(catalog.by_name) or "none are configured"
        raise UsageError(f"There is no service {asked.service!r} (services: {known}).")
    severity = asked.severity if asked.severity_given else None
    if missing := types.required(type_name, "declare"):
        form = form_from_command(asked.title, severity, type_name, asked.private)
        await open_declare_modal(request, services, form)
        return services.renderer.render(
            "messages/declare_needs_fields.j2", kind=kind, missing=missing
        )
    declaration = Declaration(
        team_id=request.team_id,
        title=asked.title,
        declared_by=request.user_id,
        severity=severity,
        private=asked.private,
        incident_type=type_name,
        arrived_at=arrived_by_clock(services, request.arrived),
        service=asked.service,
    )
    incident = await declare_incident(services, declaration)
    return services.renderer.render("messages/incident_opened.j2", incident=incident)


SUBCOMMAND = Subcommand(
    name="start",
    usage="start [--type TYPE] [--service NAME] [--private] [sev1-4] <title>",
    summary="Declare an incident and open its channel",
    handler=start,
    validate=validate,
    ack_template="messages/declaring.j2",
    in_order=never,
)
