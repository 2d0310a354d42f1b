"""The ``/alerts`` command: the open alerts paged to you, and several acknowledged or resolved
at once (bot/flows/alerting/many.py), routed by its own table with the router ``/incident``
uses (acknowledged within Slack's 3 s, then the work, then a private reply):

- ``/alerts`` (or ``/alerts list``): the open alerts whose current firing paged you;
- ``/alerts ack --mine``: every one of them still paging, acknowledged;
- ``/alerts ack <id> <id>…``, ``/alerts resolve <id> <id>…`` (``#12`` reads as 12), and
  ``/alerts resolve --mine``;
- ``/alerts help``; anything else is answered with how to use it, nothing done.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.basics.errors import UsageError
from bot.basics.numbers import DATABASE_ID_MAX, parse_bounded_int
from bot.basics.slack_text import decode_entities
from bot.flows.alerting.many import (
    ACKNOWLEDGE,
    MANY_MAX,
    RESOLVE,
    act_on_many,
    act_on_mine,
    paged_to,
)
from bot.flows.people import zone_of
from bot.services import Services
from commands import help_text
from commands.base import CommandRequest, Handler, Subcommand, never
from commands.router import dispatch, find, parse_command

ALERTS = "/alerts"
MINE = "--mine"
_ID = re.compile(r"#?(\d{1,12})")


class AlertsUsage(UsageError):
    """``/alerts ack`` or ``resolve`` with nothing, or words, where alerts' ids go."""

    template = "messages/alerts_usage.j2"


def chosen(args: str) -> list[int] | None:
    """The alerts named (their ids, each once), or None for ``--mine``; AlertsUsage else."""
    words = decode_entities(args).replace(",", " ").split()
    if words == [MINE]:
        return None
    if not words:
        raise AlertsUsage(why="nothing")
    ids: list[int] = []
    for word in words:
        matched = _ID.fullmatch(word)
        number = parse_bounded_int(matched[1], 1, DATABASE_ID_MAX) if matched else None
        if number is None:
            raise AlertsUsage(why="not_an_id", word=word[:40])
        ids.append(number)
    ids = list(dict.fromkeys(ids))
    if len(ids) > MANY_MAX:
        raise AlertsUsage(why="too_many", most=MANY_MAX)
    return ids


def _acting(act: str) -> Handler:
    async def handler(request: CommandRequest, services: Services) -> str:
        ids = chosen(request.args)
        user = request.user_id
        if ids is None:
            together, _ = await act_on_mine(services, act=act, user=user, via="slack")
        else:
            together = await act_on_many(services, ids, act=act, user=user, via="slack")
        return services.renderer.render("messages/alerts_acted.j2", together=together)

    return handler


async def list_mine(request: CommandRequest, services: Services) -> str:
    """The open alerts whose current firing paged the person, in their zone."""
    found, _ = await paged_to(services, request.user_id)
    return services.renderer.render(
        "messages/alerts_mine.j2",
        alerts=found,
        timezone=await zone_of(services, request.user_id),
        public_url=services.settings.web.public_url.rstrip("/"),
    )


LIST = Subcommand(
    name="list",
    usage="list",
    summary="The open alerts paged to you (also `/alerts` alone)",
    handler=list_mine,
    in_order=never,
)
ACK = Subcommand(
    name="ack",
    usage="ack --mine | ack <alert id> <alert id>…",
    summary="Acknowledge every open alert paged to you, or the alerts named",
    handler=_acting(ACKNOWLEDGE),
    validate=chosen,
    in_order=never,
)
RESOLVE_SUBCOMMAND = Subcommand(
    name="resolve",
    usage="resolve --mine | resolve <alert id> <alert id>…",
    summary="Resolve every open alert paged to you, or the alerts named",
    handler=_acting(RESOLVE),
    validate=chosen,
    in_order=never,
)
SUBCOMMANDS: tuple[Subcommand, ...] = (LIST, ACK, RESOLVE_SUBCOMMAND, help_text.SUBCOMMAND)


async def handle_alerts_command(ack: AsyncAck, command: dict[str, Any], context: Any) -> None:
    """Acknowledge within Slack's 3 seconds, then run the subcommand and reply privately;
    ``/alerts`` alone lists; an unknown word is answered with the subcommands."""
    services: Services = context["services"]
    request = parse_command(command, SUBCOMMANDS)
    if not request.subcommand:
        request = replace(request, subcommand=LIST.name)
    subcommand = find(request)
    if subcommand is None:
        await ack(
            services.renderer.render(
                "messages/unknown_subcommand.j2", request=request, subcommands=request.table
            )
        )
        return
    await dispatch(ack, request, services, subcommand)
