"""The ``/incident`` command: one table routes every subcommand and generates ``/incident
help``; one module per subcommand. Incoming code, beside ``bot.slack``, whose Bolt app
registers it (``register``).

Every subcommand is in its domain's folder (below); ``/incident`` alone opens the declare form
(``table.ALONE``).

What they share:

- ``table``: the routing table: a subcommand added there routes and shows in help.
- ``router``: ``parse_command``, ``find``, ``dispatch``: ack first, then work, then reply.
- ``base``: the shape every subcommand shares, of ``/incident`` and ``/oncall``.
- ``help_text``: ``help``, from the same table that routes.
- ``arguments``: people, groups and words read out of slash-command text.
- ``buttons``: what a button press says: the value, who pressed, where.
- ``forms``: custom fields in Slack forms, read back as values.

Its domains, in their order (``DOMAINS`` in tests/test_layers.py):

- ``oncall/``: the ``/oncall`` command, routed from its own table.
- ``follow_ups/``: ``/incident action`` and a follow-up's buttons.
- ``postmortem/``: findings, the draft again, its questions, suggestions, lessons, wrap-up.
- ``escalation/``: ``/incident escalate`` and ``/incident ack``.
- ``incident/``: declaring, severity, status, roles, updates, notes, fields, resolving.
- ``alerting/``: an alert's buttons, ``/alerts`` and ``/incident maintenance``.
- ``status_page/``: ``/incident public`` and its form.

May import: everything below the incoming layer (``bot.flows``, ``bot.services``,
``bot.clients`` and lower) and its domain folders; nothing of its sibling folders
``bot.slack`` and ``bot.web``, nor ``bot.keys``. A domain imports the modules here
(``commands/*.py``) and the domains before it, never one after it. Nothing imports
``commands`` but ``bot.slack.bolt``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.basics.slack_ids import (
    AlertEscalateModal,
    AlertMessage,
    CauseMessage,
    DeclareModal,
    EscalationMessage,
    FieldsModal,
    FollowUpMessage,
    FollowUpReminder,
    HeaderMessage,
    LessonsMessage,
    LessonsModal,
    ProposedNoteMessage,
    PublicModal,
    PublicUpdateModal,
    RuledOutPrompt,
    SuggestionMessage,
    SuggestionModal,
    WorkedPrompt,
    WrapUpMessage,
    WrapUpModal,
)
from bot.flows.in_order import Applier
from bot.record.postmortem.prompts import RULED_OUT, WORKED
from commands import oncall
from commands.alerting.alert import (
    handle_acknowledge_press,
    handle_declare_press,
    handle_escalate_choice,
    handle_escalate_to_submission,
    handle_mine_choice,
    handle_resolve_press,
    handle_snooze_choice,
)
from commands.alerting.alerts import ALERTS, handle_alerts_command
from commands.buttons import handle_press_in_line
from commands.escalation.ack import apply_acknowledge_press
from commands.follow_ups.action import (
    apply_file_press,
    apply_merge_press,
    handle_mark_done_button,
    handle_merge_press,
)
from commands.incident.causes import (
    apply_cause_down_press,
    apply_cause_up_press,
    apply_theory_press,
)
from commands.incident.field_forms import (
    handle_edit_fields_button,
    handle_edit_fields_submission,
    handle_resolve_submission,
)
from commands.incident.modal import handle_declare_submission, handle_type_chosen
from commands.incident.proposed_note import apply_accept_note_press
from commands.incident.update_form import handle_public_update_submission
from commands.postmortem.draft_prompts import (
    apply_idea_press,
    apply_rules_out_press,
    apply_worked_now,
    handle_worked_at_button,
    handle_worked_at_submission,
    skip_applier,
)
from commands.postmortem.lessons import (
    handle_answer_button,
    handle_lessons_submission,
    handle_skip_button,
)
from commands.postmortem.suggestion import (
    apply_accept_press,
    handle_edit_press,
    handle_edit_submission,
)
from commands.postmortem.wrap_up import (
    handle_skip_wrap_up_button,
    handle_wrap_up_button,
    handle_wrap_up_submission,
)
from commands.router import (
    INCIDENT,
    apply_incident_command,
    find,
    handle_incident_command,
    parse_command,
)
from commands.status_page.form import handle_public_submission
from commands.table import SUBCOMMANDS

# What applies each kind of command kept in a channel's line (bot/flows/in_order.py): the
# slash command, or the button's action id.
APPLIERS: Mapping[str, Applier] = {
    INCIDENT: apply_incident_command,
    EscalationMessage.ACKNOWLEDGE: apply_acknowledge_press,
    FollowUpMessage.FILE: apply_file_press,
    FollowUpMessage.MERGE: apply_merge_press,
    SuggestionMessage.ACCEPT: apply_accept_press,
    ProposedNoteMessage.ACCEPT: apply_accept_note_press,
    CauseMessage.UP: apply_cause_up_press,
    CauseMessage.DOWN: apply_cause_down_press,
    CauseMessage.THEORY: apply_theory_press,
    RuledOutPrompt.RULES_OUT: apply_rules_out_press,
    RuledOutPrompt.IDEA: apply_idea_press,
    RuledOutPrompt.SKIP: skip_applier(RULED_OUT),
    WorkedPrompt.NOW: apply_worked_now,
    WorkedPrompt.SKIP: skip_applier(WORKED),
}


def goes_in_line(body: dict[str, Any]) -> bool:
    """Whether Slack's request (a slash command's form, an interaction's payload) is kept in
    its channel's line, where its trigger_id is claimed with its row (bot/flows/in_order.py):
    an ``/incident`` subcommand that waits its turn, a press of a button the line applies."""
    if body.get("command") == INCIDENT:
        request = parse_command(body, SUBCOMMANDS)
        subcommand = find(request)
        return subcommand is not None and subcommand.in_order(request.args)
    if body.get("type") != "block_actions":
        return False
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions else None
    action_id = first.get("action_id") if isinstance(first, dict) else None
    return isinstance(action_id, str) and action_id != INCIDENT and action_id in APPLIERS


def register(app: AsyncApp) -> None:
    """Attach the ``/incident``, ``/oncall`` and ``/alerts`` listeners to the Bolt app."""
    app.command("/incident")(handle_incident_command)
    app.view(DeclareModal.CALLBACK)(handle_declare_submission)
    app.action(DeclareModal.TYPE)(handle_type_chosen)
    app.view(FieldsModal.EDIT_CALLBACK)(handle_edit_fields_submission)
    app.view(FieldsModal.RESOLVE_CALLBACK)(handle_resolve_submission)
    app.view(PublicModal.CALLBACK)(handle_public_submission)
    app.view(PublicUpdateModal.CALLBACK)(handle_public_update_submission)
    app.action(HeaderMessage.EDIT_FIELDS)(handle_edit_fields_button)
    # These buttons are applied in their channel's line, by their action id's applier.
    app.action(EscalationMessage.ACKNOWLEDGE)(handle_press_in_line)
    app.action(FollowUpMessage.FILE)(handle_press_in_line)
    app.action(FollowUpMessage.MERGE)(handle_merge_press)  # in line too, Home or channel
    app.action(SuggestionMessage.ACCEPT)(handle_press_in_line)
    app.action(SuggestionMessage.EDIT)(handle_edit_press)
    app.action(ProposedNoteMessage.ACCEPT)(handle_press_in_line)
    for cause_action in (CauseMessage.UP, CauseMessage.DOWN, CauseMessage.THEORY):
        app.action(cause_action)(handle_press_in_line)
    app.view(SuggestionModal.CALLBACK)(handle_edit_submission)
    # The draft's questions (commands/postmortem/draft_prompts.py): in line too, but for the button
    # that opens a form.
    pressed = (RuledOutPrompt.RULES_OUT, RuledOutPrompt.IDEA, RuledOutPrompt.SKIP)
    for action_id in (*pressed, WorkedPrompt.NOW, WorkedPrompt.SKIP):
        app.action(action_id)(handle_press_in_line)
    app.action(WorkedPrompt.AT)(handle_worked_at_button)
    app.view(WorkedPrompt.CALLBACK)(handle_worked_at_submission)
    # An alert's own message (no incident, no line): its state is its row's, locked.
    app.action(AlertMessage.ACKNOWLEDGE)(handle_acknowledge_press)
    app.action(AlertMessage.RESOLVE)(handle_resolve_press)
    app.action(AlertMessage.ESCALATE)(handle_escalate_choice)  # "A person…": a form
    app.view(AlertEscalateModal.CALLBACK)(handle_escalate_to_submission)
    app.action(AlertMessage.SNOOZE)(handle_snooze_choice)
    app.action(AlertMessage.DECLARE)(handle_declare_press)  # a form: opened at once
    app.action(AlertMessage.MINE)(handle_mine_choice)
    # /alerts: the open alerts paged to the person, several acknowledged or resolved at once.
    app.command(ALERTS)(handle_alerts_command)
    # In the owner's DM, not a channel's line: nothing of the incident's order to keep.
    app.action(FollowUpReminder.DONE)(handle_mark_done_button)
    app.action(LessonsMessage.ANSWER)(handle_answer_button)
    app.action(LessonsMessage.SKIP)(handle_skip_button)
    app.view(LessonsModal.CALLBACK)(handle_lessons_submission)
    # The offer resolving posts: the form opens at once (trigger_id), Skip edits the offer.
    app.action(WrapUpMessage.OPEN)(handle_wrap_up_button)
    app.action(WrapUpMessage.SKIP)(handle_skip_wrap_up_button)
    app.view(WrapUpModal.CALLBACK)(handle_wrap_up_submission)
    oncall.register(app)
