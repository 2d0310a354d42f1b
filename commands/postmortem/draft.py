"""``/incident postmortem [--style NAME] [--lang CODE]``: write the draft again, now."""

from __future__ import annotations

import re

from bot.basics.errors import UsageError
from bot.flows.postmortem.posting import request_postmortem
from bot.services import Services
from commands.base import CommandRequest, Subcommand

_OPTION = re.compile(r"--(style|lang)(?:=|\s+)([a-z][a-z0-9_-]*)", re.IGNORECASE)


def validate(args: str) -> dict[str, str]:
    options = {name.lower(): value.lower() for name, value in _OPTION.findall(args)}
    if _OPTION.sub("", args).strip():
        raise UsageError("Give only `--style NAME` and `--lang CODE` (both optional).")
    return options


async def postmortem(request: CommandRequest, services: Services) -> None:
    options = validate(request.args)
    await request_postmortem(
        services,
        channel_id=request.channel_id,
        by=request.user_id,
        style=options.get("style"),
        language=options.get("lang"),
    )


SUBCOMMAND = Subcommand(
    name="postmortem",
    usage="postmortem [--style default|sre|atlassian] [--lang en|fr]",
    summary="Write the postmortem draft again from the record, in a style and language",
    handler=postmortem,
    validate=validate,
    ack_template="messages/postmortem_requested.j2",
)
