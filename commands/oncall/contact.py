"""``/oncall contact [add <method> <address> [via <provider>] | verify <method> <code> |
test [method] | remove <method> | drill [on|off]]``: a person's own contact methods, each
verified with a code before it pages them (an SMS or a call through the default phone
provider, or through the one ``via <provider>`` names: bot/clients/phone/registry.py), and
whether paging drills may reach them; alone, the list of
them and the rules that use them."""

from __future__ import annotations

from bot.basics.errors import UsageError
from bot.basics.slack_text import decode_entities
from bot.flows.paging.own_contacts import (
    add_contact,
    drill_choice,
    list_contacts,
    remove_contact,
    verify_contact,
)
from bot.flows.paging.trying import test_page
from bot.services import Services
from commands.base import CommandRequest, Subcommand

ACTIONS = ("list", "add", "verify", "test", "remove", "drill")
DRILL_WORDS = {"on": True, "off": False}
# ``add sms +33… via <provider>``: the phone provider that carries an SMS or a call.
VIA = "via"
# Slack wraps what looks like a link or a phone number when it escapes command text:
# <mailto:erin@example.com|erin@example.com>, <tel:+15555550123|+15555550123>.
_WRAPPED = ("<mailto:", "<tel:")


def validate(args: str) -> tuple[str, list[str]]:
    """(action, its words); UsageError saying the forms when they are not one."""
    words = [_unwrapped(word) for word in decode_entities(args).split()]
    action = words[0].lower() if words else "list"
    rest = words[1:]
    wanted = {"list": (0, 0), "add": (1, 4), "verify": (2, 2), "test": (0, 1), "remove": (1, 1),
              "drill": (0, 1)}  # fmt: skip
    if (
        action not in wanted
        or not wanted[action][0] <= len(rest) <= wanted[action][1]
        or (action == "drill" and rest and rest[0].lower() not in DRILL_WORDS)
        or (action == "add" and len(rest) > 2 and (len(rest) != 4 or rest[2].lower() != VIA))
    ):
        raise UsageError(
            "Use `/oncall contact`, `add <sms|voice|email> <number or address>` (a number "
            "`via <provider>` to have another phone provider carry it), `add pushover <user key>` "
            "(your Pushover user key), `add ntfy` (warroom makes your topic), "
            "`verify <method> <code>`, `test [method]`, `remove <method>` or `drill on|off`."
        )
    return action, rest


def _unwrapped(word: str) -> str:
    if word.startswith(_WRAPPED) and word.endswith(">"):
        return word[1:-1].split("|", 1)[-1]
    return word


async def contact(request: CommandRequest, services: Services) -> str:
    action, rest = validate(request.args)
    user = request.user_id
    if action == "add":
        address = rest[1] if len(rest) > 1 else None
        provider = rest[3] if len(rest) == 4 else None
        return await add_contact(
            services, user=user, kind=rest[0], address=address, provider=provider
        )
    if action == "verify":
        return await verify_contact(services, user=user, name=rest[0], code=rest[1])
    if action == "test":
        return await test_page(services, user=user, name=rest[0] if rest else None)
    if action == "remove":
        return await remove_contact(services, user=user, name=rest[0])
    if action == "drill":
        on = DRILL_WORDS[rest[0].lower()] if rest else None
        return await drill_choice(services, user=user, on=on)
    return await list_contacts(services, user=user)


SUBCOMMAND = Subcommand(
    name="contact",
    usage="contact [add <method> [<address>] [via <provider>] | verify <method> <code> | "
    "test [method] | remove <method> | drill on|off]",
    summary="Your contact methods for pages (SMS, voice through the phone providers, email, "
    "ntfy or Pushover push): add one, verify it with the code sent to it, test it; take part "
    "in paging drills or not",
    handler=contact,
    validate=validate,
)
