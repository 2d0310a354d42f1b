"""The ``/oncall`` command: who is on call, overrides, swaps and their cancelling, routed by its
own table with the router ``/incident`` uses, one module per subcommand; the Accept and
Decline buttons of a swap request, and the Accept and Reject buttons of a request to be on
call from someone outside the schedule.

- ``table``: the routing table of ``/oncall``.
- ``router``: routes ``/oncall``; alone or with a schedule's name, it is ``who``.
- ``arguments``: ``/oncall``'s words: an optional @person, a schedule, the rest.
- ``who``: who is on call now and next, in your zone.
- ``override``: put someone on call for a while; the owners' Accept and Reject buttons.
- ``cancel``: undo an override (its row stays).
- ``leave``: your leave, which rotations skip: add, list, remove; your leave calendar.
- ``swap``: ask someone to swap shifts; the Accept and Decline buttons.
- ``calendar``: a calendar feed's secret link, and ``rotate``.
- ``contact``: your own contact methods for pages: add, verify, test, remove.
- ``rules``: your own notification rules.
- ``test_page``: a test page to yourself through every verified method.

May import: what ``commands`` may, the modules of ``commands``; it is the first domain, so no
other. Nothing imports it but ``commands`` (its table and ``register``).
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
