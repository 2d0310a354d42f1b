"""Every id warroom gives Slack and gets back: shortcuts, views, blocks and actions.

Named once here; the templates that build views and messages read them as ``ids`` (a Jinja
global), and the listeners register and read with the same names. Slack sends them back
verbatim, so changing one strands buttons and modals already on people's screens.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class Shortcut(StrEnum):
    """Message shortcuts (the app manifest lists them)."""

    DECLARE_FROM_MESSAGE = "declare_from_message"
    ADD_TO_TIMELINE = "add_to_timeline"


class DeclareModal(StrEnum):
    """The form ``/incident`` opens; each input's block and action share its name."""

    CALLBACK = "declare_incident"
    TITLE = "title"
    SEVERITY = "severity"
    DESCRIPTION = "description"
    VISIBILITY = "visibility"
    # The incident type select: choosing one updates the form (dispatch_action).
    TYPE = "incident_type"


class FieldsModal(StrEnum):
    """The forms that ask for custom fields: "Edit fields" on the header, and the one
    resolving opens when required fields are missing. Each field's input block and action
    are ``field_input(name)``."""

    EDIT_CALLBACK = "edit_fields"
    RESOLVE_CALLBACK = "resolve_with_fields"


class HeaderMessage(StrEnum):
    """The pinned header's "Edit fields" button (when custom fields are configured)."""

    BLOCK = "incident_header"
    EDIT_FIELDS = "edit_fields_button"


FIELD_INPUT_PREFIX = "field."


def field_input(name: str) -> str:
    """The block and action id of a custom field's input in any form."""
    return f"{FIELD_INPUT_PREFIX}{name}"


class TimelineModal(StrEnum):
    """The form "Add to incident timeline" opens."""

    CALLBACK = "add_to_timeline_submit"
    KIND = "kind"
    TEXT = "text"


class PublicModal(StrEnum):
    """The form ``/incident public`` alone opens: the components, and a public title per
    language (``public_title_input(language)``)."""

    CALLBACK = "public_incident"
    COMPONENTS = "public_components"


class PublicUpdateModal(StrEnum):
    """The form ``/incident update --public`` without text opens: the customers' text and the
    status the update is filed under."""

    CALLBACK = "public_update"
    TEXT = "public_update_text"
    STATUS = "public_update_status"


PUBLIC_TITLE_PREFIX = "public_title."


def public_title_input(language: str) -> str:
    """The block and action id of the public title's input in ``language``."""
    return f"{PUBLIC_TITLE_PREFIX}{language}"


class EscalationMessage(StrEnum):
    """The escalation message's Acknowledge button."""

    BLOCK = "escalation"
    ACKNOWLEDGE = "acknowledge_escalation"


class AlertMessage(StrEnum):
    """An alert's own message (a ``page`` route, no incident): Acknowledge, Escalate (a
    menu: the next level, or a person, chosen in a form), Snooze (a menu of lengths),
    Resolve, Declare incident, and a menu of acts on all the presser's alerts of its service
    (or route): "Acknowledge all mine", "Resolve all mine"."""

    BLOCK = "alert"
    ACKNOWLEDGE = "acknowledge_alert"
    ESCALATE = "escalate_alert"
    # The Escalate menu's options' values: ``<alert id>:next`` or ``<alert id>:person``.
    ESCALATE_NEXT = "next"
    ESCALATE_PERSON = "person"
    SNOOZE = "snooze_alert"
    RESOLVE = "resolve_alert"
    # Opens the declare form filled from the alert; submitting it attaches the alert.
    DECLARE = "declare_from_alert"
    # An overflow menu: every open alert of its service (its route's, without one) paged to
    # the presser, acknowledged or resolved together (bot/flows/alerting/many.py). Its
    # options' values: ``<alert id>:acknowledge`` or ``<alert id>:resolve``.
    MINE = "alerts_of_mine"
    MINE_ACKNOWLEDGE = "acknowledge"
    MINE_RESOLVE = "resolve"


class AlertEscalateModal(StrEnum):
    """The form Escalate's "A person…" opens: whom to page for the alert (one person)."""

    CALLBACK = "escalate_alert_to_person"
    PERSON = "escalate_alert_person"


class FollowUpMessage(StrEnum):
    """The "File as issue" button on a follow-up's message (``/incident action``), and
    "Merge" when it is possibly the same as an earlier follow-up of the incident."""

    BLOCK = "follow_up"
    FILE = "file_follow_up"
    MERGE = "merge_follow_up"


class SuggestionMessage(StrEnum):
    """The Accept and Edit buttons of each section the team's model suggested for the
    postmortem draft (one actions block a section: ``suggestion_block(id)``)."""

    BLOCK = "suggestion"
    ACCEPT = "accept_suggestion"
    EDIT = "edit_suggestion"


