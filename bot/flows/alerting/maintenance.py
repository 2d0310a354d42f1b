"""Maintenance windows made, cancelled and listed: from Slack (``/incident maintenance``),
the web view and the command line alike. Times are read in ``WARROOM_TIMEZONE`` unless the
text names a zone.

Making or cancelling one is a right (``maintenance_rights``), except from the command line,
which is the operator's; a window lasts ``WARROOM_MAINTENANCE_MAX`` at most. Each window made,
cancelled and ended is said in the announcement channel (``WARROOM_ANNOUNCE_CHANNEL``) and in
the channels of the schedules it silences, kept in the outbox in the transaction that decides
it; its end is a job (``maintenance_end``) due when it ends."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.render import Renderer
from bot.flows.alerting.maintenance_rights import Reach, check_may_change, reach
from bot.flows.channel import deliver_now
from bot.flows.rights import require
from bot.record.alerting import maintenance
from bot.record.alerting.maintenance import WindowRefused
from bot.record.rights import Act
from bot.services import Services
from bot.store import jobs, outbox
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import Job, MaintenanceWindow, SilencedAlert

ANNOUNCED = "messages/maintenance_announced.j2"
# The emoji a refusal starts with in Slack (``:warning:``), left out of plain text.
_EMOJI = re.compile(r"^:[a-z0-9_+-]+:")


def _key(window_id: int | None) -> str:
    return f"maintenance:{window_id}"


async def open_window(
    services: Services,
    *,
    matchers: Sequence[str],
    start: str,
    end: str,
    by: str,
    operator: bool = False,
    send: bool = True,
    public: str | None = None,
    components: Sequence[str] = (),
) -> MaintenanceWindow:
    """A new window, said where it silences; WindowRefused says what is wrong with what was
    typed, or who may make it. ``operator``: whoever runs warroom (the command line, the web
    view with sign-in off), whom no right binds; ``send``: False where the server's outbox
    sends what was kept (the command line); ``public``: what customers read of it on the status
    page (None: not shown there), and ``components``: the status page's components it
    touches. Showing it is part of making it: the same right."""
    labels = maintenance.parse_matchers(matchers)
    described = maintenance.public_description(public)
    touched = maintenance.public_components(components, described)
    now = services.clock()
    starts_at, ends_at = maintenance.read_span(
        start,
        end,
        zone=services.settings.incidents.timezone,
        now=now,
        longest=services.settings.maintenance.longest,
    )
    found = reach(services, labels) if operator else await check_may_change(services, by, labels)
    async with session_scope(services.engine) as session:
        window = await maintenance.add_window(
            session,
            matchers=labels,
            starts_at=starts_at,
            ends_at=ends_at,
            by=by,
            now=now,
            public=described,
            components=touched,
        )
        await jobs.schedule(
            session, kind=JobKind.MAINTENANCE_END, key=_key(window.id), due_at=ends_at
        )
        channels = await _announce(services, session, found, made=window, by=by)
        await session.commit()
    await _deliver(services, channels, send=send)
    return window


async def cancel_window(
    services: Services, window_id: int, *, by: str, operator: bool = False, send: bool = True
) -> tuple[MaintenanceWindow, int]:
    """End a window now, said where it silenced; it and how many alerts it silenced."""
    async with session_scope(services.engine) as session:
        known = await session.get(MaintenanceWindow, window_id)
    if known is None:
        raise WindowRefused(why="unknown", id=window_id)
    labels = known.matchers
    found = reach(services, labels) if operator else await check_may_change(services, by, labels)
    async with session_scope(services.engine) as session:
        now = services.clock()
        window = await maintenance.cancel_window(session, window_id, by=by, now=now)
        await jobs.cancel_keys(session, [_key(window_id)], now=now)
        silenced = len(await maintenance.silenced_by(session, window_id))
        channels = await _announce(
            services, session, found, cancelled=window, by=by, silenced=silenced
        )
        await session.commit()
    await _deliver(services, channels, send=send)
    return window, silenced


async def announce_window_end(services: Services, job: Job) -> datetime | None:
    """The job handler: a window has ended; say so, with how many alerts it silenced (a
    window cancelled meanwhile was said then)."""
    window_id = int(job.key.partition(":")[2])
    async with session_scope(services.engine) as session:
        window = await session.get(MaintenanceWindow, window_id)
        if window is None or window.cancelled_at is not None:
            return None
        if services.clock() < window.ends_at:
            return window.ends_at  # this replica's clock is behind the one that planned it
        found = reach(services, window.matchers)
        silenced = len(await maintenance.silenced_by(session, window_id))
        text = _text(services, ended=window, silenced=silenced, by=window.created_by)
        channels = _channels(services, found)
        for channel in channels:
            await outbox.post_once(
                session,
                channel=channel,
                text=text,
                now=services.clock(),
                after=f"{job.key}:{channel}",
            )
        await session.commit()
    await _deliver(services, channels, send=True)
    return None


async def list_windows(
    services: Services, *, by: str | None, past: bool = False
) -> list[tuple[MaintenanceWindow, int]]:
    """The windows under way or to come (with ``past``, every one), each with how many alerts
    it silenced; for ``by`` once they may see them (None: the operator, who is not asked)."""
    if by is not None:
        await require(services, by, Act.MAINTENANCE)
    async with session_scope(services.engine) as session:
        found = await maintenance.windows(session, now=services.clock(), past=past)
        counts = await maintenance.silenced_counts(session)
    return [(window, counts.get(window.id or 0, 0)) for window in found]


async def public_windows(services: Services) -> list[MaintenanceWindow]:
    """The public windows to come or under way, the soonest first (the status page's)."""
    async with session_scope(services.engine) as session:
        return await maintenance.public_windows(session, now=services.clock())


async def window_and_silenced(
    services: Services, window_id: int
) -> tuple[MaintenanceWindow | None, list[SilencedAlert]]:
    """One window and every alert it silenced."""
    async with session_scope(services.engine) as session:
        window = await session.get(MaintenanceWindow, window_id)
        silenced = await maintenance.silenced_by(session, window_id) if window else []
    return window, silenced


def refusal_words(
    renderer: Renderer, refusal: WindowRefused, names: Mapping[str, str] | None = None
) -> str:
    """Why a window was refused, as plain text (the command line, a web page), people by
    their ``names``."""
    said = renderer.render_plain(refusal.template, names=names or {}, **refusal.context)
    return _EMOJI.sub("", said, count=1).strip()


def _channels(services: Services, found: Reach) -> tuple[str, ...]:
    """Where a window is said: the announcement channel, then its schedules' channels."""
    announce = services.settings.incidents.announce_channel
    return tuple(dict.fromkeys([*([announce] if announce else []), *found.channels]))


def _text(services: Services, **context: Any) -> str:
    zone = services.settings.incidents.timezone
    return services.renderer.render(ANNOUNCED, zone=zone, **context)


async def _announce(
    services: Services, session: AsyncSession, found: Reach, **context: Any
) -> tuple[str, ...]:
    """Keep the window's news for each channel it is said in (the caller commits)."""
    text = _text(services, **context)
    channels = _channels(services, found)
    for channel in channels:
        payload = {"text": text}
        now = services.clock()
        await outbox.enqueue(session, channel=channel, method=outbox.POST, payload=payload, now=now)
    return channels


async def _deliver(services: Services, channels: Sequence[str], *, send: bool) -> None:
    """Send what was kept now (unless not ``send``: the server's outbox sends it)."""
    services.wake_jobs()
    if not send:
        return
    for channel in channels:
        await deliver_now(services, channel)
