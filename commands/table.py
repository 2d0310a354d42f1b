"""The routing table of ``/incident``: add a subcommand here and it routes and shows in help."""

from __future__ import annotations

from commands import help, note, resolve, start, timeline
from commands.base import Subcommand

SUBCOMMANDS: tuple[Subcommand, ...] = (
    start.SUBCOMMAND,
    note.SUBCOMMAND,
    timeline.SUBCOMMAND,
    resolve.SUBCOMMAND,
    help.SUBCOMMAND,
)
