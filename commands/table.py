"""The routing table of ``/incident``: add a subcommand here and it routes and shows in help;
``ALONE`` is what ``/incident`` with no text does (the declare form)."""

from __future__ import annotations

from commands import help_text
from commands.alerting import maintenance
from commands.base import Subcommand
from commands.escalation import ack, escalate
from commands.follow_ups import action
from commands.incident import (
    alert_attach,
    incident_type,
    lead,
    modal,
    note,
    resolve,
    role,
    set_field,
    sev,
    start,
    status,
    timeline,
    timezone,
    update,
)
from commands.postmortem import cause, impact, milestone_time
from commands.postmortem import draft as postmortem
from commands.status_page import public

SUBCOMMANDS: tuple[Subcommand, ...] = (
    start.SUBCOMMAND,
    sev.SUBCOMMAND,
    incident_type.SUBCOMMAND,
    set_field.SUBCOMMAND,
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
    milestone_time.SUBCOMMAND,
    timezone.SUBCOMMAND,
    alert_attach.SUBCOMMAND,
    resolve.SUBCOMMAND,
    postmortem.SUBCOMMAND,
    maintenance.SUBCOMMAND,
    help_text.SUBCOMMAND,
)
# ``/incident`` with no text: the declare form.
ALONE = modal.open_declare_modal