class CauseMessage(StrEnum):
    """The 👍, 👎 and "Working theory" buttons of each possible cause the team's model
    proposed during an incident (one actions block a cause: ``cause.<id>``)."""

    BLOCK = "cause"
    UP = "cause_up"
    DOWN = "cause_down"
    THEORY = "cause_theory"


class ProposedNoteMessage(StrEnum):
    """The Accept button of a timeline note an agent proposed (one note a message)."""

    BLOCK = "proposed_note"
    ACCEPT = "accept_proposed_note"


def suggestion_block(suggestion_id: int) -> str:
    """The block id of a suggested section's buttons: unique in its message."""
    return f"{SuggestionMessage.BLOCK}.{suggestion_id}"


class SuggestionModal(StrEnum):
    """The form Edit opens: the suggested text, to change before it is accepted."""

    CALLBACK = "edit_suggestion_submit"
    TEXT = "suggestion_text"


class RuledOutPrompt(StrEnum):
    """The question asked in the thread of a message marked :x: (misleading): what ruled the
    idea out. "It rules out an earlier idea" offers the earlier messages, a button each."""

    BLOCK = "ruled_out_prompt"
    RULES_OUT = "prompt_rules_out"
    IDEA = "prompt_ruled_out_idea"
    SKIP = "prompt_ruled_out_skip"


class WorkedPrompt(StrEnum):
    """The question asked in the thread of a message marked :white_check_mark: (mitigation):
    did it work, when did the impact end. "At another time" opens a form with one input."""

    BLOCK = "worked_prompt"
    NOW = "prompt_worked_now"
    AT = "prompt_worked_at"
    SKIP = "prompt_worked_skip"
    CALLBACK = "prompt_worked_form"
    WHEN = "impact_ended_when"


class FollowUpReminder(StrEnum):
    """The "Mark done" button on a follow-up's reminder, sent by DM to its owner."""

    BLOCK = "follow_up_reminder"
    DONE = "mark_follow_up_done"


class WrapUpMessage(StrEnum):
    """The message resolving posts in the channel: Wrap up (opens the form) and Skip."""

    BLOCK = "wrap_up"
    OPEN = "open_wrap_up"
    SKIP = "skip_wrap_up"


class WrapUpModal(StrEnum):
    """The form Wrap up opens: the impact end, the impact in numbers, the trigger, the
    affected services (the custom fields as ``field_input(name)``), and follow-ups
    (``follow_up_input(row, part)``)."""

    CALLBACK = "wrap_up"
    ENDED = "impact_ended"
    CUSTOMERS = "impact_customers"
    ORDERS = "impact_orders"
    MONEY = "impact_money"
    REQUESTS = "impact_requests"
    TRIGGER = "trigger"
    COMPONENTS = "affected_components"
    SERVICES = "affected_services"


FOLLOW_UP_INPUT_PREFIX = "follow_up."
MEMO_OWNER_PREFIX = "memo_owner."


def follow_up_input(row: int, part: str) -> str:
    """The block and action id of a follow-up row's ``part`` (``text``, ``owner``, ``due``) in
    the wrap-up form."""
    return f"{FOLLOW_UP_INPUT_PREFIX}{row}.{part}"


def memo_owner_input(entry_id: int) -> str:
    """The block and action id of the owner chosen for a ``:memo:`` follow-up (a timeline
    entry's id) in the wrap-up form."""
    return f"{MEMO_OWNER_PREFIX}{entry_id}"


class LessonsMessage(StrEnum):
    """The day-after DM to a participant: Answer (opens the form) and Skip."""

    BLOCK = "lessons"
    ANSWER = "answer_lessons"
    SKIP = "skip_lessons"


class LessonsModal(StrEnum):
    """The form Answer opens: one thing that went well, one that did not."""

    CALLBACK = "lessons_answer"
    WENT_WELL = "went_well"
    WENT_WRONG = "went_wrong"


class SwapMessage(StrEnum):
    """The Accept and Decline buttons of a swap request (``/oncall swap``), sent by DM."""

    BLOCK = "oncall_swap"
    ACCEPT = "accept_oncall_swap"
    DECLINE = "decline_oncall_swap"


class CoverMessage(StrEnum):
    """The Accept and Reject buttons of a request to be on call from someone outside the
    schedule (``/oncall override``), sent by DM to each of its owners."""

    BLOCK = "oncall_cover"
    ACCEPT = "accept_oncall_cover"
    REJECT = "reject_oncall_cover"


def input_state(values: Mapping[str, Any], input_id: str) -> Mapping[str, Any]:
    """What a submitted view holds for the input whose block and action are both ``input_id``
    (``view.state.values[block_id][action_id]``); empty when it is missing or malformed."""
    block = values.get(input_id)
    state = block.get(input_id) if isinstance(block, Mapping) else None
    return state if isinstance(state, Mapping) else {}
