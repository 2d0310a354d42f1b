"""``/oncall test-page``: a test through every verified method of the person who types it
(Slack, push, SMS, call, email), each saying it is a test; the reply says what went out and
what failed."""

from __future__ import annotations

from bot.basics.errors import UsageError
from bot.flows.paging.trying import test_page
from bot.services import Services
from commands.base import CommandRequest, Subcommand


def validate(args: str) -> None:
    if args.strip():
        raise UsageError(
            "`/oncall test-page` takes nothing more: it tries every verified method of yours "
            "(`/oncall contact test <method>` tries one)."
        )


async def handle_test_page(request: CommandRequest, services: Services) -> str:
    return await test_page(services, user=request.user_id)


SUBCOMMAND = Subcommand(
    name="test-page",
    usage="test-page",
    summary="Send yourself a test page through every verified method (Slack, push, SMS, "
    "call, email)",
    handler=handle_test_page,
    validate=validate,
)
