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


def url_of(settings: Settings, kind: str, *, key: str = "<key>", name: str = "<name>") -> str:
    """The URL (or address) a sender of ``kind`` is pointed to."""
    from bot.record.alerting.integrations import url_for

    return url_for(
        settings.web.public_url, kind, key=key, name=name, mail_domain=settings.bounces.domain
    )


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
                    "topic": row.topic,
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


def missing_setting(settings: Settings, kind: str) -> str | None:
    """Why an integration of ``kind`` cannot be made yet: an e-mail integration's address is
    on WARROOM_BOUNCE_DOMAIN's listener, so without that domain it would have no address."""
    from bot.record.alerting.sources.registry import SOURCES
    from bot.record.alerting.sources.source import KeyPlace

    entry = SOURCES.entry(kind)
    if entry is not None and entry.key is KeyPlace.ADDRESS and not settings.bounces.domain:
        return (
            f"--kind {kind}: an e-mail integration's address is on the inbound mail listener, "
            "which is off: set WARROOM_BOUNCE_DOMAIN, _SECRET and _SMTP_PORT (docs/"
            "integrations.md, E-mail), then create it again"
        )
    return None


def read_secret(kind: str) -> str:
    """A signed kind's secret (Sentry's client secret), from standard input: asked for
    without echo at a terminal, its first line otherwise (a pipe, a file)."""
    import getpass

    if sys.stdin.isatty():
        return getpass.getpass(f"the {kind} integration's client secret: ")
    return sys.stdin.readline().strip()


def run_integrations(args: argparse.Namespace, settings: Settings) -> int:
    """Run ``warroom integrations``'s action; the exit code."""
    from bot.record.alerting import integrations
    from bot.record.alerting.sources.registry import SOURCES

    if args.integrations_command == "create" and (
        refusal := unknown_service(settings, args.service) or missing_setting(settings, args.kind)
    ):
        print(f"warroom: {refusal}", file=sys.stderr)
        return 1

    secret = None
    if args.integrations_command == "create" and SOURCES.vendor_secret(args.kind):
        secret = read_secret(args.kind)
    try:
        print(asyncio.run(_act(args, settings, secret)))
    except integrations.IntegrationRefused as refusal:
        print(f"warroom: {refusal}", file=sys.stderr)
        return 1
    return 0


async def _act(args: argparse.Namespace, settings: Settings, secret: str | None) -> str:
    """Create, revoke or list in the database (one transaction); what to print."""
    from bot.basics.render import Renderer
    from bot.record.alerting import integrations
    from bot.store.columns import utcnow
    from bot.store.db import session_scope
    from bot.store.migrate import command_engine

    renderer = Renderer(settings.incidents.templates_dir)
    template = "integrations/cli.j2"
    engine = await command_engine(settings.runtime.database_url)
    now = utcnow()
    try:
        async with session_scope(engine) as session:
            if args.integrations_command == "create":
                row, key = await integrations.create(
                    session,
                    kind=args.kind,
                    service=args.service,
                    name=args.name,
                    now=now,
                    topic=args.topic_arn,
                    secret=secret,
                )
                await session.commit()
                url = url_of(settings, row.kind, key=key, name=row.name)
                return renderer.render_plain(template, made=row, key=key, url=url)
            if args.integrations_command == "revoke":
                row = await integrations.revoke(session, args.name, now=now)
                await session.commit()
                return renderer.render_plain(template, revoked=row)
            rows = await integrations.every_integration(session)
            return integration_list(rows, zone=settings.incidents.timezone, json_out=args.json)
    finally:
        await engine.dispose()
