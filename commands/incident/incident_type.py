"""``/incident type [TYPE|none]``: show the incident's type and the types there are, or change
it. The change is recorded (who, from, to, when); a private incident stays private."""

from __future__ import annotations

from bot.basics.errors import UsageError
from bot.flows.incident.fields import change_type, fields_of_channel
from bot.record.incident.incident_types import NO_TYPE
from bot.services import Services
from commands.base import CommandRequest, Subcommand


def validate(args: str) -> str:
    words = args.split()
    if len(words) > 1:
        raise UsageError("Name one type, like `/incident type security`.")
    return words[0].lower() if words else ""


async def set_type(request: CommandRequest, services: Services) -> str | None:
    wanted = validate(request.args)
    types = services.settings.incidents.types
    if not types.types:
        raise UsageError("No incident types are configured (WARROOM_INCIDENT_TYPES).")
    if not wanted:
        incident, _ = await fields_of_channel(services, request.channel_id)
        return services.renderer.render(
            "messages/incident_type.j2", incident=incident, types=list(types.types.values())
        )
    kind = types.get(wanted)
    if kind is None and wanted != NO_TYPE:
        raise UsageError(f"There is no type {wanted!r}; types: {', '.join(types.types)}, or none.")
    await change_type(
        services,
        channel_id=request.channel_id,
        by=request.user_id,
        type_name=kind.name if kind else None,
    )
    return None


SUBCOMMAND = Subcommand(
    name="type",
    usage="type [TYPE|none]",
    summary="Show the incident's type and the types there are, or change it",
    handler=set_type,
    validate=validate,
)
