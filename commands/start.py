"""``/incident start [sev1-4] <title>``: declare an incident and open its channel."""

from __future__ import annotations

import re

from bot.errors import UsageError
from bot.flows import Declaration, declare_incident
from bot.services import Services
from commands.base import CommandRequest, Subcommand

_LEADING_SEVERITY = re.compile(r"^sev([1-4])(?:\s+|$)", re.IGNORECASE)
TITLE_MAX = 200


def parse_start(args: str, default_severity: str) -> tuple[str, str]:
    """Split ``[sev1-4] <title>`` into (severity, title)."""
    text = " ".join(args.split())
    severity = default_severity
    match = _LEADING_SEVERITY.match(text)
    if match:
        severity = f"SEV{match.group(1)}"
        text = text[match.end() :]
    if not text:
        raise UsageError("Give the incident a title.")
    if len(text) > TITLE_MAX:
        raise UsageError(f"Keep the title under {TITLE_MAX} characters; details go in the channel.")
    return severity, text


def validate(args: str) -> None:
    parse_start(args, "SEV3")


async def start(request: CommandRequest, services: Services) -> str:
    severity, title = parse_start(request.args, services.settings.default_severity)
    declaration = Declaration(
        team_id=request.team_id, title=title, declared_by=request.user_id, severity=severity
    )
    incident = await declare_incident(services, declaration)
    return services.renderer.render("messages/incident_opened.j2", incident=incident)


SUBCOMMAND = Subcommand(
    name="start",
    usage="start [sev1-4] <title>",
    summary="Declare an incident and open its channel",
    handler=start,
    validate=validate,
    ack_template="messages/declaring.j2",
)
