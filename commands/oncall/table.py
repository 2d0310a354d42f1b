"""The routing table of ``/oncall``: add a subcommand here and it routes and shows in help."""

from __future__ import annotations

from commands import help_text
from commands.base import Subcommand
from commands.oncall import (
    calendar,
    cancel,
    contact,
    leave,
    override,
    rules,
    swap,
    test_page,
    who,
)

SUBCOMMANDS: tuple[Subcommand, ...] = (
    who.SUBCOMMAND,
    override.SUBCOMMAND,
    swap.SUBCOMMAND,
    cancel.SUBCOMMAND,
    leave.SUBCOMMAND,
    calendar.SUBCOMMAND,
    contact.SUBCOMMAND,
    rules.SUBCOMMAND,
    test_page.SUBCOMMAND,
    help_text.SUBCOMMAND,
)
