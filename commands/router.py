"""Route ``/incident <subcommand> ...`` to its handler: acknowledge first, then work, then reply."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.basics.errors import UsageError
from bot.flows.replies import run_and_reply
from bot.services import Services
from commands.base import CommandRequest, Subcommand
from commands.modal import open_declare_modal
from commands.table import SUBCOMMANDS


def parse_command(command: dict[str, Any], table: tuple[Subcommand, ...]) -> CommandRequest:
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
        table=table,
    )


async def handle_incident_command(ack: AsyncAck, command: dict[str, Any], context: Any) -> None:
    """Acknowledge within Slack's 3 seconds, then run the subcommand and reply privately."""
    services: Services = context["services"]
    request = parse_command(command, SUBCOMMANDS)
    render = services.renderer.render
    if not request.subcommand:
        await ack()
        services.background.spawn(
            run_and_reply(services, request.response_url, open_declare_modal(request, services)),
            name="open the declare modal",
        )
        return
    subcommand = next((s for s in SUBCOMMANDS if s.name == request.subcommand), None)
    if subcommand is None:
        await ack(
            render("messages/unknown_subcommand.j2", request=request, subcommands=SUBCOMMANDS)
        )
        return
    try:
        subcommand.validate(request.args)
    except UsageError as error:
        await ack(render(error.template, subcommand=subcommand, **error.context))
        return
    await ack(render(subcommand.ack_template, request=request) if subcommand.ack_template else "")
    services.background.spawn(
        run_and_reply(
            services, request.response_url, subcommand.handler(request, services), subcommand
        ),
        name=f"/incident {subcommand.name}",
    )
