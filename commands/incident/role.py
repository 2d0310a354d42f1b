"""``/incident role <role> @person``: give someone a role (comms, scribe, or a configured one)."""

from __future__ import annotations

from bot.basics.errors import UsageError
from bot.flows.incident.changes import give_role
from bot.services import Services
from commands.arguments import first_word, user_mention
from commands.base import CommandRequest, Subcommand


def parse_role(args: str) -> tuple[str, str]:
    """``comms <@U1>`` -> (role, user id)."""
    role, rest = first_word(args)
    if not role or not rest:
        raise UsageError("Name a role and a person.")
    return role.lower(), user_mention(rest, "Name who takes the role")


def validate(args: str) -> None:
    parse_role(args)


async def assign(request: CommandRequest, services: Services) -> None:
    role, holder = parse_role(request.args)
    if role in {"lead", "commander", "ic"}:
        raise UsageError("The commander is set with `/incident lead @person`.")
    if role not in services.settings.incidents.roles:
        raise UsageError(f"Roles here are: {', '.join(services.settings.incidents.roles)}.")
    await give_role(
        services, channel_id=request.channel_id, by=request.user_id, role=role, holder=holder
    )


SUBCOMMAND = Subcommand(
    name="role",
    usage="role <comms|scribe|...> @person",
    summary="Give someone a role in this incident",
    handler=assign,
    validate=validate,
)
