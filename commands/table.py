"""The routing table of ``/incident``: add a subcommand here and it routes and shows in help."""

from __future__ import annotations

from commands import (
    ack,
    escalate,
    help,
    lead,
    note,
    resolve,
    role,
    sev,
    start,
    status,
    timeline,
    update,
)
from commands.base import Subcommand

SUBCOMMANDS: tuple[Subcommand, ...] = (
    start.SUBCOMMAND,
    sev.SUBCOMMAND,
    status.SUBCOMMAND,
    lead.SUBCOMMAND,
    role.SUBCOMMAND,
    escalate.SUBCOMMAND,
    ack.SUBCOMMAND,
    update.SUBCOMMAND,
    note.SUBCOMMAND,
    timeline.SUBCOMMAND,
    resolve.SUBCOMMAND,
    help.SUBCOMMAND,
)
