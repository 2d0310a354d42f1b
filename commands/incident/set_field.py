"""``/incident set <field> <value>``, ``/incident set <field> --clear``, and ``/incident set``
alone (the "Edit fields" form): the incident's custom fields (WARROOM_INCIDENT_TYPES).

Values as people type them: a select's option (any case), a multi-select's options separated
by commas, a number, a person as an @-mention, or text.
"""

from __future__ import annotations

from bot.basics.errors import UsageError
from bot.flows.incident.fields import set_one_field
from bot.record.incident.incident_types import FieldValueError
from bot.services import Services
from commands.arguments import first_word
from commands.base import CommandRequest, Subcommand, with_arguments
from commands.incident.field_forms import open_edit_fields

CLEAR = "--clear"


async def set_field(request: CommandRequest, services: Services) -> str | None:
    types = services.settings.incidents.types
    if not types.fields:
        raise UsageError("No custom fields are configured (WARROOM_INCIDENT_TYPES).")
    name, raw = first_word(request.args)
    if not name:
        await open_edit_fields(
            services, request.trigger_id, request.channel_id, request.response_url
        )
        return None
    field = types.field(name)
    if field is None:
        raise UsageError(f"There is no field {name[:40]!r}; fields: {', '.join(types.fields)}.")
    if not raw:
        raise UsageError(f"Give {field.name} a value (or {CLEAR} to clear it).")
    try:
        value = None if raw.lower() == CLEAR else field.parse(raw)
    except FieldValueError as error:
        raise UsageError(str(error)) from None
    await set_one_field(
        services, channel_id=request.channel_id, by=request.user_id, field=field, value=value
    )
    return None


SUBCOMMAND = Subcommand(
    name="set",
    usage="set [<field> <value>|<field> --clear]",
    summary="Set one of the incident's fields, or edit them all in a form",
    handler=set_field,
    in_order=with_arguments,
)
