"""The forms that ask for an incident's custom fields: "Edit fields" (the pinned header's
button, or ``/incident set`` alone), and the one resolving opens when fields the incident's
type requires are not answered yet: resolving asks for them instead of refusing, and
resolves once they are given.
"""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.basics.errors import BotError
from bot.basics.slack_ids import FieldsModal, field_input
from bot.basics.slack_text import SlackText
from bot.flows.incident.fields import fields_of_channel, set_fields
from bot.flows.incident.resolve import resolve_incident
from bot.flows.replies import open_form, run_and_reply
from bot.record.incident.incident_types import TEXT_VALUE_MAX, CustomField
from bot.services import Services
from commands.forms import form_error, read_fields

# Slack's limit on a view's private_metadata.
METADATA_MAX = 3000


def _view(
    services: Services,
    *,
    callback: str,
    incident: Any,
    fields: tuple[CustomField, ...],
    values: dict[str, Any],
    required: set[str],
    metadata: dict[str, Any],
) -> dict[str, Any]:
    return dict(
        services.renderer.render_json(
            "views/fields_modal.json.j2",
            callback=callback,
            resolving=callback == FieldsModal.RESOLVE_CALLBACK,
            incident=incident,
            fields=fields,
            values=values,
            required=required,
            text_max=TEXT_VALUE_MAX,
            private_metadata=json.dumps(metadata),
        )
    )


async def open_edit_fields(
    services: Services, trigger_id: str, channel_id: str, response_url: str
) -> None:
    """Open the form of every field the incident is asked (and any it has), filled."""
    types = services.settings.incidents.types
    incident, values = await fields_of_channel(services, channel_id)
    asked = {f.name for f in types.asked_by(incident.incident_type)}
    shown = tuple(f for f in types.fields.values() if f.name in asked or f.name in values)
    required = {f.name for f in types.required(incident.incident_type, "declare")}
    view = _view(
        services,
        callback=FieldsModal.EDIT_CALLBACK,
        incident=incident,
        fields=shown,
        values=values,
        required=required,
        metadata={"channel_id": channel_id, "response_url": response_url},
    )
    await open_form(services, trigger_id, view)


async def open_resolve_form(
    services: Services,
    *,
    trigger_id: str,
    channel_id: str,
    response_url: str,
    summary: str,
    missing: tuple[CustomField, ...],
) -> str:
    """Ask for the fields resolving needs; the reply says why the form opened."""
    incident, values = await fields_of_channel(services, channel_id)
    metadata = {
        "channel_id": channel_id,
        "response_url": response_url,
        "summary": summary,
        "fields": [field.name for field in missing],
    }
    if len(json.dumps(metadata)) > METADATA_MAX:
        raise BotError(
            "Resolving needs "
            + ", ".join(field.label for field in missing)
            + ": set them with `/incident set`, then resolve again."
        )
    view = _view(
        services,
        callback=FieldsModal.RESOLVE_CALLBACK,
        incident=incident,
        fields=missing,
        values=values,
        required={field.name for field in missing},
        metadata=metadata,
    )
    await open_form(services, trigger_id, view)
    return services.renderer.render(
        "messages/resolve_needs_fields.j2", incident=incident, missing=missing
    )


async def handle_edit_fields_button(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    """The header's "Edit fields" button: open the form at once (the trigger lasts 3 s)."""
    await ack()
    services: Services = context["services"]
    channel_id = str((body.get("channel") or {}).get("id") or "")
    response_url = str(body.get("response_url") or "")
    await run_and_reply(
        services,
        response_url,
        open_edit_fields(services, str(body.get("trigger_id") or ""), channel_id, response_url),
    )


def _submitted(
    services: Services, view: dict[str, Any], required: set[str]
) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    values = (view.get("state") or {}).get("values") or {}
    fields = tuple(services.settings.incidents.types.fields.values())
    answers, errors = read_fields(services, values, fields, required)
    return answers, errors, json.loads(view.get("private_metadata") or "{}")


async def handle_edit_fields_submission(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: Any
) -> None:
    """Save the fields the form changed (each with its history and timeline entry)."""
    services: Services = context["services"]
    answers, errors, metadata = _submitted(services, view, set())
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    by = str((body.get("user") or {}).get("id") or "")

    async def save() -> None:
        await set_fields(
            services, channel_id=str(metadata.get("channel_id") or ""), by=by, values=answers
        )

    services.background.spawn(
        run_and_reply(services, str(metadata.get("response_url") or ""), save()),
        name="save the incident's fields",
    )


async def handle_resolve_submission(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: Any
) -> None:
    """Keep the answers resolving asked for, then resolve."""
    services: Services = context["services"]
    metadata = json.loads(view.get("private_metadata") or "{}")
    required = {str(name) for name in metadata.get("fields") or []}
    answers, errors, _ = _submitted(services, view, required)
    for name in sorted(required - {n for n, v in answers.items() if v not in (None, [])}):
        errors.setdefault(field_input(name), form_error(services, "required"))
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    by = str((body.get("user") or {}).get("id") or "")
    channel_id = str(metadata.get("channel_id") or "")

    async def resolve() -> None:
        await set_fields(services, channel_id=channel_id, by=by, values=answers)
        await resolve_incident(
            services,
            channel_id=channel_id,
            resolved_by=by,
            summary=SlackText(str(metadata.get("summary") or "")),
        )

    services.background.spawn(
        run_and_reply(services, str(metadata.get("response_url") or ""), resolve()),
        name="resolve with fields",
    )
