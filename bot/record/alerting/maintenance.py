"""Maintenance windows: for a while, alerts whose labels all match are recorded and shown,
but open no incident and page nobody. Each window keeps who made it and what it silenced.

A window matches an alert when the alert has every one of the window's labels with the same
value (as Alertmanager's silences with equality matchers). Only firing alerts are silenced:
a resolution still reaches the incident an alert opened before the window began.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.errors import BotError
from bot.basics.render import without_forbidden_characters
from bot.record.alerting.payloads import AlertSeen, Notification
from bot.record.moments import MomentRefused, parse_moment
from bot.record.status_page.status_notices import (
    MAINTENANCE,
    MAINTENANCE_CANCELLED,
    notice_key,
    notify_subscribers,
)
from bot.store.db import insert_once
from bot.store.models import AlertPayload, MaintenanceWindow, SilencedAlert

# Prometheus's label names (the data model page): what alerts can carry.
_LABEL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_UNTIL = re.compile(r"\s+(?:to|until|till)\s+", re.IGNORECASE)
# Longer than this is not maintenance: it is a route that should not open incidents
# (WARROOM_MAINTENANCE_MAX says how long below it).
LONGEST = timedelta(days=31)
# What customers read of a public window on the status page: a paragraph, not an essay.
PUBLIC_DESCRIPTION_MAX = 500
# The status page's components a public window names: a few short names.
COMPONENTS_MAX, COMPONENT_MAX = 20, 100


class WindowRefused(BotError):
    """A window that cannot be made or cancelled; ``why`` names the problem (the template
    words it)."""

    template = "messages/maintenance_refused.j2"


def parse_matchers(parts: Sequence[str]) -> dict[str, str]:
    """``service=checkout,env=prod`` (or the pairs as separate words): the labels to match."""
    matchers: dict[str, str] = {}
    pairs = [pair for part in parts for pair in part.split(",") if pair.strip()]
    if not pairs:
        raise WindowRefused(why="no_matchers")
    for pair in pairs:
        label, sep, value = pair.strip().partition("=")
        if not sep or not _LABEL.match(label) or not value or value != value.strip():
            raise WindowRefused(why="matcher", text=pair.strip()[:80])
        if matchers.get(label, value) != value:
            raise WindowRefused(why="matcher_twice", label=label)
        matchers[label] = value
    return matchers


def public_description(text: str | None) -> str | None:
    """The words customers read of a window (None: an internal window), as given, without the
    characters HTML and XML forbid; refused when empty, longer than a paragraph, or on more
    than one line."""
    if text is None:
        return None
    said = without_forbidden_characters(text).strip()
    if not said:
        raise WindowRefused(why="public_empty")
    if len(said) > PUBLIC_DESCRIPTION_MAX:
        raise WindowRefused(why="public_long", longest=PUBLIC_DESCRIPTION_MAX, length=len(said))
    if len(said.splitlines()) > 1:
        # It is the subject of every subscriber's mail, a header: one line (the breaks
        # str.splitlines knows, U+2028 among them, as the mail library refuses them).
        raise WindowRefused(why="public_line_break")
    return said


def public_components(names: Sequence[str], public: str | None) -> list[str]:
    """The status page's components a window touches, as customers read them: each name as
    given (comma-separated names split), once whatever its case, without the characters HTML
    and XML forbid; refused on an internal window (customers never see it), too many, or
    too long a name."""
    said: dict[str, str] = {}
    for part in names:
        for name in without_forbidden_characters(part).split(","):
            if name.strip():
                said.setdefault(name.strip().lower(), name.strip())
    if not said:
        return []
    if public is None:
        raise WindowRefused(why="components_private")
    if len(said) > COMPONENTS_MAX:
        raise WindowRefused(why="components_many", most=COMPONENTS_MAX)
    if any(len(name) > COMPONENT_MAX for name in said.values()):
        raise WindowRefused(why="component_long", longest=COMPONENT_MAX)
    return list(said.values())


def read_span(
    start: str, end: str, *, zone: str, now: datetime, longest: timedelta = LONGEST
) -> tuple[datetime, datetime]:
    """``now`` to ``18:00``, ``Sat 22:00`` to ``Sun 02:00``: read forward, as ``/incident
    time`` reads times (a zone named in the text wins over ``zone``); ``longest`` at most."""
    try:
        starts_at = parse_moment(start, zone=zone, now=now, after=now)
    except MomentRefused as refusal:
        raise WindowRefused(why="time", side="start", ahead=True, **refusal.context) from None
    try:
        ends_at = parse_moment(end, zone=zone, now=now, after=starts_at)
    except MomentRefused as refusal:
        raise WindowRefused(why="time", side="end", ahead=True, **refusal.context) from None
    if ends_at <= starts_at:
        raise WindowRefused(why="backwards", starts_at=starts_at, ends_at=ends_at, zone=zone)
    if ends_at - starts_at > min(longest, LONGEST):
        raise WindowRefused(why="too_long", longest=min(longest, LONGEST))
    return starts_at, ends_at


def split_span(text: str) -> tuple[str, str]:
    """``<start> to <end>`` as its two sides."""
    parts = _UNTIL.split(text.strip(), maxsplit=1)
    if len(parts) != 2 or not all(part.strip() for part in parts):
        raise WindowRefused(why="span", text=text.strip()[:80])
    return parts[0].strip(), parts[1].strip()


async def add_window(
    session: AsyncSession,
    *,
    matchers: Mapping[str, str],
    starts_at: datetime,
    ends_at: datetime,
    by: str,
    now: datetime,
    public: str | None = None,
    components: Sequence[str] = (),
) -> MaintenanceWindow:
    """Keep a window (the caller commits); ``public``: what customers read of it, if
    anything, and ``components``: the status page's components it touches."""
    window = MaintenanceWindow(
        matchers=dict(matchers),
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=by,
        created_at=now,
        public_description=public,
        components=list(components) or None,
    )
    session.add(window)
    await session.flush()
    if public:
        # Customers subscribed to the status page are told of it, once each: those of its
        # components when it names some, as an incident's update.
        await notify_subscribers(
            session,
            notice=notice_key(MAINTENANCE, window.id),
            components=list(components) or None,
            at=now,
        )
    return window


