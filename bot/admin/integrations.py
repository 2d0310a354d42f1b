"""``warroom integrations create | list | revoke``: the ways alerts reach warroom, one key
each (``bot.record.alerting.integrations``)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from typing import TYPE_CHECKING

from bot.admin.listing import as_json, table

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.store.models import Integration

# Where each kind posts, after warroom's public URL: what a sender is repointed to. Opsgenie's
# clients take the API's base and add ``/v2/alerts`` themselves.
PATHS = {
    "alertmanager": "/alerts/alertmanager",
    "grafana": "/alerts/grafana",
    "generic": "/alerts/generic",
    "pagerduty": "/v2/enqueue",
    "opsgenie": "",
}


def url_of(settings: Settings, kind: str) -> str:
    """The URL a sender of ``kind`` is pointed to."""
    return f"{(settings.web.public_url or 'http://localhost:8080').rstrip('/')}{PATHS[kind]}"


def integration_list(rows: list[Integration], *, zone: str, json_out: bool) -> str:
    """``integrations list``: a table, or their JSON; never a key."""
    from bot.basics.render import local_time

    if json_out:
        return as_json(
            [
                {
                    "name": row.name,
                    "kind": row.kind,
                    "service": row.service,
                    "created_at": row.created_at,
                    "revoked_at": row.revoked_at,
                    "last_alert_at": row.last_alert_at,
                    "alerts": row.alerts,
                }
                for row in rows
            ]
        )
    if not rows:
        return (
            "no integration: make one with "
            "warroom integrations create --service SERVICE --kind KIND"
        )

    def when(moment: datetime | None) -> str:
        return local_time(moment, zone, "%Y-%m-%d %H:%M %Z") if moment else "-"

    return table(
        ("NAME", "KIND", "SERVICE", "MADE", "STATE", "ALERTS", "LAST ALERT"),
        [
            (
                row.name,
                row.kind,
                row.service,
                when(row.created_at),
                f"revoked {when(row.revoked_at)}" if row.revoked_at else "works",
                str(row.alerts),
                when(row.last_alert_at),
            )
            for row in rows
        ],
    )


def unknown_service(settings: Settings, service: str) -> str | None:
    """Why ``service`` cannot be an integration's: the services file has none of that name
    (without a services file any name is taken, as routes' ``service`` labels are)."""
    catalog = settings.alerting.catalog
    if not catalog.by_name or catalog.get(service) is not None:
        return None
    known = ", ".join(each.name for each in catalog.by_name.values())
    return f"--service: no service {service!r} in WARROOM_SERVICES (it has: {known})"


def run_integrations(args: argparse.Namespace, settings: Settings) -> int:
    """Run ``warroom integrations``'s action; the exit code."""
    from bot.basics.render import Renderer
    from bot.record.alerting import integrations
    from bot.store.columns import utcnow
    from bot.store.db import session_scope
    from bot.store.migrate import command_engine

    renderer = Renderer(settings.incidents.templates_dir)
    zone = settings.incidents.timezone
    template = "integrations/cli.j2"

    if args.integrations_command == "create" and (
        refusal := unknown_service(settings, args.service)
    ):
        print(f"warroom: {refusal}", file=sys.stderr)
        return 1

    async def act() -> str:
        engine = await command_engine(settings.runtime.database_url)
        now = utcnow()
        try:
            async with session_scope(engine) as session:
                if args.integrations_command == "create":
                    row, key = await integrations.create(
                        session, kind=args.kind, service=args.service, name=args.name, now=now
                    )
                    await session.commit()
                    url = url_of(settings, row.kind)
                    return renderer.render_plain(template, made=row, key=key, url=url)
                if args.integrations_command == "revoke":
                    row = await integrations.revoke(session, args.name, now=now)
                    await session.commit()
                    return renderer.render_plain(template, revoked=row)
                rows = await integrations.every_integration(session)
                return integration_list(rows, zone=zone, json_out=args.json)
        finally:
            await engine.dispose()

    try:
        print(asyncio.run(act()))
    except integrations.IntegrationRefused as refusal:
        print(f"warroom: {refusal}", file=sys.stderr)
        return 1
    return 0
