"""The on-call calendar feeds: giving a person a feed's secret link, and reading what a feed
shows for a link that opens it.

A feed shows the final schedule: the layers (iCal layers from their feed's last good copy)
and the overrides in the database, the same as ``warroom oncall who`` and the engine say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.basics.slack_patterns import USER_ID
from bot.clients.slack.errors import SlackFailure
from bot.flows.rights import require
from bot.record.oncall.calendar import (
    FEED_AHEAD,
    FEED_PAST,
    REACH,
    FeedEntry,
    FeedKind,
    person_entries,
    schedule_entries,
)
from bot.record.oncall.calendar_tokens import (
    issue_token,
    person_feed,
    schedule_feed,
    token_holder,
)
from bot.record.oncall.feed_copies import with_feed_copies
from bot.record.oncall.overrides import overrides_between
from bot.record.oncall.schedules import Schedule
from bot.record.people import known_names
from bot.record.rights import Act
from bot.services import Services
from bot.store.db import session_scope


@dataclass(frozen=True)
class CalendarLink:
    """A feed's address with a new token in it (shown once), and how many of the person's
    earlier links of that feed stopped working because of it."""

    url: str
    schedule: str | None  # None: the person's own feed
    ended: int
    rotated: bool
    # WARROOM_PUBLIC_URL is not set: ``url`` is a path, to be put after warroom's address.
    relative: bool


@dataclass(frozen=True)
class Feed:
    """What one feed shows: its shifts, and the names of the people in them."""

    kind: FeedKind
    subject: str  # the schedule's name, or the person's user id
    entries: list[FeedEntry]
    names: dict[str, str]
    now: datetime


def feed_path(schedule: str | None, user: str) -> str:
    """Where a feed is served: a schedule's, or (``schedule`` None) the person's own."""
    return f"/oncall/{schedule}.ics" if schedule else f"/oncall/people/{user}.ics"


async def calendar_link(
    services: Services, *, user: str, schedule: Schedule | None, rotate: bool
) -> CalendarLink:
    """Give ``user`` a link to their own feed, or to ``schedule``'s; ``rotate`` ends every
    earlier link they hold for that feed."""
    await require(services, user, Act.ONCALL_SEE)
    feed = schedule_feed(schedule.name) if schedule else person_feed(user)
    async with session_scope(services.engine) as session:
        issued = await issue_token(
            session, feed=feed, owner=user, at=services.clock(), rotate=rotate
        )
        await session.commit()
    path = f"{feed_path(schedule.name if schedule else None, user)}?token={issued.token}"
    base = services.settings.web.public_url
    return CalendarLink(
        url=f"{base}{path}",
        schedule=schedule.name if schedule else None,
        ended=issued.ended,
        rotated=rotate,
        relative=not base,
    )


class HolderUnknown(Exception):
    """Slack would not say whether a schedule feed's link holder is a guest now: the feed is
    not served this time (the calendar app keeps its copy and asks again)."""


async def _guest_now(services: Services, holder: str) -> bool:
    """Whether the person a schedule feed's link was given to is a guest of the workspace now
    (a link given before they became one, or before guests were refused it); HolderUnknown
    when Slack will not say."""
    try:
        return (await services.slack.member_facts(holder)).guest
    except SlackFailure as error:
        raise HolderUnknown(error.code) from error


async def open_feed(services: Services, *, kind: FeedKind, subject: str, token: str) -> Feed | None:
    """What the feed of ``subject`` (a schedule's name, or a user id) shows, if ``token``
    opens it; None otherwise, whether the feed exists or not (the answer says nothing). A
    schedule's feed is not shown through a link a guest of the workspace holds: who is on
    call is the workspace's (HolderUnknown when Slack will not say)."""
    schedules = list(services.settings.oncall.schedules.by_name.values())
    if kind == "schedule":
        schedule = services.settings.oncall.schedules.get(subject)
        subject = schedule.name if schedule else subject
        feed = schedule_feed(subject)
        exists = schedule is not None
        schedules = [schedule] if schedule else []
    else:
        feed, exists = person_feed(subject), bool(USER_ID.match(subject))
    now = services.clock()
    async with session_scope(services.engine) as session:
        # Checked even for a feed that does not exist: as long either way.
        holder = await token_holder(session, feed=feed, token=token)
        if holder is None or not exists:
            return None
    if kind == "schedule" and await _guest_now(services, holder):
        return None
    async with session_scope(services.engine) as session:
        overrides = await overrides_between(
            session, start=now - FEED_PAST - REACH, end=now + FEED_AHEAD + REACH
        )
        schedules = await with_feed_copies(session, schedules)
    # Worked out with no transaction open (SQLite's would hold every writer back meanwhile).
    if kind == "schedule":
        entries = schedule_entries(schedules[0], overrides, now)
    else:
        entries = person_entries(schedules, overrides, subject, now)
    people = {user for entry in entries for user in entry.shift.users}
    async with session_scope(services.engine) as session:
        names = await known_names(session, people | ({subject} if kind == "person" else set()))
    return Feed(kind, subject, entries, names, now)