async def cancel_window(
    session: AsyncSession, window_id: int, *, by: str, now: datetime
) -> MaintenanceWindow:
    """End a window now (the caller commits); what it silenced stays recorded."""
    window = await session.get(MaintenanceWindow, window_id)
    if window is None:
        raise WindowRefused(why="unknown", id=window_id)
    if window.cancelled_at is not None or window.ends_at <= now:
        raise WindowRefused(why="over", window=window)
    window.cancelled_at, window.cancelled_by = now, by
    session.add(window)
    if window.public_description:
        await notify_subscribers(
            session,
            notice=notice_key(MAINTENANCE_CANCELLED, window.id),
            components=window.components or None,
            at=now,
        )
    return window


async def windows(
    session: AsyncSession, *, now: datetime, past: bool = False
) -> list[MaintenanceWindow]:
    """Windows still to come or under way (and, with ``past``, those over), soonest first."""
    statement = select(MaintenanceWindow).order_by(
        col(MaintenanceWindow.starts_at), col(MaintenanceWindow.id)
    )
    if not past:
        statement = statement.where(
            col(MaintenanceWindow.cancelled_at).is_(None), col(MaintenanceWindow.ends_at) > now
        )
    return list((await session.exec(statement)).all())


def is_active(window: MaintenanceWindow, at: datetime) -> bool:
    ended = window.cancelled_at if window.cancelled_at is not None else window.ends_at
    return window.starts_at <= at < min(ended, window.ends_at)


def matches(window: MaintenanceWindow, labels: Mapping[str, str]) -> bool:
    return all(labels.get(label) == value for label, value in window.matchers.items())


async def silence(
    session: AsyncSession, payload: AlertPayload, notification: Notification, *, now: datetime
) -> Notification:
    """The notification without the firing alerts a window active when it arrived matches;
    each of those is kept as silenced by that window (the caller commits)."""
    assert payload.id is not None
    active = [
        w
        for w in await windows(session, now=payload.received_at)
        if is_active(w, payload.received_at)
    ]
    if not active:
        return notification
    kept: list[AlertSeen] = []
    for alert in notification.alerts:
        window = next((w for w in active if matches(w, alert.labels)), None)
        if window is None or alert.status != "firing":
            kept.append(alert)
            continue
        assert window.id is not None
        await insert_once(
            session,
            SilencedAlert(
                window_id=window.id,
                payload_id=payload.id,
                fingerprint=alert.fingerprint,
                name=alert.name,
                labels=dict(alert.labels),
                starts_at=alert.starts_at,
                silenced_at=now,
            ),
        )
    return dataclasses.replace(notification, alerts=tuple(kept))


async def silenced_by(session: AsyncSession, window_id: int) -> list[SilencedAlert]:
    """What a window silenced, latest first."""
    statement = (
        select(SilencedAlert)
        .where(col(SilencedAlert.window_id) == window_id)
        .order_by(col(SilencedAlert.silenced_at).desc(), col(SilencedAlert.id).desc())
    )
    return list((await session.exec(statement)).all())


async def silenced_counts(session: AsyncSession) -> dict[int, int]:
    """How many alerts each window silenced."""
    rows = (await session.exec(select(SilencedAlert.window_id))).all()
    counts: dict[int, int] = {}
    for window_id in rows:
        counts[window_id] = counts.get(window_id, 0) + 1
    return counts


async def public_windows(session: AsyncSession, *, now: datetime) -> list[MaintenanceWindow]:
    """The public windows not cancelled and not over, the soonest first: the status page's."""
    found = await session.exec(
        select(MaintenanceWindow)
        .where(
            col(MaintenanceWindow.public_description).is_not(None),
            col(MaintenanceWindow.cancelled_at).is_(None),
            col(MaintenanceWindow.ends_at) > now,
        )
        .order_by(col(MaintenanceWindow.starts_at), col(MaintenanceWindow.id))
    )
    return list(found)


# The latest public windows whose components count as the status page's (as COMPONENTS_FROM).
COMPONENTS_FROM = 1000


async def window_components(session: AsyncSession) -> list[str]:
    """The components the latest public windows named, as written (duplicates kept)."""
    found = await session.exec(
        select(MaintenanceWindow.components)
        .where(col(MaintenanceWindow.public_description).is_not(None))
        .order_by(col(MaintenanceWindow.id).desc())
        .limit(COMPONENTS_FROM)
    )
    return [name for names in found.all() for name in names or ()]
