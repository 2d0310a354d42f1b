"""Route ``/incident <subcommand> ...`` to its handler: acknowledge first, then work, then reply.

``parse_command``, ``find`` and ``dispatch`` serve every slash command of warroom (``/oncall``
routes with them too, from its own table)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.basics.errors import UsageError
from bot.flows.replies import run_and_reply
from bot.services import Services
from commands.base import CommandRequest, Subcommand
from commands.modal import open_declare_modal
from commands.table import SUBCOMMANDS

INCIDENT = "/incident"


def parse_command(command: dict[str, Any], table: Sequence[Subcommand]) -> CommandRequest:
    """Split the slash command's text into subcommand and arguments."""
    text = str(command.get("text") or "").strip()
    name, _, args = text.partition(" ")
    return CommandRequest(
        team_id=str(command.get("team_id", "")),
        user_id=str(command.get("user_id", "")),
        channel_id=str(command.get("channel_id", "")),
        subcommand=name.lower(),
        args=args.strip(),
        response_url=str(command.get("response_url", "")),
        trigger_id=str(command.get("trigger_id", "")),
        table=tuple(table),
        command=str(command.get("command") or INCIDENT),
    )


def find(request: CommandRequest) -> Subcommand | None:
    """The subcommand of the request's table that its first word names."""
    return next((s for s in request.table if s.name == request.subcommand), None)


async def dispatch(
    ack: AsyncAck, request: CommandRequest, services: Services, subcommand: Subcommand
) -> None:
    """Check the arguments and acknowledge (with the usage when they are wrong), then run the
    subcommand after the ack and reply privately."""
    render = services.renderer.render
    try:
        subcommand.validate(request.args)
    except UsageError as error:
        context = {**error.context, "command": request.command}
        await ack(render(error.template, subcommand=subcommand, **context))
        return
    await ack(render(subcommand.ack_template, request=request) if subcommand.ack_template else "")
    services.background.spawn(
        run_and_reply(
            services,
            request.response_url,
            subcommand.handler(request, services),
            subcommand,
            command=request.command,
        ),
        name=f"{request.command} {subcommand.name}",
    )


async def handle_incident_command(ack: AsyncAck, command: dict[str, Any], context: Any) -> None:
    """Acknowledge within Slack's 3 seconds, then run the subcommand and reply privately."""
    services: Services = context["services"]
    request = parse_command(command, SUBCOMMANDS)
    if not request.subcommand:
        await ack()
        services.background.spawn(
            run_and_reply(services, request.response_url, open_declare_modal(request, services)),
            name="open the declare modal",
        )
        return
    subcommand = find(request)
    if subcommand is None:
        await ack(
            services.renderer.render(
                "messages/unknown_subcommand.j2", request=request, subcommands=request.table
            )
        )
        return
    await dispatch(ack, request, services, subcommand)
