"""Maintenance windows made, cancelled and listed: from Slack (``/incident maintenance``),
the web view and the command line alike. Times are read in ``WARROOM_TIMEZONE`` unless the
text names a zone."""

from __future__ import annotations

from collections.abc import Sequence

from bot.basics.render import Renderer
from bot.record.alerting import maintenance
from bot.record.alerting.maintenance import WindowRefused
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import MaintenanceWindow, SilencedAlert


async def open_window(
    services: Services, *, matchers: Sequence[str], start: str, end: str, by: str
) -> MaintenanceWindow:
    """A new window; WindowRefused says what is wrong with what was typed."""
    labels = maintenance.parse_matchers(matchers)
    now = services.clock()
    starts_at, ends_at = maintenance.read_span(
        start, end, zone=services.settings.incidents.timezone, now=now
    )
    async with session_scope(services.engine) as session:
        window = await maintenance.add_window(
            session, matchers=labels, starts_at=starts_at, ends_at=ends_at, by=by, now=now
        )
        await session.commit()
    return window


async def cancel_window(
    services: Services, window_id: int, *, by: str
) -> tuple[MaintenanceWindow, int]:
    """End a window now; it and how many alerts it silenced."""
    async with session_scope(services.engine) as session:
        window = await maintenance.cancel_window(session, window_id, by=by, now=services.clock())
        await session.commit()
        silenced = len(await maintenance.silenced_by(session, window_id))
    return window, silenced


async def list_windows(
    services: Services, *, past: bool = False
) -> list[tuple[MaintenanceWindow, int]]:
    """The windows under way or to come (with ``past``, every one), each with how many alerts
    it silenced."""
    async with session_scope(services.engine) as session:
        found = await maintenance.windows(session, now=services.clock(), past=past)
        counts = await maintenance.silenced_counts(session)
    return [(window, counts.get(window.id or 0, 0)) for window in found]


async def window_and_silenced(
    services: Services, window_id: int
) -> tuple[MaintenanceWindow | None, list[SilencedAlert]]:
    """One window and every alert it silenced."""
    async with session_scope(services.engine) as session:
        window = await session.get(MaintenanceWindow, window_id)
        silenced = await maintenance.silenced_by(session, window_id) if window else []
    return window, silenced


def refusal_words(renderer: Renderer, refusal: WindowRefused) -> str:
    """Why a window was refused, as plain text (the command line, a web page)."""
    said = renderer.render_plain(refusal.template, **refusal.context)
    return said.removeprefix(":warning:").strip()
