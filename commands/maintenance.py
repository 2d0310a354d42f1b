"""``/incident maintenance <label>=<value>[,…] <start> to <end> [--public <words>]``:
silence matching alerts for a while (with ``--public``, also shown to customers on the
status page as scheduled, then in progress, with those words); ``/incident maintenance``
lists the windows, ``… cancel <id>`` ends one. Guests of the workspace get none of it;
making and cancelling are a right (``bot/flows/alerting/maintenance_rights.py``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.basics.errors import UsageError
from bot.flows.alerting.maintenance import cancel_window, list_windows, open_window
from bot.record.alerting.maintenance import split_span
from bot.services import Services
from commands.base import CommandRequest, Subcommand, never

USAGE = (
    "Say which alerts and when: `service=checkout now to 18:00`, "
    "`service=checkout,env=prod Sat 22:00 to Sun 02:00`, and `--public <what customers read>` "
    "to show it on the status page; `cancel <id>`; nothing to list them."
)
# What follows it is the window's public description (the rest of the text, as typed).
_PUBLIC = re.compile(r"(?:^|\s)--public(?:\s+|$)")


@dataclass(frozen=True)
class MaintenanceArgs:
    matchers: tuple[str, ...] = ()
    start: str = ""
    end: str = ""
    cancel: int | None = None
    public: str | None = None


def validate(args: str) -> MaintenanceArgs:
    args, public = _split_public(args)
    words = args.split()
    if not words:
        if public is not None:
            raise UsageError(USAGE)
        return MaintenanceArgs()
    if words[0].lower() == "cancel" and public is None:
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
    return MaintenanceArgs(matchers=matchers, start=start, end=end, public=public)


def _split_public(args: str) -> tuple[str, str | None]:
    """The window's words and its public description (None without ``--public``)."""
    found = _PUBLIC.search(args)
    if found is None:
        return args, None
    return args[: found.start()], args[found.end() :]


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
    )
    return render("messages/maintenance.j2", made=made, zone=zone)


SUBCOMMAND = Subcommand(
    name="maintenance",
    usage="maintenance [<label>=<value>[,…] <start> to <end> [--public <words>] | cancel <id>]",
    summary="Silence alerts whose labels match for a while (they are recorded, open no "
    "incident and page nobody), like `maintenance service=checkout now to 18:00`; alone, "
    "list the windows; `--public <description>` shows it to customers on the status page. "
    "For the owners of what the alerts page",
    handler=maintenance,
    validate=validate,
    in_order=never,
)
