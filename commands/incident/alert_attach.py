"""``/incident alert attach <alert id>``: make another open alert (a ``page`` route's, its id on
its message) the channel's incident's: its history on the timeline, its later alerts and its
paging the incident's (bot/flows/alerting/declared.py)."""

from __future__ import annotations

import re

from bot.basics.errors import UsageError
from bot.basics.numbers import DATABASE_ID_MAX, parse_bounded_int
from bot.flows.alerting.declared import attach_alert
from bot.services import Services
from commands.base import CommandRequest, Subcommand

_ATTACH = re.compile(r"^attach\s+#?(\d+)$", re.IGNORECASE)


def parse_attach(args: str) -> int:
    """The alert id of ``attach <id>``."""
    match = _ATTACH.match(" ".join(args.split()))
    alert_id = parse_bounded_int(match.group(1), 1, DATABASE_ID_MAX) if match else None
    if alert_id is None:
        raise UsageError("Name the alert by the id on its message, like `alert attach 12`.")
    return alert_id


async def alert(request: CommandRequest, services: Services) -> None:
    await attach_alert(
        services,
        channel_id=request.channel_id,
        user=request.user_id,
        group_id=parse_attach(request.args),
    )


SUBCOMMAND = Subcommand(
    name="alert",
    usage="alert attach <alert id>",
    summary="Attach another open alert to this incident",
    handler=alert,
    validate=parse_attach,
)
