"""``/incident action [@owner] <task>``: a corrective or preventive task for the postmortem."""

from __future__ import annotations

from bot.flows.findings import record_action
from bot.services import Services
from commands.arguments import optional_owner, statement
from commands.base import CommandRequest, Subcommand


def validate(args: str) -> tuple[str | None, str]:
    owner, task = optional_owner(args)
    return owner, statement(task, "what should be done, like `/incident action @bob add a test`")


async def action(request: CommandRequest, services: Services) -> None:
    owner, task = validate(request.args)
    await record_action(
        services, channel_id=request.channel_id, by=request.user_id, owner=owner, text=task
    )


SUBCOMMAND = Subcommand(
    name="action",
    usage="action [@owner] <task>",
    summary="Add a follow-up task (with its owner) to the postmortem",
    handler=action,
    validate=validate,
)
