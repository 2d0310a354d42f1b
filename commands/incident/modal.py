"""``/incident`` with no text: a modal asking for title, type, severity, description, the
custom fields the type asks and visibility.

With incident types configured, the type select dispatches its choice (``dispatch_action``):
the form is updated at once (``views.update``) to ask that type's fields, with the type's
severity and privacy chosen, keeping what was typed so far. Fields required at declaration
are required inputs; fields asked later are optional here.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.basics.numbers import DATABASE_ID_MAX, parse_bounded_int
from bot.basics.slack_ids import DeclareModal, field_input, input_state
from bot.basics.slack_text import SlackText, to_plain
from bot.clients.slack.errors import SlackFailure
from bot.flows.alerting.declared import declare_from_alert
from bot.flows.incident.declare import Declaration, declare_in_background
from bot.flows.replies import open_form
from bot.record.incident.incident_types import TEXT_VALUE_MAX
from bot.services import Services
from bot.store.models import SEVERITIES
from commands.base import CommandRequest
from commands.forms import form_error, read_fields

log = logging.getLogger(__name__)
TITLE_MAX = 200


@dataclass(frozen=True)
class DeclareForm:
    """What the declare form shows: empty, or filled from a command or an earlier choice."""

    title: str = ""
    description: str = ""
    severity: str | None = None
    incident_type: str | None = None
    private: bool = False


def declare_view(services: Services, form: DeclareForm, metadata: str) -> dict[str, Any]:
    """The declare modal for ``form``: the chosen type's fields and defaults."""
    types = services.settings.incidents.types
    kind = types.get(form.incident_type)
    return dict(
        services.renderer.render_json(
            "views/declare_modal.json.j2",
            severities=SEVERITIES,
            default_severity=form.severity
            or (kind.severity if kind else None)
            or services.settings.incidents.default_severity,
            private_metadata=metadata,
            title_max=TITLE_MAX,
            text_max=TEXT_VALUE_MAX,
            title=form.title,
            description=form.description,
            types=list(types.types.values()),
            chosen_type=kind,
            fields=types.asked_by(kind.name if kind else None),
            required={f.name for f in types.required(kind.name if kind else None, "declare")},
            private=form.private or bool(kind and kind.private),
        )
    )


async def open_declare_modal(
    request: CommandRequest, services: Services, form: DeclareForm | None = None
) -> None:
    """Open the declare modal; the origin travels in private_metadata for the reply."""
    metadata = json.dumps({"channel_id": request.channel_id, "response_url": request.response_url})
    view = declare_view(services, form or DeclareForm(), metadata)
    await open_form(services, request.trigger_id, view, command="/incident")


def _form_of(values: dict[str, Any]) -> DeclareForm:
    """What the form holds now (a plain_text_input's value is what was typed: plain)."""
    title = str(input_state(values, DeclareModal.TITLE).get("value") or "").strip()
    chosen = input_state(values, DeclareModal.SEVERITY).get("selected_option") or {}
    kind = input_state(values, DeclareModal.TYPE).get("selected_option") or {}
    description = str(input_state(values, DeclareModal.DESCRIPTION).get("value") or "").strip()
    ticked = input_state(values, DeclareModal.VISIBILITY).get("selected_options") or []
    return DeclareForm(
        title=" ".join(title.split()),
        description=description,
        severity=str(chosen.get("value") or "") or None,
        incident_type=str(kind.get("value") or "") or None,
        private=any(isinstance(o, dict) and o.get("value") == "private" for o in ticked),
    )


async def handle_type_chosen(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    """A type was chosen in the declare form: show its fields and defaults."""
    await ack()
    services: Services = context["services"]
    view = body.get("view") or {}
    values = (view.get("state") or {}).get("values") or {}
    form = _form_of(values)
    kind = services.settings.incidents.types.get(form.incident_type)
    # The type's own severity replaces the one shown; privacy is only ever added.
    form = DeclareForm(
        title=form.title,
        description=form.description,
        severity=(kind.severity if kind else None) or form.severity,
        incident_type=form.incident_type,
        private=form.private,
    )
    updated = declare_view(services, form, str(view.get("private_metadata") or ""))
    try:
        await services.slack.update_view(
            str(view.get("id") or ""), updated, str(view.get("hash") or "")
        )
    except SlackFailure as failure:
        # The form changed again meanwhile (hash_conflict: two picks at once, the first
        # update won) or was closed (not_found): nothing to tell the person, whose later pick
        # updates the form, and submitting still checks the chosen type's fields.
        log.info("the declare form was not updated for a type pick: %s", failure.code)
        return


async def handle_declare_submission(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: Any
) -> None:
    """Declare the incident described in the submitted modal."""
    services: Services = context["services"]
    values = (view.get("state") or {}).get("values") or {}
    form = _form_of(values)
    types = services.settings.incidents.types
    kind = types.get(form.incident_type)
    type_name = kind.name if kind else None
    required = {f.name for f in types.required(type_name, "declare")}
    answers, errors = read_fields(services, values, types.asked_by(type_name), required)
    # A required field the form did not show (the type changed and the update was lost).
    for field in types.missing(type_name, answers, "declare"):
        if field_input(field.name) not in values:
            errors.setdefault(
                DeclareModal.TYPE,
                form_error(services, "type_asks", type_name=type_name, label=field.label),
            )
    if not form.title:
        errors[DeclareModal.TITLE] = form_error(services, "title_missing")
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    metadata = json.loads(view.get("private_metadata") or "{}")
    declaration = Declaration(
        team_id=str(body.get("team", {}).get("id") or view.get("team_id") or ""),
        # A modal's input is what the person typed, not Slack text: encoded once, here.
        title=SlackText.from_plain(form.title),
        declared_by=str(body.get("user", {}).get("id", "")),
        severity=form.severity if form.severity in SEVERITIES else None,
        description=SlackText.from_plain(form.description),
        private=form.private,
        incident_type=type_name,
        fields={name: value for name, value in answers.items() if value is not None},
    )
    response_url = str(metadata.get("response_url", ""))
    alert_id = parse_bounded_int(str(metadata.get("alert") or ""), 1, DATABASE_ID_MAX)
    if alert_id is not None:  # Declare incident on an alert's message
        declare_from_alert(services, declaration, alert_id, response_url)
    else:
        declare_in_background(services, declaration, response_url)


def form_from_command(
    title: str, severity: str | None, incident_type: str | None, private: bool
) -> DeclareForm:
    """The declare form filled from ``/incident start`` (its title was Slack text)."""
    return DeclareForm(
        title=to_plain(title), severity=severity, incident_type=incident_type, private=private
    )
