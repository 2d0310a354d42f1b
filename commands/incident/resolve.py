"""``/incident resolve [summary]``: resolve the channel's incident and post the draft postmortem.

When the incident's type requires fields not answered yet, a form asks for them and resolves
once they are given (commands/incident/field_forms.py)."""

from __future__ import annotations

from bot.basics.slack_text import SlackText
from bot.flows.incident.fields import missing_to_resolve
from bot.flows.incident.resolve import resolve_incident
from bot.services import Services
from commands.base import CommandRequest, Subcommand
from commands.incident.field_forms import open_resolve_form


async def resolve_or_ask(request: CommandRequest, services: Services, summary: str) -> str | None:
    """Resolve, or open the form of the fields resolving still needs."""
    if missing := await missing_to_resolve(services, request.channel_id):
        return await open_resolve_form(
            services,
            trigger_id=request.trigger_id,
            channel_id=request.channel_id,
            response_url=request.response_url,
            summary=summary,
            missing=missing,
        )
    await resolve_incident(
        services, channel_id=request.channel_id, resolved_by=request.user_id, summary=summary
    )
    return None


async def resolve(request: CommandRequest, services: Services) -> str | None:
    return await resolve_or_ask(request, services, SlackText(" ".join(request.args.split())))


SUBCOMMAND = Subcommand(
    name="resolve",
    usage="resolve [summary]",
    summary="Resolve this channel's incident and post the postmortem draft",
    handler=resolve,
)
