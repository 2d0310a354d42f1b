"""``/oncall calendar [schedule]`` and ``/oncall calendar rotate [schedule]``: the secret link
of a calendar feed to subscribe to, the person's own shifts or a schedule's; ``rotate`` gives a
new one and ends the earlier ones."""

from __future__ import annotations

import re

from bot.basics.errors import UsageError
from bot.flows.oncall.calendars import calendar_link
from bot.flows.oncall.common import schedule_named
from bot.record.oncall.calendar import FEED_AHEAD, FEED_PAST
from bot.record.oncall.calendar_tokens import LINKS_KEPT
from bot.services import Services
from commands.base import CommandRequest, Subcommand

ROTATE = "rotate"
# Schedule names as the file allows them (bot/record/escalation/policies.py NAME), in any case.
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$", re.IGNORECASE)


def validate(args: str) -> tuple[bool, str | None]:
    """(rotate or not, the schedule's name or None for the person's own feed)."""
    words = args.split()
    rotate = bool(words) and words[0].lower() == ROTATE
    rest = words[1:] if rotate else words
    if len(rest) > 1 or (rest and not _NAME.match(rest[0])):
        raise UsageError("Name one schedule, or none for your own shifts.")
    return rotate, rest[0].lower() if rest else None


async def calendar(request: CommandRequest, services: Services) -> str:
    """Give the person a feed's link: their own shifts, or the named schedule's."""
    rotate, name = validate(request.args)
    schedule = schedule_named(services, name) if name else None
    link = await calendar_link(services, user=request.user_id, schedule=schedule, rotate=rotate)
    return services.renderer.render(
        "messages/oncall/calendar.j2",
        link=link,
        links_kept=LINKS_KEPT,
        past_days=FEED_PAST.days,
        ahead_days=FEED_AHEAD.days,
    )


SUBCOMMAND = Subcommand(
    name="calendar",
    usage="calendar [rotate] [schedule]",
    summary="A link to subscribe to your shifts (or a schedule's) in your calendar; "
    "rotate replaces your earlier links",
    handler=calendar,
    validate=validate,
)
