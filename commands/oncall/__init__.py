"""The ``/oncall`` command: who is on call, overrides, swaps and their cancelling, routed by its
own table (``commands.oncall.table``) with the router ``/incident`` uses, one module per
subcommand; the Accept and Decline buttons of a swap request, and the Accept and Reject
buttons of a request to be on call from someone outside the schedule.

May import: what ``commands`` may, and ``commands`` itself (the shared router, arguments and
``help``); nothing imports it but ``commands``.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.basics.slack_ids import CoverMessage, SwapMessage
from commands.oncall.override import handle_cover_button
from commands.oncall.router import handle_oncall_command
from commands.oncall.swap import handle_swap_button


def register(app: AsyncApp) -> None:
    """Attach the ``/oncall`` listeners to the Bolt app."""
    app.command("/oncall")(handle_oncall_command)
    app.action(SwapMessage.ACCEPT)(handle_swap_button)
    app.action(SwapMessage.DECLINE)(handle_swap_button)
    app.action(CoverMessage.ACCEPT)(handle_cover_button)
    app.action(CoverMessage.REJECT)(handle_cover_button)
