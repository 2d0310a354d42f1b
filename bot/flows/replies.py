"""Replying privately after the ack: the result of slow work, or a clear error.

The /incident subcommands (commands/) and the shortcuts (bot/slack/shortcuts.py) both reply
this way: here, below both, so neither imports the other.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable
from typing import Any

from bot.basics.errors import BotError
from bot.clients.slack.errors import SlackFailure, SlackGone
from bot.services import Services

log = logging.getLogger(__name__)
# A form's error is a line under its field.
ERROR_MAX = 300


async def run_and_reply(
    services: Services,
    response_url: str,
    work: Awaitable[str | None],
    subcommand: object | None = None,
    *,
    command: str = "/incident",
) -> None:
    """Run slow work after the ack; send its reply, or a clear error, to the person privately
    (``subcommand`` of the slash ``command``: what a usage message shows)."""
    reply = await outcome(services, work, subcommand, command=command)
    await send_reply(services, response_url, reply)


async def run_in_line(
    services: Services,
    response_url: str,
    work: Awaitable[str | None],
    subcommand: object | None = None,
    *,
    command: str = "/incident",
) -> None:
    """``run_and_reply`` for work applied in its channel's line (bot/flows/in_order.py): the
    work now, its reply sent beside, so a slow response_url holds up no later command."""
    reply = await outcome(services, work, subcommand, command=command)
    if reply and response_url:
        services.background.spawn(send_reply(services, response_url, reply), name="reply")


async def outcome(
    services: Services,
    work: Awaitable[str | None],
    subcommand: object | None = None,
    *,
    command: str = "/incident",
) -> str | None:
    """Run the work: its reply, or the clear error that says why it failed."""
    render = services.renderer.render
    try:
        return await work
    except BotError as error:
        return render(error.template, subcommand=subcommand, command=command, **error.context)
    except Exception:
        reference = uuid.uuid4().hex[:8]
        log.exception("command failed (ref %s)", reference)
        return render("messages/internal_error.j2", reference=reference)


async def send_reply(services: Services, response_url: str, reply: str | None) -> None:
    """Say ``reply`` to the person privately through the response_url, if there is one."""
    if reply and response_url:
        try:
            await services.slack.reply(response_url, reply)
        except SlackFailure as error:
            # Nothing else reaches the person; a bad or expired response_url is no bug here.
            log.warning("could not reply through the response_url: %r", error)


async def open_form(
    services: Services, trigger_id: str, view: dict[str, Any], *, command: str | None = None
) -> None:
    """Open a modal with the trigger a press or a command gave (it lasts 3 s, for one view);
    a BotError saying to run ``command`` again (or to try again) when there is none or it
    went by (malformed, too old or already used)."""
    again = services.renderer.render("messages/no_form.j2", command=command).strip()
    if not trigger_id:
        raise BotError(again)
    try:
        await services.slack.open_view(trigger_id, view)
    except SlackGone:
        raise BotError(again) from None


def refusal_words(services: Services, error: BotError) -> str:
    """A refusal's words as a line under a form's field (a Slack form's or a web page's: no
    Slack formatting shows there)."""
    said = services.renderer.render(error.template, **error.context)
    plain = _MRKDWN_RUN.sub(r"\1", said.replace(":warning: ", "").replace("`", "")).strip()
    return plain[:ERROR_MAX]


# Slack's *bold* and ~strike~ around words: shown as the words alone where no mrkdwn renders.
_MRKDWN_RUN = re.compile(r"(?<!\w)[*~](\S(?:[^*~\n]*?\S)?)[*~](?!\w)")
