"""``/incident status <investigating|identified|monitoring|resolved>``."""

from __future__ import annotations

from bot.basics.errors import UsageError
from bot.flows.incident.changes import change_status
from bot.services import Services
from bot.store.models import Status
from commands.base import CommandRequest, Subcommand
from commands.incident.resolve import resolve_or_ask


def parse_status(args: str) -> Status:
    try:
        return Status(args.strip().lower())
    except ValueError:
        raise UsageError(f"Say one of: {', '.join(s.value for s in Status)}.") from None


async def status(request: CommandRequest, services: Services) -> str | None:
    if parse_status(request.args) == Status.RESOLVED:
        return await resolve_or_ask(request, services, "")
    await change_status(
        services,
        channel_id=request.channel_id,
        by=request.user_id,
        status=parse_status(request.args),
    )
    return None


SUBCOMMAND = Subcommand(
    name="status",
    usage="status <investigating|identified|monitoring|resolved>",
    summary="Move the incident's status (backwards too)",
    handler=status,
    validate=parse_status,
)
