"""``/incident maintenance <label>=<value>[,…] <start> to <end> [--component <name>[, …]]
[--public <words>]``: silence matching alerts for a while (with ``--public``, also shown to
customers on the status page as scheduled, then in progress, with those words, on the
components named); ``/incident maintenance`` lists the windows, ``… cancel <id>`` ends one.
Guests of the workspace get none of it; making and cancelling are a right
(``bot/flows/alerting/maintenance_rights.py``).

A component named here must be one the status page knows (a public incident's, a public
window's, or ``STATUSPAGE_COMPONENTS``): a name typed in a chat box is one typo away from a
component customers would read once and never again. A new one is named with ``warroom
maintenance add --component`` or the web view's form, where it is read before it is sent."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.basics.errors import UsageError
from bot.flows.alerting.maintenance import cancel_window, list_windows, open_window
from bot.flows.status_page.subscriptions import page_components
from bot.record.alerting.maintenance import WindowRefused, split_span
from bot.services import Services
from commands.base import CommandRequest, Subcommand, never

USAGE = (
    "Say which alerts and when: `service=checkout now to 18:00`, "
    "`service=checkout,env=prod Sat 22:00 to Sun 02:00`, and `--public <what customers read>` "
    "to show it on the status page, with `--component <name>[, <name>]` before it for the "
    "components it touches; `cancel <id>`; nothing to list them."
)
# The options: what follows each up to the next is its value (``--public``'s, the window's
# public description as typed; ``--component``'s, names separated by commas).
_OPTION = re.compile(r"(?:^|\s)--(public|component)(?=\s|$)")


@dataclass(frozen=True)
class MaintenanceArgs:
    matchers: tuple[str, ...] = ()
    start: str = ""
    end: str = ""
    cancel: int | None = None
    public: str | None = None
    components: tuple[str, ...] = ()


def validate(args: str) -> MaintenanceArgs:
    args, public, components = _split_options(args)
    words = args.split()
    if not words:
        if public is not None or components:
            raise UsageError(USAGE)
        return MaintenanceArgs()
    if words[0].lower() == "cancel" and public is None and not components:
        if (
            len(words) != 2
            or not words[1].lstrip("#").isascii()
            or not words[1].lstrip("#").isdigit()
        ):
            raise UsageError("Name the window to cancel by its number: `cancel 3`.")
        return MaintenanceArgs(cancel=int(words[1].lstrip("#")[:9]))
    matchers = tuple(word for word in words if "=" in word)
    span = " ".join(word for word in words if "=" not in word)
    if not matchers or not span or words[: len(matchers)] != list(matchers):
        raise UsageError(USAGE)
    start, end = split_span(span)
    return MaintenanceArgs(
        matchers=matchers, start=start, end=end, public=public, components=components
    )


def _split_options(args: str) -> tuple[str, str | None, tuple[str, ...]]:
    """The window's words, its public description (None without ``--public``) and the
    components named; a ``--component`` naming none, or a second ``--public``: the usage."""
    found = list(_OPTION.finditer(args))
    if not found:
        return args, None, ()
    public: str | None = None
    components: list[str] = []
    for each, following in zip(found, [*found[1:], None], strict=True):
        value = args[each.end() : following.start() if following else len(args)].strip()
        if each[1] == "public":
            if public is not None:
                raise UsageError(USAGE)
            public = value
            continue
        names = [name.strip() for name in value.split(",")]
        if not value or not all(names):
            raise UsageError(USAGE)
        components.extend(names)
    return args[: found[0].start()], public, tuple(components)


async def _known(services: Services, parsed: MaintenanceArgs) -> list[str]:
    """The components named, each as the status page spells it; refused in words when it
    does not know one (on an internal window, the flow says components are public words)."""
    if not parsed.components or parsed.public is None:
        return list(parsed.components)
    known = await page_components(services)
    spelled = {name.casefold(): name for name in known}
    unknown = [name for name in parsed.components if name.casefold() not in spelled]
    if unknown:
        raise WindowRefused(why="component_unknown", unknown=unknown, known=known)
    return [spelled[name.casefold()] for name in parsed.components]


async def maintenance(request: CommandRequest, services: Services) -> str:
    parsed = validate(request.args)
    render = services.renderer.render
    zone = services.settings.incidents.timezone
    if parsed.cancel is not None:
        window, silenced = await cancel_window(services, parsed.cancel, by=request.user_id)
        return render("messages/maintenance.j2", cancelled=window, silenced=silenced, zone=zone)
    if not parsed.matchers:
        windows = await list_windows(services, by=request.user_id)
        return render("messages/maintenance.j2", windows=windows, zone=zone)
    made = await open_window(
        services,
        matchers=parsed.matchers,
        start=parsed.start,
        end=parsed.end,
        by=request.user_id,
        public=parsed.public,
        components=await _known(services, parsed),
    )
    return render("messages/maintenance.j2", made=made, zone=zone)


SUBCOMMAND = Subcommand(
    name="maintenance",
    usage="maintenance [<label>=<value>[,…] <start> to <end> [--component <name>[,…]] "
    "[--public <words>] | cancel <id>]",
    summary="Silence alerts whose labels match for a while (they are recorded, open no "
    "incident and page nobody), like `maintenance service=checkout now to 18:00`; alone, "
    "list the windows; `--public <description>` shows it to customers on the status page, "
    "`--component <name>` on the components it touches (the status page's). "
    "For the owners of what the alerts page",
    handler=maintenance,
    validate=validate,
    in_order=never,
)
