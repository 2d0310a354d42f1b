"""``/oncall leave [add <first>..<last> | remove <id> | feed <url>|off]``: your leave, which
rotations skip (the next member of the rotation takes your turns), and your leave calendar
(an iCal feed of your time off); alone, the list of it."""

from __future__ import annotations

from bot.basics.errors import UsageError
from bot.basics.numbers import DATABASE_ID_MAX, parse_bounded_int
from bot.basics.slack_text import decode_entities
from bot.flows.oncall.leave import add_own_leave, list_own_leave, remove_own_leave
from bot.flows.oncall.leave_feeds import say_leave_feed
from bot.services import Services
from commands.base import CommandRequest, Subcommand

USAGE = (
    "Use `/oncall leave` (your leave), `/oncall leave add 2026-12-24..2026-12-27` (whole "
    "days in your time zone; one day: `add 2026-12-24`), `/oncall leave remove <number>`, "
    "or `/oncall leave feed <iCal address>` (your leave calendar; `feed off` removes it)."
)


def validate(args: str) -> tuple[str, str]:
    """(action, what follows it); UsageError saying the forms when they are not one."""
    action, _, rest = decode_entities(args).strip().partition(" ")
    action, rest = action.lower() or "list", rest.strip()
    if action == "list" and not rest:
        return action, rest
    if action == "add" and rest:
        return action, rest
    if action == "remove" and parse_bounded_int(rest.removeprefix("#"), 1, DATABASE_ID_MAX):
        return action, rest.removeprefix("#")
    if action == "feed" and rest and " " not in rest:
        # Slack wraps a link it escapes: <https://…> or <https://…|label>.
        return action, rest[1:-1].split("|", 1)[0] if rest.startswith("<") else rest
    raise UsageError(USAGE)


async def leave(request: CommandRequest, services: Services) -> str:
    action, rest = validate(request.args)
    user = request.user_id
    if action == "add":
        return await add_own_leave(services, user=user, text=rest)
    if action == "remove":
        return await remove_own_leave(services, user=user, leave_id=int(rest))
    if action == "feed":
        url = None if rest.lower() == "off" else rest
        return await say_leave_feed(services, user=user, url=url)
    return await list_own_leave(services, user=user)


SUBCOMMAND = Subcommand(
    name="leave",
    usage="leave [add <first day>..<last day> | remove <number> | feed <iCal address>|off]",
    summary="Your leave: rotations skip you then and the next person takes your turn, like "
    "`leave add 2026-12-24..2026-12-27`; alone, your leave to come",
    handler=leave,
    validate=validate,
)
