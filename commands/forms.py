"""Custom fields in Slack forms: their input blocks' answers read back as field values.

Every form that asks for fields (declaring, "Edit fields", resolving) names each input
``field_input(name)`` (bot.basics.slack_ids) and reads it here, so a field reads the same
everywhere. A modal's inputs are what the person typed, not Slack text: text is encoded
once, here (bot.basics.slack_text).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from bot.basics.slack_ids import field_input, input_state
from bot.basics.slack_text import SlackText
from bot.record.incident.incident_types import CustomField, FieldValue, FieldValueError
from bot.services import Services


def form_error(services: Services, problem: str, **context: Any) -> str:
    """The line under a form's field saying why what was given there is refused."""
    return services.renderer.render("messages/form_error.j2", problem=problem, **context).strip()


def read_fields(
    services: Services,
    values: Mapping[str, Any],
    fields: Sequence[CustomField],
    required: Collection[str] = (),
) -> tuple[dict[str, FieldValue | None], dict[str, str]]:
    """The answers of ``fields`` in a submitted view's ``state.values`` (None: left empty),
    and the errors to show by block id (``response_action: errors``)."""
    answers: dict[str, FieldValue | None] = {}
    errors: dict[str, str] = {}
    for field in fields:
        if field_input(field.name) not in values:
            continue  # not in this form: left as it is
        state = input_state(values, field_input(field.name))
        try:
            answers[field.name] = _answer(field, state)
        except FieldValueError as error:
            errors[field_input(field.name)] = str(error)[:150]
            continue
        if answers[field.name] in (None, []) and field.name in required:
            errors[field_input(field.name)] = form_error(services, "required")
    return answers, errors


def _answer(field: CustomField, state: Mapping[str, Any]) -> FieldValue | None:
    if field.kind == "select":
        chosen = state.get("selected_option") or {}
        value = chosen.get("value") if isinstance(chosen, dict) else None
        return field.option(str(value)) if value else None
    if field.kind == "multi_select":
        chosen = state.get("selected_options") or []
        names = [str(o.get("value")) for o in chosen if isinstance(o, dict) and o.get("value")]
        return field.options_of(names) or None
    if field.kind == "user":
        user = state.get("selected_user")
        return field.checked(user) if user else None
    raw = str(state.get("value") or "").strip()
    if not raw:
        return None
    if field.kind == "number":
        return field.number(raw)
    return field.checked(SlackText.from_plain(raw))
