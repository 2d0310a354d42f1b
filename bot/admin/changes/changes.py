"""``warroom changes list [--service S] [--since 24h] [--json]``: what changed on the
services, newest first (``bot.record.changes``)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING

from bot.admin.listing import add_json_flag, as_json, table

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.store.models import ChangeEvent

LIMIT = 500


def add_changes_arguments(parser: argparse.ArgumentParser) -> None:
    """``warroom changes ...``: its actions and options."""
    actions = parser.add_subparsers(dest="changes_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="the changes of a window, newest first (at most 500)")
    listing.add_argument(
        "--service", action="append", help="only this service's (repeat it for several)"
    )
    listing.add_argument(
        "--since", default="24h", help="how far back: 90m, 24h (the default), 7d; at most 90d"
    )
    add_json_flag(listing)


def change_list(rows: list[ChangeEvent], *, zone: str, json_out: bool) -> str:
    """``changes list``: a table, or their JSON (never the body a change came in)."""
    from bot.basics.render import local_time

    if json_out:
        return as_json(
            [
                {
                    "id": row.id,
                    "service": row.service,
                    "kind": row.kind,
                    "who": row.who,
                    "at": row.at,
                    "summary": row.summary,
                    "link": row.link,
                    "source": row.source,
                    "origin": row.origin,
                }
                for row in rows
            ]
        )
    if not rows:
        return "no change in that window"
    return table(
        ("WHEN", "SERVICE", "KIND", "WHO", "WHAT", "FROM"),
        [
            (
                local_time(row.at, zone, "%Y-%m-%d %H:%M %Z"),
                row.service or "-",
                row.kind,
                row.who or "-",
                " ".join(row.summary.split())[:100],
                row.source,
            )
            for row in rows
        ],
    )


def run_changes(args: argparse.Namespace, settings: Settings) -> int:
    """Run ``warroom changes``'s action; the exit code."""
    from bot.record.changes.events import changes_on, window_of
    from bot.store.columns import utcnow
    from bot.store.db import session_scope
    from bot.store.migrate import command_engine

    try:
        since = utcnow() - window_of(args.since)
    except ValueError as wrong:
        print(f"warroom: --since: {wrong}", file=sys.stderr)
        return 2
    catalog = settings.alerting.catalog
    services = [name.strip().lower() for name in args.service or ()] or None
    if catalog.by_name and (unknown := [s for s in services or () if catalog.get(s) is None]):
        print(f"warroom: --service: no service {unknown[0]!r} in WARROOM_SERVICES", file=sys.stderr)
        return 2

    async def act() -> str:
        engine = await command_engine(settings.runtime.database_url)
        try:
            async with session_scope(engine) as session:
                rows = await changes_on(session, services, since=since, limit=LIMIT)
        finally:
            await engine.dispose()
        return change_list(rows, zone=settings.incidents.timezone, json_out=args.json)

    print(asyncio.run(act()))
    return 0
