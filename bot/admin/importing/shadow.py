"""``warroom shadow compare --opsgenie|--pagerduty --since 7d [--json]``: after a shadow week,
whom the vendor notified beside whom warroom would have (``bot.record.paging.shadow``).

The vendor's side is its alert log through its REST API (``alert_log`` of
``bot.clients.opsgenie`` and ``bot.clients.pagerduty.rest``: ``AlertLogs``), read as the
importer reads the account (``VendorApi``: the key, pages, rate limits); its people are
matched to Slack users by e-mail as the importer matches them (``importing.slack_ids``).
warroom's side is its own record, and each disagreement's cause is asked of its routing: the
policies, schedules and overrides it pages by. The report is printed and kept: the web page
``/shadow`` shows the latest (``bot/web/alerting/shadow.py``).

Exit 0: every alert agrees; 3: some disagree; 1: an error (one line on stderr); 2: the
command line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.admin import USAGE_ERROR

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from bot.clients.importing import AlertLogs
    from bot.config import Settings
    from bot.record.paging.shadow import Ours, Report, VendorAlert

AGREE, DISAGREE, FAILED = 0, 3, 1


def add_shadow_arguments(parser: argparse.ArgumentParser) -> None:
    """``warroom shadow compare ...``: its options."""
    actions = parser.add_subparsers(dest="shadow_command", required=True, metavar="ACTION")
    compare = actions.add_parser(
        "compare",
        help="whom the vendor notified beside whom warroom would have, per alert",
        description="Reads the vendor's alert log through its REST API and prints, per "
        "alert, whom it notified and when beside whom warroom notified or would have (a "
        "shadow), the share that agree and each disagreement's cause. Exit 0: all agree; "
        "3: some disagree; 1: an error.",
    )
    vendor = compare.add_mutually_exclusive_group(required=True)
    vendor.add_argument("--opsgenie", action="store_true", help="compare with Opsgenie")
    vendor.add_argument("--pagerduty", action="store_true", help="compare with PagerDuty")
    compare.add_argument(
        "--since",
        default="7d",
        help="how far back: a duration (default 7d) or a time, e.g. '2026-03-01 00:00 UTC'",
    )
    compare.add_argument("--api-url", metavar="URL", help="the vendor's API (default its own)")
    compare.add_argument("--token", help="the vendor's API key (default: its variable)")
    compare.add_argument(
        "--users-map",
        type=Path,
        metavar="FILE",
        help="a CSV of email,slack_user_id lines (default: Slack's users.lookupByEmail)",
    )
    compare.add_argument("--json", action="store_true", help="print the report as JSON")


def run_shadow(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """Run ``warroom shadow compare``; the exit code."""
    from bot.admin.importing.importing import read_users_file
    from bot.clients.importing import ImportFailure
    from bot.config import Settings
    from bot.config.runtime import NO_DATABASE, database_url_given

    vendor = _vendor(args)
    settings = Settings.from_env(environ)
    token = (args.token or str(settings.importing.token(vendor.token_env))).strip()
    if not token:
        return _fail(f"no {vendor.title} API key: give --token or set {vendor.token_env}")
    now = datetime.now(UTC)
    since = _since(args.since, now)
    if since is None:
        return _usage(f"--since: a duration like 7d, or a time, not {args.since!r}")
    users_map = read_users_file(args.users_map)
    if isinstance(users_map, str):
        return _fail(users_map)
    if not database_url_given(environ):
        return _usage(NO_DATABASE.format(command="shadow"))
    api_url = (args.api_url or vendor.default_api_url).strip()
    try:
        report = asyncio.run(_compare(settings, vendor, api_url, token, users_map, since, now))
    except ImportFailure as failure:
        return _fail(failure.detail)
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
    else:
        from bot.basics.render import Renderer

        renderer = Renderer(settings.incidents.templates_dir)
        print(renderer.render_plain("shadow/report.txt.j2", report=report))
    return AGREE if report.agreeing == len(report.rows) else DISAGREE


def _vendor(args: argparse.Namespace) -> AlertLogs:
    from bot.clients.opsgenie import OPSGENIE
    from bot.clients.pagerduty.rest import PAGERDUTY

    return PAGERDUTY if args.pagerduty else OPSGENIE


async def _compare(
    settings: Settings,
    vendor: AlertLogs,
    api_url: str,
    token: str,
    users_map: Mapping[str, str] | None,
    since: datetime,
    now: datetime,
) -> Report:
    import aiohttp

    from bot.admin.importing.importing import slack_ids
    from bot.clients.importing import VendorApi

    async with aiohttp.ClientSession() as http:
        api = VendorApi(http, vendor, api_url, token)
        log = await vendor.alert_log(api, since)
        emails = {email for alert in log for email, _ in alert.notified}
        people = await slack_ids(emails, users_map, settings, http)
    return await keep_report(settings, vendor.title, log, people, since, now)


async def keep_report(
    settings: Settings,
    vendor: str,
    log: list[VendorAlert],
    people: Mapping[str, str | None],
    since: datetime,
    now: datetime,
) -> Report:
    """The vendor's log beside warroom's record, kept as the latest report (the web page's)."""
    from bot.record.oncall.overrides import overrides_between
    from bot.record.paging import shadow
    from bot.store.db import session_scope
    from bot.store.migrate import command_engine
    from bot.store.models import ShadowReport

    engine = await command_engine(settings.runtime.database_url)
    try:
        async with session_scope(engine) as session:
            routing = shadow.Routing(
                policies=settings.escalation.policies,
                schedules=settings.oncall.schedules,
                overrides=await overrides_between(session, start=since, end=now),
            )
            mine = await _what_warroom_did(session, log, since)
            names = await _names(session, mine, people)
            rows = [
                shadow.compare_one(alert, mine[alert.id], people, routing, names) for alert in log
            ]
            report = shadow.Report(
                vendor=vendor,
                since=since.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                tolerance_seconds=int(shadow.TOLERANCE.total_seconds()),
                rows=rows,
            )
            session.add(
                ShadowReport(
                    vendor=vendor,
                    created_at=now,
                    since=since,
                    body=json.dumps(report.as_json()),
                )
            )
            await session.commit()
    finally:
        await engine.dispose()
    return report


async def _what_warroom_did(
    session: AsyncSession, log: list[VendorAlert], since: datetime
) -> dict[str, Ours]:
    """What warroom did with each of the vendor's alerts (by its id), read in the order the
    vendor raised them."""
    from bot.record.paging import shadow

    groups = await shadow.warroom_alerts(session, since - shadow.MATCH_WINDOW)
    silenced = await shadow.silenced_since(session, since - shadow.MATCH_WINDOW)
    earlier: dict[int, VendorAlert] = {}
    return {
        alert.id: await shadow.what_warroom_did(session, alert, groups, silenced, earlier)
        for alert in sorted(log, key=lambda alert: alert.created_at)
    }


async def _names(
    session: AsyncSession, mine: Mapping[str, Ours], people: Mapping[str, str | None]
) -> dict[str, str]:
    """Everyone either side notified, named as the web view names them; one warroom never
    met, by the vendor's address."""
    from bot.record.people import known_names

    users = {u for ours in mine.values() for u, _ in ours.notified}
    users |= {u for u in people.values() if u}
    names = {user: email for email, user in people.items() if user}
    names.update(await known_names(session, users))
    return names


def _since(raw: str, now: datetime) -> datetime | None:
    """``--since``: a duration back from now (``7d``), or a time ('2026-03-01 00:00 UTC')."""
    from bot.basics.durations import parse_period
    from bot.record.moments import MomentRefused, parse_moment

    try:
        return now - parse_period(raw)
    except (ValueError, OverflowError):
        pass
    try:
        return parse_moment(raw, zone="UTC", now=now)
    except (MomentRefused, ValueError):
        return None


def _fail(line: str) -> int:
    print(f"warroom: shadow: {line}", file=sys.stderr)
    return FAILED


def _usage(line: str) -> int:
    print(f"warroom: shadow: {line}", file=sys.stderr)
    return USAGE_ERROR
