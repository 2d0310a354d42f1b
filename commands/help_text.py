"""``help``: list the subcommands, from the same table that routes them (``/incident help``,
``/oncall help``)."""

from __future__ import annotations

from bot.services import Services
from commands.base import CommandRequest, Subcommand, never


async def show_help(request: CommandRequest, services: Services) -> str:
    """List the request's routing table."""
    return services.renderer.render(
        "messages/help.j2",
        subcommands=request.table,
        command=request.command,
        reactions=services.settings.incidents.reactions,
    )


SUBCOMMAND = Subcommand(
    name="help",
    usage="help",
    summary="Show this list",
    handler=show_help,
    in_order=never,
)
