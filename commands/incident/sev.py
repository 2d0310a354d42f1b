"""``/incident sev <1-4>``: raise or lower the severity."""

from __future__ import annotations

import re

from bot.basics.errors import UsageError
from bot.flows.incident.changes import change_severity
from bot.services import Services
from commands.base import CommandRequest, Subcommand

_SEVERITY = re.compile(r"^(?:sev)?([1-4])$", re.IGNORECASE)


def parse_severity(args: str) -> str:
    match = _SEVERITY.match(args.strip())
    if not match:
        raise UsageError("Give a severity from 1 (worst) to 4.")
    return f"SEV{match.group(1)}"


async def sev(request: CommandRequest, services: Services) -> None:
    await change_severity(
        services,
        channel_id=request.channel_id,
        by=request.user_id,
        severity=parse_severity(request.args),
    )


SUBCOMMAND = Subcommand(
    name="sev",
    usage="sev <1-4>",
    summary="Change the severity (1 is the worst)",
    handler=sev,
    validate=parse_severity,
)
