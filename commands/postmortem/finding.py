"""What ``/incident impact`` and ``/incident cause`` share: free text recorded for the draft."""

from __future__ import annotations

from bot.flows.incident.findings import record_finding
from bot.services import Services
from commands.arguments import statement
from commands.base import CommandRequest, Subcommand


def finding_subcommand(what: str, *, asks_for: str, usage: str, summary: str) -> Subcommand:
    """A subcommand named ``what`` that records its text as that kind of finding."""

    def validate(args: str) -> str:
        return statement(args, asks_for)

    async def record(request: CommandRequest, services: Services) -> None:
        await record_finding(
            services,
            channel_id=request.channel_id,
            by=request.user_id,
            what=what,
            text=validate(request.args),
        )

    return Subcommand(name=what, usage=usage, summary=summary, handler=record, validate=validate)
