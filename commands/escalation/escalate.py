"""``/incident escalate <@person | @group | policy | schedule> [reason]``: bring people in
now (a schedule: whoever is on call)."""

from __future__ import annotations

from bot.basics.errors import UsageError
from bot.basics.slack_text import SlackText
from bot.flows.escalation.targets import escalate
from bot.services import Services
from commands.arguments import escalation_target, first_word
from commands.base import CommandRequest, Subcommand

REASON_MAX = 1000


def validate(args: str) -> None:
    target, reason = first_word(args)
    if not target:
        raise UsageError("Say whom to escalate to.")
    escalation_target(target)
    if len(reason) > REASON_MAX:
        raise UsageError(f"Keep the reason under {REASON_MAX} characters.")


async def escalate_now(request: CommandRequest, services: Services) -> None:
    target, reason = first_word(request.args)
    await escalate(
        services,
        channel_id=request.channel_id,
        requested_by=request.user_id,
        target=escalation_target(target),
        reason=SlackText(" ".join(reason.split())),
    )


SUBCOMMAND = Subcommand(
    name="escalate",
    usage="escalate <@person | @user-group | policy | on-call schedule> [reason]",
    summary="Bring in a person, a user group, a policy's next level, or whoever is on call",
    handler=escalate_now,
    validate=validate,
)
