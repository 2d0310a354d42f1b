"""The routing table of ``/incident``: add a subcommand here and it routes and shows in help."""

from __future__ import annotations

from commands import (
    ack,
    action,
    cause,
    escalate,
    help,
    impact,
    lead,
    note,
    postmortem,
    public,
    resolve,
    role,
    set,
    sev,
    start,
    status,
    time,
    timeline,
    timezone,
    type,
    update,
)
from commands.base import Subcommand

SUBCOMMANDS: tuple[Subcommand, ...] = (
    start.SUBCOMMAND,
    sev.SUBCOMMAND,
    type.SUBCOMMAND,
    set.SUBCOMMAND,
    status.SUBCOMMAND,
    lead.SUBCOMMAND,
    role.SUBCOMMAND,
    escalate.SUBCOMMAND,
    ack.SUBCOMMAND,
    update.SUBCOMMAND,
    public.SUBCOMMAND,
    note.SUBCOMMAND,
    timeline.SUBCOMMAND,
    impact.SUBCOMMAND,
    cause.SUBCOMMAND,
    action.SUBCOMMAND,
    time.SUBCOMMAND,
    timezone.SUBCOMMAND,
    resolve.SUBCOMMAND,
    postmortem.SUBCOMMAND,
    help.SUBCOMMAND,
)
