"""Recording what people state for the postmortem, and the times they set after the fact.

Each is stored first, then shown in the channel; the channel message is what the draft links
to, so everyone sees what was recorded and can check it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.flows.channel import refresh_channel_header, say
from bot.flows.rights import require_if_public
from bot.record.incident import findings, incidents
from bot.record.incident.milestones import set_milestone
from bot.record.moments import parse_moment, resolve_zone
from bot.record.postmortem.publication import schedule_publication
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import ActionItem, Incident, LineChange, Milestone, TimelineEntry


async def record_finding(
    services: Services, *, channel_id: str, by: str, what: str, text: str, once: bool = False
) -> Incident | None:
    """``what`` is ``impact`` or ``cause``. ``once`` (a web form, which a double press or a
    resend sends twice): the same words by the same person just now are not recorded again
    (None), decided under the incident's lock so two sends at once take turns."""
    async with session_scope(services.engine) as session:
        incident = await incidents.incident_in_channel(session, channel_id)
        if once:
            incident = await incidents.lock(session, incident)
            if await findings.said_just_now(
                session, incident.id or 0, what=what, text=text, by=by, at=services.clock()
            ):
                return None
        entry = findings.note_finding(
            session, incident, what=what, text=text, by=by, at=services.clock()
        )
        await session.commit()
    await _show(services, incident, entry, "messages/finding_recorded.j2", what=what, entry=entry)
    return incident


async def change_said_line(
    services: Services, *, incident: Incident, entry_id: int, text: str | None, by: str
) -> LineChange:
    """Give an impact or cause line people said new words (``text``, Slack text), or remove
    it (None), as ``by``'s change on the draft's page: a row of its own, under the incident's
    lock (two changes at once take turns; the second finds the first made); the draft's
    canvas follows quietly. LineRefused
    when it is no such line, or is removed already, or has these words."""
    async with session_scope(services.engine) as session:
        locked = await incidents.lock(session, incident)
        said = {entry.id: entry for entry in await findings.said_lines(session, locked.id or 0)}
        entry = said.get(entry_id)
        if entry is None:
            raise findings.LineRefused(why="gone")
        now = services.clock()
        change = await findings.change_line(session, locked, entry, text=text, by=by, at=now)
        if locked.channel_id:
            await schedule_publication(session, locked, by=by, now=now, quiet=True)
        await session.commit()
    services.wake_jobs()
    return change


async def change_figures_line(
    services: Services,
    *,
    incident: Incident,
    entry_id: int,
    facts: dict[str, object] | None,
    by: str,
) -> LineChange:
    """Give the wrap-up's impact figures (a line of ``findings.figure_lines``) new numbers and
    services, or remove them (None), as ``by``'s change on the draft's page, under the
    incident's lock; the draft's canvas follows quietly. LineRefused when it is no such line,
    is removed already, or has these figures."""
    async with session_scope(services.engine) as session:
        locked = await incidents.lock(session, incident)
        lines = {entry.id: entry for entry in await findings.figure_lines(session, locked.id or 0)}
        entry = lines.get(entry_id)
        if entry is None:
            raise findings.LineRefused(why="gone")
        now = services.clock()
        change = findings.change_figures(session, locked, entry, facts=facts, by=by, at=now)
        if locked.channel_id:
            await schedule_publication(session, locked, by=by, now=now, quiet=True)
        await session.commit()
    services.wake_jobs()
    return change


async def _show(
    services: Services,
    incident: Incident,
    row: TimelineEntry | ActionItem,
    template: str,
    **context: Any,
) -> None:
    """Confirm in the channel; the row links to that message once Slack has it."""
    await say(services, incident, template, after=f"{row.__tablename__}:{row.id}", **context)


async def fix_milestone(
    services: Services, *, channel_id: str, by: str, milestone: Milestone, when: str | datetime
) -> Incident:
    """Set a milestone from what a person typed (``10:30``, ``yesterday 14:05 PST``), or to
    the moment a page read (``bot.record.incident.typed_times``)."""
    await require_if_public(services, by, channel_id)
    async with session_scope(services.engine) as session:
        incident = await incidents.incident_in_channel(session, channel_id)
        value = (
            when
            if isinstance(when, datetime)
            else parse_moment(when, zone=incident.timezone, now=services.clock())
        )
        change = set_milestone(session, incident, milestone, value, by=by, at=services.clock())
        await session.commit()
    await say(services, incident, "messages/milestone_set.j2", change=change, by=by)
    # The header's figures are measured from the milestones (bot/record/postmortem/figures.py).
    await refresh_channel_header(services, incident)
    return incident


async def change_timezone(services: Services, *, channel_id: str, by: str, zone: str) -> Incident:
    """Show the incident's times in another zone from now on."""
    await require_if_public(services, by, channel_id)  # /status shows them in its zone
    name = resolve_zone(zone)
    async with session_scope(services.engine) as session:
        incident = await incidents.incident_in_channel(session, channel_id)
        previous = incident.timezone
        incident.timezone = name
        session.add(incident)
        await session.commit()
    await say(
        services,
        incident,
        "messages/timezone_changed.j2",
        previous=previous,
        by=by,
        now=services.clock(),
    )
    await refresh_channel_header(services, incident)
    return incident
