"""``/incident timeline``: show the curated timeline so far, privately."""

from __future__ import annotations

from bot.flows.channel import choose_template
from bot.flows.incident.recorder import curated_timeline
from bot.services import Services
from commands.base import CommandRequest, Subcommand

# Slack caps a message; the most recent entries matter most mid-incident.
SHOWN_ENTRIES = 60


async def show_timeline(request: CommandRequest, services: Services) -> str:
    incident, entries = await curated_timeline(services, request.channel_id)
    language, _ = choose_template(services, incident)
    return services.renderer.render(
        "messages/timeline.j2",
        incident=incident,
        # warroom's own entries are said in the incident's language, as its postmortem is.
        sentences=services.renderer.entries_for(language),
        entries=entries[-SHOWN_ENTRIES:],
        hidden=max(len(entries) - SHOWN_ENTRIES, 0),
        reactions=services.settings.incidents.reactions,
    )


SUBCOMMAND = Subcommand(
    name="timeline",
    usage="timeline",
    summary="Show this incident's timeline so far (only to you)",
    handler=show_timeline,
)
