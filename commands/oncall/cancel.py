"""``/oncall cancel <override id>``: undo an override (its row stays in the audit trail)."""

from __future__ import annotations

from bot.basics.numbers import DATABASE_ID_MAX, parse_bounded_int
from bot.basics.slack_text import decode_entities
from bot.flows.oncall.common import OncallRefused
from bot.flows.oncall.overrides import cancel as cancel_override
from bot.services import Services
from commands.base import CommandRequest, Subcommand


def validate(args: str) -> int:
    """The override's number (``/oncall override`` says it; ``#12`` reads as 12)."""
    text = decode_entities(args).strip().removeprefix("#")
    override_id = parse_bounded_int(text, 1, DATABASE_ID_MAX)
    if override_id is None:
        raise OncallRefused("override_id", field="override id", text=text)
    return override_id


async def cancel(request: CommandRequest, services: Services) -> str:
    return await cancel_override(services, by=request.user_id, override_id=validate(request.args))


SUBCOMMAND = Subcommand(
    name="cancel",
    usage="cancel <override id>",
    summary="Cancel an override: yours, one that puts you on call, or any if you own the schedule",
    handler=cancel,
    validate=validate,
)
