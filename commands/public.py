"""``/incident public [component, ...]`` and ``/incident public off``: the status pages."""

from __future__ import annotations

from bot.basics.errors import UsageError
from bot.flows.status_page import make_public, withdraw_public
from bot.record.public import clean
from bot.services import Services
from commands.base import CommandRequest, Subcommand

COMPONENT_MAX = 80
COMPONENTS_MAX = 20
OFF = "off"


def validate(args: str) -> list[str] | None:
    """The components named (comma-separated), or None for ``off``."""
    if args.strip().lower() == OFF:
        return None
    components = [clean(part) for part in args.split(",")]
    if args.strip() and not all(components):
        raise UsageError("Separate the components with commas, like `checkout, payments API`.")
    components = list(dict.fromkeys(c for c in components if c))
    if len(components) > COMPONENTS_MAX or any(len(c) > COMPONENT_MAX for c in components):
        raise UsageError(
            f"Name at most {COMPONENTS_MAX} components of at most {COMPONENT_MAX} characters."
        )
    return components


async def public(request: CommandRequest, services: Services) -> str | None:
    components = validate(request.args)
    if components is None:
        await withdraw_public(services, channel_id=request.channel_id, by=request.user_id)
        return None
    made = await make_public(
        services, channel_id=request.channel_id, by=request.user_id, components=components
    )
    return services.renderer.render(
        "messages/public_made.j2",
        incident=made.incident,
        unmapped=made.unmapped,
        status_url=services.settings.status_page_url,
    )


SUBCOMMAND = Subcommand(
    name="public",
    usage="public [component, ...] | public off",
    summary="Put the incident on the status page with the components it affects (off: take it off)",
    handler=public,
    validate=validate,
)
