"""``/oncall rules [<delay> <methods>, …]``: the person's own notification rules (when a page
reaches them, through what), or, alone, the rules that page them now."""

from __future__ import annotations

from bot.basics.slack_text import decode_entities
from bot.flows.paging.own_contacts import set_rules
from bot.services import Services
from commands.base import CommandRequest, Subcommand


async def rules(request: CommandRequest, services: Services) -> str:
    return await set_rules(services, user=request.user_id, text=decode_entities(request.args))


SUBCOMMAND = Subcommand(
    name="rules",
    usage="rules [0s slack push, 2m sms, 5m voice]",
    summary="When a page reaches you and through what: your notification rules",
    handler=rules,
)
