"""``warroom maintenance add | list | cancel``: maintenance windows from the command line,
through the flows Slack's ``/incident maintenance`` and the web view use."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING

from bot.admin.listing import add_json_flag, as_json, table

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.services import Services
    from bot.store.models import MaintenanceWindow


def add_maintenance_arguments(parser: argparse.ArgumentParser) -> None:
    """``warroom maintenance ...``: its actions and their options."""
    actions = parser.add_subparsers(dest="maintenance_command", required=True, metavar="ACTION")
    add = actions.add_parser(
        "add",
        help="silence alerts whose labels all match, from --from to --to",
        description="Times are read as /incident time reads them, forward, in WARROOM_TIMEZONE "
        "unless they name a zone: 'now', '18:00', 'Sat 22:00', '2026-08-01 22:00 UTC'.",
    )
    add.add_argument("labels", nargs="+", metavar="LABEL=VALUE")
    add.add_argument("--from", dest="start", default="now", metavar="WHEN")
    add.add_argument("--to", dest="end", required=True, metavar="WHEN")
    add.add_argument(
        "--public",
        metavar="DESCRIPTION",
        help="show it on the status page (scheduled, then in progress) with these words",
    )
    add.add_argument(
        "--component",
        dest="components",
        action="append",
        default=[],
        metavar="NAME",
        help="a status page component it touches, shown on its card (again for another; "
        "with --public)",
    )
    listing = actions.add_parser("list", help="the windows under way or to come")
    listing.add_argument("--all", action="store_true", help="those over or cancelled too")
    add_json_flag(listing)
    cancel = actions.add_parser("cancel", help="end a window now")
    cancel.add_argument("id", type=int, metavar="ID")


def run_maintenance(args: argparse.Namespace, settings: Settings) -> int:
    """Run ``warroom maintenance``'s action; the exit code."""
    # Imported here: the parser is built for every command, and these bring the flows in.
    from bot.basics.render import Renderer
    from bot.flows.alerting.maintenance import (
        cancel_window,
        list_windows,
        open_window,
        refusal_words,
    )
    from bot.record.alerting.maintenance import WindowRefused

    renderer = Renderer(settings.incidents.templates_dir)
    zone = settings.incidents.timezone

    async def act(services: Services) -> str:
        if args.maintenance_command == "add":
            made = await open_window(
                services,
                matchers=args.labels,
                start=args.start,
                end=args.end,
                by=_operator(),
                operator=True,
                send=False,
                public=args.public,
                components=args.components,
            )
            return renderer.render_plain("maintenance/cli.j2", made=made, zone=zone)
        if args.maintenance_command == "cancel":
            window, silenced = await cancel_window(
                services, args.id, by=_operator(), operator=True, send=False
            )
            return renderer.render_plain(
                "maintenance/cli.j2", cancelled=window, silenced=silenced, zone=zone
            )
        windows = await list_windows(services, by=None, past=args.all)
        return window_list(windows, zone=zone, json_out=args.json)

    try:
        print(asyncio.run(_with_services(settings, act)))
    except WindowRefused as refusal:
        print(f"warroom: {refusal_words(renderer, refusal)}", file=sys.stderr)
        return 1
    return 0


def window_list(windows: list[tuple[MaintenanceWindow, int]], *, zone: str, json_out: bool) -> str:
    """``maintenance list``: a table of the windows, or their JSON."""
    from bot.basics.render import local_time

    if json_out:
        return as_json([_window_fields(window, silenced) for window, silenced in windows])
    if not windows:
        return "no maintenance window is under way or to come"

    def when(moment: datetime) -> str:
        return local_time(moment, zone, "%a %Y-%m-%d %H:%M %Z")

    return table(
        ("ID", "LABELS", "FROM", "TO", "MADE BY", "SILENCED", "NOTE"),
        [
            (
                f"#{window.id}",
                ",".join(f"{label}={value}" for label, value in sorted(window.matchers.items())),
                when(window.starts_at),
                when(window.ends_at),
                window.created_by,
                str(silenced),
                ", ".join(
                    note
                    for note in (
                        f"cancelled by {window.cancelled_by}" if window.cancelled_at else "",
                        "public" if window.public_description else "",
                    )
                    if note
                ),
            )
            for window, silenced in windows
        ],
    )


def _window_fields(window: MaintenanceWindow, silenced: int) -> dict[str, object]:
    return {
        "id": window.id,
        "matchers": window.matchers,
        "starts_at": window.starts_at,
        "ends_at": window.ends_at,
        "created_by": window.created_by,
        "cancelled_at": window.cancelled_at,
        "cancelled_by": window.cancelled_by,
        "public_description": window.public_description,
        "components": window.components or [],
        "silenced": silenced,
    }


def _operator() -> str:
    """Who made or cancelled a window from the command line: the account that ran it."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"cli:{os.getuid()}" if hasattr(os, "getuid") else "cli"


async def _with_services(settings: Settings, act: Callable[[Services], Awaitable[str]]) -> str:
    import aiohttp

    from bot.app import build_services
    from bot.store.migrate import command_engine

    engine = await command_engine(settings.runtime.database_url)
    try:
        async with aiohttp.ClientSession() as http:
            return await act(build_services(settings, engine, http))
    finally:
        await engine.dispose()
