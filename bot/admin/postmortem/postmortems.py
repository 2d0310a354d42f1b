"""``warroom postmortem INC-7``: an incident's draft on the command line, as Markdown or HTML.

The draft is rendered from the database alone. With ``SLACK_BOT_TOKEN`` set, names and
message links the record lacks are fetched from Slack first (and kept), as the bot does.
"""

from __future__ import annotations

import re

import aiohttp
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from bot.app import build_services
from bot.basics.numbers import DATABASE_ID_MAX, parse_bounded_int
from bot.config import Settings
from bot.flows.postmortem.posting import as_html, write_draft
from bot.store.db import session_scope
from bot.store.migrate import command_engine
from bot.store.models import Incident

_REFERENCE = re.compile(r"^(?:inc-)?([0-9]+)$", re.IGNORECASE)


class PostmortemNotFound(LookupError):
    """No such incident, or the reference names incidents in several workspaces."""


async def render_postmortem(
    settings: Settings,
    reference: str,
    *,
    team: str | None = None,
    output_format: str = "md",
    style: str | None = None,
    language: str | None = None,
) -> str:
    """The draft of one incident (``INC-7`` or ``7``), as Markdown or as an HTML page."""
    match = _REFERENCE.match(reference.strip())
    number = parse_bounded_int(match.group(1), 1, DATABASE_ID_MAX) if match else None
    if number is None:
        raise PostmortemNotFound(f"{reference!r} is not an incident reference like INC-7")
    engine = await command_engine(settings.runtime.database_url)
    try:
        incident = await _find(engine, number, team)
        async with aiohttp.ClientSession() as http:
            services = build_services(settings, engine, http)
            written = await write_draft(
                services,
                incident.id or 0,
                ask_slack=bool(str(settings.slack.bot_token)),
                style=style,
                language=language,
            )
            return as_html(services, written) if output_format == "html" else written.markdown
    finally:
        await engine.dispose()


async def _find(engine: AsyncEngine, number: int, team: str | None) -> Incident:
    async with session_scope(engine) as session:
        statement = select(Incident).where(Incident.number == number)
        if team:
            statement = statement.where(Incident.team_id == team)
        found = (await session.exec(statement)).all()
    if not found:
        raise PostmortemNotFound(f"no incident INC-{number}" + (f" in {team}" if team else ""))
    if len(found) > 1:
        teams = ", ".join(sorted(incident.team_id for incident in found))
        raise PostmortemNotFound(f"INC-{number} is in several workspaces ({teams}): add --team")
    return found[0]
