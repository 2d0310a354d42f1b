"""``warroom ai eval --replay`` over the team's own closed incidents (docs/agents.md): each
one chosen (``--since``, ``--limit``, ``--team``) whose root cause is known (the draft's
underlying issue as a person wrote or accepted it, else the message marked root cause:
bot/record/postmortem/grades.py ``root_cause``, the one the causes proposed during the
incident are graded against) is read from the database as it stood at its declaration plus
N minutes (bot/flows/incident/causes.py ``reading_at``: the entries that happened by then,
the changes received by then, the related incidents' causes marked by then), the model
asked for causes as an open incident asks, the same checks applied, and the causes proved
graded against that root cause.

A private incident is replayed only with WARROOM_AI_PRIVATE on, as its record is sent only
then; it is printed by its reference alone (no title, no cause's words, in the table or in
``--out``'s figures), since the terminal and the file are outside its channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace

import aiohttp
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from bot.admin.ai.ai_replay import Cut, Played, grades_of
from bot.admin.progress import Progress
from bot.app import build_services
from bot.config import Settings
from bot.flows.incident.causes import propose, reading_at
from bot.record.postmortem import causes, grades
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import Incident


@dataclass(frozen=True)
class Chosen:
    """Which closed incidents to replay: declared since ``since`` (None: any time), in
    ``team`` (None: every workspace's), the latest ``limit``."""

    since: datetime | None = None
    limit: int = 20
    team: str | None = None


@dataclass
class OwnReplays:
    """What the team's incidents came to: each replayed, and why the others were not."""

    played: list[Played] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


async def closed_incidents(engine: AsyncEngine, chosen: Chosen) -> list[Incident]:
    """The resolved incidents chosen, the latest declared first."""
    query = select(Incident).where(col(Incident.resolved_at).is_not(None))
    if chosen.since is not None:
        query = query.where(col(Incident.declared_at) >= chosen.since)
    if chosen.team is not None:
        query = query.where(Incident.team_id == chosen.team)
    query = query.order_by(col(Incident.declared_at).desc(), col(Incident.id).desc())
    async with session_scope(engine) as session:
        return list((await session.exec(query.limit(chosen.limit))).all())


def shown_name(incident: Incident) -> str:
    """How the table names an incident: a private one by its reference alone."""
    if incident.is_private:
        return f"{incident.reference} (private: its title and causes not printed)"
    return f"{incident.reference} {incident.title}"


async def replay_incidents(
    settings: Settings,
    engine: AsyncEngine,
    http: aiohttp.ClientSession,
    chosen: Chosen,
    minutes: Sequence[int],
) -> OwnReplays:
    """Each chosen incident at each cut-off, against ``settings.ai``'s model."""
    services = build_services(settings, engine, http)
    found = OwnReplays()
    incidents = await closed_incidents(engine, chosen)
    progress = Progress(f"ai eval --replay ({settings.ai.model})")
    for number, incident in enumerate(incidents, start=1):
        if incident.is_private and not settings.ai.private:
            found.skipped.append(
                f"{incident.reference}: private, its record not sent (WARROOM_AI_PRIVATE off)"
            )
            continue
        async with session_scope(engine) as session:
            root = await grades.root_cause(session, incident.id or 0)
        if root is None:
            found.skipped.append(f"{incident.reference}: no root cause accepted or marked")
            continue
        cuts = []
        for minute in minutes:
            progress.step(number, len(incidents), f"{incident.reference} at +{minute} min")
            cuts.append(await _play(services, incident, root, minute))
        found.played.append(Played(shown_name(incident), cuts, private=incident.is_private))
    progress.end()
    return found


async def _play(services: Services, incident: Incident, root: str, minutes: int) -> Cut:
    """The incident as known ``minutes`` after its declaration: causes asked, checked,
    verified, and the proved ones graded."""
    moment = incident.declared_at + timedelta(minutes=minutes)
    reading = await reading_at(services, incident, moment)
    outcome, proposed = await propose(services, reading)
    cut = Cut(minutes)
    if outcome == causes.FAILED:
        cut.failure = str((proposed.failure or {}).get("kind", "error"))
        return cut
    cut.proposed = len(proposed.kept) + len(proposed.refused)
    cut.proved = [sentence.text for sentence, _ in proposed.kept]
    if cut.proved:
        assert services.http is not None
        named = SimpleNamespace(
            reference=incident.reference, title=incident.title, timezone=incident.timezone
        )
        cut.grades = await grades_of(
            services.http, services.settings.ai, services.renderer, named, root, cut.proved
        )
    return cut
