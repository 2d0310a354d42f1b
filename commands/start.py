"""``/incident start [--private] [sev1-4] <title>``: declare an incident and open its channel."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.basics.errors import UsageError
from bot.basics.slack_text import SlackText
from bot.flows.declare import Declaration, declare_incident
from bot.services import Services
from commands.base import CommandRequest, Subcommand

_LEADING_SEVERITY = re.compile(r"^sev([1-4])(?:\s+|$)", re.IGNORECASE)
_PRIVATE_FLAG = re.compile(r"^--private(?:\s+|$)", re.IGNORECASE)
TITLE_MAX = 200


@dataclass(frozen=True)
class StartRequest:
    severity: str
    title: str
    private: bool


def parse_start(args: str, default_severity: str) -> StartRequest:
    """Split ``[--private] [sev1-4] <title>`` (flag and severity in either order)."""
    text = " ".join(args.split())
    severity, private = default_severity, False
    for _ in range(2):
        if match := _PRIVATE_FLAG.match(text):
            private, text = True, text[match.end() :]
        elif match := _LEADING_SEVERITY.match(text):
            severity, text = f"SEV{match.group(1)}", text[match.end() :]
    if not text:
        raise UsageError("Give the incident a title.")
    if len(text) > TITLE_MAX:
        raise UsageError(f"Keep the title under {TITLE_MAX} characters; details go in the channel.")
    return StartRequest(severity, SlackText(text), private)


def validate(args: str) -> None:
    parse_start(args, "SEV3")


async def start(request: CommandRequest, services: Services) -> str:
    asked = parse_start(request.args, services.settings.default_severity)
    declaration = Declaration(
        team_id=request.team_id,
        title=asked.title,
        declared_by=request.user_id,
        severity=asked.severity,
        private=asked.private,
    )
    incident = await declare_incident(services, declaration)
    return services.renderer.render("messages/incident_opened.j2", incident=incident)


SUBCOMMAND = Subcommand(
    name="start",
    usage="start [--private] [sev1-4] <title>",
    summary="Declare an incident and open its channel",
    handler=start,
    validate=validate,
    ack_template="messages/declaring.j2",
)
