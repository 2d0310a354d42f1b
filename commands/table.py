"""The routing table of ``/incident``: add a subcommand here and it routes and shows in help."""

from __future__ import annotations

from commands import help, resolve, start
from commands.base import Subcommand

SUBCOMMANDS: tuple[Subcommand, ...] = (
    start.SUBCOMMAND,
    resolve.SUBCOMMAND,
    help.SUBCOMMAND,
)
