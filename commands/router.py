"""Route ``/incident <subcommand> ...`` to its handler: acknowledge first, then work, then reply.

``parse_command``, ``find`` and ``dispatch`` serve every slash command of warroom (``/oncall``
routes with them too, from its own table).

What order work runs in: an ``/incident`` subcommand that acts on the channel's incident is
kept in the channel's line before Slack is answered, and applied after the commands typed
there before it, on whichever replica they arrived (``Subcommand.in_order``,
bot/flows/in_order.py). The rest runs at once in the background, in no order with anything:
``/incident`` alone and ``set`` or ``public`` alone (they open a form, and the trigger_id
lasts 3 s), ``start`` (a new incident, from anywhere), ``help``, and every ``/oncall``
subcommand (schedules, not the channel's incident)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.basics.errors import UsageError
from bot.clients.slack.pacing import ANSWER, paced_as
from bot.flows.in_order import ARRIVED_KEY, CONTEXT_KEY, CommandLine, Replayed
from bot.flows.replies import run_and_reply, run_in_line
from bot.services import Services
from commands.base import CommandRequest, Subcommand
from commands.table import ALONE, SUBCOMMANDS

log = logging.getLogger(__name__)
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
    ack: AsyncAck,
    request: CommandRequest,
    services: Services,
    subcommand: Subcommand,
    line: CommandLine | None = None,
    arrived: datetime | None = None,
) -> None:
    """Check the arguments and acknowledge (with the usage when they are wrong), then run the
    subcommand after the ack and reply privately: in the channel's ``line`` when given and
    the subcommand waits its turn (in the order of ``arrived``), else at once."""
    render = services.renderer.render
    try:
        subcommand.validate(request.args)
    except UsageError as error:
        context = {**error.context, "command": request.command}
        await ack(render(error.template, subcommand=subcommand, **context))
        return
    acked = render(subcommand.ack_template, request=request) if subcommand.ack_template else ""
    # Its Slack calls go first in the pace of Slack's limits, and may spend the reserve kept
    # for a person waiting (bot/clients/slack/pacing.py): the work spawned here carries it.
    with paced_as(ANSWER):
        await _run_after_ack(ack, acked, request, services, subcommand, line, arrived)


async def _run_after_ack(
    ack: AsyncAck,
    acked: str,
    request: CommandRequest,
    services: Services,
    subcommand: Subcommand,
    line: CommandLine | None,
    arrived: datetime | None,
) -> None:
    render = services.renderer.render
    if line is not None and subcommand.in_order(request.args):
        # Kept before the ack: Slack is answered once the command has its place.
        try:
            sent = _as_sent(request)
            trigger_id = request.trigger_id
            await line.receive(request.channel_id, request.command, sent, arrived, trigger_id)
        except Replayed:
            # The same signed request again (a capture replayed): an empty 200, so nothing
            # reaches whoever sent it, and Slack, had it sent it twice, retries nothing.
            await ack()
            return
        except Exception:
            reference = uuid.uuid4().hex[:8]
            log.exception("could not keep a command in its channel's line (ref %s)", reference)
            await ack(render("messages/internal_error.j2", reference=reference))
            return
        await ack(acked)
        return
    await ack(acked)
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


def _as_sent(request: CommandRequest) -> dict[str, str]:
    """The command as Slack sent it, what ``parse_command`` reads again to apply it."""
    text = f"{request.subcommand} {request.args}".strip()
    return {
        "team_id": request.team_id,
        "user_id": request.user_id,
        "channel_id": request.channel_id,
        "command": request.command,
        "text": text,
        "response_url": request.response_url,
        "trigger_id": request.trigger_id,
    }


async def apply_incident_command(services: Services, sent: dict[str, Any]) -> None:
    """Run an ``/incident`` subcommand whose turn has come in its channel's line."""
    request = parse_command(sent, SUBCOMMANDS)
    subcommand = find(request)
    if subcommand is None:  # kept by a version that had it
        log.warning("a kept /incident command names no subcommand now: dropped")
        return
    await run_in_line(
        services,
        request.response_url,
        subcommand.handler(request, services),
        subcommand,
        command=request.command,
    )


async def handle_incident_command(ack: AsyncAck, command: dict[str, Any], context: Any) -> None:
    """Acknowledge within Slack's 3 seconds, then run the subcommand and reply privately."""
    services: Services = context["services"]
    request = parse_command(command, SUBCOMMANDS)
    if not request.subcommand:
        await ack()
        services.background.spawn(
            run_and_reply(services, request.response_url, ALONE(request, services)),
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
    line, arrived = context.get(CONTEXT_KEY), context.get(ARRIVED_KEY)
    request = replace(request, arrived=arrived)
    await dispatch(ack, request, services, subcommand, line, arrived)
