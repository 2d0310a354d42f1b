"""The ``/incident`` command: one table (``commands.table``) routes every subcommand and
generates ``/incident help``; one module per subcommand. ``/oncall`` is its sibling
(``commands.oncall``), routed the same way from its own table. Incoming code, beside
``bot.slack``, whose Bolt app registers it (``register``).

May import: everything below the incoming layer (``bot.flows``, ``bot.services``,
``bot.clients`` and lower); nothing of ``bot.slack`` or ``bot.web``. Nothing imports it but
``bot.slack.bolt``.
"""

from __future__ import annotations

from collections.abc import Mapping

from slack_bolt.async_app import AsyncApp

from bot.basics.slack_ids import (
    DeclareModal,
    EscalationMessage,
    FieldsModal,
    FollowUpMessage,
    HeaderMessage,
    PublicModal,
)
from bot.flows.in_order import Applier
from commands import oncall
from commands.action import apply_file_press, handle_file_button
from commands.escalation.ack import apply_acknowledge_press, handle_acknowledge_button
from commands.field_forms import (
    handle_edit_fields_button,
    handle_edit_fields_submission,
    handle_resolve_submission,
)
from commands.modal import handle_declare_submission, handle_type_chosen
from commands.router import INCIDENT, apply_incident_command, handle_incident_command
from commands.status_page.form import handle_public_submission

# What applies each kind of command kept in a channel's line (bot/flows/in_order.py): the
# slash command, or the button's action id.
APPLIERS: Mapping[str, Applier] = {
    INCIDENT: apply_incident_command,
    EscalationMessage.ACKNOWLEDGE: apply_acknowledge_press,
    FollowUpMessage.FILE: apply_file_press,
}


def register(app: AsyncApp) -> None:
    """Attach the ``/incident`` and ``/oncall`` listeners to the Bolt app."""
    app.command("/incident")(handle_incident_command)
    app.view(DeclareModal.CALLBACK)(handle_declare_submission)
    app.action(DeclareModal.TYPE)(handle_type_chosen)
    app.view(FieldsModal.EDIT_CALLBACK)(handle_edit_fields_submission)
    app.view(FieldsModal.RESOLVE_CALLBACK)(handle_resolve_submission)
    app.view(PublicModal.CALLBACK)(handle_public_submission)
    app.action(HeaderMessage.EDIT_FIELDS)(handle_edit_fields_button)
    app.action(EscalationMessage.ACKNOWLEDGE)(handle_acknowledge_button)
    app.action(FollowUpMessage.FILE)(handle_file_button)
    oncall.register(app)
